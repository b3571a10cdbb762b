"""Shops, their owners' log-ins, consent and earlier deliveries for the outreach benchmarks,
written with COPY (``demo.sql``), not the ORM; deterministic from a seed.

Each shop's draws are kept (``ShopSeed``) so the fan-out benchmark can say, with
``outreach.rules`` alone, which delivery rows the campaign must leave behind.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

SEGMENTS = ("core", "key", "potential", "ordinary")
# The shops' own channel orders (ContactPreference.channels), in equal shares.
ORDERS = (("sms", "email"), ("email",), ("wechat", "sms"), ())


@dataclass
class ShopSeed:
    """One shop as seeded: what the delivery rules will read of it."""

    id: int
    owner_id: int
    owner_active: bool
    owner_email: str
    phone: str
    segment: str
    has_preference: bool  # False: the default preference (from contact_channels, no topics)
    contact_channels: tuple[str, ...]
    channels: tuple[str, ...]
    topics: tuple[str, ...]
    unsubscribed: tuple[str, ...]
    email: str  # the preference's own address ("" → the owner's)
    wechat_openid: str
    # Earlier deliveries (their message's topic, when, status): the caps' history.
    earlier: list[tuple[str, datetime.datetime, str]] = field(default_factory=list)


def territory() -> int:
    """One district and one grid; the grid's id."""
    from customers.models import District, Grid

    district = District.objects.create(code="BENCH", name="基准区", market_type="urban")
    return Grid.objects.create(district=district, code="BENCH-1", name="基准网格").pk


def draw_shops(count: int, *, first_shop_id: int, first_user_id: int, seed: str) -> list[ShopSeed]:
    """The shops' draws: channel orders in four equal shares, 80 % opted in to marketing, some
    unsubscribed, some without an address on a channel, 2 % that never chose (default)."""
    rng = random.Random(seed)
    shops = []
    for n in range(count):
        order = ORDERS[n % len(ORDERS)]
        r = rng.random()
        topics = ("marketing", "policy") if r < 0.5 else ("marketing",) if r < 0.8 else ()
        if 0.8 <= r < 0.9:
            topics = ("policy",)
        u = rng.random()
        unsubscribed = ("sms",) if u < 0.05 else ("email",) if u < 0.08 else ()
        has_preference = rng.random() >= 0.02
        contact = ("sms",) if rng.random() < 0.6 else ("wechat", "phone")
        shops.append(
            ShopSeed(
                id=first_shop_id + n,
                owner_id=first_user_id + n,
                owner_active=rng.random() >= 0.01,
                owner_email=f"owner{n}@shops.example.com" if rng.random() < 0.7 else "",
                phone="" if rng.random() < 0.02 else f"13{rng.randrange(10**9):09d}",
                segment=rng.choice(SEGMENTS),
                has_preference=has_preference,
                contact_channels=contact,
                channels=order if has_preference else (),
                topics=topics if has_preference else (),
                unsubscribed=unsubscribed if has_preference else (),
                email=f"shop{n}@mail.example.com" if rng.random() < 0.5 else "",
                wechat_openid=f"oBench{n:010d}" if rng.random() < 0.9 else "",
            )
        )
    return shops


def write_shops(shops: list[ShopSeed], grid_id: int) -> None:
    """The owners' log-ins, the shops and their contact preferences (COPY)."""
    from accounts.models import User
    from customers.models import Shop
    from demo import sql
    from outreach.models import ContactPreference

    now = timezone.now()
    opened = datetime.date(2020, 1, 1)
    json_cache: dict[tuple, object] = {}

    def as_json(model, name, value: tuple[str, ...]):
        key = (model, name, value)
        if key not in json_cache:
            json_cache[key] = sql.json_value(model, name, list(value))
        return json_cache[key]

    sql.insert(
        User,
        ("id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
         "email", "is_staff", "is_active", "date_joined", "role", "full_name", "phone",
         "department_id"),
        (
            (s.owner_id, "!", None, False, f"bench-owner-{s.id}", "", "", s.owner_email, False,
             s.owner_active, now, "shop_owner", f"店主{s.id}", s.phone, None)
            for s in shops
        ),
    )  # fmt: skip
    lat, lng = Decimal("31.820000"), Decimal("117.227000")
    sql.insert(
        Shop,
        ("id", "licence_no", "name", "owner_name", "phone", "address", "latitude", "longitude",
         "grid_id", "business_type", "market_type", "grade", "star", "segment",
         "account_manager_id", "owner_account_id", "contact_channels", "status", "opened_on",
         "closed_on", "created_at", "updated_at"),
        (
            (s.id, f"34{s.id:010d}", f"基准便利店{s.id}", f"店主{s.id}", s.phone,
             f"合肥市基准路{s.id}号", lat, lng, grid_id, "convenience", "urban", 10, 3, s.segment,
             None, s.owner_id, as_json(Shop, "contact_channels", s.contact_channels), "active",
             opened, None, now, now)
            for s in shops
        ),
    )  # fmt: skip
    sql.insert(
        ContactPreference,
        ("shop_id", "channels", "topics", "unsubscribed", "email", "wechat_openid", "updated_at"),
        (
            (s.id, as_json(ContactPreference, "channels", s.channels),
             as_json(ContactPreference, "topics", s.topics),
             as_json(ContactPreference, "unsubscribed", s.unsubscribed), s.email,
             s.wechat_openid, now)
            for s in shops
            if s.has_preference
        ),
    )  # fmt: skip
    sql.reset_sequences([User, Shop, ContactPreference])


def staff(username: str = "bench-manager"):
    """A service manager: may send campaigns to every shop."""
    from accounts.models import User

    return User.objects.create(username=username, role="service_manager", full_name="基准经理")
