"""Travel providers give int64 matrices in metres and seconds."""

import numpy as np
import pytest

from engines.routing import HaversineTravel, MatrixTravel

# Two points one degree of latitude apart: 111.19 km on the great circle.
ONE_DEGREE = ((30.0, 120.0), (31.0, 120.0))


def test_haversine_scales_by_the_detour_and_urban_speed():
    distance, duration = HaversineTravel(detour=1.0, urban_kmh=50).matrices(ONE_DEGREE)
    assert distance.dtype == duration.dtype == np.int64
    assert distance[0, 1] == distance[1, 0] == pytest.approx(111_195, abs=5)
    assert duration[0, 1] == pytest.approx(111.195 / 50 * 3600, abs=1)
    assert distance[0, 0] == duration[1, 1] == 0


def test_a_leg_is_rural_only_when_both_ends_are_rural():
    locations = (*ONE_DEGREE, (32.0, 120.0))
    travel = HaversineTravel(detour=1.3, urban_kmh=25, rural_kmh=40, rural=lambda i: i != 0)
    _, duration = travel.matrices(locations)
    assert duration[1, 2] == pytest.approx(111.195 * 1.3 / 40 * 3600, abs=1)
    assert duration[0, 1] == pytest.approx(111.195 * 1.3 / 25 * 3600, abs=1)


def test_explicit_matrices_must_fit_the_locations():
    m = np.array([[0, 5], [5, 0]])
    assert MatrixTravel(m, m).matrices(ONE_DEGREE)[1][0, 1] == 5
    with pytest.raises(ValueError):
        MatrixTravel(m, m).matrices(((0, 0),))
    with pytest.raises(ValueError):
        MatrixTravel(-m, m)
