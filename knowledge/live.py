"""Answers from the asking shop's own records: orders, deliveries, payments, account manager.

``engines.qa.intents.recognize`` says which record a question is about and for which period;
this module reads it through the commerce selectors *as the asking user*, so policy scoping
applies on top of the explicit shop filter: a shop owner can only ever read their own shop.
Every answer links to the record it read.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import User
from commerce import selectors as commerce
from commerce.models import Delivery, Order, Payment
from customers.models import Shop
from engines.qa.intents import Intent, LiveQuestion
from engines.qa.timeexpr import Period


@dataclass
class LiveAnswer:
    text: str
    links: list[dict[str, str]] = field(default_factory=list)


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _then(text: str, sentence: str) -> str:
    """Two sentences: Chinese ones follow each other without a space."""
    return f"{text}{sentence}" if text.endswith(("。", "：", "）")) else f"{text} {sentence}"


def _money(amount: Decimal | None) -> str:
    return f"¥{(amount or Decimal(0)):,.2f}"


def _period_text(period: Period) -> str:
    if period.start == period.end:
        return f"{period.label}（{_day(period.start)}）"
    return f"{period.label}（{_day(period.start)}–{_day(period.end)}）"


def _in_period(qs, field_name: str, period: Period | None):
    if period is None:
        return qs
    if field_name.endswith("_on"):
        return qs.filter(**{f"{field_name}__range": (period.start, period.end)})
    return qs.filter(**{f"{field_name}__date__range": (period.start, period.end)})


def _order_link(order: Order) -> dict[str, str]:
    return {
        "label": _("Order %(number)s") % {"number": order.number},
        "url": reverse("portal:order_detail", args=[order.pk]),
    }


def _orders_link() -> dict[str, str]:
    return {"label": _("My orders"), "url": reverse("portal:orders")}


def _orders(user: User, shop: Shop):
    return commerce.order_list(user=user).filter(shop=shop)


def order_status(user: User, shop: Shop, period: Period | None) -> LiveAnswer:
    order = (
        _in_period(_orders(user, shop), "ordered_on", period)
        .select_related("delivery")
        .order_by("-ordered_on", "-id")
        .first()
    )
    if order is None:
        where = _period_text(period) if period else ""
        return LiveAnswer(
            _("No order of yours was found %(when)s.") % {"when": where}, [_orders_link()]
        )
    delivery = getattr(order, "delivery", None)
    facts = {
        "number": order.number,
        "day": _day(order.ordered_on),
        "qty": order.total_quantity,
        "amount": _money(order.total_amount),
        "status": order.get_status_display(),
    }
    if delivery is not None and delivery.status == Delivery.Status.DELIVERED:
        text = _("Your order %(number)s of %(day)s: %(qty)s cartons, %(amount)s.") % facts
    else:
        text = (
            _("Your order %(number)s of %(day)s: %(qty)s cartons, %(amount)s, %(status)s.") % facts
        )
    if delivery is not None:
        text = _then(text, _delivery_sentence(delivery))
    return LiveAnswer(text, [_order_link(order)])


def _delivery_sentence(delivery: Delivery) -> str:
    if delivery.status == Delivery.Status.DELIVERED and delivery.delivered_at:
        return _("Delivered at %(time)s.") % {"time": _day(delivery.delivered_at)}
    if delivery.status == Delivery.Status.FAILED:
        return _(
            "The delivery planned for %(time)s failed; your account manager will arrange it again."
        ) % {"time": _day(delivery.planned_at)}
    sentence = _("Delivery planned for %(time)s (%(status)s).") % {
        "time": _day(delivery.planned_at),
        "status": delivery.get_status_display(),
    }
    if delivery.driver_name:
        sentence = _then(sentence, _("Driver: %(name)s.") % {"name": delivery.driver_name})
    return sentence


def order_volume(user: User, shop: Shop, period: Period | None, today: date) -> LiveAnswer:
    if period is None:  # "订了多少" without a time: this month so far
        period = Period(today.replace(day=1), today, _("this month"))
    figures = (
        _in_period(_orders(user, shop), "ordered_on", period)
        .exclude(status=Order.Status.CANCELLED)
        .aggregate(n=Count("pk"), qty=Sum("total_quantity"), amount=Sum("total_amount"))
    )
    if not figures["n"]:
        text = _("You placed no order %(when)s.") % {"when": _period_text(period)}
    else:
        text = _("%(when)s you ordered %(n)s times: %(qty)s cartons in all, %(amount)s.") % {
            "when": _period_text(period),
            "n": figures["n"],
            "qty": figures["qty"] or 0,
            "amount": _money(figures["amount"]),
        }
    return LiveAnswer(text, [_orders_link()])


def _deliveries(user: User, shop: Shop):
    return commerce.delivery_list(user=user).filter(shop=shop).select_related("order")


def delivery_next(user: User, shop: Shop, period: Period | None) -> LiveAnswer:
    upcoming = _deliveries(user, shop).filter(
        status__in=[Delivery.Status.PLANNED, Delivery.Status.IN_TRANSIT]
    )
    if period is not None:
        upcoming = _in_period(upcoming, "planned_at", period)
    delivery = upcoming.order_by("planned_at").first()
    if delivery is None:
        when = _period_text(period) if period else ""
        return LiveAnswer(
            _(
                "No delivery is planned for you %(when)s. Deliveries are planned after an "
                "order is confirmed."
            )
            % {"when": when},
            [_orders_link()],
        )
    text = _("Next delivery: %(time)s, order %(number)s (%(status)s).") % {
        "time": _day(delivery.planned_at),
        "number": delivery.order.number,
        "status": delivery.get_status_display(),
    }
    if delivery.driver_name:
        text = _then(text, _("Driver: %(name)s.") % {"name": delivery.driver_name})
    return LiveAnswer(text, [_order_link(delivery.order)])


def delivery_status(user: User, shop: Shop, period: Period | None) -> LiveAnswer:
    deliveries = _in_period(_deliveries(user, shop), "planned_at", period)
    delivery = deliveries.filter(planned_at__lte=timezone.now()).order_by("-planned_at").first()
    delivery = delivery or deliveries.order_by("-planned_at").first()
    if delivery is None:
        when = _period_text(period) if period else ""
        return LiveAnswer(
            _("No delivery of yours was found %(when)s.") % {"when": when}, [_orders_link()]
        )
    text = _("Order %(number)s: ") % {"number": delivery.order.number} + _delivery_sentence(
        delivery
    )
    if delivery.status == Delivery.Status.DELIVERED and delivery.driver_name:
        text = _then(text, _("Driver: %(name)s.") % {"name": delivery.driver_name})
    return LiveAnswer(text, [_order_link(delivery.order)])


def payment_status(user: User, shop: Shop, period: Period | None) -> LiveAnswer:
    payments = commerce.payment_list(user=user).filter(shop=shop).select_related("order")
    if period is not None:
        in_period = _in_period(payments, "paid_at", period) | payments.filter(
            paid_at__isnull=True, order__ordered_on__range=(period.start, period.end)
        )
        figures = in_period.aggregate(
            n=Count("pk"),
            amount=Sum("amount", filter=Q(status=Payment.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status=Payment.Status.FAILED)),
        )
        if not figures["n"]:
            return LiveAnswer(
                _("No payment of yours was found %(when)s.") % {"when": _period_text(period)},
                [_orders_link()],
            )
        text = _(
            "%(when)s: %(n)s payments, %(amount)s deducted successfully, %(failed)s failed."
        ) % {
            "when": _period_text(period),
            "n": figures["n"],
            "amount": _money(figures["amount"]),
            "failed": figures["failed"],
        }
        latest = in_period.order_by("-id").first()
        return LiveAnswer(text, [_order_link(latest.order)])
    payment = payments.order_by("-id").first()
    if payment is None:
        return LiveAnswer(_("No payment of yours was found."), [_orders_link()])
    text = _("Your last payment, %(amount)s by %(method)s for order %(number)s: %(status)s.") % {
        "amount": _money(payment.amount),
        "method": payment.get_method_display(),
        "number": payment.order.number,
        "status": payment.get_status_display(),
    }
    if payment.paid_at:
        text = _then(text, _("Paid at %(time)s.") % {"time": _day(payment.paid_at)})
    if payment.status == Payment.Status.FAILED:
        reason = payment.failure_reason or _("not given")
        text = _then(
            text,
            _("Reason: %(reason)s. Top up the account; the deduction is retried automatically.")
            % {"reason": reason},
        )
    return LiveAnswer(text, [_order_link(payment.order)])


def account_manager(shop: Shop) -> LiveAnswer:
    manager = shop.account_manager
    if manager is None:
        return LiveAnswer(
            _("No account manager is assigned to your shop yet; the service hotline helps you."),
            [],
        )
    text = _("Your account manager is %(name)s.") % {"name": manager.full_name or manager.username}
    if manager.phone:
        text = _then(text, _("Phone: %(phone)s.") % {"phone": manager.phone})
    return LiveAnswer(text, [])


def answer(user: User, shop: Shop, question: LiveQuestion, today: date) -> LiveAnswer:
    """Answer ``question`` for ``shop``, reading as ``user`` (who must be that shop's owner)."""
    intent, period = question.intent, question.period
    if intent == Intent.ORDER_STATUS:
        return order_status(user, shop, period)
    if intent == Intent.ORDER_VOLUME:
        return order_volume(user, shop, period, today)
    if intent == Intent.DELIVERY_NEXT:
        return delivery_next(user, shop, period)
    if intent == Intent.DELIVERY_STATUS:
        return delivery_status(user, shop, period)
    if intent == Intent.PAYMENT_STATUS:
        return payment_status(user, shop, period)
    if intent == Intent.ACCOUNT_MANAGER:
        return account_manager(shop)
    raise ValueError(f"unknown intent {intent!r}")
