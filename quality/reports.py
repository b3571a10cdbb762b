"""SERVQUAL results of a wave: its submitted answers loaded into arrays, analysed by
``engines.servqual``.

``servqual_report`` returns plain data (the console page and ``GET /api/quality/waves/{id}/
servqual`` show it)::

    {"respondents": n, "suppressed": bool,          # under MIN_GROUP respondents: no figures
     "dimensions": [{"code", "name", "n", "expectation"|"perception"|"gap": {"n", "mean", "low",
                     "high", "sd"}, "below_share", "alpha": {"expectation", "perception", "gap"},
                     "importance", "quadrant"}],
     "overall": {"n", "gap": {…}, "weighted_gap", "weighted": {…}, "perception_only",
                 "below_share"},
     "ipa": {"importance_mean", "performance_mean"} | None,
     "groups": {"by", "rows": [{"key", "label", "n", "suppressed", "gaps": {dim: gap},
                "overall_gap"}]} | None,
     "ranking": [{"dimension", "group", "gap", "n", "t", "p", "p_adjusted"}],
     "comparison": {…} | None}                       # with ``compare_to``: see ``_comparison``

Shares are fractions. Answers are those of submitted responses, read in the viewer's scope: a
territorial role sees the shops of its grids and its own shops (by the groups each response
recorded when it was given, so anonymous answers count too). Reverse-scored items are turned
round here, once, before any figure.
"""

from collections import defaultdict
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import District, Grid, MarketType, Segment
from engines.servqual import satisfaction
from engines.servqual import servqual as engine
from flexserve.errors import FieldInvalid
from quality import selectors
from quality.models import MIN_GROUP, Answer, Instrument, Question, Wave

BREAKDOWNS = ("segment", "district", "grid", "staff", "market_type")
_GROUP_FIELD = {
    "segment": "segment",
    "district": "district_id",
    "grid": "grid_id",
    "staff": "account_manager_id",
    "market_type": "market_type",
}


def load_wave(wave: Wave, responses) -> tuple[engine.WaveAnswers, list[dict[str, Any]]]:
    """The wave's answers as arrays (respondents × items) and each respondent's groups."""
    instrument = wave.instrument
    dimensions = list(instrument.dimensions.order_by("position"))
    dimension_index = {d.pk: i for i, d in enumerate(dimensions)}
    questions = list(
        instrument.questions.filter(kind=Question.Kind.EXPECTATION_PERCEPTION).order_by("position")
    )
    item_index = {q.pk: i for i, q in enumerate(questions)}
    points_question = instrument.questions.filter(kind=Question.Kind.POINTS).first()
    meta = list(
        responses.order_by("pk").values("pk", *_GROUP_FIELD.values(), "invitation__shop_id")
    )
    row_of = {m["pk"]: row for row, m in enumerate(meta)}
    expectation = np.full((len(meta), len(questions)), np.nan)
    perception = np.full((len(meta), len(questions)), np.nan)
    points = None
    if points_question is not None:
        points = np.full((len(meta), len(dimensions)), np.nan)
    answers = Answer.objects.filter(response__in=responses).values_list(
        "response_id", "question_id", "expectation", "perception", "points"
    )
    codes = [d.code for d in dimensions]
    for response_id, question_id, e, p, given in answers.iterator(chunk_size=20_000):
        row = row_of.get(response_id)
        if row is None:
            continue
        column = item_index.get(question_id)
        if column is not None:
            expectation[row, column] = np.nan if e is None else e
            perception[row, column] = np.nan if p is None else p
        elif points is not None and question_id == points_question.pk and given:
            points[row] = [given.get(code, 0) for code in codes]
    reverse = [q.reverse for q in questions]
    if any(reverse):
        low, high = questions[0].scale_min, questions[0].scale_max
        expectation = engine.reverse_scored(expectation, reverse, low, high)
        perception = engine.reverse_scored(perception, reverse, low, high)
    answers_arrays = engine.WaveAnswers(
        codes,
        [dimension_index[q.dimension_id] for q in questions],
        expectation,
        perception,
        points,
    )
    return answers_arrays, meta


def _labels(by: str, keys: set[Any]) -> dict[Any, str]:
    if by == "segment":
        return {k: str(dict(Segment.choices).get(k, k or "–")) for k in keys}
    if by == "market_type":
        return {k: str(dict(MarketType.choices).get(k, k or "–")) for k in keys}
    model = {"district": District, "grid": Grid, "staff": User}[by]
    names = {}
    for obj in model.objects.filter(pk__in=[k for k in keys if k is not None]):
        names[obj.pk] = (obj.get_full_name() or obj.username) if by == "staff" else obj.name
    return {k: names.get(k, "–") for k in keys}


def _comparison(user: User, wave: Wave, other_id: int, analysis: dict[str, Any]) -> dict[str, Any]:
    """Each dimension's gap in this wave against an earlier wave of the same instrument: Welch t
    on all respondents, and a paired t on the shops that answered both (named waves only)."""
    other = selectors.wave_get(user=user, wave_id=other_id)
    if other.instrument_id != wave.instrument_id or other.pk == wave.pk:
        raise FieldInvalid("compare_to", _("Choose another wave of the same questionnaire."))
    other_answers, other_meta = load_wave(other, selectors.submitted_responses(user, other))
    if other_answers.respondents < MIN_GROUP:
        return {"wave": other.pk, "name": other.name, "suppressed": True, "dimensions": []}
    other_analysis = engine.analyse(other_answers)
    paired = not wave.anonymous and not other.anonymous
    this_meta = analysis["_meta"]
    rows = []
    for index, code in enumerate(other_answers.dimensions):
        now_gaps, then_gaps = analysis["_gaps"][:, index], other_analysis["_gaps"][:, index]
        welch = engine.compare_waves(then_gaps[~np.isnan(then_gaps)], now_gaps[~np.isnan(now_gaps)])
        row = {
            "code": code,
            "before": other_analysis["dimensions"][index]["gap"]["mean"],
            "after": analysis["dimensions"][index]["gap"]["mean"],
            "welch": welch._asdict(),
            "paired": None,
        }
        if paired:
            before = _by_shop(other_meta, then_gaps)
            after = _by_shop(this_meta, now_gaps)
            result = engine.paired_change(before, after)
            row["paired"] = result if result["n"] >= MIN_GROUP else {"n": result["n"]}
        rows.append(row)
    return {"wave": other.pk, "name": other.name, "suppressed": False, "dimensions": rows}


def _by_shop(meta: list[dict[str, Any]], gaps: np.ndarray) -> dict[int, float]:
    return {
        m["invitation__shop_id"]: float(g)
        for m, g in zip(meta, gaps, strict=True)
        if m["invitation__shop_id"] is not None and not np.isnan(g)
    }


def servqual_report(
    *, user: User, wave_id: int, by: str | None = None, compare_to: int | None = None
) -> dict[str, Any]:
    """The wave's gaps by dimension (see the module doc); ``by`` adds a breakdown by group,
    ``compare_to`` a test against another wave of the same questionnaire."""
    wave = selectors.wave_get(user=user, wave_id=wave_id)
    if wave.instrument.kind != Instrument.Kind.SERVQUAL:
        raise FieldInvalid("wave", _("This wave does not use a SERVQUAL questionnaire."))
    if by is not None and by not in BREAKDOWNS:
        raise FieldInvalid("by", _("Break down by class, district, grid, staff or market type."))
    answers, meta = load_wave(wave, selectors.submitted_responses(user, wave))
    empty = {
        "respondents": answers.respondents,
        "suppressed": True,
        "dimensions": [],
        "overall": None,
        "ipa": None,
        "groups": None,
        "ranking": [],
        "comparison": None,
    }
    if answers.respondents < MIN_GROUP:
        return empty
    analysis = engine.analyse(answers)
    names = dict(wave.instrument.dimensions.values_list("code", "name"))
    for dimension in analysis["dimensions"]:
        dimension["name"] = names.get(dimension["code"], dimension["code"])
    analysis["_meta"] = meta
    report = {
        "respondents": answers.respondents,
        "suppressed": False,
        "dimensions": analysis["dimensions"],
        "overall": analysis["overall"],
        "ipa": analysis["ipa"],
        "groups": None,
        "ranking": [],
        "comparison": None,
    }
    if by is not None:
        keys = [m[_GROUP_FIELD[by]] for m in meta]
        split = engine.breakdown(answers, keys, min_group=MIN_GROUP, analysis=analysis)
        labels = _labels(by, set(keys))
        for row in split["rows"]:
            row["label"] = labels[row["key"]]
        split["rows"].sort(key=lambda r: (r["suppressed"], r["label"]))
        report["groups"] = {"by": by, "rows": split["rows"]}
        report["ranking"] = split["ranking"]
    if compare_to is not None:
        report["comparison"] = _comparison(user, wave, compare_to, analysis)
    return report


def knowledge_gap(*, user: User, wave_id: int) -> dict[str, Any] | None:
    """Staff's expectation "as shops would answer" against the shops' own, per dimension
    (the knowledge gap): a staff wave read against the latest shop wave of its instrument."""
    wave = selectors.wave_get(user=user, wave_id=wave_id)
    if wave.audience != Wave.Audience.STAFF:
        return None
    shop_wave = (
        Wave.objects.filter(instrument=wave.instrument, audience=Wave.Audience.SHOPS)
        .filter(opens_at__lte=wave.closes_at)
        .order_by("-opens_at")
        .first()
    )
    if shop_wave is None:
        return None
    staff_answers, _ = load_wave(wave, selectors.submitted_responses(user, wave))
    shop_answers, _ = load_wave(shop_wave, selectors.submitted_responses(user, shop_wave))
    if staff_answers.respondents < MIN_GROUP or shop_answers.respondents < MIN_GROUP:
        return {"shop_wave": shop_wave.pk, "suppressed": True, "dimensions": []}
    staff = engine.analyse(staff_answers)["dimensions"]
    shops = engine.analyse(shop_answers)["dimensions"]
    rows = defaultdict(dict)
    for mine, theirs in zip(staff, shops, strict=True):
        rows[mine["code"]] = {
            "code": mine["code"],
            "staff_expectation": mine["expectation"]["mean"],
            "shop_expectation": theirs["expectation"]["mean"],
            "gap": None
            if mine["expectation"]["mean"] is None or theirs["expectation"]["mean"] is None
            else mine["expectation"]["mean"] - theirs["expectation"]["mean"],
        }
    return {"shop_wave": shop_wave.pk, "suppressed": False, "dimensions": list(rows.values())}


def nps_report(*, user: User, wave_id: int, by: str | None = None) -> dict[str, Any]:
    """Net Promoter Score of a wave's NPS questions (only questions marked NPS count), with its
    interval; ``by`` splits it by group, hiding groups under MIN_GROUP respondents."""
    wave = selectors.wave_get(user=user, wave_id=wave_id)
    if by is not None and by not in BREAKDOWNS:
        raise FieldInvalid("by", _("Break down by class, district, grid, staff or market type."))
    responses = selectors.submitted_responses(user, wave)
    rows = list(
        Answer.objects.filter(
            response__in=responses, question__kind=Question.Kind.NPS, value__isnull=False
        ).values_list(f"response__{_GROUP_FIELD[by or 'segment']}", "value")
    )
    if not wave.instrument.questions.filter(kind=Question.Kind.NPS).exists():
        raise FieldInvalid("wave", _("This wave asks no likelihood-to-recommend question."))

    def figures(scores: list[int]) -> dict[str, Any]:
        if len(scores) < MIN_GROUP:
            return {"n": len(scores), "suppressed": True}
        result = satisfaction.nps(scores)
        return {"suppressed": False, **result._asdict()}

    report = {"wave": wave.pk, "overall": figures([v for _, v in rows]), "groups": None}
    if by is not None:
        grouped: dict[Any, list[int]] = defaultdict(list)
        for key, value in rows:
            grouped[key].append(value)
        labels = _labels(by, set(grouped))
        report["groups"] = {
            "by": by,
            "rows": sorted(
                ({"key": k, "label": labels[k], **figures(v)} for k, v in grouped.items()),
                key=lambda r: (r["suppressed"], r["label"]),
            ),
        }
    return report
