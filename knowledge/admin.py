"""Back office of the knowledge base. Entries are saved through the services, so an edit here is
a version with an audit row like one made in the console; versions and conversations are
records and read-only."""

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from flexserve.errors import Invalid
from knowledge.models import (
    CompanyProfile,
    Conversation,
    CurationSnapshot,
    Entry,
    EntryVersion,
    Turn,
)
from knowledge.services.entries import CODE_PATTERN, clean_entry, entry_create, entry_update


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EntryAdminForm(forms.ModelForm):
    """Phrasings one per line and tags comma-separated, checked by the services' rules."""

    phrasings = forms.CharField(
        label=_("similar phrasings"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    tags = forms.CharField(label=_("tags"), required=False)
    note = forms.CharField(label=_("change note"), required=False, max_length=200)

    class Meta:
        model = Entry
        fields = (
            "code",
            "category",
            "question",
            "phrasings",
            "answer",
            "tags",
            "valid_from",
            "valid_until",
            "status",
            "owner",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["phrasings"] = "\n".join(self.instance.phrasings)
            self.initial["tags"] = ", ".join(self.instance.tags)
            self.fields["code"].disabled = True
        self.fields["code"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        code = (data.get("code") or "").strip().lower()
        if not self.instance.pk and code:
            if not CODE_PATTERN.match(code):
                self.add_error("code", _("Use 2–40 lower-case letters, digits, - or _."))
            elif Entry.objects.filter(code=code).exists():
                self.add_error("code", _("Another entry already uses this code."))
        try:
            self.entry_data = clean_entry(data)
        except Invalid as exc:
            for field, messages in exc.fields.items():
                self.add_error(field if field in self.fields else None, list(messages))
        return data

    def _post_clean(self) -> None:
        # The services write the entry; the model form must not copy the raw text onto the
        # JSON fields of the instance it would save.
        pass


class EntryVersionInline(admin.TabularInline):
    model = EntryVersion
    extra = 0
    can_delete = False
    fields = ("version", "changed_at", "changed_by", "note")
    readonly_fields = fields
    ordering = ("-version",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    form = EntryAdminForm
    list_display = ("code", "question", "category", "status", "valid_until", "version", "owner")
    list_filter = ("category", "status", "valid_until")
    search_fields = ("code", "question", "answer")
    list_select_related = ("owner",)
    readonly_fields = ("version", "created_at", "updated_at")
    raw_id_fields = ("owner",)
    inlines = [EntryVersionInline]

    def save_model(self, request, obj: Entry, form: EntryAdminForm, change: bool) -> None:
        note = form.cleaned_data.get("note", "")
        owner = form.cleaned_data.get("owner")
        if change:
            entry = entry_update(
                actor=request.user,
                entry_id=obj.pk,
                data=form.entry_data,
                owner=owner,
                note=note,
            )
        else:
            entry = entry_create(
                actor=request.user,
                data=form.entry_data,
                code=form.cleaned_data.get("code") or "",
                owner=owner,
                note=note,
            )
        obj.pk = entry.pk
        obj.refresh_from_db()


@admin.register(EntryVersion)
class EntryVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("entry", "version", "changed_at", "changed_by", "note")
    list_select_related = ("entry", "changed_by")
    search_fields = ("entry__code", "entry__question", "note")
    list_filter = ("changed_at",)


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    can_delete = False
    fields = ("asked_at", "question", "decision", "confidence", "entry", "feedback", "curation")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("shop", "user", "started_at", "handover_request")
    list_select_related = ("shop", "user", "handover_request")
    search_fields = ("shop__name", "shop__licence_no")
    date_hierarchy = "started_at"
    inlines = [TurnInline]


@admin.register(Turn)
class TurnAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "asked_at",
        "shop",
        "question",
        "kind",
        "decision",
        "confidence",
        "entry",
        "feedback",
        "curation",
    )
    list_filter = ("decision", "feedback", "curation", "kind", "category")
    list_select_related = ("shop", "entry")
    search_fields = ("question", "shop__name", "shop__licence_no")
    date_hierarchy = "asked_at"


@admin.register(CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    """One row: the values of {company}, {hotline} and {service_hours} in the answers."""

    list_display = ("name", "hotline", "service_hours", "updated_at")

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not CompanyProfile.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CurationSnapshot)
class CurationSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("requested_at", "status", "computed_at", "duration_ms", "open_turns")
    exclude = ("groups",)
