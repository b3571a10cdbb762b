"""The curation page reads a clustering snapshot computed in the background."""

import datetime

import time_machine
from django.utils import timezone

from knowledge import curation
from knowledge.models import CurationSnapshot
from knowledge.services.curation import curation_snapshot_run
from knowledge.tests.test_curation_queue import URL, ask


def test_page_without_a_snapshot_says_it_is_computing_and_asks_for_one(
    client_for, service_manager, shop, django_capture_on_commit_callbacks
):
    ask(shop, "烟草证怎么续期")

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        body = client_for(service_manager).get(URL).content.decode()

    assert "data-computing" in body and 'class="card cluster"' not in body
    assert CurationSnapshot.objects.get().status == CurationSnapshot.Status.PENDING
    assert len(enqueued) == 1


def test_the_enqueued_task_computes_the_snapshot_the_page_then_shows(
    client_for, service_manager, shop, django_capture_on_commit_callbacks
):
    ask(shop, "烟草证怎么续期")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(service_manager).get(URL)

    body = client_for(service_manager).get(URL).content.decode()

    snapshot = CurationSnapshot.objects.get()
    assert (snapshot.status, snapshot.open_turns) == (CurationSnapshot.Status.DONE, 1)
    assert "烟草证怎么续期" in body and "data-computing" not in body


def test_a_snapshot_is_computed_once_even_if_its_task_runs_twice(shop):
    ask(shop, "烟草证怎么续期")
    snapshot = CurationSnapshot.objects.create()

    assert curation_snapshot_run(snapshot.pk) is True
    assert curation_snapshot_run(snapshot.pk) is False


def test_page_says_how_fresh_the_grouping_is_and_refreshes_when_old(
    client_for, service_manager, shop, django_capture_on_commit_callbacks
):
    ask(shop, "烟草证怎么续期")
    curation_snapshot_run(CurationSnapshot.objects.create().pk)
    client = client_for(service_manager)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
        fresh = client.get(URL).content.decode()
    assert "3\xa0分钟前更新" in fresh
    assert not curation.snapshot_in_progress()  # fresh enough: nothing asked

    with time_machine.travel(timezone.now() + curation.SNAPSHOT_MAX_AGE * 2):
        client.get(URL)
        assert curation.snapshot_in_progress()


def test_refresh_button_asks_for_a_new_snapshot_and_keeps_the_filters(
    client_for, service_manager, shop, django_capture_on_commit_callbacks
):
    ask(shop, "烟草证怎么续期")
    curation_snapshot_run(CurationSnapshot.objects.create().pk)
    before = curation.snapshot_latest().computed_at

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(service_manager).post(URL + "refresh/", {"next": URL + "?weeks=12"})

    assert (response.status_code, response["Location"]) == (302, URL + "?weeks=12")
    assert curation.snapshot_latest().computed_at > before
    assert CurationSnapshot.objects.count() == 1  # the older snapshot is gone


def test_refresh_is_refused_without_the_knowledge_edit_permission(client_for, account_manager):
    response = client_for(account_manager).post(URL + "refresh/")

    assert response.status_code == 403
    assert not CurationSnapshot.objects.exists()
