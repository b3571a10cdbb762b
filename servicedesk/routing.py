"""Who gets a new request: by type, skills, territory and current load.

- A type routed to the account manager goes to the shop's account manager when they hold the
  type's skills; otherwise to a colleague of the same grid who does.
- Otherwise (or when no account manager fits) the owning department's members who hold every
  required skill are candidates; those serving the shop's grid come first; the one with the fewest
  open requests wins (ties: the lowest id, so routing is deterministic).
- No candidate: the request waits unassigned in the department's queue.

The candidate lists are cached per (type, grid, account manager) for a minute (see
``catalogue``); the load is read fresh for every request.
"""

import time

from django.db.models import Count

from accounts.models import Role, User
from customers.models import Grid, Shop
from servicedesk import catalogue
from servicedesk.models import OPEN_STATUSES, RequestType, RouteTo, ServiceRequest

# Roles that work requests themselves; dispatchers and managers hand them out.
WORKING_ROLES = (Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF)


def _with_skills(qs, skill_ids):
    for skill_id in skill_ids:
        qs = qs.filter(skills__id=skill_id)
    return qs


def _skill_ids(request_type: RequestType) -> tuple[int, ...]:
    ids = getattr(request_type, "skill_ids", None)
    if ids is None:
        ids = tuple(sorted(s.pk for s in request_type.skills.all()))
    return ids


def candidates(request_type: RequestType, shop: Shop) -> list[User]:
    """The people who may get this request, best group first (one list, no load applied).

    The shop's own account manager alone, else the grid's account managers, else the
    department's members serving the grid, else the whole department.
    """
    skill_ids = _skill_ids(request_type)

    def load() -> list[User]:
        active = User.objects.filter(is_active=True, role__in=WORKING_ROLES)
        if request_type.route_to == RouteTo.ACCOUNT_MANAGER:
            managers = _with_skills(active.filter(role=Role.ACCOUNT_MANAGER), skill_ids)
            own = shop.account_manager_id
            if own and managers.filter(pk=own).exists():
                return [managers.get(pk=own)]
            colleagues = list(managers.filter(grids=shop.grid_id).distinct().order_by("pk"))
            if colleagues:
                return colleagues
        members = _with_skills(active.filter(department=request_type.department_id), skill_ids)
        members = list(members.distinct().order_by("pk"))
        serving = Grid.staff.through.objects.filter(
            grid_id=shop.grid_id, user_id__in=[u.pk for u in members]
        )
        local = set(serving.values_list("user_id", flat=True))
        return [u for u in members if u.pk in local] or members

    key = (request_type.pk, request_type.route_to, skill_ids, shop.grid_id, shop.account_manager_id)
    return catalogue.routing_candidates(key, load)


# Open requests per person, counted at most this long ago; this process adds what it assigns
# meanwhile, so a burst is still spread. Other processes' assignments show up after a recount.
LOAD_TTL_SECONDS = 2.0
_load: dict[int, tuple[float, int]] = {}  # user id → (counted at, open requests)


def open_load(user_ids: list[int]) -> dict[int, int]:
    """Open requests per user id (fresh from the database)."""
    rows = (
        ServiceRequest.objects.filter(assignee_id__in=user_ids, status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    counts = dict(rows)
    return {pk: counts.get(pk, 0) for pk in user_ids}


def least_loaded(users: list[User]) -> User | None:
    if not users:
        return None
    if len(users) == 1:
        return users[0]
    now = time.monotonic()
    ids = [u.pk for u in users]
    if any(pk not in _load or now - _load[pk][0] > LOAD_TTL_SECONDS for pk in ids):
        _load.update({pk: (now, n) for pk, n in open_load(ids).items()})
    chosen = min(users, key=lambda u: (_load[u.pk][1], u.pk))
    counted_at, n = _load[chosen.pk]
    _load[chosen.pk] = (counted_at, n + 1)
    return chosen


def forget_load() -> None:
    _load.clear()


def choose_assignee(
    request_type: RequestType, shop: Shop, exclude: User | None = None
) -> User | None:
    people = candidates(request_type, shop)
    if exclude is not None:
        people = [u for u in people if u.pk != exclude.pk]
        if not people:  # the first group was only the one being replaced: widen to the department
            people = [u for u in _department_members(request_type) if u.pk != exclude.pk]
    return least_loaded(people)


def _department_members(request_type: RequestType) -> list[User]:
    active = User.objects.filter(
        is_active=True, role__in=WORKING_ROLES, department=request_type.department_id
    )
    return list(_with_skills(active, _skill_ids(request_type)).distinct().order_by("pk"))
