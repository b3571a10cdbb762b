"""/api/quality: surveys and satisfaction ratings for shops; waves and results for staff.

A shop's token sees only its own invitations and ratings; an anonymous wave's answers are never
returned with a shop. Results hide every group under five respondents.
"""

from datetime import date, datetime
from typing import Any

from ninja import Field, Query, Router, Schema

from quality import funnels, reports, selectors
from quality.models import Wave
from quality.services import csat, initiatives, surveys

router = Router()


class OpenSurveyOut(Schema):
    token: str
    name: str
    closes_at: datetime
    started: bool = Field(..., description="a draft is saved: answering resumes it")


class QuestionOut(Schema):
    code: str
    kind: str = Field(..., description="ep | scale | nps | csat | choice | points | text")
    text: str
    expectation_text: str
    dimension: str | None
    scale_min: int
    scale_max: int
    low_label: str
    high_label: str
    required: bool
    choices: list[str]
    show_if: dict[str, Any]


class SurveyOut(Schema):
    token: str
    name: str
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    dimensions: list[dict[str, str]]
    questions: list[QuestionOut]
    answers: dict[str, Any] = Field(..., description="what is stored (a draft or the submission)")
    submitted: bool


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(
        ...,
        description='by question code: ep {"e": 1-7, "p": 1-7}; scale/nps/csat/choice an '
        "integer; points {dimension code: points} summing to 100; text a string",
    )
    submit: bool = Field(False, description="false saves a draft (only given answers checked)")


class ResponseOut(Schema):
    state: str
    submitted_at: datetime | None


class RatingOut(Schema):
    id: int
    source: str
    request_id: int | None
    job_id: int | None
    contact_at: datetime
    expires_at: datetime
    score: int | None
    reason: str
    comment: str
    rated_at: datetime | None


class RateIn(Schema):
    score: int = Field(..., description="1-5")
    reason: str = Field("", description="required when the score is 3 or less")
    comment: str = Field("", max_length=1000)


class WaveIn(Schema):
    instrument_id: int
    name: str
    opens_at: datetime
    closes_at: datetime
    target: dict[str, Any] = Field(
        default_factory=dict,
        description="segments, business_types, market_types (codes); districts, grids (ids); "
        "served_from, served_to (dates): shops served in that period. Empty: all shops",
    )
    anonymous: bool = False
    audience: str = Field(Wave.Audience.SHOPS, description="shops | staff")


class WaveOut(Schema):
    id: int
    name: str
    instrument_id: int
    opens_at: datetime
    closes_at: datetime
    anonymous: bool
    invited: int
    sample_needed: int = Field(..., description="responses needed for ±5 points at 95 %")


@router.get("/surveys", response=list[OpenSurveyOut])
def list_open_surveys(request):
    return selectors.open_surveys(user=request.user)


def _survey(invitation) -> dict[str, Any]:
    wave = invitation.wave
    questions, _specs, _dims = surveys.question_specs(wave.instrument)
    stored = selectors.stored_response(invitation)
    return {
        "token": invitation.token,
        "name": wave.name,
        "anonymous": wave.anonymous,
        "opens_at": wave.opens_at,
        "closes_at": wave.closes_at,
        "dimensions": [{"code": d.code, "name": d.name} for d in wave.instrument.dimensions.all()],
        "questions": [
            QuestionOut(
                code=q.code,
                kind=q.kind,
                text=q.text,
                expectation_text=q.expectation_text,
                dimension=q.dimension.code if q.dimension_id else None,
                scale_min=q.scale_min,
                scale_max=q.scale_max,
                low_label=q.low_label,
                high_label=q.high_label,
                required=q.required,
                choices=list(q.choices),
                show_if=q.show_if,
            )
            for q in questions
        ],
        "answers": selectors.stored_answers(stored),
        "submitted": invitation.responded_at is not None,
    }


@router.get("/surveys/{token}", response=SurveyOut)
def get_survey(request, token: str):
    return _survey(surveys.invitation_for(request.user, token))


@router.post("/surveys/{token}", response=ResponseOut)
def answer_survey(request, token: str, payload: AnswersIn):
    """Save a draft or submit. The same submission again returns the stored one (200); other
    answers after submitting are refused (409 already_answered)."""
    return surveys.response_save(
        actor=request.user, token=token, answers=payload.answers, submit=payload.submit
    )


@router.get("/ratings", response=list[RatingOut])
def list_pending_ratings(request):
    return list(selectors.pending_ratings(user=request.user))


@router.post("/ratings/{rating_id}", response=RatingOut)
def rate_contact(request, rating_id: int, payload: RateIn):
    return csat.csat_rate(
        actor=request.user,
        rating_id=rating_id,
        score=payload.score,
        reason=payload.reason,
        comment=payload.comment,
    )


@router.post("/waves", response={201: WaveOut})
def create_wave(request, payload: WaveIn):
    wave = surveys.wave_create(actor=request.user, **payload.dict())
    return 201, wave


class ReportFilters(Schema):
    by: str | None = Field(None, description="segment | district | grid | staff | market_type")
    compare_to: int | None = Field(None, description="another wave of the same questionnaire")


@router.get("/waves/{wave_id}/servqual")
def servqual_results(request, wave_id: int, filters: Query[ReportFilters]):
    """Gaps (P − E) by dimension with 95 % intervals, alpha, the importance–performance grid
    and, with ``by``, the breakdown; groups under 5 respondents show no figures."""
    report = reports.servqual_report(
        user=request.user, wave_id=wave_id, by=filters.by, compare_to=filters.compare_to
    )
    return report


@router.get("/waves/{wave_id}/nps")
def nps_results(request, wave_id: int, filters: Query[ReportFilters]):
    """NPS (% 9–10 − % 0–6, in points) with its 95 % interval, only from questions marked NPS;
    with ``by``, per group (groups under 5 respondents show no figures)."""
    return reports.nps_report(user=request.user, wave_id=wave_id, by=filters.by)


@router.get("/loyalty")
def loyalty(request):
    """Per shop class: licence kept, ordering regularly, using services (last 13 weeks) beside
    its CSAT."""
    return selectors.loyalty_by_class(user=request.user)


class InitiativeIn(Schema):
    code: str
    name: str
    type: str = Field(..., description="basic | standard | extended | emotional")
    starts_on: date
    ends_on: date
    owner_id: int
    description: str = ""
    target: dict[str, Any] = Field(default_factory=dict, description="as a wave's target group")
    channels: list[str] = Field(default_factory=list)
    service_item_id: int | None = None


class GoalIn(Schema):
    metric: str = Field(..., description="awareness | interest | experience | perception")
    baseline: float = Field(..., description="a share, 0–1")
    target: float = Field(..., description="a share, 0–1")
    starts_on: date
    deadline: date
    owner_id: int


def _initiative_out(initiative) -> dict[str, Any]:
    return {
        "id": initiative.pk,
        "code": initiative.code,
        "name": initiative.name,
        "type": initiative.type,
        "target": initiative.target,
        "channels": initiative.channels,
        "service_item_id": initiative.service_item_id,
        "starts_on": initiative.starts_on,
        "ends_on": initiative.ends_on,
        "owner_id": initiative.owner_id,
    }


@router.get("/initiatives")
def list_initiatives(request):
    return [_initiative_out(i) for i in funnels.initiative_list(user=request.user)]


@router.post("/initiatives", response={201: dict})
def create_initiative(request, payload: InitiativeIn):
    initiative = initiatives.initiative_create(actor=request.user, **payload.dict())
    return 201, _initiative_out(initiative)


@router.post("/initiatives/{initiative_id}/goals", response={201: dict})
def add_goal(request, initiative_id: int, payload: GoalIn):
    goal = initiatives.goal_set(actor=request.user, initiative_id=initiative_id, **payload.dict())
    return 201, {
        "id": goal.pk,
        "metric": goal.metric,
        "baseline": goal.baseline,
        "target": goal.target,
        "deadline": goal.deadline,
    }


@router.get("/initiatives/{initiative_id}/funnel")
def initiative_funnel(request, initiative_id: int):
    """Survey funnels per wave, before/after (two-proportion z per stage; McNemar on the same
    shops), the event funnel with each stage's source, goals with their status, type history."""
    report = funnels.initiative_report(user=request.user, initiative_id=initiative_id)

    def wave_out(wave) -> dict[str, Any]:
        return {"id": wave.pk, "name": wave.name, "opens_at": wave.opens_at}

    comparison = report["comparison"]
    return {
        "initiative": _initiative_out(report["initiative"]),
        "funnels": [{**f, "wave": wave_out(f["wave"])} for f in report["funnels"]],
        "comparison": comparison
        and {
            **comparison,
            "before": wave_out(comparison["before"]),
            "after": wave_out(comparison["after"]),
        },
        "events": report["events"],
        "goals": [
            {
                "metric": row["goal"].metric,
                "baseline": row["goal"].baseline,
                "target": row["goal"].target,
                "deadline": row["goal"].deadline,
                "owner_id": row["goal"].owner_id,
                "current": row["current"],
                "status": row["status"],
            }
            for row in report["goals"]
        ],
        "history": [
            {"from": h.from_type, "to": h.to_type, "reason": h.reason, "at": h.changed_at}
            for h in report["history"]
        ],
    }
