"""servqual: the issue's overall gap, one wave analysed by hand, the group breakdown with its
suppression and Holm ranking, and the two-wave comparisons."""

import numpy as np
import pytest

from engines.servqual.servqual import (
    WaveAnswers,
    analyse,
    breakdown,
    compare_waves,
    overall_gap,
    paired_change,
    reverse_scored,
)
from engines.servqual.stats import cronbach_alpha, holm, mean_interval, welch_t

NAN = np.nan

# --------------------------------------------------------------------------- overall gap


def test_issue_overall_gap_unweighted_and_weighted():
    gaps = [-0.5, -1.5, -2.0, -0.5, -1.0]
    assert overall_gap(gaps) == pytest.approx(-1.1)
    assert overall_gap(gaps, [10, 30, 30, 15, 15]) == pytest.approx(-1.325)


@pytest.mark.parametrize("points", [[10, 30, 30, 15, 10], [20, 30, 30, 15, 15], [50, 50]])
def test_overall_gap_points_must_sum_to_100_per_dimension(points):
    with pytest.raises(ValueError):
        overall_gap([-0.5, -1.5, -2.0, -0.5, -1.0], points)


# --------------------------------------------------------------------------- one wave by hand

# Two dimensions of two items each. Per respondent (dimension means over answered items):
#        A: E    P    gap     B: E   P   gap     points
# r0        6    5    -1         5   5    0      60/40
# r1        6    6     0         6   4   -2      50/50
# r2        6    4.5  -1.5       5   5    0      70/30    (E item 2 missing)
# r3        5    6     1         7   5   -2      40/60    (P item 4 missing)
# r4        -    -     -         6   6    0      none     (A not answered)
# r5        7    4.5  -2.5       5   6    1      80/20
EXPECTATION = [
    [6, 6, 5, 5],
    [7, 5, 6, 6],
    [6, NAN, 4, 6],
    [5, 5, 7, 7],
    [NAN, NAN, 6, 6],
    [7, 7, 6, 4],
]
PERCEPTION = [
    [5, 5, 5, 5],
    [6, 6, 4, 4],
    [4, 5, 5, 5],
    [6, 6, 5, NAN],
    [NAN, NAN, 6, 6],
    [5, 4, 6, 6],
]
POINTS = [[60, 40], [50, 50], [70, 30], [40, 60], [NAN, NAN], [80, 20]]


def small_wave(points=POINTS) -> WaveAnswers:
    return WaveAnswers(("A", "B"), [0, 0, 1, 1], EXPECTATION, PERCEPTION, points)


def test_analyse_dimensions_by_hand():
    result = analyse(small_wave())
    assert result["respondents"] == 6
    first, second = result["dimensions"]
    assert first["code"] == "A" and first["n"] == 5  # r4 answered nothing in A
    assert first["expectation"]["mean"] == pytest.approx(30 / 5)
    assert first["perception"]["mean"] == pytest.approx(26 / 5)
    assert first["gap"]["mean"] == pytest.approx(-0.8)
    assert first["below_share"] == pytest.approx(3 / 5)
    expected = mean_interval([-1, 0, -1.5, 1, -2.5])
    assert (first["gap"]["low"], first["gap"]["high"]) == pytest.approx(
        (expected.low, expected.high)
    )
    assert first["gap"]["n"] == 5
    assert second["n"] == 6
    assert second["expectation"]["mean"] == pytest.approx(34 / 6)
    assert second["perception"]["mean"] == pytest.approx(31 / 6)
    assert second["gap"]["mean"] == pytest.approx(-0.5)
    assert second["below_share"] == pytest.approx(2 / 6)


def test_analyse_alpha_uses_complete_answers_only():
    first, second = analyse(small_wave())["dimensions"]
    # A expectations complete for r0, r1, r3, r5: items (6,7,5,7) and (6,5,5,7): variances
    # 11/12 each, totals (12,12,10,14) variance 8/3, alpha = 2 (1 − (11/6) / (8/3)) = 0.625
    assert first["alpha"]["expectation"] == pytest.approx(0.625)
    # B perception complete for all but r3, and both items agree everywhere: alpha 1
    assert second["alpha"]["perception"] == pytest.approx(1.0)
    gaps = np.array(PERCEPTION) - np.array(EXPECTATION)
    complete = gaps[:, :2][~np.isnan(gaps[:, :2]).any(axis=1)]
    assert first["alpha"]["gap"] == pytest.approx(cronbach_alpha(complete))


def test_analyse_overall_by_hand():
    overall = analyse(small_wave())["overall"]
    # respondents with both dimensions: r0 −0.5, r1 −1, r2 −0.75, r3 −0.5, r5 −0.75
    assert overall["n"] == 5
    assert overall["gap"]["mean"] == pytest.approx(-3.5 / 5)
    assert overall["below_share"] == 1.0
    # weighted by own points: −0.6, −1.0, −1.05, −0.8, −1.8
    assert overall["weighted_gap"] == pytest.approx(-5.25 / 5)
    assert overall["weighted"]["n"] == 5
    # perception only, every respondent with any perception: 5, 5, 4.75, 5.5, 6, 5.25
    assert overall["perception_only"] == pytest.approx(31.5 / 6)


def test_analyse_importance_performance_quadrants():
    result = analyse(small_wave())
    first, second = result["dimensions"]
    # mean points of the five respondents who gave them: A 60, B 40
    assert (first["importance"], second["importance"]) == pytest.approx((60, 40))
    assert result["ipa"]["importance_mean"] == pytest.approx(50)
    assert result["ipa"]["performance_mean"] == pytest.approx((26 / 5 + 31 / 6) / 2)
    # A: more important, performs above the mean; B: less important, below
    assert (first["quadrant"], second["quadrant"]) == ("keep_up", "low_priority")
    swapped = [row[::-1] for row in POINTS]
    first, second = analyse(small_wave(swapped))["dimensions"]
    assert (first["quadrant"], second["quadrant"]) == ("possible_overkill", "concentrate_here")


def test_analyse_without_points_has_no_weighted_gap_or_quadrants():
    result = analyse(small_wave(points=None))
    assert result["ipa"] is None
    assert all(d["importance"] is None and d["quadrant"] is None for d in result["dimensions"])
    assert result["overall"]["weighted_gap"] is None
    assert result["overall"]["gap"]["mean"] == pytest.approx(-0.7)


def test_respondent_without_points_is_weighted_by_the_mean_points():
    points = [row[:] for row in POINTS]
    points[0] = [NAN, NAN]  # r0 (gaps −1, 0) now takes the others' mean points 60/40
    overall = analyse(small_wave(points))["overall"]
    # mean points of r1, r2, r3, r5: A (50+70+40+80)/4 = 60 → r0 weighted −0.6 as before
    assert overall["weighted_gap"] == pytest.approx(-5.25 / 5)


def test_wave_answers_validation():
    with pytest.raises(ValueError, match="shape_mismatch"):
        WaveAnswers(("A",), [0, 0], [[1, 2]], [[1, 2, 3]])
    with pytest.raises(ValueError, match="shape_mismatch"):
        WaveAnswers(("A",), [0], [[1, 2]], [[1, 2]])
    with pytest.raises(ValueError, match="unknown_dimension"):
        WaveAnswers(("A",), [0, 1], [[1, 2]], [[1, 2]])
    with pytest.raises(ValueError, match="shape_mismatch"):
        WaveAnswers(("A", "B"), [0, 1], [[1, 2]], [[1, 2]], points=[[100]])


def test_reverse_scored_turns_round_only_the_marked_columns():
    values = np.array([[1, 7, 4], [2, NAN, 6]])
    turned = reverse_scored(values, [False, True, True])
    np.testing.assert_array_equal(turned, [[1, 1, 4], [2, NAN, 2]])
    np.testing.assert_array_equal(values, [[1, 7, 4], [2, NAN, 6]])  # input untouched
    np.testing.assert_array_equal(reverse_scored([[1, 5]], [True, False], 1, 5), [[5, 5]])


# --------------------------------------------------------------------------- breakdown

# One item per dimension, expectation 6 everywhere, so each gap is the perception − 6.
GROUP_GAPS = {
    "north": ([-1, -2, 0, -1, -1, -1], [0, 0, -1, 0, 1, 0]),
    "south": ([0, 1, 0, -1, 0], [-2, -2, -1, -3, -2]),
    "east": ([-3], [2]),
}


def grouped_wave() -> tuple[WaveAnswers, list[str]]:
    gaps, keys = [], []
    for key, (a, b) in GROUP_GAPS.items():
        gaps += list(zip(a, b, strict=True))
        keys += [key] * len(a)
    perception = 6 + np.array(gaps, dtype=float)
    expectation = np.full_like(perception, 6.0)
    return WaveAnswers(("A", "B"), [0, 1], expectation, perception), keys


def test_breakdown_suppresses_small_groups():
    wave, keys = grouped_wave()
    result = breakdown(wave, keys)
    rows = {row["key"]: row for row in result["rows"]}
    assert [row["key"] for row in result["rows"]] == ["north", "south", "east"]  # first seen
    assert rows["east"]["n"] == 1 and rows["east"]["suppressed"]
    assert rows["east"]["gaps"] == {} and rows["east"]["overall_gap"] is None
    assert "east" not in {cell["group"] for cell in result["ranking"]}
    assert rows["north"]["gaps"] == pytest.approx({"A": -1.0, "B": 0.0})
    assert rows["south"]["gaps"] == pytest.approx({"A": 0.0, "B": -2.0})
    assert rows["south"]["overall_gap"] == pytest.approx(-1.0)
    assert not rows["south"]["suppressed"]  # exactly 5 is enough


def test_breakdown_ranking_sorted_by_gap_with_welch_against_the_rest():
    wave, keys = grouped_wave()
    ranking = breakdown(wave, keys)["ranking"]
    # ties on the gap are ordered by group then dimension
    order = [(cell["group"], cell["dimension"]) for cell in ranking]
    assert order == [("south", "B"), ("north", "A"), ("north", "B"), ("south", "A")]
    assert [cell["gap"] for cell in ranking] == sorted(cell["gap"] for cell in ranking)
    # "the rest" is every other respondent of the wave, the suppressed group included
    north_a = GROUP_GAPS["north"][0]
    rest_a = GROUP_GAPS["south"][0] + GROUP_GAPS["east"][0]
    expected = welch_t(north_a, rest_a)
    cell = ranking[1]
    assert cell["n"] == 6
    assert cell["t"] == pytest.approx(expected.t, rel=1e-9)
    assert cell["p"] == pytest.approx(expected.p, rel=1e-9)


def test_breakdown_p_adjusted_is_holm_over_the_ranked_cells():
    wave, keys = grouped_wave()
    ranking = breakdown(wave, keys)["ranking"]
    p_values = [cell["p"] for cell in ranking]
    adjusted = [cell["p_adjusted"] for cell in ranking]
    assert adjusted == pytest.approx(holm(p_values))
    assert all(a >= p for a, p in zip(adjusted, p_values, strict=True))
    assert any(a > p for a, p in zip(adjusted, p_values, strict=True))


def test_breakdown_min_group_and_untestable_cells():
    wave, keys = grouped_wave()
    result = breakdown(wave, keys, min_group=1)
    east = [cell for cell in result["ranking"] if cell["group"] == "east"]
    assert len(east) == 2  # shown, but one answer gives no test
    assert all(cell["t"] is None and cell["p"] is None for cell in east)
    assert all(cell["p_adjusted"] is None for cell in east)
    tested = [cell for cell in result["ranking"] if cell["p"] is not None]
    assert [cell["p_adjusted"] for cell in tested] == pytest.approx(
        holm([cell["p"] for cell in tested])
    )


def test_breakdown_reuses_a_given_analysis_and_checks_lengths():
    wave, keys = grouped_wave()
    analysis = analyse(wave)
    assert breakdown(wave, keys, analysis=analysis) == breakdown(wave, keys)
    with pytest.raises(ValueError, match="length_mismatch"):
        breakdown(wave, keys[:-1])


# --------------------------------------------------------------------------- two waves


def test_compare_waves_tests_b_against_a():
    earlier, later = [-1.0, -1.5, -0.5, -1.2], [-0.2, 0.1, -0.4, 0.0, -0.3]
    result = compare_waves(earlier, later)
    expected = welch_t(later, earlier)
    assert result.t == pytest.approx(expected.t) and result.t > 0
    assert result.p == pytest.approx(expected.p)


def test_issue_paired_change():
    before = {"s1": 3.0, "s2": 4.0, "s3": 5.0, "s4": 4.0, "s5": 2.0}
    after = {"s1": 3.5, "s2": 5.0, "s3": 5.0, "s4": 4.5, "s5": 3.0}
    result = paired_change(before, after)
    assert result["n"] == 5 and result["df"] == 4
    assert result["mean_change"] == pytest.approx(0.6)
    assert result["t"] == pytest.approx(3.207, abs=0.0005)
    assert result["p"] == pytest.approx(0.0327, abs=0.00005)


def test_paired_change_uses_shared_shops_only():
    before = {"a": 1.0, "b": 2.0, "c": 3.0, "gone": 9.0}
    after = {"a": 1.5, "b": 3.0, "c": 3.0, "new": -9.0}
    result = paired_change(before, after)
    # changes 0.5, 1, 0: mean 0.5, sd 0.5, t = 0.5 / (0.5 / √3)
    assert result["n"] == 3
    assert result["mean_change"] == pytest.approx(0.5)
    assert result["t"] == pytest.approx(3**0.5)
    one = paired_change({"a": 1.0, "b": 2.0}, {"a": 2.0, "c": 5.0})
    assert one == {"n": 1, "mean_change": None, "t": None, "df": None, "p": None}
