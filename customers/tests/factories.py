"""Factories for shops and territories; each shop gets its own grid unless told otherwise."""

import datetime
from decimal import Decimal

import factory

from customers.models import District, Grid, MarketType, Shop


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    market_type = MarketType.URBAN


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"G{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}网格")


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    licence_no = factory.Sequence(lambda n: f"340102{n:06d}")
    name = factory.Sequence(lambda n: f"测试便利店{n}")
    owner_name = "张三"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    address = "合肥市庐阳区长江中路1号"
    latitude = Decimal("31.820000")
    longitude = Decimal("117.230000")
    grid = factory.SubFactory(GridFactory)
    business_type = "convenience"
    market_type = MarketType.URBAN
    grade = 10
    star = 2
    segment = "ordinary"
    contact_channels = factory.LazyFunction(lambda: ["phone", "wechat"])
    opened_on = datetime.date(2020, 1, 1)
