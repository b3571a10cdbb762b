"""/api/dispatch: bookings for shops, the day's route for field staff, plans for dispatchers.

A shop's token sees and books only for its own shop; field staff check in and out of their own
jobs; planning, moving and publishing need the dispatcher's permission (flexserve.policy).
"""

from datetime import date, datetime, time

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dispatch import booking_selectors, field_selectors, selectors
from dispatch.models import Job, Plan
from dispatch.services import availability, bookings, planning, routine, urgent, visits
from dispatch.services.visits import MAX_TEXT
from flexserve import policy
from flexserve.schemas import Day, Id

router = Router()


class WindowOut(Schema):
    start: datetime
    end: datetime
    open: bool = Field(..., description="false: no staff member can keep this window any more")


class WindowsQuery(Schema):
    shop_id: Id
    service_item_id: Id
    day: Day


@router.get("/windows", response=list[WindowOut], summary="Windows a shop can book on a day")
def windows(request, query: Query[WindowsQuery]):
    return bookings.offered_windows(request.user, query.shop_id, query.service_item_id, query.day)


class JobOut(Schema):
    id: int
    shop_id: int
    shop_name: str
    kind: str
    state: str
    service_item: str = Field(..., description="the service item's code")
    service_item_name: str
    duration_min: int
    window_start: datetime | None
    window_end: datetime | None
    due_on: date | None
    planned_day: date | None
    planned_start: datetime | None
    staff: str | None = Field(None, description="who will come (when known)")
    note: str
    version: int


def _job_out(job: Job) -> dict:
    return {
        "id": job.pk,
        "shop_id": job.shop_id,
        "shop_name": job.shop.name,
        "kind": job.kind,
        "state": job.state,
        "service_item": job.service_item.code,
        "service_item_name": job.service_item.name,
        "duration_min": job.duration_min,
        "window_start": job.window_start,
        "window_end": job.window_end,
        "due_on": job.due_on,
        "planned_day": job.planned_day,
        "planned_start": job.planned_start,
        "staff": str(job.assignee) if job.assignee_id else None,
        "note": job.note,
        "version": job.version,
    }


def _visible_job(request, job_id: int) -> Job:
    qs = Job.objects.select_related("shop", "service_item", "assignee")
    return policy.get_visible(request.user, Job, job_id, qs=qs)


@router.get(
    "/bookings", response=list[JobOut], summary="Bookings you can see: upcoming first, then past"
)
def booking_list(request, shop_id: Id | None = None):
    listed = booking_selectors.booking_list(request.user, shop_id=shop_id)
    return [_job_out(row.job) for row in [*listed.upcoming, *listed.past]]


class BookIn(Schema):
    shop_id: int
    service_item_id: int
    window_start: datetime = Field(..., description="the start of one of the offered windows")
    note: str = Field("", max_length=300)


@router.post("/bookings", response={201: JobOut}, summary="Book a visit in an offered window")
def book(request, payload: BookIn):
    job = bookings.book(
        request.user,
        shop_id=payload.shop_id,
        service_item_id=payload.service_item_id,
        window_start=payload.window_start,
        note=payload.note,
    )
    return Status(201, _job_out(_visible_job(request, job.pk)))


@router.get("/jobs/{job_id}", response=JobOut, summary="One job (a booking or a visit)")
def job_detail(request, job_id: int):
    return _job_out(_visible_job(request, job_id))


class RescheduleIn(Schema):
    window_start: datetime


@router.post("/bookings/{job_id}/reschedule", response=JobOut, summary="Move a booking")
def reschedule(request, job_id: int, payload: RescheduleIn):
    bookings.reschedule(request.user, job_id, window_start=payload.window_start)
    return _job_out(_visible_job(request, job_id))


class CancelIn(Schema):
    reason: str = Field("", max_length=300)


@router.post("/bookings/{job_id}/cancel", response=JobOut, summary="Cancel a booking")
def cancel(request, job_id: int, payload: CancelIn):
    bookings.cancel(request.user, job_id, reason=payload.reason)
    return _job_out(_visible_job(request, job_id))


class StopOut(Schema):
    job: JobOut
    seq: int
    start: datetime | None = Field(None, description="planned start")
    end: datetime | None = Field(None, description="planned end")
    address: str
    latitude: float
    longitude: float
    checked_in_at: datetime | None
    checked_out_at: datetime | None


@router.get("/my-day", response=list[StopOut], summary="Field staff: my route of a day")
def my_day(request, day: Day | None = None):
    stops = field_selectors.my_day(request.user, day or timezone.localdate())
    return [
        {
            "job": _job_out(stop.job),
            "seq": stop.seq,
            "start": stop.planned_start,
            "end": stop.planned_end,
            "address": stop.address,
            "latitude": stop.lat,
            "longitude": stop.lng,
            "checked_in_at": stop.report.checked_in_at if stop.report else None,
            "checked_out_at": stop.report.checked_out_at if stop.report else None,
        }
        for stop in stops
    ]


class PositionIn(Schema):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class CheckOutIn(PositionIn):
    outcome: str
    work_done: str = Field("", max_length=2000)
    coaching: str = Field("", max_length=2000)
    # The one text of the report the shop reads in its portal; the two above stay internal.
    shop_summary: str = Field("", max_length=MAX_TEXT)


class ReportOut(Schema):
    job_id: int
    state: str
    checked_in_at: datetime
    checked_out_at: datetime | None
    outcome: str
    work_done: str
    coaching: str
    shop_summary: str


def _report_out(report) -> dict:
    report.job.refresh_from_db(fields=["state"])
    return {
        "job_id": report.job_id,
        "state": report.job.state,
        "checked_in_at": report.checked_in_at,
        "checked_out_at": report.checked_out_at,
        "outcome": report.outcome,
        "work_done": report.work_done,
        "coaching": report.coaching,
        "shop_summary": report.shop_summary,
    }


@router.post("/jobs/{job_id}/check-in", response=ReportOut, summary="Field staff: arrive")
def check_in(request, job_id: int, payload: PositionIn):
    report = visits.check_in(
        request.user, job_id, latitude=payload.latitude, longitude=payload.longitude
    )
    return _report_out(report)


@router.post(
    "/jobs/{job_id}/check-out",
    response=ReportOut,
    summary="Field staff: leave with the outcome (photos through the phone page)",
)
def check_out(request, job_id: int, payload: CheckOutIn):
    report = visits.check_out(
        request.user,
        job_id,
        latitude=payload.latitude,
        longitude=payload.longitude,
        outcome=payload.outcome,
        work_done=payload.work_done,
        coaching=payload.coaching,
        shop_summary=payload.shop_summary,
    )
    return _report_out(report)


class DayIn(Schema):
    kind: str
    start: time | None = None
    end: time | None = None
    note: str = Field("", max_length=200)


class DayOut(Schema):
    user_id: int
    day: date
    kind: str
    start: time | None
    end: time | None
    note: str


@router.put("/availability/{user_id}/{day}", response=DayOut, summary="Set a staff member's day")
def set_day(request, user_id: int, day: date, payload: DayIn):
    row = availability.set_day(
        request.user,
        user_id,
        day,
        kind=payload.kind,
        start=payload.start,
        end=payload.end,
        note=payload.note,
    )
    return {
        "user_id": row.user_id,
        "day": row.day,
        "kind": row.kind,
        "start": row.start,
        "end": row.end,
        "note": row.note,
    }


class PlanIn(Schema):
    first_day: date
    last_day: date
    seconds: int | None = Field(None, ge=1, le=600)
    seed: int = Field(0, ge=0)


class PlanOut(Schema):
    id: int
    kind: str
    state: str
    first_day: date
    last_day: date
    progress: int
    message: str
    stats: dict
    changes: list


def _plan_out(plan: Plan) -> dict:
    return {
        "id": plan.pk,
        "kind": plan.kind,
        "state": plan.state,
        "first_day": plan.first_day,
        "last_day": plan.last_day,
        "progress": plan.progress,
        "message": plan.message,
        "stats": plan.stats,
        "changes": plan.changes,
    }


def _visible_plan(request, plan_id: int) -> Plan:
    return policy.get_visible(request.user, Plan, plan_id)


@router.post("/plans", response={202: PlanOut}, summary="Optimise days (runs in the background)")
def start_plan(request, payload: PlanIn):
    plan = planning.start_plan(
        request.user,
        first_day=payload.first_day,
        last_day=payload.last_day,
        seconds=payload.seconds,
        seed=payload.seed,
    )
    return Status(202, _plan_out(_visible_plan(request, plan.pk)))


@router.get("/plans/{plan_id}", response=PlanOut, summary="A plan's progress and figures")
def plan_detail(request, plan_id: int):
    return _plan_out(_visible_plan(request, plan_id))


@router.post("/plans/{plan_id}/publish", response=PlanOut, summary="Make a plan the working plan")
def publish(request, plan_id: int):
    return _plan_out(planning.publish_plan(request.user, plan_id))


class MoveIn(Schema):
    job_id: int
    staff_id: int | None = Field(None, description="null: take the job off the plan")
    day: date | None = None
    position: int = Field(0, ge=0, description="0 = first stop")


@router.post("/plans/{plan_id}/move", response=PlanOut, summary="Move a job by hand")
def move(request, plan_id: int, payload: MoveIn):
    plan = planning.move_job(
        request.user,
        plan_id,
        payload.job_id,
        staff_id=payload.staff_id,
        day=payload.day,
        position=payload.position,
    )
    return _plan_out(plan)


class RoutineIn(Schema):
    first_day: date
    weeks: int | None = Field(None, ge=1, le=12)


class RoutineOut(Schema):
    created: int
    kept: int
    by_segment: dict[str, int]


@router.post("/routine", response=RoutineOut, summary="Routine visits from the service plans")
def generate_routine(request, payload: RoutineIn):
    result = routine.generate_routine(
        request.user, first_day=payload.first_day, weeks=payload.weeks
    )
    return {"created": result.created, "kept": result.kept, "by_segment": result.by_segment}


class UrgentIn(Schema):
    request_id: int
    service_item_id: int | None = None
    note: str = Field("", max_length=300)
    # The visit starts inside this window (one day); without it: the rest of today, or the
    # next working day when nobody works any more today.
    window_start: datetime | None = None
    window_end: datetime | None = None


class UrgentOut(Schema):
    job: JobOut
    plan: PlanOut


@router.post("/urgent", response={201: UrgentOut}, summary="Urgent visit for a request: proposal")
def urgent_visit(request, payload: UrgentIn):
    job = urgent.urgent_job_from_request(
        request.user,
        payload.request_id,
        service_item_id=payload.service_item_id,
        note=payload.note,
        window_start=payload.window_start,
        window_end=payload.window_end,
    )
    plan = urgent.propose_insertion(request.user, job.pk)
    return Status(201, {"job": _job_out(_visible_job(request, job.pk)), "plan": _plan_out(plan)})


class BoardStopOut(Schema):
    job_id: int
    shop_name: str
    kind: str
    state: str
    arrival: datetime
    start: datetime
    end: datetime
    latitude: float
    longitude: float


class BoardRouteOut(Schema):
    staff_id: int
    staff: str
    day: date
    departure: datetime | None
    arrival: datetime | None
    travel_s: int
    distance_m: int
    stops: list[BoardStopOut]


class UnplacedOut(Schema):
    job_id: int
    shop_name: str
    reason: str


class BoardOut(Schema):
    day: date
    plan: PlanOut | None
    routes: list[BoardRouteOut]
    unplaced: list[UnplacedOut]


@router.get("/board", response=BoardOut, summary="Dispatcher: the routes of a day")
def board(request, day: Day, plan_id: Id | None = None):
    data = selectors.board(request.user, day, plan_id=plan_id)
    return {
        "day": data.day,
        "plan": _plan_out(data.plan) if data.plan else None,
        "routes": [
            {
                "staff_id": item.route.staff_id,
                "staff": item.staff_name,
                "day": item.route.day,
                "departure": item.route.departure,
                "arrival": item.route.arrival,
                "travel_s": item.route.travel_s,
                "distance_m": item.route.distance_m,
                "stops": [
                    {
                        "job_id": s.job.pk,
                        "shop_name": s.shop_name,
                        "kind": s.kind,
                        "state": s.state,
                        "arrival": s.stop.arrival,
                        "start": s.stop.start,
                        "end": s.stop.end,
                        "latitude": s.lat,
                        "longitude": s.lng,
                    }
                    for s in item.stops
                ],
            }
            for item in data.routes
        ],
        "unplaced": [
            {"job_id": job.pk, "shop_name": job.shop.name, "reason": str(reason)}
            for job, reason in data.unplaced
        ],
    }
