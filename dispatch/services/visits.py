"""Writes of a visit on site: check in, check out with the outcome, photos.

Only the staff member a job is assigned to checks in, on the job's day; the server clock stamps
the times. Check-out records the outcome, closes the job (done, or missed when the visit could
not be made) and, for a job raised from a service request, notes the visit on that request.
Every function validates first and writes in one transaction: bad input changes nothing, and no
photo file stays behind.
"""

import math
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from dispatch.models import (
    Job,
    JobEvent,
    JobState,
    VisitOutcome,
    VisitPhoto,
    VisitReport,
)
from flexserve import policy
from flexserve.errors import AppError, Conflict, Forbidden, Invalid
from flexserve.policy import Perm

MAX_PHOTOS = 6
# Beyond this from the shop a check-in still counts, but is flagged for the dispatcher.
FAR_FROM_SHOP_M = 1000
MAX_TEXT = 4000
EARTH_RADIUS_M = 6_371_008.8


class NotYourVisit(Forbidden):
    code = "visit_not_yours"
    message = gettext_lazy("This visit is assigned to someone else.")


class VisitNotToday(Conflict):
    code = "visit_not_today"
    message = gettext_lazy("This visit is not planned for today.")


class VisitNotOpen(Conflict):
    code = "visit_not_open"
    message = gettext_lazy("This visit is no longer open.")


class AlreadyCheckedIn(Conflict):
    code = "visit_checked_in"
    message = gettext_lazy("You have already checked in to this visit.")


class NotCheckedIn(Conflict):
    code = "visit_not_checked_in"
    message = gettext_lazy("Check in to this visit first.")


class AlreadyCheckedOut(Conflict):
    code = "visit_checked_out"
    message = gettext_lazy("This visit is already closed.")


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a))))


def distance_from_shop(job: Job, latitude, longitude) -> int | None:
    """Metres between a stamped position and the job's shop; None without a position."""
    if latitude is None or longitude is None:
        return None
    shop = job.shop
    return distance_m(
        float(latitude), float(longitude), float(shop.latitude), float(shop.longitude)
    )


def _coordinate(value, limit: int, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or not -limit <= number <= limit:
        errors[field] = [
            _("Enter a number between %(low)s and %(high)s.") % {"low": -limit, "high": limit}
        ]
        return None
    return number


def _position(latitude, longitude, errors: dict[str, list[str]]) -> tuple[Decimal | None, ...]:
    """The stamped position (both coordinates or neither), validated into ``errors``."""
    lat = _coordinate(latitude, 90, "latitude", errors)
    lng = _coordinate(longitude, 180, "longitude", errors)
    if (lat is None) != (lng is None) and "latitude" not in errors and "longitude" not in errors:
        errors["latitude"] = [_("Give both latitude and longitude, or neither.")]
    if lat is None or lng is None:
        return None, None
    return lat, lng


def _locked_job(actor: User, job_id: int) -> Job:
    policy.require(actor, Perm.VISIT_WORK)
    job = policy.get_visible(actor, Job, job_id, for_update=True)  # 404 out of scope
    if job.assignee_id != actor.pk:
        # A colleague of the territory sees the job, but only its assignee works it.
        raise NotYourVisit()
    return job


def _position_data(job: Job, lat: Decimal | None, lng: Decimal | None) -> dict:
    distance = distance_from_shop(job, lat, lng)
    if distance is None:
        return {"position": False}
    return {
        "position": True,
        "latitude": str(lat),
        "longitude": str(lng),
        "distance_m": distance,
        "far": distance > FAR_FROM_SHOP_M,
    }


def check_in_refusal(actor: User, job: Job) -> AppError | None:
    """Why ``actor`` may not check in to ``job`` now, or None when they may: the one rule that
    ``check_in`` enforces and the field pages use to offer the button."""
    if job.assignee_id != actor.pk:
        return NotYourVisit()
    if job.state in (JobState.IN_PROGRESS, JobState.DONE, JobState.MISSED) or hasattr(
        job, "report"
    ):
        return AlreadyCheckedIn()
    if job.state not in (JobState.PLANNED, JobState.OPEN):
        return VisitNotOpen()
    if (job.planned_day or job.day) != timezone.localdate():
        return VisitNotToday()
    return None


@transaction.atomic
def check_in(
    actor: User, job_id: int, *, latitude: float | None, longitude: float | None
) -> VisitReport:
    """Check in to the actor's own visit of today: time from the server, position if given."""
    job = _locked_job(actor, job_id)
    refusal = check_in_refusal(actor, job)
    if refusal is not None:
        raise refusal
    errors: dict[str, list[str]] = {}
    lat, lng = _position(latitude, longitude, errors)
    if errors:
        raise Invalid(fields=errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            report = VisitReport.objects.create(
                job=job, staff=actor, checked_in_at=now, in_latitude=lat, in_longitude=lng
            )
    except IntegrityError:
        # The job row is locked, so only a report written outside this path gets here.
        raise AlreadyCheckedIn() from None
    job.state = JobState.IN_PROGRESS
    job.version += 1
    job.save(update_fields=["state", "version", "updated_at"])
    JobEvent.objects.create(
        job=job, kind=JobEvent.Kind.CHECKED_IN, actor=actor, data=_position_data(job, lat, lng)
    )
    return report


def _text(value: str | None, field: str, errors: dict[str, list[str]], *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = [_("This field is required.")]
    elif len(text) > MAX_TEXT:
        errors[field] = [_("Enter at most %(n)s characters.") % {"n": MAX_TEXT}]
    return text


def _checked_photos(
    photos: Sequence[UploadedFile], errors: dict[str, list[str]]
) -> list[tuple[UploadedFile, str]]:
    """Photos sniffed by decoding (servicedesk's check: JPEG, PNG, WebP, 5 MB each)."""
    from flexserve.images import check_images

    try:
        return check_images(photos, max_files=MAX_PHOTOS)
    except Invalid as exc:
        errors.update(exc.fields)
        return []


def _request_note(job: Job, report: VisitReport) -> str:
    outcome = VisitOutcome(report.outcome).label
    lines = [
        _("Visit to %(shop)s on %(day)s: %(outcome)s.")
        % {
            "shop": job.shop.name,
            "day": timezone.localtime(report.checked_in_at).strftime("%Y-%m-%d %H:%M"),
            "outcome": outcome,
        }
    ]
    if report.work_done:
        lines.append(_("What was done: %(text)s") % {"text": report.work_done})
    if report.coaching:
        lines.append(_("Coaching given: %(text)s") % {"text": report.coaching})
    return "\n".join(lines)


@transaction.atomic
def check_out(
    actor: User,
    job_id: int,
    *,
    latitude,
    longitude,
    outcome: str,
    work_done: str,
    coaching: str,
    shop_summary: str = "",
    photos: Sequence[UploadedFile] = (),
) -> VisitReport:
    """Close the actor's visit: outcome, what was done, coaching, up to 6 photos (5 MB each).

    ``shop_summary`` is the one text the shop reads in its portal; the rest stays internal.
    The job becomes done (outcome "done") or missed (the others). A job raised from a service
    request gets an internal note on that request.
    """
    job = _locked_job(actor, job_id)
    report = VisitReport.objects.filter(job=job).first()
    if report is None:
        raise NotCheckedIn()
    if report.staff_id != actor.pk:
        raise NotYourVisit()
    if report.checked_out_at is not None or job.state != JobState.IN_PROGRESS:
        raise AlreadyCheckedOut()
    errors: dict[str, list[str]] = {}
    if outcome not in VisitOutcome.values:
        errors["outcome"] = [_("Choose an outcome.")]
    work_done = _text(work_done, "work_done", errors, required=outcome == VisitOutcome.DONE)
    coaching = _text(coaching, "coaching", errors, required=False)
    shop_summary = _text(shop_summary, "shop_summary", errors, required=False)
    lat, lng = _position(latitude, longitude, errors)
    checked = _checked_photos(list(photos), errors)
    if errors:
        raise Invalid(fields=errors)

    report.checked_out_at = timezone.now()
    report.out_latitude, report.out_longitude = lat, lng
    report.outcome, report.work_done, report.coaching = outcome, work_done, coaching
    report.shop_summary = shop_summary
    report.save()
    done = outcome == VisitOutcome.DONE
    job.state = JobState.DONE if done else JobState.MISSED
    job.version += 1
    job.save(update_fields=["state", "version", "updated_at"])
    data = _position_data(job, lat, lng) | {"outcome": outcome, "photos": len(checked)}
    JobEvent.objects.create(job=job, kind=JobEvent.Kind.CHECKED_OUT, actor=actor, data=data)
    if not done:
        JobEvent.objects.create(
            job=job, kind=JobEvent.Kind.MISSED, actor=actor, data={"outcome": outcome}
        )
    if job.request_id:
        from servicedesk.services import comment_add

        # Internal: the staff's notes and coaching are for colleagues; the shop sees the job.
        comment_add(
            actor=actor, request_id=job.request_id, body=_request_note(job, report), internal=True
        )
    _save_photos(report, checked)  # last: nothing after it can fail and strand the files
    return report


def _save_photos(report: VisitReport, checked: list[tuple[UploadedFile, str]]) -> None:
    saved: list[VisitPhoto] = []
    try:
        for upload, content_type in checked:
            saved.append(
                VisitPhoto.objects.create(
                    report=report, file=upload, content_type=content_type, size=upload.size
                )
            )
    except Exception:
        for photo in saved:
            photo.file.delete(save=False)
        raise
