"""Template filters for the shop pages: stars, durations, choice labels, error look-ups."""

from typing import Any

from django import template
from django.utils.translation import gettext as _

from customers.models import STAR_MAX, ContactChannel, RequestCategory, Segment

register = template.Library()


@register.filter
def stars(value: int | None) -> str:
    """★★★☆☆ for a star rating of 3 (of 5)."""
    if value is None:
        return ""
    filled = max(0, min(int(value), STAR_MAX))
    return "★" * filled + "☆" * (STAR_MAX - filled)


@register.filter
def duration(minutes: int | str | None) -> str:
    """A duration given in minutes, as hours and minutes (90 → "1 h 30 min")."""
    try:
        hours, rest = divmod(int(minutes), 60)
    except (TypeError, ValueError):
        return ""  # a value the user is still correcting
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


@register.filter
def channel_labels(codes: list[str] | None) -> list[str]:
    """The translated names of contact channel codes (unknown codes are shown as they are)."""
    labels = dict(ContactChannel.choices)
    return [str(labels.get(code, code)) for code in codes or []]


@register.filter
def segment_label(code: str) -> str:
    return str(dict(Segment.choices).get(code, code or "–"))


@register.filter
def category_label(code: str) -> str:
    return str(dict(RequestCategory.choices).get(code, code))


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    """``mapping[key]`` in a template (None when absent)."""
    return (mapping or {}).get(key)
