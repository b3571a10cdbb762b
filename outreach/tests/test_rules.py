"""The delivery rules as arithmetic: consent, caps, channel order, quiet hours, backoff."""

from datetime import datetime, timedelta

from outreach import rules

LIMITS = rules.Limits()


def state(**kw) -> rules.ShopState:
    base = {
        "active": True,
        "channels": ("sms", "email"),
        "topics": frozenset({"marketing"}),
        "unsubscribed": frozenset(),
        "addresses": {"in_app": "7", "sms": "13800000000", "email": "a@example.com"},
    }
    return rules.ShopState(**(base | kw))


def test_service_notice_needs_no_opt_in_and_ignores_the_cap():
    shop = state(topics=frozenset(), sent_today=9, sent_week=20)
    plan = rules.plan("service", shop, LIMITS)
    assert plan.suppressed == ""
    assert [s.channel for s in plan.steps] == ["in_app", "sms"]


def test_other_topics_need_the_opt_in_to_that_topic():
    assert rules.plan("policy", state(), LIMITS).suppressed == "no_consent"
    assert rules.plan("marketing", state(), LIMITS).suppressed == ""


def test_cap_per_day_and_per_week():
    assert rules.plan("marketing", state(sent_today=1, sent_week=1), LIMITS).suppressed == ""
    assert rules.plan("marketing", state(sent_today=2, sent_week=2), LIMITS).suppressed == "capped"
    assert rules.plan("marketing", state(sent_today=0, sent_week=6), LIMITS).suppressed == "capped"


def test_closed_shop_gets_nothing_even_service():
    assert rules.plan("service", state(active=False), LIMITS).suppressed == "shop_closed"


def test_channels_skipped_in_order_with_their_reasons_up_to_the_first_usable():
    shop = state(
        channels=("wechat", "sms", "email", "wecom"),
        unsubscribed=frozenset({"sms"}),
        addresses={"in_app": "7", "sms": "1", "email": "a@example.com", "wechat": "oid"},
    )
    steps = rules.plan("marketing", shop, LIMITS).steps
    assert [(s.channel, s.reason) for s in steps] == [
        ("in_app", ""),
        ("wechat", "not_allowed"),  # template messages carry service notices only
        ("sms", "unsubscribed"),
        ("email", ""),
    ]
    assert [(s.channel, s.reason) for s in rules.plan("service", shop, LIMITS).steps] == [
        ("in_app", ""),
        ("wechat", ""),
    ]


def test_fallback_continues_after_the_failed_channel():
    steps = rules.push_steps("marketing", state(channels=("sms", "email")), after="sms")
    assert [(s.channel, s.reason, s.address) for s in steps] == [("email", "", "a@example.com")]
    assert rules.push_steps("marketing", state(channels=("sms", "email")), after="email") == ()


def test_no_owner_login_means_no_in_app_copy():
    shop = state(addresses={"in_app": "", "sms": "1"})
    assert rules.plan("marketing", shop, LIMITS).steps[0] == rules.Step("in_app", "no_address")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 8, hour, minute, tzinfo=rules.CHINA)


def test_quiet_hours_hold_ringing_channels_until_eight():
    assert rules.quiet_until("sms", at(21, 0), LIMITS) == at(8) + timedelta(days=1)
    assert rules.quiet_until("wecom", at(23, 59), LIMITS) == at(8) + timedelta(days=1)
    assert rules.quiet_until("wechat", at(7, 59), LIMITS) == at(8)
    assert rules.quiet_until("sms", at(8, 0), LIMITS) is None
    assert rules.quiet_until("sms", at(20, 59), LIMITS) is None
    # Silent channels go at once.
    assert rules.quiet_until("email", at(23), LIMITS) is None
    assert rules.quiet_until("in_app", at(3), LIMITS) is None


def test_quiet_window_inside_one_day():
    lunch = rules.Limits(quiet_start=at(12).time(), quiet_end=at(14).time())
    assert rules.quiet_until("sms", at(13), lunch) == at(14)
    assert rules.quiet_until("sms", at(15), lunch) is None


def test_backoff_doubles_and_is_capped():
    assert [rules.retry_after(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert rules.retry_after(20).total_seconds() == 3600
