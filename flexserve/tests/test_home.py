"""Where each role lands after logging in (``/``)."""

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.ACCOUNT_MANAGER, "console:field_day"),
        (Role.SERVICE_STAFF, "console:field_day"),
        (Role.DISPATCHER, "console:shop_list"),
        (Role.SERVICE_MANAGER, "console:shop_list"),
        (Role.ADMIN, "console:shop_list"),
    ],
)
def test_staff_land_where_their_day_starts(db, client_for, role, landing):
    user = UserFactory(username=f"u-{role}", role=role)
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)


def test_shop_owners_land_in_the_portal(client_for, shop_owner):
    response = client_for(shop_owner).get(reverse("home"))
    assert response["Location"] == reverse("portal:home")
