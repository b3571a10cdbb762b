"""The demo city's service quality: two SERVQUAL waves, a staff wave, NPS waves and CSAT ratings.

What a manager should find, by construction (not by chance):

- responsiveness (响应性) has the largest gap between perception and expectation, empathy the
  second; tangibles the smallest;
- rural shops perceive less than urban ones (about 0.4 points), so rural grids show larger gaps;
- the second wave is a little better on reliability and responsiveness (the paired test on shops
  that answered both shows it);
- staff, answering "as shops would", under-estimate what shops expect of responsiveness (the
  knowledge gap);
- CSAT is lower after requests whose SLA was breached, and differs by staff member.

An NPS wave is open now for every shop, so the demo shop owner has a survey waiting in the portal.
Everything is drawn from ``random.Random`` seeded with the options; nothing reads the clock.
"""

import datetime
import random
import secrets
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from accounts.models import Role, User
from customers.models import MarketType, Shop
from demo import sql
from dispatch.models import Job, JobState
from quality.models import (
    Answer,
    CsatRating,
    Instrument,
    Invitation,
    Question,
    Response,
    Wave,
)
from quality.selectors import receipt_for
from servicedesk.models import ServiceRequest

Progress = Callable[[str, int], None]

# Mean expectation and perception per dimension (1–7), before shop and item effects.
EXPECTATION = {
    "tangibles": 5.5,
    "reliability": 6.4,
    "responsiveness": 6.3,
    "assurance": 6.0,
    "empathy": 5.8,
}
PERCEPTION = {
    "tangibles": 5.3,
    "reliability": 5.6,
    "responsiveness": 4.6,
    "assurance": 5.6,
    "empathy": 4.9,
}
# The second wave, after the service initiatives: better where they aimed.
SECOND_WAVE_LIFT = {"reliability": 0.3, "responsiveness": 0.25}
RURAL_PENALTY = 0.4
# Staff believe shops expect less responsiveness than they do.
STAFF_EXPECTATION_SHIFT = {"responsiveness": -0.9, "empathy": -0.5}
POINTS_MEAN = {
    "tangibles": 10,
    "reliability": 30,
    "responsiveness": 25,
    "assurance": 20,
    "empathy": 15,
}
RESPONSE_SHARE = (0.42, 0.48)
NPS_RESPONSE_SHARE = 0.35
CSAT_RESPONSE_SHARE = 0.58
CSAT_COMMENTS = {
    "slow": ["等了好几天才有人来", "打了三次电话才处理", "说好当天回复，结果第二天才回"],
    "not_fixed": ["问题还是没解决", "换了个人来又说不清楚"],
    "attitude": ["态度有点不耐烦"],
    "unclear": ["没说清楚要准备什么材料"],
    "other": ["希望能提前通知"],
}
CSAT_PRAISE = ["处理得很快，谢谢", "客户经理很负责", "讲得很清楚", ""]


def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _points(rng: random.Random) -> dict[str, int]:
    """100 points in steps of 5 around the mean importance."""
    raw = {d: max(0.0, rng.gauss(m, 6)) for d, m in POINTS_MEAN.items()}
    total = sum(raw.values()) or 1.0
    points = {d: 5 * round(20 * v / total) for d, v in raw.items()}
    biggest = max(points, key=points.get)
    points[biggest] += 100 - sum(points.values())
    return points


def _servqual_answers(
    rng: random.Random, items: list[Question], *, rural: bool, lift: dict, staff: bool
) -> dict[str, tuple[int, int]]:
    # A respondent answers the items of one dimension alike (Cronbach's alpha about 0.8):
    # shared shop and shop × dimension effects, small item noise.
    shop_effect = rng.gauss(0, 0.5)
    dimension_effect = {d: rng.gauss(0, 0.45) for d in EXPECTATION}
    expectation_effect = rng.gauss(0, 0.45)
    expectation_dimension = {d: rng.gauss(0, 0.35) for d in EXPECTATION}
    answers = {}
    for item in items:
        d = item.dimension.code
        e_mean = EXPECTATION[d] + (STAFF_EXPECTATION_SHIFT.get(d, 0.0) if staff else 0.0)
        p_mean = PERCEPTION[d] + lift.get(d, 0.0) - (RURAL_PENALTY if rural else 0.0)
        e_shared = expectation_effect + expectation_dimension[d]
        e = _clip(e_mean - 0.2 + e_shared + rng.gauss(0, 0.35), 1, 7)
        p = _clip(p_mean + shop_effect + dimension_effect[d] + rng.gauss(0, 0.5), 1, 7)
        answers[item.code] = (e, p)
    return answers


def _wave(instrument, name, opens, closes, *, audience=Wave.Audience.SHOPS, invited=0) -> Wave:
    return Wave.objects.create(
        instrument=instrument,
        name=name,
        audience=audience,
        target={},
        opens_at=opens,
        closes_at=closes,
        invited=invited,
        sample_needed=0,
    )


def _invite(wave: Wave, *, shops=(), staff=(), at: datetime.datetime) -> list[Invitation]:
    rows = [
        Invitation(
            wave=wave,
            shop_id=shop.pk if shop else None,
            staff_id=member.pk if member else None,
            token=secrets.token_urlsafe(32),
            invited_at=at,
            notified_at=at,
        )
        for shop, member in [(s, None) for s in shops] + [(None, m) for m in staff]
    ]
    # Plain rows with their keys assigned here (demo.sql): bulk_create took most of the stage.
    first = sql.next_id(Invitation)
    fields = ("id", "wave_id", "shop_id", "staff_id", "token", "invited_at", "notified_at")
    adapt = connection.ops.adapt_datetimefield_value
    for offset, invitation in enumerate(rows):
        invitation.pk = first + offset
    sql.insert(
        Invitation,
        fields,
        ((i.pk, wave.pk, i.shop_id, i.staff_id, i.token, adapt(at), adapt(at)) for i in rows),
    )
    invitations = rows
    wave.invited = len(invitations)
    from engines.servqual.stats import sample_size_for_margin

    wave.sample_needed = sample_size_for_margin(0.05, 0.95, population=max(1, len(invitations)))
    wave.save(update_fields=["invited", "sample_needed"])
    return invitations


def _submitted_at(rng: random.Random, wave: Wave) -> datetime.datetime:
    span = (wave.closes_at - wave.opens_at).total_seconds()
    # Most answer in the first days, after the invitation and after the reminder.
    share = min(0.98, rng.expovariate(3.0))
    return wave.opens_at + datetime.timedelta(seconds=span * share)


def _respond(
    invitations: list[tuple[Invitation, Shop | None]],
    wave: Wave,
    answer_for: Callable[[Shop | None], list[tuple[Question, dict]]],
    rng: random.Random,
) -> int:
    responses, answers_by_response, answered = [], [], []
    for invitation, shop in invitations:
        when = _submitted_at(rng, wave)
        response = Response(
            wave=wave,
            invitation=invitation,
            receipt=receipt_for(invitation),
            state=Response.State.SUBMITTED,
            channel="portal",
            started_at=when - datetime.timedelta(minutes=rng.randint(3, 12)),
            submitted_at=when,
        )
        if shop is not None:
            response.segment, response.grid_id = shop.segment, shop.grid_id
            response.district_id = shop.grid.district_id
            response.business_type, response.market_type = shop.business_type, shop.market_type
            response.account_manager_id = shop.account_manager_id
        else:
            response.account_manager_id = invitation.staff_id
        invitation.responded_at = when
        responses.append(response)
        answers_by_response.append(answer_for(shop))
        answered.append(invitation)
    sql.insert_objects(Response, responses)
    # One UPDATE from the responses just written, not a CASE per row (bulk_update): at 50,000
    # shops that alone took most of the stage.
    Invitation.objects.filter(pk__in=[i.pk for i in answered]).update(
        responded_at=Subquery(
            Response.objects.filter(invitation=OuterRef("pk")).values("submitted_at")[:1]
        )
    )
    # Plain rows through demo.sql (executemany / COPY): millions of answers at city size.
    columns = ("response_id", "question_id", "value", "expectation", "perception", "points", "text")
    rows = (
        (
            response.pk,
            question.pk,
            fields.get("value"),
            fields.get("expectation"),
            fields.get("perception"),
            sql.json_value(Answer, "points", fields.get("points")),
            fields.get("text", ""),
        )
        for response, answers in zip(responses, answers_by_response, strict=True)
        for question, fields in answers
    )
    sql.insert(Answer, columns, rows)
    return len(responses)


def build(*, seed: int, now: datetime.datetime, progress: Progress | None = None) -> dict:
    """Write the demo's waves, responses and ratings; returns the rows per kind."""
    rng = random.Random(f"{seed}:quality")
    counts: dict[str, int] = {}

    def stage(name: str, count: int) -> None:
        counts[name] = count
        if progress:
            progress(name, count)

    servqual = Instrument.objects.get(code="servqual-shop-22")
    nps = Instrument.objects.get(code="nps-shop")
    items = list(servqual.questions.filter(kind="ep").select_related("dimension"))
    points_question = servqual.questions.get(kind="points")
    recommend = nps.questions.get(kind="nps")
    shops = list(
        Shop.objects.filter(status=Shop.Status.ACTIVE, owner_account__isnull=False)
        .select_related("grid")
        .order_by("pk")
    )
    demo_owner = _demo_owner_shop(shops)
    day = datetime.timedelta(days=1)
    with transaction.atomic():
        for number, (opens, lift) in enumerate(((120, {}), (30, SECOND_WAVE_LIFT)), start=1):
            wave = _wave(
                servqual,
                f"{(now - opens * day):%Y} 年零售客户服务质量调查（第 {number} 轮）",
                now - opens * day,
                now - (opens - 18) * day,
            )
            invitations = _invite(wave, shops=shops, at=wave.opens_at)
            share = RESPONSE_SHARE[number - 1]
            chosen = [
                (i, s)
                for i, s in zip(invitations, shops, strict=True)
                if s is not demo_owner and rng.random() < share
            ]

            def servqual_answers(shop, lift=lift):
                rural = shop.market_type == MarketType.RURAL
                pairs = _servqual_answers(rng, items, rural=rural, lift=lift, staff=False)
                rows = [
                    (q, {"expectation": pairs[q.code][0], "perception": pairs[q.code][1]})
                    for q in items
                ]
                return rows + [(points_question, {"points": _points(rng)})]

            stage(f"SERVQUAL wave {number} answers", _respond(chosen, wave, servqual_answers, rng))
        staff = list(
            User.objects.filter(
                role__in=(Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF), is_active=True
            ).order_by("pk")
        )
        if staff:
            wave = _wave(
                servqual,
                "员工换位调查：您认为零售户的期望（第 2 轮）",
                now - 30 * day,
                now - 12 * day,
                audience=Wave.Audience.STAFF,
            )
            invitations = _invite(wave, staff=staff, at=wave.opens_at)

            def staff_answers(_shop):
                pairs = _servqual_answers(
                    rng, items, rural=False, lift=SECOND_WAVE_LIFT, staff=True
                )
                rows = [
                    (q, {"expectation": pairs[q.code][0], "perception": pairs[q.code][1]})
                    for q in items
                ]
                return rows + [(points_question, {"points": _points(rng)})]

            chosen = [(i, None) for i in invitations if rng.random() < 0.9]
            stage("staff wave answers", _respond(chosen, wave, staff_answers, rng))
        stage("NPS answers", _nps(rng, nps, recommend, shops, demo_owner, now))
        stage("satisfaction ratings", _csat(rng, now))
        stage("initiative funnel answers", _initiatives(rng, shops, demo_owner, now))
        sql.reset_sequences([Invitation, Response])  # ids assigned here (PostgreSQL)
    return counts


def _demo_owner_shop(shops: list[Shop]) -> Shop | None:
    """The shop of the demo's shop-owner log-in: it keeps its surveys unanswered to try them."""
    from demo import city

    usernames = {login.username for login in city.demo_logins() if login.role == Role.SHOP_OWNER}
    # By id: reading each shop's owner account would be a query per shop.
    owners = set(User.objects.filter(username__in=usernames).values_list("pk", flat=True))
    return next((s for s in shops if s.owner_account_id in owners), None)


def _nps_score(rng: random.Random, shop: Shop) -> int:
    base = {"core": 8.6, "key": 8.0, "potential": 7.3, "ordinary": 7.0}.get(shop.segment, 7.2)
    if shop.market_type == MarketType.RURAL:
        base -= 0.5
    return _clip(rng.gauss(base, 1.8), 0, 10)


def _nps(rng, instrument, question, shops, demo_owner, now) -> int:
    day = datetime.timedelta(days=1)
    closed = _wave(instrument, "推荐意愿调查（NPS）", now - 75 * day, now - 61 * day)
    invitations = _invite(closed, shops=shops, at=closed.opens_at)
    chosen = [
        (i, s)
        for i, s in zip(invitations, shops, strict=True)
        if s is not demo_owner and rng.random() < NPS_RESPONSE_SHARE
    ]
    answered = _respond(
        chosen, closed, lambda shop: [(question, {"value": _nps_score(rng, shop)})], rng
    )
    current = _wave(instrument, "12 月推荐意愿快速调查", now - 3 * day, now + 11 * day)
    invitations = _invite(current, shops=shops, at=current.opens_at)
    chosen = [
        (i, s)
        for i, s in zip(invitations, shops, strict=True)
        if s is not demo_owner and rng.random() < 0.2
    ]
    current.closes_at = now  # answers so far fall in the days already past
    answered += _respond(
        chosen, current, lambda shop: [(question, {"value": _nps_score(rng, shop)})], rng
    )
    current.closes_at = now + 11 * day
    return answered


def _csat(rng: random.Random, now: datetime.datetime) -> int:
    """Ratings after the last ten weeks' resolved requests and completed visits."""
    from quality.services.csat import DELAY, EXPIRY, QUIET

    since = now - datetime.timedelta(weeks=10)
    contacts = [
        ("request", r.pk, r.shop_id, r.assignee_id, r.resolved_at, r.resolution_breached)
        for r in ServiceRequest.objects.filter(
            resolved_at__gte=since, resolved_at__lte=now - DELAY, shop__owner_account__isnull=False
        ).only("pk", "shop_id", "assignee_id", "resolved_at", "resolution_breached")
    ]
    contacts += [
        ("visit", j.pk, j.shop_id, j.report.staff_id, j.report.checked_out_at, False)
        for j in Job.objects.filter(
            state=JobState.DONE,
            report__checked_out_at__gte=since,
            report__checked_out_at__lte=now - DELAY,
            shop__owner_account__isnull=False,
        ).select_related("report")
    ]
    contacts.sort(key=lambda c: (c[4], c[0], c[1]))
    staff_effect: dict[int | None, float] = {}
    last_invited: dict[int, datetime.datetime] = {}
    ratings = []
    for source, pk, shop_id, staff_id, at, breached in contacts:
        invited = at + DELAY
        if shop_id in last_invited and invited - last_invited[shop_id] < QUIET:
            continue
        last_invited[shop_id] = invited
        rating = CsatRating(
            shop_id=shop_id,
            source=source,
            request_id=pk if source == "request" else None,
            job_id=pk if source == "visit" else None,
            staff_id=staff_id,
            contact_at=at,
            invited_at=invited,
            expires_at=invited + EXPIRY,
        )
        rated_by = invited + datetime.timedelta(hours=rng.uniform(0.2, 60))
        if rated_by < now and rng.random() < CSAT_RESPONSE_SHARE:
            effect = staff_effect.setdefault(staff_id, rng.gauss(0, 0.35))
            latent = 4.2 + effect - (1.3 if breached else 0.0) + (0.2 if source == "visit" else 0)
            score = _clip(latent + rng.gauss(0, 0.9), 1, 5)
            rating.score, rating.rated_at = score, rated_by
            if score <= 3:
                rating.reason = rng.choice(
                    ["slow", "slow", "not_fixed", "attitude", "unclear", "other"]
                    if not breached
                    else ["slow"]
                )
                rating.comment = rng.choice(CSAT_COMMENTS[rating.reason] + [""])
            else:
                rating.comment = rng.choice(CSAT_PRAISE)
        ratings.append(rating)
    CsatRating.objects.bulk_create(ratings, batch_size=2000)
    return len(ratings)


# Four initiatives, one per type (seed 001). The new ordering app is widely known but little
# tried: awareness rises between its two funnel waves, experience stays low.
INITIATIVES = [
    # code, name, type, target, channels, service item, first type (history)
    ("on-time-delivery", "订单按时足量送达承诺", "basic", {}, ["phone", "app"], None, None),
    (
        "order-app-2026",
        "手机订货 APP 新版上线",
        "standard",
        {},
        ["app", "wechat", "sms"],
        None,
        "extended",
    ),
    (
        "display-coaching-core",
        "核心与重点客户陈列指导上门",
        "extended",
        {"segments": ["core", "key"]},
        ["visit", "phone"],
        "display_coaching",
        None,
    ),
    ("festival-care", "节日问候与经营提醒", "emotional", {}, ["wechat", "sms"], None, None),
]
# per funnel wave of the ordering app: P(aware), P(interested | aware), P(tried | aware),
# P(rated 4–5 | tried)
ORDER_APP_WAVES = [(70, 14, (0.46, 0.55, 0.12, 0.62)), (21, 14, (0.86, 0.5, 0.2, 0.7))]
FESTIVAL_WAVE = (40, 14, (0.72, 0.6, 0.5, 0.88))


def _initiatives(rng: random.Random, shops: list[Shop], demo_owner, now) -> int:
    from customers.models import ContactChannel, ServiceItem
    from quality.models import Goal, Initiative, InitiativeTypeChange
    from quality.services.initiatives import funnel_instrument

    manager = User.objects.filter(role=Role.SERVICE_MANAGER, is_active=True).order_by("pk").first()
    if manager is None or not shops:
        return 0
    day = datetime.timedelta(days=1)
    today = now.date()
    channels = set(ContactChannel.values)
    made = {}
    for code, name, kind, target, wanted, item_code, first_type in INITIATIVES:
        item = ServiceItem.objects.filter(code=item_code).first() if item_code else None
        initiative = Initiative.objects.create(
            code=code,
            name=name,
            type=kind,
            target=target,
            channels=[c for c in wanted if c in channels],
            service_item=item,
            starts_on=today - 90 * day,
            ends_on=today + 90 * day,
            owner=manager,
        )
        history = [(first_type, kind)] if first_type else []
        InitiativeTypeChange.objects.create(
            initiative=initiative,
            to_type=first_type or kind,
            changed_by=manager,
            changed_at=now - 90 * day,
        )
        for before, after in history:
            InitiativeTypeChange.objects.create(
                initiative=initiative,
                from_type=before,
                to_type=after,
                reason="同行普遍提供，转为标准服务",
                changed_by=manager,
                changed_at=now - 30 * day,
            )
        made[code] = initiative
    goals = [
        ("order-app-2026", "awareness", 0.45, 0.8, 60),
        ("order-app-2026", "experience", 0.12, 0.4, 60),
        ("festival-care", "perception", 0.8, 0.9, 30),
    ]
    for code, metric, baseline, target, days_left in goals:
        Goal.objects.create(
            initiative=made[code],
            metric=metric,
            baseline=baseline,
            target=target,
            starts_on=today - 80 * day,
            deadline=today + days_left * day,
            owner=manager,
        )
    answered = 0
    plans = [(made["order-app-2026"], w) for w in ORDER_APP_WAVES]
    plans.append((made["festival-care"], FESTIVAL_WAVE))
    for number, (initiative, (opens, length, chances)) in enumerate(plans, start=1):
        instrument = funnel_instrument(initiative)
        questions = {q.code: q for q in instrument.questions.all()}
        wave = _wave(
            instrument,
            f"{initiative.name}：回访调查（{number}）",
            now - opens * day,
            now - (opens - length) * day,
        )
        wave.initiative = initiative
        wave.save(update_fields=["initiative"])
        invitations = _invite(wave, shops=shops, at=wave.opens_at)
        chosen = [
            (i, s)
            for i, s in zip(invitations, shops, strict=True)
            if s is not demo_owner and rng.random() < 0.3
        ]

        def funnel_answers(_shop, chances=chances, questions=questions):
            aware_p, interested_p, tried_p, good_p = chances
            aware = rng.random() < aware_p
            rows = [(questions["aware"], {"value": 0 if aware else 1})]
            if not aware:
                return rows
            tried = rng.random() < tried_p
            interested = tried or rng.random() < interested_p
            rows += [
                (questions["interested"], {"value": 0 if interested else 1}),
                (questions["tried"], {"value": 0 if tried else 1}),
            ]
            if tried:
                good = rng.random() < good_p
                score = rng.choice([4, 5]) if good else rng.choice([1, 2, 3])
                rows.append((questions["rating"], {"value": score}))
            return rows

        answered += _respond(chosen, wave, funnel_answers, rng)
    return answered
