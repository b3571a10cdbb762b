"""Survey waves: target groups, answering once, drafts, anonymity, closing, reminders."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from flexserve.errors import Forbidden, Invalid
from flexserve.policy import Role
from quality import selectors
from quality.errors import SurveyClosed, SurveyNotFound
from quality.models import Answer, Instrument, Invitation, Response, Wave
from quality.services import surveys
from servicedesk.models import Notification

ITEMS = ["t1", "t2", "t3", "t4", "r1", "r2", "r3", "r4", "r5", "s1", "s2", "s3", "s4"]
ITEMS += ["a1", "a2", "a3", "a4", "e1", "e2", "e3", "e4", "e5"]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]


def full_answers(e: int = 6, p: int = 5) -> dict:
    answers: dict = {code: {"e": e, "p": p} for code in ITEMS}
    answers["points"] = dict(zip(DIMENSIONS, [10, 30, 30, 15, 15], strict=True))
    return answers


@pytest.fixture
def servqual(db):
    return Instrument.objects.get(code="servqual-shop-22")


def open_wave(manager, instrument, **extra) -> Wave:
    now = timezone.now()
    fields = {
        "actor": manager,
        "instrument_id": instrument.pk,
        "name": "2026 年第四季度服务质量调查",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=14),
        "target": {},
    } | extra
    return surveys.wave_create(**fields)


def token_of(wave, shop) -> str:
    return Invitation.objects.get(wave=wave, shop=shop).token


def test_the_shipped_instrument_has_22_items_in_five_dimensions(servqual):
    counts = {d.code: d.questions.count() for d in servqual.dimensions.all()}
    assert counts == {
        "tangibles": 4,
        "reliability": 5,
        "responsiveness": 4,
        "assurance": 4,
        "empathy": 5,
    }
    assert servqual.questions.filter(kind="points").count() == 1


def test_a_wave_invites_its_target_group_only_and_notifies_at_opening(
    service_manager, servqual, shop_owner, shop, django_capture_on_commit_callbacks
):
    core = ShopFactory(segment="core")
    core.owner_account = UserFactory(username=core.licence_no, role=Role.SHOP_OWNER)
    core.save()
    with django_capture_on_commit_callbacks(execute=True):
        wave = open_wave(service_manager, servqual, target={"segments": ["core"]})
    assert list(wave.invitations.values_list("shop_id", flat=True)) == [core.pk]
    assert wave.invited == 1 and wave.sample_needed == 1
    assert Notification.objects.filter(recipient=core.owner_account).count() == 1
    assert not Notification.objects.filter(recipient=shop_owner).exists()


def test_the_sample_size_for_five_points_follows_the_group_size(service_manager, servqual):
    ShopFactory.create_batch(30)
    wave = open_wave(service_manager, servqual)
    assert wave.invited == 30
    assert wave.sample_needed == 28  # 384.16 corrected for a population of 30


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"name": ""}, "name"),
        ({"closes_at": timezone.now() - timedelta(days=2)}, "closes_at"),
        ({"target": {"segments": ["gold"]}}, "segments"),
        ({"target": {"districts": [99999]}}, "districts"),
        ({"target": {"colour": ["red"]}}, "target"),
        ({"target": {"segments": ["core"]}}, "target"),  # nobody is core
    ],
)
def test_bad_waves_are_refused_and_nothing_is_saved(service_manager, servqual, shop, bad, field):
    with pytest.raises(Invalid) as caught:
        open_wave(service_manager, servqual, **bad)
    assert field in caught.value.fields
    assert not Wave.objects.exists() and not Invitation.objects.exists()


def test_only_managers_open_waves(account_manager, servqual, shop):
    with pytest.raises(Forbidden):
        open_wave(account_manager, servqual)


def test_a_draft_resumes_and_a_submission_is_stored_once(
    service_manager, servqual, shop, shop_owner
):
    wave = open_wave(service_manager, servqual)
    token = token_of(wave, shop)
    surveys.response_save(actor=shop_owner, token=token, answers={"t1": {"e": 7}})
    draft = selectors.stored_response(Invitation.objects.get(token=token))
    assert draft.state == Response.State.DRAFT
    assert selectors.stored_answers(draft) == {"t1": {"e": 7, "p": None}}
    response = surveys.response_save(
        actor=shop_owner, token=token, answers=full_answers(), submit=True
    )
    assert response.pk == draft.pk and response.state == Response.State.SUBMITTED
    assert response.answers.count() == 23
    assert response.segment == shop.segment and response.grid_id == shop.grid_id
    # The same submission again (a replayed link) returns the stored response.
    again = surveys.response_save(
        actor=shop_owner, token=token, answers=full_answers(), submit=True
    )
    assert again.pk == response.pk
    # Different answers after submitting change nothing.
    with pytest.raises(surveys.AlreadyAnswered):
        surveys.response_save(actor=shop_owner, token=token, answers=full_answers(e=1), submit=True)
    assert set(Answer.objects.filter(response=response).values_list("expectation", flat=True)) == {
        6,
        None,
    }


@pytest.mark.parametrize(
    "change, code",
    [
        (lambda a: a.pop("r3"), "r3"),
        (lambda a: a.update(r3={"e": 8, "p": 5}), "r3"),
        (lambda a: a.update(r3={"e": 6}), "r3"),
        (lambda a: a.update(r3={"e": "x", "p": 5}), "r3"),
        (lambda a: a["points"].update(empathy=20), "points"),
        (lambda a: a.update(zz=3), "zz"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(
    service_manager, servqual, shop, shop_owner, change, code
):
    wave = open_wave(service_manager, servqual)
    answers = full_answers()
    change(answers)
    with pytest.raises(Invalid) as caught:
        surveys.response_save(
            actor=shop_owner, token=token_of(wave, shop), answers=answers, submit=True
        )
    assert code in caught.value.fields
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_an_answer_after_closing_is_refused(service_manager, servqual, shop, shop_owner):
    wave = open_wave(service_manager, servqual)
    Wave.objects.filter(pk=wave.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(SurveyClosed):
        surveys.response_save(
            actor=shop_owner, token=token_of(wave, shop), answers=full_answers(), submit=True
        )
    assert not Response.objects.exists()


def test_a_shop_outside_the_target_group_cannot_answer(
    service_manager, servqual, shop, shop_owner, other_shop, other_shop_owner
):
    wave = open_wave(service_manager, servqual, target={"grids": [shop.grid_id]})
    with pytest.raises(SurveyNotFound):
        surveys.response_save(
            actor=other_shop_owner, token=token_of(wave, shop), answers=full_answers()
        )
    assert not Invitation.objects.filter(shop=other_shop).exists()


def test_an_anonymous_response_keeps_no_link_to_the_shop(
    service_manager, servqual, shop, shop_owner
):
    wave = open_wave(service_manager, servqual, anonymous=True)
    token = token_of(wave, shop)
    response = surveys.response_save(
        actor=shop_owner, token=token, answers=full_answers(), submit=True
    )
    assert response.invitation_id is None
    assert response.segment == shop.segment  # breakdowns still work by group
    # The shop finds its own answers again through its link; the owner sees no response rows.
    assert selectors.stored_response(Invitation.objects.get(token=token)).pk == response.pk
    from flexserve import policy

    assert not policy.visible(shop_owner, Response.objects.all()).exists()


def test_reminders_go_to_non_responders_only(
    service_manager, servqual, django_capture_on_commit_callbacks
):
    shops = ShopFactory.create_batch(3)
    owners = []
    for s in shops:
        s.owner_account = UserFactory(username=s.licence_no, role=Role.SHOP_OWNER)
        s.save()
        owners.append(s.owner_account)
    with django_capture_on_commit_callbacks(execute=True):
        wave = open_wave(service_manager, servqual)
    surveys.response_save(
        actor=owners[0], token=token_of(wave, shops[0]), answers=full_answers(), submit=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert surveys.wave_remind(actor=service_manager, wave_id=wave.pk) == 2
    reminded = Invitation.objects.filter(wave=wave, reminded_at__isnull=False)
    assert set(reminded.values_list("shop_id", flat=True)) == {shops[1].pk, shops[2].pk}
    assert Notification.objects.filter(recipient=owners[0]).count() == 1  # the invitation only
    assert Notification.objects.filter(recipient=owners[1]).count() == 2


def test_an_edited_question_is_checked_afresh_by_the_next_answer(
    service_manager, servqual, shop_owner, shop
):
    wave = open_wave(service_manager, servqual)
    token = token_of(wave, shop)
    surveys.response_save(actor=shop_owner, token=token, answers={"t1": {"e": 7}}, submit=False)
    question = servqual.questions.get(code="t1")
    question.scale_max = 5  # read from the cache until the edit drops it
    question.save()
    with pytest.raises(Invalid) as error:
        surveys.response_save(actor=shop_owner, token=token, answers={"t1": {"e": 7}}, submit=False)
    assert "t1" in error.value.fields
