"""The demo city's messages: preferences for most shops with their consent records, four
templates, two campaigns sent through the delivery rules with final statuses, the demo shop
owners' in-app box; the same seed the same rows, and a reset clears them."""

import pytest
from django.db import transaction
from django.db.models import Count, Q

from accounts.models import Role, User
from customers.models import Shop
from demo import city as demo_city
from demo import outreach
from demo.tests.helpers import seed
from outreach.models import (
    Campaign,
    Channel,
    ConsentRecord,
    ContactPreference,
    Delivery,
    Message,
    Template,
)

CITY = {"shops": 300, "staff": 6, "weeks": 0, "request_weeks": 0, "chat_weeks": 0}
SMALL = {"shops": 60, "staff": 5, "weeks": 0, "request_weeks": 0, "chat_weeks": 0}
S = Delivery.Status
TOPICS = ("policy", "community", "marketing")


@pytest.fixture(scope="class")
def city(django_db_setup, django_db_blocker):
    """A 300-shop city with its messages, rolled back after the class."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = seed(visit_weeks=0, **CITY)
        yield out
        transaction.set_rollback(True)


def _demo_owners() -> list[User]:
    names = [x.username for x in demo_city.demo_logins() if x.role == Role.SHOP_OWNER]
    return list(User.objects.filter(username__in=names))


@pytest.mark.django_db
@pytest.mark.usefixtures("city")
class TestDemoOutreach:
    def test_progress_and_phase_are_printed(self, city):
        assert "outreach preferences" in city and "outreach deliveries" in city
        assert "outreach " in city.split("Time per stage:")[1].splitlines()[0]

    def test_most_shops_have_a_preference_with_its_import_record(self):
        shops = Shop.objects.count()
        preferences = ContactPreference.objects.count()
        assert 0.8 * shops <= preferences <= 0.95 * shops
        imported = ConsentRecord.objects.filter(source=ConsentRecord.Source.IMPORT)
        assert imported.count() == preferences
        assert set(imported.values_list("shop", flat=True)) == set(
            ContactPreference.objects.values_list("shop", flat=True)
        )
        assert not imported.filter(wording="").exists()

    def test_channel_orders_topics_and_addresses_are_mixed(self):
        rows = list(ContactPreference.objects.values_list("channels", "topics", "email"))
        orders = {tuple(channels) for channels, _, _ in rows}
        assert {("sms", "email"), ("wechat", "sms"), ("email",), ()} <= orders
        share = {t: sum(t in topics for _, topics, _ in rows) / len(rows) for t in TOPICS}
        assert 0.45 < share["policy"] < 0.75 and 0.28 < share["community"] < 0.52
        assert 0.14 < share["marketing"] < 0.36
        emails = [email for _, _, email in rows if email]
        assert 0.4 * len(rows) < len(emails) < 0.85 * len(rows)
        assert all(e.startswith("shop") and e.endswith("@example.com") for e in emails)
        for channels, _topics, email in rows:
            assert "email" not in channels or email  # a shop ordering e-mail gave its address

    def test_four_templates_and_two_finished_campaigns(self):
        assert set(Template.objects.values_list("name", "topic")) == {
            ("政策通知", "policy"),
            ("新品上市", "marketing"),
            ("陈列经验", "community"),
            ("订单送达", "service"),
        }
        campaigns = Campaign.objects.all()
        assert campaigns.count() == 2 and not campaigns.exclude(status=Campaign.Status.DONE)
        for campaign in campaigns:
            message = campaign.messages.get()
            assert message.state == Message.State.OUT and message.audience_size > 0
            shops = message.deliveries.values("shop").distinct().count()
            assert shops == message.audience_size

    def test_deliveries_follow_the_rules_with_final_statuses(self):
        deliveries = Delivery.objects.filter(message__campaign__isnull=False)
        statuses = set(deliveries.values_list("status", flat=True))
        assert {S.DELIVERED, S.READ, S.CLICKED, S.SUPPRESSED, S.FAILED} <= statuses
        assert not deliveries.filter(status__in=[S.QUEUED, S.SENT]).exists()
        reasons = set(deliveries.filter(status=S.SUPPRESSED).values_list("reason", flat=True))
        assert {"no_consent", "not_allowed"} <= reasons
        assert not deliveries.filter(status=S.SUPPRESSED, reason="").exists()
        # Consent held: nothing was sent on a topic the shop did not opt in to.
        for delivery in deliveries.exclude(status=S.SUPPRESSED).select_related(
            "message", "shop__contact_preference"
        ):
            assert delivery.message.topic in delivery.shop.contact_preference.topics
            assert delivery.channel != Channel.WECHAT  # template messages: service only
        assert not deliveries.filter(status=S.CLICKED, clicked_at__isnull=True).exists()
        assert not deliveries.filter(status=S.READ, read_at__isnull=True).exists()
        assert not deliveries.filter(
            status__in=[S.DELIVERED, S.READ, S.CLICKED], delivered_at__isnull=True
        ).exists()
        # The funnel narrows: delivered ≥ read ≥ clicked.
        in_app = deliveries.filter(channel=Channel.IN_APP).aggregate(
            reached=Count("pk", filter=Q(status__in=[S.DELIVERED, S.READ, S.CLICKED])),
            read=Count("pk", filter=Q(status__in=[S.READ, S.CLICKED])),
            clicked=Count("pk", filter=Q(status=S.CLICKED)),
        )
        assert in_app["reached"] > in_app["read"] > in_app["clicked"] > 0

    def test_the_demo_owners_have_a_preference_and_several_messages(self, client_for):
        owners = _demo_owners()
        assert owners
        for owner in owners:
            shop = Shop.objects.get(owner_account=owner)
            assert ContactPreference.objects.filter(shop=shop).exists()
            box = Delivery.objects.filter(shop=shop, channel=Channel.IN_APP)
            assert box.exclude(status=S.SUPPRESSED).count() >= 4
            assert box.filter(status=S.DELIVERED).exists()  # something unread
            assert box.filter(status__in=[S.READ, S.CLICKED]).exists()
            page = client_for(owner).get("/outreach/mine/").content.decode()
            assert page.count('href="/outreach/mine/') >= 4 + 1  # messages, the settings link

    def test_seeding_again_adds_nothing(self):
        before = (Delivery.objects.count(), ConsentRecord.objects.count())
        now = Message.objects.latest("scheduled_for").scheduled_for
        assert outreach.seed(seed=1, now=now) == {}
        assert (Delivery.objects.count(), ConsentRecord.objects.count()) == before


def _rows() -> list[tuple]:
    return sorted(
        Delivery.objects.values_list(
            "shop__licence_no", "message__template__name", "channel", "status", "reason", "read_at"
        )
    )


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_messages_and_reset_clears_them():
    seed(visit_weeks=0, **SMALL)
    first = _rows()
    assert len(first) > 60
    deleted = demo_city.reset()
    assert deleted["outreach deliveries"] == len(first) and deleted["contact preferences"] > 0
    assert not ConsentRecord.objects.exists() and not Template.objects.exists()
    seed(visit_weeks=0, **SMALL)
    assert _rows() == first
    seed("--reset", visit_weeks=0, **SMALL)
    assert _rows() == first
    seed("--reset", visit_weeks=0, seed=7, **SMALL)
    assert _rows() != first
