"""Background work of service requests: outbox delivery, the outbox sweeper, escalation rules."""

from celery import shared_task


@shared_task(name="servicedesk.deliver_outbox")
def deliver_outbox_task(message_ids: list[int]) -> int:
    from servicedesk import outbox

    return outbox.deliver_many(message_ids)


@shared_task(name="servicedesk.drain_outbox")
def drain_outbox_task() -> int:
    from servicedesk import outbox

    return outbox.drain()


@shared_task(name="servicedesk.sweep_outbox")
def sweep_outbox_task() -> int:
    from servicedesk import outbox

    return outbox.sweep()


@shared_task(name="servicedesk.run_escalations")
def run_escalations_task() -> int:
    from servicedesk import escalation

    return escalation.escalations_run().fired
