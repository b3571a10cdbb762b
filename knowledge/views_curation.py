"""Console pages of the Q&A curation: the open questions clustered, one click per cluster (new
entry, similar phrasings of an entry, dismiss), and the deflection charts.

Thin: check the permission, parse the input, call ``knowledge.curation`` (reads) or
``knowledge.services.curation`` (writes), render. A refused action answers 422 (bad input) or 409
(someone else handled the questions first) and changes nothing; the htmx forms swap the cluster
card either way (the page's htmx config swaps those two statuses).
"""

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flexserve import policy
from flexserve.errors import AppError, Forbidden, Invalid
from flexserve.policy import Perm
from flexserve.web import filter_query, is_htmx, scope_errors_pass
from knowledge import curation as selectors
from knowledge.errors import NothingToCurate
from knowledge.forms import EntryContentForm
from knowledge.models import Category, Entry
from knowledge.services import curation as services

CLUSTERS_PER_PAGE = 30
# Deflection chart colours: the brand green for what the Q&A settled, amber and red for the rest.
COLORS = {
    "self_service": "#0b6e4f",
    "answered": "#3f8f6b",
    "helpful": "#1d4ed8",
    "live": "#7c3aed",
    "suggested": "#e0a526",
    "handover": "#b42318",
}


def _curator(request: HttpRequest) -> None:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.KNOWLEDGE_EDIT)


def _choice_or(value: str | None, allowed, default):
    return value if value in allowed else default


class QueueFilterForm(forms.Form):
    weeks = forms.TypedChoiceField(
        label=gettext_lazy("Asked in the last"),
        coerce=int,
        choices=[(n, gettext_lazy("%(n)s weeks") % {"n": n}) for n in selectors.WEEK_CHOICES],
        initial=selectors.DEFAULT_WEEKS,
    )
    reason = forms.ChoiceField(label=gettext_lazy("Why open"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)

    def __init__(self, data: QueryDict) -> None:
        bound = data.copy()
        bound["weeks"] = _choice_or(
            data.get("weeks"), [str(n) for n in selectors.WEEK_CHOICES], selectors.DEFAULT_WEEKS
        )
        bound["reason"] = _choice_or(data.get("reason"), selectors.REASONS, "")
        bound["category"] = _choice_or(data.get("category"), Category.values, "")
        super().__init__(bound)
        self.fields["reason"].choices = [("", _("All")), *selectors.REASON_LABELS.items()]
        self.fields["category"].choices = [("", _("All")), *Category.choices]

    def filters(self) -> dict[str, Any]:
        self.is_valid()  # unknown values were replaced by the defaults above
        data = self.cleaned_data
        return {"weeks": data["weeks"], "reason": data["reason"], "category": data["category"]}


def _page_size(params: QueryDict) -> int:
    raw = params.get("show", "")
    return max(CLUSTERS_PER_PAGE, min(int(raw), 2000)) if raw.isdigit() else CLUSTERS_PER_PAGE


def _queue_context(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    form = QueueFilterForm(params)
    filters = form.filters()
    queue = selectors.curation_queue(user=request.user, **filters)
    shown = _page_size(params)
    query = filter_query(params, drop=("show",))
    return {
        "form": form,
        "weeks": filters["weeks"],
        "queue": queue,
        "clusters": queue.clusters[:shown],
        "hidden_clusters": max(0, len(queue.clusters) - shown),
        "more_query": f"{query}&show={shown + CLUSTERS_PER_PAGE}".lstrip("&"),
        "next": f"{request.path}?{query}" if query else request.path,
        "entry_choices": policy.visible(
            request.user, Entry.objects.filter(status=Entry.Status.PUBLISHED)
        )
        .order_by("code")
        .values_list("code", "question"),
    }


@login_required
@require_GET
def curation(request: HttpRequest) -> HttpResponse:
    """The open questions of the last weeks, clustered; GET filters (htmx swaps the results)."""
    _curator(request)
    if selectors.snapshot_is_stale(selectors.snapshot_latest()):
        # The page only reads: an old or missing clustering is recomputed in the background.
        services.curation_snapshot_request()
    context = _queue_context(request, request.GET)
    if is_htmx(request):
        response = render(request, "knowledge/curation_results.html", context)
        query = filter_query(request.GET)
        response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
    else:
        response = render(request, "knowledge/curation.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def curation_refresh(request: HttpRequest) -> HttpResponse:
    """Recompute the clustering now (in the background); back to the queue."""
    _curator(request)
    if services.curation_snapshot_request(actor=request.user) is not None:
        messages.success(request, _("Grouping the open questions again. This takes a moment."))
    else:
        messages.info(request, _("The open questions are already being grouped again."))
    return redirect(_back_to(request))


# --- Actions on one cluster ---------------------------------------------------------------------


def _weeks_of(params: QueryDict) -> int:
    raw = params.get("weeks", "")
    return int(raw) if raw in [str(n) for n in selectors.WEEK_CHOICES] else selectors.DEFAULT_WEEKS


def _safe_next(request: HttpRequest, raw: str | None) -> str:
    """Where the queue was left (its filters), when that is a page of this site."""
    if raw and url_has_allowed_host_and_scheme(raw, {request.get_host()}):
        return raw
    return reverse("console:curation")


def _back_to(request: HttpRequest) -> str:
    return _safe_next(request, request.POST.get("next"))


def _picked_code(raw: str) -> str:
    """The entry code of the picker's text: a picked entry reads "code · question", a typed one
    is the bare code; the service checks that the entry exists and is not archived."""
    return raw.partition("·")[0].strip()


def _refused(request: HttpRequest, error: AppError, *, at: str) -> HttpResponse:
    """A refused action: the cluster card again with the message (htmx), or the queue page."""
    scope_errors_pass(error)
    raw_ids = request.POST.get("turns", "")
    weeks = _weeks_of(request.POST)
    cluster = None
    if not isinstance(error, Forbidden):
        try:
            ids = services.parse_turn_ids(raw_ids)
        except Invalid:
            ids = []
        cluster = selectors.curation_cluster(user=request.user, turn_ids=ids, weeks=weeks)
    context = {
        "error": error,
        "error_at": at,
        "posted_code": request.POST.get("entry_code", ""),
        "cluster": cluster,
        "weeks": weeks,
        "next": _back_to(request),
    }
    if is_htmx(request):
        template = "knowledge/_cluster.html" if cluster else "knowledge/_cluster_done.html"
        return render(request, template, context, status=error.status)
    context |= _queue_context(request, QueryDict(_back_to(request).partition("?")[2]))
    context["page_error"] = error
    return render(request, "knowledge/curation.html", context, status=error.status)


def _done(request: HttpRequest, notice: str, *, entry: Entry | None = None) -> HttpResponse:
    if is_htmx(request):
        context = {"notice": notice, "entry": entry}
        return render(request, "knowledge/_cluster_done.html", context)
    messages.success(request, notice)
    return redirect(_back_to(request))


@login_required
@require_POST
def curation_phrasings(request: HttpRequest) -> HttpResponse:
    """Add the cluster's distinct questions to an entry as similar phrasings."""
    _curator(request)
    try:
        entry = services.curation_add_phrasings(
            actor=request.user,
            turn_ids=services.parse_turn_ids(request.POST.get("turns", "")),
            entry_code=_picked_code(request.POST.get("entry_code", "")),
        )
    except AppError as exc:
        return _refused(request, exc, at="phrasings")
    notice = _("Added to entry %(code)s as similar phrasings: %(question)s") % {
        "code": entry.code,
        "question": entry.question,
    }
    return _done(request, notice, entry=entry)


@login_required
@require_POST
def curation_dismiss(request: HttpRequest) -> HttpResponse:
    """Nothing to add: the cluster's questions leave the queue."""
    _curator(request)
    try:
        count = services.curation_dismiss(
            actor=request.user, turn_ids=services.parse_turn_ids(request.POST.get("turns", ""))
        )
    except AppError as exc:
        return _refused(request, exc, at="dismiss")
    notice = ngettext("%(n)s question dismissed.", "%(n)s questions dismissed.", count)
    return _done(request, notice % {"n": count})


# --- A new entry from a cluster -----------------------------------------------------------------


class CurationEntryForm(EntryContentForm):
    """The new entry, prefilled from the cluster; ``clean_entry`` checks the content again."""

    turns = forms.CharField(widget=forms.HiddenInput)
    weeks = forms.IntegerField(widget=forms.HiddenInput, required=False)
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def entry_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name] for name in ("question", "phrasings", "answer", "category", "tags")
        }


def _new_context(
    request: HttpRequest, form: CurationEntryForm, ids: list[int], weeks: int
) -> dict[str, Any]:
    cluster = selectors.curation_cluster(user=request.user, turn_ids=ids, weeks=weeks)
    return {
        "form": form,
        "cluster": cluster,
        "weeks": weeks,
        "next": _safe_next(request, form["next"].value()),
    }


@login_required
@require_http_methods(["GET", "POST"])
def curation_new(request: HttpRequest) -> HttpResponse:
    """GET ``?turns=…``: the create form prefilled from the cluster; POST saves the entry and
    marks the cluster's questions as added."""
    _curator(request)
    params = request.GET if request.method == "GET" else request.POST
    weeks = _weeks_of(params)
    try:
        ids = services.parse_turn_ids(params.get("turns", ""))
    except Invalid as exc:
        return render(request, "error.html", {"error": exc}, status=exc.status)
    if request.method == "GET":
        cluster = selectors.curation_cluster(user=request.user, turn_ids=ids, weeks=weeks)
        initial = {"turns": ",".join(map(str, ids)), "weeks": weeks}
        initial["next"] = params.get("next", "")
        if cluster is not None:
            initial |= {
                "question": cluster.label,
                "phrasings": "\n".join(cluster.phrasings),
                "category": cluster.category,
            }
        form = CurationEntryForm(initial=initial)
        context = _new_context(request, form, ids, weeks)
        if cluster is None:
            context["page_error"] = NothingToCurate()
            return render(request, "knowledge/curation_new.html", context, status=409)
        return render(request, "knowledge/curation_new.html", context)
    form = CurationEntryForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            entry = services.curation_add_entry(
                actor=request.user,
                turn_ids=ids,
                data=form.entry_data(),
                code=form.cleaned_data["code"],
            )
        except AppError as exc:
            scope_errors_pass(exc)
            form.add_app_error(exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("Entry %(code)s created from %(n)s questions: %(question)s")
                % {"code": entry.code, "n": len(ids), "question": entry.question},
            )
            return redirect(_back_to(request))
    context = _new_context(request, form, ids, weeks)
    if status == 409:
        context["page_error"] = NothingToCurate()
    return render(request, "knowledge/curation_new.html", context, status=status)


# --- Deflection ---------------------------------------------------------------------------------


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DeflectionFilterForm(forms.Form):
    since = forms.DateField(label=pgettext_lazy("date range", "From"), widget=_date_input())
    until = forms.DateField(label=pgettext_lazy("date range", "To"), widget=_date_input())

    @classmethod
    def for_request(cls, request: HttpRequest) -> "DeflectionFilterForm":
        data = request.GET.copy()
        since, until = selectors.deflection_default_range()
        data.setdefault("since", since.isoformat())
        data.setdefault("until", until.isoformat())
        for key, value in ((k, data.get(k)) for k in ("since", "until")):
            if not value:
                data[key] = (since if key == "since" else until).isoformat()
        return cls(data)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("The end date comes before the start date."))
            elif (until - since).days > selectors.MAX_DEFLECTION_DAYS:
                self.add_error("since", _("Choose a range of at most two years."))
        return cleaned

    def range(self) -> tuple[datetime.date, datetime.date]:
        if not self.is_valid():
            return selectors.deflection_default_range()
        return self.cleaned_data["since"], self.cleaned_data["until"]


def _week_label(week: dict[str, Any]) -> str:
    return date_format(datetime.date.fromisoformat(week["start"]), "m-d")


def _chart(rows: list[dict], labels: list[str], *series: tuple[str, Any, str]) -> dict[str, Any]:
    """One chart: ``series`` are (name, the row's figure — a key or a function, colour key)."""

    def figure(row: dict, pick: Any) -> Any:
        return pick(row) if callable(pick) else row[pick]

    return {
        "labels": labels,
        "series": [
            {"name": name, "data": [figure(r, pick) for r in rows], "color": COLORS[colour]}
            for name, pick, colour in series
        ],
    }


def _charts(stats: dict[str, Any]) -> dict[str, Any]:
    """The charts as static/js/app.js draws them: labels and series."""
    weeks = stats["weeks"]
    labels = [_week_label(w) for w in weeks]
    categories = stats["categories"]
    return {
        "rates": _chart(
            weeks,
            labels,
            (_("Self-service %"), "self_service_pct", "self_service"),
            (_("Answered %"), "answered_pct", "answered"),
            (_("Helpful %"), "helpful_pct", "helpful"),
        ),
        "volume": _chart(
            weeks,
            labels,
            (_("Knowledge base"), lambda w: w["answered"] - w["live"], "answered"),
            (_("Own records"), "live", "live"),
            (_("Suggested"), "suggested", "suggested"),
            (_("Handed over"), "handover_turns", "handover"),
        ),
        "shares": _chart(
            weeks,
            labels,
            (_("Handed over %"), "handover_pct", "handover"),
            (_("Own records %"), "live_pct", "live"),
        ),
        "categories": _chart(
            categories,
            [c["label"] for c in categories],
            (_("Answered"), "answered", "answered"),
            (_("Suggested"), "suggested", "suggested"),
            (_("Handed over"), "handover_turns", "handover"),
        ),
    }


@login_required
@require_GET
def deflection(request: HttpRequest) -> HttpResponse:
    """Deflection by ISO week and by category over a date range (default: the last 12 weeks)."""
    policy.require(request.user, Perm.CONSOLE_USE)
    if not policy.has_perm(request.user, Perm.REQUEST_ANALYSIS):
        policy.require(request.user, Perm.KNOWLEDGE_EDIT)
    form = DeflectionFilterForm.for_request(request)
    since, until = form.range()
    stats = selectors.deflection_stats(user=request.user, since=since, until=until)
    context = {
        "form": form,
        "stats": stats,
        "totals": stats["totals"],
        "weeks": [w | {"label": _week_label(w)} for w in stats["weeks"]],
        "charts": _charts(stats),
        "can_curate": policy.has_perm(request.user, Perm.KNOWLEDGE_EDIT),
    }
    if is_htmx(request):
        response = render(request, "knowledge/deflection_results.html", context)
        query = filter_query(request.GET)
        response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
    else:
        response = render(request, "knowledge/deflection.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
