"""The board's Django forms (optimise, routine visits, move a job, urgent visit)."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from customers.models import ServiceItem
from dispatch.models import Job
from dispatch.views_board.common import _hm
from flexserve import policy

MAX_ROUTINE_WEEKS = 12


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OptimiseForm(forms.Form):
    SCOPES = (("day", gettext_lazy("This day")), ("week", gettext_lazy("The week")))

    day = forms.DateField(label=gettext_lazy("Day"), widget=_date_input())
    scope = forms.ChoiceField(
        label=gettext_lazy("Optimise"), choices=SCOPES, initial="day", widget=forms.RadioSelect
    )
    seconds = forms.IntegerField(
        label=gettext_lazy("Time to optimise (seconds)"), min_value=1, max_value=600
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "optimise_%s")  # ids unique on the board page
        super().__init__(*args, **kwargs)

    def days(self) -> tuple[datetime.date, datetime.date]:
        """The first and last day to plan: the day, or the rest of its week (Monday–Sunday)."""
        day = self.cleaned_data["day"]
        if self.cleaned_data["scope"] == "day":
            return day, day
        monday = day - datetime.timedelta(days=day.weekday())
        sunday = monday + datetime.timedelta(days=6)
        # Days already gone are not planned again: the week starts today if it is under way.
        return max(monday, min(timezone.localdate(), sunday)), sunday


class RoutineForm(forms.Form):
    first_day = forms.DateField(label=pgettext_lazy("date range", "From"), widget=_date_input())
    weeks = forms.IntegerField(
        label=gettext_lazy("Weeks"), min_value=1, max_value=MAX_ROUTINE_WEEKS
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "routine_%s")
        super().__init__(*args, **kwargs)


class MoveForm(forms.Form):
    """Move one job of the day: to a staff member's route at a position, or off the plan."""

    job = forms.TypedChoiceField(label=gettext_lazy("Job"), coerce=int)
    staff = forms.TypedChoiceField(
        label=gettext_lazy("Move to"), coerce=int, required=False, empty_value=None
    )
    position = forms.IntegerField(
        label=gettext_lazy("Position in the route"),
        help_text=gettext_lazy("1 = the first stop; a large number puts it last."),
        min_value=1,
        max_value=99,
        initial=1,
    )
    day = forms.DateField(widget=forms.HiddenInput)

    def __init__(self, *args, jobs, staff, **kwargs) -> None:
        kwargs.setdefault("auto_id", "move_%s")
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [("", _("Choose a job…")), *jobs]
        self.fields["staff"].choices = [("", _("Take off the plan")), *staff]


class UrgentForm(forms.Form):
    service_item = forms.ModelChoiceField(
        label=gettext_lazy("Service item"),
        queryset=ServiceItem.objects.none(),
        required=False,
        empty_label=gettext_lazy("Chosen from the request"),
    )
    window_start = forms.DateTimeField(
        label=gettext_lazy("Start from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    window_end = forms.DateTimeField(
        label=gettext_lazy("Start by"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=gettext_lazy("Note for the visit"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_item"].queryset = policy.visible(user, ServiceItem.objects.all())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("window_start"), cleaned.get("window_end")
        if start and end and end < start:
            self.add_error("window_end", _("The end of the window comes before its start."))
        return cleaned


def _job_choice(job: Job, shop_name: str, where: str) -> tuple[int, str]:
    return job.pk, f"#{job.pk} {shop_name} · {job.get_kind_display()} · {where}"


def _move_choices(data) -> dict[str, list[tuple[int, str]]]:
    jobs: list[tuple[int, str]] = []
    staff: list[tuple[int, str]] = []
    for item in data.routes:
        staff.append((item.route.staff_id, item.staff_name))
        for board_stop in item.stops:
            where = f"{item.staff_name} {_hm(board_stop.stop.start)}"
            jobs.append(_job_choice(board_stop.job, board_stop.shop_name, where))
    for job, _reason in data.unplaced:
        jobs.append(_job_choice(job, job.shop.name, _("not placed")))
    return {"jobs": jobs, "staff": staff}
