"""In-process caches of what intake reads on every request but changes rarely: the request
types, the SLA targets of the service plans, and routing candidates.

Each process keeps a copy for at most ``TTL_SECONDS``; a save in this process clears it at once
(signals), other processes follow within the TTL. Intake then needs no query for any of them.
"""

import time
from collections.abc import Callable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import User
from customers.models import Grid, Shop, SlaTarget
from servicedesk.models import RequestType

TTL_SECONDS = 60.0
_store: dict[str, tuple[float, Any]] = {}


def cached(name: str, load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    entry = _store.get(name)
    if entry is None or now - entry[0] > TTL_SECONDS:
        entry = (now, load())
        _store[name] = entry
    return entry[1]


def clear(*names: str) -> None:
    for name in names or list(_store):
        _store.pop(name, None)


def active_types() -> dict[str, RequestType]:
    """code → active RequestType, each with ``skill_ids`` (a tuple)."""

    def load() -> dict[str, RequestType]:
        types = {}
        for kind in RequestType.objects.filter(is_active=True).prefetch_related("skills"):
            kind.skill_ids = tuple(sorted(s.pk for s in kind.skills.all()))
            types[kind.code] = kind
        return types

    return cached("types", load)


def sla_table() -> dict[tuple[str, str], tuple[int, int]]:
    """(class, category) → (first response, resolution) in business minutes."""

    def load() -> dict[tuple[str, str], tuple[int, int]]:
        rows = SlaTarget.objects.values_list(
            "plan__segment", "category", "first_response_min", "resolution_min"
        )
        return {(segment, category): (first, done) for segment, category, first, done in rows}

    return cached("sla", load)


def routing_candidates(key: tuple, load: Callable[[], list[User]]) -> list[User]:
    table = cached("routing", dict)
    if key not in table:
        table[key] = load()
    return table[key]


def _forget_types(**kwargs) -> None:
    clear("types")


def _forget_sla(**kwargs) -> None:
    clear("sla")


def _forget_routing(**kwargs) -> None:
    clear("routing")


for signal in (post_save, post_delete):
    signal.connect(_forget_types, sender=RequestType, dispatch_uid="catalogue-types")
    signal.connect(_forget_sla, sender=SlaTarget, dispatch_uid="catalogue-sla")
    signal.connect(_forget_routing, sender=User, dispatch_uid="catalogue-routing-user")
    signal.connect(_forget_routing, sender=Shop, dispatch_uid="catalogue-routing-shop")
m2m_changed.connect(_forget_types, sender=RequestType.skills.through, dispatch_uid="types-skills")
m2m_changed.connect(_forget_routing, sender=User.skills.through, dispatch_uid="routing-skills")
m2m_changed.connect(_forget_routing, sender=Grid.staff.through, dispatch_uid="routing-grids")
