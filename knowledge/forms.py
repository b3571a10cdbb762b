"""Parsing of the knowledge pages' forms: the entry editor, the try box and the import upload.

The forms turn posted text into typed values; ``knowledge.services.entries.clean_entry`` checks
the content again and its ``Invalid`` messages land on the matching fields.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from flexserve.forms import ConsoleForm
from knowledge.models import VERSIONED_FIELDS, Category, Entry
from knowledge.services.entries import ANSWER_MAX, QUESTION_MAX, snapshot_of

TRY_MAX = 300


class EntryContentForm(ConsoleForm):
    """What every entry form asks: the content shops read and the words they search with."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Left blank, a code is made from the category (kb-ordering-012)."),
    )
    question = forms.CharField(label=_("Standard question"), max_length=QUESTION_MAX)
    phrasings = forms.CharField(
        label=_("Similar phrasings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line: other ways shops ask the same thing."),
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Shops see the line breaks as written; web addresses become links."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=300,
        help_text=_("Separated by commas; whole terms the search keeps together."),
    )


class EntryForm(EntryContentForm):
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner_id = forms.TypedChoiceField(
        label=_("Owner"), coerce=int, empty_value=None, required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=Entry.Status.choices)
    note = forms.CharField(
        label=_("Change note"),
        max_length=200,
        required=False,
        help_text=_("Why the change was made; shown in the version history."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self,
        *args: Any,
        owners: Iterable[User] = (),
        entry: Entry | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        people = list(owners)
        # An owner who left (inactive) stays selectable, so saving other fields keeps them.
        if entry is not None and entry.owner is not None and entry.owner not in people:
            people.append(entry.owner)
        choices = [(user.pk, user.picker_label) for user in people]
        if entry is None or entry.owner_id is None:
            choices.insert(0, ("", _("Not assigned")))
        self.fields["owner_id"].choices = choices
        if entry is not None:
            del self.fields["code"]  # a code is for good: links and imports refer to it
            self.fields["expected_version"].required = True

    @staticmethod
    def initial_for(entry: Entry) -> dict[str, Any]:
        values = snapshot_of(entry)
        return values | {
            "phrasings": "\n".join(entry.phrasings),
            "tags": ", ".join(entry.tags),
            "valid_from": entry.valid_from,
            "valid_until": entry.valid_until,
            "owner_id": entry.owner_id,
            "expected_version": entry.version,
        }

    def entry_data(self) -> dict[str, Any]:
        """The versioned fields as the services take them."""
        return {name: self.cleaned_data[name] for name in VERSIONED_FIELDS}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The end of validity comes before its start."))
        return data


class TryForm(forms.Form):
    q = forms.CharField(
        label=_("Question"),
        max_length=TRY_MAX,
        error_messages={"required": _("Type a question as a shop would ask it.")},
    )


class ImportForm(ConsoleForm):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
