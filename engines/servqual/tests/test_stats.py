"""stats: the issue's worked figures, exact small cases, bad input, and scipy / statsmodels
cross-checks when they are installed (they are dev-only: run time needs neither)."""

import ast
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from engines.servqual import stats
from engines.servqual.stats import (
    betainc,
    binom_cdf,
    cronbach_alpha,
    holm,
    mcnemar_exact,
    mean_interval,
    mean_interval_from_summary,
    norm_cdf,
    norm_ppf,
    norm_sf,
    paired_t,
    sample_size_for_margin,
    t_cdf,
    t_ppf,
    t_sf,
    two_proportion_z,
    welch_t,
    welch_t_from_summary,
    wilson_interval,
)

# --------------------------------------------------------------------------- the issue's figures


def test_issue_gap_interval():
    interval = mean_interval([-1, -2, 0, -1, -1])
    assert interval.n == 5
    assert interval.mean == pytest.approx(-1.0)
    assert interval.sd == pytest.approx(math.sqrt(0.5))
    assert interval.low == pytest.approx(-1.88, abs=0.005)
    assert interval.high == pytest.approx(-0.12, abs=0.005)
    # symmetric about the mean: mean ± t(0.975, 4) · sd / √5
    assert interval.high - interval.mean == pytest.approx(2.7764451051977987 * math.sqrt(0.1))


def test_issue_cronbach_alpha():
    assert cronbach_alpha([[2, 3, 3], [4, 4, 5], [3, 5, 4], [5, 5, 5]]) == pytest.approx(
        93 / 104, rel=1e-12
    )


def test_issue_two_proportions():
    result = two_proportion_z(60, 150, 45, 150)
    assert result.z == pytest.approx(1.816, abs=0.0005)
    assert result.p == pytest.approx(0.069, abs=0.0005)
    assert result.diff == pytest.approx(0.1)
    # the order of the samples sets the sign only
    swapped = two_proportion_z(45, 150, 60, 150)
    assert swapped.z == pytest.approx(-result.z)
    assert swapped.p == pytest.approx(result.p)


def test_issue_paired_changes():
    result = paired_t([0.5, 1, 0, 0.5, 1])
    assert result.t == pytest.approx(3.207, abs=0.0005)
    assert result.df == 4
    assert result.p == pytest.approx(0.0327, abs=0.00005)


def test_issue_mcnemar():
    assert mcnemar_exact(12, 3) == pytest.approx(0.0352, abs=0.00005)
    # exactly 2 · P(X ≤ 3), X ~ Binomial(15, ½) = 2 · (1 + 15 + 105 + 455) / 2¹⁵
    assert mcnemar_exact(12, 3) == 2 * 576 / 2**15
    assert mcnemar_exact(3, 12) == mcnemar_exact(12, 3)


# --------------------------------------------------------------------------- distributions


def test_normal_known_values():
    assert norm_ppf(0.975) == pytest.approx(1.959963984540054, rel=1e-15)
    assert norm_ppf(0.025) == pytest.approx(-1.959963984540054, rel=1e-15)
    assert norm_ppf(0.5) == 0.0
    assert norm_ppf(0.0) == -math.inf and norm_ppf(1.0) == math.inf
    assert norm_cdf(1.959963984540054) == pytest.approx(0.975, rel=1e-15)
    # the upper tail keeps its digits where 1 − cdf would be 0
    assert norm_sf(10) == pytest.approx(7.619853024160527e-24, rel=1e-13)
    assert norm_cdf(-10) == pytest.approx(norm_sf(10), rel=1e-15)


@pytest.mark.parametrize("df", [0.5, 1, 2, 3, 4.5, 29, 31, 200, 1e6])
@pytest.mark.parametrize("p", [1e-10, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.9999])
def test_t_ppf_inverts_the_cdf(p, df):
    quantile = t_ppf(p, df)
    assert t_cdf(quantile, df) == pytest.approx(p, rel=1e-12)
    # symmetry, at the probability 1 − p really stands for (1 − 1e-10 is not exact)
    upper = 1 - p
    assert t_ppf(upper, df) == pytest.approx(-t_ppf(1 - upper, df), rel=1e-12, abs=1e-15)


def test_t_known_values():
    assert t_ppf(0.975, 4) == pytest.approx(2.7764451051977987, rel=1e-14)
    assert t_ppf(0.975, 1) == pytest.approx(12.706204736174698, rel=1e-14)  # Cauchy
    assert t_cdf(1.0, 1) == pytest.approx(0.75, rel=1e-15)  # ½ + atan(1)/π
    assert t_cdf(1.0, 2) == pytest.approx(0.5 + 0.5 / math.sqrt(3), rel=1e-15)
    assert t_cdf(0.0, 7) == 0.5
    assert t_sf(2.0, math.inf) == pytest.approx(norm_sf(2.0), rel=1e-15)
    assert t_cdf(-3.0, 10) == pytest.approx(t_sf(3.0, 10), rel=1e-15)
    assert t_cdf(math.inf, 3) == 1.0 and t_sf(math.inf, 3) == 0.0
    # a large df approaches the normal
    assert t_sf(2.0, 1e9) == pytest.approx(norm_sf(2.0), rel=1e-7)


def test_betainc_closed_forms():
    assert betainc(1, 1, 0.3) == pytest.approx(0.3, rel=1e-15)
    assert betainc(3, 1, 0.4) == pytest.approx(0.4**3, rel=1e-14)
    assert betainc(1, 2, 0.25) == pytest.approx(1 - 0.75**2, rel=1e-14)
    assert betainc(2, 5, 0.0) == 0.0 and betainc(2, 5, 1.0) == 1.0
    # symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
    assert betainc(2.5, 7, 0.2) == pytest.approx(1 - betainc(7, 2.5, 0.8), rel=1e-13)


def test_binom_cdf_exact_half_and_edges():
    assert binom_cdf(3, 15, 0.5) == 576 / 2**15
    assert binom_cdf(-1, 10, 0.3) == 0.0
    assert binom_cdf(10, 10, 0.3) == 1.0
    assert binom_cdf(0, 4, 0.25) == pytest.approx(0.75**4, rel=1e-14)
    assert binom_cdf(1, 4, 0.25) == pytest.approx(0.75**4 + 4 * 0.25 * 0.75**3, rel=1e-14)


# --------------------------------------------------------------------------- intervals and tests


def test_mean_interval_degenerate_samples():
    one = mean_interval([4.0])
    assert one == (1, 4.0, None, None, None)
    flat = mean_interval([3, 3, 3])
    assert flat.sd == 0.0 and flat.low == flat.high == 3.0
    wider = mean_interval([-1, -2, 0, -1, -1], confidence=0.99)
    narrower = mean_interval([-1, -2, 0, -1, -1], confidence=0.90)
    assert wider.low < narrower.low < -1 < narrower.high < wider.high


def test_mean_interval_from_summary_matches_raw():
    raw = mean_interval([-1, -2, 0, -1, -1])
    summary = mean_interval_from_summary(5, -1.0, math.sqrt(0.5))
    assert summary.low == pytest.approx(raw.low) and summary.high == pytest.approx(raw.high)
    assert mean_interval_from_summary(1, 2.0, None) == (1, 2.0, None, None, None)


def test_welch_t_by_hand():
    # a: mean 2, var 1; b: mean 5, var 4; se² = 1/3 + 4/3; df = (5/3)² / ((1/3)²/2 + (4/3)²/2)
    result = welch_t([1, 2, 3], [3, 5, 7])
    assert result.t == pytest.approx(-3 / math.sqrt(5 / 3))
    assert result.df == pytest.approx(50 / 17)
    assert result.p == pytest.approx(2 * t_cdf(result.t, 50 / 17))
    same = welch_t_from_summary(2.0, 1.0, 3, 5.0, 4.0, 3)
    assert same.t == pytest.approx(result.t) and same.p == pytest.approx(result.p)


def test_tests_undefined_for_degenerate_data():
    assert welch_t([1], [2, 3]) == (None, None, None)
    assert welch_t([2, 2], [5, 5, 5]) == (None, None, None)
    assert paired_t([1, 2, 3], [2, 3, 4]) == (None, None, None)  # every difference is 1
    assert paired_t([0.5]) == (None, None, None)
    assert two_proportion_z(0, 10, 0, 20).z is None  # pooled share 0
    assert two_proportion_z(10, 10, 20, 20).p is None  # pooled share 1
    assert mcnemar_exact(0, 0) == 1.0


def test_paired_t_is_after_minus_before():
    before, after = [3, 4, 5, 4, 2], [3.5, 5, 5, 4.5, 3]
    assert paired_t(before, after).t == pytest.approx(paired_t([0.5, 1, 0, 0.5, 1]).t)
    assert paired_t(after, before).t == pytest.approx(-paired_t(before, after).t)


def test_two_proportion_wald_interval_by_hand():
    result = two_proportion_z(60, 150, 45, 150)
    half = norm_ppf(0.975) * math.sqrt(0.4 * 0.6 / 150 + 0.3 * 0.7 / 150)
    assert result.low == pytest.approx(0.1 - half) and result.high == pytest.approx(0.1 + half)


def test_holm_worked_example():
    # sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 → running max 0.02, 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    assert holm([]) == []
    assert holm([0.2]) == [0.2]


def test_wilson_interval_by_hand_and_edges():
    low, high = wilson_interval(5, 8)
    assert (round(low, 3), round(high, 3)) == (0.306, 0.863)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0 < high < 0.35
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0, abs=1e-15) and 0.65 < low < 1


def test_cronbach_alpha_undefined_cases():
    assert cronbach_alpha([[1], [2], [3]]) is None  # one item
    assert cronbach_alpha([[1, 2, 3]]) is None  # one respondent
    assert cronbach_alpha([[3, 3], [3, 3], [3, 3]]) is None  # totals do not vary
    assert cronbach_alpha(np.array([[1, 1], [2, 2], [4, 4]])) == pytest.approx(1.0)


def test_sample_size_for_margin():
    # 1.96² · ¼ / 0.05² = 384.1 → 385; with N = 1000: 384.1 / (1 + 383.1/1000) = 277.7 → 278
    assert sample_size_for_margin(0.05, 0.95) == 385
    assert sample_size_for_margin(0.05, 0.95, population=1000) == 278
    assert sample_size_for_margin(0.05, 0.95, population=10) <= 10
    assert sample_size_for_margin(0.03) > sample_size_for_margin(0.05)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: mean_interval([]), "empty"),
        (lambda: mean_interval([1, 2], confidence=0), "confidence_out_of_range"),
        (lambda: mean_interval([1, 2], confidence=1), "confidence_out_of_range"),
        (lambda: mean_interval([1, 2], confidence=95), "confidence_out_of_range"),
        (lambda: mean_interval([1, math.nan]), "not_finite"),
        (lambda: mean_interval([[1, 2], [3, 4]]), "ragged"),
        (lambda: welch_t([], [1, 2]), "empty"),
        (lambda: paired_t([1, 2, 3], [1, 2]), "length_mismatch"),
        (lambda: two_proportion_z(11, 10, 1, 10), "count_exceeds_total"),
        (lambda: two_proportion_z(-1, 10, 1, 10), "negative_count"),
        (lambda: two_proportion_z(0, 0, 1, 10), "empty"),
        (lambda: two_proportion_z(1, 10, 1, 10, confidence=1.5), "confidence_out_of_range"),
        (lambda: wilson_interval(6, 5), "count_exceeds_total"),
        (lambda: wilson_interval(0, 0), "empty"),
        (lambda: wilson_interval(1.5, 5), "not_integer"),
        (lambda: mcnemar_exact(-1, 3), "negative_count"),
        (lambda: holm([0.2, 1.2]), "probability_out_of_range"),
        (lambda: holm([math.nan]), "not_finite"),
        (lambda: cronbach_alpha([[1, 2], [3]]), "ragged"),
        (lambda: cronbach_alpha([]), "empty"),
        (lambda: cronbach_alpha([[1, math.nan], [2, 3]]), "not_finite"),
        (lambda: norm_ppf(1.2), "probability_out_of_range"),
        (lambda: t_ppf(0.5, 0), "df_not_positive"),
        (lambda: t_cdf(1.0, -2), "df_not_positive"),
        (lambda: t_cdf(math.nan, 3), "not_finite"),
        (lambda: betainc(0, 1, 0.5), "df_not_positive"),
        (lambda: binom_cdf(2, -1, 0.5), "negative_count"),
        (lambda: sample_size_for_margin(0), "margin_out_of_range"),
        (lambda: sample_size_for_margin(0.05, population=0), "population_not_positive"),
        (lambda: sample_size_for_margin(0.05, p=1), "probability_out_of_range"),
    ],
)
def test_bad_input_raises_with_code(call, code):
    with pytest.raises(ValueError, match=f"^{code}$"):
        call()


# --------------------------------------------------------------------------- references


T_POINTS = [-40.0, -3.0, -0.1, 0.0, 0.7, 2.0, 5.0, 80.0]
DFS = [0.5, 1.0, 2.0, 2.5, 9.0, 30.5, 200.0, 1e6]


def test_t_distribution_against_scipy():
    sp = pytest.importorskip("scipy.stats")
    for df in DFS:
        for t in T_POINTS:
            assert t_cdf(t, df) == pytest.approx(sp.t.cdf(t, df), rel=1e-12, abs=1e-15)
            assert t_sf(t, df) == pytest.approx(sp.t.sf(t, df), rel=1e-12, abs=1e-15)
        for p in (1e-8, 0.01, 0.2, 0.6, 0.95, 0.99999):
            assert t_ppf(p, df) == pytest.approx(sp.t.ppf(p, df), rel=1e-10)
    for p in (1e-200, 1e-20, 0.001, 0.3, 0.7, 1 - 1e-12):
        assert norm_ppf(p) == pytest.approx(sp.norm.ppf(p), rel=1e-13)


def test_betainc_against_scipy():
    special = pytest.importorskip("scipy.special")
    for a, b, x in [(0.3, 0.5, 0.1), (2, 3, 0.4), (50, 0.5, 0.97), (400, 500, 0.45), (7, 2, 0.9)]:
        assert betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-12)


def test_tests_against_scipy():
    sp = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(7)
    for size in (2, 5, 30, 200):
        a, b = rng.normal(3, 1, size), rng.lognormal(1, 0.5, size + 3)
        after = a + rng.normal(0.3, 0.5, size)
        ours, reference = welch_t(a, b), sp.ttest_ind(a, b, equal_var=False)
        assert ours.t == pytest.approx(reference.statistic, rel=1e-12)
        assert ours.df == pytest.approx(reference.df, rel=1e-12)
        assert ours.p == pytest.approx(reference.pvalue, rel=1e-10, abs=1e-15)
        ours, reference = paired_t(a, after), sp.ttest_rel(after, a)
        assert ours.t == pytest.approx(reference.statistic, rel=1e-12)
        assert ours.p == pytest.approx(reference.pvalue, rel=1e-10, abs=1e-15)
        interval = mean_interval(a, 0.9)
        low, high = sp.t.interval(0.9, size - 1, loc=a.mean(), scale=sp.sem(a))
        assert (interval.low, interval.high) == pytest.approx((low, high), rel=1e-12)


def test_proportions_against_statsmodels():
    pytest.importorskip("statsmodels")
    from statsmodels.stats.contingency_tables import mcnemar
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import proportion_confint, proportions_ztest

    for x1, n1, x2, n2 in [(60, 150, 45, 150), (1, 7, 6, 9), (0, 30, 4, 12)]:
        ours = two_proportion_z(x1, n1, x2, n2)
        z, p = proportions_ztest([x1, x2], [n1, n2])
        assert (ours.z, ours.p) == pytest.approx((z, p), rel=1e-12)
        low, high = proportion_confint(x1, n1, alpha=0.1, method="wilson")
        assert wilson_interval(x1, n1, 0.9) == pytest.approx((max(0, low), high), abs=1e-15)
    for b, c in [(12, 3), (0, 5), (40, 41), (7, 0)]:
        reference = mcnemar([[0, b], [c, 0]], exact=True).pvalue
        assert mcnemar_exact(b, c) == pytest.approx(reference, rel=1e-12)
    p_values = [0.001, 0.04, 0.04, 0.3, 0.012, 0.9]
    assert holm(p_values) == pytest.approx(list(multipletests(p_values, method="holm")[1]))


@pytest.mark.parametrize("module", ["stats", "servqual", "satisfaction", "funnel"])
def test_run_time_imports_no_reference_library(module):
    # scipy / statsmodels / pingouin are dev-only: the engine imports numpy and the stdlib
    source = (Path(stats.__file__).parent / f"{module}.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported
    assert imported <= {"numpy", "engines", *sys.stdlib_module_names}
