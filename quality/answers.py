"""Checking a respondent's answers against an instrument's questions (no ORM, no I/O).

Answers come keyed by question code:

- ``ep`` (expectation and perception): ``{"e": 6, "p": 5}``;
- ``scale``, ``nps``, ``csat``: an integer on the question's scale;
- ``choice``: the index of one of the question's choices;
- ``points``: ``{dimension code: points}``, whole points summing to 100;
- ``text``: a string.

A question whose ``show_if`` condition is not met is not shown: its answer is dropped, and it is
never required. A draft (save and resume) checks only what was given; a submission also needs
every shown required question. Errors are keyed by question code, so the form marks the field.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

TEXT_LIMIT = 2000
POINTS_TOTAL = 100


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    kind: str
    scale_min: int
    scale_max: int
    required: bool
    choices: tuple[str, ...]
    show_if: Mapping[str, Any]


@dataclass(frozen=True)
class CleanAnswer:
    code: str
    value: int | None = None
    expectation: int | None = None
    perception: int | None = None
    points: dict[str, int] | None = None
    text: str = ""


def _whole(raw: Any) -> int | None:
    """An integer from JSON or a form field; None for anything else (1.5, "abc", True)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    return None


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == {}


def is_shown(question: QuestionSpec, given: Mapping[str, Any]) -> bool:
    condition = question.show_if
    if not condition:
        return True
    answer = given.get(condition.get("question", ""))
    return _whole(answer) in condition.get("in", []) or answer in condition.get("in", [])


def _on_scale(raw: Any, low: int, high: int, errors: list[str]) -> int | None:
    value = _whole(raw)
    if value is None or not low <= value <= high:
        errors.append(
            _("Choose a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
        return None
    return value


def _clean_one(
    question: QuestionSpec,
    raw: Any,
    dimensions: tuple[str, ...],
    errors: list[str],
    partial: bool = False,
) -> CleanAnswer | None:
    low, high = question.scale_min, question.scale_max
    if question.kind == "ep":
        if not isinstance(raw, Mapping):
            errors.append(_("Answer both the expectation and the perception."))
            return None
        parts = {}
        for side in ("e", "p"):
            if _blank(raw.get(side)):
                parts[side] = None
                continue
            parts[side] = _on_scale(raw.get(side), low, high, errors)
        if errors:
            return None
        return CleanAnswer(question.code, expectation=parts["e"], perception=parts["p"])
    if question.kind in ("scale", "nps", "csat"):
        value = _on_scale(raw, low, high, errors)
        return None if value is None else CleanAnswer(question.code, value=value)
    if question.kind == "choice":
        index = _whole(raw)
        if index is None or not 0 <= index < len(question.choices):
            errors.append(_("Choose one of the options."))
            return None
        return CleanAnswer(question.code, value=index)
    if question.kind == "points":
        return _clean_points(question, raw, dimensions, errors, partial)
    if question.kind == "text":
        text = raw if isinstance(raw, str) else ""
        if not isinstance(raw, str):
            errors.append(_("Write text here."))
            return None
        if len(text) > TEXT_LIMIT:
            errors.append(_("At most %(limit)s characters.") % {"limit": TEXT_LIMIT})
            return None
        return CleanAnswer(question.code, text=text.strip())
    errors.append(_("This question cannot be answered."))
    return None


def _clean_points(
    question: QuestionSpec,
    raw: Any,
    dimensions: tuple[str, ...],
    errors: list[str],
    partial: bool,
) -> CleanAnswer | None:
    """Points over the dimensions: 100 in all on submitting; a draft may hold fewer."""
    if not isinstance(raw, Mapping):
        errors.append(_("Give points to each aspect."))
        return None
    unknown = sorted(set(raw) - set(dimensions))
    if unknown:
        errors.append(_("Unknown aspects: %(names)s.") % {"names": ", ".join(unknown)})
        return None
    points: dict[str, int] = {}
    for code in dimensions:
        value = _whole(raw.get(code, 0) if not _blank(raw.get(code)) else 0)
        if value is None or value < 0:
            errors.append(_("Points are whole numbers from 0 to 100."))
            return None
        points[code] = value
    total = sum(points.values())
    if total > POINTS_TOTAL or (total != POINTS_TOTAL and not partial):
        errors.append(_("The points must add up to 100 (now %(total)s).") % {"total": total})
        return None
    return CleanAnswer(question.code, points=points)


def _complete(answer: CleanAnswer | None, kind: str) -> bool:
    if answer is None:
        return False
    if kind == "ep":
        return answer.expectation is not None and answer.perception is not None
    if kind == "text":
        return bool(answer.text)
    if kind == "points":
        return sum((answer.points or {}).values()) == POINTS_TOTAL
    return True


def check_answers(
    questions: Iterable[QuestionSpec],
    given: Mapping[str, Any],
    *,
    dimensions: tuple[str, ...] = (),
    submit: bool,
) -> tuple[list[CleanAnswer], dict[str, list[str]]]:
    """(clean answers of the shown questions, errors by question code)."""
    questions = list(questions)
    known = {q.code for q in questions}
    errors: dict[str, list[str]] = {}
    for code in sorted(set(given) - known):
        errors[code] = [_("There is no such question in this survey.")]
    clean: list[CleanAnswer] = []
    for question in questions:
        if not is_shown(question, given):
            continue
        raw = given.get(question.code)
        answer = None
        if not _blank(raw):
            problems: list[str] = []
            answer = _clean_one(question, raw, dimensions, problems, partial=not submit)
            if problems:
                errors[question.code] = problems
                continue
        if submit and question.required and not _complete(answer, question.kind):
            errors[question.code] = [_("Please answer this question.")]
            continue
        if answer is not None:
            clean.append(answer)
    return clean, errors
