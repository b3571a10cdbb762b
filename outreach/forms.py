"""Parsing of the campaign pages' forms: a message template, and a campaign with its audience.

The forms only turn posted text into typed values; ``outreach.services.campaigns`` checks them
(unknown variables, SMS length, an empty audience, a time in the past, a link off the site) and
its ``Invalid.fields`` land on the matching fields.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from community.models import Topic as CommunityTopic
from customers.models import (
    GRADE_MAX,
    GRADE_MIN,
    STAR_MAX,
    STAR_MIN,
    BusinessType,
    MarketType,
    Segment,
)
from flexserve.errors import Invalid
from flexserve.forms import ConsoleForm
from outreach import variables
from outreach.audience import AudienceFilters
from outreach.models import Recurrence, Template, Topic

# SMS template variables are typed as one line: commas (also ，), 、 or spaces between them.
_SEPARATORS = re.compile(r"[,，、;；\s]+")
_DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def split_names(value: str) -> list[str]:
    return [name.strip("{} ") for name in _SEPARATORS.split(value or "") if name.strip("{} ")]


class TemplateForm(ConsoleForm):
    """A message text with its variables, and its SMS and WeChat forms."""

    name = forms.CharField(label=_("Name"), max_length=60)
    topic = forms.ChoiceField(
        label=pgettext_lazy("message topic", "Topic"), choices=[("", "—"), *Topic.choices]
    )
    subject = forms.CharField(label=_("Subject"), max_length=80)
    body = forms.CharField(
        label=_("Text"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Variables in braces, e.g. {店名}, are filled in for each shop."),
    )
    sms_template_code = forms.CharField(
        label=_("SMS template code"),
        max_length=40,
        required=False,
        help_text=_("The code of the text the SMS provider approved; blank: no SMS."),
    )
    sms_params = forms.CharField(
        label=_("SMS template variables, in order"),
        max_length=200,
        required=False,
        help_text=_("The variables the approved SMS text takes, separated by commas."),
    )
    wechat_template_id = forms.CharField(
        label=_("WeChat template ID"),
        max_length=64,
        required=False,
        help_text=_("WeChat template messages carry service notices only."),
    )

    def __init__(self, *args: Any, template: Template | None = None, **kwargs: Any) -> None:
        if template is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": template.name,
                "topic": template.topic,
                "subject": template.subject,
                "body": template.body,
                "sms_template_code": template.sms_template_code,
                "sms_params": ", ".join(template.sms_params or []),
                "wechat_template_id": template.wechat_template_id,
            }
        super().__init__(*args, **kwargs)
        sms_help = gettext(
            "As an SMS it may take at most %(limit)s characters, each variable at its longest."
        )
        self.fields["body"].help_text = " ".join(
            (str(self.fields["body"].help_text), sms_help % {"limit": variables.SMS_MAX_CHARS})
        )

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned form as ``campaigns.template_save`` takes it."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "topic": data["topic"],
            "subject": data["subject"],
            "body": data["body"],
            "sms_template_code": data["sms_template_code"],
            "sms_params": split_names(data["sms_params"]),
            "wechat_template_id": data["wechat_template_id"],
        }


def _checks(label: str, choices: Any, help_text: str = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


def _bound(label: str, low: int, high: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": low, "max": high}),
    )


class AudienceForm(ConsoleForm):
    """Segment filters: a shop is in the audience when it matches every filter given."""

    READ, UNREAD = "read", "unread"

    segments = _checks(_("Classes"), Segment.choices, _("None ticked: every class."))
    grade_min = _bound(_("Lowest grade"), GRADE_MIN, GRADE_MAX)
    grade_max = _bound(_("Highest grade"), GRADE_MIN, GRADE_MAX)
    star_min = _bound(_("Lowest star rating"), STAR_MIN, STAR_MAX)
    star_max = _bound(_("Highest star rating"), STAR_MIN, STAR_MAX)
    business_types = _checks(_("Business types"), BusinessType.choices)
    market_types = _checks(_("Market types"), MarketType.choices)
    districts = forms.TypedMultipleChoiceField(
        label=_("Districts"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    grids = forms.TypedMultipleChoiceField(
        label=_("Grids"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    interests = _checks(
        _("Community interests"),
        CommunityTopic.choices,
        _("Shops whose owner follows one of these community topics."),
    )
    article = forms.TypedChoiceField(
        label=_("Article"), coerce=int, empty_value=None, required=False
    )
    article_read = forms.ChoiceField(
        label=_("Has the shop read it?"),
        required=False,
        choices=[("", _("Either")), (READ, _("Has read it")), (UNREAD, _("Has not read it"))],
    )

    def __init__(self, *args: Any, choices: dict[str, list[tuple[Any, str]]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["districts"].choices = choices["districts"]
        self.fields["grids"].choices = choices["grids"]
        self.fields["article"].choices = [("", _("Any article"))] + choices["articles"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("article_read") and not data.get("article"):
            self.add_error("article", _("Choose the article."))
        return data

    def audience(self) -> dict[str, Any]:
        """The cleaned filters as the campaign stores them (``AudienceFilters.to_dict``)."""
        data = self.cleaned_data
        article = data.get("article")
        return AudienceFilters(
            segments=data.get("segments") or [],
            grade_min=data.get("grade_min"),
            grade_max=data.get("grade_max"),
            star_min=data.get("star_min"),
            star_max=data.get("star_max"),
            business_types=data.get("business_types") or [],
            market_types=data.get("market_types") or [],
            district_ids=data.get("districts") or [],
            grid_ids=data.get("grids") or [],
            interests=data.get("interests") or [],
            article_id=article if data.get("article_read") else None,
            article_read=data.get("article_read") or "",
        ).to_dict()


class CampaignForm(AudienceForm):
    """A template to an audience: now, at a time, or again and again until a date."""

    NOW, AT = "now", "at"

    name = forms.CharField(label=_("Campaign name"), max_length=80)
    # Named like the service's argument, so its errors on ``template_id`` land here.
    template_id = forms.TypedChoiceField(label=_("Template"), coerce=int)
    link = forms.CharField(
        label=_("Link"),
        max_length=200,
        required=False,
        help_text=_("A page of this site to open from the message, e.g. /community/articles/12/."),
    )
    initiative_id = forms.TypedChoiceField(
        label=_("Service initiative"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Shops that read this campaign count as aware in the initiative's funnel."),
    )
    send = forms.ChoiceField(
        label=_("When"),
        widget=forms.RadioSelect,
        choices=[(NOW, _("Send now")), (AT, _("Send at a set time"))],
        initial=NOW,
    )
    starts_at = forms.DateTimeField(
        label=_("Send at"), required=False, widget=_DATETIME_LOCAL, help_text=_("Beijing time.")
    )
    recurrence = forms.ChoiceField(label=_("Repeat"), choices=Recurrence.choices, required=False)
    ends_at = forms.DateTimeField(
        label=_("Repeat until"),
        required=False,
        widget=_DATETIME_LOCAL,
        help_text=_("Beijing time; blank: until cancelled."),
    )

    field_order = ["name", "template_id"]

    def __init__(self, *args: Any, choices: dict[str, list[tuple[Any, str]]], **kwargs: Any):
        super().__init__(*args, choices=choices, **kwargs)
        self.fields["template_id"].choices = [("", "—")] + choices["templates"]
        self.fields["initiative_id"].choices = [("", "—")] + choices.get("initiatives", [])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("send") == self.AT and not data.get("starts_at"):
            self.add_error("starts_at", _("Choose when to send."))
        if data.get("ends_at") and not data.get("recurrence"):
            self.add_error("ends_at", _("Only a repeated campaign has an end."))
        return data

    def add_service_errors(self, exc: Invalid) -> None:
        # The service names the audience as one argument; its messages go above the filters.
        if "audience" not in exc.fields:
            super().add_service_errors(exc)
            return
        for key, messages in exc.fields.items():
            name = key if key in self.fields else f"{key}_id"
            self.add_error(name if name in self.fields else None, [str(m) for m in messages])

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned form as ``campaigns.campaign_create`` takes it."""
        data = self.cleaned_data
        repeats = data["recurrence"] or ""
        return {
            "name": data["name"],
            "template_id": data["template_id"],
            "audience": self.audience(),
            "link": data["link"],
            "initiative_id": data.get("initiative_id"),
            "starts_at": data["starts_at"] if data["send"] == self.AT else None,
            "recurrence": repeats,
            "ends_at": data["ends_at"] if repeats else None,
        }
