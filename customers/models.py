"""Shops (零售客户), their territory (district → grid 网格), segments and service plans.

Segments follow MISSION.md: shops are graded on grade 档级 (1–30, by sales; 30 is the largest)
and star rating 星级 (1–5, by operating capability) into core 核心 / key 重点 / potential 潜力 /
ordinary 普通. The mapping is a versioned rule set; every change of a shop's class is recorded.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# 烟草专卖零售许可证号: six-digit administrative division code + six-digit serial number.
LICENCE_RE = re.compile(r"^[1-6]\d{11}$")
# Mainland mobile numbers, or a landline with area code (0551-12345678).
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")

GRADE_MIN, GRADE_MAX = 1, 30
STAR_MIN, STAR_MAX = 1, 5


def validate_licence_no(value: str) -> None:
    if not LICENCE_RE.match(value or ""):
        raise ValidationError(
            _("A licence number has 12 digits and starts with a region code, e.g. 340102100001."),
            code="invalid_licence",
        )


def validate_phone(value: str) -> None:
    if value and not PHONE_RE.match(value):
        raise ValidationError(
            _("Enter a mobile number (11 digits) or a landline such as 0551-12345678."),
            code="invalid_phone",
        )


def mask_phone(phone: str) -> str:
    """138****5678: lists show only the first three and last four digits."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


class Segment(models.TextChoices):
    CORE = "core", _("Core")
    KEY = "key", _("Key")
    POTENTIAL = "potential", _("Potential")
    ORDINARY = "ordinary", _("Ordinary")


class MarketType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class BusinessType(models.TextChoices):
    CONVENIENCE = "convenience", _("Convenience store")
    SUPERMARKET = "supermarket", _("Supermarket")
    TOBACCO_LIQUOR = "tobacco_liquor", _("Tobacco and liquor store")
    GROCERY = "grocery", _("Grocery store")
    KIOSK = "kiosk", _("Kiosk")
    CATERING = "catering", _("Restaurant or catering")
    ENTERTAINMENT = "entertainment", _("Entertainment venue")
    OTHER = "other", _("Other")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    APP = "app", _("Portal message")
    VISIT = "visit", _("Visit")


def channel_labels(codes: object) -> str:
    labels = dict(ContactChannel.choices)
    return "、".join(str(labels.get(code, code)) for code in codes or [])


class RequestCategory(models.TextChoices):
    """Request categories that service plans set SLA targets for (the service desk uses them)."""

    ORDERING = "ordering", _("Ordering problem")
    DELIVERY = "delivery", _("Delivery")
    STOCK = "stock", _("Out of stock / replenishment")
    PAYMENT = "payment", _("Payment and deduction")
    LICENCE = "licence", _("Licence matters")
    DISPLAY = "display", _("Display and shop improvement")
    EQUIPMENT = "equipment", _("Equipment")
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class District(models.Model):
    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=40)
    market_type = models.CharField(
        _("market type"), max_length=10, choices=MarketType.choices, default=MarketType.URBAN
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """A service grid (网格): the smallest territory, served by a responsible team."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="grids")
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible staff"),
        blank=True,
        related_name="grids",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return f"{self.district.name} · {self.name}"


# The master data a manager edits or an import file carries (the licence number is the key).
SHOP_MASTER_FIELDS = (
    "name",
    "owner_name",
    "phone",
    "address",
    "latitude",
    "longitude",
    "grid",
    "business_type",
    "market_type",
    "grade",
    "star",
    "account_manager",
    "contact_channels",
)


class Shop(models.Model):
    scope_path = ""  # a shop is its own scope

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("shop status", "Active")
        CLOSED = "closed", pgettext_lazy("shop status", "Closed")

    licence_no = models.CharField(
        _("licence number"), max_length=12, unique=True, validators=[validate_licence_no]
    )
    name = models.CharField(_("shop name"), max_length=100)
    owner_name = models.CharField(_("owner name"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20, validators=[validate_phone])
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="shops"
    )
    business_type = models.CharField(
        _("business type"),
        max_length=20,
        choices=BusinessType.choices,
        default=BusinessType.GROCERY,
    )
    market_type = models.CharField(_("market type"), max_length=10, choices=MarketType.choices)
    grade = models.PositiveSmallIntegerField(
        _("grade"), validators=[MinValueValidator(GRADE_MIN), MaxValueValidator(GRADE_MAX)]
    )
    star = models.PositiveSmallIntegerField(
        _("star rating"), validators=[MinValueValidator(STAR_MIN), MaxValueValidator(STAR_MAX)]
    )
    segment = models.CharField(
        _("class"), max_length=10, choices=Segment.choices, default=Segment.ORDINARY
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_shops",
    )
    owner_account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner's log-in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_shop",
    )
    contact_channels = models.JSONField(_("preferred contact channels"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["licence_no"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        indexes = [
            models.Index(fields=["segment"]),
            models.Index(fields=["grid", "segment"]),
            models.Index(fields=["account_manager"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=GRADE_MIN, grade__lte=GRADE_MAX),
                name="shop_grade_range",
            ),
            models.CheckConstraint(
                condition=models.Q(star__gte=STAR_MIN, star__lte=STAR_MAX), name="shop_star_range"
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", closed_on__isnull=True)
                | models.Q(status="closed", closed_on__isnull=False),
                name="shop_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.licence_no})"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @staticmethod
    def audit_display(name: str, value: object) -> str | None:
        """Channel codes read as their labels in the audit trail."""
        return channel_labels(value) if name == "contact_channels" else None


class SegmentRuleSet(models.Model):
    """A version of the segmentation rules: one is active; drafts are edited, then applied."""

    view_perm = "segment_view"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("rule set status", "Active")
        RETIRED = "retired", _("Retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    default_segment = models.CharField(
        _("class when no rule matches"),
        max_length=10,
        choices=Segment.choices,
        default=Segment.ORDINARY,
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("segmentation rule set")
        verbose_name_plural = _("segmentation rule sets")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_rule_set"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"


class SegmentRule(models.Model):
    """One row of a rule set: the first rule (by position) whose ranges all match wins."""

    view_perm = "segment_view"

    rule_set = models.ForeignKey(SegmentRuleSet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(_("position"))
    segment = models.CharField(_("class"), max_length=10, choices=Segment.choices)
    grade_min = models.PositiveSmallIntegerField(_("lowest grade"), default=GRADE_MIN)
    grade_max = models.PositiveSmallIntegerField(_("highest grade"), default=GRADE_MAX)
    star_min = models.PositiveSmallIntegerField(_("lowest star rating"), default=STAR_MIN)
    star_max = models.PositiveSmallIntegerField(_("highest star rating"), default=STAR_MAX)
    market_type = models.CharField(
        _("market type"), max_length=10, choices=MarketType.choices, blank=True
    )
    business_type = models.CharField(
        _("business type"), max_length=20, choices=BusinessType.choices, blank=True
    )

    class Meta:
        ordering = ["rule_set", "position"]
        verbose_name = _("segmentation rule")
        verbose_name_plural = _("segmentation rules")
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "position"], name="rule_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.segment}"


class SegmentChange(models.Model):
    """History: a shop moved from one class to another when a rule set was applied."""

    scope_path = "shop"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="segment_changes")
    from_segment = models.CharField(_("from"), max_length=10, choices=Segment.choices, blank=True)
    to_segment = models.CharField(_("to"), max_length=10, choices=Segment.choices)
    rule_set = models.ForeignKey(SegmentRuleSet, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("class change")
        verbose_name_plural = _("class changes")
        indexes = [models.Index(fields=["shop", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.from_segment or '-'} → {self.to_segment}"


class ServiceItem(models.Model):
    """Something the company does for a shop: a coaching visit, a display check, …"""

    view_perm = "service_plan_view"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    duration_min = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    skill = models.ForeignKey(
        "accounts.Skill", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")

    def __str__(self) -> str:
        return self.name


class ServicePlan(models.Model):
    """What each class of shop is promised: visits, service items, SLA targets, channels."""

    view_perm = "service_plan_view"

    segment = models.CharField(_("class"), max_length=10, choices=Segment.choices, unique=True)
    visits_per_month = models.DecimalField(
        _("visits per month"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(31)],
    )
    service_items = models.ManyToManyField(ServiceItem, verbose_name=_("service items"), blank=True)
    contact_channels = models.JSONField(_("contact channels"), default=list)
    description = models.TextField(_("description"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["segment"]
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")

    def __str__(self) -> str:
        return str(self.get_segment_display())

    @staticmethod
    def audit_display(name: str, value: object) -> str | None:
        return channel_labels(value) if name == "contact_channels" else None


class SlaTarget(models.Model):
    """First-response and resolution targets (business minutes) for one request category."""

    view_perm = "service_plan_view"

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="sla_targets")
    category = models.CharField(
        _("request category"), max_length=20, choices=RequestCategory.choices
    )
    first_response_min = models.PositiveIntegerField(_("first response (minutes)"))
    resolution_min = models.PositiveIntegerField(_("resolution (minutes)"))

    class Meta:
        ordering = ["plan", "category"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["plan", "category"], name="sla_target_unique"),
            models.CheckConstraint(
                condition=models.Q(resolution_min__gte=models.F("first_response_min")),
                name="sla_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} · {self.category}"
