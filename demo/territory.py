"""The demo city's territory and team: districts, grids (网格) and the staff who serve them.

Urban districts get small dense grids, rural counties large sparse ones; each grid orders on its
own weekday. Account managers take neighbouring grids, service staff likewise.
"""

import datetime
import math
import random
from dataclasses import dataclass

from accounts.models import Department, Role, Skill, User
from customers.models import District, Grid
from demo import data, draw, sql
from demo.people import Namer


@dataclass(frozen=True)
class GridPlan:
    id: int
    code: str
    district: data.DistrictSpec
    town: str
    lat: float
    lng: float
    urban_share: float  # chance that a shop of this grid is an urban-market shop
    weekday: int  # the day of the week its shops order (0 = Monday); deliveries follow


def build_grids(*, seed: int, shops: int) -> list[GridPlan]:
    """The districts and their grids, created when missing; grids come in district order."""
    rng = random.Random(f"{seed}:territory")
    counts = draw.split(shops, [d.share for d in data.DISTRICTS])
    district_grids = {
        spec.code: max(1, round(n / data.SHOPS_PER_GRID[spec.market_type]))
        for spec, n in zip(data.DISTRICTS, counts, strict=True)
    }
    specs = [(spec, i) for spec in data.DISTRICTS for i in range(district_grids[spec.code])]
    existing = Grid.objects.in_bulk([f"{s.abbr}{i + 1:03d}" for s, i in specs], field_name="code")
    districts = {
        spec.code: District.objects.get_or_create(
            code=spec.code, defaults={"name": spec.name, "market_type": spec.market_type}
        )[0]
        for spec in data.DISTRICTS
    }
    new_grids, plans, grid_id = [], [], sql.next_id(Grid)
    for spec, i in specs:
        code = f"{spec.abbr}{i + 1:03d}"
        town = spec.towns[i % len(spec.towns)]
        radius = spec.radius_deg * math.sqrt(rng.random())
        angle = rng.random() * 2 * math.pi
        lat = spec.lat + radius * math.sin(angle)
        lng = spec.lng + radius * math.cos(angle) / math.cos(math.radians(spec.lat))
        if spec.market_type == "urban":
            # Suburban towns (镇, 乡) of an urban district are mostly rural markets.
            urban_share = 0.35 if town.endswith(("镇", "乡")) else 0.97
        else:
            # The county seat is a town: urban, when the county is big enough to have one.
            seat = i == 0 and district_grids[spec.code] >= 3
            urban_share = 0.75 if seat else 0.06
        grid = existing.get(code)
        if grid is None:
            grid = Grid(
                id=grid_id,
                district=districts[spec.code],
                code=code,
                name=f"{town}第{i // len(spec.towns) + 1}网格",
            )
            grid_id += 1
            new_grids.append(grid)
        plans.append(GridPlan(grid.id, code, spec, town, lat, lng, urban_share, i % 5))
    Grid.objects.bulk_create(new_grids)
    return plans


def staff_plan(n: int) -> list[tuple[str, str]]:
    """(username, role) of the ``n`` demo staff members: most are account managers."""
    managers = dispatchers = 2 if n >= 10 else 1
    rest = n - 1 - managers - dispatchers
    service = max(1, rest * 3 // 10) if rest >= 2 else 0
    plan = [("admin", Role.ADMIN)]
    plan += [("manager" + (str(i) if i > 1 else ""), Role.SERVICE_MANAGER) for i in range(1, 3)]
    plan = plan[: 1 + managers]
    plan += [
        ("dispatcher" + (str(i) if i > 1 else ""), Role.DISPATCHER)
        for i in range(1, dispatchers + 1)
    ]
    plan += [(f"am{i:02d}", Role.ACCOUNT_MANAGER) for i in range(1, rest - service + 1)]
    plan += [(f"staff{i:02d}", Role.SERVICE_STAFF) for i in range(1, service + 1)]
    return plan


def build_staff(
    *,
    seed: int,
    plan: list[tuple[str, str]],
    grids: list[GridPlan],
    password: str,
    joined: datetime.datetime,
    email_domain: str,
) -> dict[int, int]:
    """Create the staff log-ins and their territories; return grid id → its account manager."""
    rng = random.Random(f"{seed}:staff")
    namer = Namer(rng)
    departments = dict(Department.objects.values_list("code", "pk"))
    skills = dict(Skill.objects.values_list("code", "pk"))
    users, user_skills, seen = [], [], {}
    user_id = sql.next_id(User)
    for username, role in plan:
        department = data.STAFF_DEPARTMENTS[role]
        if isinstance(department, tuple):  # the second of a role goes to the second department
            department = department[seen.get(role, 0) % len(department)]
        seen[role] = seen.get(role, 0) + 1
        users.append(
            User(
                id=user_id,
                username=username,
                password=password,
                role=role,
                full_name=namer.full_name(),
                phone=namer.mobile(),
                email=f"{username}@{email_domain}",
                department_id=departments.get(department),
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
                date_joined=joined,
            )
        )
        codes = data.STAFF_SKILLS.get(role, ())
        for code in rng.sample(codes, k=rng.randint(1, len(codes))) if codes else ():
            if code in skills:
                user_skills.append(User.skills.through(user_id=user_id, skill_id=skills[code]))
        user_id += 1
    User.objects.bulk_create(users)
    User.skills.through.objects.bulk_create(user_skills)
    managers = [u.id for u in users if u.role == Role.ACCOUNT_MANAGER]
    service = [u.id for u in users if u.role == Role.SERVICE_STAFF]
    am_grids, staff_grids = share_out(grids, managers), share_out(grids, service)
    Grid.staff.through.objects.bulk_create(
        Grid.staff.through(grid_id=grid_id, user_id=user)
        for teams in (am_grids, staff_grids)
        for grid_id, members in teams.items()
        for user in members
    )
    return {grid_id: members[0] for grid_id, members in am_grids.items()}


def share_out(grids: list[GridPlan], members: list[int]) -> dict[int, list[int]]:
    """Neighbouring grids go to the same member; with more members than grids, they pair up."""
    if not members:
        return {}
    if len(grids) >= len(members):
        return {g.id: [members[i * len(members) // len(grids)]] for i, g in enumerate(grids)}
    shares: dict[int, list[int]] = {g.id: [] for g in grids}
    for i, member in enumerate(members):
        shares[grids[i % len(grids)].id].append(member)
    return shares
