"""The sensitive-word list: edits, spreadsheet import, and the check every community text passes.

The compiled matcher is cached per process and keyed by the latest ``WordListRevision``: each
check reads that one number (an indexed max), so an edit in the console applies to the next post
in every worker without a restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from audit.services import audit_record
from community.errors import BlockedWords
from community.models import AllowedPhrase, SensitiveWord, WordListRevision
from engines.wordfilter import Action, Matcher, WordList, normalise
from flexserve import policy
from flexserve.errors import FieldInvalid, Invalid, NotFound
from flexserve.policy import Perm

if TYPE_CHECKING:
    from accounts.models import User

MAX_IMPORT_ROWS = 50_000
_ACTION_NAMES = {
    "block": Action.BLOCK,
    "屏蔽": Action.BLOCK,
    "禁止": Action.BLOCK,
    "review": Action.REVIEW,
    "审核": Action.REVIEW,
    "mask": Action.MASK,
    "打码": Action.MASK,
    "替换": Action.MASK,
    "flag": Action.FLAG,
    "标记": Action.FLAG,
}

_lock = threading.Lock()
_cached: tuple[int, Matcher] | None = None


def forget() -> None:
    """Drop the compiled list (tests: rolled-back revisions can reuse a number)."""
    global _cached
    _cached = None


def _latest_revision() -> int:
    return WordListRevision.objects.aggregate(latest=Max("pk"))["latest"] or 0


def current_matcher() -> Matcher:
    """The list as of its latest revision, compiled once per revision and process."""
    global _cached
    revision = _latest_revision()
    cached = _cached
    if cached is not None and cached[0] == revision:
        return cached[1]
    with _lock:
        if _cached is not None and _cached[0] == revision:
            return _cached[1]
        words = [(w, Action(a)) for w, a in SensitiveWord.objects.values_list("word", "action")]
        allowed = list(AllowedPhrase.objects.values_list("phrase", flat=True))
        matcher = WordList.compile(words, allow=allowed)
        _cached = (revision, matcher)
        return matcher


@dataclass(frozen=True)
class Checked:
    """A text after the list: what to store, and whether it must wait for a moderator."""

    text: str
    needs_review: bool
    flag: bool
    matched: list[str]


def check(text: str, *, field: str = "body") -> Checked:
    """Raise BlockedWords (naming them, nothing saved) or return the text to store: masked
    words starred, review and flag words reported."""
    matcher = current_matcher()
    verdict = matcher.verdict(text)
    if verdict.blocked_words:
        words = "、".join(verdict.blocked_words)
        raise BlockedWords(fields={field: [_("Remove: %(words)s") % {"words": words}]}, words=words)
    actions = {hit.action for hit in verdict.hits}
    matched = list(dict.fromkeys(hit.word for hit in verdict.hits))
    stored = matcher.mask(text, only=[Action.MASK]) if Action.MASK in actions else text
    return Checked(
        text=stored,
        needs_review=Action.REVIEW in actions,
        flag=Action.FLAG in actions,
        matched=matched,
    )


def check_many(texts: dict[str, str]) -> dict[str, Checked]:
    """``check`` each field; every blocked word of every field is named in one error."""
    results: dict[str, Checked] = {}
    blocked: dict[str, list[str]] = {}
    words: list[str] = []
    for field, text in texts.items():
        try:
            results[field] = check(text, field=field)
        except BlockedWords as exc:
            blocked.update(exc.fields)
            words.append(exc.params["words"])
    if blocked:
        raise BlockedWords(fields=blocked, words="、".join(dict.fromkeys(words)))
    return results


def _valid_term(value: str, field: str) -> str:
    term = (value or "").strip()
    if not term:
        raise FieldInvalid(field, _("Enter a word."))
    if len(term) > 40:
        raise FieldInvalid(field, _("At most 40 characters."))
    if not normalise(term)[0]:
        raise FieldInvalid(
            field,
            _("“%(term)s” has no letters or digits left after normalisation.") % {"term": term},
        )
    return term


def _action(value: str, field: str) -> str:
    action = _ACTION_NAMES.get((value or "").strip().lower())
    if action is None:
        raise FieldInvalid(
            field,
            _("Action must be one of block / review / mask / flag (屏蔽 / 审核 / 打码 / 标记)."),
        )
    return action.value


def _revise(actor: User, source: str, changes: dict[str, list[str]]) -> WordListRevision:
    revision = WordListRevision.objects.create(source=source, actor=actor, changes=changes)
    audit_record(actor=actor, action="wordlist.revised", target=revision, changes={})
    return revision


@transaction.atomic
def word_save(*, actor: User, word: str, action: str, note: str = "") -> SensitiveWord:
    """Add a word or change its action (one revision)."""
    policy.require(actor, Perm.WORDLIST_EDIT)
    term = _valid_term(word, "word")
    chosen = _action(action, "action")
    existing = SensitiveWord.objects.filter(word=term).first()
    if existing is not None and existing.action == chosen and existing.note == note[:100]:
        return existing
    obj, created = SensitiveWord.objects.update_or_create(
        word=term, defaults={"action": chosen, "note": note[:100]}
    )
    _revise(actor, WordListRevision.Source.MANUAL, {"added" if created else "changed": [term]})
    return obj


@transaction.atomic
def word_remove(*, actor: User, word_id: int) -> None:
    policy.require(actor, Perm.WORDLIST_EDIT)
    obj = SensitiveWord.objects.filter(pk=word_id).first()
    if obj is None:
        raise NotFound()
    obj.delete()
    _revise(actor, WordListRevision.Source.MANUAL, {"removed": [obj.word]})


@transaction.atomic
def allowed_save(*, actor: User, phrase: str, note: str = "") -> AllowedPhrase:
    policy.require(actor, Perm.WORDLIST_EDIT)
    term = _valid_term(phrase, "phrase")
    obj, created = AllowedPhrase.objects.get_or_create(phrase=term, defaults={"note": note[:100]})
    if created:
        _revise(actor, WordListRevision.Source.MANUAL, {"allowed_added": [term]})
    return obj


@transaction.atomic
def allowed_remove(*, actor: User, phrase_id: int) -> None:
    policy.require(actor, Perm.WORDLIST_EDIT)
    obj = AllowedPhrase.objects.filter(pk=phrase_id).first()
    if obj is None:
        raise NotFound()
    obj.delete()
    _revise(actor, WordListRevision.Source.MANUAL, {"allowed_removed": [obj.phrase]})


_WORD_HEADERS = {"词", "敏感词", "word"}
_ACTION_HEADERS = {"处理方式", "动作", "action"}
_NOTE_HEADERS = {"备注", "note"}
_ALLOW_SHEETS = {"允许词", "allow", "allowed"}


def _header_index(header: list[str], names: set[str]) -> int | None:
    for i, cell in enumerate(header):
        if cell.strip().lower() in names:
            return i
    return None


def _cell(cells: list[str], column: int | None) -> str:
    return cells[column] if column is not None and column < len(cells) else ""


@transaction.atomic
def import_xlsx(*, actor: User, file: BinaryIO) -> WordListRevision | None:
    """Upsert words from the first sheet (columns 词 / 处理方式 / 备注) and allowed phrases from a
    sheet named 允许词 (first column). Every row error is reported (``row 3 / action``); with any
    error nothing is saved. Returns the revision, or None when nothing changed."""
    policy.require(actor, Perm.WORDLIST_EDIT)
    import openpyxl

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds for a file that is no workbook
        raise FieldInvalid("file", _("The file is not an Excel workbook (.xlsx).")) from None
    errors: dict[str, list[str]] = {}
    words: dict[str, tuple[str, str]] = {}
    allowed: list[str] = []
    for sheet_number, sheet in enumerate(book.worksheets):
        rows = sheet.iter_rows(values_only=True)
        header = [str(c or "") for c in next(rows, ())]
        if sheet.title.strip().lower() in _ALLOW_SHEETS:
            for n, row in enumerate(rows, start=2):
                if row and row[0] not in (None, ""):
                    try:
                        allowed.append(_valid_term(str(row[0]), f"{sheet.title} row {n}"))
                    except Invalid as exc:
                        errors.update(exc.fields)
            continue
        if sheet_number > 0:
            continue
        word_col = _header_index(header, _WORD_HEADERS)
        action_col = _header_index(header, _ACTION_HEADERS)
        note_col = _header_index(header, _NOTE_HEADERS)
        if word_col is None or action_col is None:
            raise FieldInvalid(
                "file", _("The first sheet needs the columns 词 and 处理方式 (word, action).")
            )
        for n, row in enumerate(rows, start=2):
            if n - 1 > MAX_IMPORT_ROWS:
                raise FieldInvalid("file", _("At most %(n)d rows.") % {"n": MAX_IMPORT_ROWS})
            cells = [("" if c is None else str(c)) for c in row]
            if not any(c.strip() for c in cells):
                continue
            try:
                term = _valid_term(_cell(cells, word_col), f"row {n} / word")
                action = _action(_cell(cells, action_col), f"row {n} / action")
            except Invalid as exc:
                errors.update(exc.fields)
                continue
            words[term] = (action, _cell(cells, note_col).strip()[:100])
    if errors:
        raise Invalid(fields=errors)
    existing = {
        w: (a, n) for w, a, n in SensitiveWord.objects.values_list("word", "action", "note")
    }
    added = [w for w in words if w not in existing]
    changed = [w for w in words if w in existing and existing[w] != words[w]]
    SensitiveWord.objects.bulk_create(
        [SensitiveWord(word=w, action=words[w][0], note=words[w][1]) for w in added]
    )
    for w in changed:
        SensitiveWord.objects.filter(word=w).update(action=words[w][0], note=words[w][1])
    have = set(AllowedPhrase.objects.values_list("phrase", flat=True))
    new_allowed = list(dict.fromkeys(p for p in allowed if p not in have))
    AllowedPhrase.objects.bulk_create([AllowedPhrase(phrase=p) for p in new_allowed])
    if not (added or changed or new_allowed):
        return None
    return _revise(
        actor,
        WordListRevision.Source.IMPORT,
        {"added": added, "changed": changed, "allowed_added": new_allowed},
    )
