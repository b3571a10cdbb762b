"""Back office: administrators edit the catalogue, the calendar, escalation rules, canned replies.

Requests themselves are read-only here: they change through the services (events, audit, SLA).
"""

from django.contrib import admin

from servicedesk.models import (
    CalendarException,
    CannedReply,
    EscalationRule,
    OutboxMessage,
    RequestType,
    ServiceRequest,
    WorkingCalendar,
)


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "category",
        "department",
        "default_priority",
        "route_to",
        "is_active",
        "position",
    )
    list_filter = ("category", "department", "route_to", "is_active")
    list_editable = ("default_priority", "route_to", "is_active", "position")
    filter_horizontal = ("skills",)
    search_fields = ("code", "name", "name_en")


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 1


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "periods", "use_china_holidays", "updated_at")
    inlines = [CalendarExceptionInline]

    def save_model(self, request, obj, form, change):
        from django.core.exceptions import ValidationError

        from servicedesk.clock import parse_periods

        try:
            parse_periods(obj.periods)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        super().save_model(request, obj, form, change)


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "clock",
        "threshold_pct",
        "request_type",
        "notify_supervisor",
        "raise_priority",
        "reassign",
        "is_active",
    )
    list_filter = ("clock", "is_active")


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("title", "body")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "shop", "request_type", "status", "priority", "assignee")
    list_filter = ("status", "priority", "request_type", "channel")
    search_fields = ("title", "shop__name", "shop__licence_no")
    raw_id_fields = ("shop", "assignee", "created_by")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "medium", "recipient", "subject", "state", "attempts", "created_at")
    list_filter = ("medium", "state")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
