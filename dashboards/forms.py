"""The dashboards' filter bar: a GET form read into ``selectors.DashboardFilters``."""

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import User
from customers import selectors as customer_selectors
from customers.models import Segment
from dashboards import selectors
from servicedesk import selectors as request_selectors
from servicedesk.forms_console import type_label
from servicedesk.models import Channel


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _optional_id(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, required=False, coerce=int, empty_value=None)


class DashboardFilterForm(forms.Form):
    since = forms.DateField(label=pgettext_lazy("date range", "From"), widget=_date_input())
    until = forms.DateField(label=pgettext_lazy("date range", "To"), widget=_date_input())
    district = _optional_id(gettext_lazy("District"))
    grid = _optional_id(gettext_lazy("Grid"))
    segment = forms.ChoiceField(label=gettext_lazy("Shop class"), required=False)
    staff = _optional_id(gettext_lazy("Staff member"))
    type = _optional_id(gettext_lazy("Request type"))
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)

    def __init__(self, data: QueryDict, *, user: User) -> None:
        data = data.copy()
        # Blank dates mean the default period (the last 30 days).
        for key, default in zip(("since", "until"), selectors.default_period(), strict=True):
            if not data.get(key):
                data[key] = default.isoformat()
        super().__init__(data)
        everything = [("", _("All"))]
        scope = selectors.grid_scope(user)
        grids = customer_selectors.grid_list(user=user).order_by("district__name", "name")
        if scope is not None:
            grids = grids.filter(pk__in=scope)
        self.fields["district"].choices = everything + [
            (d.pk, d.name) for d in customer_selectors.district_list(user=user)
        ]
        self.fields["grid"].choices = everything + [(g.pk, str(g)) for g in grids]
        self.fields["segment"].choices = everything + list(Segment.choices)
        self.fields["staff"].choices = everything + [
            (u.pk, str(u)) for u in request_selectors.assignable_staff(user)
        ]
        self.fields["type"].choices = everything + [
            (t.pk, type_label(t)) for t in request_selectors.request_types()
        ]
        self.fields["channel"].choices = everything + list(Channel.choices)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("The end date comes before the start date."))
            elif (until - since).days >= selectors.MAX_DAYS:
                self.add_error("since", _("Choose a period of at most two years."))
        return cleaned

    def filters(self) -> selectors.DashboardFilters:
        """The filters asked for; the default period (and no filter) when the form is invalid."""
        if not self.is_valid():
            since, until = selectors.default_period()
            return selectors.DashboardFilters(since=since, until=until)
        data = self.cleaned_data
        return selectors.DashboardFilters(
            since=data["since"],
            until=data["until"],
            district_id=data["district"],
            grid_id=data["grid"],
            segment=data["segment"] or "",
            request_type_id=data["type"],
            channel=data["channel"] or "",
            assignee_id=data["staff"],
        )


def filter_params(filters: selectors.DashboardFilters) -> dict[str, str]:
    """The query parameters that ask for ``filters`` (for links and the export)."""
    params = {"since": filters.since.isoformat(), "until": filters.until.isoformat()}
    optional = {
        "district": filters.district_id,
        "grid": filters.grid_id,
        "segment": filters.segment,
        "staff": filters.assignee_id,
        "type": filters.request_type_id,
        "channel": filters.channel,
    }
    params |= {key: str(value) for key, value in optional.items() if value}
    return params
