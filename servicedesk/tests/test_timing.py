"""Stage timing from events (pure): waiting vs working per stage, shop time apart."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from servicedesk.timing import Handover, StatusChange, SupportSpan, compute_timing

T0 = datetime.datetime(2025, 11, 24, 9, 0, tzinfo=datetime.UTC)


def wall(a, b):  # a calendar where every second counts keeps the arithmetic visible
    return int((b - a).total_seconds())


def m(minutes):
    return T0 + datetime.timedelta(minutes=minutes)


def test_each_status_lands_in_its_stage():
    timing = compute_timing(
        created_at=T0,
        status_changes=[
            StatusChange(m(10), "assigned"),
            StatusChange(m(30), "in_progress"),
            StatusChange(m(40), "waiting_on_shop"),
            StatusChange(m(100), "in_progress"),
            StatusChange(m(130), "resolved"),
            StatusChange(m(200), "closed"),
        ],
        assignments=[Handover(m(10), None, 1)],
        support=[],
        first_response_at=m(30),
        until=m(300),
        business_seconds=wall,
    )
    assert timing.dispatch_wait_s == 600
    assert timing.handling_wait_s == 1200
    assert timing.handling_work_s == 2400
    assert timing.shop_wait_s == 3600
    assert timing.confirm_wait_s == 4200
    assert timing.first_response_s == 1800
    assert timing.resolution_s == 600 + 1200 + 2400  # the shop's hour is not the staff's
    assert timing.handovers == 0
    assert timing.first_contact_resolution is False  # it had to ask the shop


def test_handover_reopen_and_support_break_first_contact_resolution():
    base = {
        "created_at": T0,
        "assignments": [Handover(m(0), None, 1)],
        "first_response_at": m(1),
        "until": m(100),
        "business_seconds": wall,
    }
    simple = [StatusChange(m(0), "assigned"), StatusChange(m(20), "resolved")]
    assert compute_timing(status_changes=simple, support=[], **base).first_contact_resolution
    with_support = compute_timing(
        status_changes=simple, support=[SupportSpan(m(5), m(8), m(15))], **base
    )
    assert not with_support.first_contact_resolution
    assert (with_support.support_wait_s, with_support.support_work_s) == (180, 420)
    handed = compute_timing(
        status_changes=simple,
        support=[],
        **base | {"assignments": [Handover(m(0), None, 1), Handover(m(5), 1, 2)]},
    )
    assert handed.handovers == 1 and not handed.first_contact_resolution
    reopened = compute_timing(
        status_changes=simple + [StatusChange(m(30), "assigned"), StatusChange(m(40), "resolved")],
        support=[],
        **base,
    )
    assert not reopened.first_contact_resolution
    assert reopened.resolution_s == 1200 + 600
    assert reopened.confirm_wait_s == 600 + 3600


def test_open_request_has_no_resolution_yet():
    timing = compute_timing(
        created_at=T0,
        status_changes=[StatusChange(m(5), "assigned")],
        assignments=[],
        support=[SupportSpan(m(6), None, None)],
        first_response_at=None,
        until=m(65),
        business_seconds=wall,
    )
    assert timing.resolution_s is None and timing.first_response_s is None
    assert timing.handling_wait_s == 3600 and timing.support_wait_s == 3540


@given(st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=12))
def test_stages_add_up_to_the_elapsed_time(gaps):
    statuses = ["assigned", "in_progress", "waiting_on_shop", "in_progress", "resolved", "assigned"]
    changes, t = [], 0
    for i, gap in enumerate(gaps):
        t += gap
        changes.append(StatusChange(m(t), statuses[i % len(statuses)]))
    until = m(t + 7)
    timing = compute_timing(
        created_at=T0,
        status_changes=changes,
        assignments=[],
        support=[],
        first_response_at=None,
        until=until,
        business_seconds=wall,
    )
    total = (
        timing.dispatch_wait_s
        + timing.handling_wait_s
        + timing.handling_work_s
        + timing.shop_wait_s
        + timing.confirm_wait_s
    )
    assert total == wall(T0, until)
