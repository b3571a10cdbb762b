"""Parsing of the booking and roster forms; the services validate again (``Invalid.fields``)."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from dispatch.models import Availability, StaffProfile, WorkRules
from dispatch.services.availability import PROFILE_FIELDS, RULE_FIELDS
from flexserve.forms import ServiceErrorsMixin

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class WindowField(forms.CharField):
    """A window's start as posted by its button (ISO 8601), as an aware datetime."""

    def to_python(self, value: Any) -> datetime.datetime | None:
        text = super().to_python(value)
        if not text:
            return None
        moment = parse_datetime(text)
        if moment is None:
            raise forms.ValidationError(_("Please choose one of the offered windows."))
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class ServiceErrorsForm(ServiceErrorsMixin, forms.Form):
    def add_service_errors(self, exc) -> None:
        # The services name the item field "service_item_id"; the forms call it "service_item".
        if "service_item_id" in exc.fields and "service_item" in self.fields:
            exc.fields["service_item"] = exc.fields.pop("service_item_id")
        super().add_service_errors(exc)


class BookingForm(ServiceErrorsForm):
    service_item = forms.TypedChoiceField(label=_("Service"), coerce=int)
    day = forms.DateField(label=_("Day"))
    window_start = WindowField(
        label=_("Time window"), error_messages={"required": _("Please choose a time window.")}
    )
    note = forms.CharField(
        label=_("Note for the visit (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What should we bring?")}),
    )

    def __init__(self, *args: Any, items=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_item"].choices = [(i.pk, i.name) for i in items]
        self.fields["service_item"].error_messages["required"] = _("Please choose a service.")


class RescheduleForm(ServiceErrorsForm):
    day = forms.DateField(label=_("Day"))
    window_start = WindowField(
        label=_("New time window"),
        error_messages={"required": _("Please choose a time window.")},
    )


class CancelForm(ServiceErrorsForm):
    reason = forms.CharField(
        label=_("Why do you cancel? (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DayForm(ServiceErrorsForm):
    kind = forms.ChoiceField(label=_("This day"), choices=Availability.Kind.choices)
    start = forms.TimeField(
        label=_("Start"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("End"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class WorkRulesForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = WorkRules
        fields = list(RULE_FIELDS)
        widgets = {
            name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            for name in ("earliest_start", "latest_end", "lunch_from", "lunch_until")
        }


class ProfileForm(ServiceErrorsMixin, forms.ModelForm):
    work_weekdays = forms.TypedMultipleChoiceField(
        label=_("Working weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = StaffProfile
        fields = list(PROFILE_FIELDS)
        widgets = {
            "day_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "day_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
