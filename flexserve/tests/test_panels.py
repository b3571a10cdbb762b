"""flexserve.panels: apps contribute panels to a page they do not own (the shop page), in order,
each shown only to users its check lets through."""

import pytest
from django.test import RequestFactory

from accounts.models import Role
from accounts.tests.factories import UserFactory
from flexserve import panels
from flexserve.policy import Perm

SLOT = "test.slot"


@pytest.fixture
def slot():
    yield SLOT
    for panel in panels.registered(SLOT):
        panels.unregister(SLOT, panel.key)


@pytest.fixture
def fake_render(monkeypatch):
    """Templates rendered as their name and context, to see what each panel was given."""
    monkeypatch.setattr(
        panels,
        "render_to_string",
        lambda template, context, request=None: f"{template}|{sorted(context)}",
    )


def _panel(key, order, **extra):
    return panels.Panel(
        key=key,
        title=key.upper(),
        template=f"{key}.html",
        context=lambda user, obj: {"obj": obj},
        order=order,
        **extra,
    )


def test_panels_come_in_their_order_whatever_the_order_of_registration(slot):
    panels.register(slot, _panel("c", 30))
    panels.register(slot, _panel("a", 10))
    panels.register(slot, _panel("b", 20))
    assert [p.key for p in panels.registered(slot)] == ["a", "b", "c"]


def test_registering_a_key_again_replaces_the_panel(slot):
    panels.register(slot, _panel("a", 10))
    panels.register(slot, _panel("a", 5))
    assert [(p.key, p.order) for p in panels.registered(slot)] == [("a", 5)]


def test_a_panel_is_rendered_only_for_users_its_check_lets_through(db, slot, fake_render):
    panels.register(slot, _panel("everyone", 10))
    panels.register(
        slot, _panel("managers", 20, allowed=lambda user: user.role == Role.SERVICE_MANAGER)
    )
    request = RequestFactory().get("/")
    request.user = UserFactory(username="staff", role=Role.SERVICE_STAFF)
    assert [p.key for p in panels.render(request, slot, obj="shop")] == ["everyone"]
    request.user = UserFactory(username="boss", role=Role.SERVICE_MANAGER)
    shown = panels.render(request, slot, obj="shop")
    assert [p.key for p in shown] == ["everyone", "managers"]
    # Each template gets its own context and the panel itself (its title).
    assert shown[1].html == "managers.html|['obj', 'panel']"


def test_an_empty_slot_renders_nothing(rf, slot):
    request = rf.get("/")
    request.user = None
    assert panels.render(request, slot, obj=None) == []


def test_the_apps_contribute_their_panels_to_the_shop_page(client_for, account_manager, shop):
    """customers draws the shop page without importing commerce, dispatch or servicedesk."""
    response = client_for(account_manager).get(f"/console/shops/{shop.pk}/")
    assert response.status_code == 200
    assert [p.key for p in response.context["panels"]] == [
        "servicedesk.requests",
        "commerce.activity",
        "dispatch.visits",
        "outreach.contact",
    ]
    html = response.content.decode()
    assert html.index('id="shop-requests"') < html.index('id="shop-visits"')


def test_the_portal_home_gets_the_shop_owners_panels(client_for, shop_owner):
    response = client_for(shop_owner).get("/portal/")
    assert [p.key for p in response.context["side_panels"]] == ["dispatch.next_visits"]
    assert [p.key for p in response.context["panels"]] == ["commerce.activity"]


def test_requires_lets_through_only_users_with_every_permission(db):
    owner = UserFactory(username="owner", role=Role.SHOP_OWNER)
    manager = UserFactory(username="boss", role=Role.SERVICE_MANAGER)
    console_orders = panels.requires(Perm.CONSOLE_USE, Perm.ORDER_VIEW)
    assert console_orders(manager) and not console_orders(owner)
    assert panels.requires(Perm.ORDER_VIEW)(owner)  # the owner sees their own orders
