"""Appointments and dispatch (预约调度): who works when, what must be done, and the routes.

- ``WorkRules``: the one set of company rules for working hours, lunch, bookings and routine
  planning (flexible hours are chosen inside them).
- ``StaffProfile`` / ``Availability``: a field staff member's usual week (start and end place,
  hours, most visits) and what they set for a given day (other hours, a day off).
- ``Job``: one visit to a shop: a booking the shop made (hard window), a routine visit from its
  class's service plan (any allowed day, soft), or an urgent visit raised from a service request.
- ``Plan`` → ``Route`` → ``Stop``: a solver run over some days; publishing it makes its routes
  the working plan of those days. ``Unplaced`` says why a job got no place.
- ``VisitReport`` / ``VisitPhoto``: check-in, check-out and the outcome of a visit; they close the
  job and go into the shop's history.

Times are stored as aware datetimes; the engine works in seconds from the plan's first midnight.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import ServiceItem, Shop
from flexserve.validation import stored_name

WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday


class WorkRules(models.Model):
    """The company's rules (one row, pk 1). Managers edit them; staff choose hours inside them."""

    view_perm = "dispatch_view"

    earliest_start = models.TimeField(_("earliest start"), default=datetime.time(7, 30))
    latest_end = models.TimeField(_("latest end"), default=datetime.time(19, 0))
    min_shift_hours = models.DecimalField(
        _("shortest working day (hours)"),
        max_digits=3,
        decimal_places=1,
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    max_shift_hours = models.DecimalField(
        _("longest working day (hours)"),
        max_digits=3,
        decimal_places=1,
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
    )
    lunch_from = models.TimeField(_("lunch may start from"), default=datetime.time(11, 30))
    lunch_until = models.TimeField(_("lunch must start by"), default=datetime.time(13, 0))
    lunch_minutes = models.PositiveSmallIntegerField(
        _("lunch break (minutes)"),
        default=45,
        validators=[MinValueValidator(15), MaxValueValidator(120)],
    )
    default_max_visits = models.PositiveSmallIntegerField(
        _("most visits per day"), default=14, validators=[MinValueValidator(1)]
    )
    window_minutes = models.PositiveSmallIntegerField(
        _("booking window (minutes)"),
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(480)],
    )
    booking_lead_hours = models.PositiveSmallIntegerField(
        _("book at least (hours ahead)"), default=2, validators=[MaxValueValidator(168)]
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        _("book at most (days ahead)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    change_cutoff_hours = models.PositiveSmallIntegerField(
        _("reschedule or cancel until (hours before)"),
        default=4,
        validators=[MaxValueValidator(168)],
    )
    routine_horizon_weeks = models.PositiveSmallIntegerField(
        _("routine planning horizon (weeks)"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    routine_slack_days = models.PositiveSmallIntegerField(
        _("routine visit may move (days either side)"),
        default=2,
        validators=[MaxValueValidator(10)],
    )
    plan_seconds = models.PositiveSmallIntegerField(
        _("optimisation time (seconds)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work rules")
        verbose_name_plural = _("work rules")

    def __str__(self) -> str:
        return str(_("work rules"))

    @classmethod
    def current(cls) -> "WorkRules":
        return cls.objects.get_or_create(pk=1)[0]


class StaffProfile(models.Model):
    """A field staff member's usual working week and where their day starts and ends."""

    view_perm = "dispatch_view"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="field_profile",
    )
    is_field = models.BooleanField(_("visits shops"), default=True)
    home_latitude = models.DecimalField(_("start latitude"), max_digits=9, decimal_places=6)
    home_longitude = models.DecimalField(_("start longitude"), max_digits=9, decimal_places=6)
    home_label = models.CharField(_("start place"), max_length=100, blank=True)
    day_start = models.TimeField(_("usual start"), default=datetime.time(8, 30))
    day_end = models.TimeField(_("usual end"), default=datetime.time(17, 30))
    work_weekdays = models.JSONField(_("working weekdays"), default=list)
    max_visits = models.PositiveSmallIntegerField(
        _("most visits per day"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("field staff profile")
        verbose_name_plural = _("field staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class Availability(models.Model):
    """What a staff member set for one day: other hours, or a day off. No row: the usual week."""

    view_perm = "dispatch_view"

    class Kind(models.TextChoices):
        WORK = "work", _("Working")
        OFF = "off", _("Day off")
        LEAVE = "leave", _("Leave")
        TRAINING = "training", _("Training (no visits)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="availability",
    )
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORK)
    start = models.TimeField(_("start"), null=True, blank=True)
    end = models.TimeField(_("end"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "user"]
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="availability_one_per_day"),
            models.CheckConstraint(
                condition=~models.Q(kind="work")
                | models.Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="availability_work_has_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.kind}"


class JobKind(models.TextChoices):
    BOOKING = "booking", _("Booked by the shop")
    ROUTINE = "routine", _("Routine visit")
    URGENT = "urgent", _("Urgent visit")


class JobState(models.TextChoices):
    OPEN = "open", _("Waiting for a route")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("On site")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Missed")


OPEN_STATES = (JobState.OPEN, JobState.PLANNED)
ACTIVE_STATES = (JobState.OPEN, JobState.PLANNED, JobState.IN_PROGRESS)


class Job(models.Model):
    """One visit to one shop, whatever asked for it."""

    scope_path = "shop"

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="jobs"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=JobKind.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=JobState.choices, default=JobState.OPEN
    )
    service_item = models.ForeignKey(
        ServiceItem, verbose_name=_("service item"), on_delete=models.PROTECT, related_name="+"
    )
    duration_min = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    # Bookings and urgent visits: one day and a hard window in which the visit must START.
    window_start = models.DateTimeField(_("window from"), null=True, blank=True)
    window_end = models.DateTimeField(_("window until"), null=True, blank=True)
    # Routine visits: the day it is due, and the days it may fall on (soft: late costs).
    due_on = models.DateField(_("due on"), null=True, blank=True)
    earliest_on = models.DateField(_("not before"), null=True, blank=True)
    latest_on = models.DateField(_("not after"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    request = models.ForeignKey(
        "servicedesk.ServiceRequest",
        verbose_name=_("service request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
    )
    # The working plan's answer (set when a plan is published, or by a booking's reservation).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispatch_jobs",
    )
    planned_day = models.DateField(_("planned day"), null=True, blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["state", "planned_day"]),
            models.Index(fields=["assignee", "planned_day"]),
            models.Index(fields=["shop", "kind", "state"]),
            models.Index(fields=["kind", "due_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="routine")
                | models.Q(
                    window_start__isnull=False,
                    window_end__isnull=False,
                    window_end__gte=models.F("window_start"),
                ),
                name="job_window_when_fixed",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="routine")
                | models.Q(
                    due_on__isnull=False,
                    earliest_on__isnull=False,
                    latest_on__isnull=False,
                    earliest_on__lte=models.F("due_on"),
                    latest_on__gte=models.F("due_on"),
                ),
                name="job_routine_has_days",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.shop_id}"

    @property
    def day(self) -> datetime.date | None:
        """The day of a fixed job, or the planned day of a routine one."""
        if self.window_start is not None:
            from django.utils import timezone

            return timezone.localtime(self.window_start).date()
        return self.planned_day

    @property
    def skill_code(self) -> str | None:
        skill = self.service_item.skill
        return skill.code if skill else None


class JobEvent(models.Model):
    """The job's history: booked, rescheduled, planned, moved, checked in, done …"""

    scope_path = "job__shop"

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")
        PLANNED = "planned", pgettext_lazy("job event", "Planned")
        MOVED = "moved", _("Moved by hand")
        UNPLANNED = "unplanned", _("Taken off the plan")
        CHECKED_IN = "checked_in", _("Checked in")
        CHECKED_OUT = "checked_out", _("Checked out")
        MISSED = "missed", pgettext_lazy("job event", "Missed")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("job event")
        verbose_name_plural = _("job events")

    def __str__(self) -> str:
        return f"{self.job_id} {self.kind}"


class Plan(models.Model):
    """One optimisation over ``first_day``..``last_day``; publishing makes it the working plan."""

    view_perm = "dispatch_view"

    class Kind(models.TextChoices):
        PERIOD = "period", _("Optimised plan")
        REPLAN = "replan", _("Urgent insertion")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Optimising")
        READY = "ready", _("Ready to publish")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERIOD)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    seconds = models.PositiveSmallIntegerField(_("optimisation time (seconds)"), default=20)
    seed = models.PositiveIntegerField(_("seed"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    # Figures of the run: jobs, placed, unplaced, travel, distance, runtime, violations …
    stats = models.JSONField(default=dict, blank=True)
    # Urgent insertion: the job, the route changed and what changed (shown before publishing).
    urgent_job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changes = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        indexes = [models.Index(fields=["state", "first_day", "last_day"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.first_day}–{self.last_day}"


class Route(models.Model):
    """One staff member's day in a plan."""

    view_perm = "dispatch_view"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="routes")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="routes"
    )
    day = models.DateField(_("day"))
    shift_start = models.DateTimeField(_("shift start"))
    shift_end = models.DateTimeField(_("shift end"))
    departure = models.DateTimeField(_("departure"), null=True, blank=True)
    arrival = models.DateTimeField(_("return"), null=True, blank=True)
    break_start = models.DateTimeField(_("lunch from"), null=True, blank=True)
    break_end = models.DateTimeField(_("lunch until"), null=True, blank=True)
    travel_s = models.PositiveIntegerField(_("travel (seconds)"), default=0)
    distance_m = models.PositiveIntegerField(_("distance (metres)"), default=0)
    max_visits = models.PositiveSmallIntegerField(_("most visits"), null=True, blank=True)

    class Meta:
        ordering = ["day", "staff__username"]
        verbose_name = pgettext_lazy("visit route", "route")
        verbose_name_plural = _("routes")
        constraints = [
            models.UniqueConstraint(fields=["plan", "staff", "day"], name="route_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day}"


class Stop(models.Model):
    """A job on a route, in order, with its times."""

    view_perm = "dispatch_view"

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="stops")
    seq = models.PositiveSmallIntegerField(pgettext_lazy("sequence", "order"))
    arrival = models.DateTimeField(_("arrival"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    class Meta:
        ordering = ["route", "seq"]
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        constraints = [
            models.UniqueConstraint(fields=["route", "seq"], name="stop_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.route_id}#{self.seq} job {self.job_id}"


class Unplaced(models.Model):
    """A job a plan could not place, and why (an engine reason code)."""

    view_perm = "dispatch_view"

    class Reason(models.TextChoices):
        NO_SKILL = "no_skill", _("Nobody with the skill works that day in this territory")
        NO_WINDOW = "no_window", _("No staff member can reach it inside its window")
        NO_DAY = "no_day", _("Nobody works on its allowed days")
        CAPACITY = "capacity", _("The staff's days are full")
        NOT_WORTH = "not_worth", _("Left for a later day: serving it costs more than it brings")
        TIME_LIMIT = "time_limit", _("The optimisation ran out of time")
        BREAK = "break", _("It would leave no room for lunch")
        NO_STAFF = "no_staff", _("No field staff serve this shop's territory")
        MANUAL = "manual", _("Taken off the plan by hand")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="unplaced")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)

    class Meta:
        ordering = ["plan", "job"]
        verbose_name = _("unplaced job")
        verbose_name_plural = _("unplaced jobs")
        constraints = [
            models.UniqueConstraint(fields=["plan", "job"], name="unplaced_once_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.job_id} ({self.reason})"


class VisitOutcome(models.TextChoices):
    DONE = "done", _("Done")
    SHOP_CLOSED = "shop_closed", _("Shop closed")
    OWNER_ABSENT = "owner_absent", _("Owner not there")
    NOT_NEEDED = "not_needed", _("No longer needed")


class VisitReport(models.Model):
    """Check-in, check-out and what was done: closes the job, goes into the shop's history."""

    scope_path = "job__shop"

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="report")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_in_at = models.DateTimeField(_("checked in at"))
    in_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    in_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    out_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    out_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=VisitOutcome.choices, blank=True
    )
    work_done = models.TextField(_("what was done"), blank=True)
    coaching = models.TextField(_("coaching given"), blank=True)
    # The only text of the report the shop reads (portal); the two above stay internal.
    shop_summary = models.TextField(_("what we tell the shop"), blank=True)

    class Meta:
        ordering = ["-checked_in_at"]
        verbose_name = _("visit report")
        verbose_name_plural = _("visit reports")

    def __str__(self) -> str:
        return f"report of job {self.job_id}"


def visit_photo_path(instance: "VisitPhoto", filename: str) -> str:
    # The client's file name is ignored: a generated one with the detected type's extension.
    return f"visits/{instance.report.job_id}/{stored_name(instance.content_type)}"


class VisitPhoto(models.Model):
    scope_path = "report__job__shop"

    report = models.ForeignKey(VisitReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to=visit_photo_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return self.file.name
