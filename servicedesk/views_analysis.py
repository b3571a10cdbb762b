"""The process-analysis page (ECRS) for dispatchers and service managers.

Where the business time of finished requests goes, by type and stage, and what to try first at
the slowest stage. One GET page: the filter form swaps the results with htmx; the charts read a
``json_script`` blob (static/js/analysis.js) built here with labels in the page's language.
"""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from customers import selectors as customer_selectors
from customers.models import Segment
from flexserve import policy
from flexserve.policy import Perm
from flexserve.web import is_htmx
from servicedesk import analysis
from servicedesk import selectors as request_selectors

# Chart colours: waiting in amber, processing in the brand green; the slowest stage in red.
WAIT_COLOR, WORK_COLOR = "#e0a526", "#0b6e4f"
SLOW_WAIT_COLOR, SLOW_WORK_COLOR = "#f19a8e", "#b42318"
TIME_PART_COLORS = {
    "staff_waiting": "#e0a526",
    "staff_working": "#0b6e4f",
    "support": "#7c3aed",
    "shop_waiting": "#1d4ed8",
    "confirmation": "#9aa5b1",
}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AnalysisFilterForm(forms.Form):
    since = forms.DateField(label=pgettext_lazy("date range", "From"), widget=_date_input())
    until = forms.DateField(label=pgettext_lazy("date range", "To"), widget=_date_input())
    type = forms.ChoiceField(label=gettext_lazy("Request type"), required=False)
    segment = forms.ChoiceField(label=gettext_lazy("Shop class"), required=False)
    district = forms.TypedChoiceField(
        label=gettext_lazy("District"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data: QueryDict, *, types, districts) -> None:
        super().__init__(data)
        everything = [("", _("All"))]
        self.fields["type"].choices = everything + list(types)
        self.fields["segment"].choices = everything + list(Segment.choices)
        self.fields["district"].choices = everything + [(d.pk, d.name) for d in districts]

    @classmethod
    def for_request(cls, request: HttpRequest) -> "AnalysisFilterForm":
        """The form bound to the query, the default date range filling what is left blank."""
        data = request.GET.copy()
        since, until = analysis.default_range()
        if not data.get("since"):
            data["since"] = since.isoformat()
        if not data.get("until"):
            data["until"] = until.isoformat()
        english = (translation.get_language() or "").startswith("en")
        types = [
            (t.code, (t.name_en or t.name) if english else t.name)
            for t in request_selectors.request_types()
        ]
        districts = customer_selectors.district_list(user=request.user)
        return cls(data, types=types, districts=districts)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("The end date comes before the start date."))
            elif (until - since).days > analysis.MAX_DAYS:
                self.add_error("since", _("Choose a range of at most two years."))
        return cleaned

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``analysis.process_analysis``; the defaults when invalid."""
        if not self.is_valid():
            since, until = analysis.default_range()
            return {"since": since, "until": until}
        data = self.cleaned_data
        return {
            "since": data["since"],
            "until": data["until"],
            "request_type": data["type"] or None,
            "segment": data["segment"] or None,
            "district_id": data["district"],
        }


def _stage_view(summary: analysis.TypeSummary) -> dict[str, Any]:
    """One type's ranked stages for the horizontal bar chart (median hours; p90 as a marker).

    Only the stages the verdict compares are drawn, so the longest bar is the stage marked slowest
    (confirmation, not compared, stays in the table)."""
    return {
        "name": summary.label,
        "count": summary.count,
        "rows": [
            {
                "stage": stage.label,
                "wait": stage.wait.median or 0,
                "work": (stage.work.median or 0) if stage.work else None,
                "wait_p90": stage.wait.p90,
                "work_p90": stage.work.p90 if stage.work else None,
                "p90": stage.total.p90 or 0,
                "slowest": stage.slowest,
            }
            for stage in summary.stages
            if stage.ranked
        ],
    }


def _stage_views(summary: analysis.StageSummary) -> list[analysis.TypeSummary]:
    """What the stage chart can show: all types together, then each type (one type: just it)."""
    if len(summary.types) == 1:
        return summary.types
    return [summary.overall, *summary.types]


def _chart_data(
    result: analysis.Analysis, stage_views: list[analysis.TypeSummary]
) -> dict[str, Any]:
    return {
        "labels": {
            "waiting": _("Waiting (median)"),
            "processing": _("Processing (median)"),
            "p90": _("p90 (waiting + processing)"),
            "slowest": _("slowest"),
            "hours": _("hours"),
            "hours_unit": _("h"),
            "requests": _("Requests"),
            "median_resolution": _("Median resolution"),
            "p90_resolution": _("p90 resolution"),
            "waiting_p90": _("Waiting p90"),
            "processing_p90": _("Processing p90"),
        },
        "colors": {
            "wait": WAIT_COLOR,
            "work": WORK_COLOR,
            "slow_wait": SLOW_WAIT_COLOR,
            "slow_work": SLOW_WORK_COLOR,
        },
        "stages": [_stage_view(s) for s in stage_views],
        "trend": {
            "weeks": [date_format(w.start, "m-d") for w in result.weeks],
            "titles": [
                _("Week of %(day)s (%(week)s)")
                % {"day": date_format(w.start, "Y-m-d"), "week": w.label}
                for w in result.weeks
            ],
            "count": [w.count for w in result.weeks],
            "median": [w.resolution.median for w in result.weeks],
            "p90": [w.resolution.p90 for w in result.weeks],
        },
        "split": [
            {
                "name": part.label,
                "value": part.hours,
                "pct": part.pct,
                "color": TIME_PART_COLORS[part.code],
            }
            for part in result.time_split
        ],
    }


@login_required
@require_GET
def process_analysis(request: HttpRequest) -> HttpResponse:
    """Stage times by request type, the weekly trend and where the time goes; GET filters."""
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.REQUEST_ANALYSIS)
    form = AnalysisFilterForm.for_request(request)
    result = analysis.process_analysis(request.user, **form.filters())
    stage_views = _stage_views(result.summary)
    context: dict[str, Any] = {
        "form": form,
        "result": result,
        "overall": result.summary.overall,
        "stage_views": stage_views,
        "chart_data": _chart_data(result, stage_views),
        "min_for_verdict": analysis.MIN_FOR_VERDICT,
    }
    if is_htmx(request):
        response = render(request, "servicedesk/analysis_results.html", context)
        # The address bar shows the filters in use, not every empty field of the form.
        query = QueryDict(mutable=True)
        for key, value in request.GET.items():
            if value.strip():
                query[key] = value
        response["HX-Push-Url"] = f"{request.path}?{query.urlencode()}" if query else request.path
    else:
        response = render(request, "servicedesk/analysis.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
