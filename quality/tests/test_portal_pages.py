"""The shop owner's survey and rating pages: list, answer (save, resume, submit once), rate.

Pages are read in English (the msgids) so the assertions do not depend on the catalogue.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from quality.models import Answer, CsatRating, Instrument, Invitation, Response
from quality.services import surveys

SERVQUAL = "servqual-shop-22"


@pytest.fixture
def english(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def wave(service_manager, shop_owner, other_shop_owner):
    """An open SERVQUAL wave to every shop (the owners' shops exist before it is created)."""
    now = timezone.now()
    return surveys.wave_create(
        actor=service_manager,
        instrument_id=Instrument.objects.get(code=SERVQUAL).pk,
        name="2026 春季服务质量调查",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=7),
        target={},
    )


def invitation_of(wave, shop) -> Invitation:
    return Invitation.objects.get(wave=wave, shop=shop)


def answer_url(invitation: Invitation) -> str:
    return reverse("portal:survey_answer", args=[invitation.token])


def full_form(wave, *, expectation=6, perception=5, action="submit") -> dict[str, str]:
    """Every E/P item answered and the 100 points spread evenly (20 each), as the form posts."""
    instrument = wave.instrument
    data = {"action": action}
    for question in instrument.questions.filter(kind="ep"):
        data[f"{question.code}__e"] = str(expectation)
        data[f"{question.code}__p"] = str(perception)
    for code in instrument.dimensions.values_list("code", flat=True):
        data[f"points__{code}"] = "20"
    return data


def stored(invitation: Invitation) -> list[tuple]:
    return sorted(
        Answer.objects.filter(response__receipt=surveys.receipt_for(invitation)).values_list(
            "question__code", "expectation", "perception", "points", "text"
        )
    )


def checked_value(html: str, name: str) -> str | None:
    """The value of the checked radio button called ``name`` in the page, if any."""
    for tag in re.findall(rf'<input type="radio" name="{re.escape(name)}"[^>]*>', html):
        if " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_the_shops_open_survey_with_its_link(english, shop_owner, shop, wave):
    response = english(shop_owner).get(reverse("portal:surveys"))

    page = response.content.decode()
    assert response.status_code == 200
    assert wave.name in page
    assert answer_url(invitation_of(wave, shop)) in page
    assert "Start answering" in page and "Continue" not in page


def test_the_list_offers_to_continue_a_started_draft(english, shop_owner, shop, wave):
    invitation = invitation_of(wave, shop)
    client = english(shop_owner)
    client.post(answer_url(invitation), {"action": "save", "t1__e": "6"})

    page = client.get(reverse("portal:surveys")).content.decode()

    assert "Continue" in page and "Draft saved" in page


# --- Answering --------------------------------------------------------------------------------


def test_a_submission_missing_a_required_item_is_refused_and_stores_nothing(
    english, shop_owner, shop, wave
):
    invitation = invitation_of(wave, shop)
    form = full_form(wave)
    del form["r1__p"]

    response = english(shop_owner).post(answer_url(invitation), form)

    page = response.content.decode()
    assert response.status_code == 422
    assert not Response.objects.exists() and not Answer.objects.exists()
    invitation.refresh_from_db()
    assert invitation.responded_at is None
    # The message sits beside r1, the summary links to it, and what was entered is kept.
    r1 = re.search(r'<fieldset class="card sv-q sv-q-ep([^"]*)" id="q-r1"', page)
    assert r1 and "has-error" in r1.group(1)
    assert 'href="#q-r1"' in page and "Please answer this question." in page
    assert checked_value(page, "r1__e") == "6" and checked_value(page, "r1__p") is None
    assert checked_value(page, "t1__p") == "5"


def test_points_that_do_not_add_up_are_refused_with_the_total(english, shop_owner, shop, wave):
    invitation = invitation_of(wave, shop)
    form = full_form(wave)
    form["points__empathy"] = "10"

    response = english(shop_owner).post(answer_url(invitation), form)

    page = response.content.decode()
    assert response.status_code == 422
    assert "The points must add up to 100 (now 90)." in page
    assert "Total 90 / 100" in page
    assert not Response.objects.exists()


def test_a_saved_draft_comes_back_filled_in(english, shop_owner, shop, wave):
    invitation = invitation_of(wave, shop)
    client = english(shop_owner)

    saved = client.post(
        answer_url(invitation),
        {"action": "save", "t1__e": "7", "t1__p": "3", "s2__e": "4", "points__reliability": "40"},
    )
    page = client.get(answer_url(invitation)).content.decode()

    assert saved.status_code == 302 and saved["Location"] == answer_url(invitation)
    draft = Response.objects.get()
    assert draft.state == Response.State.DRAFT
    invitation.refresh_from_db()
    assert invitation.responded_at is None
    assert (checked_value(page, "t1__e"), checked_value(page, "t1__p")) == ("7", "3")
    assert (checked_value(page, "s2__e"), checked_value(page, "s2__p")) == ("4", None)
    assert 'name="points__reliability" value="40"' in page
    assert "Answered 1 / 22" in page  # only t1 has both of its answers


def test_submitting_stores_the_answers_and_shows_them_read_only(english, shop_owner, shop, wave):
    invitation = invitation_of(wave, shop)
    client = english(shop_owner)

    submitted = client.post(answer_url(invitation), full_form(wave))
    page = client.get(answer_url(invitation)).content.decode()

    assert submitted.status_code == 302
    invitation.refresh_from_db()
    assert invitation.responded_at is not None
    assert Response.objects.get().state == Response.State.SUBMITTED
    answers = stored(invitation)
    assert len(answers) == 23  # 22 E/P items and the points; the optional comment was left empty
    assert ("t1", 6, 5, None, "") in answers
    assert 'class="sv-form"' not in page and 'type="radio"' not in page
    assert "You have submitted this survey. Here are your answers." in page


def test_different_answers_after_submitting_are_refused_and_change_nothing(
    english, shop_owner, shop, wave
):
    invitation = invitation_of(wave, shop)
    client = english(shop_owner)
    client.post(answer_url(invitation), full_form(wave))
    before = stored(invitation)

    response = client.post(answer_url(invitation), full_form(wave, perception=2))

    assert response.status_code == 409
    assert "This survey has already been answered" in response.content.decode()
    assert stored(invitation) == before


def test_the_same_submission_again_returns_the_stored_answers(english, shop_owner, shop, wave):
    invitation = invitation_of(wave, shop)
    client = english(shop_owner)
    client.post(answer_url(invitation), full_form(wave))
    before = stored(invitation)

    again = client.post(answer_url(invitation), full_form(wave), follow=True)

    assert again.status_code == 200
    assert again.redirect_chain == [(answer_url(invitation), 302)]
    assert "Here are your answers." in again.content.decode()
    assert stored(invitation) == before and Response.objects.count() == 1


def test_a_closed_survey_refuses_answers(english, shop_owner, shop, wave):
    invitation = invitation_of(wave, shop)
    type(wave).objects.filter(pk=wave.pk).update(closes_at=timezone.now())

    response = english(shop_owner).post(answer_url(invitation), full_form(wave))

    assert response.status_code == 409
    assert "This survey is closed" in response.content.decode()
    assert not Response.objects.exists()


def test_an_anonymous_survey_says_so_and_still_resumes_its_draft(
    english, service_manager, shop_owner, shop
):
    now = timezone.now()
    anonymous = surveys.wave_create(
        actor=service_manager,
        instrument_id=Instrument.objects.get(code=SERVQUAL).pk,
        name="匿名调查",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=7),
        anonymous=True,
    )
    invitation = invitation_of(anonymous, shop)
    client = english(shop_owner)
    client.post(answer_url(invitation), {"action": "save", "e1__p": "2"})

    page = client.get(answer_url(invitation)).content.decode()

    assert "your answers are not linked to your shop" in page
    assert checked_value(page, "e1__p") == "2"
    assert Response.objects.get().invitation is None


def test_another_shops_survey_link_is_not_found(english, shop_owner, other_shop, wave):
    theirs = invitation_of(wave, other_shop)
    client = english(shop_owner)

    shown = client.get(answer_url(theirs))
    posted = client.post(answer_url(theirs), full_form(wave))

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert 'data-error-code="survey_not_found"' in posted.content.decode()
    assert not Response.objects.exists()


# --- Rating a contact -------------------------------------------------------------------------


@pytest.fixture
def visit_rating(shop, account_manager):
    now = timezone.now()
    return CsatRating.objects.create(
        shop=shop,
        source=CsatRating.Source.VISIT,
        staff=account_manager,
        contact_at=now - datetime.timedelta(hours=3),
        invited_at=now - datetime.timedelta(hours=2),
        expires_at=now + datetime.timedelta(days=7),
    )


def rating_url(rating: CsatRating) -> str:
    return reverse("portal:rating", args=[rating.pk])


def test_the_list_offers_the_pending_rating(english, shop_owner, visit_rating):
    page = english(shop_owner).get(reverse("portal:surveys")).content.decode()

    assert rating_url(visit_rating) in page


def test_two_stars_without_a_reason_are_refused(english, shop_owner, visit_rating):
    response = english(shop_owner).post(rating_url(visit_rating), {"score": "2", "reason": ""})

    page = response.content.decode()
    assert response.status_code == 422
    assert "Tell us what went wrong: choose a reason." in page
    assert checked_value(page, "score") == "2"
    visit_rating.refresh_from_db()
    assert (visit_rating.score, visit_rating.rated_at) == (None, None)


def test_five_stars_are_stored_and_thanked_for(english, shop_owner, visit_rating):
    client = english(shop_owner)

    response = client.post(rating_url(visit_rating), {"score": "5", "comment": "很准时"})
    page = client.get(rating_url(visit_rating)).content.decode()

    assert response.status_code == 302
    visit_rating.refresh_from_db()
    assert (visit_rating.score, visit_rating.comment) == (5, "很准时")
    assert visit_rating.rated_at is not None
    assert "Thank you! Your rating:" in page and 'name="score"' not in page
    assert rating_url(visit_rating) in client.get(reverse("portal:surveys")).content.decode()


def test_a_different_second_rating_is_refused(english, shop_owner, visit_rating):
    client = english(shop_owner)
    client.post(rating_url(visit_rating), {"score": "4"})

    response = client.post(rating_url(visit_rating), {"score": "1", "reason": "slow"})

    assert response.status_code == 409
    assert "already been rated" in response.content.decode()
    visit_rating.refresh_from_db()
    assert (visit_rating.score, visit_rating.reason) == (4, "")


def test_an_expired_rating_is_refused(english, shop_owner, visit_rating):
    CsatRating.objects.filter(pk=visit_rating.pk).update(expires_at=timezone.now())

    response = english(shop_owner).post(rating_url(visit_rating), {"score": "5"})

    assert response.status_code == 409
    assert "The time to rate this contact has passed." in response.content.decode()
    visit_rating.refresh_from_db()
    assert visit_rating.score is None


def test_another_shops_rating_is_not_found(english, other_shop_owner, visit_rating):
    client = english(other_shop_owner)

    assert client.get(rating_url(visit_rating)).status_code == 404
    assert client.post(rating_url(visit_rating), {"score": "5"}).status_code == 404
    visit_rating.refresh_from_db()
    assert visit_rating.score is None


# --- Staff --------------------------------------------------------------------------------------


def test_staff_cannot_use_the_portal_survey_pages(
    english, account_manager, shop, wave, visit_rating
):
    client = english(account_manager)

    assert client.get(reverse("portal:surveys")).status_code == 403
    assert client.get(rating_url(visit_rating)).status_code == 403
    assert client.post(rating_url(visit_rating), {"score": "5"}).status_code == 403
    # The shop's survey link is not theirs (even for the account manager of that shop).
    assert client.get(answer_url(invitation_of(wave, shop))).status_code == 404
    assert client.post(answer_url(invitation_of(wave, shop)), full_form(wave)).status_code == 404
    visit_rating.refresh_from_db()
    assert visit_rating.score is None and not Response.objects.exists()
