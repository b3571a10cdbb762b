"""Under the default rules the demo city's classes come out in plausible proportions."""

import pytest

from customers.models import Shop
from demo.tests.helpers import seed

pytestmark = pytest.mark.django_db


def test_all_four_classes_appear_in_plausible_shares():
    seed(shops=1500, staff=10, weeks=0)
    shares = {
        segment: Shop.objects.filter(segment=segment).count() / 1500
        for segment in ("core", "key", "potential", "ordinary")
    }
    assert 0.02 <= shares["core"] <= 0.07
    assert 0.09 <= shares["key"] <= 0.19
    assert 0.14 <= shares["potential"] <= 0.27
    assert shares["ordinary"] >= 0.45


def test_urban_districts_have_mostly_urban_shops_and_rural_counties_rural_ones():
    seed(shops=600, staff=6, weeks=0)
    for district_type in ("urban", "rural"):
        shops = Shop.objects.filter(grid__district__market_type=district_type)
        assert shops.filter(market_type=district_type).count() > 0.7 * shops.count()
