"""Service initiatives: types with history, SMART goals, funnels from surveys and events."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from customers.models import ServiceItem
from flexserve.errors import Forbidden, Invalid
from quality import funnels
from quality.models import Answer, Goal, Initiative, InitiativeTypeChange, Instrument, Invitation
from quality.services import initiatives, surveys
from quality.tests.test_reports import shops_with_owners

TODAY = date.today()


def make_initiative(manager, **extra) -> Initiative:
    fields = {
        "actor": manager,
        "code": "order-app",
        "name": "手机订货 APP 新版",
        "type": "standard",
        "starts_on": TODAY - timedelta(days=30),
        "ends_on": TODAY + timedelta(days=60),
        "owner_id": manager.pk,
        "target": {},
        "channels": ["app", "wechat"],
    } | extra
    return initiatives.initiative_create(**fields)


def funnel_wave(manager, initiative, name="第一轮"):
    now = timezone.now()
    return initiatives.funnel_wave_create(
        actor=manager,
        initiative_id=initiative.pk,
        name=name,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
    )


def answer(wave, shop, aware=False, interested=False, tried=False, rating=None):
    yes_no = {True: 0, False: 1}
    answers = {"aware": yes_no[aware]}
    if aware:
        answers |= {"interested": yes_no[interested], "tried": yes_no[tried]}
        if tried:
            answers["rating"] = rating
    token = Invitation.objects.get(wave=wave, shop=shop).token
    surveys.response_save(actor=shop.owner_account, token=token, answers=answers, submit=True)


def test_an_initiative_keeps_its_type_history(service_manager):
    initiative = make_initiative(service_manager, type="extended")
    initiatives.initiative_change_type(
        actor=service_manager,
        initiative_id=initiative.pk,
        to_type="standard",
        reason="同行都已提供，成为行业标配",
    )
    history = list(InitiativeTypeChange.objects.values_list("from_type", "to_type"))
    assert history == [("", "extended"), ("extended", "standard")]
    initiative.refresh_from_db()
    assert initiative.type == "standard"


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("type", {"type": "premium"}),
        ("ends_on", {"ends_on": TODAY - timedelta(days=90)}),
        ("channels", {"channels": ["carrier pigeon"]}),
        ("segments", {"target": {"segments": ["gold"]}}),
        ("code", {"code": "有 空格"}),
    ],
)
def test_a_bad_initiative_is_refused_and_nothing_is_written(service_manager, field, extra):
    with pytest.raises(Invalid) as error:
        make_initiative(service_manager, **extra)
    assert field in error.value.fields
    assert not Initiative.objects.exists() and not InitiativeTypeChange.objects.exists()


def test_only_managers_create_initiatives(account_manager, service_manager):
    with pytest.raises(Forbidden):
        make_initiative(service_manager, actor=account_manager)


@pytest.mark.parametrize(
    ("field", "baseline", "target", "deadline"),
    [
        ("target", 0.4, 0.4, TODAY + timedelta(days=30)),
        ("baseline", 40, 0.6, TODAY + timedelta(days=30)),
        ("deadline", 0.4, 0.6, TODAY - timedelta(days=60)),
    ],
)
def test_a_goal_must_be_smart(service_manager, field, baseline, target, deadline):
    initiative = make_initiative(service_manager)
    with pytest.raises(Invalid) as error:
        initiatives.goal_set(
            actor=service_manager,
            initiative_id=initiative.pk,
            metric="experience",
            baseline=baseline,
            target=target,
            starts_on=TODAY - timedelta(days=30),
            deadline=deadline,
            owner_id=service_manager.pk,
        )
    assert field in error.value.fields and not Goal.objects.exists()


def test_the_survey_funnel_counts_each_stage_on_its_base(service_manager):
    shops = shops_with_owners(10)
    initiative = make_initiative(service_manager)
    wave = funnel_wave(service_manager, initiative)
    assert wave.instrument.kind == Instrument.Kind.FUNNEL and "手机订货 APP 新版" in (
        wave.instrument.questions.get(code="aware").text
    )
    answer(wave, shops[0], aware=True, interested=True, tried=True, rating=5)
    answer(wave, shops[1], aware=True, interested=True, tried=True, rating=2)
    answer(wave, shops[2], aware=True, interested=True)
    for shop in shops[3:6]:
        answer(wave, shop, aware=True)
    for shop in shops[6:]:
        answer(wave, shop)

    report = funnels.initiative_report(user=service_manager, initiative_id=initiative.pk)

    stages = {s["stage"]: s for s in report["latest"]["stages"]}
    assert report["latest"]["counts"] == {
        "surveyed": 10,
        "aware": 6,
        "interested": 3,
        "tried": 2,
        "good": 1,
    }
    assert stages["awareness"]["share"] == pytest.approx(0.6)
    assert stages["interest"]["share"] == pytest.approx(0.5)
    assert stages["experience"]["share"] == pytest.approx(2 / 6)
    assert stages["perception"]["share"] == pytest.approx(0.5)
    assert stages["awareness"]["low"] < 0.6 < stages["awareness"]["high"]
    # The dashboards count the same stages in the database, without reading every answer.
    counted = funnels.survey_funnels(service_manager, initiative, with_shops=False)
    assert counted[-1]["counts"] == report["latest"]["counts"]
    assert counted[-1]["_flags"] is None


def test_counting_in_the_database_ignores_answers_hidden_by_a_no(service_manager):
    """A "yes, interested" left stored under "not aware" (answers hidden by the conditions
    count as "no") is not counted, by either way of counting."""
    shops = shops_with_owners(6)
    initiative = make_initiative(service_manager)
    wave = funnel_wave(service_manager, initiative)
    answer(wave, shops[0], aware=True, interested=True, tried=True, rating=4)
    for shop in shops[1:]:
        answer(wave, shop)
    stale = Answer.objects.filter(response__wave=wave, question__code="aware", value=1).first()
    Answer.objects.create(
        response=stale.response,
        question=wave.instrument.questions.get(code="interested"),
        value=0,
    )

    in_python = funnels.survey_funnels(service_manager, initiative)[-1]["counts"]
    in_database = funnels.survey_funnels(service_manager, initiative, with_shops=False)[-1]

    expected = {"surveyed": 6, "aware": 1, "interested": 1, "tried": 1, "good": 1}
    assert in_python == expected and in_database["counts"] == expected


def test_before_and_after_are_tested_per_stage_and_paired_on_the_same_shops(service_manager):
    shops = shops_with_owners(12)
    initiative = make_initiative(service_manager)
    first = funnel_wave(service_manager, initiative, "第一轮")
    second = funnel_wave(service_manager, initiative, "第二轮")
    for index, shop in enumerate(shops):
        answer(first, shop, aware=index < 3)
        answer(second, shop, aware=index < 9)

    report = funnels.initiative_report(user=service_manager, initiative_id=initiative.pk)

    change = next(s for s in report["comparison"]["stages"] if s["stage"] == "awareness")
    assert (change["before"], change["after"]) == (pytest.approx(0.25), pytest.approx(0.75))
    assert change["test"] == "two_proportion" and change["p"] < 0.05
    paired = report["comparison"]["paired"]["awareness"]
    assert paired["test"] == "mcnemar"
    assert paired["p"] == pytest.approx(2 * 0.5**6)  # six shops learnt of it, none forgot


def test_goal_status_reads_the_latest_funnel(service_manager):
    shops = shops_with_owners(10)
    initiative = make_initiative(service_manager)
    wave = funnel_wave(service_manager, initiative)
    for index, shop in enumerate(shops):
        answer(wave, shop, aware=index < 8, tried=index < 2, rating=5)
    common = {
        "actor": service_manager,
        "initiative_id": initiative.pk,
        "starts_on": TODAY - timedelta(days=30),
        "owner_id": service_manager.pk,
    }
    initiatives.goal_set(
        metric="awareness", baseline=0.5, target=0.7, deadline=TODAY + timedelta(days=30), **common
    )
    initiatives.goal_set(
        metric="experience", baseline=0.1, target=0.5, deadline=TODAY + timedelta(days=30), **common
    )
    initiatives.goal_set(
        metric="experience", baseline=0.1, target=0.5, deadline=TODAY - timedelta(days=1), **common
    )

    report = funnels.initiative_report(user=service_manager, initiative_id=initiative.pk)

    statuses = [(row["goal"].metric, row["status"]) for row in report["goals"]]
    # experience 2 / 8 = 25 %: past the deadline missed; halfway through with 37 % of the way
    # made, at risk; awareness 80 % ≥ 70 %: met
    assert sorted(statuses) == sorted(
        [("experience", "missed"), ("awareness", "met"), ("experience", "at_risk")]
    )


def test_the_event_funnel_names_its_sources_and_has_no_awareness(service_manager):
    shops_with_owners(6)
    item = ServiceItem.objects.create(code="display-coaching", name="陈列指导")
    initiative = make_initiative(service_manager, service_item_id=item.pk)
    report = funnels.initiative_report(user=service_manager, initiative_id=initiative.pk)
    stages = {s["stage"]: s for s in report["events"]["stages"]}
    assert report["events"]["targeted"] == 6
    assert stages["awareness"]["source"] is None and stages["awareness"]["share"] is None
    assert stages["interest"] == {
        "stage": "interest",
        "count": 0,
        "base": 6,
        "share": 0,
        "source": "bookings",
    }
    assert stages["experience"]["source"] == "visits" and stages["experience"]["share"] is None


def test_the_api_gives_managers_the_funnel_and_refuses_bad_input_and_shops(
    client_for, service_manager, shop_owner
):
    shops = shops_with_owners(5)
    initiative = make_initiative(service_manager)
    wave = funnel_wave(service_manager, initiative)
    for shop in shops:
        answer(wave, shop, aware=True, tried=True, rating=4)
    manager = client_for(service_manager)

    body = manager.get(f"/api/quality/initiatives/{initiative.pk}/funnel").json()
    assert body["funnels"][0]["counts"]["tried"] == 5
    assert [s["share"] for s in body["funnels"][0]["stages"]] == [1.0, 0.0, 1.0, 1.0]
    assert (
        client_for(shop_owner).get(f"/api/quality/initiatives/{initiative.pk}/funnel").status_code
        == 404
    )

    bad = {
        "code": "x",
        "name": "y",
        "type": "premium",
        "starts_on": "2026-01-01",
        "ends_on": "2026-02-01",
        "owner_id": service_manager.pk,
    }
    response = manager.post("/api/quality/initiatives", bad, content_type="application/json")
    assert response.status_code in (400, 422) and "type" in str(response.json())
    assert Initiative.objects.count() == 1
