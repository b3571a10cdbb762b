import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community.models import Article, ForumCategory, Topic


class ForumCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumCategory

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"经营交流{n}")
    description = "店主之间交流经营经验"


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    topic = Topic.DISPLAY
    title = factory.Sequence(lambda n: f"柜台陈列的几个要点{n}")
    summary = "按价位分区，明码标价。"
    body = "<p>按价位分区陈列，新品放在视线高度，价签清楚。</p>"
    author = factory.SubFactory(UserFactory, role="service_manager")
    status = Article.Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
