"""The service plans page: four plans with their SLA targets; managers edit a plan in place."""

from customers.models import RequestCategory, ServiceItem, ServicePlan, SlaTarget

URL = "/console/plans/"


def _plan(segment: str) -> ServicePlan:
    return ServicePlan.objects.get(segment=segment)


def test_staff_see_the_four_plans_and_their_sla_targets(client_for, account_manager):
    response = client_for(account_manager).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    for segment in ("core", "key", "potential", "ordinary"):
        assert f"plan-card plan-{segment}" in html
    assert html.index("plan-core") < html.index("plan-key") < html.index("plan-ordinary")
    assert "Out of stock / replenishment" in html  # every request category has a row
    assert "15 min" in html and "4 h" in html and "40 h" in html
    assert "/edit/" not in html  # account managers may not edit


def test_shop_owners_are_refused_and_anonymous_visitors_sent_to_log_in(
    client_for, client, shop_owner
):
    assert client_for(shop_owner).get(URL).status_code == 403
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _form(plan: ServicePlan, **changes) -> dict:
    data = {
        "visits_per_month": str(plan.visits_per_month),
        "contact_channels": list(plan.contact_channels),
        "description": plan.description,
        "service_item_ids": [item.pk for item in plan.service_items.all()],
    }
    for target in plan.sla_targets.all():
        data[f"first_{target.category}"] = target.first_response_min
        data[f"resolve_{target.category}"] = target.resolution_min
    return data | changes


def test_managers_open_the_edit_form_of_a_plan(client_for, service_manager):
    plan = _plan("key")
    html = client_for(service_manager).get(f"{URL}{plan.pk}/edit/").content.decode()
    assert f'hx-post="/console/plans/{plan.pk}/edit/"' in html
    assert 'name="first_ordering"' in html and 'value="30"' in html


def test_saving_a_plan_updates_it_and_refreshes_the_cards(client_for, service_manager):
    plan = _plan("key")
    data = _form(plan, visits_per_month="3", contact_channels=["wechat"], first_ordering=20)
    response = client_for(service_manager).post(
        f"{URL}{plan.pk}/edit/", data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    plan.refresh_from_db()
    assert response.status_code == 200 and "Saved." in html
    assert plan.visits_per_month == 3 and plan.contact_channels == ["wechat"]
    target = SlaTarget.objects.get(plan=plan, category=RequestCategory.ORDERING)
    assert target.first_response_min == 20
    assert 'id="plans-overview" hx-swap-oob="true"' in html


def test_a_resolution_faster_than_the_first_response_is_refused(client_for, service_manager):
    plan = _plan("key")
    before = list(SlaTarget.objects.filter(plan=plan).values())
    data = _form(plan, visits_per_month="3", resolve_delivery=5)
    html = (
        client_for(service_manager)
        .post(f"{URL}{plan.pk}/edit/", data, HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Resolution may not be faster than the first response." in html
    assert "Nothing was saved" in html
    plan.refresh_from_db()
    assert plan.visits_per_month == 2
    assert list(SlaTarget.objects.filter(plan=plan).values()) == before


def test_an_unknown_contact_channel_is_refused(client_for, service_manager):
    plan = _plan("core")
    data = _form(plan, contact_channels=["pigeon"])
    html = (
        client_for(service_manager)
        .post(f"{URL}{plan.pk}/edit/", data, HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Select a valid choice." in html
    plan.refresh_from_db()
    assert plan.contact_channels == ["visit", "wechat", "phone"]


def test_roles_without_edit_permission_cannot_open_or_save_the_form(client_for, account_manager):
    plan = _plan("key")
    client = client_for(account_manager)
    assert client.get(f"{URL}{plan.pk}/edit/").status_code == 403
    assert (
        client.post(f"{URL}{plan.pk}/edit/", _form(plan, visits_per_month="9")).status_code == 403
    )
    plan.refresh_from_db()
    assert plan.visits_per_month == 2


def test_managers_choose_the_service_items_of_a_plan(client_for, service_manager):
    plan = _plan("ordinary")
    coaching = ServiceItem.objects.get(code="display_coaching")
    kept = [item.pk for item in plan.service_items.all()]
    html = client_for(service_manager).get(f"{URL}{plan.pk}/edit/").content.decode()
    assert f'name="service_item_ids" value="{coaching.pk}"' in html
    client_for(service_manager).post(
        f"{URL}{plan.pk}/edit/", _form(plan, service_item_ids=[*kept, coaching.pk])
    )
    assert coaching in plan.service_items.all()
    assert plan.service_items.count() == len(kept) + 1
