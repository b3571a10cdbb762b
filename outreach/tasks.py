"""Messaging background work (Celery; in-process in the embedded mode). Each task takes ids and
is idempotent: deliveries are unique per (message, shop, channel) and claimed before sending."""

from celery import shared_task


@shared_task(name="outreach.fan_out")
def fan_out_task(message_id: int) -> int:
    from outreach.services import delivery

    return delivery.fan_out(message_id)


@shared_task(name="outreach.deliver_batch", acks_late=True)
def deliver_batch_task(message_id: int, shop_ids: list[int]) -> int:
    from outreach.services import delivery

    return delivery.deliver_batch(message_id, shop_ids)


@shared_task(name="outreach.send")
def send_task(delivery_ids: list[int]) -> int:
    from outreach.services import delivery

    return delivery.send(delivery_ids)


@shared_task(name="outreach.tick")
def tick_task() -> int:
    from outreach.services import delivery

    return delivery.tick()
