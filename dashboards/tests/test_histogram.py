"""The log-scale histogram and the percentiles read back from it (pure arithmetic, no database)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards import histogram
from dashboards.histogram import BUCKETS, MAX_RELATIVE_ERROR, bucket_bounds, bucket_of, percentile


def nearest_rank(values: list[float], fraction: float) -> float:
    """The reference percentile: the ⌈fraction·n⌉-th smallest value."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def test_the_buckets_run_from_zero_through_quarter_octaves_to_an_open_last_one():
    assert BUCKETS == 66
    assert bucket_bounds(0) == (0.0, 1.0)
    assert bucket_bounds(1) == (1.0, 2**0.25)
    assert bucket_bounds(5) == (2.0, 2**1.25)
    assert bucket_bounds(BUCKETS - 1) == (2.0**16, None)
    assert pytest.approx(0.1892, abs=1e-4) == MAX_RELATIVE_ERROR


@pytest.mark.parametrize(
    ("minutes", "bucket"),
    [(-3, 0), (0, 0), (0.99, 0), (1, 1), (2, 5), (3, 7), (60, 24), (2.0**16, 65), (10**9, 65)],
)
def test_a_duration_lands_in_the_bucket_whose_range_holds_it(minutes, bucket):
    assert bucket_of(minutes) == bucket
    lower, upper = bucket_bounds(bucket)
    assert minutes >= lower or bucket == 0
    assert upper is None or minutes < upper


@given(st.floats(min_value=0, max_value=2.0**17, allow_nan=False))
def test_every_duration_lies_within_its_buckets_edges(minutes):
    lower, upper = bucket_bounds(bucket_of(minutes))
    assert lower <= minutes
    assert upper is None or minutes < upper


def test_the_median_is_interpolated_inside_its_bucket():
    # Four values in the bucket [60·2^(…)…]: 60 min is bucket 24 = [2^5.75, 2^6) = [53.8, 64).
    counts = [0] * BUCKETS
    counts[24] = 4
    lower, upper = bucket_bounds(24)
    # Rank 2 of 4 is half-way through the bucket's counts: half-way between its edges.
    assert percentile(counts, 0.5) == pytest.approx(lower + (upper - lower) * 0.5)
    # Rank 3.6 of 4: 90 % of the way.
    assert percentile(counts, 0.9) == pytest.approx(lower + (upper - lower) * 0.9)


def test_the_percentile_rank_walks_the_cumulative_counts():
    counts = histogram.histogram([5, 5, 5, 5, 5, 5, 5, 5, 5, 600])
    # Nine of ten values are 5 min: the median and even p90 stay in 5's bucket.
    lower, upper = bucket_bounds(bucket_of(5))
    assert lower <= percentile(counts, 0.5) <= upper
    assert lower <= percentile(counts, 0.9) <= upper
    # The top value alone is the 100th percentile, in 600's bucket.
    lower, upper = bucket_bounds(bucket_of(600))
    assert lower <= percentile(counts, 1.0) <= upper


def test_an_empty_histogram_has_no_percentile_and_the_open_bucket_gives_its_floor():
    assert percentile([0] * BUCKETS, 0.5) is None
    counts = [0] * BUCKETS
    counts[-1] = 3
    assert percentile(counts, 0.9) == 2.0**16


def test_histograms_add_up_bucket_by_bucket():
    first, second = histogram.histogram([1, 30, 30]), histogram.histogram([30, 2000])
    assert histogram.merge(first, second) == histogram.histogram([1, 30, 30, 30, 2000])
    with pytest.raises(ValueError):
        histogram.merge([1, 2, 3])


@given(
    values=st.lists(st.floats(min_value=1, max_value=2.0**16 - 1), min_size=1, max_size=200),
    fraction=st.sampled_from([0.5, 0.9, 0.25, 0.99]),
)
def test_a_percentile_read_from_buckets_is_within_the_documented_relative_error(values, fraction):
    estimate = percentile(histogram.histogram(values), fraction)
    true = nearest_rank(values, fraction)
    assert abs(estimate - true) <= MAX_RELATIVE_ERROR * true * (1 + 1e-9)


@given(
    values=st.lists(st.floats(min_value=0, max_value=0.999), min_size=1, max_size=50),
    fraction=st.sampled_from([0.5, 0.9]),
)
def test_under_a_minute_the_error_is_under_a_minute(values, fraction):
    estimate = percentile(histogram.histogram(values), fraction)
    assert abs(estimate - nearest_rank(values, fraction)) <= 1


def test_typical_error_on_a_skewed_sample_is_far_below_the_bound():
    # Resolution times spread over minutes to days, log-uniformly (a deterministic sample).
    values = [2 ** (i / 97) for i in range(1, 1500)]
    for fraction in (0.5, 0.9):
        estimate = percentile(histogram.histogram(values), fraction)
        true = nearest_rank(values, fraction)
        assert abs(estimate - true) / true < 0.02
