"""Survey data of the dashboards benchmark: about 1,000,000 answers written with SQL.

On the benchmark city (``bench/dashboards.py``; shops 1 … SHOPS, account managers by grid):

- two waves of the shipped 22-item SERVQUAL instrument, ``SERVQUAL_RESPONDENTS`` shops each
  (one quarter before ``now``, and one open now): 22 expectation–perception answers and the
  100 points, 23 answers a response (responsiveness the widest gap, rural districts worse);
- an NPS wave of ``NPS_RESPONDENTS`` shops, open now;
- four service initiatives, one per type, each with a goal and two funnel waves of
  ``FUNNEL_RESPONDENTS`` shops (aware 60 %, interested and tried among the aware, rated 1–5);
- ``CLASS_MOVES`` class changes spread over the two years (one rule set).

Every respondent has its invitation; responses record the shop's groups as the survey service
does. Random draws come from the session's ``setseed`` (set by the caller).
"""

import datetime

SERVQUAL_RESPONDENTS = 20_000
NPS_RESPONDENTS = 30_000
FUNNEL_RESPONDENTS = 2_000
CLASS_MOVES = 20_000
DIMENSION_SHIFT = {  # perception below expectation, by dimension: the gap's typical size
    "tangibles": 0.4,
    "reliability": 0.9,
    "responsiveness": 1.6,
    "assurance": 0.5,
    "empathy": 1.0,
}
INITIATIVE_TYPES = (
    ("basic", "送货差错零容忍"),
    ("standard", "手机订货新版上线"),
    ("extended", "核心客户经营诊断"),
    ("emotional", "节日问候与生日关怀"),
)


def _wave(cursor, *, instrument_id: int, name: str, opens, closes, initiative_id=None) -> int:
    cursor.execute(
        """
        INSERT INTO quality_wave (instrument_id, name, audience, target, opens_at, closes_at,
            anonymous, invited, sample_needed, initiative_id, created_by_id, created_at)
        VALUES (%s, %s, 'shops', '{}'::jsonb, %s, %s, false, 0, 0, %s, 1, %s) RETURNING id
        """,
        [instrument_id, name, opens, closes, initiative_id, opens],
    )
    return cursor.fetchone()[0]


def _respondents(cursor, *, wave_id: int, shops: int, count: int, offset: int, opens) -> None:
    """Invite ``count`` shops spread over the city (a permutation of the shop numbers shifted by
    ``offset``: another wave picks other shops) and record each one's submitted response, with
    its shop's groups, within 9 days of the wave opening."""
    cursor.execute(
        """
        INSERT INTO quality_invitation (wave_id, shop_id, staff_id, token, invited_at,
            notified_at, reminded_at, responded_at)
        SELECT %(wave)s, s, NULL, 'bench-' || %(wave)s || '-' || s, %(opens)s, %(opens)s, NULL,
               %(opens)s + random() * interval '9 days'
        FROM generate_series(1, %(shops)s) s
        WHERE (s::bigint * 7919 + %(offset)s * 12347) %% %(shops)s < %(count)s
        """,
        {"wave": wave_id, "opens": opens, "offset": offset, "shops": shops, "count": count},
    )
    cursor.execute(
        """
        INSERT INTO quality_response (wave_id, invitation_id, receipt, state, channel, segment,
            district_id, grid_id, business_type, market_type, account_manager_id, started_at,
            submitted_at)
        SELECT i.wave_id, i.id, 'bench-' || i.id, 'submitted', 'portal', s.segment,
               g.district_id, s.grid_id, s.business_type, d.market_type, s.account_manager_id,
               i.responded_at - interval '5 minutes', i.responded_at
        FROM quality_invitation i
        JOIN customers_shop s ON s.id = i.shop_id
        JOIN customers_grid g ON g.id = s.grid_id
        JOIN customers_district d ON d.id = g.district_id
        WHERE i.wave_id = %(wave)s
        """,
        {"wave": wave_id},
    )
    cursor.execute(
        "UPDATE quality_wave SET invited = (SELECT count(*) FROM quality_invitation "
        "WHERE wave_id = %(wave)s) WHERE id = %(wave)s",
        {"wave": wave_id},
    )


def _servqual_answers(cursor, *, wave_id: int, instrument_id: int, later: bool) -> None:
    # Expectation 5–7; perception the expectation less the dimension's shift (more in rural
    # districts, a little less in the later wave) and noise, kept on 1–7.
    shift_sql = " ".join(f"WHEN '{code}' THEN {shift}" for code, shift in DIMENSION_SHIFT.items())
    cursor.execute(
        f"""
        INSERT INTO quality_answer (response_id, question_id, value, expectation, perception,
            points, text)
        SELECT response_id, question_id, NULL, e,
               greatest(1, least(7, round(e - shift + 1.1 * z)::int)), NULL, ''
        FROM (
            SELECT r.id AS response_id, q.id AS question_id,
                   5 + floor(3 * random())::int AS e,
                   (CASE dm.code {shift_sql} ELSE 0 END)
                       * (CASE WHEN r.market_type = 'rural' THEN 1.3 ELSE 0.9 END)
                       * (CASE WHEN %(later)s THEN 0.85 ELSE 1 END) AS shift,
                   sqrt(-2 * ln(greatest(random(), 1e-12))) * cos(2 * pi() * random()) AS z
            FROM quality_response r
            JOIN quality_question q ON q.instrument_id = %(instrument)s AND q.kind = 'ep'
            JOIN quality_dimension dm ON dm.id = q.dimension_id
            WHERE r.wave_id = %(wave)s
        ) draws
        """,
        {"wave": wave_id, "instrument": instrument_id, "later": later},
    )
    cursor.execute(
        """
        INSERT INTO quality_answer (response_id, question_id, value, expectation, perception,
            points, text)
        SELECT r.id, q.id, NULL, NULL, NULL,
               (ARRAY[
                   '{"tangibles": 10, "reliability": 30, "responsiveness": 30,
                     "assurance": 15, "empathy": 15}',
                   '{"tangibles": 10, "reliability": 25, "responsiveness": 25,
                     "assurance": 20, "empathy": 20}',
                   '{"tangibles": 5, "reliability": 35, "responsiveness": 30,
                     "assurance": 15, "empathy": 15}'
               ])[1 + floor(3 * random())::int]::jsonb, ''
        FROM quality_response r
        JOIN quality_question q ON q.instrument_id = %(instrument)s AND q.kind = 'points'
        WHERE r.wave_id = %(wave)s
        """,
        {"wave": wave_id, "instrument": instrument_id},
    )


def _nps_answers(cursor, *, wave_id: int, instrument_id: int) -> None:
    cursor.execute(
        """
        INSERT INTO quality_answer (response_id, question_id, value, expectation, perception,
            points, text)
        SELECT r.id, q.id, least(10, floor(11 * sqrt(random()))::int), NULL, NULL, NULL, ''
        FROM quality_response r
        JOIN quality_question q ON q.instrument_id = %(instrument)s AND q.kind = 'nps'
        WHERE r.wave_id = %(wave)s
        """,
        {"wave": wave_id, "instrument": instrument_id},
    )


def _funnel_answers(cursor, *, wave_id: int, instrument_id: int) -> None:
    # aware (0 = yes) 60 %; interested 50 % and tried 35 % of the aware; rated 1–5 if tried.
    cursor.execute(
        """
        INSERT INTO quality_answer (response_id, question_id, value, expectation, perception,
            points, text)
        SELECT response_id, q.id,
               CASE q.code WHEN 'aware' THEN CASE WHEN aware THEN 0 ELSE 1 END
                           WHEN 'interested' THEN CASE WHEN interested THEN 0 ELSE 1 END
                           WHEN 'tried' THEN CASE WHEN tried THEN 0 ELSE 1 END
                           ELSE rating END,
               NULL, NULL, NULL, ''
        FROM (
            SELECT r.id AS response_id, r_aware < 0.6 AS aware,
                   r_aware < 0.6 AND r_interest < 0.5 AS interested,
                   r_aware < 0.6 AND r_tried < 0.35 AS tried,
                   1 + least(4, floor(5 * sqrt(r_rating))::int) AS rating
            FROM (SELECT id, random() AS r_aware, random() AS r_interest, random() AS r_tried,
                         random() AS r_rating
                  FROM quality_response WHERE wave_id = %(wave)s) r
        ) drawn
        JOIN quality_question q ON q.instrument_id = %(instrument)s
        WHERE q.code = 'aware' OR (aware AND q.code IN ('interested', 'tried'))
           OR (tried AND q.code = 'rating')
        """,
        {"wave": wave_id, "instrument": instrument_id},
    )


def _class_moves(cursor, *, now: datetime.datetime, days: int, shops: int) -> None:
    cursor.execute(
        """
        INSERT INTO customers_segmentruleset (version, status, default_segment, note,
            created_by_id, created_at, activated_at)
        VALUES (900, 'retired', 'ordinary', 'bench', 1, %(now)s, %(now)s) RETURNING id
        """,
        {"now": now - datetime.timedelta(days=days)},
    )
    rule_set = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO customers_segmentchange (shop_id, from_segment, to_segment, rule_set_id,
            changed_at, changed_by_id)
        SELECT 1 + floor(random() * %(shops)s)::int,
               (ARRAY['', 'core', 'key', 'potential', 'ordinary'])[1 + floor(5 * random())::int],
               (ARRAY['core', 'key', 'potential', 'ordinary'])[1 + floor(4 * random())::int],
               %(rule_set)s,
               %(now)s - random() * %(days)s * interval '1 day', 1
        FROM generate_series(1, %(moves)s)
        """,
        {"shops": shops, "rule_set": rule_set, "now": now, "days": days, "moves": CLASS_MOVES},
    )
    cursor.execute("DELETE FROM customers_segmentchange WHERE from_segment = to_segment")


def load_surveys(cursor, *, now: datetime.datetime, shops: int, days: int) -> int:
    """Write the waves, responses, answers, initiatives and class moves; the answers written."""
    from customers.models import ServiceItem
    from quality import shipped
    from quality.models import Goal, GoalMetric, Initiative, Instrument
    from quality.services.initiatives import funnel_instrument

    servqual = Instrument.objects.get(code=shipped.CODE)
    nps = Instrument.objects.get(code=shipped.NPS_CODE)
    day = datetime.timedelta(days=1)
    for index, (opens, later) in enumerate(((now - 120 * day, False), (now - 20 * day, True))):
        wave = _wave(
            cursor,
            instrument_id=servqual.pk,
            name=f"SERVQUAL {index + 1}",
            opens=opens,
            closes=opens + 30 * day,
        )
        _respondents(
            cursor,
            wave_id=wave,
            shops=shops,
            count=SERVQUAL_RESPONDENTS,
            offset=1 + index,
            opens=opens,
        )
        _servqual_answers(cursor, wave_id=wave, instrument_id=servqual.pk, later=later)
    opens = now - 25 * day
    wave = _wave(cursor, instrument_id=nps.pk, name="NPS", opens=opens, closes=opens + 30 * day)
    _respondents(cursor, wave_id=wave, shops=shops, count=NPS_RESPONDENTS, offset=3, opens=opens)
    _nps_answers(cursor, wave_id=wave, instrument_id=nps.pk)
    item = ServiceItem.objects.order_by("pk").first()
    for index, (kind, name) in enumerate(INITIATIVE_TYPES):
        initiative = Initiative.objects.create(
            code=f"bench-{kind}",
            name=name,
            type=kind,
            target={},
            channels=["portal"],
            service_item=item if kind == "extended" else None,
            starts_on=(now - 150 * day).date(),
            ends_on=(now + 60 * day).date(),
            owner_id=1,
        )
        Goal.objects.create(
            initiative=initiative,
            metric=GoalMetric.values[index % len(GoalMetric.values)],
            baseline=0.3,
            target=0.6,
            starts_on=initiative.starts_on,
            deadline=initiative.ends_on,
            owner_id=1,
        )
        instrument = funnel_instrument(initiative)
        for round_, opens in enumerate((now - 100 * day, now - 15 * day)):
            wave = _wave(
                cursor,
                instrument_id=instrument.pk,
                name=f"{name} {round_ + 1}",
                opens=opens,
                closes=opens + 14 * day,
                initiative_id=initiative.pk,
            )
            _respondents(
                cursor,
                wave_id=wave,
                shops=shops,
                count=FUNNEL_RESPONDENTS,
                offset=4 + index + 4 * round_,
                opens=opens,
            )
            _funnel_answers(cursor, wave_id=wave, instrument_id=instrument.pk)
    _class_moves(cursor, now=now, days=days, shops=shops)
    cursor.execute("SELECT count(*) FROM quality_answer")
    return cursor.fetchone()[0]
