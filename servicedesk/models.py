"""Service requests: what shops ask for, who owns it, and the clock it runs against.

A request moves through new → assigned → in progress → waiting on shop → resolved → closed (and
back by reopening); every move is a ``RequestEvent``, from which stage timing is computed. SLA
targets come from the shop class's service plan (``customers.SlaTarget``) and are counted in
business time of the company's working calendar; the resolution clock stops while the request waits
on the shop. Support tasks carry the work other departments do for one request (部门联动).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Department, Skill
from customers.models import RequestCategory, Shop
from flexserve.validation import stored_name


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Shop portal")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    API = "api", _("API")
    CHAT = "chat", _("Q&A hand-over")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_SHOP = "waiting_on_shop", _("Waiting on shop")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", pgettext_lazy("request status", "Closed")


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_SHOP)


class RouteTo(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("The shop's account manager")
    DEPARTMENT = "department", _("The owning department's queue")


class RequestType(models.Model):
    """One kind of request in the catalogue: who owns it, what skills it needs, how urgent it is."""

    view_perm = "request_create"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=RequestCategory.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("owner department"), on_delete=models.PROTECT, related_name="+"
    )
    skills = models.ManyToManyField(
        Skill, verbose_name=_("required skills"), blank=True, related_name="+"
    )
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    route_to = models.CharField(
        _("route to"), max_length=20, choices=RouteTo.choices, default=RouteTo.DEPARTMENT
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self) -> str:
        return self.name


class WorkingCalendar(models.Model):
    """The company's working hours; one row (code ``default``) is used for every SLA clock."""

    view_perm = "console_use"

    code = models.SlugField(_("code"), max_length=20, unique=True, default="default")
    name = models.CharField(_("name"), max_length=60)
    periods = models.JSONField(
        _("working periods"),
        default=list,
        help_text=_('Daily working periods, e.g. [["08:30", "12:00"], ["14:00", "17:30"]].'),
    )
    use_china_holidays = models.BooleanField(
        _("China's public holidays and make-up working days"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self) -> str:
        return self.name


class CalendarException(models.Model):
    """A local exception: a day off (typhoon, local holiday) or an extra working day."""

    view_perm = "console_use"

    calendar = models.ForeignKey(
        WorkingCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    day = models.DateField(_("day"))
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="calendar_exception_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.note}"


def number_of(pk: int, created_at) -> str:
    return f"SR{created_at:%Y%m%d}-{pk:06d}"


def pk_of_number(number: str) -> int | None:
    """The id inside a request number (or a bare id); None when it is neither."""
    tail = number.strip().upper().rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


class ServiceRequest(models.Model):
    scope_path = "shop"
    # Staff outside the shop's territory still see what they own or what waits in their department.
    work_scope = True

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="service_requests"
    )
    request_type = models.ForeignKey(
        RequestType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="requests"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # SLA: targets in business minutes, copied at intake so a later plan change does not move them.
    response_target_min = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_target_min = models.PositiveIntegerField(_("resolution target (minutes)"))
    response_due_at = models.DateTimeField(_("first response due"))
    # Empty while the clock is paused (waiting on the shop).
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)  # business seconds paused so far
    response_breached = models.BooleanField(_("first response late"), default=False)
    resolution_breached = models.BooleanField(_("resolution late"), default=False)
    handover_count = models.PositiveSmallIntegerField(_("hand-overs"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    # An API submission's Idempotency-Key (unique per submitter) and a digest of its body: a
    # retry finds the request it created; the same key with another body is refused.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    body_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["shop", "-created_at"]),
            models.Index(fields=["status", "resolution_due_at"]),
            # The dashboards' 15-minute refresh finds what changed by updated_at; the lists
            # behind their figures read a period of created_at, first_response_at or resolved_at.
            models.Index(fields=["updated_at"], name="request_updated_at_idx"),
            models.Index(fields=["created_at"], name="request_created_at_idx"),
            models.Index(fields=["first_response_at"], name="request_first_response_idx"),
            models.Index(fields=["resolved_at"], name="request_resolved_at_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="request_idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """What people quote on the phone: the day and the id, e.g. SR20261125-004711."""
        return number_of(self.pk, self.created_at)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @staticmethod
    def audit_display(name: str, value: object) -> str | None:
        if name == "status" and value:
            return str(Status(value).label)
        if name == "priority" and value:
            return str(Priority(value).label)
        return None


def attachment_path(instance: "RequestAttachment", filename: str) -> str:
    # The client's file name is ignored: a generated one with the detected type's extension.
    name = stored_name(instance.content_type)
    return f"requests/{instance.request.created_at:%Y/%m}/{instance.request_id}/{name}"


class RequestAttachment(models.Model):
    scope_path = "request__shop"

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file.name


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Comment")
    PRIORITY = "priority", _("Priority changed")
    ESCALATED = "escalated", _("Escalated")
    BREACHED = "breached", _("SLA breached")
    SUPPORT = "support", _("Support task")


class RequestEvent(models.Model):
    """One thing that happened to a request; the timeline and all stage timing come from these."""

    scope_path = "request__shop"

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    from_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The shop sees public events only: internal notes, escalations and hand-overs stay inside.
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["request", "at"])]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Comment(models.Model):
    scope_path = "request__shop"

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("comment"), max_length=4000)
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:40]


class CannedReply(models.Model):
    view_perm = "request_work"

    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), max_length=2000)
    category = models.CharField(
        _("category"), max_length=20, choices=RequestCategory.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class SupportTask(models.Model):
    """Work another department does for a request (呼叫支援): logistics, marketing, 专卖, IT…"""

    scope_path = "request__shop"
    work_scope = True

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("support task state", "Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="support_tasks"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_tasks",
    )
    need = models.CharField(_("what is needed"), max_length=300)
    required = models.BooleanField(_("required to resolve"), default=True)
    state = models.CharField(_("status"), max_length=12, choices=State.choices, default=State.OPEN)
    due_at = models.DateTimeField(_("due"))
    result = models.CharField(_("result"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("support task")
        verbose_name_plural = _("support tasks")
        indexes = [models.Index(fields=["department", "state"])]

    def __str__(self) -> str:
        return f"{self.department} · {self.need}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.OPEN, self.State.IN_PROGRESS)


class Clock(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class EscalationRule(models.Model):
    """Act before a breach: at ``threshold_pct`` % of a clock, notify, raise priority, re-assign."""

    view_perm = "request_work"

    name = models.CharField(_("name"), max_length=80)
    clock = models.CharField(_("clock"), max_length=12, choices=Clock.choices)
    threshold_pct = models.PositiveSmallIntegerField(
        _("threshold (percent of the target)"),
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    request_type = models.ForeignKey(
        RequestType,
        verbose_name=_("only for type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    notify_supervisor = models.BooleanField(_("notify the supervisor"), default=True)
    raise_priority = models.BooleanField(_("raise the priority"), default=False)
    reassign = models.BooleanField(_("re-assign to the least loaded colleague"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["clock", "threshold_pct"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return self.name


class EscalationFiring(models.Model):
    """A rule fired for a request: the unique pair makes the schedule idempotent."""

    scope_path = "request__shop"

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="firings")
    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="firings")
    fired_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "rule"], name="escalation_fires_once")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} · {self.rule_id}"


class SlaBreach(models.Model):
    scope_path = "request__shop"

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="breaches")
    clock = models.CharField(max_length=12, choices=Clock.choices)
    due_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "clock"], name="breach_once")]

    def __str__(self) -> str:
        return f"{self.request_id} · {self.clock}"


class RequestTiming(models.Model):
    """Where the time of one request went, in business seconds (computed from its events).

    Stages: dispatch (waiting in the queue until someone owns it), handling (waiting in the
    owner's stack, then being worked), support (other departments: waiting, then working),
    confirmation (resolved, waiting for the shop to confirm). The shop's own waiting time is kept
    apart from the staff's.
    """

    scope_path = "request__shop"

    request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, related_name="timing")
    request_type = models.ForeignKey(RequestType, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    dispatch_wait_s = models.PositiveIntegerField(default=0)
    handling_wait_s = models.PositiveIntegerField(default=0)
    handling_work_s = models.PositiveIntegerField(default=0)
    support_wait_s = models.PositiveIntegerField(default=0)
    support_work_s = models.PositiveIntegerField(default=0)
    confirm_wait_s = models.PositiveIntegerField(default=0)
    shop_wait_s = models.PositiveIntegerField(default=0)
    first_response_s = models.PositiveIntegerField(null=True)
    resolution_s = models.PositiveIntegerField(null=True)
    handovers = models.PositiveSmallIntegerField(default=0)
    first_contact_resolution = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["request_type", "created_at"])]

    def __str__(self) -> str:
        return str(self.request_id)


class Notification(models.Model):
    """An in-app notification; written by the outbox processor and, for messages to shops, by
    the in-app channel of outreach (``outbox.post_notifications``)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    outbox = models.OneToOneField(
        "OutboxMessage", on_delete=models.SET_NULL, null=True, related_name="notification"
    )
    subject = models.CharField(max_length=200)
    body = models.CharField(max_length=1000, blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject


class OutboxMessage(models.Model):
    """A message to send, written in the transaction that caused it and delivered afterwards.

    A delivery task claims the row (pending → sending) with a conditional update, so a message is
    sent once however often it is enqueued; a sweeper re-enqueues what the broker did not take.
    """

    class Medium(models.TextChoices):
        IN_APP = "in_app", _("In-app")
        EMAIL = "email", _("E-mail")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("notification state", "Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    medium = models.CharField(max_length=10, choices=Medium.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    address = models.CharField(max_length=254, blank=True)  # e-mail address at the time
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=4000, blank=True)
    url = models.CharField(max_length=200, blank=True)
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        return f"{self.medium} → {self.recipient_id}: {self.subject}"
