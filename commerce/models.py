"""Orders, deliveries and payments mirrored from the ordering platform (read-mostly).

Loaded by import or by the integration API; shown to the shop. Amounts are in yuan with two
decimals; quantities are in cartons (条).
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Shop


class Product(models.Model):
    view_perm = "order_view"

    code = models.CharField(_("product code"), max_length=20, unique=True)
    brand = models.CharField(_("brand"), max_length=40)
    name = models.CharField(_("product name"), max_length=80)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["brand", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.brand} {self.name}"


class Order(models.Model):
    scope_path = "shop"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("order number"), max_length=24, unique=True)
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="orders"
    )
    ordered_on = models.DateField(_("order date"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED
    )
    total_quantity = models.PositiveIntegerField(_("total quantity"), default=0)
    total_amount = models.DecimalField(
        _("total amount"), max_digits=12, decimal_places=2, default=0
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ordered_on", "-id"]
        verbose_name = pgettext_lazy("purchase order", "order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["shop", "-ordered_on"]),
            models.Index(fields=["ordered_on"]),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    scope_path = "order__shop"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.order_id} · {self.product_id} × {self.quantity}"


class Delivery(models.Model):
    scope_path = "shop"

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="delivery")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    planned_at = models.DateTimeField(_("planned time"))
    delivered_at = models.DateTimeField(_("actual time"), null=True, blank=True)
    route_code = models.CharField(
        pgettext_lazy("delivery route", "route"), max_length=20, blank=True
    )
    driver_name = models.CharField(_("driver"), max_length=40, blank=True)

    class Meta:
        ordering = ["-planned_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["shop", "-planned_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.status}"


class Payment(models.Model):
    scope_path = "shop"

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payment status", "Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    class Method(models.TextChoices):
        BANK_DEDUCTION = "bank_deduction", _("Bank deduction")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        CASH = "cash", _("Cash")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["shop", "-id"])]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.amount} · {self.status}"
