"""The import pages and API: administrators only; the page polls progress while a job runs."""

from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from imports.tests.files import SHOP_HEADERS_EN, csv_bytes, shop_row


def test_only_administrators_open_the_import_page(client_for, admin_user, account_manager):
    assert client_for(admin_user).get("/imports/").status_code == 200
    assert client_for(account_manager).get("/imports/").status_code == 403
    response = client_for(None).get("/imports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_api_refuses_non_administrators_and_anonymous_users(upload, client_for, dispatcher):
    response = upload(dispatcher, "shops.csv", b"licence_no\n")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert client_for(dispatcher).get("/api/imports/jobs").status_code == 403
    response = client_for(None).get("/api/imports/jobs")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")
    assert not ImportJob.objects.exists()


def test_another_role_cannot_read_a_job(client_for, admin_user, service_manager):
    job = ImportJob.objects.create(kind="shops", original_name="a.csv", created_by=admin_user)
    response = client_for(service_manager).get(f"/api/imports/jobs/{job.pk}")
    assert response.status_code == 403
    assert client_for(service_manager).get(f"/imports/jobs/{job.pk}/").status_code == 403


def test_uploading_through_the_page_shows_the_job(
    client_for, admin_user, grid, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    content = csv_bytes(SHOP_HEADERS_EN, [shop_row(grid.code)])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/imports/", {"kind": "shops", "file": SimpleUploadedFile("s.csv", content)}
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'style="width:100%"' in page and "every 1s" not in page
    assert job.original_name in client.get("/imports/").content.decode()


def test_a_bad_upload_on_the_page_keeps_the_form_with_the_message(client_for, admin_user):
    response = client_for(admin_user).post(
        "/imports/", {"kind": "shops", "file": SimpleUploadedFile("s.pdf", b"%PDF")}
    )
    assert response.status_code == 422
    assert b"alert-error" in response.content
    assert not ImportJob.objects.exists()


def test_a_running_job_polls_its_progress_every_second(client_for, admin_user):
    job = ImportJob.objects.create(
        kind="shops", original_name="a.csv", status=ImportJob.Status.IMPORTING, total_rows=10
    )
    partial = client_for(admin_user).get(f"/imports/jobs/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in partial
    assert f'hx-get="/imports/jobs/{job.pk}/progress/"' in partial


def test_a_rejected_job_lists_its_errors_and_stops_polling(client_for, admin_user):
    job = ImportJob.objects.create(
        kind="shops",
        original_name="a.csv",
        status=ImportJob.Status.FAILED,
        total_rows=3,
        error_count=1,
        errors=[{"row": 12, "column": "电话/phone", "message": "Enter a mobile number."}],
    )
    partial = client_for(admin_user).get(f"/imports/jobs/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in partial
    assert "<td data-label" in partial and "电话/phone" in partial and ">12<" in partial
