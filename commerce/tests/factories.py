import datetime
from decimal import Decimal

import factory

from commerce.models import Delivery, Order, OrderLine, Payment, Product
from customers.tests.factories import ShopFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:05d}")
    brand = "黄山"
    name = factory.Sequence(lambda n: f"测试规格{n}")
    unit_price = Decimal("150.00")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"DD2026{n:08d}")
    shop = factory.SubFactory(ShopFactory)
    ordered_on = datetime.date(2026, 11, 2)
    total_quantity = 10
    total_amount = Decimal("1500.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 10
    unit_price = Decimal("150.00")
    amount = Decimal("1500.00")


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    status = Delivery.Status.DELIVERED
    planned_at = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC)
    delivered_at = datetime.datetime(2026, 11, 3, 10, 20, tzinfo=datetime.UTC)
    route_code = "R01"


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    amount = Decimal("1500.00")
    method = Payment.Method.BANK_DEDUCTION
    status = Payment.Status.SUCCEEDED
