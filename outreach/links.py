"""Signed tokens in links that work without log-in: a tracked link and one-click unsubscribe.

A token is signed with the site's secret and a purpose of its own, so a link cannot be forged,
re-aimed at another delivery or used for the other purpose. The redirect target is never in the
token's reach: a tracked link leads to the message's own path on this site.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

_LINK = "outreach.link"
_UNSUBSCRIBE = "outreach.unsubscribe"


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def link_token(delivery_id: int) -> str:
    return signing.dumps(delivery_id, salt=_LINK, compress=True)


def tracked_link(delivery_id: int) -> str:
    return _absolute(reverse("outreach_public:link", args=[link_token(delivery_id)]))


def read_link_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_LINK)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_token(shop_id: int, channel: str) -> str:
    return signing.dumps([shop_id, channel], salt=_UNSUBSCRIBE, compress=True)


def unsubscribe_url(shop_id: int, channel: str) -> str:
    return _absolute(
        reverse("outreach_public:unsubscribe", args=[unsubscribe_token(shop_id, channel)])
    )


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE)
    except signing.BadSignature:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        return value[0], value[1]
    return None


def is_own_path(path: str) -> bool:
    """A link a message may carry: a path of this site (no scheme, no host, no //)."""
    return path.startswith("/") and not path.startswith("//") and "\\" not in path
