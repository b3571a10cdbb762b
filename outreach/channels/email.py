"""E-mail through Django's mail backend (SMTP in production): one connection per batch.

Each e-mail carries one-click unsubscribe (RFC 8058: ``List-Unsubscribe`` with
``List-Unsubscribe-Post``), which large mailbox providers require of bulk senders, and a
Message-ID made from the delivery id, so a resend after a crash is recognised as the same
message. SMTP tells us nothing after the hand-over, so "sent" is the last state we learn,
except a click on the tracked link.
"""

import logging
import smtplib
from contextlib import suppress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import translation
from django.utils.html import format_html, linebreaks
from django.utils.translation import gettext

from outreach.channels.base import Outgoing, SendResult

logger = logging.getLogger(__name__)


def message_id(delivery_id: int) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "flexserve"
    return f"<outreach-{delivery_id}@{host}>"


def _permanent(exc: Exception) -> bool:
    """A refusal of this recipient or message (5xx), as opposed to a passing trouble (4xx)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


class EmailAdapter:
    channel = "email"
    needs_receipt = False

    def message(self, item: Outgoing, connection=None) -> EmailMultiAlternatives:
        """The e-mail of one delivery: plain text and simple HTML, the tracked link in both."""
        lines = [item.text]
        if item.link:
            lines.append(gettext("Open the message: %(link)s") % {"link": item.link})
        if item.unsubscribe_url:
            lines.append(
                gettext("Unsubscribe from these e-mails: %(url)s") % {"url": item.unsubscribe_url}
            )
        html = linebreaks(item.text, autoescape=True)
        if item.link:
            html += format_html(
                '<p><a href="{}">{}</a></p>', item.link, gettext("Open the message")
            )
        if item.unsubscribe_url:
            html += format_html(
                '<p><small><a href="{}">{}</a></small></p>',
                item.unsubscribe_url,
                gettext("Unsubscribe from these e-mails"),
            )
        headers = {"Message-ID": message_id(item.delivery_id)}
        if item.unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{item.unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMultiAlternatives(
            subject=item.subject,
            body="\n\n".join(lines),
            to=[item.address],
            headers=headers,
            connection=connection,
        )
        email.attach_alternative(html, "text/html")
        return email

    def send_many(self, items: list[Outgoing]) -> list[SendResult]:
        # Shops read Chinese first: the footer follows the site language, not a staff request's.
        with translation.override(settings.LANGUAGE_CODE):
            connection = get_connection()
            try:
                # Opened here, the backend keeps the session for the whole batch.
                connection.open()
            except Exception as exc:  # noqa: BLE001 (server unreachable: the batch is retried)
                logger.warning("SMTP connection failed: %s", exc)
                return [SendResult(i.delivery_id, ok=False, error=str(exc)[:300]) for i in items]
            try:
                return [self._send(item, connection) for item in items]
            finally:
                with suppress(Exception):
                    connection.close()

    def _send(self, item: Outgoing, connection) -> SendResult:
        if not item.address:
            return SendResult(item.delivery_id, ok=False, permanent=True, error="no address")
        try:
            self.message(item, connection).send()
        except Exception as exc:  # noqa: BLE001 (one bad address must not stop the batch)
            logger.warning("E-mail for delivery %s failed: %s", item.delivery_id, exc)
            if not isinstance(exc, smtplib.SMTPRecipientsRefused):
                # The session may be broken: the next e-mail gets a fresh one.
                with suppress(Exception):
                    connection.close()
                with suppress(Exception):
                    connection.open()
            return SendResult(
                item.delivery_id, ok=False, permanent=_permanent(exc), error=str(exc)[:300]
            )
        return SendResult(item.delivery_id, ok=True, provider_id=message_id(item.delivery_id))
