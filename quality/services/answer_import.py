"""Phone or paper answers of a survey wave from a spreadsheet: check every row, write all or none.

A manager who took a shop's answers by phone or on paper uploads them for the wave, one row per
shop. The file is read by ``imports.readers`` (XLSX, or CSV as the other imports take it) and
checked whole before anything is written; any wrong row rejects the file, and every problem is
reported with its spreadsheet row (the header is row 1) and column header.

Columns (header names compared without spaces and case; ``shop_code`` and ``channel`` may also be
written in Chinese):

- ``店铺编码`` / ``shop_code`` (also ``许可证号`` / ``licence_no``): the shop's licence number;
- ``渠道`` / ``channel``, optional: ``phone`` (电话), ``paper`` (纸质) or ``import`` (导入);
  a blank cell or no column takes the channel chosen on the upload form;
- ``店名`` / ``shop_name``, optional and ignored: for the reader of the sheet;
- an expectation-and-perception question: two columns ``<code> E`` and ``<code> P``
  (``<code> 期望`` / ``<code> 感知`` and ``<code>__e`` / ``<code>__p`` are read the same);
- a points question: one column per dimension, ``<code> <dimension code>`` (or the dimension's
  name), e.g. ``points tangibles``; a blank cell counts as 0;
- any other question: one column named by its code; a choice is its text or its number from 1.

Any other header is an error (a misspelt optional column would otherwise drop its answers).

Each row becomes a submitted response exactly as the portal stores one
(``surveys.record_answers``, same checks through ``answers.check_answers``) with the row's
channel. One response per shop and wave: a shop that already answered is skipped when the row
holds the same answers and refused otherwise; an unsubmitted portal draft is replaced by the
row's answers. A closed (or not yet open) wave refuses the whole upload: answers taken after the
closing time would change results already read, so the wave's period is the rule here too.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from customers.importers import RowError
from customers.models import Shop
from flexserve import policy
from flexserve.errors import AppError, Invalid
from flexserve.policy import Perm
from imports import readers
from imports.errors import EmptyFile, FileTooLarge, UnsupportedFileType
from quality import selectors
from quality.answers import POINTS_TOTAL, QuestionSpec, check_answers
from quality.errors import SurveyClosed, SurveyNotOpen
from quality.models import Instrument, Invitation, Question, Wave
from quality.services import surveys

CHANNELS = {
    "phone": gettext_lazy("Phone"),
    "paper": gettext_lazy("Paper"),
    "import": gettext_lazy("Other (imported)"),
}
CHANNEL_NAMES = {
    "phone": "phone",
    "电话": "phone",
    "paper": "paper",
    "纸质": "paper",
    "纸质问卷": "paper",
    "import": "import",
    "导入": "import",
}
SHOP_HEADER, CHANNEL_HEADER, NAME_HEADER = "店铺编码", "渠道", "店名"
EXAMPLE_SHOP_CODE = "示例 340102100001"  # never a licence number: a forgotten example row fails
EP_SIDES = {"e": ("E", "期望"), "p": ("P", "感知")}


class WaveNotForShops(Invalid):
    code = "survey_import_staff_wave"
    message = gettext_lazy("Only answers of shops can be imported; this wave is answered by staff.")


@dataclass(frozen=True)
class AnswerColumn:
    """One column of the file: the header the template writes and the other names it may have."""

    header: str
    aliases: tuple[str, ...] = ()
    question: str = ""  # question code; "" for the shop, channel and name columns
    part: str = ""  # "e" / "p" of an E/P question, a dimension code of a points question
    required: bool = False
    meaning: str = field(default="", compare=False)  # for the page's list of columns


@dataclass
class ImportOutcome:
    rows: int = 0
    created: int = 0  # responses submitted by this file
    skipped: int = 0  # shops that had already answered exactly this
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    shop_code: str
    channel: str
    given: dict[str, Any]
    invitation: Invitation | None = None


def _key(header: str) -> str:
    return re.sub(r"\s+", "", header or "").lower()


def _conditional_or_optional(question: Question) -> bool:
    return not question.required or bool(question.show_if)


def answer_columns(instrument: Instrument) -> list[AnswerColumn]:
    """The file's columns for an instrument, in the template's order."""
    columns = [
        AnswerColumn(
            SHOP_HEADER,
            ("shop_code", "许可证号", "licence_no"),
            required=True,
            meaning=_("The shop's licence number"),
        ),
        AnswerColumn(
            CHANNEL_HEADER,
            ("channel",),
            meaning=_("phone, paper or import (电话, 纸质, 导入); blank: as chosen below"),
        ),
        AnswerColumn(NAME_HEADER, ("shop_name",), meaning=_("Not read: for your own reference")),
    ]
    questions, _specs, _dimensions = surveys.question_specs(instrument)
    dimensions = list(instrument.dimensions.order_by("position"))
    sides = {"e": _("expectation"), "p": _("perception")}
    for question in questions:
        required = not _conditional_or_optional(question)
        code, text = question.code, question.text
        if question.kind == Question.Kind.EXPECTATION_PERCEPTION:
            for side, (letter, zh) in EP_SIDES.items():
                columns.append(
                    AnswerColumn(
                        f"{code} {letter}",
                        (f"{code} {zh}", f"{code}__{side}"),
                        code,
                        side,
                        required,
                        f"{text} ({sides[side]}, {question.scale_min}–{question.scale_max})",
                    )
                )
        elif question.kind == Question.Kind.POINTS:
            for dimension in dimensions:
                columns.append(
                    AnswerColumn(
                        f"{code} {dimension.code}",
                        (f"{code} {dimension.name}",),
                        code,
                        dimension.code,
                        required,
                        _("Points for %(name)s (the row's points add up to 100)")
                        % {"name": dimension.name},
                    )
                )
        else:
            meaning = text
            if question.kind == Question.Kind.CHOICE:
                meaning = _("%(question)s (the choice's text or its number from 1)") % {
                    "question": text
                }
            elif question.kind != Question.Kind.TEXT:
                meaning = f"{text} ({question.scale_min}–{question.scale_max})"
            columns.append(AnswerColumn(code, (), code, "", required, meaning))
    return columns


def _example_value(question: Question, column: AnswerColumn, dimensions: list[str]) -> Any:
    if question.kind == Question.Kind.EXPECTATION_PERCEPTION:
        return min(question.scale_max, 6 if column.part == "e" else 5)
    if question.kind == Question.Kind.POINTS:
        share, left = divmod(POINTS_TOTAL, len(dimensions))
        first_dimension = dimensions[0]
        return share + left if column.part == first_dimension else share  # the sum is 100
    if question.kind == Question.Kind.CHOICE:
        return question.choices[0] if question.choices else ""
    if question.kind == Question.Kind.TEXT:
        return _("Example: the deliveries are on time.")
    return question.scale_max


def template_rows(wave: Wave) -> tuple[list[str], list[Any]]:
    """The template's header row and one example row (a fake shop code: it must be replaced)."""
    instrument = wave.instrument
    columns = answer_columns(instrument)
    questions = {q.code: q for q in instrument.questions.all()}
    dimensions = list(instrument.dimensions.order_by("position").values_list("code", flat=True))
    example: list[Any] = []
    for column in columns:
        if column.header == SHOP_HEADER:
            example.append(EXAMPLE_SHOP_CODE)
        elif column.header == CHANNEL_HEADER:
            example.append("phone")
        elif column.header == NAME_HEADER:
            example.append(_("Example shop"))
        else:
            question = questions[column.question]
            example.append(_example_value(question, column, dimensions))
    return [c.header for c in columns], example


# --- Reading the file -----------------------------------------------------------------------


def _check_upload(upload: Any) -> None:
    if Path(upload.name or "").suffix.lower() not in readers.EXTENSIONS:
        raise UnsupportedFileType()
    if not upload.size:
        raise EmptyFile()
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise FileTooLarge(limit_mb=settings.IMPORT_MAX_BYTES // (1024 * 1024))


def _unreadable(exc: readers.UnreadableFile) -> str:
    messages = {
        "encoding": _("The file's text could not be read: save it as CSV UTF-8 or as XLSX."),
        "no_header": _("The file has no header row."),
        "extension": _("Upload a .csv or .xlsx file."),
    }
    return messages.get(exc.reason, _("The file is not a readable CSV or XLSX table."))


def _resolve_headers(
    headers: Iterable[str], columns: list[AnswerColumn]
) -> tuple[dict[str, AnswerColumn], list[RowError]]:
    """The file's header for each column it has; errors for unknown, repeated and missing ones."""
    names = {_key(name): c for c in columns for name in (c.header, *c.aliases)}
    found: dict[str, AnswerColumn] = {}
    seen: set[str] = set()
    errors = []
    for header in headers:
        if not header:
            continue
        column = names.get(_key(header))
        if column is None:
            errors.append(RowError(1, header, _("This column is not part of this survey.")))
        elif column.header in seen:
            errors.append(
                RowError(1, header, _("This column appears more than once in the header."))
            )
        else:
            seen.add(column.header)
            found[header] = column
    for column in columns:
        if column.required and column.header not in seen:
            errors.append(RowError(1, column.header, _("This column is missing from the header.")))
    return found, errors


def _choice_index(question: Question, text: str) -> Any:
    """A choice's text or its number from 1 as the index the answers hold; else as written."""
    if text in question.choices:
        return question.choices.index(text)
    if text.isdigit():
        return int(text) - 1
    return text


def _given(row: dict[str, str], found: dict[str, AnswerColumn], questions: dict[str, Question]):
    """One row's answers in the shape ``check_answers`` takes; blank cells are not given."""
    given: dict[str, Any] = {}
    for header, column in found.items():
        text = row.get(header, "")
        if not column.question or not text:
            continue
        question = questions[column.question]
        if column.part:  # one side of an E/P pair, or one dimension's points
            given.setdefault(column.question, {})[column.part] = text
        elif question.kind == Question.Kind.CHOICE:
            given[column.question] = _choice_index(question, text)
        else:
            given[column.question] = text
    return given


def _whole_in(text: str, low: int, high: int) -> bool:
    return text.isdigit() and low <= int(text) <= high


def _blamed_headers(
    question: Question, row: dict[str, str], found: dict[str, AnswerColumn]
) -> list[str]:
    """The columns of a question's answer that a problem is about (the wrong cells first)."""
    mine = [(h, c) for h, c in found.items() if c.question == question.code]
    if not mine:
        return [
            c.header for c in answer_columns(question.instrument) if c.question == question.code
        ]
    if question.kind == Question.Kind.EXPECTATION_PERCEPTION:
        low, high = question.scale_min, question.scale_max
        wrong = [h for h, _c in mine if row[h] and not _whole_in(row[h], low, high)]
        return wrong or [h for h, _c in mine if not row[h]] or [h for h, _c in mine]
    if question.kind == Question.Kind.POINTS:
        wrong = [h for h, _c in mine if row[h] and not _whole_in(row[h], 0, POINTS_TOTAL)]
        return wrong or [h for h, _c in mine]  # the sum is wrong: every dimension's cell
    return [h for h, _c in mine]


def _read_rows(
    table: readers.Table,
    found: dict[str, AnswerColumn],
    questions: dict[str, Question],
    specs: list[QuestionSpec],
    dimensions: tuple[str, ...],
    default_channel: str,
    outcome: ImportOutcome,
) -> list[_Row]:
    shop_header = next(h for h, c in found.items() if c.header == SHOP_HEADER)
    channel_header = next((h for h, c in found.items() if c.header == CHANNEL_HEADER), None)
    rows: list[_Row] = []
    first_row_of: dict[str, int] = {}
    for number, cells in table.rows:
        outcome.rows += 1
        errors = outcome.errors
        code = cells[shop_header]
        if not code:
            errors.append(RowError(number, shop_header, _("Give the shop's licence number.")))
        elif code in first_row_of:
            message = _("This shop is already in row %(row)s; a shop answers once.") % {
                "row": first_row_of[code]
            }
            errors.append(RowError(number, shop_header, message))
        else:
            first_row_of[code] = number
        channel = default_channel
        if channel_header and cells[channel_header]:
            channel = CHANNEL_NAMES.get(cells[channel_header].lower(), "")
            if not channel:
                message = _("Write phone, paper or import (电话, 纸质 or 导入).")
                errors.append(RowError(number, channel_header, message))
        given = _given(cells, found, questions)
        _clean, problems = check_answers(specs, given, dimensions=dimensions, submit=True)
        for question_code, messages in problems.items():
            headers = _blamed_headers(questions[question_code], cells, found)
            errors.append(RowError(number, ", ".join(headers), " ".join(messages)))
        rows.append(_Row(number, code, channel, given))
    return rows


def _match_invitations(wave: Wave, rows: list[_Row], shop_header: str, outcome: ImportOutcome):
    """Each row's invitation; errors for unknown shops, shops not invited, different answers."""
    codes = {r.shop_code for r in rows if r.shop_code}
    shops = dict(Shop.objects.filter(licence_no__in=codes).values_list("licence_no", "pk"))
    invitations = {
        i.shop_id: i
        for i in Invitation.objects.select_related("wave__instrument", "shop__grid").filter(
            wave=wave, shop_id__in=shops.values()
        )
    }
    for row in rows:
        if not row.shop_code:
            continue
        shop_id = shops.get(row.shop_code)
        if shop_id is None:
            message = _("No shop has the licence number “%(code)s”.") % {"code": row.shop_code}
            outcome.errors.append(RowError(row.number, shop_header, message))
            continue
        row.invitation = invitations.get(shop_id)
        if row.invitation is None:
            message = _("This shop is not invited to this survey wave.")
            outcome.errors.append(RowError(row.number, shop_header, message))
        elif row.invitation.responded_at is not None:
            # Answered already: record_answers only compares (returns the stored response when
            # the answers are the same, refuses otherwise) and writes nothing.
            try:
                surveys.record_answers(row.invitation, row.given, submit=True)
            except surveys.AlreadyAnswered:
                message = _("This shop has already answered this wave, with other answers.")
                outcome.errors.append(RowError(row.number, shop_header, message))
            except AppError as exc:
                outcome.errors.append(RowError(row.number, shop_header, exc.render_message()))


# --- Writing --------------------------------------------------------------------------------


class _RowRefused(Exception):
    def __init__(self, row: _Row, exc: AppError) -> None:
        self.row, self.exc = row, exc
        super().__init__(str(exc))


def _write(actor: User, wave: Wave, rows: list[_Row], filename: str, outcome: ImportOutcome):
    """Submit every row in one transaction; one refused row (a race) undoes them all."""
    with transaction.atomic():
        locked = {
            i.pk: i
            for i in Invitation.objects.select_for_update(of=("self",))
            .select_related("wave__instrument", "shop__grid")
            .filter(pk__in=[r.invitation.pk for r in rows])
        }
        for row in rows:
            invitation = locked[row.invitation.pk]
            answered_before = invitation.responded_at is not None
            try:
                # Answered before (also by a portal submission since the check): the same
                # answers return the stored response, other answers are refused.
                response = surveys.record_answers(
                    invitation, row.given, submit=True, channel=row.channel
                )
            except AppError as exc:
                raise _RowRefused(row, exc) from exc
            if answered_before:
                outcome.skipped += 1
                continue
            outcome.created += 1
            if response.channel != row.channel:  # a portal draft finished by phone or paper
                response.channel = row.channel
                response.save(update_fields=["channel"])
        audit_record(
            actor=actor,
            action="wave_answers_imported",
            target=wave,
            changes={"created": [0, outcome.created], "skipped": [0, outcome.skipped]},
            note=Path(filename).name[-200:],
        )


def _check_wave(wave: Wave) -> None:
    if wave.audience != Wave.Audience.SHOPS:
        raise WaveNotForShops()
    now = timezone.now()
    if now >= wave.closes_at:
        raise SurveyClosed()
    if now < wave.opens_at:
        raise SurveyNotOpen()


def answers_import(
    *, actor: User, wave_id: int, upload: Any, default_channel: str = "import"
) -> ImportOutcome:
    """Import a file of answers (a Django UploadedFile) into a wave: all rows, or none.

    Problems with the rows come back in ``errors`` (nothing written); a wave that cannot take
    answers or a file that is no table raises an AppError.
    """
    policy.require(actor, Perm.QUALITY_MANAGE)
    wave = selectors.wave_get(user=actor, wave_id=wave_id)
    _check_wave(wave)
    if default_channel not in CHANNELS:
        raise Invalid(fields={"channel": [_("Choose how the answers were taken.")]})
    _check_upload(upload)
    outcome = ImportOutcome()
    upload.seek(0)
    try:
        table = readers.open_table(upload, upload.name)
    except readers.UnreadableFile as exc:
        outcome.errors.append(RowError(None, "", _unreadable(exc)))
        return outcome
    found, outcome.errors = _resolve_headers(table.headers, answer_columns(wave.instrument))
    if outcome.errors:
        return outcome  # without the right columns every row would be wrong the same way
    questions_list, specs, dimensions = surveys.question_specs(wave.instrument)
    questions = {q.code: q for q in questions_list}
    try:
        rows = _read_rows(table, found, questions, specs, dimensions, default_channel, outcome)
    except readers.UnreadableFile as exc:
        outcome.errors.append(RowError(None, "", _unreadable(exc)))
        return outcome
    if not rows:
        outcome.errors.append(RowError(None, "", _("The file has a header but no data rows.")))
        return outcome
    shop_header = next(h for h, c in found.items() if c.header == SHOP_HEADER)
    _match_invitations(wave, rows, shop_header, outcome)
    if outcome.errors:
        outcome.errors.sort(key=lambda e: e.row or 0)
        return outcome
    try:
        _write(actor, wave, rows, upload.name, outcome)
    except _RowRefused as refused:
        outcome.created = outcome.skipped = 0
        message = refused.exc.render_message()
        outcome.errors.append(RowError(refused.row.number, shop_header, message))
    return outcome
