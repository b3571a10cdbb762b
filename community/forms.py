"""Parsing of the manage pages' forms: the article editor and the sensitive-word list.

The forms turn posted text into typed values; the services (``community.services.articles``,
``community.services.wordlist``) check the content again and their ``Invalid`` messages land
on the matching fields.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Article, SensitiveWord, Topic
from community.services.articles import SUMMARY_MAX, TITLE_MAX
from customers.models import BusinessType, Segment
from flexserve.forms import ConsoleForm

TRY_MAX = 5000
# Brands are typed as one line: commas (also the full-width ，) or the enumeration comma 、.
_BRAND_SEPARATORS = re.compile(r"[,，、;；]")


def split_brands(value: str) -> list[str]:
    return [b.strip() for b in _BRAND_SEPARATORS.split(value or "") if b.strip()]


class ArticleForm(ConsoleForm):
    """The editor: content, whom it is for, and when it goes live (now, at a time, or not yet)."""

    DRAFT, NOW, AT, KEEP = "draft", "now", "at", "keep"

    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX,
        required=False,
        help_text=_("Shown in the list; left blank, the start of the text is used."),
    )
    body = forms.CharField(
        label=_("Text (HTML)"),
        widget=forms.Textarea(attrs={"rows": 16, "class": "cm-html"}),
        help_text=_(
            "Paragraphs, headings, lists, tables, links and images from this site are kept; "
            "anything else is removed when saving."
        ),
    )
    brands = forms.CharField(
        label=_("Brands"),
        max_length=300,
        required=False,
        help_text=_("Separated by commas."),
    )
    business_types = forms.MultipleChoiceField(
        label=_("For business types"),
        choices=BusinessType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every business type."),
    )
    segments = forms.MultipleChoiceField(
        label=_("For shop classes"),
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every class."),
    )
    publish = forms.ChoiceField(label=_("Publishing"), widget=forms.RadioSelect)
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Beijing time."),
    )

    def __init__(self, *args: Any, article: Article | None = None, **kwargs: Any) -> None:
        if article is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(article)
        super().__init__(*args, **kwargs)
        live = article is not None and article.status == Article.Status.PUBLISHED
        first = (
            (self.KEEP, _("Keep it published as it is"))
            if live
            else (self.DRAFT, _("Save as draft"))
        )
        self.fields["publish"].choices = [
            first,
            (self.NOW, _("Publish now")),
            (self.AT, _("Publish at a set time")),
        ]
        if not self.is_bound and "publish" not in self.initial:
            self.initial["publish"] = first[0]

    @classmethod
    def initial_for(cls, article: Article) -> dict[str, Any]:
        scheduled = (
            article.status == Article.Status.PUBLISHED
            and article.publish_at is not None
            and article.publish_at > timezone.now()
        )
        return {
            "topic": article.topic,
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "brands": ", ".join(article.brands or []),
            "business_types": article.business_types,
            "segments": article.segments,
            "publish": cls.AT
            if scheduled
            else (cls.KEEP if article.status == Article.Status.PUBLISHED else cls.DRAFT),
            "publish_at": timezone.localtime(article.publish_at) if scheduled else None,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("publish") == self.AT and not data.get("publish_at"):
            self.add_error("publish_at", _("Choose when to publish."))
        return data

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned form as ``articles.article_save`` takes it."""
        data = self.cleaned_data
        return {
            "topic": data["topic"],
            "title": data["title"],
            "summary": data["summary"],
            "body": data["body"],
            "brands": split_brands(data["brands"]),
            "business_types": data["business_types"],
            "segments": data["segments"],
            "publish": data["publish"] in (self.NOW, self.AT),
            "publish_at": data["publish_at"] if data["publish"] == self.AT else None,
        }


class WordForm(ConsoleForm):
    """Add a word, or change the action of one on the list (the same word again)."""

    word = forms.CharField(label=_("Word"), max_length=40)
    action = forms.ChoiceField(label=_("Action"), choices=SensitiveWord.Action.choices)
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class AllowedForm(ConsoleForm):
    phrase = forms.CharField(
        label=_("Allowed phrase"),
        max_length=40,
        help_text=_("A listed word inside this phrase is harmless, e.g. a brand name."),
    )
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class ImportForm(ConsoleForm):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class TryForm(ConsoleForm):
    text = forms.CharField(
        label=_("Text to try"),
        max_length=TRY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
