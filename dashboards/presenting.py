"""How every dashboard page writes its figures: values, units, the change against the previous
period, the freshness stamp and the query strings of its links. Views of each dashboard import
these; nothing here reads the database."""

import datetime
from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import User
from dashboards import selectors
from dashboards.forms import DashboardFilterForm, filter_params
from dashboards.models import REFRESH_INTERVAL
from flexserve import policy
from flexserve.errors import NotFound
from flexserve.policy import Perm

# The dashboards, in the order of the tab bar: URL name and label.
TABS = (
    ("dashboards", pgettext_lazy("dashboard tab", "Service")),
    ("dashboards_staff", gettext_lazy("Staff")),
    ("dashboards_satisfaction", gettext_lazy("Satisfaction")),
    ("dashboards_servqual", gettext_lazy("SERVQUAL gaps")),
    ("dashboards_initiatives", gettext_lazy("Initiatives and classes")),
)


def viewer(request: HttpRequest) -> User:
    """The signed-in user, who must be allowed the console and the quality figures."""
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.QUALITY_VIEW)
    return request.user


def query(filters: selectors.DashboardFilters, **extra: str) -> str:
    return urlencode(filter_params(filters) | extra)


def stamp(refreshed_at: datetime.datetime | None) -> dict[str, Any]:
    return {
        "refreshed_at": refreshed_at,
        "stale": selectors.is_stale(refreshed_at),
        "interval_min": int(REFRESH_INTERVAL.total_seconds() // 60),
    }


def value_text(value: float | int | None, kind: str) -> str:
    """A figure as shown: shares as percentages, hours and scores with one decimal."""
    if value is None:
        return "–"
    if kind == "share":
        return f"{100 * value:.1f}"
    if kind in ("hours", "points"):
        return f"{value:.1f}"
    if kind == "score":  # a gap or a change of a mean: signed, two decimals
        return f"{value:+.2f}"
    if kind == "signed" and value > 0:
        return f"+{value:,}"
    return f"{value:,}"


def unit(kind: str) -> str:
    return {"share": "%", "hours": _("h")}.get(kind, "")


def change(now: float | None, before: float | None, kind: str, better: str) -> dict | None:
    """The change against the previous period: an arrow, the amount, and whether it is good."""
    if now is None or before is None:
        return None
    if kind == "share":
        amount = round(100 * (now - before), 1)
        text = _("%(points)s pts") % {"points": f"{abs(amount):.1f}"}
    elif kind == "hours":
        amount = round(now - before, 1)
        text = _("%(hours)s h") % {"hours": f"{abs(amount):.1f}"}
    elif kind == "score":
        amount = round(now - before, 2)
        text = f"{abs(amount):.2f}"
    elif kind == "points":
        amount = round(now - before, 1)
        text = f"{abs(amount):.1f}"
    elif kind == "count" and before:
        amount = round(100 * (now - before) / before, 1)
        text = f"{abs(amount):.1f} %"
    else:
        amount = now - before
        text = f"{abs(amount):,}"
    if amount == 0:
        return {"arrow": "", "text": text, "tone": "neutral", "direction": "same"}
    direction = "up" if amount > 0 else "down"
    tone = "neutral" if not better else "good" if direction == better else "bad"
    return {"arrow": "▲" if amount > 0 else "▼", "text": text, "tone": tone, "direction": direction}


def tile(
    *,
    key: str,
    label: Any,
    kind: str,
    better: str,
    now: float | int | None,
    before: float | int | None,
    link: str,
    link_label: Any,
) -> dict[str, Any]:
    """One tile of a dashboard: the figure, the previous period's, the change and its list."""
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "value": value_text(now, kind),
        "unit": unit(kind) if now is not None else "",
        "previous": value_text(before, kind),
        "previous_unit": unit(kind) if before is not None else "",
        "change": change(now, before, kind, better),
        "link": link,
        "link_label": link_label,
    }


def export_number(value: float | int | None, kind: str) -> float | int | None:
    """A figure for a spreadsheet: a number (shares in percent), never text."""
    if value is None:
        return None
    if kind == "share":
        return round(100 * value, 1)
    if kind in ("hours", "score"):
        return round(value, 2)
    if kind == "points":
        return round(value, 1)
    return value


def period_text(filters: selectors.DashboardFilters) -> str:
    return f"{filters.since.isoformat()} – {filters.until.isoformat()}"


def list_page(
    request: HttpRequest,
    *,
    param: str,
    titles: dict[str, Any],
    read: Callable[[User, selectors.DashboardFilters, str], Any],
    per_page: int = 50,
) -> dict[str, Any]:
    """The context every page listing the records behind a figure shares: the figure's key
    from ``?<param>=`` (unknown → 404), the filter bar, one page of ``read(user, filters, key)``
    and the links that keep both."""
    user = viewer(request)
    key = request.GET.get(param, "")
    if key not in titles:
        raise NotFound()
    form = DashboardFilterForm(request.GET, user=user)
    filters = form.filters()
    page = Paginator(read(user, filters, key), per_page).get_page(request.GET.get("page"))
    return {
        "form": form,
        "filters": filters,
        param: key,
        "title": titles[key],
        "page": page,
        "query": query(filters, **{param: key}),
        "back_query": query(filters),
        "keep": [(param, key)],
        "reset_query": urlencode({param: key}),
    }


def tabs(current: str, filters: selectors.DashboardFilters) -> list[dict[str, Any]]:
    """The tab bar: every dashboard, with the same filters, the current one marked."""
    return [
        {
            "label": label,
            "url": f"{reverse('console:' + name)}?{query(filters)}",
            "current": name == current,
        }
        for name, label in TABS
    ]
