"""A browser GET of a URL that only takes a POST goes back to the page before with a message,
instead of the bare 405 page; the API and htmx keep their 405 (issue 13)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="field1", role=Role.ACCOUNT_MANAGER)


def test_a_get_of_a_post_only_page_goes_back_to_the_referer(client_for, staff):
    url = reverse("console:field_check_in", args=[1])
    response = client_for(staff).get(
        url, HTTP_REFERER="http://testserver/console/field/?day=2030-06-03"
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/field/?day=2030-06-03"
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["info"]


def test_a_foreign_or_missing_referer_goes_home(client_for, staff):
    url = reverse("console:field_check_in", args=[1])
    client = client_for(staff)
    foreign = client.get(url, HTTP_REFERER="https://evil.example/phish")
    missing = client.get(url)
    itself = client.get(url, HTTP_REFERER=f"http://testserver{url}")  # a reload: no loop
    home = reverse("home")
    assert [r["Location"] for r in (foreign, missing, itself)] == [home, home, home]


def test_the_message_follows_to_the_page(client_for, staff):
    client = client_for(staff)
    client.get(reverse("console:field_check_in", args=[1]))
    page = client.get(reverse("console:field_day")).content.decode()
    assert "only takes a submitted form" in page or "只接受提交的表单" in page  # en or zh


def test_htmx_and_other_methods_keep_the_405(client_for, staff):
    url = reverse("console:field_check_in", args=[1])
    client = client_for(staff)
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 405
    assert client.put(url).status_code == 405


def test_the_api_keeps_its_405(client_for, staff):
    response = client_for(staff).get("/api/dispatch/urgent")
    assert response.status_code == 405
