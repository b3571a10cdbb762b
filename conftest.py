"""The cast every test shares: shop owners of two shops, staff of each role, API clients."""

import pytest
from django.test import Client

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import GridFactory, ShopFactory


@pytest.fixture(autouse=True)
def _sync_background_tasks(settings, tmp_path_factory):
    # Tests see the effect of background work before the request returns.
    settings.FLEXSERVE_INPROCESS_TASKS = "sync"
    settings.AXES_ENABLED = False
    settings.QA_DENSE = "off"  # the lexical engine: built in milliseconds, same decisions code
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")  # uploads never land in var/


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    # Per-process caches (catalogue, routing, calendar, rate limits) must not outlive a test.
    from django.core.cache import cache

    from community.services import recommendations, wordlist
    from flexserve.api import api
    from knowledge import index
    from outreach import channels
    from servicedesk import catalogue, clock, routing

    forgets = [catalogue.clear, clock.forget_calendar, routing.forget_load, cache.clear]
    forgets += [index.forget, wordlist.forget, recommendations.forget]
    forgets += [channels.forget, channels.OVERRIDES.clear]  # recording fakes, test adapters
    forgets += [throttle._local.clear for throttle in api.throttle]  # rate-limit counts
    for forget in forgets:
        forget()
    yield
    for forget in forgets:
        forget()


@pytest.fixture
def grid(db):
    return GridFactory()


@pytest.fixture
def shop(grid):
    return ShopFactory(grid=grid)


@pytest.fixture
def other_shop(db):
    return ShopFactory()  # another grid, another district


@pytest.fixture
def shop_owner(shop):
    user = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER)
    shop.owner_account = user
    shop.save(update_fields=["owner_account"])
    return user


@pytest.fixture
def other_shop_owner(other_shop):
    user = UserFactory(username=other_shop.licence_no, role=Role.SHOP_OWNER)
    other_shop.owner_account = user
    other_shop.save(update_fields=["owner_account"])
    return user


@pytest.fixture
def account_manager(grid):
    user = UserFactory(username="am", role=Role.ACCOUNT_MANAGER)
    grid.staff.add(user)
    return user


@pytest.fixture
def dispatcher(db):
    return UserFactory(username="dispatcher", role=Role.DISPATCHER)


@pytest.fixture
def service_manager(db):
    return UserFactory(username="manager", role=Role.SERVICE_MANAGER)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def client_for():
    """A logged-in Django test client for ``user`` (session auth, as the pages and htmx use)."""

    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
