"""The shop's own message pages (/outreach/mine/) and the outreach panels on other apps' pages.

Thin: check the permission, call one selector or service, render. The preference form re-renders
with the message (422) and what the shop chose when anything is wrong; nothing is saved then.
The console shop page's panel is registered by ``OutreachConfig.ready``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from customers.models import Shop
from flexserve import panels, policy
from flexserve.errors import FieldInvalid, Invalid
from flexserve.policy import Perm
from flexserve.validation import messages_by_field
from outreach import links, selectors_portal, variables
from outreach.models import (
    OPT_IN_TOPICS,
    PUSH_CHANNELS,
    Channel,
    ConsentRecord,
    ContactPreference,
    Topic,
)
from outreach.services import consent
from outreach.services import delivery as delivery_service

MESSAGES_PER_PAGE = 20

FIELD_LABELS = {
    "channels": _("Channels"),
    "topics": _("Message topics"),
    "email": _("E-mail"),
    "__all__": _("Settings"),
}
WHAT_LABELS = {
    "channels": _("Channel order"),
    "topics": _("Message topics"),
    "email": _("E-mail"),
    "unsubscribed": _("Unsubscribed channels"),
    "wechat_openid": _("WeChat"),
    "preference": _("Message settings"),
}


# --- shared helpers -------------------------------------------------------------------------


def _shop_values(shop: Shop, link: str = "") -> dict[str, str]:
    """The template variables for ``shop`` (``outreach.variables.VARIABLES``)."""
    manager = shop.account_manager
    return {
        "店名": shop.name,
        "负责人": shop.owner_name,
        "许可证号": shop.licence_no,
        "客户经理": (manager.full_name or manager.username) if manager else "",
        "经理电话": (manager.phone or "") if manager else "",
        "链接": link,
    }


def _separator() -> str:
    return pgettext("list separator", ", ")


def _channel_label(value: str) -> str:
    return str(dict(Channel.choices).get(value, value))


def _topic_label(value: str) -> str:
    return str(dict(Topic.choices).get(value, value))


def _readable(what: str, value: object) -> str:
    """A consent record's before or after value in words: channels in order, topics, e-mail."""
    if isinstance(value, dict):
        parts = [
            f"{WHAT_LABELS.get(key, key)}: {_readable(key, item)}" for key, item in value.items()
        ]
        return "; ".join(parts) if parts else "—"
    if isinstance(value, list):
        if not value:
            return str(_("none"))
        if what == "topics":
            return _separator().join(_topic_label(v) for v in value)
        if what == "channels":
            return " → ".join(_channel_label(v) for v in value)
        return _separator().join(_channel_label(v) for v in value)
    return str(value) if value not in (None, "") else "—"


@dataclass(frozen=True)
class RecordRow:
    record: ConsentRecord
    what: str
    before: str
    after: str


def _record_rows(records) -> list[RecordRow]:
    return [
        RecordRow(
            record=r,
            what=str(WHAT_LABELS.get(r.what, r.what)),
            before=_readable(r.what, r.before),
            after=_readable(r.what, r.after),
        )
        for r in records
    ]


def _messages(exc: Invalid) -> list[str]:
    if not exc.fields:
        return [exc.render_message()]
    return [
        f"{FIELD_LABELS.get(field, field)}: {message}"
        for field, messages in exc.fields.items()
        for message in messages
    ]


# --- pages ----------------------------------------------------------------------------------


@login_required
@require_GET
def my_messages(request: HttpRequest) -> HttpResponse:
    """The shop's in-app messages, newest first; unread ones marked."""
    policy.require(request.user, Perm.PORTAL_USE)
    shop = selectors_portal.own_shop(request.user)
    context: dict[str, Any] = {"shop": shop, "section": "messages"}
    if shop is not None:
        deliveries = selectors_portal.my_deliveries(request.user)
        page = Paginator(deliveries, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
        values = _shop_values(shop)
        for delivery in page.object_list:
            delivery.subject = variables.fill(delivery.message.template.subject, values)
            delivery.unread = delivery.status in selectors_portal.UNREAD_STATUSES
        context |= {"page": page, "unread": selectors_portal.unread_count(request.user)}
    return render(request, "outreach/portal/messages.html", context)


@login_required
@require_GET
def my_message(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """One message as the shop reads it (its variables filled); opening it marks it read."""
    policy.require(request.user, Perm.PORTAL_USE)
    delivery = selectors_portal.delivery_for_reader(request.user, delivery_id)
    message = delivery.message
    link_path = ""
    if message.link:
        # The button goes through the tracked link (the click is counted), on this host.
        link_path = reverse("outreach_public:link", args=[links.link_token(delivery.pk)])
    values = _shop_values(delivery.shop, links.tracked_link(delivery.pk) if message.link else "")
    delivery_service.mark_read(delivery.pk)
    context = {
        "section": "messages",
        "delivery": delivery,
        "subject": variables.fill(message.template.subject, values),
        "text": variables.fill(message.template.body, values),
        "link_path": link_path,
    }
    return render(request, "outreach/portal/message.html", context)


@dataclass(frozen=True)
class ChannelRow:
    value: str
    label: str
    chosen: bool
    position: int
    unsubscribed: bool


def _channel_rows(chosen: list[str], unsubscribed: list[str]) -> list[ChannelRow]:
    """Every push channel, the chosen ones first in their order, then the others."""
    rest = [str(c) for c in PUSH_CHANNELS if str(c) not in chosen]
    rows = []
    for position, value in enumerate([*chosen, *rest], start=1):
        rows.append(
            ChannelRow(
                value=value,
                label=_channel_label(value),
                chosen=value in chosen,
                position=position,
                unsubscribed=value in unsubscribed,
            )
        )
    return rows


def _posted_channels(request: HttpRequest) -> list[str]:
    """The ticked channels in the order the shop numbered them (ties keep the page's order)."""
    ticked = request.POST.getlist("channels")
    keyed = []
    for index, value in enumerate(ticked):
        raw = request.POST.get(f"position_{value}", "")
        try:
            position = int(raw) if raw else len(PUSH_CHANNELS) + index
        except ValueError:
            raise FieldInvalid("channels", _("Choose a number for each channel.")) from None
        keyed.append((position, index, value))
    return [value for _position, _index, value in sorted(keyed)]


def _preferences_context(
    request: HttpRequest, preference: ContactPreference, *, channels, topics, email
) -> dict[str, Any]:
    records = selectors_portal.consent_history(request.user, preference.shop_id)
    return {
        "section": "preferences",
        "shop": preference.shop,
        "preference": preference,
        "channel_rows": _channel_rows(channels, list(preference.unsubscribed)),
        "unsubscribed": [_channel_label(c) for c in preference.unsubscribed],
        "service_label": Topic.SERVICE.label,
        "topic_choices": [(str(t), t.label) for t in OPT_IN_TOPICS],
        "topics": topics,
        "email": email,
        "wording": consent.CONSENT_STATEMENT,
        "records": _record_rows(records),
        "errors": [],
        "saved": request.GET.get("saved") == "1",
    }


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """How the shop wants to be reached: channels in order, topics, e-mail; its consent log."""
    policy.require(request.user, Perm.PORTAL_USE)
    preference = selectors_portal.preference(request.user)
    if preference is None:
        return render(request, "outreach/portal/preferences.html", {"shop": None})
    # A channel unsubscribed from is shown unticked: saving again must not take it back silently.
    current = [c for c in preference.channels if c not in preference.unsubscribed]
    if request.method != "POST":
        context = _preferences_context(
            request,
            preference,
            channels=current,
            topics=list(preference.topics),
            email=preference.email,
        )
        return render(request, "outreach/portal/preferences.html", context)
    topics, email = request.POST.getlist("topics"), request.POST.get("email", "").strip()
    channels = request.POST.getlist("channels")
    try:
        channels = _posted_channels(request)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise FieldInvalid("email", _("Enter a valid e-mail address.")) from None
        consent.preference_update(
            actor=request.user,
            shop_id=preference.shop_id,
            channels=channels,
            topics=topics,
            email=email,
            wording=str(consent.CONSENT_STATEMENT),
            source=ConsentRecord.Source.PORTAL,
        )
    except (Invalid, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            exc = Invalid(fields=messages_by_field(exc))
        known = {str(c) for c in PUSH_CHANNELS}
        context = _preferences_context(
            request,
            preference,
            channels=[c for c in channels if c in known],
            topics=topics,
            email=email,
        )
        context["errors"] = _messages(exc)
        return render(request, "outreach/portal/preferences.html", context, status=422)
    return redirect(f"{reverse('outreach:preferences')}?saved=1#history")


# --- the console shop page's panel (flexserve.panels) -----------------------------------------


def _shop_panel(user: User, shop: Shop) -> dict[str, Any]:
    """The console shop page: channel order, topics, recent deliveries, consent records."""
    found = selectors_portal.shop_outreach(user, shop)
    chosen = found.preference.channels if found.preference else found.default_channels
    unsubscribed = found.preference.unsubscribed if found.preference else []
    return {
        "outreach": found,
        "channels": [_channel_label(c) for c in chosen if c not in unsubscribed],
        "topics": [_topic_label(t) for t in (found.preference.topics if found.preference else [])],
        "unsubscribed": [_channel_label(c) for c in unsubscribed],
        "records": _record_rows(found.records),
    }


def register_panels() -> None:
    """Called by OutreachConfig.ready()."""
    panels.register(
        panels.CONSOLE_SHOP,
        panels.Panel(
            key="outreach.contact",
            title=_("Messages and consent"),
            template="outreach/portal/_shop_panel.html",
            context=_shop_panel,
            order=60,
            allowed=panels.requires(Perm.CONSOLE_USE, Perm.OUTREACH_VIEW),
        ),
    )
