"""Parsing of the console's HTML forms: shop edit, segmentation rule editor, service plans.

The forms only turn posted text into typed values and catch what a browser could send wrong;
the services validate again and raise ``Invalid``, whose field messages are shown next to the
fields with ``add_service_errors``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import (
    GRADE_MAX,
    GRADE_MIN,
    STAR_MAX,
    STAR_MIN,
    BusinessType,
    ContactChannel,
    MarketType,
    RequestCategory,
    Segment,
    ServicePlan,
    Shop,
)
from flexserve.errors import Invalid
from flexserve.forms import ServiceErrorsMixin


class ShopEditForm(ServiceErrorsMixin, forms.Form):
    grade = forms.IntegerField(
        label=_("Grade"), widget=forms.NumberInput(attrs={"min": GRADE_MIN, "max": GRADE_MAX})
    )
    star = forms.TypedChoiceField(
        label=_("Star rating"),
        coerce=int,
        choices=[(n, "★" * n + "☆" * (STAR_MAX - n)) for n in range(STAR_MIN, STAR_MAX + 1)],
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    address = forms.CharField(label=_("Address"), max_length=200)
    business_type = forms.ChoiceField(label=_("Business type"), choices=BusinessType.choices)
    contact_channels = forms.MultipleChoiceField(
        label=_("Preferred contact channels"),
        choices=ContactChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    account_manager_id = forms.TypedChoiceField(
        label=_("Account manager"), coerce=int, empty_value=None, required=False
    )

    def __init__(
        self,
        *args: Any,
        account_managers: Iterable[User] = (),
        current_manager: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        managers = list(account_managers)
        # A manager who left (inactive) stays selectable, so saving other fields keeps them.
        if current_manager is not None and current_manager not in managers:
            managers.append(current_manager)
        self.fields["account_manager_id"].choices = [("", _("Not assigned"))] + [
            (user.pk, user.picker_label) for user in managers
        ]

    @staticmethod
    def initial_for(shop: Shop) -> dict[str, Any]:
        return {
            "grade": shop.grade,
            "star": shop.star,
            "phone": shop.phone,
            "address": shop.address,
            "business_type": shop.business_type,
            "contact_channels": list(shop.contact_channels or []),
            "account_manager_id": shop.account_manager_id,
        }


# --- Segmentation rule editor -------------------------------------------------------------------

RULE_FIELDS = (
    "segment",
    "grade_min",
    "grade_max",
    "star_min",
    "star_max",
    "market_type",
    "business_type",
)
_RULE_NUMBERS = {
    "grade_min": GRADE_MIN,
    "grade_max": GRADE_MAX,
    "star_min": STAR_MIN,
    "star_max": STAR_MAX,
}
_MAX_RULES = 50


def rule_key(index: int, name: str | None = None) -> str:
    """The service's error key for a rule (1-based): ``rules[2]`` or ``rules[2].grade_min``."""
    return f"rules[{index}]" if name is None else f"rules[{index}].{name}"


@dataclass
class RuleSetInput:
    """The rule editor's posted rows, kept as typed for re-display, plus errors by service key."""

    rows: list[dict[str, str]]
    default_segment: str = Segment.ORDINARY
    note: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_post(cls, data: Any) -> "RuleSetInput":
        columns = {name: data.getlist(name) for name in RULE_FIELDS}
        count = min(max((len(v) for v in columns.values()), default=0), _MAX_RULES)
        rows = [
            {
                name: (values[i] if i < len(values) else "").strip()
                for name, values in columns.items()
            }
            for i in range(count)
        ]
        parsed = cls(
            rows=rows,
            default_segment=(data.get("default_segment") or Segment.ORDINARY).strip(),
            note=(data.get("note") or "").strip()[:200],
        )
        for index, row in enumerate(rows, start=1):
            for name in _RULE_NUMBERS:
                if row[name] and not row[name].isdigit():
                    parsed.errors[rule_key(index, name)] = [str(_("Enter a whole number."))]
        return parsed

    @classmethod
    def from_rules(
        cls, rules: Iterable[Any], default_segment: str = Segment.ORDINARY
    ) -> "RuleSetInput":
        """Rows from saved rules (the active rule set) to start editing from."""
        rows = [{name: str(getattr(rule, name) or "") for name in RULE_FIELDS} for rule in rules]
        return cls(rows=rows, default_segment=default_segment)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def rules(self) -> list[dict[str, Any]]:
        """The rules as the services take them; blank numbers mean the full range."""
        return [
            {
                name: (int(row[name]) if row[name] else _RULE_NUMBERS[name])
                if name in _RULE_NUMBERS
                else row[name]
                for name in RULE_FIELDS
            }
            for row in self.rows
        ]

    def add_service_errors(self, exc: Invalid) -> None:
        if not exc.fields:
            self.errors.setdefault("__all__", []).append(exc.render_message())
        for key, messages in exc.fields.items():
            self.errors.setdefault(key, []).extend(str(m) for m in messages)

    def display_rows(self) -> list[dict[str, Any]]:
        """Rows for the template: values, the fields to mark, and the row's messages."""
        shown = []
        for index, row in enumerate(self.rows, start=1):
            prefix = rule_key(index)
            keys = [k for k in self.errors if k == prefix or k.startswith(f"{prefix}.")]
            bad = {k.split(".", 1)[1] for k in keys if "." in k}
            # The service names only the lower bound of a bad range; mark both ends.
            bad |= {n.replace("_min", "_max") for n in bad if n.endswith("_min")}
            messages = list(dict.fromkeys(m for k in keys for m in self.errors[k]))
            shown.append({"index": index, "values": row, "bad": bad, "messages": messages})
        return shown

    def general_errors(self) -> list[str]:
        """Messages not tied to one rule (no rules, the default class)."""
        return [
            m
            for key, messages in self.errors.items()
            if not key.startswith("rules[")
            for m in messages
        ]


def blank_rule_row() -> dict[str, Any]:
    values = dict.fromkeys(RULE_FIELDS, "") | {"segment": Segment.ORDINARY}
    return {"index": "", "values": values, "bad": set(), "messages": []}


RULE_CHOICES = {
    "segments": Segment.choices,
    "market_types": MarketType.choices,
    "business_types": BusinessType.choices,
}


# --- Service plans ------------------------------------------------------------------------------


class ServicePlanForm(ServiceErrorsMixin, forms.Form):
    visits_per_month = forms.DecimalField(
        label=_("Visits per month"),
        min_value=0,
        max_value=31,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )
    contact_channels = forms.MultipleChoiceField(
        label=_("Contact channels"),
        choices=ContactChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    service_item_ids = forms.TypedMultipleChoiceField(
        label=_("Service items"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, service_items: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_item_ids"].choices = [(item.pk, item.name) for item in service_items]
        kinds = {
            "first": _("First response for %(category)s, in minutes"),
            "resolve": _("Resolution for %(category)s, in minutes"),
        }
        for code, category in RequestCategory.choices:
            for kind, text in kinds.items():
                label = str(text) % {"category": category}
                self.fields[f"{kind}_{code}"] = forms.IntegerField(
                    label=label,
                    min_value=1,
                    widget=forms.NumberInput(attrs={"min": 1, "step": 5, "aria-label": label}),
                )

    @staticmethod
    def initial_for(plan: ServicePlan) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "visits_per_month": plan.visits_per_month,
            "contact_channels": list(plan.contact_channels or []),
            "description": plan.description,
            "service_item_ids": [item.pk for item in plan.service_items.all()],
        }
        for target in plan.sla_targets.all():
            initial[f"first_{target.category}"] = target.first_response_min
            initial[f"resolve_{target.category}"] = target.resolution_min
        return initial

    def sla_rows(self) -> list[dict[str, Any]]:
        """One row per request category: its label and the two bound fields."""
        return [
            {"label": label, "first": self[f"first_{code}"], "resolve": self[f"resolve_{code}"]}
            for code, label in RequestCategory.choices
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for code, _label in RequestCategory.choices:
            first, resolve = data.get(f"first_{code}"), data.get(f"resolve_{code}")
            if first is not None and resolve is not None and resolve < first:
                self.add_error(
                    f"resolve_{code}", _("Resolution may not be faster than the first response.")
                )
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "visits_per_month": data["visits_per_month"],
            "contact_channels": data["contact_channels"],
            "description": data["description"],
            "service_item_ids": data["service_item_ids"],
            "sla_targets": [
                {
                    "category": code,
                    "first_response_min": data[f"first_{code}"],
                    "resolution_min": data[f"resolve_{code}"],
                }
                for code, _label in RequestCategory.choices
            ],
        }
