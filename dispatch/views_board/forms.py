"""The board's Django forms (optimise, routine visits, move a job, urgent visit)."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from customers.models import ServiceItem
from dispatch.models import Job, WorkRules
from dispatch.roster import local_dt
from dispatch.services import urgent
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
    """The urgent visit: what, on which day, and when it may start (prefilled: the default
    window, or the request's urgent job when asking again)."""

    service_item = forms.ModelChoiceField(
        label=gettext_lazy("Service item"),
        queryset=ServiceItem.objects.none(),
        required=False,
        empty_label=gettext_lazy("Chosen from the request"),
    )
    # Left empty: the default window (the service's urgent_default_window).
    day = forms.DateField(label=gettext_lazy("Day"), widget=_date_input(), required=False)
    start_time = forms.TimeField(
        label=gettext_lazy("Start from"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        required=False,
    )
    end_time = forms.TimeField(
        label=gettext_lazy("Start by"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        required=False,
    )
    note = forms.CharField(label=gettext_lazy("Note for the visit"), max_length=300, required=False)

    def __init__(self, *args, user, job: Job | None = None, **kwargs) -> None:
        kwargs.setdefault("auto_id", "urgent_%s")
        if job is not None and job.window_start and job.window_end:
            start, end = timezone.localtime(job.window_start), timezone.localtime(job.window_end)
            initial = {"day": start.date(), "start_time": start.time(), "end_time": end.time()}
            initial |= {"service_item": job.service_item_id, "note": job.note}
        else:
            day, start, end = urgent.urgent_default_window()
            start, end = timezone.localtime(start), timezone.localtime(end)
            initial = {"day": day, "start_time": start.time(), "end_time": end.time()}
        kwargs["initial"] = initial | kwargs.get("initial", {})
        super().__init__(*args, **kwargs)
        self.fields["service_item"].queryset = policy.visible(user, ServiceItem.objects.all())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        day, start, end = cleaned.get("day"), cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end < start:
            self.add_error("end_time", _("The end of the window comes before its start."))
        # A time left empty is completed by the service (from half an hour from now / the
        # day's earliest start, to its latest end); no day at all: the default window.
        cleaned["window_start"] = local_dt(day, start) if day and start else None
        cleaned["window_end"] = local_dt(day, end) if day and end else None
        if day and not start and not end:
            cleaned["window_end"] = local_dt(day, WorkRules.current().latest_end)
        return cleaned


def _job_choice(job: Job, shop_name: str, where: str) -> tuple[int, str]:
    return job.pk, f"#{job.pk} {shop_name} · {job.get_kind_display()} · {where}"


def _move_choices(data) -> dict[str, list[tuple[int, str]]]:
    jobs: list[tuple[int, str]] = []
    staff: list[tuple[int, str]] = []
    for item in data.routes:
        staff.append((item.route.staff_id, item.route.staff.picker_label))
        for board_stop in item.stops:
            where = f"{item.staff_name} {_hm(board_stop.stop.start)}"
            jobs.append(_job_choice(board_stop.job, board_stop.shop_name, where))
    for job, _reason in data.unplaced:
        jobs.append(_job_choice(job, job.shop.name, _("not placed")))
    return {"jobs": jobs, "staff": staff}
