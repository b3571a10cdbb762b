"""Shared pieces of the console's request pages: labels and clocks as shown.

The htmx and redirect helpers every app uses live in ``flexserve.web``."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from flexserve import policy
from flexserve.policy import Perm
from servicedesk import clock, selectors, services
from servicedesk.clock import ClockState
from servicedesk.models import ServiceRequest

REQUESTS_PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 50
SHOP_MATCHES = 12
WARN_FRACTION = 0.8  # amber once 80 % of a clock's target is used
# The SLA panel reloads every 60 s; between reloads the page may count down this long at most.
TICK_WINDOW = timedelta(seconds=90)

QUEUE_LABELS = {
    "mine": gettext_lazy("Mine"),
    "department": gettext_lazy("My department"),
    "breaching": gettext_lazy("Breaching soon"),
    "unassigned": gettext_lazy("Unassigned"),
    "support": gettext_lazy("Support for my department"),
    "all": gettext_lazy("All"),
}
ACTION_LABELS = {name: action.label for name, action in services.ACTIONS.items()}
ACTION_DONE = {
    "start": gettext_lazy("Work started."),
    "ask_shop": gettext_lazy("The shop was asked; the resolution clock is paused."),
    "resume": gettext_lazy("Work resumed; the resolution clock runs again."),
    "resolve": gettext_lazy("Resolved; the shop is asked to confirm."),
    "close": gettext_lazy("Closed."),
    "reopen": gettext_lazy("Reopened."),
}
PRIMARY_ORDER = ("start", "resume", "resolve", "close")
NOTE_HINTS = {
    "ask_shop": gettext_lazy("What the shop should send or do (the shop sees this)."),
    "resolve": gettext_lazy("What was done (the shop sees this)."),
    "reopen": gettext_lazy("Why the request is reopened (the shop sees this)."),
}
SUPPORT_LABELS = {
    "start": gettext_lazy("Start"),
    "done": gettext_lazy("Mark done"),
    "cancel": gettext_lazy("Cancel task"),
}


def staff_of(request: HttpRequest) -> User:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.REQUEST_VIEW)
    return request.user


# --- SLA clocks as shown ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    key: str  # "response" | "resolution"
    label: str
    state: ClockState
    level: str  # ok | warn | late (running), paused, met | missed (stopped for good)
    percent: int  # of the target used, capped at 100
    left: str  # "2 h 15 min": remaining, or how late
    used: str  # business time used so far
    target: str
    ticker: str  # "02:15:07", counted down by requests.js
    tick_s: int  # business seconds passing in the next TICK_WINDOW (0: the clock stands still)

    @property
    def running(self) -> bool:
        return self.level in ("ok", "warn", "late")


def span(seconds: int) -> str:
    """Business time as hours and minutes ("1 h 5 min"); the sign is left to the sentence."""
    minutes = abs(seconds) // 60
    if not minutes:
        return _("under a minute")
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


def hms(seconds: int) -> str:
    sign = "−" if seconds < 0 else ""
    minutes, secs = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"


def clock_view(key: str, state: ClockState, *, now: datetime | None = None) -> ClockView:
    """One clock with its colour; with ``now``, how long the page may count it down."""
    if state.done_at is not None:
        level = "missed" if state.breached else "met"
    elif state.paused:
        level = "paused"
    elif state.breached:
        level = "late"
    elif state.fraction >= WARN_FRACTION:
        level = "warn"
    else:
        level = "ok"
    tick = 0
    if now is not None and level in ("ok", "warn", "late"):
        calendar = clock.company_calendar()
        if calendar.is_working_time(now):
            tick = calendar.business_seconds(now, now + TICK_WINDOW)
    label = _("First response") if key == "response" else _("Resolution")
    return ClockView(
        key=key,
        label=label,
        state=state,
        level=level,
        percent=min(100, round(state.fraction * 100)),
        left=span(state.remaining_s),
        used=span(state.elapsed_s),
        target=span(state.target_s),
        ticker=hms(state.remaining_s),
        tick_s=tick,
    )


def relevant_clock(request: ServiceRequest, now: datetime) -> ClockView:
    """The clock the owner races now: first response until answered, then resolution."""
    clocks = selectors.clocks(request, now)
    if request.first_response_at is None and request.is_open:
        return clock_view("response", clocks.response)
    return clock_view("resolution", clocks.resolution)
