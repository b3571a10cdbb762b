"""The service-quality console pages: the overview, opening a wave, a wave's progress and results.

Managers read and open waves; account managers read; shop owners are refused like on every other
console page. A refused wave form answers 422 and writes nothing.
"""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from flexserve.policy import Role
from quality.models import CsatRating, Instrument, Invitation, Wave
from quality.services import surveys

OVERVIEW = "/console/quality/"
NEW_WAVE = "/console/quality/waves/new/"


def wave_url(wave: Wave) -> str:
    return f"/console/quality/waves/{wave.pk}/"


def local_input(moment) -> str:
    """A moment as a datetime-local input sends it (the page's time zone, to the minute)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def servqual(db) -> Instrument:
    return Instrument.objects.get(code="servqual-shop-22")


@pytest.fixture
def core_shops(db):
    return [ShopFactory(segment="core") for _ in range(3)]


def wave_form(instrument: Instrument, **changes) -> dict:
    opens = timezone.now() - timedelta(minutes=5)
    data = {
        "instrument": str(instrument.pk),
        "name": "2026 年第三季度服务质量调查",
        "opens_at": local_input(opens),
        "closes_at": local_input(opens + timedelta(days=14)),
        "audience": "shops",
        "segments": ["core"],
    }
    return data | changes


def open_wave(manager, instrument, **extra) -> Wave:
    now = timezone.now()
    fields = {
        "actor": manager,
        "instrument_id": instrument.pk,
        "name": "核心客户调查",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=14),
        "target": {"segments": ["core"]},
    } | extra
    return surveys.wave_create(**fields)


def rating(shop, staff, score, *, days_ago: float = 3) -> CsatRating:
    invited = timezone.now() - timedelta(days=days_ago)
    return CsatRating.objects.create(
        shop=shop,
        staff=staff,
        source=CsatRating.Source.VISIT,
        contact_at=invited - timedelta(hours=1),
        invited_at=invited,
        expires_at=invited + timedelta(days=7),
        score=score,
        rated_at=None if score is None else invited + timedelta(hours=2),
    )


def json_blob(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1)) if match else None


# --- Overview ----------------------------------------------------------------------------------


def test_the_overview_lists_waves_with_progress_and_offers_managers_a_new_survey(
    client_for, service_manager, servqual, core_shops
):
    wave = open_wave(service_manager, servqual)
    response = client_for(service_manager).get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    row = re.search(rf'<tr data-wave="{wave.pk}">(.*?)</tr>', html, re.S).group(1)
    assert wave.name in row and "Open" in row
    assert '<td class="num" data-label="Invited">3</td>' in row
    assert '<td class="num" data-label="Answered">0</td>' in row
    assert f'data-label="Needed for ±5 points">{wave.sample_needed}' in row
    assert 'href="/console/quality/waves/new/"' in html


def test_an_account_manager_reads_the_overview_but_gets_no_new_survey_button(
    client_for, account_manager, service_manager, servqual, core_shops
):
    open_wave(service_manager, servqual)
    response = client_for(account_manager).get(OVERVIEW)
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-wave-table" in html
    assert "data-new-wave" not in html


def test_staff_with_fewer_than_five_ratings_are_listed_without_figures(
    client_for, service_manager, shop
):
    quiet = UserFactory(username="quiet", full_name="王五", role=Role.ACCOUNT_MANAGER)
    for score in (5, 4, 2):
        rating(shop, quiet, score)
    response = client_for(service_manager).get(OVERVIEW)  # Chinese, the default
    html = response.content.decode()
    row = re.search(r"<tr class=\"suppressed\" data-suppressed>(.*?)</tr>", html, re.S).group(1)
    assert "王五" in row and "少于 5 条评价，不显示" in row
    assert "data-csat-suppressed" in html  # three ratings in all: no company figure either


def test_shop_owners_are_refused_and_visitors_sent_to_log_in(client_for, client, shop_owner):
    assert client_for(shop_owner).get(OVERVIEW).status_code == 403
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- New wave ----------------------------------------------------------------------------------


def test_the_form_offers_the_active_questionnaires_and_the_territory(
    client_for, service_manager, servqual, shop
):
    response = client_for(service_manager).get(NEW_WAVE)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{servqual.pk}" selected>' in html  # SERVQUAL chosen for a start
    assert f'value="{shop.grid.district_id}"' in html and shop.grid.name in html
    assert 'type="datetime-local"' in html


def test_a_wave_for_the_core_class_invites_its_shops_and_opens_the_wave_page(
    client_for, service_manager, servqual, core_shops
):
    ShopFactory(segment="ordinary")  # outside the target group
    client = client_for(service_manager)
    response = client.post(NEW_WAVE, wave_form(servqual), HTTP_ACCEPT_LANGUAGE="en")
    wave = Wave.objects.get()
    assert response.status_code == 302 and response["Location"] == wave_url(wave)
    assert wave.target == {"segments": ["core"]} and wave.created_by == service_manager
    invited = set(Invitation.objects.filter(wave=wave).values_list("shop_id", flat=True))
    assert invited == {s.pk for s in core_shops}
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "created: 3 invited" in page.content.decode()


def test_a_wave_closing_before_it_opens_is_refused_and_nothing_is_written(
    client_for, service_manager, servqual, core_shops
):
    opens = timezone.now() + timedelta(days=3)
    data = wave_form(
        servqual, opens_at=local_input(opens), closes_at=local_input(opens - timedelta(days=1))
    )
    response = client_for(service_manager).post(NEW_WAVE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.context["form"].errors["closes_at"] == ["The survey must close after it opens."]
    assert not Wave.objects.exists() and not Invitation.objects.exists()


def test_a_target_group_with_no_shops_is_refused_and_nothing_is_written(
    client_for, service_manager, servqual, core_shops
):
    data = wave_form(servqual, segments=["potential"])  # no shop of that class
    response = client_for(service_manager).post(NEW_WAVE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "No one is in this target group." in response.content.decode()
    assert not Wave.objects.exists() and not Invitation.objects.exists()


def test_half_a_service_period_is_refused_on_its_field(
    client_for, service_manager, servqual, core_shops
):
    data = wave_form(servqual, served_from="2026-01-01")
    response = client_for(service_manager).post(NEW_WAVE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.context["form"].errors["served_from"]
    assert not Wave.objects.exists()


@pytest.mark.parametrize("role", [Role.SHOP_OWNER, Role.ACCOUNT_MANAGER])
def test_only_managers_may_open_a_wave(client_for, role, servqual, core_shops):
    user = UserFactory(username=f"not-a-manager-{role}", role=role)
    assert client_for(user).get(NEW_WAVE).status_code == 403
    assert client_for(user).post(NEW_WAVE, wave_form(servqual)).status_code == 403
    assert not Wave.objects.exists()


# --- One wave ----------------------------------------------------------------------------------


def test_the_wave_page_shows_progress_and_a_reminder_for_managers(
    client_for, service_manager, account_manager, servqual, core_shops
):
    wave = open_wave(service_manager, servqual)
    html = client_for(service_manager).get(wave_url(wave)).content.decode()
    assert '<span class="stat-value" data-stat="invited">3</span>' in html
    assert '<span class="stat-value" data-stat="answered">0</span>' in html
    assert "提醒未答者" in html
    html = client_for(account_manager).get(wave_url(wave)).content.decode()
    assert "data-remind" not in html


def test_reminding_tells_how_many_were_reminded(client_for, service_manager, servqual, core_shops):
    for shop in core_shops:
        shop.owner_account = UserFactory(username=f"owner-{shop.pk}")
        shop.save(update_fields=["owner_account"])
    wave = open_wave(service_manager, servqual)
    client = client_for(service_manager)
    response = client.post(f"{wave_url(wave)}remind/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == wave_url(wave)
    page = client.get(wave_url(wave), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reminded 3 invitees who have not answered yet." in page
    assert Invitation.objects.filter(wave=wave, reminded_at__isnull=False).count() == 3


def test_reminding_a_closed_wave_says_why_with_409(
    client_for, service_manager, servqual, core_shops
):
    wave = open_wave(service_manager, servqual)
    Wave.objects.filter(pk=wave.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    response = client_for(service_manager).post(f"{wave_url(wave)}remind/")
    assert response.status_code == 409
    assert 'data-error-code="survey_closed"' in response.content.decode()
    assert not Invitation.objects.filter(reminded_at__isnull=False).exists()


def test_account_managers_cannot_remind_and_other_ids_are_not_found(
    client_for, service_manager, account_manager, servqual, core_shops
):
    wave = open_wave(service_manager, servqual)
    assert client_for(account_manager).post(f"{wave_url(wave)}remind/").status_code == 403
    assert (
        client_for(service_manager).get(f"/console/quality/waves/{wave.pk + 99}/").status_code
        == 404
    )
    assert not Invitation.objects.filter(reminded_at__isnull=False).exists()


def test_a_wave_with_too_few_respondents_shows_no_results(
    client_for, service_manager, servqual, core_shops
):
    wave = open_wave(service_manager, servqual)
    html = client_for(service_manager).get(wave_url(wave)).content.decode()
    assert "data-results-suppressed" in html
    assert json_blob(html, "quality-data") is None and "quality.js" not in html
