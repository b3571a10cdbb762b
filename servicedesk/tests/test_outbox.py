"""Outbox: nothing sent inside the request, nothing lost while the broker is down, nothing twice."""

from unittest import mock

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from servicedesk import outbox
from servicedesk.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return UserFactory(username="p", role="service_staff", email="p@example.com")


def test_delivery_waits_for_commit(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox.notify(person, subject="新诉求", body="内容", url="/x/")
    assert OutboxMessage.objects.filter(state="pending").count() == 2  # in-app + e-mail
    assert mail.outbox == [] and not Notification.objects.exists()
    for callback in callbacks:
        callback()
    assert OutboxMessage.objects.filter(state="sent").count() == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["p@example.com"]
    assert Notification.objects.get(recipient=person).subject == "新诉求"


def test_a_message_delivered_twice_is_sent_once(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        messages = outbox.notify(person, subject="一次")
    for message in messages:
        assert outbox.deliver(message.pk) is True
        assert outbox.deliver(message.pk) is False
    assert outbox.sweep() == 0
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1


def test_broker_down_keeps_messages_for_the_sweeper(
    person, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in production: hand over to the broker
    from servicedesk.tasks import drain_outbox_task

    down = mock.patch.object(drain_outbox_task, "apply_async", side_effect=ConnectionError("down"))
    with down, django_capture_on_commit_callbacks(execute=True):
        outbox.notify(person, subject="断线")
    assert OutboxMessage.objects.filter(state="pending").count() == 2
    assert mail.outbox == []
    # The broker is back; the sweeper finds what is older than its grace period.
    import datetime

    from django.utils import timezone

    later = timezone.now() + datetime.timedelta(minutes=2)
    assert outbox.sweep(now=later) == 2
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1
    assert outbox.sweep(now=later) == 0


def test_mail_failure_is_retried_then_given_up(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        email = [m for m in outbox.notify(person, subject="x") if m.medium == "email"][0]
    with mock.patch("servicedesk.outbox.EmailMessage.send", side_effect=OSError("smtp down")):
        for _ in range(outbox.MAX_ATTEMPTS):
            assert outbox.deliver(email.pk) is False
    email.refresh_from_db()
    assert email.state == "failed" and "smtp down" in email.last_error
    assert email.attempts == outbox.MAX_ATTEMPTS


def test_stale_claim_is_released(person, django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=False):
        message = outbox.notify(person, subject="崩溃", email=False)[0]
    # A worker claimed it and died before finishing.
    OutboxMessage.objects.filter(pk=message.pk).update(
        state="sending", claimed_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert outbox.sweep(now=timezone.now() + datetime.timedelta(minutes=1)) == 1
    assert Notification.objects.filter(outbox=message).count() == 1


def test_mark_read_only_touches_own(person, django_capture_on_commit_callbacks):
    other = UserFactory(username="q", role="service_staff")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.notify(person, subject="a")
        outbox.notify(other, subject="b")
    assert outbox.notifications_mark_read(user=person) == 1
    assert Notification.objects.get(recipient=other).read_at is None
