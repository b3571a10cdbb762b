"""Console pages: import a wave's answers taken by phone or on paper (``answer_import``).

- ``/console/quality/waves/<id>/import/``: the upload form, the file's columns, and every wrong
  cell of a refused file (nothing is written then);
- ``/console/quality/waves/<id>/import/template.xlsx``: the header row and one example row.

Both need ``QUALITY_MANAGE``; the service checks it again and does the work.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from flexserve import policy
from flexserve.errors import AppError, Forbidden
from flexserve.forms import ConsoleForm
from flexserve.policy import Perm
from flexserve.web import scope_errors_pass
from imports import exporters
from quality import selectors
from quality.models import Wave
from quality.services import answer_import

ERRORS_SHOWN = 500  # a file wrong in every row lists the first ones and says how many


class AnswerImportForm(ConsoleForm):
    channel = forms.ChoiceField(
        label=gettext_lazy("The answers were taken by"),
        choices=list(answer_import.CHANNELS.items()),
        initial="phone",
        help_text=gettext_lazy("For the rows whose channel column is blank or missing."),
    )
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _manager(request: HttpRequest) -> User:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.QUALITY_MANAGE)
    return request.user


def _page(wave: Wave, form: AnswerImportForm, **extra) -> dict:
    return {
        "wave": wave,
        "form": form,
        "columns": answer_import.answer_columns(wave.instrument),
        "errors_shown": ERRORS_SHOWN,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def quality_wave_import(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Upload a file of phone or paper answers; a refused file lists its wrong cells."""
    user = _manager(request)
    wave = selectors.wave_get(user=user, wave_id=wave_id)
    if request.method == "GET":
        return render(request, "quality/console_wave_import.html", _page(wave, AnswerImportForm()))
    form = AnswerImportForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _page(wave, form)
        return render(request, "quality/console_wave_import.html", context, status=422)
    try:
        outcome = answer_import.answers_import(
            actor=user,
            wave_id=wave.pk,
            upload=form.cleaned_data["file"],
            default_channel=form.cleaned_data["channel"],
        )
    except AppError as exc:
        scope_errors_pass(exc)
        if isinstance(exc, Forbidden):
            raise
        form.add_app_error(exc)
        context = _page(wave, form)
        return render(request, "quality/console_wave_import.html", context, status=exc.status)
    if outcome.errors:
        context = _page(wave, form, outcome=outcome)
        return render(request, "quality/console_wave_import.html", context, status=422)
    text = ngettext(
        "Imported %(count)s response.", "Imported %(count)s responses.", outcome.created
    ) % {"count": outcome.created}
    if outcome.skipped:
        text += " " + ngettext(
            "%(count)s shop had already answered the same and was skipped.",
            "%(count)s shops had already answered the same and were skipped.",
            outcome.skipped,
        ) % {"count": outcome.skipped}
    messages.success(request, text)
    return redirect("console:quality_wave", wave_id=wave.pk)


@login_required
@require_GET
def quality_wave_import_template(request: HttpRequest, wave_id: int) -> FileResponse:
    """The wave's answer file: its header row and one example row to replace."""
    user = _manager(request)
    wave = selectors.wave_get(user=user, wave_id=wave_id)
    headers, example = answer_import.template_rows(wave)
    return FileResponse(
        exporters.xlsx_file(headers, [example], title=_("Answers")),
        as_attachment=True,
        filename=f"wave-{wave.pk}-answers.xlsx",
        content_type=exporters.XLSX_CONTENT_TYPE,
    )
