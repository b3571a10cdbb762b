"""Months of service requests for the demo city, handled by the services' own rules.

Shops raise requests through the week (a Monday peak, few at weekends, busy mornings and early
afternoons), more of them the bigger the shop. Each request then lives its life in memory, its
fields changed by the pure helpers of ``servicedesk`` under the replayed moment (no second state
machine, no second clock): ``services.apply_transition`` (the transitions of ``services.ACTIONS``,
with ``clock.pause`` / ``clock.resume``), ``services.stopped_late``, ``services.handed_over``,
``services.shop_replied``, ``services.SUPPORT_ACTIONS``, and the escalation sweep
(``escalation.next_due`` says when it could act, ``escalation.due_actions`` what it then does,
``escalation.closes_unconfirmed_at`` when it closes unconfirmed requests), and the stage timing of
``timing.compute_timing``. Routing follows ``routing.choose_assignee`` (the account manager, then
skilled department members serving the grid, the least loaded first) with the load replayed in
memory. Staff act in the company's working hours; shops whenever their shop is open. The rows are
written in bulk at the end of each batch; the history sends no notifications.

The history runs up to the demo's ``now`` (as for orders), the sweep included, so a sweep right
after seeding finds next to nothing to do. Requests of the last days are still open; everything
older than about two weeks is closed.
"""

import datetime
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Department, Role, User
from customers.models import Grid, Shop
from demo import data, draw, sql
from servicedesk import clock, escalation, services
from servicedesk.escalation import AUTO_CLOSE_WORKING_DAYS
from servicedesk.models import (
    Channel,
    Clock,
    Comment,
    EscalationFiring,
    EscalationRule,
    EventKind,
    Priority,
    RequestEvent,
    RequestTiming,
    RequestType,
    RouteTo,
    ServiceRequest,
    SlaBreach,
    Status,
    SupportTask,
)
from servicedesk.routing import WORKING_ROLES
from servicedesk.services import ACTIONS, SHOP_ACTIONS, raised
from servicedesk.timing import Handover, StatusChange, SupportSpan, compute_timing

DEFAULT_WEEKS = 26
FLUSH_REQUESTS = 2_000

# --- How shops ask and how long things take -----------------------------------------------------


@dataclass(frozen=True)
class Support:
    """Another department called in for some requests of a type."""

    department: str  # accounts.Department code
    chance: float
    required: float  # chance the owner waits for it; otherwise the owner resolves at once
    wait_min: float  # median business minutes until the department starts
    work_min: float  # median business minutes of its work


@dataclass(frozen=True)
class Profile:
    share: float  # of all requests
    wait_min: float  # median business minutes in the owner's stack before work starts
    work_min: float  # median business minutes of the owner's work
    ask_shop: float = 0.1  # chance the owner needs something from the shop first
    support: Support | None = None
    handover: float = 0.03
    rural: float = 1.0  # how much slower it is for a shop in a rural market


PROFILES: dict[str, Profile] = {
    "order_problem": Profile(0.13, 40, 45, 0.12, Support("it", 0.08, 1.0, 60, 90), 0.05),
    "order_change": Profile(0.06, 15, 20, 0.05, None, 0.03),
    "delivery_late": Profile(
        0.09, 20, 40, 0.05, Support("logistics", 0.45, 0.8, 40, 80), 0.04, rural=1.6
    ),
    # Missing or broken cartons come with the next van: the desk promises it and resolves; the
    # logistics part (the slowest stage) runs on, slower still on the long rural routes.
    "delivery_complaint": Profile(
        0.13, 30, 45, 0.3, Support("logistics", 0.8, 0.2, 200, 260), 0.05, rural=2.0
    ),
    "stock_replenish": Profile(0.14, 90, 60, 0.05, Support("logistics", 0.12, 1.0, 120, 120)),
    "payment_failed": Profile(0.10, 6, 12, 0.15, None, 0.01),
    "payment_query": Profile(0.06, 30, 25, 0.1, None, 0.02),
    # Licences wait in the licence clerks' stack: the slowest stage is the handling wait.
    "licence_renewal": Profile(0.025, 1000, 120, 0.4, Support("monopoly", 0.35, 1.0, 200, 150)),
    "licence_change": Profile(0.015, 800, 90, 0.35, Support("monopoly", 0.3, 1.0, 180, 120)),
    "display_coaching": Profile(0.04, 500, 60, 0.05, None, 0.03),
    "shop_improvement": Profile(0.02, 900, 180, 0.1, None, 0.05),
    "equipment_fault": Profile(0.09, 35, 70, 0.2, Support("it", 0.4, 1.0, 90, 120), 0.06, 1.3),
    "consultation": Profile(0.05, 60, 15, 0.03, None, 0.02),
    "complaint": Profile(0.02, 45, 240, 0.2, None, 0.25),
    "suggestion": Profile(0.01, 400, 20, 0.0, None, 0.02),
}
OTHER_PROFILE = Profile(0.02, 60, 40)  # a type an administrator added

# Requests per shop per month, by class; staff speed by class (they serve core shops first).
SEGMENT_RATE = {"core": 1.4, "key": 1.0, "potential": 0.75, "ordinary": 0.55}
SEGMENT_SPEED = {"core": 0.35, "key": 0.55, "potential": 0.65, "ordinary": 1.0}
# Relative volume by local hour: mornings and early afternoons, a little at night (the portal).
HOUR_WEIGHTS = (
    0.01, 0.005, 0.005, 0.005, 0.005, 0.01, 0.03, 0.15, 0.6, 1.0, 1.0, 0.75,
    0.35, 0.3, 0.85, 0.95, 0.8, 0.55, 0.3, 0.25, 0.2, 0.15, 0.08, 0.03,
)  # fmt: skip
FIRST_DAY_PEAK = 1.6  # Mondays, and the first working day after a holiday
SATURDAY, SUNDAY = 0.22, 0.12  # days off (holidays count as Sundays)
OFFICE_CHANNELS = (
    (Channel.PORTAL, 0.45), (Channel.PHONE, 0.38), (Channel.VISIT, 0.08), (Channel.CHAT, 0.06),
    (Channel.API, 0.03),
)  # fmt: skip
AFTER_HOURS_CHANNELS = ((Channel.PORTAL, 0.86), (Channel.CHAT, 0.10), (Channel.API, 0.04))
SHOP_OPENS, SHOP_CLOSES = datetime.time(7, 30), datetime.time(21, 30)

RESPONSE_SHARE = 0.3  # the owner acknowledges after about this share of the response target
FORGOTTEN = 0.07  # requests left in a stack for days (at the start; fewer as staff improve)
FORGOTTEN_TARGETS = 6  # ... but picked up within this many response targets
DISPATCH_MIN = 25  # median business minutes an unrouted request waits for a dispatcher
SHOP_CLOSES_ITSELF = 0.6  # the rest are closed automatically after the confirmation days
REOPEN_RESOLVED, REOPEN_CLOSED = 0.02, 0.01
TREND = (1.15, 0.85)  # staff durations shrink from the first week to the last
OPEN = frozenset((Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_SHOP))
NEVER = datetime.datetime.max.replace(tzinfo=datetime.UTC)

_REQUEST_FIELDS = (
    "id", "shop_id", "request_type_id", "channel", "title", "description", "priority", "status",
    "department_id", "assignee_id", "created_by_id", "created_at", "updated_at",
    "first_response_at", "resolved_at", "closed_at", "response_target_min",
    "resolution_target_min", "response_due_at", "resolution_due_at", "paused_at",
    "paused_seconds", "response_breached", "resolution_breached", "handover_count",
    "reopen_count",
)  # fmt: skip
_EVENT_FIELDS = (
    "id", "request_id", "kind", "at", "actor_id", "from_status", "to_status", "from_assignee_id",
    "to_assignee_id", "note", "public",
)  # fmt: skip
_COMMENT_FIELDS = ("id", "request_id", "author_id", "body", "internal", "created_at")
_TASK_FIELDS = (
    "id", "request_id", "department_id", "owner_id", "need", "required", "state", "due_at",
    "result", "created_by_id", "created_at", "started_at", "finished_at",
)  # fmt: skip
_TIMING_FIELDS = (
    "id", "request_id", "request_type_id", "created_at", "dispatch_wait_s", "handling_wait_s",
    "handling_work_s", "support_wait_s", "support_work_s", "confirm_wait_s", "shop_wait_s",
    "first_response_s", "resolution_s", "handovers", "first_contact_resolution",
)  # fmt: skip
_BREACH_FIELDS = ("id", "request_id", "clock", "due_at", "recorded_at")
_FIRING_FIELDS = ("id", "request_id", "rule_id", "fired_at")
# Parents first: the rows of each batch are inserted in this order.
TABLES: dict[type, tuple[str, tuple[str, ...]]] = {
    ServiceRequest: ("service requests", _REQUEST_FIELDS),
    RequestEvent: ("request events", _EVENT_FIELDS),
    Comment: ("request comments", _COMMENT_FIELDS),
    SupportTask: ("support tasks", _TASK_FIELDS),
    RequestTiming: ("request timings", _TIMING_FIELDS),
    SlaBreach: ("SLA breaches", _BREACH_FIELDS),
    EscalationFiring: ("escalations", _FIRING_FIELDS),
}
SEQUENCED = tuple(TABLES)


# --- What the generator reads -------------------------------------------------------------------


@dataclass(frozen=True)
class _Shop:
    id: int
    grid_id: int
    segment: str
    rural: bool
    account_manager: int | None
    owner: int | None
    opened_on: datetime.date
    closed_on: datetime.date | None
    registered: datetime.datetime


@dataclass(frozen=True)
class _Type:
    id: int
    code: str
    category: str
    department_id: int
    route_to: str
    priority: str
    skills: frozenset[int]
    profile: Profile


@dataclass
class _Task:
    id: int
    department_id: int
    owner: int | None
    need: str
    required: bool
    due_at: datetime.datetime
    created_by: int
    created_at: datetime.datetime
    answer: str  # what the department will say when done
    state: str = SupportTask.State.OPEN
    result: str = ""
    started_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None


@dataclass
class _Request:
    """The fields of one ServiceRequest while its life is replayed."""

    id: int
    shop: _Shop
    kind: _Type
    created_at: datetime.datetime
    creator: int | None
    channel: str
    title: str
    description: str
    resolution: str  # the owner's note when resolving
    speed: float  # staff speed factor for this request (class, trend, market)
    trend: float  # the part of it that is the improvement over the weeks
    response_target_min: int
    resolution_target_min: int
    response_due_at: datetime.datetime
    resolution_due_at: datetime.datetime | None
    status: str = Status.NEW
    assignee_id: int | None = None
    department_id: int = 0
    priority: str = Priority.NORMAL
    first_response_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    paused_at: datetime.datetime | None = None
    paused_seconds: int = 0
    response_breached: bool = False
    resolution_breached: bool = False
    handover_count: int = 0
    reopen_count: int = 0
    last_at: datetime.datetime | None = None
    owner_since: datetime.datetime | None = None
    timing_until: datetime.datetime | None = None
    fired: set[int] = field(default_factory=set)
    tasks: list[_Task] = field(default_factory=list)
    changes: list[tuple[datetime.datetime, str]] = field(default_factory=list)
    handovers: list[tuple[datetime.datetime, int | None, int | None]] = field(default_factory=list)
    marks: dict[str, datetime.datetime] = field(default_factory=dict)
    watch_state: tuple | None = None  # what the cached escalation moments were computed for
    watch: list[datetime.datetime] = field(default_factory=list)

    @property
    def request_type_id(self) -> int:
        return self.kind.id


Step = tuple[str, str, float, str | None]  # action, clock ("b" business, "w" shop), seconds, anchor


def build(
    *,
    seed: int,
    now: datetime.datetime,
    weeks: int,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write ``weeks`` weeks of service requests up to ``now``.

    Returns the rows written per table; nothing when the catalogue or the shops are empty.
    """
    desk = _Desk(seed=seed, now=now, weeks=weeks, progress=progress)
    with translation.override(settings.LANGUAGE_CODE):  # what staff see, as in a web request
        return desk.run()


class _Desk:
    def __init__(
        self,
        *,
        seed: int,
        now: datetime.datetime,
        weeks: int,
        progress: Callable[[str, int], None] | None,
    ) -> None:
        self.rng = random.Random(f"{seed}:requests")
        self.weeks, self.progress = weeks, progress
        self.calendar = clock.company_calendar()
        self.tz = self.calendar.tz
        self.day_s = self.calendar.seconds_per_day
        self.now = now.astimezone(self.tz)
        self.until = self.now.date()
        self.first_day = self.until - datetime.timedelta(weeks=weeks)
        self.first = datetime.datetime.combine(self.first_day, datetime.time(), tzinfo=self.tz)
        self.ts = _timestamp_adapter()
        self.counts: Counter[str] = Counter()
        self.rows: dict[type, list[tuple]] = {model: [] for model in SEQUENCED}
        self.ids = {model: sql.next_id(model) for model in SEQUENCED}
        self._load_world()
        with translation.override(settings.LANGUAGE_CODE):
            self._load_words()

    # --- Reading the city --------------------------------------------------------------------

    def _load_world(self) -> None:
        departments = list(Department.objects.values_list("pk", "code", "name"))
        self.department_name = {pk: name for pk, _code, name in departments}
        self.department_id = {code: pk for pk, code, _name in departments}
        skills = defaultdict(set)
        for user_id, skill_id in User.skills.through.objects.values_list("user_id", "skill_id"):
            skills[user_id].add(skill_id)
        staff = list(
            User.objects.filter(is_active=True)
            .exclude(role=Role.SHOP_OWNER)
            .order_by("pk")
            .values_list("pk", "role", "department_id")
        )
        self.skills = {pk: frozenset(skills[pk]) for pk, _role, _dept in staff}
        self.staff_department = {pk: dept for pk, _role, dept in staff}
        working = [(pk, role, dept) for pk, role, dept in staff if role in WORKING_ROLES]
        self.account_managers = [pk for pk, role, _ in working if role == Role.ACCOUNT_MANAGER]
        self.working_by_department: dict[int | None, list[int]] = defaultdict(list)
        self.members: dict[int | None, list[int]] = defaultdict(list)  # any staff role
        for pk, _role, dept in working:
            self.working_by_department[dept].append(pk)
        for pk, _role, dept in staff:
            self.members[dept].append(pk)
        self.working = [pk for pk, _role, _dept in working]
        self.dispatchers = [pk for pk, role, _ in staff if role == Role.DISPATCHER]
        service = self.department_id.get("service")
        # Who answers the phone: the customer service desk and the dispatchers.
        self.call_takers = self.working_by_department.get(service, []) + self.dispatchers
        self.grid_staff: dict[int, frozenset[int]] = {}
        links = defaultdict(set)
        for grid_id, user_id in Grid.staff.through.objects.values_list("grid_id", "user_id"):
            links[grid_id].add(user_id)
        self.grid_staff = {grid: frozenset(users) for grid, users in links.items()}
        self.load: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(list)
        self.candidates: dict[tuple, list[int]] = {}

        type_skills = defaultdict(set)
        for type_id, skill_id in RequestType.skills.through.objects.values_list(
            "requesttype_id", "skill_id"
        ):
            type_skills[type_id].add(skill_id)
        types = RequestType.objects.filter(is_active=True).order_by("position", "code")
        self.types = [
            _Type(*row, frozenset(type_skills[row[0]]), PROFILES.get(row[1], OTHER_PROFILE))
            for row in types.values_list(
                "pk", "code", "category", "department_id", "route_to", "default_priority"
            )
        ]
        self.sla: dict[tuple[str, str], tuple[int, int]] = {}
        self.rules = escalation.active_rules()
        shops = Shop.objects.order_by("pk").values_list(
            "pk", "grid_id", "segment", "market_type", "account_manager_id", "owner_account_id",
            "opened_on", "closed_on", "created_at",
        )  # fmt: skip
        self.shops = [
            _Shop(*row[:3], row[3] == "rural", *row[4:8], timezone.localtime(row[8], self.tz))
            for row in shops
        ]

    def _load_words(self) -> None:
        """What the services write in the language of the site (as a web request would)."""
        self.routed = _("Routed automatically")
        self.taken = _("Taken from the queue")
        self.shop_replied = _("The shop replied")
        self.auto_closed = _("Closed automatically: not confirmed within %(n)s working days") % {
            "n": AUTO_CLOSE_WORKING_DAYS
        }
        self.support_requested = {
            pk: _("Support requested from %(department)s") % {"department": name}
            for pk, name in self.department_name.items()
        }
        self.channel_label = {c.value: str(c.label) for c in Channel}
        self.clock_label = {c.value: str(c.label) for c in Clock}
        self.priority_label = {p.value: str(p.label) for p in Priority}
        self.task_label = {s.value: str(s.label) for s in SupportTask.State}

    # --- The run -------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        if not self.types or not self.shops or self.weeks <= 0:
            return {}
        arrivals = self._arrivals()
        first_id = request_id = self.ids[ServiceRequest]
        reported = 0
        for number, (created, shop, kind, channel, creator) in enumerate(arrivals):
            weeks_done = (created.date() - self.first_day).days // 7
            if self.progress and reported < weeks_done < self.weeks and weeks_done % 13 == 0:
                self.progress(f"requests, weeks 1-{weeks_done}", request_id - first_id)
                reported = weeks_done
            if number % 500 == 0:
                self._prune(created)
            self._live(self._open(request_id, created, shop, kind, channel, creator))
            request_id += 1
            if len(self.rows[ServiceRequest]) >= FLUSH_REQUESTS:
                self._flush()
        self._flush()
        return {name: self.counts[name] for name, _fields in TABLES.values()}

    def _flush(self) -> None:
        for model, (name, fields) in TABLES.items():
            self.counts[name] += _insert(model, fields, self.rows[model])
            self.rows[model].clear()

    def _next(self, model: type) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    # --- Arrivals ------------------------------------------------------------------------------

    def _arrivals(self) -> list[tuple]:
        """(created, shop, type, channel, creator) of every request, in time order."""
        rng = self.rng
        is_workday = self.calendar.is_workday
        shop_cum = draw.cumulative(SEGMENT_RATE.get(s.segment, 0.55) for s in self.shops)
        per_day = shop_cum[-1] * 12 / 365  # requests a day across the city, on average
        normal_week = FIRST_DAY_PEAK + 4 + SATURDAY + SUNDAY
        hour_cum = draw.cumulative(HOUR_WEIGHTS)
        type_cum = {}
        arrivals = []
        days = (self.until - self.first_day).days + 1  # today: up to now
        for offset in range(days):
            day = self.first_day + datetime.timedelta(days=offset)
            if is_workday(day):
                weight = FIRST_DAY_PEAK if not is_workday(day - datetime.timedelta(1)) else 1.0
            else:
                weight = SATURDAY if day.weekday() == 5 else SUNDAY
            expected = per_day * 7 * weight / normal_week * rng.lognormvariate(0, 0.12)
            count = int(expected + rng.random())
            for shop in rng.choices(self.shops, cum_weights=shop_cum, k=count):
                hour = draw.pick(rng, hour_cum)
                created = datetime.datetime.combine(
                    day,
                    datetime.time(hour, rng.randrange(60), rng.randrange(60)),
                    tzinfo=self.tz,
                )
                if created >= self.now or created <= shop.registered:
                    continue
                if shop.closed_on is not None and day >= shop.closed_on:
                    continue
                key = (shop.segment, shop.rural)
                if key not in type_cum:
                    type_cum[key] = draw.cumulative(_type_weight(t, *key) for t in self.types)
                kind = self.types[draw.pick(rng, type_cum[key])]
                channel, creator = self._channel(shop, created)
                arrivals.append((created, shop, kind, channel, creator))
        arrivals.sort(key=lambda a: (a[0], a[1].id))
        return arrivals

    def _channel(self, shop: _Shop, created: datetime.datetime) -> tuple[str, int | None]:
        office = self.calendar.is_working_time(created)
        choices = OFFICE_CHANNELS if office else AFTER_HOURS_CHANNELS
        edge, target = 0.0, self.rng.random()
        channel = choices[-1][0]
        for name, share in choices:
            edge += share
            if target < edge:
                channel = name
                break
        if channel == Channel.VISIT and shop.account_manager:
            return channel.value, shop.account_manager
        if channel in (Channel.PHONE, Channel.VISIT) or shop.owner is None:
            if self.call_takers:
                return Channel.PHONE.value, self.rng.choice(self.call_takers)
            return Channel.PORTAL.value, shop.owner
        return channel.value, shop.owner

    def _texts(self, code: str) -> tuple[str, ...]:
        """Title, description and resolution note of one scenario of the type."""
        rng = self.rng
        scenario = rng.choice(data.REQUEST_SCENARIOS.get(code, data.REQUEST_SCENARIO_OTHER))
        values = {
            "brand": rng.choice(data.PRODUCTS)[1],
            "n": rng.randint(1, 5),
            "weekday": "周" + "一二三四五"[rng.randrange(5)],
            "amount": f"{rng.randint(8, 90) * 100 + rng.randrange(100)}.00",
            "reason": rng.choice(data.PAYMENT_FAILURE_REASONS),
            "hour": rng.randint(8, 11),
        }
        return tuple(text.format(**values) for text in scenario)

    # --- One request ---------------------------------------------------------------------------

    def _open(
        self,
        request_id: int,
        created: datetime.datetime,
        shop: _Shop,
        kind: _Type,
        channel: str,
        creator: int | None,
    ) -> _Request:
        """services.request_create: targets, due times, routing, the first events."""
        key = (shop.segment, kind.category)
        if key not in self.sla:  # services.sla_targets reads only these two
            self.sla[key] = services.sla_targets(
                SimpleNamespace(segment=shop.segment), SimpleNamespace(category=kind.category)
            )
        response_min, resolution_min = self.sla[key]
        progress = (created - self.first).total_seconds() / max(
            1.0, (self.now - self.first).total_seconds()
        )
        trend = TREND[0] + (TREND[1] - TREND[0]) * progress
        speed = SEGMENT_SPEED.get(shop.segment, 1.0) * trend
        if shop.rural:
            speed *= kind.profile.rural
        title, description, resolution = self._texts(kind.code)
        add = self.calendar.add_business_seconds
        request = _Request(
            id=request_id,
            shop=shop,
            kind=kind,
            created_at=created,
            creator=creator,
            channel=channel,
            title=title,
            description=description,
            resolution=resolution,
            speed=speed,
            trend=trend,
            response_target_min=response_min,
            resolution_target_min=resolution_min,
            response_due_at=add(created, response_min * 60),
            resolution_due_at=add(created, resolution_min * 60),
            department_id=kind.department_id,
            priority=kind.priority,
            last_at=created,
        )
        self._event(
            request,
            EventKind.CREATED,
            created,
            creator,
            to_status=Status.NEW,
            note=self.channel_label[channel],
        )
        assignee = self._route(kind, shop, created)
        if assignee is not None:
            request.status = Status.ASSIGNED
            request.assignee_id = assignee
            request.owner_since = created
            request.marks["assigned"] = created
            self._event(
                request,
                EventKind.ASSIGNED,
                created,
                None,
                from_status=Status.NEW,
                to_status=Status.ASSIGNED,
                to_assignee=assignee,
                note=self.routed,
            )
            request.changes.append((created, Status.ASSIGNED))
            request.handovers.append((created, None, assignee))
        return request

    def _live(self, request: _Request) -> None:
        plan = self._plan(request)
        base = request.created_at
        index = 0
        while index < len(plan):
            action, clock_kind, seconds, anchor = plan[index]
            start = request.marks.get(anchor, base) if anchor else base
            at, action = self._when(request, action, clock_kind, seconds, start)
            swept = self._sweep(request, min(at, self.now), inclusive=at > self.now)
            if swept:
                if swept == "reassigned":  # a colleague got it and starts afresh
                    base = request.last_at
                    if request.status == Status.ASSIGNED:
                        plan.insert(index, ("start", "b", self._staff(request, 20, 0.6), None))
                continue
            if at > self.now:
                break
            if self._do(request, action, at):
                base = at
            index += 1
        while self._sweep(request, self.now, inclusive=True):
            pass
        self._close_books(request)

    def _plan(self, request: _Request) -> list[Step]:
        """The owner's steps, each some business (or shop) seconds after the previous one."""
        rng, profile = self.rng, request.kind.profile
        steps: list[Step] = []
        if request.assignee_id is None:
            dispatch = self._staff(request, DISPATCH_MIN, 0.9, speed=request.trend)
            steps.append(("dispatch", "b", dispatch, None))
        wait = self._staff(request, profile.wait_min, 0.75)
        forgotten = rng.random() < FORGOTTEN * request.trend
        if forgotten:  # it lies in someone's stack, unanswered, until the clocks escalate it
            # (the breach and its escalation bring it back: never past FORGOTTEN_TARGETS targets)
            forgotten_s = rng.uniform(0.4, 2.5) * self.day_s
            wait += min(forgotten_s, FORGOTTEN_TARGETS * request.response_target_min * 60)
        share = RESPONSE_SHARE * request.trend
        ack = rng.lognormvariate(math.log(request.response_target_min * 60 * share), 0.85)
        if ack < 0.9 * wait and not forgotten:
            steps.append(("ack", "b", ack, "assigned"))
        steps.append(("start", "b", wait, "assigned"))

        work = self._staff(request, profile.work_min, 0.6)
        parts = []
        if rng.random() < profile.ask_shop:
            parts.append("ask")
        if rng.random() < profile.handover:
            parts.append("handover")
        if rng.random() < 0.2:
            parts.append("note")
        support = profile.support
        if support and support.department in self.department_id and rng.random() < support.chance:
            parts.append("support" if rng.random() < support.required else "support_after")
        shares = [rng.random() + 0.2 for _ in range(len(parts) + 1)]
        total = sum(shares)
        for part, share in zip(parts, shares, strict=False):
            piece = work * share / total
            if part == "ask":
                steps.append(("ask_shop", "b", piece, None))
                if rng.random() < 0.85 and request.shop.owner:
                    reply = min(rng.lognormvariate(math.log(3 * 3600), 1.0), 2 * 86_400)
                    steps.append(("shop_reply", "w", reply, None))
                else:
                    steps.append(("resume", "b", self._staff(request, 90, 0.8), None))
            elif part == "handover":
                steps.append(("handover", "b", piece, None))
                steps.append(("start", "b", self._staff(request, 25, 0.7), None))
            elif part == "note":
                steps.append(("note", "b", piece, None))
            else:
                steps.append(("support" if part == "support" else "support_free", "b", piece, None))
                factor = (1 + SEGMENT_SPEED.get(request.shop.segment, 1.0)) / 2
                if request.shop.rural:
                    factor *= profile.rural
                cap = 1.3 * self.day_s
                wait_s = min(rng.lognormvariate(math.log(support.wait_min * 60 * factor), 0.7), cap)
                work_s = min(rng.lognormvariate(math.log(support.work_min * 60 * factor), 0.6), cap)
                if part == "support":
                    steps += [
                        ("support_start", "b", max(wait_s, 60), "support"),
                        ("support_done", "b", max(work_s, 120), None),
                    ]
                else:  # the owner resolves now; the department's part runs on
                    steps.append(("resolve", "b", self._staff(request, 10, 0.5), None))
                    steps += [
                        ("support_start", "b", max(wait_s, 60), "support"),
                        ("support_done", "b", max(work_s, 120), None),
                    ]
        steps.append(("resolve", "b", work * shares[-1] / total, None))
        steps += self._confirmation(request)
        return steps

    def _confirmation(self, request: _Request, reopened: bool = False) -> list[Step]:
        rng = self.rng
        shop_delay = None
        if request.shop.owner and rng.random() < SHOP_CLOSES_ITSELF:
            shop_delay = min(rng.lognormvariate(math.log(5 * 3600), 1.1), 5 * 86_400)
        steps: list[Step] = []
        chance = rng.random()
        if not reopened and request.shop.owner and chance < REOPEN_RESOLVED:
            steps.append(("reopen", "w", rng.uniform(1800, 86_400), "done"))
            return steps + self._second_round(request)
        steps.append(("close", "w", -1 if shop_delay is None else shop_delay, "done"))
        if not reopened and request.shop.owner and chance < REOPEN_RESOLVED + REOPEN_CLOSED:
            steps.append(("reopen", "w", rng.uniform(3600, 2 * 86_400), None))
            steps += self._second_round(request)
        return steps

    def _second_round(self, request: _Request) -> list[Step]:
        return [
            ("start", "b", self._staff(request, 30, 0.7), None),
            ("resolve", "b", self._staff(request, 60, 0.7), None),
            *self._confirmation(request, reopened=True),
        ]

    def _staff(
        self, request: _Request, median_min: float, sigma: float, speed: float | None = None
    ) -> float:
        """Business seconds a step of the staff takes (at most two and a half working days)."""
        speed = request.speed if speed is None else speed
        seconds = self.rng.lognormvariate(math.log(median_min * 60 * speed), sigma)
        return min(max(seconds, 30.0), 2.5 * self.day_s)

    # --- Time ----------------------------------------------------------------------------------

    def _when(
        self, request: _Request, action: str, clock_kind: str, seconds: float, start
    ) -> tuple[datetime.datetime, str]:
        if action == "close":
            resolved = request.resolved_at
            if resolved is None:
                return request.last_at, action  # not resolved: the step is skipped
            # escalation.auto_close: the first sweep after the confirmation days have passed.
            due = escalation.closes_unconfirmed_at(resolved, self.calendar)
            auto = _next_minute(max(due, request.last_at))
            if seconds >= 0:
                shop_at = self._shop_time(max(start, request.last_at), seconds)
                if shop_at < auto:
                    return shop_at, action
            return auto, "auto_close"
        if clock_kind == "w":
            return max(self._shop_time(start, seconds), request.last_at), action
        return max(self._staff_time(start, seconds), request.last_at), action

    def _staff_time(self, start: datetime.datetime, seconds: float) -> datetime.datetime:
        """``seconds`` of working time after ``start``, landing inside a working period."""
        seconds = int(seconds)
        moment = self.calendar.add_business_seconds(start, seconds)
        if not self.calendar.is_working_time(moment):  # exactly at the end of a period
            moment = self.calendar.add_business_seconds(start, seconds + 1)
        return moment

    def _shop_time(self, start: datetime.datetime, seconds: float) -> datetime.datetime:
        """``seconds`` later, moved to the next morning when the shop is shut by then."""
        moment = start.astimezone(self.tz) + datetime.timedelta(seconds=int(seconds))
        wall = moment.time()
        if SHOP_OPENS <= wall < SHOP_CLOSES:
            return moment
        day = moment.date() + datetime.timedelta(days=0 if wall < SHOP_OPENS else 1)
        opens = datetime.datetime.combine(day, SHOP_OPENS, tzinfo=self.tz)
        return opens + datetime.timedelta(seconds=self.rng.randrange(5400))

    # --- The owner's and the shop's moves (services.py) ----------------------------------------

    def _do(self, request: _Request, action: str, at: datetime.datetime) -> bool:
        status, owner = request.status, request.assignee_id
        if action == "dispatch":
            return self._dispatch(request, at)
        if action in ("ack", "note"):
            if owner is None or status not in OPEN:
                return False
            internal = action == "note"
            pool = (
                data.REQUEST_INTERNAL_NOTES.get(request.kind.code, data.REQUEST_INTERNAL_OTHER)
                if internal
                else data.REQUEST_ACKS
            )
            self._comment(request, at, owner, self.rng.choice(pool), internal=internal)
            if not internal and request.first_response_at is None:
                request.first_response_at = at
                self._settle_clocks(request, at)
            return True
        if action == "shop_reply":
            if status != Status.WAITING_ON_SHOP:
                return False
            shop_owner = request.shop.owner
            self._comment(request, at, shop_owner, self.rng.choice(data.REQUEST_SHOP_REPLIES))
            services.shop_replied(request, at)
            self._status_event(
                request, at, shop_owner, status, Status.IN_PROGRESS, self.shop_replied
            )
            return True
        if action == "handover":
            return self._hand_over(request, at)
        if action in ("support", "support_free"):
            return self._support_create(request, at, required=action == "support")
        if action in ("support_start", "support_done"):
            return self._support_update(request, action, at)
        if action == "auto_close":
            if status != Status.RESOLVED:
                return False
            request.status, request.closed_at = Status.CLOSED, at
            self._status_event(request, at, None, status, Status.CLOSED, self.auto_closed)
            request.timing_until = at
            return True
        return self._transition(request, action, at)

    def _transition(self, request: _Request, action: str, at: datetime.datetime) -> bool:
        """services.request_transition, by the owner (or by the shop for close and reopen)."""
        spec = ACTIONS[action]
        if request.status not in spec.sources:
            return False
        by_shop = action in SHOP_ACTIONS
        actor = request.shop.owner if by_shop else request.assignee_id
        if actor is None:
            return False
        if action == "resolve" and any(
            t.required and t.state in (SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS)
            for t in request.tasks
        ):
            return False  # the plan waits for the support first; never an override
        rng = self.rng
        code = request.kind.code
        note = ""
        if action == "ask_shop":
            note = rng.choice(data.REQUEST_ASKS.get(code, data.REQUEST_ASKS_OTHER))
        elif action == "resolve":
            note = (
                rng.choice(data.REQUEST_RESOLVED_AGAIN)
                if request.reopen_count
                else (request.resolution)
            )
        elif action == "reopen":
            note = rng.choice(data.REQUEST_REOPENS)
        source, target = services.apply_transition(request, action, at, by_shop=by_shop)
        if target == Status.RESOLVED:
            request.marks["done"] = at
            self._leave(request, at)
        if action == "reopen" and request.assignee_id:
            request.owner_since = at
            request.marks["assigned"] = at
        self._settle_clocks(request, at)
        self._status_event(request, at, actor, source, target, note)
        if note:
            self._comment(request, at, actor, note, event=False)
        if target in (Status.RESOLVED, Status.CLOSED) or action == "reopen":
            request.timing_until = at
        return True

    def _dispatch(self, request: _Request, at: datetime.datetime) -> bool:
        """A dispatcher hands out an unrouted request, or a colleague takes it from the queue."""
        if request.status != Status.NEW or request.assignee_id is not None:
            return False
        members = self.working_by_department.get(request.department_id, [])
        if members and self.rng.random() < 0.3:
            taker = self._least_loaded(members, at)
            self._reassign(request, taker, taker, self.taken, at)
            return True
        candidates = (
            members
            or [u for u in self.working if request.kind.skills <= self.skills[u]]
            or self.working_by_department.get(self.department_id.get("service"), [])
        )
        dispatcher = self.rng.choice(self.dispatchers) if self.dispatchers else None
        assignee = self._least_loaded(candidates, at) if candidates else dispatcher
        if assignee is None:
            return False
        self._reassign(request, assignee, dispatcher, self.rng.choice(data.REQUEST_DISPATCHES), at)
        return True

    def _hand_over(self, request: _Request, at: datetime.datetime) -> bool:
        """services.request_assign by the owner: passed to a skilled colleague."""
        owner = request.assignee_id
        if owner is None or request.status not in OPEN:
            return False
        skills = request.kind.skills
        colleagues = [
            u
            for u in self.working_by_department.get(request.department_id, [])
            if u != owner and skills <= self.skills[u]
        ]
        if not colleagues:
            return False
        local = self.grid_staff.get(request.shop.grid_id, frozenset())
        near = [u for u in colleagues if u in local]
        colleague = self._least_loaded(near or colleagues, at)
        self._reassign(request, colleague, owner, self.rng.choice(data.REQUEST_HANDOVERS), at)
        return True

    def _reassign(
        self, request: _Request, assignee: int, actor: int | None, note: str, at: datetime.datetime
    ) -> None:
        """services.reassign."""
        previous, source = request.assignee_id, request.status
        if previous is not None:
            self._leave(request, at)
        services.handed_over(request, assignee, self.staff_department.get(assignee))
        changed = source != request.status
        self._event(
            request,
            EventKind.ASSIGNED,
            at,
            actor,
            from_status=source if changed else "",
            to_status=request.status if changed else "",
            from_assignee=previous,
            to_assignee=assignee,
            note=note,
            public=False,
        )
        if changed:
            request.changes.append((at, request.status))
        request.handovers.append((at, previous, assignee))
        request.owner_since = at
        request.marks["assigned"] = at

    def _support_create(self, request: _Request, at: datetime.datetime, *, required: bool) -> bool:
        """services.support_task_create by the owner."""
        support = request.kind.profile.support
        if support is None or request.assignee_id is None or request.status not in OPEN:
            return False
        department = self.department_id[support.department]
        members = [u for u in self.members.get(department, []) if u != request.assignee_id]
        owner = self.rng.choice(members) if members and self.rng.random() < 0.4 else None
        due = self.calendar.add_business_seconds(at, self.day_s)
        if request.resolution_due_at:
            due = min(due, request.resolution_due_at)
        need, result = self.rng.choice(
            data.REQUEST_SUPPORT.get(support.department, ((request.title, ""),))
        )
        task = _Task(
            id=self._next(SupportTask),
            department_id=department,
            owner=owner,
            need=need,
            answer=result or str(self.task_label[SupportTask.State.DONE]),
            required=required,
            due_at=due,
            created_by=request.assignee_id,
            created_at=at,
        )
        request.tasks.append(task)
        request.marks["support"] = at
        self._event(
            request,
            EventKind.SUPPORT,
            at,
            request.assignee_id,
            note=self.support_requested[department],
        )
        return True

    def _support_update(self, request: _Request, action: str, at: datetime.datetime) -> bool:
        """services.support_task_update by the department (a dispatcher when it has nobody)."""
        task = request.tasks[-1] if request.tasks else None
        if task is None:
            return False
        worker = task.owner
        if worker is None:
            members = self.members.get(task.department_id, [])
            worker = self.rng.choice(members or self.dispatchers or [request.assignee_id])
        sources, target = services.SUPPORT_ACTIONS[action.removeprefix("support_")]
        if task.state not in sources:
            return False
        task.state = target
        if action == "support_start":
            task.started_at = at
            task.owner = worker
            result = ""
        else:
            result = task.answer
            task.finished_at, task.result = at, result
            request.marks["done"] = max(request.marks.get("done", at), at)
        label = self.task_label[task.state]
        note = f"{self.department_name[task.department_id]}: {label}. {result}".strip()
        self._event(request, EventKind.SUPPORT, at, worker, note=note[:500], public=False)
        return True

    # --- Clocks (clock.py, services._settle_clocks, escalation.py) -----------------------------

    def _settle_clocks(self, request: _Request, at: datetime.datetime) -> None:
        """services._settle_clocks: a clock that stopped late is recorded as breached."""
        for clock_name, due in services.stopped_late(request, at, self.calendar):
            self._breach(request, clock_name, due, at)

    def _sweep(self, request: _Request, limit: datetime.datetime, *, inclusive: bool) -> str:
        """escalation.escalations_run on this request, at the first minute before ``limit`` when
        it has something to do (``escalation.due_actions`` decides what).

        Returns "" when nothing was due, "reassigned" when a rule handed the request to a
        colleague, else "done".
        """
        if request.status not in OPEN:
            return ""
        for moment in self._watch(request):
            tick = _next_minute(max(moment, request.last_at))
            if tick > limit or (tick == limit and not inclusive):
                return ""
            states = escalation.running_clocks(request, tick, self.calendar)
            actions = escalation.due_actions(request, states, self.rules, request.fired)
            if not actions:
                continue
            outcome = "done"
            for clock_name, rule in actions:
                if rule is None:
                    self._record_breach(request, clock_name, tick)
                elif request.status in OPEN and self._fire(request, rule, states[clock_name], tick):
                    outcome = "reassigned"
            return outcome
        return ""

    def _watch(self, request: _Request) -> list[datetime.datetime]:
        """escalation.next_due, kept until a clock starts, stops or pauses, or something fires."""
        state = (
            request.first_response_at is None,
            request.paused_at is None,
            request.paused_seconds,
            request.response_breached,
            request.resolution_breached,
            len(request.fired),
        )
        if request.watch_state != state:
            request.watch_state = state
            request.watch = escalation.next_due(request, self.rules, request.fired, self.calendar)
        return request.watch

    def _record_breach(self, request: _Request, clock_name: str, tick: datetime.datetime) -> None:
        """escalation.record_breach (its notifications are left out of the history)."""
        setattr(request, f"{clock_name}_breached", True)
        due = request.response_due_at if clock_name == Clock.RESPONSE else request.resolution_due_at
        self._breach(request, clock_name, due or tick, tick)
        self._event(
            request, EventKind.BREACHED, tick, None, note=self.clock_label[clock_name], public=False
        )

    def _fire(self, request: _Request, rule: EscalationRule, state, tick) -> bool:
        """escalation.fire: note it, raise the priority, hand it to the least loaded colleague.
        True when it handed the request over."""
        request.fired.add(rule.pk)
        self.rows[EscalationFiring].append(
            (self._next(EscalationFiring), request.id, rule.pk, self.ts(tick))
        )
        note = escalation.escalation_note(rule, state)[:500]
        self._event(request, EventKind.ESCALATED, tick, None, note=note, public=False)
        if rule.raise_priority:
            old, new = request.priority, raised(request.priority)
            if new != old:
                request.priority = new
                text = f"{self.priority_label[old]} → {self.priority_label[new]}. {rule.name}"
                self._event(
                    request, EventKind.PRIORITY, tick, None, note=text.strip(), public=False
                )
        if rule.reassign and request.status != Status.WAITING_ON_SHOP:
            colleague = self._route(request.kind, request.shop, tick, exclude=request.assignee_id)
            if colleague is not None:
                self._reassign(request, colleague, None, note, tick)
                return True
        return False

    def _breach(self, request: _Request, clock_name: str, due, at: datetime.datetime) -> None:
        self.rows[SlaBreach].append(
            (self._next(SlaBreach), request.id, clock_name, self.ts(due), self.ts(at))
        )

    # --- Routing (routing.py) ------------------------------------------------------------------

    def _route(
        self, kind: _Type, shop: _Shop, at: datetime.datetime, exclude: int | None = None
    ) -> int | None:
        """routing.choose_assignee, with the load of the requests replayed so far."""
        people = self._candidates(kind, shop)
        if exclude is not None:
            people = [u for u in people if u != exclude]
            if not people:  # only the one being replaced fitted: widen to the department
                people = [u for u in self._skilled(kind, kind.department_id) if u != exclude]
        return self._least_loaded(people, at) if people else None

    def _candidates(self, kind: _Type, shop: _Shop) -> list[int]:
        """routing.candidates: the shop's account manager, the grid's account managers, the
        department's members serving the grid, the whole department (the first group found)."""
        key = (kind.id, shop.grid_id, shop.account_manager)
        found = self.candidates.get(key)
        if found is None:
            local = self.grid_staff.get(shop.grid_id, frozenset())
            found = []
            if kind.route_to == RouteTo.ACCOUNT_MANAGER:
                managers = [u for u in self.account_managers if kind.skills <= self.skills[u]]
                if shop.account_manager in managers:
                    found = [shop.account_manager]
                else:
                    found = [u for u in managers if u in local]
            if not found:
                members = self._skilled(kind, kind.department_id)
                found = [u for u in members if u in local] or members
            self.candidates[key] = found
        return found

    def _skilled(self, kind: _Type, department_id: int) -> list[int]:
        return [
            u
            for u in self.working_by_department.get(department_id, [])
            if kind.skills <= self.skills[u]
        ]

    def _least_loaded(self, users: list[int], at: datetime.datetime) -> int:
        def open_at(user: int) -> int:
            return sum(1 for start, end in self.load[user] if start <= at < end)

        return min(users, key=lambda u: (open_at(u), u))

    def _leave(self, request: _Request, at: datetime.datetime) -> None:
        """The current owner stops carrying the request (resolved or handed over)."""
        if request.assignee_id is not None and request.owner_since is not None:
            self.load[request.assignee_id].append((request.owner_since, at))
        request.owner_since = None

    def _prune(self, before: datetime.datetime) -> None:
        for user, spans in self.load.items():
            self.load[user] = [span for span in spans if span[1] > before]

    # --- Rows ----------------------------------------------------------------------------------

    def _event(
        self,
        request: _Request,
        kind: str,
        at: datetime.datetime,
        actor: int | None,
        *,
        from_status: str = "",
        to_status: str = "",
        from_assignee: int | None = None,
        to_assignee: int | None = None,
        note: str = "",
        public: bool = True,
    ) -> None:
        self.rows[RequestEvent].append(
            (
                self._next(RequestEvent), request.id, kind, self.ts(at), actor, from_status,
                to_status, from_assignee, to_assignee, note, public,
            )
        )  # fmt: skip
        request.last_at = at

    def _status_event(
        self, request: _Request, at, actor: int | None, source: str, target: str, note: str
    ) -> None:
        self._event(request, EventKind.STATUS, at, actor, from_status=source, to_status=target,
                    note=note)  # fmt: skip
        request.changes.append((at, target))

    def _comment(
        self,
        request: _Request,
        at: datetime.datetime,
        author: int | None,
        body: str,
        *,
        internal: bool = False,
        event: bool = True,
    ) -> None:
        """A Comment row; comment_add also writes an event (a transition's note does not)."""
        self.rows[Comment].append((self._next(Comment), request.id, author, body, internal,
                                   self.ts(at)))  # fmt: skip
        if event:
            self._event(request, EventKind.COMMENT, at, author, note=body[:500],
                        public=not internal)  # fmt: skip

    def _close_books(self, request: _Request) -> None:
        """Write the request, its support tasks and its timing as they stand at the demo's now."""
        still_open = request.status in OPEN and request.owner_since is not None
        if still_open and request.assignee_id is not None:
            self.load[request.assignee_id].append((request.owner_since, NEVER))
        ts = self.ts
        self.rows[ServiceRequest].append(
            (
                request.id, request.shop.id, request.kind.id, request.channel, request.title,
                request.description, request.priority, request.status, request.department_id,
                request.assignee_id, request.creator, ts(request.created_at), ts(request.last_at),
                _ts_or_none(ts, request.first_response_at), _ts_or_none(ts, request.resolved_at),
                _ts_or_none(ts, request.closed_at), request.response_target_min,
                request.resolution_target_min, ts(request.response_due_at),
                _ts_or_none(ts, request.resolution_due_at), _ts_or_none(ts, request.paused_at),
                request.paused_seconds, request.response_breached, request.resolution_breached,
                request.handover_count, request.reopen_count,
            )
        )  # fmt: skip
        for task in request.tasks:
            self.rows[SupportTask].append(
                (
                    task.id, request.id, task.department_id, task.owner, task.need[:300],
                    task.required, task.state, ts(task.due_at), task.result[:500],
                    task.created_by, ts(task.created_at), _ts_or_none(ts, task.started_at),
                    _ts_or_none(ts, task.finished_at),
                )
            )  # fmt: skip
        until = request.timing_until
        if until is None:
            return
        # What services.timing_refresh saw at its last call: the rows as they stood then.
        timing = compute_timing(
            created_at=request.created_at,
            status_changes=[
                StatusChange(at, status) for at, status in request.changes if at <= until
            ],
            assignments=[Handover(at, a, b) for at, a, b in request.handovers if at <= until],
            support=[
                SupportSpan(
                    t.created_at,
                    t.started_at if t.started_at and t.started_at <= until else None,
                    t.finished_at if t.finished_at and t.finished_at <= until else None,
                )
                for t in request.tasks
                if t.created_at <= until
            ],
            first_response_at=request.first_response_at,
            until=until,
            business_seconds=self.calendar.business_seconds,
        )
        values = timing.as_dict()
        self.rows[RequestTiming].append(
            (self._next(RequestTiming), request.id, request.kind.id, ts(request.created_at),
             *(values[name] for name in _TIMING_FIELDS[4:]))
        )  # fmt: skip


def _type_weight(kind: _Type, segment: str, rural: bool) -> float:
    """How often a shop of this class and market raises this type, relatively."""
    boost = {
        "stock_replenish": segment in ("core", "key"),  # popular brands run short
        "display_coaching": segment in ("core", "potential"),
        "shop_improvement": segment in ("core", "potential"),
        "delivery_late": rural,  # long routes
    }
    return kind.profile.share * (1.5 if boost.get(kind.code) else 1.0)


def _next_minute(moment: datetime.datetime) -> datetime.datetime:
    """The escalation sweep runs on the minute."""
    if moment.second or moment.microsecond:
        return moment.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    return moment


def _insert(model: type, fields: tuple[str, ...], rows: list[tuple]) -> int:
    """sql.insert, giving a text column added later its empty default (as the ORM would)."""
    blank = [
        f
        for f in model._meta.concrete_fields
        if f.attname not in fields
        and not f.has_default()
        and not f.null
        and f.empty_strings_allowed
    ]
    if blank and rows:
        tail = tuple(f.get_default() for f in blank)
        fields = (*fields, *(f.attname for f in blank))
        rows = [row + tail for row in rows]
    return sql.insert(model, fields, rows)


def _ts_or_none(ts, moment):
    return None if moment is None else ts(moment)


def _timestamp_adapter() -> Callable[[datetime.datetime], object]:
    """An aware datetime as a DateTimeField value (what the ORM would store, without the ORM)."""
    if connection.vendor == "sqlite":
        return lambda moment: str(moment.astimezone(datetime.UTC).replace(tzinfo=None))
    return connection.ops.adapt_datetimefield_value
