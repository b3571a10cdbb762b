"""The knowledge base (知识库) and the self-service conversations that read it.

An ``Entry`` is one answer with its standard question and the other ways shops ask it; every save
keeps an ``EntryVersion`` snapshot, so an answer can be traced and restored. Only published
entries inside their validity dates are searched (``knowledge.index``).

A ``Conversation`` is one shop's chat; every question asked is a ``Turn`` with what the engine
decided, the answer shown and the shop's feedback. Turns that were handed over, only got
suggestions or were marked not helpful are the curation queue of the knowledge managers.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Shop


class Category(models.TextChoices):
    ORDERING = "ordering", _("Ordering")
    DELIVERY = "delivery", _("Delivery")
    PAYMENT = "payment", _("Payment and deductions")
    LICENCE = "licence", _("Licence")
    DISPLAY = "display", _("Display and promotion")
    PRODUCT = "product", _("Products")
    COMPLAINT = "complaint", _("Complaints")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SYSTEM = "system", _("System use")
    OTHER = "other", _("Other")


class Entry(models.Model):
    view_perm = "knowledge_view"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    question = models.CharField(_("standard question"), max_length=200)
    # Other ways shops ask the same thing, one string each (相似问).
    phrasings = models.JSONField(_("similar phrasings"), default=list, blank=True)
    answer = models.TextField(_("answer"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("knowledge entry")
        verbose_name_plural = _("knowledge entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="knowledge_entry_valid_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.question}"

    def is_live_on(self, day) -> bool:
        """Published and inside its validity dates on ``day``."""
        return (
            self.status == self.Status.PUBLISHED
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


# The fields a version snapshot keeps, and that import/export and the edit form write.
VERSIONED_FIELDS = (
    "category",
    "question",
    "phrasings",
    "answer",
    "tags",
    "valid_from",
    "valid_until",
    "status",
)


class EntryVersion(models.Model):
    view_perm = "knowledge_view"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    # {field: value} of VERSIONED_FIELDS as saved (dates as ISO strings).
    snapshot = models.JSONField(_("content"))
    note = models.CharField(_("change note"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["entry", "-version"]
        verbose_name = _("knowledge entry version")
        verbose_name_plural = _("knowledge entry versions")
        constraints = [
            models.UniqueConstraint(fields=["entry", "version"], name="knowledge_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.version}"


class Conversation(models.Model):
    scope_path = "shop"

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="conversations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    # Set once the shop asked for a person: the request carries the transcript.
    handover_request = models.OneToOneField(
        "servicedesk.ServiceRequest",
        verbose_name=_("hand-over request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"{self.shop_id} · {self.started_at:%Y-%m-%d %H:%M}"


class Turn(models.Model):
    """One question and what the shop got back."""

    scope_path = "shop"

    class Kind(models.TextChoices):
        FAQ = "faq", _("Knowledge base")
        LIVE = "live", _("Own records")

    class Decision(models.TextChoices):
        ANSWER = "answer", _("Answered")
        SUGGEST = "suggest", _("Suggestions offered")
        # Two near-twin entries: the shop is asked which one it means.
        CLARIFY = "clarify", _("Asked which one")
        HANDOVER = "handover", _("Handed over")

    class Reason(models.TextChoices):
        """Why the engine decided as it did, where the decision alone does not say."""

        NONE = "", _("No particular reason")
        # Not about the company's service (weather, chit-chat): no knowledge gap to curate.
        OFF_TOPIC = "off_topic", _("Outside our service")

    class Feedback(models.TextChoices):
        HELPFUL = "helpful", _("Helpful")
        NOT_HELPFUL = "not_helpful", _("Not helpful")

    class Curation(models.TextChoices):
        NONE = "", _("Nothing to do")
        OPEN = "open", _("To review")
        ADDED = "added", _("Added to the knowledge base")
        DISMISSED = "dismissed", _("Dismissed")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")  # for scoping
    asked_at = models.DateTimeField(_("asked at"), db_index=True)
    question = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.FAQ)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, blank=True, default=Reason.NONE
    )
    confidence = models.FloatField(_("confidence"), default=0.0)
    entry = models.ForeignKey(
        Entry,
        verbose_name=_("entry answered"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="turns",
    )
    # The category of the entry answered or suggested first, kept if the entry goes.
    category = models.CharField(_("category"), max_length=20, blank=True)
    suggestions = models.JSONField(_("suggested entries"), default=list, blank=True)
    intent = models.CharField(_("record asked about"), max_length=30, blank=True)
    # What the shop read, as plain text: the transcript of a hand-over is made of these.
    reply = models.TextField(_("reply"), blank=True)
    # Links to the shop's own records a live answer points at: [{"label": …, "url": …}].
    links = models.JSONField(_("links"), default=list, blank=True)
    # The suggestion the shop then picked: the question is a new way to ask that entry.
    picked_entry = models.ForeignKey(
        Entry,
        verbose_name=_("suggestion picked"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    engine_mode = models.CharField(_("engine mode"), max_length=20, blank=True)
    feedback = models.CharField(_("feedback"), max_length=12, choices=Feedback.choices, blank=True)
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)
    curation = models.CharField(
        _("curation"), max_length=10, choices=Curation.choices, blank=True, db_index=True
    )

    class Meta:
        ordering = ["asked_at", "id"]
        verbose_name = _("question asked")
        verbose_name_plural = _("questions asked")
        indexes = [models.Index(fields=["curation", "-asked_at"])]

    def __str__(self) -> str:
        return self.question


class CompanyProfile(models.Model):
    """The company the answers speak for: one row, set by an administrator.

    Entry texts say ``{company}``, ``{hotline}`` and ``{service_hours}`` instead of hard-coding
    them (``knowledge.placeholders`` fills them in when an answer is shown).
    """

    name = models.CharField(_("company name"), max_length=100, default="市烟草专卖局（公司）")
    hotline = models.CharField(_("service hotline"), max_length=40, blank=True)
    service_hours = models.CharField(
        _("service hours"), max_length=100, default="工作日 8:30–12:00、13:30–17:30"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")

    def __str__(self) -> str:
        return self.name


class CurationSnapshot(models.Model):
    """The open questions clustered in the background (``knowledge.tasks``), so the curation
    page only reads. ``groups`` maps each distinct question to its cluster; see
    ``knowledge.curation.snapshot_compute``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Computing")
        DONE = "done", _("Done")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True, db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    open_turns = models.PositiveIntegerField(_("open questions"), default=0)
    # {"groups": [{"label": str, "texts": [str], "candidate": pk | None, "confidence": float}]}
    groups = models.JSONField(_("clusters"), default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("curation snapshot")
        verbose_name_plural = _("curation snapshots")

    def __str__(self) -> str:
        return f"{self.status} · {self.computed_at or self.requested_at:%Y-%m-%d %H:%M}"
