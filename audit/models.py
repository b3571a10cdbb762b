"""The audit trail: who changed what, when, from which value to which (append-only).

Every service that changes master data records an entry in the same transaction as the change,
so the trail and the data never disagree. Entries about one shop carry that shop, so the policy
layer scopes them like the shop itself.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    scope_path = "shop"

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=40)
    # What was changed: "customers.shop", 42. A plain pair keeps the trail readable after the
    # object is gone.
    target_type = models.CharField(max_length=60)
    target_id = models.BigIntegerField()
    shop = models.ForeignKey(
        "customers.Shop", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    changes = models.JSONField(_("changes"), default=dict)  # {"field": [old, new]}
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["target_type", "target_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"
