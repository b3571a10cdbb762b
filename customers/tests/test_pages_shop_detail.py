"""The console shop page: master data, class history, and the edit form for managers.

The other apps' panels on it are tested in their apps (commerce, dispatch, servicedesk
test_shop_panels.py); the registry in flexserve/tests/test_panels.py.
"""

from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.models import SegmentChange, SegmentRuleSet, Shop


def _url(shop) -> str:
    return f"/console/shops/{shop.pk}/"


def test_staff_see_master_data_with_the_full_phone(client_for, account_manager, shop):
    response = client_for(account_manager).get(_url(shop), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert shop.name in html and shop.licence_no in html and shop.grid.name in html
    assert f'href="tel:{shop.phone}"' in html
    assert "Visits per month" in html  # the class's service plan


def test_the_class_history_lists_each_move_with_its_rule_version(client_for, account_manager, shop):
    rule_set = SegmentRuleSet.objects.get(status="active")
    SegmentChange.objects.create(
        shop=shop,
        from_segment="ordinary",
        to_segment="potential",
        rule_set=rule_set,
        changed_at=timezone.now(),
    )
    html = client_for(account_manager).get(_url(shop), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="badge ordinary">Ordinary</span> → <span class="badge potential">' in html
    assert f"v{rule_set.version}" in html


def test_shops_outside_the_territory_answer_not_found(client_for, account_manager, other_shop):
    response = client_for(account_manager).get(_url(other_shop))
    assert response.status_code == 404


def test_shop_owners_may_not_open_the_console_page_of_their_shop(client_for, shop_owner, shop):
    assert client_for(shop_owner).get(_url(shop)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, shop):
    response = client.get(_url(shop))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_only_roles_that_may_edit_get_the_edit_form(
    client_for, account_manager, service_manager, shop
):
    assert "/edit/" not in client_for(account_manager).get(_url(shop)).content.decode()
    assert f"/console/shops/{shop.pk}/edit/" in (
        client_for(service_manager).get(_url(shop)).content.decode()
    )


def _form(shop, **changes):
    data = {
        "grade": shop.grade,
        "star": shop.star,
        "phone": shop.phone,
        "address": shop.address,
        "business_type": shop.business_type,
        "contact_channels": list(shop.contact_channels),
        "account_manager_id": "",
    }
    return data | changes


def test_saving_a_new_grade_and_star_reclassifies_the_shop(client_for, service_manager, shop):
    manager = UserFactory(username="li", role=Role.ACCOUNT_MANAGER)
    response = client_for(service_manager).post(
        f"{_url(shop)}edit/",
        _form(shop, grade=26, star=5, account_manager_id=manager.pk, contact_channels=["sms"]),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    shop.refresh_from_db()
    assert response.status_code == 200
    assert (shop.grade, shop.star, shop.segment) == (26, 5, "core")
    assert shop.account_manager == manager and shop.contact_channels == ["sms"]
    assert 'data-shop-class="core"' in html and "class is now Core." in html
    assert "<html" not in html  # the partial only
    assert SegmentChange.objects.filter(shop=shop, to_segment="core").exists()


def test_a_bad_phone_shows_the_message_and_changes_nothing(client_for, service_manager, shop):
    before = Shop.objects.values().get(pk=shop.pk)
    response = client_for(service_manager).post(
        f"{_url(shop)}edit/",
        _form(shop, phone="12345", grade=26, star=5),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a mobile number (11 digits) or a landline such as 0551-12345678." in html
    assert 'class="field-error"' in html and 'value="12345"' in html
    assert Shop.objects.values().get(pk=shop.pk) == before
    assert not SegmentChange.objects.filter(shop=shop).exists()


def test_an_out_of_range_grade_is_refused_by_the_service(client_for, service_manager, shop):
    response = client_for(service_manager).post(
        f"{_url(shop)}edit/", _form(shop, grade=31), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 30." in html
    assert "<html" in html  # without htmx the whole page comes back
    shop.refresh_from_db()
    assert shop.grade == 10


def test_roles_without_edit_permission_cannot_save(client_for, account_manager, shop):
    response = client_for(account_manager).post(f"{_url(shop)}edit/", _form(shop, grade=26))
    assert response.status_code == 403
    shop.refresh_from_db()
    assert shop.grade == 10


def test_saving_keeps_an_account_manager_who_has_left(client_for, service_manager, shop):
    former = UserFactory(username="former", role=Role.ACCOUNT_MANAGER, is_active=False)
    shop.account_manager = former
    shop.save()
    page = client_for(service_manager).get(_url(shop)).content.decode()
    assert f'<option value="{former.pk}" selected>' in page
    client_for(service_manager).post(
        f"{_url(shop)}edit/", _form(shop, grade=12, account_manager_id=former.pk)
    )
    shop.refresh_from_db()
    assert (shop.grade, shop.account_manager) == (12, former)
