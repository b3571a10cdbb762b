"""The order history: totals add up, each order has a delivery and a payment, dates make sense."""

import datetime

import pytest
from django.db.models import Count, F, Q, Sum

from commerce.models import Delivery, Order, Payment
from demo.tests.helpers import UNTIL_DATE, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city():
    seed(shops=60, staff=6, weeks=3)


def test_three_weeks_of_orders_exist(small_city):
    assert Order.objects.count() > 60 * 3 // 2


def test_every_orders_totals_equal_the_sum_of_its_lines(small_city):
    orders = Order.objects.annotate(qty=Sum("lines__quantity"), amount=Sum("lines__amount"))
    assert not orders.exclude(total_quantity=F("qty")).exists()
    assert not orders.exclude(total_amount=F("amount")).exists()


def test_orders_have_two_to_six_lines_of_distinct_products(small_city):
    counts = Order.objects.annotate(
        n=Count("lines"), products=Count("lines__product", distinct=True)
    )
    assert not counts.filter(Q(n__lt=2) | Q(n__gt=6)).exists()
    assert not counts.exclude(n=F("products")).exists()


def test_order_numbers_carry_the_order_date(small_city):
    for number, ordered_on in Order.objects.values_list("number", "ordered_on"):
        assert number.startswith(f"DD{ordered_on:%Y%m%d}") and len(number) == 16


def test_orders_fall_within_the_history_and_on_working_days(small_city):
    dates = set(Order.objects.values_list("ordered_on", flat=True))
    assert min(dates) >= UNTIL_DATE - datetime.timedelta(weeks=3)
    assert max(dates) <= UNTIL_DATE
    assert all(d.weekday() < 5 for d in dates)


def test_no_shop_orders_before_it_opened_or_after_it_closed(small_city):
    assert not Order.objects.filter(ordered_on__lt=F("shop__opened_on")).exists()
    assert not Order.objects.filter(ordered_on__gte=F("shop__closed_on")).exists()


def test_every_order_has_one_delivery_to_its_shop(small_city):
    assert Delivery.objects.count() == Order.objects.count()
    assert not Delivery.objects.exclude(shop=F("order__shop")).exists()


def test_deliveries_done_have_a_time_and_the_others_none(small_city):
    assert not Delivery.objects.filter(status="delivered", delivered_at__isnull=True).exists()
    assert (
        not Delivery.objects.exclude(status="delivered").filter(delivered_at__isnull=False).exists()
    )


def test_every_order_is_paid_once_and_failed_deductions_are_retried(small_city):
    paid = Payment.objects.exclude(status="failed").values("order").annotate(n=Count("id"))
    assert paid.count() == Order.objects.count()
    assert not paid.filter(n__gt=1).exists()
    assert not Payment.objects.filter(status="failed", failure_reason="").exists()
    assert not Payment.objects.exclude(amount=F("order__total_amount")).exists()
