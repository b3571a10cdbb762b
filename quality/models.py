"""Service quality: survey instruments and waves (SERVQUAL, NPS), and ratings after each contact.

An **instrument** is a questionnaire: dimensions and questions. SERVQUAL questions are answered
twice on one 1–7 scale, for expectation (E) and perception (P); a points question spreads 100
points over the dimensions. A **wave** sends an instrument to a target group of shops for a
period; each invited shop holds one **invitation** and answers once (**response**, with one
**answer** per question). In an anonymous wave the response keeps no link to its invitation:
the breakdowns still use the shop's class, district and grid copied onto the response, and every
breakdown hides groups under five respondents.

A **CSAT rating** is invited after a resolved request or a completed visit (never copying either:
it points at them) and credited to the staff member who resolved or visited.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import BusinessType, MarketType, Segment
from flexserve.policy import Perm

SERVQUAL_SCALE = (1, 7)
MIN_GROUP = 5  # no breakdown shows a group of fewer respondents


class Instrument(models.Model):
    class Kind(models.TextChoices):
        SERVQUAL = "servqual", _("SERVQUAL (expectation and perception)")
        NPS = "nps", _("Net promoter score")
        FUNNEL = "funnel", _("Initiative funnel (aware, interested, tried, rated)")
        GENERAL = "general", _("General survey")

    view_perm = Perm.QUALITY_VIEW

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")

    def __str__(self) -> str:
        return self.name


class Dimension(models.Model):
    """A SERVQUAL dimension (有形性, 可靠性, 响应性, 保证性, 移情性) or any other grouping."""

    view_perm = Perm.QUALITY_VIEW

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="dimensions")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=40)
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["instrument", "position"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="dimension_code_unique")
        ]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        EXPECTATION_PERCEPTION = "ep", _("Expectation and perception (two scales)")
        SCALE = "scale", _("Rating scale")
        NPS = "nps", _("Likelihood to recommend (0–10)")
        CSAT = "csat", _("Satisfaction (1–5)")
        CHOICE = "choice", _("One choice")
        POINTS = "points", _("100 points over the dimensions")
        TEXT = "text", _("Free text")

    view_perm = Perm.QUALITY_VIEW

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, null=True, blank=True, related_name="questions"
    )
    code = models.SlugField(_("code"), max_length=30)
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    # For E/P pairs: how the expectation is asked ("an excellent distributor would …").
    expectation_text = models.CharField(_("expectation wording"), max_length=300, blank=True)
    scale_min = models.SmallIntegerField(_("scale from"), default=1)
    scale_max = models.SmallIntegerField(_("scale to"), default=7)
    low_label = models.CharField(_("label of the lowest"), max_length=30, blank=True)
    high_label = models.CharField(_("label of the highest"), max_length=30, blank=True)
    # Worded negatively: scored as scale_min + scale_max - answer.
    reverse = models.BooleanField(_("reverse-scored"), default=False)
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # Shown only when another question's answer is one of these: {"question": code, "in": [..]}.
    show_if = models.JSONField(_("shown when"), default=dict, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("owning department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["instrument", "position"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="question_code_unique")
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"


class Wave(models.Model):
    """One sending of an instrument to a target group, open for a period."""

    class Audience(models.TextChoices):
        SHOPS = "shops", _("Shops")
        # Staff answer the expectation as they believe shops would: the knowledge gap.
        STAFF = "staff", _("Staff, answering as shops would")

    view_perm = Perm.QUALITY_VIEW

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="waves")
    name = models.CharField(_("name"), max_length=100)
    audience = models.CharField(
        _("who answers"), max_length=6, choices=Audience.choices, default=Audience.SHOPS
    )
    # The target group: lists of codes / ids, empty meaning "all"; served_* limit to shops that
    # had a resolved request or a completed visit in that period.
    target = models.JSONField(_("target group"), default=dict, blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    invited = models.PositiveIntegerField(_("invited"), default=0)
    sample_needed = models.PositiveIntegerField(_("responses needed for ±5 points"), default=0)
    # A funnel survey measures one service initiative (its instrument names it).
    initiative = models.ForeignKey(
        "quality.Initiative",
        verbose_name=_("initiative"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waves",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """A shop (or a staff member) asked to answer a wave; the link carries its token."""

    scope_path = "shop"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    shop = models.ForeignKey(
        "customers.Shop", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=43, unique=True)
    invited_at = models.DateTimeField(_("invited at"))
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "shop"], name="invitation_one_per_shop"),
            models.UniqueConstraint(fields=["wave", "staff"], name="invitation_one_per_staff"),
        ]
        indexes = [
            models.Index(fields=["wave", "responded_at"]),
            # The satisfaction dashboard's NPS response rate: a period of one wave's invitations.
            models.Index(fields=["wave", "invited_at"], name="invitation_wave_invited_idx"),
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"wave {self.wave_id} shop {self.shop_id or '-'} staff {self.staff_id or '-'}"


class Response(models.Model):
    """One invitation's answers; a draft until submitted.

    Named wave, not shop: an anonymous wave's response holds no link to who answered, only the
    groups it belongs to (for breakdowns) and a keyed digest that lets the invitation find it
    again (save and resume, a replayed link) without the data saying whose it is.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    scope_path = "invitation__shop"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="response"
    )
    receipt = models.CharField(max_length=64, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    channel = models.CharField(_("channel"), max_length=10, default="portal")
    segment = models.CharField(_("class"), max_length=10, choices=Segment.choices, blank=True)
    district = models.ForeignKey(
        "customers.District", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    grid = models.ForeignKey(
        "customers.Grid", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    business_type = models.CharField(max_length=20, choices=BusinessType.choices, blank=True)
    market_type = models.CharField(max_length=10, choices=MarketType.choices, blank=True)
    # The shop's account manager when it answered: "by staff member" breakdowns.
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["wave", "state"]),
            # The satisfaction dashboard reads a period of a wave's submitted answers.
            models.Index(
                fields=["wave", "state", "submitted_at"], name="response_wave_submitted_idx"
            ),
        ]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"response {self.pk} to wave {self.wave_id} ({self.state})"


class Answer(models.Model):
    scope_path = "response__invitation__shop"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField(null=True, blank=True)  # scale, NPS, CSAT, choice index
    expectation = models.SmallIntegerField(null=True, blank=True)
    perception = models.SmallIntegerField(null=True, blank=True)
    points = models.JSONField(null=True, blank=True)  # {dimension code: points}, sum 100
    text = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"answer to {self.question_id} in response {self.response_id}"


class CsatRating(models.Model):
    """Satisfaction after one contact: invited after a delay, rated 1–5 until it expires."""

    class Source(models.TextChoices):
        REQUEST = "request", _("Service request")
        VISIT = "visit", _("Visit")

    class Reason(models.TextChoices):
        SLOW = "slow", _("It took too long")
        NOT_FIXED = "not_fixed", _("The problem is not solved")
        ATTITUDE = "attitude", _("Attitude of the staff")
        UNCLEAR = "unclear", _("Explanations were unclear")
        OTHER = "other", _("Other")

    scope_path = "shop"

    shop = models.ForeignKey("customers.Shop", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("after"), max_length=8, choices=Source.choices)
    request = models.OneToOneField(
        "servicedesk.ServiceRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="csat",
    )
    job = models.OneToOneField(
        "dispatch.Job", on_delete=models.CASCADE, null=True, blank=True, related_name="csat"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credited to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact_at = models.DateTimeField(_("contact ended at"))
    invited_at = models.DateTimeField(_("invited at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    score = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        ordering = ["-invited_at"]
        indexes = [
            models.Index(fields=["shop", "invited_at"]),
            models.Index(fields=["staff", "rated_at"]),
            models.Index(fields=["rated_at"]),
            # The satisfaction dashboard counts a period's ratings by class, source and staff
            # from the index alone (PostgreSQL; other databases keep the plain index).
            models.Index(
                fields=["invited_at"],
                include=["shop", "source", "score", "staff"],
                name="csat_invited_covering_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="csat_score_1_to_5",
            )
        ]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")

    def __str__(self) -> str:
        return f"{self.source} rating of shop {self.shop_id}: {self.score or '-'}"


class InitiativeType(models.TextChoices):
    """Seed 001's four kinds of service initiative (服务举措)."""

    BASIC = "basic", _("Basic: all shops, must never fail")
    STANDARD = "standard", _("Standard: what the trade expects, a step ahead")
    EXTENDED = "extended", _("Extended: high-value shops, most value for least cost")
    EMOTIONAL = "emotional", _("Emotional: all shops, personal care")


class Initiative(models.Model):
    """A service initiative (服务举措): its type, target group, channels and period.

    Its funnel comes from funnel surveys (waves linked here) and, where a service item is named,
    from events: bookings made, visits done and ratings given for that item."""

    view_perm = Perm.QUALITY_VIEW

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=10, choices=InitiativeType.choices)
    # Same shape as a wave's target group (classes, districts, grids, business / market types).
    target = models.JSONField(_("target group"), default=dict, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    service_item = models.ForeignKey(
        "customers.ServiceItem",
        verbose_name=_("service item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["type", "name"]
        verbose_name = _("service initiative")
        verbose_name_plural = _("service initiatives")

    def __str__(self) -> str:
        return self.name


class InitiativeTypeChange(models.Model):
    """Type history: an initiative may move (extended → standard as the trade catches up)."""

    view_perm = Perm.QUALITY_VIEW

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="type_history"
    )
    from_type = models.CharField(max_length=10, choices=InitiativeType.choices, blank=True)
    to_type = models.CharField(max_length=10, choices=InitiativeType.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.from_type or '-'} → {self.to_type}"


class GoalMetric(models.TextChoices):
    AWARENESS = "awareness", _("Awareness (aware / surveyed)")
    INTEREST = "interest", _("Interest (interested / aware)")
    EXPERIENCE = "experience", _("Experience (tried / aware)")
    PERCEPTION = "perception", _("Perception (rated well / tried)")


class Goal(models.Model):
    """A SMART goal of an initiative: one funnel metric from a baseline to a target by a
    deadline, with an owner. Shares are fractions (0.6 = 60 %)."""

    view_perm = Perm.QUALITY_VIEW

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="goals")
    metric = models.CharField(_("metric"), max_length=12, choices=GoalMetric.choices)
    baseline = models.FloatField(_("baseline"))
    target = models.FloatField(_("target"))
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("starts_on")),
                name="goal_deadline_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.baseline:.0%} → {self.target:.0%} by {self.deadline}"
