"""Process analysis: exact percentiles on hand-made timing rows, the slowest stage and its ECRS
hint, weekly buckets, filters and scope, and the page for the roles that may and may not see it."""

import datetime
import statistics

import pytest
from django.urls import reverse

from customers.tests.factories import DistrictFactory, GridFactory, ShopFactory
from flexserve.errors import Forbidden
from servicedesk import analysis
from servicedesk.models import RequestTiming, ServiceRequest, Status
from servicedesk.tests.conftest import MONDAY_9
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db

H = 3600
DAY = datetime.timedelta(days=1)
WEEK = MONDAY_9.date(), MONDAY_9.date() + 6 * DAY  # the ISO week 2025-W48
URL = reverse("console:request_analysis")


def finished(
    actor,
    shop,
    *,
    request_type="order_problem",
    at=MONDAY_9,
    status=Status.CLOSED,
    response_late=False,
    resolution_late=False,
    **timing,
) -> ServiceRequest:
    """A request made through intake, then marked finished with the given timing (seconds)."""
    request = make_request(actor, shop, request_type=request_type, at=at)
    ServiceRequest.objects.filter(pk=request.pk).update(
        status=status, response_breached=response_late, resolution_breached=resolution_late
    )
    timing.setdefault(
        "resolution_s",
        sum(timing.get(f, 0) for f in ("dispatch_wait_s", "handling_wait_s", "handling_work_s")),
    )
    RequestTiming.objects.create(
        request=request, request_type=request.request_type, created_at=at, **timing
    )
    return request


def summary_for(user, **filters) -> analysis.StageSummary:
    since, until = filters.pop("since", WEEK[0]), filters.pop("until", WEEK[1])
    return analysis.stage_summary(user, since=since, until=until, **filters)


# --- Percentiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values", [[7], [1, 2], [5, 1, 4, 2, 3], list(range(0, 1000, 7)), [3, 3, 3, 10]]
)
def test_percentile_matches_statistics_inclusive_quantiles(values):
    ordered = sorted(values)
    if len(ordered) > 1:
        deciles = statistics.quantiles(ordered, n=10, method="inclusive")
        assert analysis.percentile(ordered, 0.9) == pytest.approx(deciles[8])
    assert analysis.percentile(ordered, 0.5) == pytest.approx(statistics.median(ordered))


def test_percentile_of_nothing_is_none():
    assert analysis.percentile([], 0.5) is None
    assert analysis.Spread.of([None, None]) == analysis.Spread(None, None)


# --- Stage summary ------------------------------------------------------------------------------


def test_medians_p90s_and_the_slowest_stage(service_manager, shop):
    # Handling waits 1…5 h and works 1 h; dispatch 0.5 h; one request waits 10 h on support.
    for hours in (1, 2, 3, 4, 5):
        finished(
            service_manager,
            shop,
            dispatch_wait_s=H // 2,
            handling_wait_s=hours * H,
            handling_work_s=H,
            support_wait_s=10 * H if hours == 5 else 0,
            confirm_wait_s=20 * H,  # long, but after the fix: never the verdict
            first_response_s=hours * 600,
            handovers=1 if hours == 1 else 0,
            first_contact_resolution=hours <= 3,
        )
    summary = summary_for(service_manager)
    [order] = summary.types
    assert (order.code, order.count, order.few) == ("order_problem", 5, False)

    handling = order.stage("handling")
    assert (handling.wait.median_s, handling.wait.p90_s) == (3 * H, 4.6 * H)
    assert (handling.wait.median, handling.wait.p90) == (3.0, 4.6)
    assert (handling.work.median, handling.work.p90) == (1.0, 1.0)
    assert (handling.total.median, handling.total.p90) == (4.0, 5.6)
    assert handling.slowest and handling.share_pct == 100.0

    support = order.stage("support")
    assert (support.wait.median, support.wait.p90, support.share_pct) == (0.0, 6.0, 20.0)
    assert order.stage("dispatch").work is None
    assert not order.stage("confirmation").slowest

    assert order.resolution.median == 4.5  # 0.5 + 3 + 1
    assert order.first_response.median_s == 1800
    assert order.handovers_per_request == 0.2
    assert order.fcr_pct == 60.0
    assert order.slowest.stage == "handling" and order.slowest.part == "waiting"
    assert order.slowest.principle_code == "rearrange"
    assert summary.overall.count == 5 and summary.overall.slowest.stage == "handling"


def test_processing_heavier_than_waiting_suggests_simplify(service_manager, shop):
    for _ in range(5):
        finished(service_manager, shop, handling_wait_s=H, handling_work_s=3 * H)
    verdict = summary_for(service_manager).types[0].slowest
    assert (verdict.stage, verdict.part, verdict.principle_code) == (
        "handling",
        "processing",
        "simplify",
    )


def test_dispatch_and_shop_waiting_verdicts(service_manager, shop):
    for _ in range(5):
        finished(service_manager, shop, request_type="delivery_late", dispatch_wait_s=5 * H)
        finished(service_manager, shop, request_type="payment_failed", shop_wait_s=8 * H)
    by_code = {t.code: t.slowest for t in summary_for(service_manager).types}
    assert (by_code["delivery_late"].stage, by_code["delivery_late"].principle_code) == (
        "dispatch",
        "combine",
    )
    assert (by_code["payment_failed"].stage, by_code["payment_failed"].principle_code) == (
        "shop",
        "eliminate",
    )


def test_ties_on_the_median_are_broken_by_the_p90(service_manager, shop):
    # Every median is zero; support has the longest tail.
    for i in range(10):
        finished(
            service_manager,
            shop,
            support_wait_s=9 * H if i == 9 else 0,
            dispatch_wait_s=2 * H if i == 9 else 0,
        )
    assert summary_for(service_manager).types[0].slowest.stage == "support"


def test_few_requests_get_no_verdict_and_sort_last(service_manager, shop):
    for _ in range(5):
        finished(service_manager, shop, handling_wait_s=H)
    for _ in range(2):
        finished(service_manager, shop, request_type="complaint", handling_wait_s=50 * H)
    types = summary_for(service_manager).types
    assert [t.code for t in types] == ["order_problem", "complaint"]
    assert types[1].few and types[1].slowest is None


def test_confirmation_counts_closed_requests_only(service_manager, shop):
    finished(service_manager, shop, confirm_wait_s=4 * H)
    finished(service_manager, shop, confirm_wait_s=6 * H)
    finished(service_manager, shop, status=Status.RESOLVED)  # still waiting: not counted
    confirmation = summary_for(service_manager).overall.stage("confirmation")
    assert (confirmation.counted, confirmation.wait.median) == (2, 5.0)


def test_late_shares(service_manager, shop):
    finished(service_manager, shop, response_late=True, resolution_late=True)
    finished(service_manager, shop, resolution_late=True)
    finished(service_manager, shop)
    finished(service_manager, shop)
    overall = summary_for(service_manager).overall
    assert (overall.response_late_pct, overall.resolution_late_pct) == (25.0, 50.0)


def test_open_requests_are_not_counted(service_manager, shop):
    finished(service_manager, shop, handling_wait_s=H)
    finished(service_manager, shop, status=Status.ASSIGNED, handling_wait_s=99 * H)  # reopened
    make_request(service_manager, shop)  # open, no timing row at all
    assert summary_for(service_manager).overall.count == 1


def test_no_rows_give_an_empty_summary(service_manager):
    summary = summary_for(service_manager)
    assert summary.types == [] and summary.overall.count == 0
    assert summary.overall.resolution.median is None and summary.overall.slowest is None


# --- Filters ------------------------------------------------------------------------------------


def test_date_range_includes_both_days_in_local_time(service_manager, shop):
    finished(service_manager, shop, at=MONDAY_9 - datetime.timedelta(hours=9, minutes=1))  # Sun
    finished(service_manager, shop, at=MONDAY_9 - datetime.timedelta(hours=9))  # Mon 00:00
    finished(service_manager, shop, at=MONDAY_9 + 6 * DAY + datetime.timedelta(hours=14))  # Sun 23h
    finished(service_manager, shop, at=MONDAY_9 + 7 * DAY)  # next Monday
    assert summary_for(service_manager).overall.count == 2


def test_filters_by_type_class_and_district(service_manager):
    district = DistrictFactory()
    core = ShopFactory(segment="core", grid=GridFactory(district=district))
    ordinary = ShopFactory(segment="ordinary")
    finished(service_manager, core, request_type="complaint")
    finished(service_manager, core)
    finished(service_manager, ordinary)
    assert summary_for(service_manager, request_type="complaint").overall.count == 1
    assert summary_for(service_manager, segment="core").overall.count == 2
    assert summary_for(service_manager, segment="ordinary").overall.count == 1
    assert summary_for(service_manager, district_id=district.pk).overall.count == 2
    assert (
        summary_for(
            service_manager, district_id=district.pk, request_type="complaint"
        ).overall.count
        == 1
    )


# --- Weekly trend and where the time goes -------------------------------------------------------


def test_weekly_buckets_include_empty_weeks(service_manager, shop):
    finished(service_manager, shop, handling_work_s=2 * H)
    finished(service_manager, shop, handling_work_s=4 * H)
    finished(service_manager, shop, at=MONDAY_9 + 14 * DAY, handling_wait_s=H, handling_work_s=H)
    weeks = analysis.weekly_trend(service_manager, since=WEEK[0], until=WEEK[0] + 15 * DAY)
    assert [w.label for w in weeks] == ["2025-W48", "2025-W49", "2025-W50"]
    assert [w.start for w in weeks] == [WEEK[0], WEEK[0] + 7 * DAY, WEEK[0] + 14 * DAY]
    assert [w.count for w in weeks] == [2, 0, 1]
    assert weeks[0].resolution.median == 3.0 and weeks[0].resolution.p90 == 3.8
    assert weeks[1].resolution.median is None
    handling = weeks[2].stages["handling"]
    assert (handling.wait.median, handling.work.median, handling.total.median) == (1.0, 1.0, 2.0)
    assert weeks[2].stages["dispatch"].work is None


def test_time_split_adds_up_business_time(service_manager, shop):
    finished(
        service_manager,
        shop,
        dispatch_wait_s=H,
        handling_wait_s=H,
        handling_work_s=2 * H,
        support_wait_s=H,
        support_work_s=H,
        shop_wait_s=2 * H,
        confirm_wait_s=0,
    )
    parts = {
        p.code: (p.hours, p.pct)
        for p in analysis.time_split(service_manager, since=WEEK[0], until=WEEK[1])
    }
    assert parts == {
        "staff_waiting": (2.0, 25.0),
        "staff_working": (2.0, 25.0),
        "support": (2.0, 25.0),
        "shop_waiting": (2.0, 25.0),
        "confirmation": (0.0, 0.0),
    }


def test_one_read_whatever_the_number_of_rows(service_manager, shop, django_assert_max_num_queries):
    for request_type in ("order_problem", "complaint", "delivery_late"):
        for _ in range(3):
            finished(service_manager, shop, request_type=request_type, handling_wait_s=H)
    with django_assert_max_num_queries(2):  # the rows, the type names
        result = analysis.process_analysis(service_manager, since=WEEK[0], until=WEEK[1])
    assert result.summary.overall.count == 9 and len(result.weeks) == 1


# --- Scope and permission -----------------------------------------------------------------------


def test_dispatcher_sees_the_whole_company(dispatcher, service_manager, shop, other_shop):
    finished(service_manager, shop)
    finished(service_manager, other_shop)
    assert summary_for(dispatcher).overall.count == 2


@pytest.mark.parametrize("role", ["account_manager", "shop_owner"])
def test_roles_without_analysis_are_refused(role, request):
    user = request.getfixturevalue(role)
    with pytest.raises(Forbidden):
        summary_for(user)


@pytest.mark.parametrize("role", ["account_manager", "shop_owner"])
def test_page_is_forbidden_to_other_roles(role, request, client_for):
    response = client_for(request.getfixturevalue(role)).get(URL)
    assert response.status_code == 403


def test_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The page -----------------------------------------------------------------------------------


def test_page_renders_with_data(service_manager, dispatcher, shop, client_for):
    for hours in (1, 2, 3, 4, 5):
        finished(service_manager, shop, at=MONDAY_9, handling_wait_s=hours * H)
    query = {"since": WEEK[0].isoformat(), "until": WEEK[1].isoformat()}
    response = client_for(dispatcher).get(URL, query)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="analysis-data"' in body and 'data-analysis-chart="stages"' in body
    assert 'data-verdict="handling"' in body
    chart = response.context["chart_data"]
    [view] = chart["stages"]  # one type: no "all types" view beside it
    handling = view["rows"][1]
    assert (handling["wait"], handling["p90"], handling["slowest"]) == (3.0, 4.6, True)
    assert chart["trend"]["count"] == [5]
    assert response.context["overall"].count == 5


def test_page_renders_an_empty_state(service_manager, client_for):
    response = client_for(service_manager).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-empty" in body and 'id="analysis-data"' not in body
    # The default range: the last 12 ISO weeks, this one included.
    result = response.context["result"]
    assert (result.since, result.until) == analysis.default_range()
    assert result.since.weekday() == 0 and len(result.weeks) == 12


def test_htmx_gets_only_the_results(service_manager, client_for):
    query = {"since": "2025-11-24", "until": "2025-11-30", "type": "", "segment": "core"}
    response = client_for(service_manager).get(URL, query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and b"data-empty" in response.content
    assert "HX-Request" in response["Vary"]
    assert response["HX-Push-Url"] == f"{URL}?since=2025-11-24&until=2025-11-30&segment=core"


def test_bad_filters_fall_back_to_the_default_range(service_manager, client_for):
    response = client_for(service_manager).get(
        URL, {"since": "2025-12-01", "until": "2025-11-01", "district": "abc"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["result"].since == analysis.default_range()[0]
    assert b"alert-error" in response.content


@pytest.mark.parametrize(
    ("language", "name"), [("en", "Ordering problem"), ("zh-hans", "订货问题")]
)
def test_chart_labels_follow_the_page_language(language, name, service_manager, shop, client_for):
    for _ in range(5):
        finished(service_manager, shop, handling_wait_s=H)
    client = client_for(service_manager)
    client.cookies["django_language"] = language
    response = client.get(URL, {"since": WEEK[0].isoformat(), "until": WEEK[1].isoformat()})
    assert response.context["chart_data"]["stages"][0]["name"] == name
    assert response.context["form"].fields["type"].choices[1][1] == name


# --- The slowest stage and the chart agree (issue 13) -------------------------------------------


def test_slowest_stage_is_the_longest_chart_bar_not_the_longest_median_total(
    service_manager, dispatcher, shop, client_for
):
    """Handling's median total is 10 h but its median waiting and median processing are both 0:
    its bar is empty. Support waits 3 h every time: the longest bar, so the slowest stage."""
    for wait, work in ((0, 10), (0, 10), (0, 0), (10, 0), (10, 0)):
        finished(
            service_manager,
            shop,
            handling_wait_s=wait * H,
            handling_work_s=work * H,
            support_wait_s=3 * H,
            confirm_wait_s=50 * H,  # the longest of all, but after the fix: not compared
        )
    [order] = summary_for(service_manager).types
    assert order.stage("handling").total.median == 10.0
    assert order.slowest.stage == "support"

    query = {"since": WEEK[0].isoformat(), "until": WEEK[1].isoformat()}
    response = client_for(dispatcher).get(URL, query)
    [view] = response.context["chart_data"]["stages"]
    bars = {row["stage"]: row["wait"] + (row["work"] or 0) for row in view["rows"]}
    [slowest] = [row["stage"] for row in view["rows"] if row["slowest"]]
    assert max(bars, key=bars.get) == slowest
    assert "确认" not in bars  # confirmation is not compared, so not drawn
    assert 'data-verdict="support"' in response.content.decode()


def test_verdict_names_the_medians_it_ranks_by(service_manager, dispatcher, shop, client_for):
    for _ in range(5):
        finished(service_manager, shop, handling_wait_s=H, handling_work_s=3 * H)
    query = {"since": WEEK[0].isoformat(), "until": WEEK[1].isoformat()}
    body = client_for(dispatcher).get(URL, query).content.decode()
    assert "最慢环节：负责人处理（等待中位数 1.0 小时 + 处理中位数 3.0 小时）" in body
    assert "处理（处理）" not in body
