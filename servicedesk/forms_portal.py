"""Parsing of the shop portal's request forms: a new request, a reply, a reopen note.

The forms only turn posted text and files into values; ``servicedesk.services`` validates again
(photos by decoding them) and its ``Invalid.fields`` are shown next to the fields.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from customers.models import RequestCategory
from flexserve.forms import ServiceErrorsMixin
from servicedesk.models import RequestType
from servicedesk.services import MAX_ATTACHMENTS


def type_label(request_type: RequestType) -> str:
    """The type's name in the active language (the Chinese name when no English one is set)."""
    if (get_language() or "").startswith("en") and request_type.name_en:
        return request_type.name_en
    return request_type.name


def grouped_type_choices(types: Iterable[RequestType]) -> list[tuple[str, Any]]:
    """Select choices grouped by category, categories in catalogue order, types by position."""
    by_category: dict[str, list[tuple[str, str]]] = {}
    for request_type in types:
        by_category.setdefault(request_type.category, []).append(
            (request_type.code, type_label(request_type))
        )
    groups: list[tuple[str, Any]] = [("", _("Choose what you need help with"))]
    for code, label in RequestCategory.choices:
        if code in by_category:
            groups.append((str(label), by_category[code]))
    return groups


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Zero or more files; their type and size are the service's to check."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files if f]


class RequestNewForm(ServiceErrorsMixin, forms.Form):
    request_type = forms.ChoiceField(label=_("What do you need help with?"))
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("In a few words")}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("What happened, since when, what you tried")}
        ),
    )
    photos = MultiplePhotoField()

    def __init__(self, *args: Any, types: Iterable[RequestType] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["request_type"].choices = grouped_type_choices(types)
        # Built here, not at import, so the label follows the request's language.
        self.fields["photos"].label = gettext(
            "Photos (up to %(n)s; JPEG, PNG or WebP, at most 5 MB each)"
        ) % {"n": MAX_ATTACHMENTS}


class ReplyForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write to the service team")}),
    )


class ReopenForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("What is still wrong?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
