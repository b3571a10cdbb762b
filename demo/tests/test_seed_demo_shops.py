"""A small demo city: valid, unique shop master data in the territory of its account managers."""

import pytest

from customers.models import Grid, SegmentChange, Shop, validate_licence_no
from demo.tests.helpers import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city():
    seed(shops=60, staff=6, weeks=3)


def test_the_city_has_the_number_of_shops_asked_for(small_city):
    assert Shop.objects.count() == 60


def test_every_licence_number_is_valid_and_unique(small_city):
    licences = list(Shop.objects.values_list("licence_no", flat=True))
    for licence in licences:
        validate_licence_no(licence)  # raises ValidationError when malformed
    assert len(set(licences)) == len(licences)


def test_licence_numbers_start_with_the_division_code_of_the_shops_district(small_city):
    rows = Shop.objects.values_list("licence_no", "grid__district__code")
    assert all(licence[:6] == district for licence, district in rows)


def test_every_shop_passes_model_validation(small_city):
    for shop in Shop.objects.all():
        shop.full_clean()


def test_phone_numbers_are_mainland_mobiles_and_unique(small_city):
    phones = list(Shop.objects.values_list("phone", flat=True))
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" for p in phones)
    assert len(set(phones)) == len(phones)


def test_each_shop_is_managed_by_an_account_manager_of_its_grid(small_city):
    for shop in Shop.objects.select_related("account_manager", "grid"):
        assert shop.account_manager.role == "account_manager"
        assert shop.grid.staff.filter(pk=shop.account_manager_id).exists()


def test_every_grid_has_a_responsible_team(small_city):
    assert not Grid.objects.filter(staff__isnull=True).exists()


def test_every_shop_has_its_class_recorded_in_its_history(small_city):
    changes = dict(SegmentChange.objects.values_list("shop_id", "to_segment"))
    assert changes == dict(Shop.objects.values_list("pk", "segment"))
    assert set(SegmentChange.objects.values_list("from_segment", flat=True)) == {""}


def test_closed_shops_have_a_closing_date_and_open_shops_none(small_city):
    assert not Shop.objects.filter(status="closed", closed_on__isnull=True).exists()
    assert not Shop.objects.filter(status="active", closed_on__isnull=False).exists()
