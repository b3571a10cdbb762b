"""Shop portal pages for service quality: my surveys, answer one (save and resume, submit once),
rate a contact (1–5 stars).

Thin: ``services.surveys`` and ``services.csat`` check and store, ``selectors`` read, these views
turn the form into the answers the services take and render. Form fields are named after the
question codes: ``t1__e`` / ``t1__p`` (expectation / perception), ``points__tangibles`` (one per
dimension), ``comment``. The services' errors come back keyed by question code and are shown
beside each question. Another shop's survey link or rating answers 404 (SurveyNotFound /
NotFound, rendered by ``AppErrorMiddleware``).
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from quality import selectors
from quality.answers import is_shown
from quality.errors import AlreadyRated, RatingExpired, SurveyClosed, SurveyNotOpen
from quality.models import CsatRating, Invitation, Question
from quality.services import csat, surveys
from quality.services.surveys import AlreadyAnswered

# The two answers of a SERVQUAL item, in the order the form asks them.
SIDES = ("e", "p")


def _shop_owner(request: HttpRequest) -> User:
    policy.require(request.user, Perm.PORTAL_USE)
    policy.require(request.user, Perm.SURVEY_ANSWER)
    return request.user


def _shown(value: Any) -> str:
    """A stored or entered answer as the form compares it: a string, "" for nothing."""
    return "" if value is None else str(value)


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    """The shop's open surveys (continue a started one), contacts to rate, ratings given."""
    user = _shop_owner(request)
    context = {
        "surveys": selectors.open_surveys(user=user),
        "pending": list(selectors.pending_ratings(user=user)),
        "rated": list(selectors.my_ratings(user=user)),
    }
    return render(request, "quality/portal_surveys.html", context)


# --- Answering a survey ---------------------------------------------------------------------


def answers_from_post(
    data: QueryDict, questions: list[Question], dimensions: tuple[str, ...]
) -> dict[str, Any]:
    """The answers dict ``response_save`` takes, from the form; empty fields are left out."""
    given: dict[str, Any] = {}
    for question in questions:
        code = question.code
        if question.kind == Question.Kind.EXPECTATION_PERCEPTION:
            sides = {s: data.get(f"{code}__{s}", "").strip() for s in SIDES}
            if any(sides.values()):
                given[code] = {s: v for s, v in sides.items() if v}
        elif question.kind == Question.Kind.POINTS:
            points = {d: data.get(f"{code}__{d}", "").strip() for d in dimensions}
            if any(points.values()):
                given[code] = {d: v for d, v in points.items() if v}
        else:
            value = data.get(code, "")
            if value.strip():
                given[code] = value if question.kind == Question.Kind.TEXT else value.strip()
    return given


@dataclass
class QuestionView:
    """One question as the page shows it: its entered or stored answer as strings, its errors."""

    question: Question
    number: int
    heading: str  # the dimension's name on the first question of a dimension, else ""
    shown: bool
    errors: list[str]
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    value: str = ""  # scale, nps, csat, choice, text
    sides: dict[str, str] = field(default_factory=dict)  # ep: {"e": "6", "p": ""}
    points: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, value)
    points_total: int = 0
    complete: bool = False
    counted: bool = False  # part of the "answered N / M" progress
    show_if_question: str = ""  # shown only when that question's answer is one of show_if_in
    show_if_in: str = ""  # comma-separated, for survey.js

    @property
    def choice_label(self) -> str:
        return dict(self.options).get(self.value, "")


def _whole(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


def _question_view(
    question: Question,
    number: int,
    heading: str,
    raw: Any,
    errors: list[str],
    dimension_names: list[tuple[str, str]],
    shown: bool,
) -> QuestionView:
    view = QuestionView(question, number, heading, shown, [str(m) for m in errors])
    if question.show_if:
        view.show_if_question = str(question.show_if.get("question", ""))
        view.show_if_in = ",".join(str(v) for v in question.show_if.get("in", []))
    kind = question.kind
    if kind == Question.Kind.EXPECTATION_PERCEPTION:
        raw = raw if isinstance(raw, dict) else {}
        view.sides = {s: _shown(raw.get(s)) for s in SIDES}
        view.options = [(str(n), str(n)) for n in range(question.scale_min, question.scale_max + 1)]
        view.complete = all(view.sides.values())
    elif kind == Question.Kind.POINTS:
        raw = raw if isinstance(raw, dict) else {}
        view.points = [(code, name, _shown(raw.get(code))) for code, name in dimension_names]
        view.points_total = sum(_whole(value) for _, _, value in view.points)
        view.complete = bool(raw)
    elif kind == Question.Kind.CHOICE:
        view.options = [(str(i), str(label)) for i, label in enumerate(question.choices)]
        view.value = _shown(raw)
        view.complete = bool(view.value)
    elif kind == Question.Kind.TEXT:
        view.value = _shown(raw)
        view.complete = bool(view.value.strip())
    else:
        view.options = [(str(n), str(n)) for n in range(question.scale_min, question.scale_max + 1)]
        view.value = _shown(raw)
        view.complete = bool(view.value)
    return view


def _survey_page(
    request: HttpRequest,
    invitation: Invitation,
    *,
    given: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    wave = invitation.wave
    instrument = wave.instrument
    questions, specs, _codes = surveys.question_specs(instrument)
    dimensions = list(instrument.dimensions.order_by("position"))
    dimension_names = [(d.code, d.name) for d in dimensions]
    names_by_id = {d.pk: d.name for d in dimensions}
    answered = invitation.responded_at is not None
    response = selectors.stored_response(invitation)
    if answered or given is None:
        given = selectors.stored_answers(response)
    errors = errors or {}
    now = timezone.now()
    if answered:
        state = "answered"
    elif now < wave.opens_at:
        state = "not_open"
    elif now >= wave.closes_at:
        state = "closed"
    else:
        state = "open"

    items: list[QuestionView] = []
    previous_dimension = None
    for number, (question, spec) in enumerate(zip(questions, specs, strict=True), start=1):
        heading = ""
        if question.dimension_id and question.dimension_id != previous_dimension:
            heading = names_by_id.get(question.dimension_id, "")
        previous_dimension = question.dimension_id
        items.append(
            _question_view(
                question,
                number,
                heading,
                given.get(question.code),
                errors.get(question.code, []),
                dimension_names,
                is_shown(spec, given),
            )
        )
    # Progress counts the E/P items when the survey has them (已答 N / 22), else every question.
    counted = [i for i in items if i.question.kind == Question.Kind.EXPECTATION_PERCEPTION]
    counted = counted or items
    for item in counted:
        item.counted = True
    by_code = {i.question.code: i for i in items}
    # Errors not tied to a question of this form (a malformed request) still reach the summary.
    other_errors = [str(m) for code, ms in errors.items() if code not in by_code for m in ms]
    context = {
        "invitation": invitation,
        "wave": wave,
        "instrument": instrument,
        "state": state,
        "items": items,
        "error_items": [i for i in items if i.errors],
        "other_errors": other_errors,
        "problem": problem,
        "draft_saved_at": response.started_at if response is not None and not answered else None,
        "progress_done": sum(1 for i in counted if i.complete),
        "progress_total": len(counted),
        "progress_counts_ep": counted is not items,
        "submitted_at": response.submitted_at if response is not None else None,
    }
    return render(request, "quality/portal_survey_answer.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """One survey: the questions (prefilled from a draft), or the answers once submitted."""
    # A shop owner's own shop's invitation, or a staff member's own one (a staff wave's link
    # points here too); anything else is SurveyNotFound (404).
    invitation = surveys.invitation_for(request.user, token)
    if request.method == "GET":
        return _survey_page(request, invitation)
    submit = request.POST.get("action") == "submit"  # anything else (Enter in a field) saves
    questions, _specs, dimensions = surveys.question_specs(invitation.wave.instrument)
    given = answers_from_post(request.POST, questions, dimensions)
    try:
        surveys.response_save(actor=request.user, token=token, answers=given, submit=submit)
    except Invalid as exc:
        return _survey_page(request, invitation, given=given, errors=exc.fields, status=422)
    except (SurveyClosed, SurveyNotOpen, AlreadyAnswered) as exc:
        invitation.refresh_from_db(fields=["responded_at"])
        return _survey_page(
            request, invitation, given=given, problem=exc.render_message(), status=exc.status
        )
    if submit:
        messages.success(request, _("Thank you! Your answers have been submitted."))
    else:
        messages.success(request, _("Draft saved. You can come back and finish it later."))
    return redirect("portal:survey_answer", token=token)


# --- Rating a contact -----------------------------------------------------------------------

STAR_LABELS = {
    1: gettext_lazy("Very dissatisfied"),
    2: gettext_lazy("Dissatisfied"),
    3: gettext_lazy("Neutral"),
    4: gettext_lazy("Satisfied"),
    5: gettext_lazy("Very satisfied"),
}


def _star_labels() -> list[tuple[str, str]]:
    return [(str(n), str(label)) for n, label in STAR_LABELS.items()]


def _rating_page(
    request: HttpRequest,
    rating: CsatRating,
    *,
    entered: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    if rating.rated_at is not None:
        state = "rated"
    elif now >= rating.expires_at:
        state = "expired"
    else:
        state = "open"
    entered = entered or {"score": "", "reason": "", "comment": ""}
    errors = {key: [str(m) for m in ms] for key, ms in (errors or {}).items()}
    context = {
        "rating": rating,
        "state": state,
        "entered": entered,
        "errors": errors,
        "problem": problem,
        "stars": _star_labels(),
        "reasons": CsatRating.Reason.choices,
        "low_score": csat.LOW_SCORE,
        "comment_limit": csat.COMMENT_LIMIT,
        "stored_label": dict(_star_labels()).get(_shown(rating.score), ""),
    }
    return render(request, "quality/portal_rating.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rating(request: HttpRequest, rating_id: int) -> HttpResponse:
    """Rate one contact 1–5 stars (a reason when 3 or fewer), or see the rating given."""
    user = _shop_owner(request)
    found = selectors.rating_get(user=user, rating_id=rating_id)
    if request.method == "GET":
        return _rating_page(request, found)
    entered = {key: request.POST.get(key, "") for key in ("score", "reason", "comment")}
    try:
        csat.csat_rate(actor=user, rating_id=found.pk, **entered)
    except Invalid as exc:
        return _rating_page(request, found, entered=entered, errors=exc.fields, status=422)
    except (AlreadyRated, RatingExpired) as exc:
        found = selectors.rating_get(user=user, rating_id=rating_id)
        return _rating_page(
            request, found, entered=entered, problem=exc.render_message(), status=exc.status
        )
    messages.success(request, _("Thank you for your rating!"))
    return redirect("portal:rating", rating_id=found.pk)
