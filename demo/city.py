"""Build the demo city: Hefei's districts and grids, staff, shops with log-ins, and order history.

Everything is drawn from ``random.Random`` seeded with the options, one stream per part, so the
same options give byte-identical rows on a fresh database (timestamps included: they derive from
the demo's ``now``). By default ``now`` is the moment the demo is seeded, so the city always looks
live: the history runs up to now (this week's orders, requests still open with their clocks
running, past visits done) and the field plans start today (or the next working day). ``until``
fixes the day instead (its "now" is 11:00 that day), for reproducible data.
"""

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Role, User
from commerce.models import Delivery, Order, OrderLine, Payment, Product
from customers import services
from customers.models import District, Grid, SegmentChange, Shop
from demo import data, draw, history, requests, sql, territory
from demo.people import Namer
from dispatch.models import Job, Plan
from quality.models import CsatRating, Initiative, Instrument, Wave
from servicedesk.models import (
    Comment,
    EscalationFiring,
    RequestEvent,
    RequestTiming,
    ServiceRequest,
    SlaBreach,
    SupportTask,
)

DEFAULT_SEED = 20261125
DEFAULT_SHOPS = 3000
DEFAULT_STAFF = 25
DEFAULT_WEEKS = 52
DEFAULT_REQUEST_WEEKS = requests.DEFAULT_WEEKS
DEMO_PASSWORD = "flexserve-demo"
# Demo staff carry this e-mail domain (reserved, never delivered) so --reset can tell the demo
# administrator from a superuser someone created by hand.
DEMO_EMAIL_DOMAIN = "demo.invalid"
MIN_STAFF = 4  # an administrator, a service manager, a dispatcher and an account manager

Progress = Callable[[str, int], None]


class DemoError(Exception):
    """The demo city cannot be built on this database as it is."""


DEMO_TIME = datetime.time(11, 0)  # the demo's "now" on a day given with ``until``


@dataclass(frozen=True)
class Options:
    shops: int = DEFAULT_SHOPS
    staff: int = DEFAULT_STAFF
    weeks: int = DEFAULT_WEEKS
    seed: int = DEFAULT_SEED
    until: datetime.date | None = None  # the demo's today (default: the clock's)
    request_weeks: int = DEFAULT_REQUEST_WEEKS
    now: datetime.datetime | None = None  # the demo's present (default: 11:00 on until, or now)

    def __post_init__(self) -> None:
        if self.shops < 1:
            raise ValueError("shops must be at least 1")
        if self.staff < MIN_STAFF:
            raise ValueError(f"staff must be at least {MIN_STAFF}")
        if self.weeks < 0:
            raise ValueError("weeks must not be negative")
        if self.request_weeks < 0:
            raise ValueError("request weeks must not be negative")
        now = self.now
        if now is None and self.until is not None:
            now = datetime.datetime.combine(self.until, DEMO_TIME)
        now = timezone.localtime(_aware(now or timezone.now())).replace(microsecond=0)
        if self.until is not None and now.date() != self.until:
            raise ValueError(f"now ({now}) does not fall on until ({self.until})")
        object.__setattr__(self, "now", now)
        object.__setattr__(self, "until", now.date())

    @property
    def monday(self) -> datetime.date:
        """The Monday of the demo's week: the order history runs in weeks up to it."""
        return self.until - datetime.timedelta(days=self.until.weekday())

    @property
    def live_from(self) -> datetime.date:
        """When the platform went live: a week before the first week of orders or requests."""
        return self.monday - datetime.timedelta(weeks=max(self.weeks, self.request_weeks) + 1)


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@dataclass(frozen=True)
class ShopLife:
    """What the order history needs to know about a shop."""

    id: int
    grid: territory.GridPlan
    grade: int
    opened_on: datetime.date
    closed_on: datetime.date | None
    slot_min: int  # minutes after midnight when the delivery van reaches it


@dataclass
class Summary:
    stages: list[tuple[str, int, float]]
    segments: dict[str, int]
    elapsed_s: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds: city, orders, requests


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    note: str


class _Clock:
    def __init__(self, progress: Progress | None) -> None:
        self.started = time.perf_counter()
        self.stages: list[tuple[str, int, float]] = []
        self.progress = progress
        self.phases: dict[str, float] = {}
        self._phase_from = self.started

    def phase(self, name: str) -> None:
        """Close the phase ``name``: the seconds since the previous one closed."""
        now = time.perf_counter()
        self.phases[name] = now - self._phase_from
        self._phase_from = now

    def stage(self, name: str, count: int) -> None:
        elapsed = time.perf_counter() - self.started
        self.stages.append((name, count, elapsed))
        if self.progress:
            self.progress(name, count)


def build(options: Options, *, progress: Progress | None = None) -> Summary:
    """Create the whole demo city in one transaction (nothing is written if a step fails)."""
    clock = _Clock(progress)
    with transaction.atomic():
        if Shop.objects.exists():
            raise DemoError("the database already has shops")
        staff_plan = territory.staff_plan(options.staff)
        taken = set(User.objects.values_list("username", flat=True))
        clash = sorted(taken & {username for username, _ in staff_plan})
        if clash:
            raise DemoError(f"user names already taken: {', '.join(clash)}")
        products = _products()
        clock.stage("products", len(products))
        grids = territory.build_grids(seed=options.seed, shops=options.shops)
        clock.stage("grids", len(grids))
        # One hash for every demo account: hashing 50,000 passwords with Argon2 takes minutes.
        # The salt is fixed so reruns stay byte-identical; the password is public anyway.
        password = make_password(DEMO_PASSWORD, salt=f"flexservedemo{options.seed}")
        team = territory.build_staff(
            seed=options.seed,
            plan=staff_plan,
            grids=grids,
            password=password,
            joined=timezone.make_aware(
                datetime.datetime.combine(options.live_from, datetime.time(9))
            ),
            email_domain=DEMO_EMAIL_DOMAIN,
        )
        clock.stage("staff", len(staff_plan))
        shops = _shops(options, grids, team, password, taken)
        clock.stage("shops with owner log-ins", len(shops))
        result = services.segments_recompute(actor=None)
        _settle_timestamps(shops[0].id)
        clock.stage("classified", result.shops_moved)
        clock.phase("city")
        if options.weeks:
            for name, count in history.build(
                seed=options.seed,
                now=options.now,
                weeks=options.weeks,
                shops=shops,
                products=products,
                progress=clock.stage,
            ).items():
                clock.stage(name, count)
        clock.phase("orders")
        if options.request_weeks:
            for name, count in requests.build(
                seed=options.seed,
                now=options.now,
                weeks=options.request_weeks,
                progress=clock.stage,
            ).items():
                clock.stage(name, count)
        sql.reset_sequences(
            [User, Grid, Shop, Order, OrderLine, Delivery, Payment, *requests.SEQUENCED]
        )
    clock.phase("requests")  # with the commit of the whole city
    segments = dict(Shop.objects.values_list("segment").annotate(n=Count("id")).order_by())
    return Summary(clock.stages, segments, time.perf_counter() - clock.started, clock.phases)


def _products() -> list[history.ProductPlan]:
    """The tobacco products, created when missing; codes are EAN-13 numbers."""
    plans = []
    for index, (brand, name, price, popularity) in enumerate(data.PRODUCTS, start=1):
        code = _ean13(f"{data.PRODUCT_CODE_PREFIX}{index:05d}")
        product, _ = Product.objects.get_or_create(
            code=code, defaults={"brand": brand, "name": name, "unit_price": price}
        )
        plans.append(history.ProductPlan(product.pk, round(product.unit_price * 100), popularity))
    return plans


def _ean13(first12: str) -> str:
    odd = sum(int(d) for d in first12[0::2])
    even = sum(int(d) for d in first12[1::2])
    return first12 + str((10 - (odd + 3 * even) % 10) % 10)


_SHOP_FIELDS = (
    "id", "licence_no", "name", "owner_name", "phone", "address", "latitude", "longitude",
    "grid_id", "business_type", "market_type", "grade", "star", "segment", "account_manager_id",
    "owner_account_id", "contact_channels", "status", "opened_on", "closed_on", "created_at",
    "updated_at",
)  # fmt: skip
_OWNER_FIELDS = (
    "id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
    "email", "is_staff", "is_active", "date_joined", "role", "full_name", "phone",
    "department_id",
)  # fmt: skip


def _shops(
    options: Options,
    grids: list[territory.GridPlan],
    account_manager: dict[int, int],
    password: str,
    taken: set[str],
) -> list[ShopLife]:
    """Create every shop and its owner's log-in (user name = licence number)."""
    rng = random.Random(f"{options.seed}:shops")
    namer = Namer(rng)
    ts = sql.timestamp_adapter()
    type_cum = {
        market: draw.cumulative([t[1 if market == "urban" else 2] for t in data.BUSINESS_TYPES])
        for market in ("urban", "rural")
    }
    channels_json: dict[tuple[str, ...], object] = {}
    by_district: dict[str, list[territory.GridPlan]] = {}
    for grid in grids:
        by_district.setdefault(grid.district.code, []).append(grid)
    shop_id, user_id = sql.next_id(Shop), sql.next_id(User)
    shop_rows, user_rows, lives = [], [], []
    counts = draw.split(options.shops, [d.share for d in data.DISTRICTS])
    for spec, n in zip(data.DISTRICTS, counts, strict=True):
        district_grids = by_district[spec.code]
        serials = rng.sample(range(100001, 1000000), n)
        per_grid = draw.split(n, [rng.uniform(0.7, 1.3) for _ in district_grids])
        spread = data.SHOP_SPREAD_DEG[spec.market_type]
        for grid, count in zip(district_grids, per_grid, strict=True):
            town_short = grid.town.removesuffix("街道").removesuffix("社区")
            town_short = town_short.removesuffix("镇").removesuffix("乡") or grid.town
            for k in range(count):
                licence = f"{spec.code}{serials.pop():06d}"
                if licence in taken:
                    raise DemoError(f"user name already taken: {licence}")
                market = "urban" if rng.random() < grid.urban_share else "rural"
                btype_index = draw.pick(rng, type_cum[market])
                btype, _, _, bonus = data.BUSINESS_TYPES[btype_index]
                grade, star = _grade_and_star(rng, bonus, market)
                owner = namer.full_name()
                phone = namer.mobile()
                road = rng.choice(spec.roads)
                number = 1 + int(rng.random() ** 1.6 * 480)
                if market == "rural" and spec.market_type == "rural":
                    village = namer.village()
                    address = f"合肥市{spec.name}{grid.town}{village}村{rng.randint(1, 12)}组"
                    place = rng.choice((village, town_short))
                else:
                    town = grid.town if spec.market_type == "rural" else ""
                    address = f"合肥市{spec.name}{town}{road}{number}号"
                    place = rng.choice((road, town_short))
                name = namer.shop_name(btype, owner, road, place)
                lat = grid.lat + rng.gauss(0, spread)
                lng = grid.lng + rng.gauss(0, spread) / 0.85
                opened_on = options.until - datetime.timedelta(
                    days=30 + min(int(rng.expovariate(1 / 1800)), 9000)
                )
                closed_on = None
                if rng.random() < 0.02:
                    candidate = options.until - datetime.timedelta(days=rng.randint(7, 330))
                    closed_on = candidate if candidate > opened_on else None
                channels = tuple(c for c, p in data.CONTACT_CHANNELS if rng.random() < p)
                channels = channels or ("phone",)
                if channels not in channels_json:
                    channels_json[channels] = sql.json_value(
                        Shop, "contact_channels", list(channels)
                    )
                created = ts(
                    datetime.datetime.combine(max(opened_on, options.live_from), datetime.time(9))
                )
                user_rows.append(
                    (user_id, password, None, False, licence, "", "", "", False, True,
                     created, Role.SHOP_OWNER.value, owner, phone, None)
                )  # fmt: skip
                shop_rows.append(
                    (shop_id, licence, name, owner, phone, address, _deg(lat), _deg(lng),
                     grid.id, btype, market, grade, star, "", account_manager.get(grid.id),
                     user_id, channels_json[channels],
                     Shop.Status.CLOSED.value if closed_on else Shop.Status.ACTIVE.value,
                     opened_on, closed_on, created, created)
                )  # fmt: skip
                lives.append(
                    ShopLife(shop_id, grid, grade, opened_on, closed_on, 510 + k * 390 // count)
                )
                shop_id += 1
                user_id += 1
    sql.insert(User, _OWNER_FIELDS, user_rows)
    sql.insert(Shop, _SHOP_FIELDS, shop_rows)
    return lives


def _grade_and_star(rng: random.Random, bonus: int, market: str) -> tuple[int, int]:
    """Grade 1–30 skewed to small shops; star 1–5 follows grade, with room for exceptions.

    Tuned so the default rules give about 4 % core, 13 % key, 23 % potential shops.
    """
    size = rng.betavariate(1.4, 3.0)
    grade = 1 + int(size * 30) + bonus + (1 if market == "urban" else -1)
    grade = max(1, min(30, grade))
    capability = 0.65 * (grade - 1) / 29 + 0.40 * rng.random() + rng.gauss(0, 0.08)
    return grade, max(1, min(5, 1 + int(capability * 5.2)))


def _deg(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")  # six decimals, as the model stores them


def _settle_timestamps(first_shop_id: int) -> None:
    """Date the classification at each shop's registration, not at the moment of seeding."""
    created = Shop.objects.filter(pk=OuterRef("shop_id")).values("created_at")[:1]
    SegmentChange.objects.filter(shop_id__gte=first_shop_id).update(changed_at=Subquery(created))
    Shop.objects.filter(pk__gte=first_shop_id).update(updated_at=F("created_at"))


def reset() -> dict[str, int]:
    """Delete the demo data: service requests, orders and the rest of commerce, shops,
    territory, log-ins.

    Kept: superusers not created by the demo, departments, skills, rule sets, service plans,
    the community's word list. Messages, campaigns and consent records go with the shops.
    Another app's rows that protect a shop or a user stop the reset (ProtectedError).
    """
    from demo import community, outreach

    # Messages name shops, templates and their authors; the community's content protects its
    # authors: both go first.
    deleted: dict[str, int] = outreach.reset()
    deleted |= community.reset()
    demo_codes = [
        _ean13(f"{data.PRODUCT_CODE_PREFIX}{i:05d}") for i in range(1, len(data.PRODUCTS) + 1)
    ]
    steps = (
        # Routes protect their staff and jobs their shops: the field work goes first.
        ("survey waves", Wave.objects.all()),
        ("service initiatives", Initiative.objects.all()),
        ("initiative questionnaires", Instrument.objects.filter(kind=Instrument.Kind.FUNNEL)),
        ("satisfaction ratings", CsatRating.objects.all()),
        ("plans", Plan.objects.all()),
        ("jobs", Job.objects.all()),
        # A request protects its shop: requests and everything hanging on them go first.
        ("request events", RequestEvent.objects.all()),
        ("request comments", Comment.objects.all()),
        ("support tasks", SupportTask.objects.all()),
        ("request timings", RequestTiming.objects.all()),
        ("SLA breaches", SlaBreach.objects.all()),
        ("escalations", EscalationFiring.objects.all()),
        ("service requests", ServiceRequest.objects.all()),
        ("payments", Payment.objects.all()),
        ("deliveries", Delivery.objects.all()),
        ("order lines", OrderLine.objects.all()),
        ("orders", Order.objects.all()),
        ("products", Product.objects.filter(code__in=demo_codes)),
        ("class changes", SegmentChange.objects.all()),
        ("shops", Shop.objects.all()),
        ("grids", Grid.objects.all()),
        ("districts", District.objects.all()),
        (
            "users",
            User.objects.filter(Q(is_superuser=False) | Q(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")),
        ),
    )
    with transaction.atomic():
        for name, queryset in steps:
            # Count the model's own rows, not the cascaded ones (m2m links, history).
            deleted[name] = queryset.delete()[1].get(queryset.model._meta.label, 0)
    return deleted


def demo_logins() -> list[DemoLogin]:
    """The log-ins to show: one per staff role, and the owners of a core and an ordinary shop."""
    wanted = [
        (Role.ADMIN, "admin"),
        (Role.SERVICE_MANAGER, "manager"),
        (Role.DISPATCHER, "dispatcher"),
        (Role.ACCOUNT_MANAGER, "am01"),
        (Role.SERVICE_STAFF, "staff01"),
    ]
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[name for _, name in wanted], email__endswith=f"@{DEMO_EMAIL_DOMAIN}"
        )
    }
    logins = [
        DemoLogin(role.value, name, DEMO_PASSWORD, users[name].full_name)
        for role, name in wanted
        if name in users
    ]
    for segment in ("core", "ordinary"):
        shop = (
            Shop.objects.filter(
                segment=segment, status=Shop.Status.ACTIVE, owner_account__isnull=False
            )
            .select_related("owner_account")
            .order_by("licence_no")
            .first()
        )
        if shop is not None:
            logins.append(
                DemoLogin(
                    Role.SHOP_OWNER.value,
                    shop.owner_account.username,
                    DEMO_PASSWORD,
                    f"{shop.name} ({segment})",
                )
            )
    return logins
