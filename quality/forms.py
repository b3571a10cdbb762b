"""Parsing of the console's survey forms.

The form turns posted text into typed values; ``quality.services.surveys.wave_create`` validates
the whole (the period, the target group, who answers) and raises ``Invalid``, whose field messages
land on the fields of the same name through ``add_app_error``.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import (
    BusinessType,
    ContactChannel,
    District,
    Grid,
    MarketType,
    Segment,
    ServiceItem,
)
from flexserve.errors import Invalid
from flexserve.forms import ConsoleForm
from quality.models import GoalMetric, InitiativeType, Instrument, Wave

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TargetGroupForm(ConsoleForm):
    """The target-group fields a wave and an initiative share (empty parts mean "all")."""

    TARGET_KEYS = ("segments", "districts", "grids", "business_types", "market_types")

    segments = forms.MultipleChoiceField(
        label=_("Shop classes"),
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    districts = forms.TypedMultipleChoiceField(
        label=_("Districts"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    grids = forms.TypedMultipleChoiceField(
        label=_("Grids"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    business_types = forms.MultipleChoiceField(
        label=_("Business types"),
        choices=BusinessType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    market_types = forms.MultipleChoiceField(
        label=_("Market types"),
        choices=MarketType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def set_places(self, districts: Iterable[District], grids: Iterable[Grid]) -> None:
        self.fields["districts"].choices = [(d.pk, d.name) for d in districts]
        # Grids grouped by their district: a long list stays findable.
        grouped: dict[str, list[tuple[int, str]]] = {}
        for grid in grids:
            grouped.setdefault(grid.district.name, []).append((grid.pk, grid.name))
        self.fields["grids"].choices = list(grouped.items())

    def target(self) -> dict[str, Any]:
        """The filled parts of the target group (call after ``is_valid``)."""
        return {key: self.cleaned_data[key] for key in self.TARGET_KEYS if self.cleaned_data[key]}


class WaveForm(TargetGroupForm):
    """A new survey wave: the questionnaire, its period and who is asked."""

    instrument = forms.TypedChoiceField(label=_("Questionnaire"), coerce=int)
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Shown to the shops, e.g. “2026 Q3 service quality survey”."),
    )
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=_datetime_input())
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=_datetime_input())
    audience = forms.ChoiceField(
        label=_("Who answers"),
        choices=Wave.Audience.choices,
        initial=Wave.Audience.SHOPS,
        widget=forms.RadioSelect,
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous: results cannot be traced back to a shop"), required=False
    )
    served_from = forms.DateField(label=_("Served from"), required=False, widget=_date_input())
    served_to = forms.DateField(label=_("Served until"), required=False, widget=_date_input())

    def __init__(
        self,
        *args: Any,
        instruments: Iterable[Instrument] = (),
        districts: Iterable[District] = (),
        grids: Iterable[Grid] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [(i.pk, i.name) for i in instruments]
        self.set_places(districts, grids)

    def wave_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``wave_create`` (call after ``is_valid``)."""
        data = self.cleaned_data
        target = self.target()
        served_from, served_to = data["served_from"], data["served_to"]
        if served_from or served_to:
            # Both go to the service, which asks for the missing one.
            target["served_from"] = served_from.isoformat() if served_from else None
            target["served_to"] = served_to.isoformat() if served_to else None
        return {
            "instrument_id": data["instrument"],
            "name": data["name"],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "audience": data["audience"],
            "anonymous": data["anonymous"],
            "target": target,
        }


# --- Service initiatives (quality/views_initiatives.py) ----------------------------------------


def _percent_input() -> forms.NumberInput:
    return forms.NumberInput(
        attrs={"step": "0.1", "min": "0", "max": "100", "inputmode": "decimal"}
    )


def _people_choices(people: Iterable[User]) -> list[tuple[int, str]]:
    return [(person.pk, person.picker_label) for person in people]


class InitiativeForm(TargetGroupForm):
    """A new service initiative: what it is, whom it is for, through which channels, when.

    Named after the service's keyword arguments (``owner_id``, ``service_item_id``) so that its
    ``Invalid`` field messages land on these fields."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens, e.g. “order-app-2026”."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    type = forms.ChoiceField(
        label=_("Type"), choices=InitiativeType.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=ContactChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    service_item_id = forms.TypedChoiceField(
        label=_("Service item"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_(
            "When the initiative is a service item, its bookings, visits and ratings "
            "give an event funnel too."
        ),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=_date_input())
    ends_on = forms.DateField(label=_("Ends on"), widget=_date_input())
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(
        self,
        *args: Any,
        districts: Iterable[District] = (),
        grids: Iterable[Grid] = (),
        service_items: Iterable[ServiceItem] = (),
        owners: Iterable[User] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.set_places(districts, grids)
        self.fields["service_item_id"].choices = [("", _("None"))] + [
            (item.pk, item.name) for item in service_items
        ]
        self.fields["owner_id"].choices = _people_choices(owners)

    def initiative_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``initiative_create`` (call after ``is_valid``)."""
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "type": data["type"],
            "description": data["description"],
            "target": self.target(),
            "channels": data["channels"],
            "service_item_id": data["service_item_id"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "owner_id": data["owner_id"],
        }


class InitiativeTypeForm(ConsoleForm):
    """Move an initiative to another type; the reason goes into its type history."""

    to_type = forms.ChoiceField(label=_("New type"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("E.g. “the trade offers it everywhere now: it becomes standard”."),
    )

    def __init__(self, *args: Any, current: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_type"].choices = [c for c in InitiativeType.choices if c[0] != current]

    def add_service_errors(self, exc: Invalid) -> None:
        # The service calls the new type "type".
        if "type" in exc.fields:
            self.add_error("to_type", list(exc.fields["type"]))
            exc = Invalid(fields={k: v for k, v in exc.fields.items() if k != "type"})
            if not exc.fields:
                return
        super().add_service_errors(exc)


class GoalForm(ConsoleForm):
    """A SMART goal on one funnel stage; shares are typed in percent, the service takes
    fractions."""

    metric = forms.ChoiceField(label=_("Funnel stage"), choices=GoalMetric.choices)
    baseline = forms.DecimalField(
        label=_("Baseline, %"),
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        widget=_percent_input(),
    )
    target = forms.DecimalField(
        label=_("Target, %"),
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        widget=_percent_input(),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=_date_input())
    deadline = forms.DateField(label=_("Deadline"), widget=_date_input())
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(self, *args: Any, owners: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = _people_choices(owners)

    def goal_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``goal_set`` (call after ``is_valid``): percent → fraction."""
        data = self.cleaned_data
        return {
            "metric": data["metric"],
            "baseline": float(data["baseline"]) / 100,
            "target": float(data["target"]) / 100,
            "starts_on": data["starts_on"],
            "deadline": data["deadline"],
            "owner_id": data["owner_id"],
        }


class FunnelWaveForm(ConsoleForm):
    """A funnel survey of an initiative: its own four questions sent to its target group."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Shown to the shops, e.g. “Ordering app: follow-up survey (2)”."),
    )
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=_datetime_input())
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=_datetime_input())

    def wave_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "opens_at": data["opens_at"], "closes_at": data["closes_at"]}
