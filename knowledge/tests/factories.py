"""Factories for knowledge entries; each entry starts at version 1 with its snapshot, as the
services would leave it."""

import factory

from knowledge.models import Category, Entry, EntryVersion
from knowledge.services.entries import snapshot_of


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entry
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"test-entry-{n:04d}")
    category = Category.ORDERING
    question = factory.Sequence(lambda n: f"测试问题{n}：订货截止时间是几点")
    phrasings = factory.LazyFunction(lambda: ["几点前要订货", "订货截止几点"])
    answer = "每周订货日当天16:00前提交订单。详见 https://example.com/order"
    tags = factory.LazyFunction(lambda: ["订货日"])
    status = Entry.Status.PUBLISHED
    version = 1

    @factory.post_generation
    def first_version(obj, create, extracted, **kwargs):
        if create:
            EntryVersion.objects.create(
                entry=obj, version=obj.version, snapshot=snapshot_of(obj), note="factory"
            )
