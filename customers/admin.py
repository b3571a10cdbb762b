from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from customers import services
from customers.models import (
    District,
    Grid,
    SegmentChange,
    SegmentRule,
    SegmentRuleSet,
    ServiceItem,
    ServicePlan,
    Shop,
    SlaTarget,
)
from flexserve.errors import AppError


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "market_type")


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "district")
    list_filter = ("district",)
    filter_horizontal = ("staff",)


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = (
        "licence_no",
        "name",
        "owner_name",
        "segment",
        "grade",
        "star",
        "grid",
        "status",
    )
    list_filter = ("segment", "status", "market_type", "business_type", "grid__district")
    search_fields = ("licence_no", "name", "owner_name")
    raw_id_fields = ("account_manager", "owner_account", "grid")
    # Class changes go through rule sets so they are recorded in the history.
    readonly_fields = ("segment", "created_at", "updated_at")
    list_select_related = ("grid__district",)


class SegmentRuleInline(admin.TabularInline):
    model = SegmentRule
    extra = 0


@admin.register(SegmentRuleSet)
class SegmentRuleSetAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "default_segment", "note", "created_at", "activated_at")
    inlines = [SegmentRuleInline]
    readonly_fields = ("status", "activated_at")
    actions = ["apply_rule_set"]

    @admin.action(description=_("Apply the selected draft and re-classify every shop"))
    def apply_rule_set(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one draft."), messages.ERROR)
            return
        try:
            result = services.rule_set_activate(actor=request.user, rule_set_id=queryset.get().pk)
        except AppError as error:
            self.message_user(request, error.render_message(), messages.ERROR)
            return
        self.message_user(
            request,
            _("Rule set v%(version)s applied: %(moved)s of %(checked)s shops changed class.")
            % {
                "version": result.rule_set_version,
                "moved": result.shops_moved,
                "checked": result.shops_checked,
            },
        )


@admin.register(SegmentChange)
class SegmentChangeAdmin(admin.ModelAdmin):
    list_display = ("shop", "from_segment", "to_segment", "rule_set", "changed_at")
    list_filter = ("to_segment", "rule_set")
    raw_id_fields = ("shop",)

    def has_change_permission(self, request, obj=None):
        return False  # history is append-only


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(ServicePlan)
class ServicePlanAdmin(admin.ModelAdmin):
    list_display = ("segment", "visits_per_month")
    inlines = [SlaTargetInline]
    filter_horizontal = ("service_items",)


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "duration_min", "skill")
