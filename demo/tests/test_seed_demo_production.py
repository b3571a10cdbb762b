"""Security finding 8: seed_demo in production mode would create the superuser ``admin`` with the
public demo password, so it is refused there unless ``--allow-production`` says so."""

import pytest
from django.core.management import CommandError

from accounts.models import User
from customers.models import Shop
from customers.tests.factories import ShopFactory
from demo.tests.helpers import seed

pytestmark = pytest.mark.django_db

SMALL = {"shops": 20, "staff": 5, "weeks": 0, "request_weeks": 0, "chat_weeks": 0}


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True


def test_seeding_in_production_mode_is_refused_and_writes_nothing(production):
    with pytest.raises(CommandError, match="production"):
        seed(**SMALL)
    assert not Shop.objects.exists()
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.parametrize("args", [("--reset",), ("--if-empty",)])
def test_reset_and_if_empty_are_refused_in_production_mode(production, args):
    shop = ShopFactory()
    with pytest.raises(CommandError, match="--allow-production"):
        seed(*args, **SMALL)
    assert list(Shop.objects.values_list("pk", flat=True)) == [shop.pk]


def test_allow_production_seeds_anyway(production):
    seed("--allow-production", **SMALL, visit_weeks=0)
    assert Shop.objects.count() == 20
    assert User.objects.get(username="admin").is_superuser


def test_the_embedded_mode_seeds_without_the_flag():
    seed(**SMALL, visit_weeks=0)
    assert Shop.objects.count() == 20
