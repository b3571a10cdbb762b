"""Rerunning the seed: deterministic, --if-empty leaves data alone, --reset replaces it."""

import pytest
from django.core.management import CommandError

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from commerce.models import Order
from customers.models import Shop
from customers.tests.factories import ShopFactory
from demo.tests.helpers import seed

pytestmark = pytest.mark.django_db

SHOP_COLUMNS = (
    "licence_no", "name", "owner_name", "phone", "address", "latitude", "longitude",
    "grid__code", "grid__name", "business_type", "market_type", "grade", "star", "segment",
    "account_manager__username", "owner_account__username", "contact_channels", "status",
    "opened_on", "closed_on", "created_at", "updated_at",
)  # fmt: skip
ORDER_COLUMNS = ("number", "shop__licence_no", "ordered_on", "total_quantity", "total_amount")


def _shops() -> list[tuple]:
    return list(Shop.objects.order_by("licence_no").values_list(*SHOP_COLUMNS))


def _orders() -> list[tuple]:
    return list(Order.objects.order_by("number").values_list(*ORDER_COLUMNS))


def test_the_same_options_give_identical_shops_and_orders():
    seed(shops=80, staff=6, weeks=2)
    first = _shops(), _orders(), User.objects.get(username="am01").password
    seed("--reset", shops=80, staff=6, weeks=2)
    assert (_shops(), _orders(), User.objects.get(username="am01").password) == first


def test_another_seed_gives_another_city():
    seed(shops=80, staff=6, weeks=0)
    first = _shops()
    seed("--reset", shops=80, staff=6, weeks=0, seed=7)
    assert _shops() != first


def test_if_empty_leaves_a_database_with_shops_unchanged():
    shop = ShopFactory()
    out = seed("--if-empty", shops=20, staff=5, weeks=1)
    assert list(Shop.objects.values_list("pk", flat=True)) == [shop.pk]
    assert not Order.objects.exists()
    assert "not seeded" in out


def test_if_empty_seeds_an_empty_database():
    seed("--if-empty", shops=20, staff=5, weeks=0)
    assert Shop.objects.count() == 20


def test_seeding_over_existing_shops_without_reset_is_refused():
    ShopFactory()
    with pytest.raises(CommandError):
        seed(shops=20, staff=5, weeks=0)
    assert Shop.objects.count() == 1


def test_reset_replaces_the_demo_but_keeps_a_superuser_made_by_hand():
    owner = UserFactory(username="root", role=Role.ADMIN, is_superuser=True, is_staff=True)
    seed(shops=30, staff=5, weeks=1)
    seed("--reset", shops=20, staff=5, weeks=0)
    assert Shop.objects.count() == 20
    assert not Order.objects.exists()
    assert User.objects.filter(pk=owner.pk).exists()
    assert User.objects.filter(role=Role.SHOP_OWNER).count() == 20


def test_a_taken_staff_user_name_stops_the_seed_before_anything_is_written():
    UserFactory(username="am01", role=Role.ACCOUNT_MANAGER)
    with pytest.raises(CommandError):
        seed(shops=20, staff=5, weeks=0)
    assert not Shop.objects.exists()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("options", "args"),
    [
        ({"shops": 0}, ()),
        ({"staff": 3}, ()),
        ({"weeks": -1}, ()),
        ({}, ("--reset", "--if-empty")),
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(options, args):
    with pytest.raises(CommandError):
        seed(*args, **options)
    assert not Shop.objects.exists()
