"""Outbox under faults (bench/faults.py measures the same live): a worker killed mid-batch does
not send again what it handed over; a broker that is down neither fails nor holds up intake."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from servicedesk import outbox
from servicedesk.models import OutboxMessage

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """The worker process dies (SIGKILL): no except clause of the product runs."""


@pytest.fixture
def people(db):
    return [
        UserFactory(username=f"p{n}", role="service_staff", email=f"p{n}@example.com")
        for n in range(3)
    ]


def test_worker_killed_mid_batch_sends_no_email_twice(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        for person in people:
            outbox.notify(person, subject="批量")
    handed_over = []
    real_send = outbox.EmailMessage.send

    def send_then_die(message, *args, **kwargs):
        if len(handed_over) == 2:
            raise Killed()  # dies before the third hand-over
        handed_over.append(message.extra_headers["Message-ID"])
        return real_send(message, *args, **kwargs)

    with mock.patch.object(outbox.EmailMessage, "send", send_then_die), pytest.raises(Killed):
        outbox.drain()
    # Later the sweeper frees the dead worker's claims and delivers what is left.
    later = timezone.now() + outbox.STALE_CLAIM + datetime.timedelta(minutes=1)
    outbox.sweep(now=later)
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]  # every hand-over, both runs
    assert len(ids) == len(set(ids)) == 3  # each e-mail once
    assert not OutboxMessage.objects.exclude(state="sent").exists()


def test_broker_down_fails_fast_and_backs_off(people, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from django.core.cache import cache

    from servicedesk.tasks import drain_outbox_task

    outbox._drain_due_at = 0.0
    cache.delete(outbox.DRAIN_KEY)
    clock = [1000.0]
    down = mock.patch.object(drain_outbox_task, "apply_async", side_effect=OSError("refused"))
    with down as publish, mock.patch("servicedesk.outbox.time.monotonic", lambda: clock[0]):
        outbox._schedule_drain()  # must not raise: the row is committed, the sweeper has it
        assert publish.call_count == 1
        assert publish.call_args.kwargs.get("retry") is False  # no blocking publish retries
        clock[0] += outbox.DRAIN_DEBOUNCE_SECONDS + 0.5
        cache.delete(outbox.DRAIN_KEY)
        outbox._schedule_drain()  # still backing off: no second wait on a dead broker
        assert publish.call_count == 1
        clock[0] += outbox.BROKER_BACKOFF_SECONDS
        cache.delete(outbox.DRAIN_KEY)
        outbox._schedule_drain()
        assert publish.call_count == 2
    outbox._drain_due_at = 0.0
