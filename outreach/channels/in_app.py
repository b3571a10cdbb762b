"""In-app messages: a notification in the shop owner's notification centre, delivered at once.

Every message lands here whatever else the shop chose, so the notification links to the
shop's own copy of the message (/outreach/mine/<id>/), which marks it read.
"""

from django.urls import NoReverseMatch, reverse

from outreach.channels.base import Outgoing, SendResult
from servicedesk.outbox import post_notifications


def message_url(delivery_id: int) -> str:
    """The shop's page of one delivered message."""
    try:
        return reverse("outreach:my_message", args=[delivery_id])
    except NoReverseMatch:  # the page's route not wired (yet): its documented path
        return f"/outreach/mine/{delivery_id}/"


class InAppAdapter:
    channel = "in_app"
    needs_receipt = False

    def send_many(self, items: list[Outgoing]) -> list[SendResult]:
        """The address is the shop owner's user id."""
        rows, results = [], []
        for item in items:
            if not item.address.isdigit():
                results.append(
                    SendResult(item.delivery_id, ok=False, permanent=True, error="no user")
                )
                continue
            rows.append((int(item.address), item.subject, item.text, message_url(item.delivery_id)))
            results.append(SendResult(item.delivery_id, ok=True, delivered=True))
        if rows:
            post_notifications(rows)
        return results
