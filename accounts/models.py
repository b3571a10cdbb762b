"""Users, roles, departments and skills.

A user has exactly one role. Shop owners are linked to their shop from the shop's side
(``customers.Shop.owner_account``); staff have a department, skills and a territory (the grids
they serve, ``customers.Grid.staff``). A city-wide department (``Department.city_wide``) lets its
members see its whole queue, whatever the shop's grid.
"""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

# The roles are policy's (flexserve.policy, the bottom layer); imported here for User.role.
from flexserve.policy import Role

STAFF_ROLES = frozenset(
    {Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF, Role.DISPATCHER, Role.SERVICE_MANAGER, Role.ADMIN}
)


class Department(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", _("Customer service")
        MARKETING = "marketing", _("Marketing")
        LOGISTICS = "logistics", _("Logistics")
        MONOPOLY = "monopoly", _("Monopoly administration")
        IT = "it", _("Information technology")
        OFFICE = "office", _("General office")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SERVICE)
    is_active = models.BooleanField(_("active"), default=True)
    # Customer service and logistics answer every shop of the city: their members see the whole
    # department queue. Members of other departments see the requests of their grids' shops.
    city_wide = models.BooleanField(
        _("city-wide"),
        default=False,
        help_text=_(
            "Its members see and work its whole queue and its support tasks, for every shop of "
            "the city. Otherwise they see the requests of the shops of their grids only."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["code"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SHOP_OWNER)
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    skills = models.ManyToManyField(
        Skill, verbose_name=_("skills"), blank=True, related_name="staff"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["role"])]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def picker_label(self) -> str:
        """Name and log-in user name, for staff pickers: "张伟 (staff01)"."""
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    @property
    def is_shop_owner(self) -> bool:
        return self.role == Role.SHOP_OWNER

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES


class ApiToken(models.Model):
    """A bearer token for an integration (the ordering platform pushes orders with one).

    Only a SHA-256 digest is stored; the token itself is shown once when it is created.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
