"""SERVQUAL results of a wave: gaps with intervals, suppression, breakdowns, scope, comparisons."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from flexserve.errors import Invalid
from flexserve.policy import Role
from quality import reports
from quality.services import surveys
from quality.tests.test_survey_services import DIMENSIONS, ITEMS, open_wave, token_of


def shops_with_owners(count: int, **fields) -> list:
    shops = ShopFactory.create_batch(count, **fields)
    for shop in shops:
        shop.owner_account = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER)
        shop.save(update_fields=["owner_account"])
    return shops


def answer(wave, shop, *, e: int, p: int, slow: int | None = None, points=(10, 30, 30, 15, 15)):
    """Every item E = e, P = p; the responsiveness items (s1–s4) P = ``slow`` when given."""
    answers: dict = {code: {"e": e, "p": p} for code in ITEMS}
    if slow is not None:
        for code in ("s1", "s2", "s3", "s4"):
            answers[code] = {"e": e, "p": slow}
    answers["points"] = dict(zip(DIMENSIONS, points, strict=True))
    surveys.response_save(
        actor=shop.owner_account, token=token_of(wave, shop), answers=answers, submit=True
    )


def dimension(report, code):
    return next(d for d in report["dimensions"] if d["code"] == code)


@pytest.fixture
def servqual(db):
    from quality.models import Instrument

    return Instrument.objects.get(code="servqual-shop-22")


def test_gaps_by_dimension_with_intervals_and_the_weighted_overall(service_manager, servqual):
    shops = shops_with_owners(6)
    wave = open_wave(service_manager, servqual)
    for shop in shops[:3]:
        answer(wave, shop, e=6, p=5, slow=3)  # gap −1, responsiveness −3
    for shop in shops[3:]:
        answer(wave, shop, e=5, p=5)  # no gap

    report = reports.servqual_report(user=service_manager, wave_id=wave.pk)

    assert report["respondents"] == 6 and not report["suppressed"]
    tangibles, responsiveness = dimension(report, "tangibles"), dimension(report, "responsiveness")
    assert tangibles["gap"]["mean"] == pytest.approx(-0.5)
    assert responsiveness["gap"]["mean"] == pytest.approx(-1.5)
    assert responsiveness["expectation"]["mean"] == pytest.approx(5.5)
    # six gaps −3 −3 −3 0 0 0: sd = √(13.5 / 5), t(0.975, 5) = 2.5706
    half = 2.570582 * (13.5 / 5) ** 0.5 / 6**0.5
    assert responsiveness["gap"]["low"] == pytest.approx(-1.5 - half, abs=1e-4)
    assert responsiveness["below_share"] == pytest.approx(0.5)
    assert responsiveness["name"] == "响应性"
    # all items move together in the expectation: alpha 1; perception items of tangibles too
    assert tangibles["alpha"]["expectation"] == pytest.approx(1.0)
    overall = report["overall"]
    assert overall["gap"]["mean"] == pytest.approx((-1 * 4 - 3) / 5 / 2)  # mean of (−1.4, 0)
    # weighted: 10 % × −1 + 30 % × −1 + 30 % × −3 + 15 % × −1 + 15 % × −1 = −1.6, and 0
    assert overall["weighted_gap"] == pytest.approx(-0.8)
    assert overall["perception_only"] == pytest.approx((5 * 18 + 3 * 4) / 22 / 2 + 5 / 2, abs=0.2)
    # importance: responsiveness has 30 of 100 points, the lowest perception: concentrate here
    assert responsiveness["importance"] == pytest.approx(30)
    assert responsiveness["quadrant"] == "concentrate_here"
    assert dimension(report, "empathy")["quadrant"] == "possible_overkill"


def test_a_wave_with_fewer_than_five_answers_shows_no_figures(service_manager, servqual):
    shops = shops_with_owners(4)
    wave = open_wave(service_manager, servqual)
    for shop in shops:
        answer(wave, shop, e=6, p=4)
    report = reports.servqual_report(user=service_manager, wave_id=wave.pk)
    assert report["suppressed"] and report["dimensions"] == [] and report["overall"] is None


def test_breakdown_hides_groups_under_five_and_ranks_only_shown_cells(service_manager, servqual):
    core = shops_with_owners(5, segment="core")
    ordinary = shops_with_owners(2, segment="ordinary")
    wave = open_wave(service_manager, servqual)
    for shop in core:
        answer(wave, shop, e=6, p=4, slow=2)
    for shop in ordinary:
        answer(wave, shop, e=6, p=6)

    report = reports.servqual_report(user=service_manager, wave_id=wave.pk, by="segment")

    rows = {row["key"]: row for row in report["groups"]["rows"]}
    assert rows["core"]["n"] == 5 and not rows["core"]["suppressed"]
    assert rows["core"]["gaps"]["responsiveness"] == pytest.approx(-4)
    assert rows["ordinary"]["suppressed"] and rows["ordinary"]["gaps"] == {}
    assert rows["ordinary"]["overall_gap"] is None
    assert {cell["group"] for cell in report["ranking"]} == {"core"}
    gaps = [cell["gap"] for cell in report["ranking"]]
    assert gaps == sorted(gaps) and report["ranking"][0]["dimension"] == "responsiveness"


def test_an_unknown_breakdown_is_refused(service_manager, servqual):
    shops_with_owners(1)
    wave = open_wave(service_manager, servqual)
    with pytest.raises(Invalid):
        reports.servqual_report(user=service_manager, wave_id=wave.pk, by="licence_no")


def test_an_account_manager_reads_only_the_answers_of_the_own_grids(
    service_manager, account_manager, grid, servqual
):
    mine = shops_with_owners(5, grid=grid)
    others = shops_with_owners(5)
    wave = open_wave(service_manager, servqual)
    for shop in mine:
        answer(wave, shop, e=5, p=5)
    for shop in others:
        answer(wave, shop, e=7, p=1)

    report = reports.servqual_report(user=account_manager, wave_id=wave.pk)
    assert report["respondents"] == 5
    assert report["overall"]["gap"]["mean"] == pytest.approx(0)
    assert reports.servqual_report(user=service_manager, wave_id=wave.pk)["respondents"] == 10


def test_a_second_wave_is_compared_by_welch_and_on_the_shops_that_answered_both(
    service_manager, servqual
):
    shops = shops_with_owners(6)
    first = open_wave(service_manager, servqual, name="第一轮")
    second = open_wave(service_manager, servqual, name="第二轮")
    for index, shop in enumerate(shops):
        answer(first, shop, e=6, p=3 + index % 2)
        answer(second, shop, e=6, p=4 + index % 3 // 2)

    report = reports.servqual_report(user=service_manager, wave_id=second.pk, compare_to=first.pk)

    row = report["comparison"]["dimensions"][0]
    assert row["after"] - row["before"] == pytest.approx(
        sum(4 + i % 3 // 2 - 3 - i % 2 for i in range(6)) / 6
    )
    assert row["paired"]["n"] == 6 and row["paired"]["p"] is not None
    assert row["welch"]["p"] is not None


def test_the_api_answers_managers_and_refuses_shops(
    client_for, service_manager, servqual, shop_owner
):
    shops = shops_with_owners(5)
    wave = open_wave(service_manager, servqual, anonymous=True)
    for shop in shops:
        answer(wave, shop, e=6, p=5)
    url = f"/api/quality/waves/{wave.pk}/servqual?by=district"

    body = client_for(service_manager).get(url).json()
    assert body["respondents"] == 5
    assert body["dimensions"][0]["gap"]["mean"] == pytest.approx(-1)
    assert "invitation" not in str(body) and "shop" not in str(body)
    assert client_for(shop_owner).get(url).status_code == 404  # not even that it exists
    assert client_for(service_manager).get(f"{url}&by=nothing").status_code in (400, 422)
    assert reverse("console:quality_wave", args=[wave.pk])


def test_nps_counts_only_nps_questions_with_its_interval_and_hides_small_classes(
    client_for, service_manager
):
    from quality.models import Instrument

    core = shops_with_owners(10, segment="core")
    ordinary = shops_with_owners(2, segment="ordinary")
    nps = Instrument.objects.get(code="nps-shop")
    wave = open_wave(service_manager, nps)
    code = nps.questions.get(kind="nps").code
    for shop, score in zip(core, [10, 9, 9, 9, 8, 7, 6, 3, 10, 10], strict=True):
        surveys.response_save(
            actor=shop.owner_account,
            token=token_of(wave, shop),
            answers={code: score},
            submit=True,
        )
    for shop in ordinary:
        surveys.response_save(
            actor=shop.owner_account, token=token_of(wave, shop), answers={code: 0}, submit=True
        )

    report = reports.nps_report(user=service_manager, wave_id=wave.pk, by="segment")
    rows = {row["key"]: row for row in report["groups"]["rows"]}
    assert rows["core"]["nps"] == pytest.approx(40)
    assert (round(rows["core"]["low"], 1), round(rows["core"]["high"], 1)) == (-9.6, 89.6)
    assert rows["ordinary"] == {
        "key": "ordinary",
        "label": rows["ordinary"]["label"],
        "n": 2,
        "suppressed": True,
    }
    assert report["overall"]["n"] == 12 and report["overall"]["detractors"] == 4

    page = client_for(service_manager).get(
        reverse("console:quality_wave", args=[wave.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert 'data-kpi="nps"' in html and "Fewer than 5 respondents" in html
