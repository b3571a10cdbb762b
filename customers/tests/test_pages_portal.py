"""The portal home: a shop owner sees their shop, plan and account manager.

The recent orders are commerce's panel: commerce/tests/test_shop_panels.py.
"""

from accounts.models import Role
from accounts.tests.factories import UserFactory

URL = "/portal/"


def test_shop_owner_sees_their_shop_class_and_plan(client_for, shop_owner, shop):
    shop.grade, shop.star, shop.segment = 26, 5, "core"
    shop.save()
    response = client_for(shop_owner).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert shop.name in html and shop.licence_no in html and shop.address in html
    assert "★★★★★" in html
    assert 'class="badge core"' in html
    assert "<dd>4</dd>" in html  # the core plan: four visits a month
    assert "例行拜访" in html  # a service item of the plan
    assert "15 min" in html and "4 h" in html  # ordering: first response / resolution


def test_shop_owner_sees_their_account_manager_with_the_full_phone(client_for, shop_owner, shop):
    manager = UserFactory(
        username="wang", full_name="王经理", phone="13912345678", role=Role.ACCOUNT_MANAGER
    )
    shop.account_manager = manager
    shop.save()
    html = client_for(shop_owner).get(URL).content.decode()
    assert "王经理" in html and 'href="tel:13912345678"' in html


def test_a_log_in_without_a_shop_gets_an_explanation(client_for, db):
    owner = UserFactory(username="340102999999", role=Role.SHOP_OWNER)
    response = client_for(owner).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "not linked to a shop" in response.content.decode()


def test_staff_may_not_open_the_portal(client_for, account_manager, service_manager):
    for user in (account_manager, service_manager):
        response = client_for(user).get(URL)
        assert response.status_code == 403
        assert 'data-error-code="forbidden"' in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
