"""Survey statistics: our pure-Python functions against scipy / statsmodels / pingouin, and the
cost of one large SERVQUAL wave.

    python -m bench.run --only servqual
    python -m engines.servqual.bench

Agreement (``stats_max_abs_diff``): 1,000 random data sets (``SEED``; 2–200 values, normal,
uniform, skewed, heavy-tailed, 1–7 Likert and 0/1 answers, so with many ties), each run through
every function of ``engines.servqual.stats`` that has a reference:

- ``t_cdf`` / ``t_sf`` / ``t_ppf`` / ``norm_ppf`` against ``scipy.stats.t`` / ``norm``, at the
  data's t statistics and degrees of freedom (integer and Welch) and at random points and
  probabilities down to 1e-12 (1e-300 for the normal); ``betainc`` against
  ``scipy.special.betainc`` (a, b from 0.1 to 1,000) and ``binom_cdf`` against
  ``scipy.stats.binom.cdf`` (p = ½ and random);
- ``mean_interval`` against ``scipy.stats.t.interval`` (mean ± t·sem);
- ``welch_t`` against ``ttest_ind(equal_var=False)`` (t, df, p); ``paired_t`` against
  ``ttest_rel(after, before)``, since ours tests after − before;
- ``two_proportion_z`` against statsmodels ``proportions_ztest`` (pooled z, p) and its interval
  against ``confint_proportions_2indep(method="wald")``; ``wilson_interval`` against
  ``proportion_confint(method="wilson")``; ``mcnemar_exact`` against ``mcnemar(exact=True)``;
  ``holm`` against ``multipletests(method="holm")``;
- ``cronbach_alpha`` against ``pingouin.cronbach_alpha``.

Probabilities are compared as absolute differences. Unbounded figures (t, z, df, quantiles,
interval ends, alpha) as |ours − reference| / max(1, |reference|): absolute below magnitude 1,
relative above, so a t of 1e6 from near-tied data or a t quantile of 1e12 at df 0.5 is judged
by its digits, not its size. A figure undefined for the data (zero variance, a pooled share of 0
or 1) must be None in ours where the reference gives NaN or inf; a mismatch there counts as
an infinite difference.

Reading the figures (run of 2026-12-07, scipy 1.17, statsmodels 0.15, pingouin 0.7): the
largest difference, ~4e-10, is ``norm_ppf`` below p = 1e-290, where stats.py skips its Halley
steps and keeps Acklam's approximation (relative error < 1.2e-9); scipy's quantile there
returns p through the cdf to 1e-13, ours to 5e-7 relative. Everything else is at most ~1e-13;
the next largest, ``t_ppf`` (~1e-13 at df ≈ 3), is scipy's error: our quantile goes back through
either library's cdf to p within 2e-16, scipy's within 2e-14 to 7e-14.

Wave (``servqual_50000_*``): 50,000 generated respondents of the 22-item instrument (5
dimensions of 4, 5, 4, 4, 5 items; E and P on 1–7 with about 1 % of answers missing; 100
importance points each), ``analyse`` then ``breakdown`` by a 30-level group. Seconds are the
best of 3 runs without tracemalloc; the peak MB is a separate run under tracemalloc (numpy's
buffers included), the wave's own arrays excluded since they exist before the call.
"""

import gc
import math
import time
import tracemalloc
import warnings
from collections import defaultdict

import numpy as np

from engines.servqual import servqual, stats

NAME = "servqual"
DATABASE = "none"
SEED = 20251207
DATA_SETS = 1_000
RESPONDENTS = 50_000
GROUPS = 30
ITEMS_PER_DIMENSION = (4, 5, 4, 4, 5)
TARGETS = {"stats_max_abs_diff": (1e-9, "<"), "servqual_50000_s": (10, "<")}
NOTES = {
    "stats_max_abs_diff": "largest difference from scipy/statsmodels/pingouin over 1,000 random "
    "data sets (probabilities absolute; t, z, df, quantiles, interval ends, alpha relative above "
    "magnitude 1)",
    "servqual_50000_s": "s for analyse() + breakdown() by 30 groups, 50,000 respondents x 22 "
    "items (best of 3)",
    "servqual_50000_peak_mb": "tracemalloc peak MB of the same call (input arrays excluded)",
}


def _say(message: str) -> None:
    print(f"  {message}", flush=True)


# --------------------------------------------------------------------------- agreement


class Differences:
    """The largest difference seen per function, and where."""

    def __init__(self) -> None:
        self.largest: dict[str, float] = defaultdict(float)
        self.where: dict[str, str] = {}
        self.compared: dict[str, int] = defaultdict(int)

    def _record(self, function: str, difference: float, where: str) -> None:
        self.compared[function] += 1
        if function not in self.where or difference > self.largest[function]:
            self.largest[function] = difference
            self.where[function] = where

    def probability(self, function: str, ours, reference, where: str) -> None:
        self._record(function, _difference(ours, reference, scaled=False), where)

    def figure(self, function: str, ours, reference, where: str) -> None:
        self._record(function, _difference(ours, reference, scaled=True), where)

    @property
    def overall(self) -> float:
        return max(self.largest.values())


def _undefined(value) -> bool:
    return value is None or not math.isfinite(float(value))


def _difference(ours, reference, *, scaled: bool) -> float:
    reference = float(reference)
    if ours is None or reference != reference:
        # undefined figures must agree: None in ours, NaN in the reference
        return 0.0 if ours is None and reference != reference else math.inf
    ours = float(ours)
    if math.isinf(reference) or math.isinf(ours):
        return 0.0 if ours == reference else math.inf
    difference = abs(ours - reference)
    return difference / max(1.0, abs(reference)) if scaled else difference


def _sample(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    if kind == "normal":
        return rng.normal(rng.uniform(-100, 100), rng.uniform(0.01, 50), n)
    if kind == "uniform":
        return rng.uniform(-5, 5, n)
    if kind == "skewed":
        return rng.lognormal(0.0, 1.2, n)
    if kind == "heavy":
        return rng.standard_t(2.5, n)
    if kind == "likert":
        return rng.integers(1, 8, n).astype(float)
    return rng.integers(0, 2, n).astype(float)  # 0/1: the most ties


KINDS = ("normal", "uniform", "skewed", "heavy", "likert", "binary")
CONFIDENCES = (0.8, 0.9, 0.95, 0.99, 0.999)


def _tail_probability(rng: np.random.Generator, smallest: float) -> float:
    """Probabilities spread over the body and log-uniformly into both tails."""
    if rng.random() < 0.5:
        return float(rng.uniform(0.001, 0.999))
    tail = 10.0 ** rng.uniform(math.log10(smallest), -3)
    return tail if rng.random() < 0.5 else 1.0 - tail


def compare_with_references() -> Differences:
    from scipy import special
    from scipy import stats as sp

    pingouin = _import_pingouin()
    import pandas as pd
    from statsmodels.stats.contingency_tables import mcnemar
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_confint,
        proportions_ztest,
    )

    # multipletests(method="holm") calls gc.collect() every time: 70 ms over the heap pandas,
    # scipy and matplotlib leave. Frozen objects are not scanned, so each call costs ~nothing.
    gc.freeze()
    rng = np.random.default_rng(SEED)
    seen = Differences()
    for index in range(DATA_SETS):
        n = int(rng.integers(2, 201))
        m = int(rng.integers(2, 201))
        kind = KINDS[index % len(KINDS)]
        where = f"set {index} ({kind}, n={n})"
        confidence = float(rng.choice(CONFIDENCES)) if index % 3 else float(rng.uniform(0.5, 0.999))
        a = _sample(rng, n, kind)
        b = _sample(rng, m, KINDS[int(rng.integers(len(KINDS)))])
        after = a + rng.normal(rng.uniform(-1, 1), rng.uniform(0.01, 2), n)
        if kind in ("likert", "binary"):
            after = np.clip(np.round(after), a.min(), a.max())  # paired answers on the scale
        p_values: list[float] = []

        ours = stats.mean_interval(a, confidence)
        if ours.sd == 0.0:  # scipy cannot scale by 0; ours collapses to the mean
            seen.figure("mean_interval", ours.high - ours.low, 0.0, where)
        else:
            sem = float(np.std(a, ddof=1)) / math.sqrt(n)
            low, high = sp.t.interval(confidence, n - 1, loc=float(np.mean(a)), scale=sem)
            seen.figure("mean_interval", ours.low, low, where)
            seen.figure("mean_interval", ours.high, high, where)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # zero variance: NaN by design
            welch = stats.welch_t(a, b)
            reference = sp.ttest_ind(a, b, equal_var=False)
            seen.figure("welch_t", welch.t, reference.statistic, where)
            seen.figure("welch_t", welch.df, reference.df, where)
            seen.probability("welch_t", welch.p, reference.pvalue, where)
            paired = stats.paired_t(a, after)
            reference = sp.ttest_rel(after, a)
            seen.figure("paired_t", paired.t, reference.statistic, where)
            seen.probability("paired_t", paired.p, reference.pvalue, where)
        p_values += [p for p in (welch.p, paired.p) if p is not None]

        for t, df in _t_points(rng, welch, paired, n):
            seen.probability("t_cdf", stats.t_cdf(t, df), sp.t.cdf(t, df), where)
            seen.probability("t_sf", stats.t_sf(t, df), sp.t.sf(t, df), where)
        for _ in range(3):
            df = _random_df(rng, n)
            q = _tail_probability(rng, 1e-12)
            seen.figure("t_ppf", stats.t_ppf(q, df), sp.t.ppf(q, df), f"{where} p={q!r} df={df!r}")
            q = _tail_probability(rng, 1e-300)
            seen.figure("norm_ppf", stats.norm_ppf(q), sp.norm.ppf(q), f"{where} p={q!r}")

        for _ in range(2):
            shape_a, shape_b = (float(v) for v in 10.0 ** rng.uniform(-1, 3, 2))
            x = float(rng.uniform(0, 1))
            seen.probability(
                "betainc",
                stats.betainc(shape_a, shape_b, x),
                special.betainc(shape_a, shape_b, x),
                f"{where} a={shape_a!r} b={shape_b!r} x={x!r}",
            )
        k, share = int(rng.integers(0, n + 1)), float(rng.uniform(0.01, 0.99))
        for q in (0.5, share):
            seen.probability("binom_cdf", stats.binom_cdf(k, n, q), sp.binom.cdf(k, n, q), where)

        x1, n1 = _count(rng, n), n
        x2, n2 = _count(rng, m), m
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # pooled share 0 or 1: NaN
            ours_z = stats.two_proportion_z(x1, n1, x2, n2, confidence)
            z, p = proportions_ztest([x1, x2], [n1, n2])
        seen.figure("two_proportion_z", ours_z.z, z, where)
        seen.probability("two_proportion_z", ours_z.p, p, where)
        low, high = confint_proportions_2indep(
            x1, n1, x2, n2, method="wald", compare="diff", alpha=1 - confidence
        )
        seen.figure("two_proportion_z", ours_z.low, low, where)
        seen.figure("two_proportion_z", ours_z.high, high, where)
        if ours_z.p is not None:
            p_values.append(ours_z.p)

        low, high = stats.wilson_interval(x1, n1, confidence)
        reference = proportion_confint(x1, n1, alpha=1 - confidence, method="wilson")
        # statsmodels does not clip the Wilson ends to [0, 1] (−1e-17 at x = 0); ours does
        seen.probability("wilson_interval", low, min(1.0, max(0.0, reference[0])), where)
        seen.probability("wilson_interval", high, min(1.0, max(0.0, reference[1])), where)

        discordant_b, discordant_c = _count(rng, n), _count(rng, n)
        ours_p = stats.mcnemar_exact(discordant_b, discordant_c)
        table = [[0, discordant_b], [discordant_c, 0]]
        seen.probability("mcnemar_exact", ours_p, mcnemar(table, exact=True).pvalue, where)
        p_values.append(ours_p)

        p_values += _random_p_values(rng)
        seen_holm = stats.holm(p_values)
        reference = multipletests(p_values, method="holm")[1]
        for ours_p, reference_p in zip(seen_holm, reference, strict=True):
            seen.probability("holm", ours_p, reference_p, where)

        matrix = _item_matrix(rng, n, kind)
        alpha = stats.cronbach_alpha(matrix)
        if pingouin is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                reference_alpha = pingouin.cronbach_alpha(pd.DataFrame(matrix))[0]
            if alpha is None and not math.isfinite(reference_alpha):
                reference_alpha = math.nan  # 0/0 or x/0 there, None here: both undefined
            seen.figure("cronbach_alpha", alpha, reference_alpha, where)
        if index % 200 == 199:
            _say(f"{index + 1} data sets compared, largest difference so far {seen.overall:.2e}")
    return seen


def _import_pingouin():
    try:
        import pingouin
    except ImportError:
        _say("pingouin is not installed: cronbach_alpha is not compared")
        return None
    return pingouin


def _random_df(rng: np.random.Generator, n: int) -> float:
    choice = rng.integers(5)
    if choice == 0:
        return float(n - 1)
    if choice == 1:
        return float(rng.uniform(0.3, 5))
    if choice == 2:
        return float(rng.uniform(5, 300))
    if choice == 3:
        return float(10 ** rng.uniform(2.5, 7))
    return float(rng.integers(1, 40))


def _t_points(rng, welch, paired, n) -> list[tuple[float, float]]:
    points = [(float(rng.normal(0, 3)), _random_df(rng, n)) for _ in range(3)]
    points.append((float(rng.uniform(-60, 60)), _random_df(rng, n)))
    points += [(test.t, test.df) for test in (welch, paired) if test.t is not None]
    return points


def _count(rng: np.random.Generator, total: int) -> int:
    edge = rng.random()
    if edge < 0.05:
        return 0
    if edge < 0.1:
        return total
    return int(rng.integers(0, total + 1))


def _random_p_values(rng: np.random.Generator) -> list[float]:
    count = int(rng.integers(1, 30))
    values = rng.uniform(0, 1, count) ** rng.uniform(1, 6)
    if count > 3:
        values[: count // 3] = values[count // 3]  # ties
    return [float(v) for v in values]


def _item_matrix(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """Respondents × items: a shared trait plus item noise, on a 1–7 scale for Likert data."""
    items = int(rng.integers(2, 11))
    trait = rng.normal(0, 1, (n, 1))
    matrix = trait * rng.uniform(0, 1.5) + rng.normal(0, 1, (n, items))
    if kind in ("likert", "binary"):
        matrix = np.clip(np.round(4 + 1.2 * matrix), 1, 7)
    return matrix


# --------------------------------------------------------------------------- large wave


def generate_wave(rng: np.random.Generator) -> tuple[servqual.WaveAnswers, np.ndarray]:
    item_dimension = [d for d, count in enumerate(ITEMS_PER_DIMENSION) for _ in range(count)]
    items = len(item_dimension)
    dimensions = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
    trait = rng.normal(0, 0.8, (RESPONDENTS, 1))
    expectation = np.clip(
        np.round(5.8 + 0.3 * trait + rng.normal(0, 0.8, (RESPONDENTS, items))), 1, 7
    )
    perception = np.clip(np.round(5.0 + trait + rng.normal(0, 1.0, (RESPONDENTS, items))), 1, 7)
    for answers in (expectation, perception):
        answers[rng.random(answers.shape) < 0.01] = np.nan
    # 100 whole points each, none negative, spread around each respondent's own preferences
    preferences = rng.dirichlet(np.ones(len(dimensions)) * 3, RESPONDENTS)
    points = rng.multinomial(100, preferences).astype(float)
    wave = servqual.WaveAnswers(dimensions, item_dimension, expectation, perception, points)
    groups = rng.integers(0, GROUPS, RESPONDENTS).astype(str)
    return wave, np.char.add("district-", groups)


def _analyse_and_break_down(wave: servqual.WaveAnswers, groups: np.ndarray) -> dict:
    analysis = servqual.analyse(wave)
    return servqual.breakdown(wave, groups, analysis=analysis)


def time_wave() -> dict[str, float]:
    wave, groups = generate_wave(np.random.default_rng(SEED))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = _analyse_and_break_down(wave, groups)
        timings.append(time.perf_counter() - started)
    tracemalloc.start()
    try:
        _analyse_and_break_down(wave, groups)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _say(
        f"wave of {RESPONDENTS:,} x {wave.expectation.shape[1]} items, {GROUPS} groups:"
        f" {', '.join(f'{t:.2f}' for t in timings)} s (best {min(timings):.2f}),"
        f" tracemalloc peak {peak / 2**20:.1f} MB; {len(result['ranking'])} cells ranked"
    )
    return {"servqual_50000_s": min(timings), "servqual_50000_peak_mb": peak / 2**20}


def run() -> dict[str, float]:
    started = time.perf_counter()
    seen = compare_with_references()
    _say(f"{DATA_SETS:,} data sets in {time.perf_counter() - started:.1f} s; largest difference:")
    for function in sorted(seen.largest):
        _say(
            f"  {function:18} {seen.largest[function]:.2e} over {seen.compared[function]:,}"
            f" figures (at {seen.where[function]})"
        )
    metrics = {"stats_max_abs_diff": seen.overall}
    return metrics | time_wave()


if __name__ == "__main__":
    for metric, value in run().items():
        print(f"{metric:24} {value:.6g}")
