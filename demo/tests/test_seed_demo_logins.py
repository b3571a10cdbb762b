"""Every demo account logs in with the shared demo password; the log-in table names them."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from accounts.models import Role, User
from customers.models import Shop
from demo.city import DEMO_PASSWORD, demo_logins
from demo.tests.helpers import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city():
    return seed(shops=60, staff=6, weeks=3)


def _log_in(username: str) -> User | None:
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=DEMO_PASSWORD)


def test_every_shop_has_an_owner_log_in_named_by_its_licence_number(small_city):
    rows = Shop.objects.values_list("licence_no", "owner_account__username", "owner_account__role")
    assert all(user == licence and role == Role.SHOP_OWNER for licence, user, role in rows)


def test_every_demo_account_shares_one_password_hash(small_city):
    assert User.objects.values("password").distinct().count() == 1


def test_shop_owners_authenticate_with_the_demo_password(small_city):
    for shop in Shop.objects.select_related("owner_account").order_by("pk")[:3]:
        assert _log_in(shop.licence_no) == shop.owner_account


def test_the_wrong_password_is_refused(small_city):
    licence = Shop.objects.values_list("licence_no", flat=True).first()
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=licence, password="wrong-password") is None


def test_demo_logins_name_one_account_per_role_and_two_shop_owners(small_city):
    logins = demo_logins()
    assert [login.role for login in logins] == [
        Role.ADMIN,
        Role.SERVICE_MANAGER,
        Role.DISPATCHER,
        Role.ACCOUNT_MANAGER,
        Role.SERVICE_STAFF,
        Role.SHOP_OWNER,
        Role.SHOP_OWNER,
    ]
    for login in logins:
        assert _log_in(login.username) is not None, login.username


def test_the_showcased_shop_owners_are_the_first_core_and_ordinary_shops(small_city):
    owners = [login.username for login in demo_logins() if login.role == Role.SHOP_OWNER]
    active = Shop.objects.filter(status="active").order_by("licence_no")
    first_core = active.filter(segment="core").values_list("licence_no", flat=True).first()
    first_ordinary = active.filter(segment="ordinary").values_list("licence_no", flat=True)[0]
    assert owners == [first_core, first_ordinary] if first_core else owners == [first_ordinary]


def test_the_admin_can_use_the_django_admin(small_city):
    admin = User.objects.get(username="admin")
    assert (admin.role, admin.is_staff, admin.is_superuser) == (Role.ADMIN, True, True)


def test_the_command_prints_the_log_ins_and_the_classes(small_city):
    assert DEMO_PASSWORD in small_city
    assert "manager" in small_city and "am01" in small_city
    for segment in ("core", "key", "potential", "ordinary"):
        assert segment in small_city
