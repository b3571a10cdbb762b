"""Messages that find the shop (信息找人): templates, campaigns, deliveries per channel, consent.

A **message** is one send of a text to an audience: a campaign's occurrence (a recurring campaign
makes one per occurrence) or a service notice. Each shop it reaches gets one **delivery** per
channel tried, unique on (message, shop, channel), so a task run twice never sends twice. A
delivery moves queued → sent → delivered → read → clicked, or ends failed / suppressed with the
reason; a receipt only ever moves it forward.

Consent is a **contact preference** per shop (ordered channels, opted-in topics, addresses, the
channels unsubscribed) kept as the current state of an append-only **consent record** log: each
change says what, when, where and which wording the shop saw. Consent is read when a delivery is
sent, not when it is scheduled, so an opt-out after scheduling still stops the send.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Shop


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app message")
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    SMS = "sms", pgettext_lazy("channel", "SMS")
    WECHAT = "wechat", pgettext_lazy("channel", "WeChat")
    WECOM = "wecom", _("WeCom via account manager")


# The channels a shop orders; in-app is not among them because every message lands there too.
PUSH_CHANNELS = (Channel.SMS, Channel.WECHAT, Channel.EMAIL, Channel.WECOM)


class Topic(models.TextChoices):
    """What a message is about. Service notices need no opt-in; every other topic does."""

    SERVICE = "service", _("Service notices (orders, deliveries, requests)")
    POLICY = "policy", _("Policies and announcements")
    COMMUNITY = "community", _("Community picks and shared experience")
    MARKETING = "marketing", _("Brand and marketing activities")


OPT_IN_TOPICS = (Topic.POLICY, Topic.COMMUNITY, Topic.MARKETING)


class Recurrence(models.TextChoices):
    NONE = "", _("Once")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")


class Template(models.Model):
    """A message text with variables ({店名}); its SMS form is the provider's approved template
    code with the variables it takes, in order."""

    view_perm = "outreach_view"

    name = models.CharField(_("name"), max_length=60, unique=True)
    topic = models.CharField(
        pgettext_lazy("message topic", "topic"), max_length=12, choices=Topic.choices
    )
    subject = models.CharField(_("subject"), max_length=80)
    body = models.TextField(_("text"), max_length=2000)
    sms_template_code = models.CharField(_("SMS template code"), max_length=40, blank=True)
    sms_params = models.JSONField(_("SMS template variables, in order"), default=list, blank=True)
    wechat_template_id = models.CharField(_("WeChat template ID"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A template sent to an audience now, at a time, or again and again."""

    view_perm = "outreach_view"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=80)
    template = models.ForeignKey(
        Template, verbose_name=_("template"), on_delete=models.PROTECT, related_name="campaigns"
    )
    # The audience as segment filters (outreach.audience.AudienceFilters), resolved at each send.
    audience = models.JSONField(_("audience"), default=dict)
    audience_preview = models.PositiveIntegerField(_("audience when saved"), default=0)
    link = models.CharField(_("link"), max_length=200, blank=True)  # a path of this site
    # The service initiative this campaign makes known: its reads feed the initiative's
    # awareness stage (quality.funnels).
    initiative = models.ForeignKey(
        "quality.Initiative",
        verbose_name=_("initiative"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("first send"))
    recurrence = models.CharField(
        _("repeat"), max_length=8, choices=Recurrence.choices, blank=True, default=""
    )
    ends_at = models.DateTimeField(_("repeat until"), null=True, blank=True)
    next_send_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One send: a campaign's occurrence or a service notice, with the text as it went out."""

    view_perm = "outreach_view"

    class State(models.TextChoices):
        FANNING_OUT = "fanning_out", _("Preparing")
        OUT = "out", _("Handed to the channels")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(max_length=12, choices=Topic.choices)
    link = models.CharField(max_length=200, blank=True)
    scheduled_for = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.FANNING_OUT)
    audience_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        constraints = [
            # A recurring campaign's occurrence is made once, however often the scheduler runs.
            models.UniqueConstraint(
                fields=["campaign", "scheduled_for"], name="message_once_per_occurrence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} @ {self.scheduled_for:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """A message to one shop on one channel, and how far it got."""

    scope_path = "shop"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        CLICKED = "clicked", _("Clicked")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent")

    class Reason(models.TextChoices):
        NONE = "", "-"
        NO_CONSENT = "no_consent", _("No consent for this topic")
        CAPPED = "capped", _("Message cap reached")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from this channel")
        NO_ADDRESS = "no_address", _("No address on this channel")
        NO_PROVIDER = "no_provider", _("Channel not configured")
        NOT_ALLOWED = "not_allowed", _("Channel carries service notices only")
        REFUSED = "refused", _("Refused by the provider")
        NO_RECEIPT = "no_receipt", _("No receipt in time")
        GAVE_UP = "gave_up", _("Gave up after retries")
        SHOP_CLOSED = "shop_closed", _("Shop closed")

    # A status is only ever replaced by one further along (receipts come late, twice, reordered).
    RANK = {
        Status.QUEUED: 0,
        Status.SENT: 1,
        Status.DELIVERED: 2,
        Status.READ: 3,
        Status.CLICKED: 4,
        Status.FAILED: 5,
        Status.SUPPRESSED: 5,
    }
    FINAL = (Status.DELIVERED, Status.READ, Status.CLICKED, Status.FAILED, Status.SUPPRESSED)

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=14, choices=Reason.choices, blank=True, default="")
    address = models.CharField(max_length=254, blank=True)  # phone, e-mail or openid used
    not_before = models.DateTimeField(null=True, blank=True)  # held by quiet hours or a retry
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "shop", "channel"], name="delivery_once_per_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "not_before"], name="delivery_due_idx"),
            models.Index(fields=["shop", "sent_at"], name="delivery_shop_sent_idx"),
            models.Index(fields=["channel", "provider_id"], name="delivery_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}/{self.shop_id}/{self.channel}: {self.status}"


class ContactPreference(models.Model):
    """A shop's current consent: the latest state of its consent records (read on every send)."""

    scope_path = "shop"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="contact_preference")
    channels = models.JSONField(_("channels, in order"), default=list, blank=True)
    topics = models.JSONField(_("topics opted in"), default=list, blank=True)
    unsubscribed = models.JSONField(_("channels unsubscribed"), default=list, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    wechat_openid = models.CharField(_("WeChat OpenID"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.shop_id}: {','.join(self.channels)}"


class ConsentRecord(models.Model):
    """One change of a shop's consent, never edited or deleted (PIPL: proof of consent)."""

    scope_path = "shop"

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        EMAIL_LINK = "email_link", _("E-mail unsubscribe link")
        SMS_REPLY = "sms_reply", _("SMS reply")
        STAFF = "staff", _("Recorded by staff")
        IMPORT = "import", _("Initial load")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="consent_records")
    what = models.CharField(
        pgettext_lazy("consent record", "change"), max_length=20
    )  # channels / topics / unsubscribe / …
    before = models.JSONField(default=list)
    after = models.JSONField(default=list)
    source = models.CharField(_("where"), max_length=12, choices=Source.choices)
    wording = models.TextField(_("wording shown"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.what} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Consent records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Consent records are append-only.")


class Receipt(models.Model):
    """A provider callback as received, kept once: a repeated receipt is recognised and ignored."""

    provider = models.CharField(max_length=12)
    key = models.CharField(max_length=128)  # the provider's id of this event
    payload = models.JSONField()
    delivery = models.ForeignKey(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="receipts"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "key"], name="receipt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.key}"
