"""Satisfaction after each contact: invited after resolved requests, rated once, own shop only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flexserve.errors import Invalid, NotFound
from quality import selectors
from quality.errors import AlreadyRated, RatingExpired
from quality.models import CsatRating
from quality.services import csat
from servicedesk.services import request_assign, request_transition
from servicedesk.tests.factories import make_request


def resolved_request(shop_owner, dispatcher, shop, *, hours_ago: float = 2.0):
    """A request of the shop, handed to the dispatcher, who resolves it ``hours_ago``."""
    request = make_request(shop_owner, shop)
    when = timezone.now() - timedelta(hours=hours_ago)
    request_assign(
        actor=dispatcher, request_id=request.pk, assignee_id=dispatcher.pk, reason="接手", at=when
    )
    request_transition(
        actor=dispatcher, request_id=request.pk, action="resolve", note="已处理", at=when
    )
    request.refresh_from_db()
    return request


def test_a_resolved_request_invites_one_rating_credited_to_the_resolver(
    shop, shop_owner, dispatcher
):
    request = resolved_request(shop_owner, dispatcher, shop)
    assert csat.invite_due_ratings() == 1
    rating = CsatRating.objects.get()
    assert rating.request_id == request.pk and rating.shop_id == shop.pk
    assert rating.staff_id == dispatcher.pk
    assert rating.expires_at - rating.invited_at == csat.EXPIRY
    assert csat.invite_due_ratings() == 0  # idempotent: a second sweep invites nothing


def test_no_invitation_before_the_delay_nor_twice_in_seven_days(shop, shop_owner, dispatcher):
    resolved_request(shop_owner, dispatcher, shop, hours_ago=0.2)
    assert csat.invite_due_ratings() == 0  # within the hour after resolving
    resolved_request(shop_owner, dispatcher, shop, hours_ago=3)
    resolved_request(shop_owner, dispatcher, shop, hours_ago=2)
    assert csat.invite_due_ratings() == 1  # one per shop per 7 days
    later = timezone.now() + timedelta(hours=2)
    assert csat.invite_due_ratings(now=later) == 0


def make_rating(shop, **extra) -> CsatRating:
    now = timezone.now()
    fields = {
        "shop": shop,
        "source": CsatRating.Source.VISIT,
        "contact_at": now - timedelta(hours=2),
        "invited_at": now - timedelta(hours=1),
        "expires_at": now + timedelta(days=6),
    } | extra
    return CsatRating.objects.create(**fields)


def test_a_low_rating_needs_a_reason_and_bad_input_changes_nothing(shop, shop_owner):
    rating = make_rating(shop)
    for score, reason in [(0, ""), (6, ""), ("x", ""), (2, ""), (2, "bored")]:
        with pytest.raises(Invalid):
            csat.csat_rate(actor=shop_owner, rating_id=rating.pk, score=score, reason=reason)
    rating.refresh_from_db()
    assert rating.score is None and rating.rated_at is None
    csat.csat_rate(
        actor=shop_owner, rating_id=rating.pk, score=2, reason="slow", comment="等了三天"
    )
    rating.refresh_from_db()
    assert (rating.score, rating.reason, rating.comment) == (2, "slow", "等了三天")


def test_a_rating_is_given_once(shop, shop_owner):
    rating = make_rating(shop)
    csat.csat_rate(actor=shop_owner, rating_id=rating.pk, score=5)
    assert csat.csat_rate(actor=shop_owner, rating_id=rating.pk, score=5).score == 5  # a replay
    with pytest.raises(AlreadyRated):
        csat.csat_rate(actor=shop_owner, rating_id=rating.pk, score=1, reason="slow")
    rating.refresh_from_db()
    assert rating.score == 5


def test_an_expired_invitation_cannot_be_rated(shop, shop_owner):
    rating = make_rating(shop, expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(RatingExpired):
        csat.csat_rate(actor=shop_owner, rating_id=rating.pk, score=4)


def test_a_shop_rates_and_sees_only_its_own(shop, shop_owner, other_shop, other_shop_owner):
    theirs = make_rating(other_shop)
    make_rating(shop)
    with pytest.raises(NotFound):
        csat.csat_rate(actor=shop_owner, rating_id=theirs.pk, score=5)
    assert [r.shop_id for r in selectors.pending_ratings(user=shop_owner)] == [shop.pk]


def test_csat_is_the_share_of_four_and_five_with_groups_under_five_hidden(
    shop, service_manager, account_manager
):
    now = timezone.now()
    for score in [5, 4, 4, 3, 2, 5, 1, 4]:
        make_rating(shop, score=score, rated_at=now, staff=account_manager)
    make_rating(shop, staff=service_manager)  # invited, not rated
    make_rating(shop, score=5, rated_at=now, staff=service_manager)
    summary = selectors.csat_summary(
        user=service_manager,
        since=now - timedelta(days=1),
        until=now + timedelta(days=1),
        group_by="staff",
    )
    overall = summary["overall"]
    assert (overall["invited"], overall["rated"]) == (10, 9)
    assert overall["csat"] == pytest.approx(6 / 9)  # shares are fractions
    mine = summary["groups"][account_manager.pk]
    assert mine["csat"] == pytest.approx(0.625)
    assert (round(100 * mine["low"], 1), round(100 * mine["high"], 1)) == (30.6, 86.3)
    assert summary["groups"][service_manager.pk] == {"invited": 2, "rated": 1, "suppressed": True}
