"""Survey waves: open one for a target group, answer it (save and resume, submit once), remind.

One response per invitation. A submission repeated with the same answers (a double tap, a
replayed link) returns the stored response; different answers after submitting are refused and
change nothing. In an anonymous wave the response is found again by a keyed digest of its
invitation, never by a link the data could follow back to the shop.
"""

import secrets
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from customers.models import BusinessType, District, Grid, MarketType, Segment
from engines.servqual.stats import sample_size_for_margin
from flexserve import background, policy
from flexserve.errors import Conflict, Invalid
from flexserve.policy import Perm, Role
from quality import tasks
from quality.answers import CleanAnswer, QuestionSpec, check_answers
from quality.errors import SurveyClosed, SurveyNotFound, SurveyNotOpen
from quality.models import Answer, Instrument, Invitation, Question, Response, Wave
from quality.selectors import receipt_for, stored_answers, stored_response, target_shops
from servicedesk import outbox

NAME_LIMIT = 100
STAFF_ROLES = (Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF)


class AlreadyAnswered(Conflict):
    code = "already_answered"
    message = gettext_lazy(
        "This survey has already been answered; the stored answers cannot be changed."
    )


# --- Waves ----------------------------------------------------------------------------------


def check_target(target: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    if target in (None, ""):
        return {}
    if not isinstance(target, dict):
        errors["target"] = [_("The target group is not valid.")]
        return {}
    clean: dict[str, Any] = {}
    choices = {
        "segments": Segment.values,
        "business_types": BusinessType.values,
        "market_types": MarketType.values,
    }
    for key, allowed in choices.items():
        values = target.get(key) or []
        if not isinstance(values, list) or any(v not in allowed for v in values):
            errors[key] = [_("Choose from the listed values.")]
        elif values:
            clean[key] = sorted(set(values))
    for key, model in (("districts", District), ("grids", Grid)):
        values = target.get(key) or []
        ids = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
        if not isinstance(values, list) or len(ids) != len(values):
            errors[key] = [_("Choose from the listed values.")]
        elif ids and model.objects.filter(pk__in=ids).count() != len(ids):
            errors[key] = [_("Some of these no longer exist.")]
        elif ids:
            clean[key] = sorted(ids)
    served = [target.get("served_from"), target.get("served_to")]
    if any(served):
        try:
            start, end = (datetime.fromisoformat(v).date() for v in served)
        except (TypeError, ValueError):
            errors["served_from"] = [_("Give both dates of the service period.")]
        else:
            if end < start:
                errors["served_to"] = [_("The period ends before it starts.")]
            clean["served_from"], clean["served_to"] = start.isoformat(), end.isoformat()
    unknown = set(target) - set(choices) - {"districts", "grids", "served_from", "served_to"}
    if unknown:
        errors["target"] = [
            _("Unknown target fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        ]
    return clean


@transaction.atomic
def wave_create(
    *,
    actor: User,
    instrument_id: int,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    target: dict[str, Any] | None = None,
    anonymous: bool = False,
    audience: str = Wave.Audience.SHOPS,
) -> Wave:
    """Create a wave and invite its target group; invitations are sent when it opens."""
    policy.require(actor, Perm.QUALITY_MANAGE)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > NAME_LIMIT:
        errors["name"] = [_("Give a name of at most %(limit)s characters.") % {"limit": NAME_LIMIT}]
    instrument = Instrument.objects.filter(pk=instrument_id, is_active=True).first()
    if instrument is None:
        errors["instrument"] = [_("Choose an active survey instrument.")]
    if audience not in Wave.Audience.values:
        errors["audience"] = [_("Choose who answers.")]
    elif audience == Wave.Audience.STAFF and instrument and instrument.kind != "servqual":
        errors["audience"] = [_("Only a SERVQUAL survey can be answered by staff for shops.")]
    if not isinstance(opens_at, datetime) or not isinstance(closes_at, datetime):
        errors["opens_at"] = [_("Give the opening and closing times.")]
    elif closes_at <= opens_at:
        errors["closes_at"] = [_("The survey must close after it opens.")]
    elif closes_at <= timezone.now():
        errors["closes_at"] = [_("The closing time has already passed.")]
    clean_target = check_target(target, errors)
    if errors:
        raise Invalid(fields=errors)
    if audience == Wave.Audience.SHOPS:
        recipients = list(target_shops(clean_target).values_list("pk", flat=True))
    else:
        recipients = list(
            User.objects.filter(role__in=STAFF_ROLES, is_active=True).values_list("pk", flat=True)
        )
    if not recipients:
        raise Invalid(fields={"target": [_("No one is in this target group.")]})
    wave = Wave.objects.create(
        instrument=instrument,
        name=name,
        audience=audience,
        target=clean_target,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymous=bool(anonymous),
        invited=len(recipients),
        sample_needed=sample_size_for_margin(0.05, 0.95, population=len(recipients)),
        created_by=actor,
    )
    now = timezone.now()
    key = "shop_id" if audience == Wave.Audience.SHOPS else "staff_id"
    Invitation.objects.bulk_create(
        [
            Invitation(wave=wave, token=secrets.token_urlsafe(32), invited_at=now, **{key: pk})
            for pk in recipients
        ],
        batch_size=2000,
    )
    audit_record(actor=actor, action="wave_created", target=wave, note=name)
    if opens_at <= now:  # the worker sends the invitations; the manager does not wait for them
        background.enqueue(tasks.notify_open_waves_task)
    return wave


def _recipient(invitation: Invitation) -> User | None:
    if invitation.staff_id:
        return invitation.staff
    return invitation.shop.owner_account if invitation.shop else None


def _send(invitation: Invitation, *, reminder: bool) -> bool:
    recipient = _recipient(invitation)
    if recipient is None or not recipient.is_active:
        return False
    wave = invitation.wave
    subject = (
        _("Reminder: please answer the survey “%(name)s”")
        if reminder
        else _("Please answer the survey “%(name)s”")
    ) % {"name": wave.name}
    body = _("It takes about five minutes and is open until %(until)s.") % {
        "until": timezone.localtime(wave.closes_at).strftime("%Y-%m-%d %H:%M")
    }
    url = reverse("portal:survey_answer", args=[invitation.token])
    outbox.notify(recipient, subject=subject, body=body, url=url, email=False)
    return True


def notify_open_waves(*, batch: int = 1000) -> int:
    """Send the invitations of open waves not yet sent (run by the scheduler; idempotent)."""
    now = timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            due = list(
                # of=self: PostgreSQL cannot lock the nullable side of the joins (shop, staff)
                Invitation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("wave", "shop__owner_account", "staff")
                .filter(notified_at__isnull=True, wave__opens_at__lte=now, wave__closes_at__gt=now)
                .order_by("pk")[:batch]
            )
            if not due:
                return sent
            for invitation in due:
                sent += _send(invitation, reminder=False)
            Invitation.objects.filter(pk__in=[i.pk for i in due]).update(notified_at=now)


@transaction.atomic
def wave_remind(*, actor: User, wave_id: int) -> int:
    """Remind the invited who have not answered (only them); returns how many were reminded."""
    policy.require(actor, Perm.QUALITY_MANAGE)
    wave = policy.get_visible(actor, Wave, wave_id)
    now = timezone.now()
    if now >= wave.closes_at:
        raise SurveyClosed()
    if now < wave.opens_at:
        raise SurveyNotOpen()
    pending = list(
        Invitation.objects.select_related("wave", "shop__owner_account", "staff").filter(
            wave=wave, responded_at__isnull=True
        )
    )
    reminded = [i.pk for i in pending if _send(i, reminder=True)]
    Invitation.objects.filter(pk__in=reminded).update(reminded_at=now)
    audit_record(actor=actor, action="wave_reminded", target=wave, note=str(len(reminded)))
    return len(reminded)


# --- Answering ------------------------------------------------------------------------------


SPECS_CACHE_SECONDS = 600


def specs_cache_key(instrument_id: int) -> str:
    return f"quality:specs:{instrument_id}"


def question_specs(instrument: Instrument) -> tuple[list[Question], list[QuestionSpec], tuple]:
    """The instrument's questions, their specs and its dimension codes. Cached: every answer
    needs them; a saved or deleted question or dimension drops the entry (quality/apps.py)."""
    key = specs_cache_key(instrument.pk)
    cached = cache.get(key)
    if cached is None:
        cached = _question_specs(instrument)
        cache.set(key, cached, SPECS_CACHE_SECONDS)
    return cached


def _question_specs(instrument: Instrument) -> tuple[list[Question], list[QuestionSpec], tuple]:
    questions = list(instrument.questions.order_by("position"))
    specs = [
        QuestionSpec(
            q.code, q.kind, q.scale_min, q.scale_max, q.required, tuple(q.choices), q.show_if
        )
        for q in questions
    ]
    dimensions = tuple(instrument.dimensions.order_by("position").values_list("code", flat=True))
    return questions, specs, dimensions


def invitation_for(actor: User, token: str, *, for_update: bool = False) -> Invitation:
    """The invitation behind a survey link, if it is the actor's own; SurveyNotFound otherwise."""
    policy.require(actor, Perm.SURVEY_ANSWER if actor.is_shop_owner else Perm.QUALITY_VIEW)
    qs = Invitation.objects.select_related("wave__instrument", "shop__grid")
    if for_update:
        qs = qs.select_for_update(of=("self",))  # not the joined shop and grid (nullable)
    invitation = qs.filter(token=token or "").first()
    if invitation is None:
        raise SurveyNotFound()
    # the shop is joined already: its owner account needs no further query
    own_shop = invitation.shop_id and invitation.shop.owner_account_id == actor.pk
    own_staff = invitation.staff_id and invitation.staff_id == actor.pk
    if not (own_shop or own_staff):
        raise SurveyNotFound()
    return invitation


def _same(clean: list[CleanAnswer], stored: dict[str, Any]) -> bool:
    def shape(a: CleanAnswer) -> Any:
        if a.expectation is not None or a.perception is not None:
            return {"e": a.expectation, "p": a.perception}
        if a.points is not None:
            return a.points
        return a.text if a.value is None else a.value

    return {a.code: shape(a) for a in clean} == {k: v for k, v in stored.items() if v not in ("",)}


def _new_response(
    invitation: Invitation, channel: str, now: datetime, *, submitted: bool
) -> Response:
    shop = invitation.shop
    wave = invitation.wave
    response = Response(
        wave=wave,
        invitation=None if wave.anonymous else invitation,
        receipt=receipt_for(invitation),
        state=Response.State.SUBMITTED if submitted else Response.State.DRAFT,
        channel=channel,
        started_at=now,
        submitted_at=now if submitted else None,
    )
    if shop is not None:
        response.segment, response.grid_id = shop.segment, shop.grid_id
        response.district_id = shop.grid.district_id if shop.grid_id else None
        response.business_type, response.market_type = shop.business_type, shop.market_type
        response.account_manager_id = shop.account_manager_id
    else:
        response.account_manager_id = invitation.staff_id
    response.save()
    return response


def _write_answers(
    response: Response, questions: list[Question], clean: list[CleanAnswer], *, replace: bool
):
    by_code = {q.code: q for q in questions}
    if replace:  # a saved draft's answers give way to the new ones
        Answer.objects.filter(response=response).delete()
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=by_code[a.code],
            value=a.value,
            expectation=a.expectation,
            perception=a.perception,
            points=a.points,
            text=a.text,
        )
        for a in clean
    )


def record_answers(
    invitation: Invitation, given: dict[str, Any], *, submit: bool, channel: str = "portal"
) -> Response:
    """Check and store one invitation's answers (the invitation locked by the caller)."""
    now = timezone.now()
    wave = invitation.wave
    if now < wave.opens_at:
        raise SurveyNotOpen()
    questions, specs, dimensions = question_specs(wave.instrument)
    if not isinstance(given, dict):
        raise Invalid(fields={"answers": [_("The answers are not valid.")]})
    clean, errors = check_answers(specs, given, dimensions=dimensions, submit=submit)
    response = stored_response(invitation)
    if invitation.responded_at is not None:
        # Submitted already: the same answers again (a replay) get the stored response.
        if response is not None and not errors and _same(clean, stored_answers(response)):
            return response
        raise AlreadyAnswered()
    if now >= wave.closes_at:
        raise SurveyClosed()
    if errors:
        raise Invalid(fields=errors)
    created = response is None
    if created:
        response = _new_response(invitation, channel, now, submitted=submit)
    _write_answers(response, questions, clean, replace=not created)
    if submit:
        if not created:
            response.state, response.submitted_at = Response.State.SUBMITTED, now
            response.save(update_fields=["state", "submitted_at"])
        invitation.responded_at = now
        invitation.save(update_fields=["responded_at"])
    return response


@transaction.atomic
def response_save(
    *, actor: User, token: str, answers: dict[str, Any], submit: bool = False
) -> Response:
    """Save a draft (``submit=False``, only what is given is checked) or submit the answers."""
    invitation = invitation_for(actor, token, for_update=True)
    return record_answers(invitation, answers, submit=submit)
