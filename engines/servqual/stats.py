"""Distributions and tests for survey statistics, written here so run time needs no scipy.

Normal and Student t (cdf, survival, ppf) to full double precision, the binomial cdf, and the
tests the quality reports use: t interval of a mean, Welch and paired t, two-proportion z,
exact McNemar, Holm adjustment, Wilson interval, Cronbach's alpha and the sample size for a
margin of error. ``bench.py`` checks every one against scipy / statsmodels / pingouin.

Conventions:
- probabilities and shares are fractions in [0, 1]; ``confidence`` is a fraction (0.95).
- bad input raises ``ValueError`` with a code: ``empty``, ``length_mismatch``, ``not_finite``,
  ``confidence_out_of_range``, ``probability_out_of_range``, ``df_not_positive``,
  ``negative_count``, ``count_exceeds_total``, ``ragged``, ``margin_out_of_range``,
  ``population_not_positive``.
- a figure that is undefined for the data (a standard deviation from one value, a t statistic
  when every difference is equal) is ``None``, never NaN.
"""

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

SQRT_2PI = math.sqrt(2.0 * math.pi)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_EPS = 2.220446049250313e-16
_TINY = 1e-300
_MAX_CF_ITERATIONS = 100_000

# Acklam's rational approximation of the normal quantile (relative error < 1.2e-9); the Halley
# steps in ``norm_ppf`` take it to full precision.
_ACKLAM_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_ACKLAM_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_ACKLAM_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_ACKLAM_D = (
    7.784695709041462e-03,
    3.224671290700398e-01,
    2.445134137142996e00,
    3.754408661907416e00,
)
# Stirling series of log Γ(x) − ((x − ½) log x − x + ½ log 2π): B₂ₖ / (2k (2k − 1) x^(2k−1)).
# Eight terms are below 1e-17 for x ≥ 10.
_STIRLING = (
    1 / 12,
    -1 / 360,
    1 / 1260,
    -1 / 1680,
    1 / 1188,
    -691 / 360360,
    1 / 156,
    -3617 / 122400,
)


class MeanInterval(NamedTuple):
    """A mean with its t interval; ``sd``, ``low`` and ``high`` are None when n < 2."""

    n: int
    mean: float
    sd: float | None
    low: float | None
    high: float | None


class TTest(NamedTuple):
    """A t statistic, its degrees of freedom and two-sided p; all None when undefined."""

    t: float | None
    df: float | None
    p: float | None


class TwoProportion(NamedTuple):
    """Pooled z test of p1 − p2 with the unpooled Wald interval of ``diff`` = p1 − p2."""

    z: float | None
    p: float | None
    diff: float
    low: float
    high: float


# --------------------------------------------------------------------------- validation


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, int | float) and 0.0 < confidence < 1.0):
        raise ValueError("confidence_out_of_range")
    return float(confidence)


def _check_probability(p: float) -> float:
    if not isinstance(p, int | float) or math.isnan(p):
        raise ValueError("not_finite")
    if not 0.0 <= p <= 1.0:
        raise ValueError("probability_out_of_range")
    return float(p)


def _check_df(df: float) -> float:
    if not isinstance(df, int | float) or math.isnan(df):
        raise ValueError("not_finite")
    if df <= 0:
        raise ValueError("df_not_positive")
    return float(df)


def _check_number(x: float) -> float:
    if not isinstance(x, int | float) or math.isnan(x):
        raise ValueError("not_finite")
    return float(x)


def _as_values(values: Iterable[float], *, allow_empty: bool = False) -> np.ndarray:
    if not isinstance(values, np.ndarray):
        values = list(values)
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("not_finite") from None
    if array.ndim != 1:
        raise ValueError("ragged")
    if not allow_empty and array.size == 0:
        raise ValueError("empty")
    if not np.isfinite(array).all():
        raise ValueError("not_finite")
    return array


def _check_count(count: int, total: int) -> None:
    for value in (count, total):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError("not_integer")
        if value < 0:
            raise ValueError("negative_count")
    if count > total:
        raise ValueError("count_exceeds_total")


# --------------------------------------------------------------------------- normal


def norm_cdf(x: float) -> float:
    """Standard normal cdf P(Z ≤ x)."""
    x = _check_number(x)
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_sf(x: float) -> float:
    """Standard normal survival P(Z > x), accurate far in the upper tail."""
    x = _check_number(x)
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def norm_ppf(p: float) -> float:
    """Standard normal quantile: the x with P(Z ≤ x) = p (−inf at 0, inf at 1)."""
    p = _check_probability(p)
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    # Solve in the lower tail, where p itself carries full relative precision (1 − p is exact
    # for p ≥ ½).
    if p > 0.5:
        return -_norm_lower_ppf(1.0 - p)
    return _norm_lower_ppf(p)


def _norm_lower_ppf(p: float) -> float:
    a, b, c, d = _ACKLAM_A, _ACKLAM_B, _ACKLAM_C, _ACKLAM_D
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
        )
    if p < 1e-290:  # the density underflows below here; Acklam alone is within 1.2e-9
        return x
    for _ in range(3):
        error = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
        u = error * SQRT_2PI * math.exp(0.5 * x * x)
        step = u / (1.0 + 0.5 * x * u)
        x -= step
        if abs(step) <= 4 * _EPS * abs(x):
            break
    return x


# --------------------------------------------------------------------------- beta and gamma


def _stirling_correction(x: float) -> float:
    inverse = 1.0 / x
    inverse2 = inverse * inverse
    total = 0.0
    power = inverse
    for coefficient in _STIRLING:
        total += coefficient * power
        power *= inverse2
    return total


def _log_beta(a: float, b: float) -> float:
    """log B(a, b), without the cancellation of three large log Γ terms."""
    small, large = (a, b) if a <= b else (b, a)
    total = small + large
    if small >= 10.0:
        return (
            HALF_LOG_2PI
            - 0.5 * math.log(total)
            - (large - 0.5) * math.log1p(small / large)
            + (small - 0.5) * math.log(small / total)
            + _stirling_correction(small)
            + _stirling_correction(large)
            - _stirling_correction(total)
        )
    if large >= 10.0:
        # log Γ(large) − log Γ(large + small) by Stirling, differences kept small by log1p.
        difference = (
            -(large - 0.5) * math.log1p(small / large)
            - small * math.log(total)
            + small
            + _stirling_correction(large)
            - _stirling_correction(total)
        )
        return math.lgamma(small) + difference
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(total)


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz); fast for x < (a+1)/(a+b+2)."""
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, _MAX_CF_ITERATIONS + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) <= _EPS:
            return h
    raise ArithmeticError("beta_continued_fraction_did_not_converge")


def _ibeta_pair(a: float, b: float, x: float, y: float, log_x: float, log_y: float):
    """(I_x(a, b), 1 − I_x(a, b)) with y = 1 − x given separately (and both logs) so that
    neither side loses digits to cancellation. Each value of the pair is computed directly
    when it is the smaller one."""
    if x <= 0.0:
        return 0.0, 1.0
    if y <= 0.0:
        return 1.0, 0.0
    log_front = a * log_x + b * log_y - _log_beta(a, b)
    if x < (a + 1.0) / (a + b + 2.0):
        lower = math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
        return lower, 1.0 - lower
    upper = math.exp(log_front) * _beta_continued_fraction(b, a, y) / b
    return 1.0 - upper, upper


def _erfcx(s: float) -> float:
    """exp(s²)·erfc(s) for s ≥ 0, without overflow for large s."""
    if s < 26.0:
        return math.exp(s * s) * math.erfc(s)
    # asymptotic series: 1/(s√π) Σ (−1)ⁿ (2n − 1)!! / (2s²)ⁿ; terms fall below 1e-17 by n = 6
    inverse = 1.0 / (2.0 * s * s)
    term = 1.0
    total = 1.0
    for n in range(1, 12):
        term *= -(2 * n - 1) * inverse
        total += term
    return total / (s * math.sqrt(math.pi))


def _ibeta_half_large_a(a: float, log_x: float) -> float:
    """I_x(a, ½) for a ≥ 15 by the asymptotic expansion of Didonato & Morris (1992, §9;
    TOMS 708 ``bgrat`` with b = ½): where the continued fraction converges slowly (x near
    the mean of the beta distribution, large a) and loses digits, this keeps full precision.
    Takes log x, not x: for large a a rounded x alone would cost digits."""
    b = 0.5
    b_minus_1 = -0.5
    nu = a + 0.5 * b_minus_1
    z = -nu * log_x
    root_z = math.sqrt(z)
    # r = z^b e^−z / Γ(b); u = r Γ(a + b) / (Γ(a) nu^b) factored out of the sum.
    log_r = 0.5 * math.log(z) - z - 0.5 * math.log(math.pi)
    log_gamma_ratio = (
        -(a - 0.5) * math.log1p(b / a)
        - b * math.log(a + b)
        + b
        + _stirling_correction(a)
        - _stirling_correction(a + b)
    )  # log Γ(a) − log Γ(a + b)
    log_u = log_r - (log_gamma_ratio + b * math.log(nu))
    # Q(½, z) / r = √π erfcx(√z) / √z (Q(½, z) = erfc(√z)); z > 0 here.
    j = math.sqrt(math.pi) * _erfcx(root_z) / root_z
    v = 0.25 / (nu * nu)
    t2 = 0.25 * log_x * log_x
    total = j
    power = 1.0
    cn = 1.0
    n2 = 0.0
    c: list[float] = []
    d: list[float] = []
    for n in range(1, 31):
        bp2n = b + n2
        j = (bp2n * (bp2n + 1.0) * j + (z + bp2n + 1.0) * power) * v
        n2 += 2.0
        power *= t2
        cn /= n2 * (n2 + 1.0)
        c.append(cn)
        s = 0.0
        coefficient = b - n
        for i in range(1, n):
            s += coefficient * c[i - 1] * d[n - 1 - i]
            coefficient += b
        d.append(b_minus_1 * cn + s / n)
        term = d[-1] * j
        total += term
        if abs(term) <= _EPS * total:
            break
    return math.exp(log_u) * total


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1]."""
    if _check_number(a) <= 0 or _check_number(b) <= 0:
        raise ValueError("df_not_positive")
    x = _check_probability(x)
    y = 1.0 - x
    if x in (0.0, 1.0):
        return x
    return _ibeta_pair(a, b, x, y, math.log(x), math.log1p(-x))[0]


# --------------------------------------------------------------------------- Student t


def _t_tail(t: float, df: float) -> float:
    """P(T > t) for t ≥ 0: ½ I_{df/(df+t²)}(df/2, ½), logs taken from t so no digit is lost."""
    if t == 0.0:
        return 0.5
    if math.isinf(t):
        return 0.0
    if math.isinf(df):
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    ratio = t * t / df
    if math.isinf(ratio):  # t² overflows: the tail is c·t^−df
        log_tail = (
            0.5 * df * math.log(df)
            - df * math.log(t)
            - _log_beta(0.5 * df, 0.5)
            - math.log(0.5 * df)
        )
        return 0.5 * math.exp(log_tail)
    log1p_ratio = math.log1p(ratio)
    if df >= 30.0 and log1p_ratio <= 1.0:
        return 0.5 * _ibeta_half_large_a(0.5 * df, -log1p_ratio)
    x = 1.0 / (1.0 + ratio)  # df / (df + t²)
    y = ratio / (1.0 + ratio)  # t² / (df + t²)
    log_x = -log1p_ratio
    log_y = math.log(ratio) - log1p_ratio
    return 0.5 * _ibeta_pair(0.5 * df, 0.5, x, y, log_x, log_y)[0]


def t_cdf(t: float, df: float) -> float:
    """Student t cdf P(T ≤ t) for any df > 0 (df = inf is the normal)."""
    t = _check_number(t)
    df = _check_df(df)
    tail = _t_tail(abs(t), df)
    return tail if t < 0 else 1.0 - tail


def t_sf(t: float, df: float) -> float:
    """Student t survival P(T > t), accurate in the upper tail."""
    t = _check_number(t)
    df = _check_df(df)
    tail = _t_tail(abs(t), df)
    return 1.0 - tail if t < 0 else tail


def t_pdf(t: float, df: float) -> float:
    """Student t density."""
    t = _check_number(t)
    df = _check_df(df)
    return math.exp(_t_log_pdf(abs(t), df))


def _t_log_pdf(t: float, df: float) -> float:
    if math.isinf(df):
        return -0.5 * t * t - HALF_LOG_2PI
    return (
        -_log_beta(0.5 * df, 0.5) - 0.5 * math.log(df) - 0.5 * (df + 1.0) * math.log1p(t * t / df)
    )


@lru_cache(maxsize=4096)
def t_ppf(p: float, df: float) -> float:
    """Student t quantile: the t with P(T ≤ t) = p, for any df > 0."""
    p = _check_probability(p)
    df = _check_df(df)
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    tail = p if p < 0.5 else 1.0 - p  # exact for p ≥ ½
    t = _t_upper_quantile(tail, df)
    return -t if p < 0.5 else t


def _t_upper_quantile(tail: float, df: float) -> float:
    """The t ≥ 0 with P(T > t) = tail (0 < tail < ½)."""
    if math.isinf(df):
        return -_norm_lower_ppf(tail)
    if df == 1.0:
        return 1.0 / math.tan(math.pi * tail)
    if df == 2.0:
        return (1.0 - 2.0 * tail) / math.sqrt(2.0 * tail * (1.0 - tail))
    t = _t_quantile_guess(tail, df)
    low, high = 0.0, math.inf
    for _ in range(200):
        tail_at_t = _t_tail(t, df)
        excess = tail_at_t - tail
        if excess == 0.0:
            return t
        if excess > 0.0:
            low = t  # tail too heavy: t must grow
        else:
            high = t
        # Newton on log P(T > t) against log t: nearly linear in both the body and the
        # power-law tail, so it converges from far guesses.
        candidate = math.nan
        if tail_at_t > 0.0:
            log_tail = math.log(tail_at_t)
            slope = -math.exp(_t_log_pdf(t, df) + math.log(t) - log_tail)
            if slope < 0.0:
                log_step = -(log_tail - math.log(tail)) / slope
                candidate = t * math.exp(max(-30.0, min(30.0, log_step)))
                if abs(candidate - t) <= 4 * _EPS * t:
                    return candidate
        if math.isnan(candidate) or not low < candidate < high:
            if math.isinf(high):
                candidate = 2.0 * t if t > 0 else 1.0
            elif low == 0.0:
                candidate = 0.5 * high
            else:
                candidate = math.sqrt(low * high)
        if high < math.inf and high - low <= 2 * _EPS * high:
            return candidate
        t = candidate
    return t


def _t_quantile_guess(tail: float, df: float) -> float:
    z = -_norm_lower_ppf(tail)
    # Cornish–Fisher to the second order: good for moderate df and tails.
    z2 = z * z
    guess = z + (z2 + 1.0) * z / (4.0 * df) + ((5.0 * z2 + 16.0) * z2 + 3.0) * z / (96.0 * df * df)
    # For small df and far tails the power law P(T > t) ≈ c·t^−df is closer.
    log_c = 0.5 * df * math.log(df) - _log_beta(0.5 * df, 0.5) - math.log(df)
    power_guess = math.exp((log_c - math.log(tail)) / df)
    return max(guess, power_guess) if df < 5 else guess


# --------------------------------------------------------------------------- binomial


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p); exact rational arithmetic when p = ½."""
    if isinstance(k, bool) or isinstance(n, bool):
        raise ValueError("not_integer")
    if not isinstance(k, int | np.integer) or not isinstance(n, int | np.integer):
        raise ValueError("not_integer")
    if n < 0:
        raise ValueError("negative_count")
    p = _check_probability(p)
    k, n = int(k), int(n)
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p == 0.0:
        return 1.0
    if p == 1.0:
        return 0.0
    if p == 0.5 and n <= 20_000:
        term = 1
        total = 1
        for i in range(k):
            term = term * (n - i) // (i + 1)
            total += term
        return total / (1 << n)  # int / int rounds correctly
    # P(X ≤ k) = I_{1−p}(n − k, k + 1)
    return _ibeta_pair(n - k, k + 1.0, 1.0 - p, p, math.log1p(-p), math.log(p))[0]


# --------------------------------------------------------------------------- intervals and tests


def _mean_and_variance(values: np.ndarray) -> tuple[float, float | None]:
    n = values.size
    mean = math.fsum(values) / n
    if n < 2:
        return mean, None
    deviations = values - mean
    # second pass corrects the rounding of the mean (as in numerically careful var)
    correction = math.fsum(deviations)
    variance = (math.fsum(deviations * deviations) - correction * correction / n) / (n - 1)
    return mean, max(variance, 0.0)


def mean_interval(values: Iterable[float], confidence: float = 0.95) -> MeanInterval:
    """Mean and its two-sided t interval; sd/low/high None for one value, low = high when sd 0."""
    confidence = _check_confidence(confidence)
    array = _as_values(values)
    mean, variance = _mean_and_variance(array)
    n = int(array.size)
    if variance is None:
        return MeanInterval(n, mean, None, None, None)
    sd = math.sqrt(variance)
    half = t_ppf(0.5 + 0.5 * confidence, n - 1) * sd / math.sqrt(n)
    return MeanInterval(n, mean, sd, mean - half, mean + half)


def mean_interval_from_summary(
    n: int, mean: float, sd: float | None, confidence: float = 0.95
) -> MeanInterval:
    """The t interval of a mean known by n, mean and sd (sd None when n < 2)."""
    confidence = _check_confidence(confidence)
    if n < 2 or sd is None:
        return MeanInterval(int(n), float(mean), None, None, None)
    half = t_ppf(0.5 + 0.5 * confidence, float(n - 1)) * sd / math.sqrt(n)
    return MeanInterval(int(n), float(mean), float(sd), mean - half, mean + half)


def welch_t(a: Iterable[float], b: Iterable[float]) -> TTest:
    """Welch's t test of mean(a) − mean(b): t, Welch–Satterthwaite df, two-sided p.

    All None when a group has fewer than two values or both have zero variance."""
    first = _as_values(a)
    second = _as_values(b)
    mean_a, var_a = _mean_and_variance(first)
    mean_b, var_b = _mean_and_variance(second)
    return welch_t_from_summary(mean_a, var_a, first.size, mean_b, var_b, second.size)


def welch_t_from_summary(
    mean_a: float,
    var_a: float | None,
    n_a: int,
    mean_b: float,
    var_b: float | None,
    n_b: int,
) -> TTest:
    """Welch's t test from two groups' means, sample variances (ddof 1) and sizes."""
    if n_a < 2 or n_b < 2 or var_a is None or var_b is None:
        return TTest(None, None, None)
    share_a = var_a / n_a
    share_b = var_b / n_b
    standard_error2 = share_a + share_b
    if standard_error2 <= 0.0:
        return TTest(None, None, None)
    t = (mean_a - mean_b) / math.sqrt(standard_error2)
    df = (
        standard_error2
        * standard_error2
        / (share_a * share_a / (n_a - 1) + share_b * share_b / (n_b - 1))
    )
    return TTest(t, df, min(1.0, 2.0 * _t_tail(abs(t), df)))


def paired_t(before: Iterable[float], after: Iterable[float] | None = None) -> TTest:
    """Paired t test of after − before, or of the differences when ``after`` is omitted.

    All None with fewer than two pairs or when every difference is the same."""
    first = _as_values(before)
    if after is None:
        differences = first
    else:
        second = _as_values(after)
        if second.size != first.size:
            raise ValueError("length_mismatch")
        differences = second - first
    n = differences.size
    mean, variance = _mean_and_variance(differences)
    if variance is None or variance <= 0.0:
        return TTest(None, None, None)
    t = mean / math.sqrt(variance / n)
    df = float(n - 1)
    return TTest(t, df, min(1.0, 2.0 * _t_tail(abs(t), df)))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> TwoProportion:
    """Pooled two-proportion z test of x1/n1 − x2/n2 and the unpooled Wald interval of that
    difference; z and p None when the pooled share is 0 or 1."""
    _check_count(x1, n1)
    _check_count(x2, n2)
    confidence = _check_confidence(confidence)
    if n1 == 0 or n2 == 0:
        raise ValueError("empty")
    p1 = x1 / n1
    p2 = x2 / n2
    diff = p1 - p2
    pooled = (x1 + x2) / (n1 + n2)
    pooled_variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    z = p = None
    if pooled_variance > 0.0:
        z = diff / math.sqrt(pooled_variance)
        p = min(1.0, 2.0 * norm_sf(abs(z)))
    critical = -_norm_lower_ppf(0.5 - 0.5 * confidence)
    half = critical * math.sqrt(p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2)
    return TwoProportion(z, p, diff, diff - half, diff + half)


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar test from the two discordant counts: min(1, 2·P(X ≤ min(b, c))),
    X ~ Binomial(b + c, ½); 1.0 when there are no discordant pairs."""
    for count in (b, c):
        _check_count(count, count)
    return min(1.0, 2.0 * binom_cdf(min(int(b), int(c)), int(b) + int(c), 0.5))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p values in input order (monotone, capped at 1)."""
    values = [_check_probability(p) for p in pvalues]
    m = len(values)
    order = sorted(range(m), key=values.__getitem__)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, values[index] * (m - rank))
        adjusted[index] = min(1.0, running)
    return adjusted


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share successes / n (fractions)."""
    _check_count(successes, n)
    confidence = _check_confidence(confidence)
    if n == 0:
        raise ValueError("empty")
    share = successes / n
    critical = -_norm_lower_ppf(0.5 - 0.5 * confidence)
    critical2 = critical * critical
    denominator = 1.0 + critical2 / n
    centre = (share + critical2 / (2.0 * n)) / denominator
    half = critical * math.sqrt(share * (1.0 - share) / n + critical2 / (4.0 * n * n))
    half /= denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def cronbach_alpha(matrix: Sequence[Sequence[float]] | np.ndarray) -> float | None:
    """Cronbach's alpha of a respondents × items matrix (no missing values).

    (k / (k − 1)) · (1 − Σ item variances / variance of the totals), sample variances (ddof 1).
    None when undefined: fewer than 2 items or 2 respondents, or zero variance of the totals."""
    try:
        array = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("ragged") from None
    if array.ndim != 2:
        raise ValueError("empty" if array.size == 0 else "ragged")
    if array.size == 0:
        raise ValueError("empty")
    if not np.isfinite(array).all():
        raise ValueError("not_finite")
    respondents, items = array.shape
    if items < 2 or respondents < 2:
        return None
    item_variance_sum = float(array.var(axis=0, ddof=1).sum())
    total_variance = float(array.sum(axis=1).var(ddof=1))
    if total_variance <= 0.0:
        return None
    return items / (items - 1) * (1.0 - item_variance_sum / total_variance)


def sample_size_for_margin(
    margin: float = 0.05,
    confidence: float = 0.95,
    population: int | None = None,
    p: float = 0.5,
) -> int:
    """Respondents needed for a share's margin of error (a fraction, 0.05 = ±5 points):
    n0 = z² p (1 − p) / margin², with the finite population correction n0 / (1 + (n0 − 1)/N)
    when the population N is given, rounded up."""
    confidence = _check_confidence(confidence)
    if not isinstance(margin, int | float) or not 0.0 < margin < 1.0:
        raise ValueError("margin_out_of_range")
    if not isinstance(p, int | float) or not 0.0 < p < 1.0:
        raise ValueError("probability_out_of_range")
    critical = -_norm_lower_ppf(0.5 - 0.5 * confidence)
    needed = critical * critical * p * (1.0 - p) / (margin * margin)
    if population is not None:
        if isinstance(population, bool) or not isinstance(population, int | np.integer):
            raise ValueError("not_integer")
        if population <= 0:
            raise ValueError("population_not_positive")
        needed = needed / (1.0 + (needed - 1.0) / population)
    # a hair below an integer is that integer (float noise), never one more respondent
    return max(1, math.ceil(needed - 1e-9))
