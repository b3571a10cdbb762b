"""satisfaction and funnel: the issue's CSAT, NPS and funnel figures, the before/after tests of
a stage and the status of a goal that rises or falls."""

from datetime import datetime, timedelta

import pytest

from engines.servqual.funnel import (
    FunnelCounts,
    compare,
    compare_paired,
    funnel,
    goal_status,
)
from engines.servqual.satisfaction import csat, nps, nps_class
from engines.servqual.stats import wilson_interval

# --------------------------------------------------------------------------- CSAT


def test_issue_csat():
    result = csat([5, 4, 4, 3, 2, 5, 1, 4], invited=20)
    assert (result.rated, result.satisfied) == (8, 5)
    assert 100 * result.csat == pytest.approx(62.5)
    assert 100 * result.low == pytest.approx(30.6, abs=0.05)
    assert 100 * result.high == pytest.approx(86.3, abs=0.05)
    assert result.response_rate == pytest.approx(8 / 20)
    assert csat([5, 4, 4, 3, 2, 5, 1, 4]).response_rate is None


@pytest.mark.parametrize("rating", [6, 0, -1, 4.5])
def test_csat_rejects_ratings_off_the_scale(rating):
    with pytest.raises(ValueError):
        csat([5, 4, rating])


def test_csat_bad_counts():
    with pytest.raises(ValueError, match="empty"):
        csat([])
    with pytest.raises(ValueError, match="count_exceeds_total"):
        csat([5, 4, 3], invited=2)


# --------------------------------------------------------------------------- NPS


def test_issue_nps():
    result = nps([10, 9, 9, 9, 8, 7, 6, 3, 10, 10])
    assert (result.promoters, result.passives, result.detractors) == (6, 2, 2)
    assert result.nps == pytest.approx(40.0)
    assert result.low == pytest.approx(-9.6, abs=0.05)
    assert result.high == pytest.approx(89.6, abs=0.05)


@pytest.mark.parametrize(
    ("score", "kind"),
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive")]
    + [(9, "promoter"), (10, "promoter")],
)
def test_nps_class(score, kind):
    assert nps_class(score) == kind


@pytest.mark.parametrize("score", [-1, 11, 8.5])
def test_nps_rejects_answers_off_the_scale(score):
    with pytest.raises(ValueError):
        nps_class(score)
    with pytest.raises(ValueError):
        nps([9, score])


def test_nps_interval_stays_within_the_scale():
    assert nps([10, 10, 10]) == (3, 3, 0, 0, 100.0, 100.0, 100.0)
    unanimous = nps([0, 3])
    assert unanimous.nps == -100.0 and unanimous.low == -100.0
    with pytest.raises(ValueError, match="confidence_out_of_range"):
        nps([9, 3], confidence=1.0)


# --------------------------------------------------------------------------- funnel


def test_issue_funnel():
    stages = funnel(FunnelCounts(surveyed=400, aware=240, interested=120, tried=90, good=63))
    assert [s.stage for s in stages] == ["awareness", "interest", "experience", "perception"]
    assert [100 * s.share for s in stages] == pytest.approx([60, 50, 37.5, 70])
    assert [(s.count, s.base) for s in stages] == [(240, 400), (120, 240), (90, 240), (63, 90)]
    for stage in stages:
        assert (stage.low, stage.high) == pytest.approx(wilson_interval(stage.count, stage.base))
        assert stage.low < stage.share < stage.high


def test_funnel_empty_base_has_no_share():
    stages = funnel(FunnelCounts(50, 0, 0, 0, 0))
    assert stages[0].share == 0.0
    assert all(s.share is None and s.low is None for s in stages[1:])


@pytest.mark.parametrize(
    "counts",
    [
        FunnelCounts(100, 120, 10, 10, 5),  # aware > surveyed
        FunnelCounts(100, 50, 60, 10, 5),  # interested > aware
        FunnelCounts(100, 50, 10, 60, 5),  # tried > aware
        FunnelCounts(100, 50, 10, 10, 11),  # good > tried
    ],
)
def test_funnel_counts_exceeding_their_base_raise(counts):
    with pytest.raises(ValueError, match="count_exceeds_total"):
        funnel(counts)


@pytest.mark.parametrize("counts", [FunnelCounts(100, -1, 0, 0, 0), FunnelCounts(10.0, 5, 1, 1, 1)])
def test_funnel_rejects_negative_or_fractional_counts(counts):
    with pytest.raises(ValueError):
        funnel(counts)


def test_issue_stage_comparison():
    before = FunnelCounts(150, 45, 20, 15, 10)
    after = FunnelCounts(150, 60, 30, 20, 12)
    awareness = compare(before, after)[0]
    assert awareness.stage == "awareness" and awareness.test == "two_proportion"
    assert (awareness.before, awareness.after) == pytest.approx((0.3, 0.4))
    assert awareness.change == pytest.approx(0.1)
    assert awareness.z == pytest.approx(1.816, abs=0.0005)  # positive: after is higher
    assert awareness.p == pytest.approx(0.069, abs=0.0005)
    assert awareness.low < 0 < awareness.high  # the change is not significant at 95 %


def test_stage_comparison_without_a_base_is_not_tested():
    changes = compare(FunnelCounts(100, 0, 0, 0, 0), FunnelCounts(100, 10, 5, 4, 2))
    interest = changes[1]
    assert interest.test == "none" and interest.z is None and interest.p is None
    assert interest.before is None and interest.after == pytest.approx(0.5)


def test_issue_paired_stage_comparison_is_mcnemar():
    pairs = [(False, True)] * 12 + [(True, False)] * 3 + [(True, True)] * 20 + [(False, False)] * 5
    change = compare_paired(pairs, "awareness")
    assert change.test == "mcnemar"
    assert change.p == pytest.approx(0.0352, abs=0.00005)
    assert (change.before, change.after) == pytest.approx((23 / 40, 32 / 40))
    assert change.change == pytest.approx(9 / 40)
    with pytest.raises(ValueError, match="empty"):
        compare_paired([], "awareness")


# --------------------------------------------------------------------------- goals

START = datetime(2026, 1, 1)
DEADLINE = START + timedelta(days=10)
HALFWAY = START + timedelta(days=5)


def status(current, now, baseline=50.0, target=70.0):
    return goal_status(
        baseline=baseline, target=target, current=current, start=START, deadline=DEADLINE, now=now
    )


@pytest.mark.parametrize(
    ("current", "now", "expected"),
    [
        (70.0, HALFWAY, "met"),
        (75.0, DEADLINE + timedelta(days=3), "met"),  # met stays met after the deadline
        (60.0, HALFWAY, "on_track"),  # half the way at half the time
        (59.0, HALFWAY, "at_risk"),
        (45.0, START - timedelta(days=1), "at_risk"),  # going the wrong way
        (69.9, DEADLINE, "missed"),
        (None, HALFWAY, "at_risk"),
        (None, DEADLINE, "missed"),
    ],
)
def test_goal_status_rising_target(current, now, expected):
    assert status(current, now) == expected


@pytest.mark.parametrize(
    ("current", "now", "expected"),
    [
        (10.0, HALFWAY, "met"),
        (8.0, HALFWAY, "met"),  # below a falling target is beyond it
        (15.0, HALFWAY, "on_track"),
        (16.0, HALFWAY, "at_risk"),
        (25.0, START + timedelta(days=1), "at_risk"),  # rising while it should fall
        (11.0, DEADLINE + timedelta(hours=1), "missed"),
    ],
)
def test_goal_status_falling_target(current, now, expected):
    assert status(current, now, baseline=20.0, target=10.0) == expected


def test_goal_status_bad_input():
    with pytest.raises(ValueError, match="deadline_before_start"):
        goal_status(baseline=1, target=2, current=1, start=START, deadline=START, now=START)
    with pytest.raises(ValueError, match="target_equals_baseline"):
        status(50.0, HALFWAY, baseline=50.0, target=50.0)
