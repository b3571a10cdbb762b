"""Parsing of the console's service-request forms.

The forms turn posted text into typed values and catch what a browser could send wrong; the
services validate again and raise ``Invalid``, whose field messages land on the matching fields
through ``add_service_errors``.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User
from customers.models import RequestCategory
from flexserve.forms import ConsoleForm
from servicedesk.models import Channel, Priority, RequestType, Status
from servicedesk.selectors import QUEUES, RequestFilters

STAFF_CHANNELS = [(c.value, c.label) for c in (Channel.PHONE, Channel.VISIT)]


def type_label(request_type: RequestType) -> str:
    """The catalogue's Chinese name, or its English one on the English pages."""
    english = (get_language() or "").startswith("en")
    return request_type.name_en if english and request_type.name_en else request_type.name


def queue_filters(params: QueryDict, default_queue: str) -> RequestFilters:
    """The work queue's tab and filters from the query string; unknown values are ignored."""
    queue = params.get("queue") or default_queue
    status = params.get("status") or ""
    return RequestFilters(
        queue=queue if queue in QUEUES else default_queue,
        status=status if status in Status.values else "",
        request_type=(params.get("type") or "").strip()[:40],
        q=(params.get("q") or "").strip()[:60],
    )


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input. The view hands request.FILES to the service, which checks
    them (count, size, decoded type); this field only carries the service's messages."""

    widget = MultipleImageInput

    def clean(self, data: Any, initial: Any = None) -> None:
        return None


class RequestNewForm(ConsoleForm):
    """A phone call or a visit logged by staff for a shop."""

    shop_q = forms.CharField(label=_("Find the shop"), max_length=60, required=False)
    # Radio buttons of the shops found (rendered by _console_shop_choices.html); the service
    # checks the shop is in the user's scope.
    shop_id = forms.IntegerField(label=_("Shop"), required=False, min_value=1)
    request_type = forms.ChoiceField(label=_("Type"))
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=STAFF_CHANNELS,
        initial=Channel.PHONE,
        widget=forms.RadioSelect,
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("The type's default"))] + list(Priority.choices),
        required=False,
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(
        label=_("Photos (up to 3, JPEG, PNG or WebP)"),
        required=False,
        widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    handle_myself = forms.BooleanField(
        label=_("I handle it myself (answer it now instead of routing it)"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        request_types: Iterable[RequestType] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        categories = dict(RequestCategory.choices)
        groups: dict[str, list[tuple[str, str]]] = {}
        for kind in request_types:
            label = str(categories.get(kind.category, kind.category))
            groups.setdefault(label, []).append((kind.code, type_label(kind)))
        self.fields["request_type"].choices = [("", _("Choose a type"))] + list(groups.items())
        self.fields["title"].widget.attrs["placeholder"] = _("What the shop needs, in a line")


class ActionForm(ConsoleForm):
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = forms.CharField(
        label=_("Why resolve with support still open"), max_length=200, required=False
    )


class AssignForm(ConsoleForm):
    assignee_id = forms.TypedChoiceField(label=_("Hand over to"), coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, staff: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[int, str]]] = {}
        for person in staff:
            department = str(person.department) if person.department_id else str(_("No department"))
            groups.setdefault(department, []).append((person.pk, person.picker_label))
        self.fields["assignee_id"].choices = [("", _("Choose a colleague"))] + list(groups.items())


class CommentForm(ConsoleForm):
    body = forms.CharField(
        label=_("Reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    internal = forms.BooleanField(
        label=_("Internal note (the shop does not see it)"), required=False
    )


class SupportTaskForm(ConsoleForm):
    department_id = forms.TypedChoiceField(label=_("Department"), coerce=int)
    need = forms.CharField(label=_("What is needed"), max_length=300)
    required = forms.BooleanField(label=_("Required to resolve"), required=False, initial=True)
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        help_text=_("Empty: one working day, never after the request is due."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, departments: Iterable[Department] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department_id"].choices = [("", _("Choose a department"))] + [
            (d.pk, d.name) for d in departments
        ]


class SupportActionForm(ConsoleForm):
    result = forms.CharField(label=_("Result"), max_length=500, required=False)
