"""The field staff's phone pages: the day, check-in, the outcome form, photos, the shop partial."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dispatch import field_selectors
from dispatch.models import JobEvent, JobState, VisitOutcome, VisitPhoto, VisitReport
from dispatch.services import visits
from dispatch.tests.factories import field_staff, planned_visit


def png(name: str = "shelf.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def staff(grid):
    return field_staff(grids=[grid], username="field1").user


@pytest.fixture
def job(shop, staff):
    return planned_visit(shop, staff, timezone.localdate())


def closed_visit(job, staff, *, photos=()):
    visits.check_in(staff, job.pk, latitude=None, longitude=None)
    return visits.check_out(
        staff,
        job.pk,
        latitude=None,
        longitude=None,
        outcome=VisitOutcome.DONE,
        work_done="补货陈列",
        coaching="讲解扫码点单",
        photos=photos,
    )


def test_the_day_page_shows_the_route_as_cards(client_for, staff, job, shop):
    response = client_for(staff).get(reverse("console:field_day"))
    assert response.status_code == 200
    page = response.content.decode()
    assert shop.name in page and shop.address in page
    assert f'href="tel:{shop.phone}"' in page  # the assigned staff member calls the shop
    assert "09:30" in page
    assert f'href="geo:{float(job.shop.latitude):g}' in page or "geo:31.82" in page
    assert reverse("console:field_check_in", args=[job.pk]) in page
    assert 'name="latitude"' in page and "js/field.js" in page
    assert response.context["summary"].visits == 1


def test_the_day_page_takes_another_day(client_for, staff, job):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(staff).get(reverse("console:field_day"), {"day": tomorrow.isoformat()})
    assert response.status_code == 200
    assert response.context["stops"] == []
    assert reverse("console:field_check_in", args=[job.pk]) not in response.content.decode()


def test_the_day_page_is_for_field_staff(client_for, dispatcher, shop_owner):
    assert client_for(dispatcher).get(reverse("console:field_day")).status_code == 403
    assert client_for(shop_owner).get(reverse("console:field_day")).status_code == 403
    anonymous = client_for(None).get(reverse("console:field_day"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_check_in_posts_the_position_and_opens_the_outcome_form(client_for, staff, job):
    url = reverse("console:field_check_in", args=[job.pk])
    response = client_for(staff).post(url, {"latitude": "31.820100", "longitude": "117.230100"})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:field_job", args=[job.pk])
    report = VisitReport.objects.get(job=job)
    assert str(report.in_latitude) == "31.820100"
    page = client_for(staff).get(response["Location"]).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'capture="environment"' in page


def test_check_in_works_without_a_position(client_for, staff, job):
    response = client_for(staff).post(reverse("console:field_check_in", args=[job.pk]))
    assert response.status_code == 302
    assert VisitReport.objects.get(job=job).in_latitude is None


def test_a_second_check_in_shows_the_conflict(client_for, staff, job):
    client = client_for(staff)
    url = reverse("console:field_check_in", args=[job.pk])
    client.post(url)
    response = client.post(url)
    assert response.status_code == 409
    assert response.context["error"].code == "visit_checked_in"
    assert VisitReport.objects.count() == 1


def test_a_colleague_posting_a_check_in_is_forbidden(client_for, grid, job):
    colleague = field_staff(grids=[grid], username="field2").user
    response = client_for(colleague).post(reverse("console:field_check_in", args=[job.pk]))
    assert response.status_code == 403
    assert not VisitReport.objects.exists()


def test_check_in_to_another_territorys_job_is_not_found(client_for, other_shop, job):
    outsider = field_staff(grids=[other_shop.grid], username="outsider").user
    response = client_for(outsider).post(reverse("console:field_check_in", args=[job.pk]))
    assert response.status_code == 404


def test_the_outcome_form_closes_the_visit_and_returns_to_the_day(client_for, staff, job):
    visits.check_in(staff, job.pk, latitude=None, longitude=None)
    client = client_for(staff)
    response = client.post(
        reverse("console:field_job", args=[job.pk]),
        {
            "outcome": "done",
            "work_done": "补货陈列",
            "coaching": "讲解扫码点单",
            "photos": [png("a.png"), png("b.png")],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:field_day")
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert VisitPhoto.objects.filter(report__job=job).count() == 2
    assert JobEvent.objects.filter(job=job, kind="checked_out").exists()
    day = client.get(response["Location"])
    page = day.content.decode()
    assert "✓" in page and "补货陈列" in page
    assert [str(m) for m in day.context["messages"]]  # the success message is shown


def test_the_outcome_form_shows_errors_and_keeps_the_input(client_for, staff, job):
    visits.check_in(staff, job.pk, latitude=None, longitude=None)
    response = client_for(staff).post(
        reverse("console:field_job", args=[job.pk]),
        {"outcome": "done", "work_done": "", "coaching": "讲解扫码点单"},
    )
    assert response.status_code == 422
    assert "work_done" in response.context["error"].fields
    assert "讲解扫码点单" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.IN_PROGRESS


def test_the_outcome_form_refuses_a_fake_photo(client_for, staff, job):
    visits.check_in(staff, job.pk, latitude=None, longitude=None)
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client_for(staff).post(
        reverse("console:field_job", args=[job.pk]),
        {"outcome": "done", "work_done": "补货", "photos": [fake]},
    )
    assert response.status_code == 422
    assert "photos" in response.context["error"].fields
    assert not VisitPhoto.objects.exists()


def test_checking_out_before_checking_in_is_a_conflict(client_for, staff, job):
    response = client_for(staff).post(
        reverse("console:field_job", args=[job.pk]), {"outcome": "done", "work_done": "补货"}
    )
    assert response.status_code == 409


def test_a_photo_is_served_to_who_sees_the_shop_only(
    client_for, staff, job, shop_owner, other_shop_owner, dispatcher
):
    report = closed_visit(job, staff, photos=[png()])
    photo = report.photos.get()
    url = reverse("console:field_photo", args=[photo.pk])
    response = client_for(staff).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert client_for(dispatcher).get(url).status_code == 200
    assert client_for(shop_owner).get(url).status_code == 200  # the shop's own photos
    assert client_for(other_shop_owner).get(url).status_code == 404


def test_the_shop_visits_partial_renders_the_history(staff, job, shop):
    closed_visit(job, staff, photos=[png()])
    html = render_to_string(
        "dispatch/_shop_visits.html", {"visits": field_selectors.shop_visits(staff, shop.pk)}
    )
    assert "补货陈列" in html and "讲解扫码点单" in html and str(staff) in html
    photo = VisitPhoto.objects.get()
    assert reverse("console:field_photo", args=[photo.pk]) in html


def test_the_shop_visits_partial_says_when_there_are_none(db):
    html = render_to_string("dispatch/_shop_visits.html", {"visits": []})
    assert "<table" not in html
