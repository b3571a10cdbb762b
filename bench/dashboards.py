"""Benchmark: the managers' dashboards on a city of 50,000 shops and 5,000,000 requests.

The city is written with SQL (``INSERT … SELECT generate_series``), not the ORM: 10 districts of
80 grids, 50,000 shops (5 % core, 15 % key, 20 % potential, 60 % ordinary), 100 account managers
with 8 grids each, 50 customer-service staff, and ``REQUESTS`` requests spread evenly over the
two years up to ``NOW`` (about 6,800 a day): 15 types (the first ones commonest), five channels,
three in four owned by the shop's account manager; first response and resolution times drawn
log-normal (medians 20 min and 8 h), so recent requests are still open; 0.2 % stuck open for
good; 8 % handed over, 4 % reopened. Each request has its "created" event, each resolved one its
"resolved" event, each open one a later note; resolved requests of the last 90 days have CSAT
ratings (30 % invited, 70 % of those rated). Then about 1,000,000 survey answers
(``bench/dashboards_surveys.py``): two SERVQUAL waves, an NPS wave, four initiatives with two
funnel waves each, and class moves. Secondary indexes of the request tables and foreign-key checks
are off while loading and rebuilt after (``quality_load_s`` covers all of it).

Timed: ``refresh(full=True)`` over everything (``rollup_full_refresh_s``); then one more day —
7,000 new requests and the day's resolutions of about 8,000 open ones, with their events — and
the 15-minute ``refresh()`` that follows (``rollup_refresh_s``). Then 20 rounds of the query set
a manager's pages run — ``service_dashboard`` and ``staff_dashboard`` for the last 30 days city
wide, for one district and for one staff member — and the 95th percentile of each call
(``dash_service_p95_ms``, ``dash_staff_p95_ms``), and likewise the satisfaction, SERVQUAL and
initiatives dashboards; ``dash_worst_p95_ms`` is the worst of the five. An account manager's
territory is timed too.
"""

import datetime
import statistics
import time
from zoneinfo import ZoneInfo

from bench._pg import drop_secondary_indexes
from bench.dashboards_surveys import load_surveys

DATABASE = "postgresql"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 23, 11, 0, tzinfo=SHANGHAI)
SHOPS = 50_000
REQUESTS = 5_000_000
DAYS = 730
DISTRICTS = 10
GRIDS_PER_DISTRICT = 80
GRIDS_PER_MANAGER = 8
SERVICE_STAFF = 50
NEW_IN_A_DAY = 7_000
RUNS = 20
SEED = 0.20261123
# A literal (bench/run.py reads it without importing the module).
TARGETS = {
    "dash_service_p95_ms": (500, "<"),
    "dash_staff_p95_ms": (500, "<"),
    "dash_satisfaction_p95_ms": (500, "<"),
    "dash_servqual_p95_ms": (500, "<"),
    "dash_initiatives_p95_ms": (500, "<"),
    "dash_worst_p95_ms": (500, "<"),
}
NOTES = {
    "quality_load_s": "write the city and 5,000,000 requests with their events and CSAT "
    "ratings in SQL, rebuild the indexes, ANALYZE (PostgreSQL)",
    "rollup_full_refresh_s": "dashboards rollups.refresh(full=True) over every request",
    "rollup_refresh_s": "the 15-minute refresh after one more day (~15,000 new or updated "
    "requests)",
    "dash_service_p95_ms": "service_dashboard, last 30 days, city / one district / one staff "
    "member, a service manager; p95 of 20 rounds",
    "dash_staff_p95_ms": "staff_dashboard (CSAT included), same filters; p95 of 20 rounds",
    "dash_satisfaction_p95_ms": "satisfaction_dashboard (CSAT, NPS, weekly trend, comments), "
    "same filters",
    "dash_servqual_p95_ms": "servqual_dashboard of the open SERVQUAL wave against the one "
    "before, same filters (one staff member: their shops' account manager)",
    "dash_initiatives_p95_ms": "initiatives_dashboard (four initiatives' funnels and goals, "
    "class moves), same filters",
    "dash_worst_p95_ms": "the worst of the five dashboards' p95",
    "survey_answers": "survey answers in the database",
    "dash_service_territory_p95_ms": "service_dashboard for an account manager (8 grids)",
    "dash_requestday_rows": "rows of the full-grain rollup (day × grid × class × type × "
    "channel × assignee)",
}


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


# --- Loading ------------------------------------------------------------------------------------

_LOADED_TABLES = (
    "servicedesk_servicerequest",
    "servicedesk_requestevent",
    "quality_csatrating",
    "customers_shop",
)
_SURVEY_TABLES = (
    "quality_wave",
    "quality_invitation",
    "quality_response",
    "quality_answer",
    "customers_segmentchange",
)


_CITY_SQL = (
    """
    INSERT INTO customers_district (id, code, name, market_type)
        SELECT d, 'BD' || lpad(d::text, 2, '0'), '区' || d,
               CASE WHEN d <= 4 THEN 'urban' ELSE 'rural' END
        FROM generate_series(1, %(districts)s) d
    """,
    """
    INSERT INTO customers_grid (id, code, name, district_id)
        SELECT g, 'BG' || lpad(g::text, 4, '0'), '网格' || g, 1 + (g - 1) / %(per_district)s
        FROM generate_series(1, %(grids)s) g
    """,
    """
    INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined, role, full_name, phone, department_id)
        SELECT u, '!', false, 'bench' || u, '', '', '', false, true, %(now)s,
               CASE WHEN u = 1 THEN 'service_manager'
                    WHEN u <= 1 + %(managers)s THEN 'account_manager'
                    ELSE 'service_staff' END,
               '员工' || u, '',
               CASE WHEN u > 1 + %(managers)s
                    THEN (SELECT id FROM accounts_department WHERE code = 'service') END
        FROM generate_series(1, 1 + %(managers)s + %(service)s) u
    """,
    """
    INSERT INTO customers_grid_staff (grid_id, user_id)
        SELECT g, 2 + (g - 1) / %(per_manager)s FROM generate_series(1, %(grids)s) g
    """,
    """
    INSERT INTO customers_shop (id, licence_no, name, owner_name, phone, address, latitude,
            longitude, business_type, market_type, grade, star, segment, contact_channels,
            status, opened_on, created_at, updated_at, account_manager_id, grid_id)
        SELECT s, '3401' || lpad(s::text, 8, '0'), '便利店' || s, '张三',
               '139' || lpad(s::text, 8, '0'), '合肥市', 31.82, 117.23, 'convenience', 'urban',
               10, 2,
               CASE WHEN s * 7919 %% 100 < 5 THEN 'core' WHEN s * 7919 %% 100 < 20 THEN 'key'
                    WHEN s * 7919 %% 100 < 40 THEN 'potential' ELSE 'ordinary' END,
               '[]'::jsonb, 'active', DATE '2020-01-01', %(now)s, %(now)s,
               2 + ((s - 1) %% %(grids)s) / %(per_manager)s, 1 + (s - 1) %% %(grids)s
        FROM generate_series(1, %(shops)s) s
    """,
)


def _city(cursor, now: datetime.datetime) -> None:
    grids = DISTRICTS * GRIDS_PER_DISTRICT
    managers = grids // GRIDS_PER_MANAGER
    params = {
        "districts": DISTRICTS,
        "per_district": GRIDS_PER_DISTRICT,
        "grids": grids,
        "managers": managers,
        "per_manager": GRIDS_PER_MANAGER,
        "service": SERVICE_STAFF,
        "shops": SHOPS,
        "now": now,
    }
    # One statement per execute: server-side binding prepares each, and a prepared statement
    # holds one command.
    for statement in _CITY_SQL:
        cursor.execute(statement, params)


# One request per series value g: its random draws, then what follows from them. Times are in
# minutes; z1, z2 are two independent standard normals (Box–Muller).
_REQUESTS_SQL = """
INSERT INTO servicedesk_servicerequest (id, channel, title, description, priority, status,
    created_at, updated_at, first_response_at, resolved_at, closed_at, response_target_min,
    resolution_target_min, response_due_at, resolution_due_at, paused_seconds,
    response_breached, resolution_breached, handover_count, reopen_count, body_fingerprint,
    assignee_id, department_id, request_type_id, shop_id)
SELECT g, channel, 'bench', '', 'normal',
       CASE WHEN resolved IS NULL THEN CASE WHEN assignee IS NULL THEN 'new' ELSE 'in_progress' END
            WHEN resolved + interval '3 days' < %(now)s THEN 'closed' ELSE 'resolved' END,
       created,
       COALESCE(CASE WHEN resolved + interval '3 days' < %(now)s
                     THEN resolved + interval '3 days' END, resolved, responded, created),
       responded, resolved,
       CASE WHEN resolved + interval '3 days' < %(now)s THEN resolved + interval '3 days' END,
       60, 1440, created + interval '1 hour', created + interval '1 day', 0,
       response_min > 60, resolution_min > 2880,
       CASE WHEN resolved IS NULL THEN 0 WHEN r_hand < 0.08 THEN 1 WHEN r_hand < 0.10 THEN 2
            ELSE 0 END,
       CASE WHEN resolved IS NOT NULL AND r_reopen < 0.04 THEN 1 ELSE 0 END,
       '', assignee, t.department_id, type_id, shop_id
FROM (
    SELECT *,
           CASE WHEN created + response_min * interval '1 minute' < %(now)s
                THEN created + response_min * interval '1 minute' END AS responded,
           CASE WHEN r_stuck >= 0.002
                     AND created + resolution_min * interval '1 minute' < %(now)s
                THEN created + resolution_min * interval '1 minute' END AS resolved
    FROM (
        SELECT *,
               exp(ln(20) + 1.3 * z1) AS response_min,
               greatest(exp(ln(20) + 1.3 * z1), exp(ln(480) + 1.5 * z2)) AS resolution_min,
               CASE WHEN r_owner < 0.75 THEN 2 + ((shop_id - 1) %% %(grids)s) / %(per_manager)s
                    WHEN r_owner < 0.97 THEN %(first_service)s + (g %% %(service)s)
                    END AS assignee
        FROM (
            SELECT g,
                   %(start)s::timestamptz + (g - %(first)s + r_time)
                       * (%(span_s)s::float / %(n)s) * interval '1 second' AS created,
                   1 + floor(r_shop * %(shops)s)::bigint AS shop_id,
                   1 + floor(15 * r_type * r_type)::bigint AS type_id,
                   CASE WHEN r_channel < 0.45 THEN 'portal' WHEN r_channel < 0.75 THEN 'phone'
                        WHEN r_channel < 0.90 THEN 'visit' WHEN r_channel < 0.97 THEN 'chat'
                        ELSE 'api' END AS channel,
                   sqrt(-2 * ln(greatest(r_a, 1e-12))) * cos(2 * pi() * r_b) AS z1,
                   sqrt(-2 * ln(greatest(r_a, 1e-12))) * sin(2 * pi() * r_b) AS z2,
                   r_owner, r_stuck, r_hand, r_reopen
            FROM (
                SELECT g, random() AS r_time, random() AS r_shop, random() AS r_type,
                       random() AS r_channel, random() AS r_a, random() AS r_b,
                       random() AS r_owner, random() AS r_stuck, random() AS r_hand,
                       random() AS r_reopen
                FROM generate_series(%(first)s, %(last)s) g
            ) draws
        ) picked
    ) timed
) requests
JOIN servicedesk_requesttype t ON t.id = requests.type_id
"""


def _requests(
    cursor,
    *,
    first: int,
    last: int,
    start: datetime.datetime,
    span_s: float,
    now: datetime.datetime,
) -> None:
    """Requests ``first`` … ``last`` created evenly over ``span_s`` seconds from ``start``;
    what has not happened by ``now`` is left undone."""
    grids = DISTRICTS * GRIDS_PER_DISTRICT
    cursor.execute(
        _REQUESTS_SQL,
        {
            "first": first,
            "last": last,
            "n": last - first + 1,
            "start": start,
            "span_s": span_s,
            "now": now,
            "shops": SHOPS,
            "grids": grids,
            "per_manager": GRIDS_PER_MANAGER,
            "first_service": 2 + grids // GRIDS_PER_MANAGER,
            "service": SERVICE_STAFF,
        },
    )


def _events(cursor, *, since_id: int, now: datetime.datetime) -> None:
    """Each request's "created" event, each resolved one's "resolved" event, and a note on each
    open one at a random moment of its life."""
    cursor.execute(
        """
        INSERT INTO servicedesk_requestevent (kind, at, from_status, to_status, note, public,
            actor_id, request_id)
        SELECT 'created', created_at, '', 'new', '', true, NULL, id
        FROM servicedesk_servicerequest WHERE id >= %(since)s
        UNION ALL
        SELECT 'status', resolved_at, 'in_progress', 'resolved', '', true, assignee_id, id
        FROM servicedesk_servicerequest WHERE id >= %(since)s AND resolved_at IS NOT NULL
        UNION ALL
        SELECT 'comment', created_at + random() * (%(now)s - created_at), '', '', '', false,
               assignee_id, id
        FROM servicedesk_servicerequest
        WHERE id >= %(since)s AND resolved_at IS NULL
        """,
        {"since": since_id, "now": now},
    )


def _ratings(cursor, now: datetime.datetime) -> None:
    cursor.execute(
        """
        INSERT INTO quality_csatrating (source, contact_at, invited_at, expires_at, score,
            reason, comment, rated_at, request_id, shop_id, staff_id)
        SELECT 'request', resolved_at, resolved_at + interval '1 hour',
               resolved_at + interval '8 days',
               -- Mostly 5s and 4s: 5 − ⌊5 (r / 0.21)²⌋.
               CASE WHEN r < 0.21 THEN 5 - floor(5 * (r / 0.21) ^ 2)::int END, '', '',
               CASE WHEN r < 0.21 THEN resolved_at + interval '3 hours' END,
               id, shop_id, assignee_id
        FROM (SELECT *, random() AS r FROM servicedesk_servicerequest
              WHERE resolved_at >= %(since)s AND resolved_at < %(now)s) resolved
        WHERE r < 0.30
        """,
        {"since": now - datetime.timedelta(days=90), "now": now - datetime.timedelta(hours=1)},
    )


def _reset_sequences(cursor) -> None:
    for table in (
        "customers_district",
        "customers_grid",
        "accounts_user",
        "customers_shop",
        "servicedesk_servicerequest",
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )


def load() -> float:
    """Write the city, its requests, events and ratings; seconds taken."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [SEED])
        # Foreign keys are not checked row by row while loading (the generator keeps them).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        indexes = drop_secondary_indexes(cursor, _LOADED_TABLES)
        _city(cursor, NOW)
        start = NOW - datetime.timedelta(days=DAYS)
        chunk = 1_000_000
        for first in range(1, REQUESTS + 1, chunk):
            last = min(REQUESTS, first + chunk - 1)
            span = DAYS * 86400 * (last - first + 1) / REQUESTS
            offset = DAYS * 86400 * (first - 1) / REQUESTS
            _requests(
                cursor,
                first=first,
                last=last,
                start=start + datetime.timedelta(seconds=offset),
                span_s=span,
                now=NOW,
            )
            _say(f"{last:,} requests written ({time.perf_counter() - started:.0f} s)")
        _events(cursor, since_id=1, now=NOW)
        _say(f"events written ({time.perf_counter() - started:.0f} s)")
        _ratings(cursor, NOW)
        _reset_sequences(cursor)
        answers = load_surveys(cursor, now=NOW, shops=SHOPS, days=DAYS)
        _say(f"{answers:,} survey answers written ({time.perf_counter() - started:.0f} s)")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for definition in indexes:
            cursor.execute(definition)
        _say(f"{len(indexes)} indexes built ({time.perf_counter() - started:.0f} s)")
    with connection.cursor() as cursor:
        for table in (*_LOADED_TABLES, *_SURVEY_TABLES, "customers_grid", "accounts_user"):
            cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


def one_more_day() -> tuple[datetime.datetime, int]:
    """The next day: new requests, and most open ones resolved; returns (its end, how many
    requests were written or changed)."""
    from django.db import connection, transaction

    day_start = NOW.replace(hour=0, minute=0) + datetime.timedelta(days=1)
    day_end = day_start + datetime.timedelta(days=1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM servicedesk_servicerequest")
        since_id = cursor.fetchone()[0] + 1
        _requests(
            cursor,
            first=since_id,
            last=since_id + NEW_IN_A_DAY - 1,
            start=day_start,
            span_s=86400,
            now=day_end,
        )
        # The day's work: open requests of the last weeks resolved at a moment of the day, and
        # a few long-stuck ones.
        cursor.execute(
            """
            WITH picked AS (
                SELECT id, %(start)s + random() * interval '1 day' AS at
                FROM servicedesk_servicerequest
                WHERE id < %(since)s AND resolved_at IS NULL
                  AND (created_at >= %(recent)s OR random() < 0.005)
            )
            UPDATE servicedesk_servicerequest r
            SET resolved_at = picked.at, first_response_at = COALESCE(first_response_at, picked.at),
                status = 'resolved', updated_at = picked.at,
                assignee_id = COALESCE(assignee_id, 2)
            FROM picked WHERE r.id = picked.id
            """,
            {"start": day_start, "since": since_id, "recent": NOW - datetime.timedelta(days=21)},
        )
        resolved = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO servicedesk_requestevent (kind, at, from_status, to_status, note,
                public, actor_id, request_id)
            SELECT 'status', resolved_at, 'in_progress', 'resolved', '', true, assignee_id, id
            FROM servicedesk_servicerequest
            WHERE id < %(since)s AND resolved_at >= %(start)s
            """,
            {"since": since_id, "start": day_start},
        )
        _events(cursor, since_id=since_id, now=day_end)
    return day_end, NEW_IN_A_DAY + resolved


# --- Timing -------------------------------------------------------------------------------------


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def _time_calls(call, scopes, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        for filters in scopes:
            started = time.perf_counter()
            call(filters)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def run() -> dict[str, float]:
    """Seconds to load and refresh; p95 milliseconds of the dashboards' reads."""
    from django.db import connection

    from accounts.models import User
    from dashboards import initiatives, satisfaction, selectors, servqual
    from dashboards.models import CityDay, DistrictDay, RequestDay, ServqualCell, StaffDay
    from dashboards.services import rollups
    from quality.models import Answer

    loaded = load()
    survey_answers = Answer.objects.count()
    _say(f"loaded in {loaded:.1f} s")

    started = time.perf_counter()
    rollups.refresh(now=NOW, full=True)
    full = time.perf_counter() - started
    with connection.cursor() as cursor:
        for model in (RequestDay, DistrictDay, CityDay, StaffDay, ServqualCell):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    sizes = {
        model.__name__: model.objects.count()
        for model in (RequestDay, DistrictDay, CityDay, StaffDay)
    }
    _say(f"full refresh {full:.1f} s; rows {sizes}")

    day_end, changed = one_more_day()
    started = time.perf_counter()
    result = rollups.refresh(now=day_end)
    incremental = time.perf_counter() - started
    _say(
        f"one more day ({changed:,} requests new or changed): refresh {incremental:.1f} s, "
        f"{result.days} days redone"
    )

    manager = User.objects.get(username="bench1")
    territorial = User.objects.get(username="bench2")
    staff_member = User.objects.filter(role="service_staff").order_by("pk").first()
    today = day_end.date() - datetime.timedelta(days=1)
    since = today - datetime.timedelta(days=selectors.DEFAULT_DAYS - 1)
    period = {"since": since, "until": today}
    scopes = [
        selectors.DashboardFilters(**period),
        selectors.DashboardFilters(**period, district_id=3),
        selectors.DashboardFilters(**period, assignee_id=staff_member.pk),
    ]
    # The SERVQUAL page filters staff by account manager: its third scope is one of them.
    servqual_scopes = [
        *scopes[:2],
        selectors.DashboardFilters(**period, assignee_id=territorial.pk),
    ]
    boards = {
        "service": (
            lambda f: selectors.service_dashboard(user=manager, filters=f, now=day_end),
            scopes,
        ),
        "staff": (lambda f: selectors.staff_dashboard(user=manager, filters=f), scopes),
        "satisfaction": (
            lambda f: satisfaction.satisfaction_dashboard(user=manager, filters=f, now=day_end),
            scopes,
        ),
        "servqual": (
            lambda f: servqual.servqual_dashboard(user=manager, filters=f),
            servqual_scopes,
        ),
        "initiatives": (
            lambda f: initiatives.initiatives_dashboard(user=manager, filters=f),
            scopes,
        ),
    }
    # One warm-up round: the first query of a connection plans and reads cold pages.
    for call, calls_scopes in boards.values():
        for filters in calls_scopes:
            call(filters)
    samples = {name: _time_calls(call, s, RUNS) for name, (call, s) in boards.items()}
    territory = _time_calls(
        lambda f: selectors.service_dashboard(user=territorial, filters=f, now=day_end),
        scopes[:1],
        RUNS,
    )
    board = selectors.service_dashboard(user=manager, filters=scopes[0], now=day_end)
    _say(
        f"city, 30 days: {board.current.created:,} created, {board.current.resolved:,} resolved, "
        f"{board.untouched:,} untouched; grain {board.grain}"
    )
    samples["territory"] = territory
    for name, timed in samples.items():
        _say(f"{name}: median {statistics.median(timed):.0f} ms, p95 {_p95(timed):.0f} ms")
    p95 = {name: round(_p95(timed), 1) for name, timed in samples.items()}
    return {
        "quality_load_s": round(loaded, 1),
        "rollup_full_refresh_s": round(full, 1),
        "rollup_refresh_s": round(incremental, 2),
        "rollup_refresh_days": result.days,
        "dash_service_p95_ms": p95["service"],
        "dash_staff_p95_ms": p95["staff"],
        "dash_satisfaction_p95_ms": p95["satisfaction"],
        "dash_servqual_p95_ms": p95["servqual"],
        "dash_initiatives_p95_ms": p95["initiatives"],
        "dash_worst_p95_ms": max(p95[name] for name in boards),
        "dash_service_territory_p95_ms": p95["territory"],
        "survey_answers": survey_answers,
        "dash_requestday_rows": sizes["RequestDay"],
        "dash_requests": REQUESTS,
    }
