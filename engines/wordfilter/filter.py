"""The company's sensitive-word list, compiled once and matched against posts.

``WordList.compile`` normalises every listed word and allow-list phrase (``normalise.py``) and
puts them into one Aho–Corasick automaton (pyahocorasick), so a post is normalised once and read
once, whatever the size of the list. A hit is reported with the offsets of the original
characters it came from, separators between them included, so the app can highlight or mask
exactly what the author typed.
"""

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

import ahocorasick

from engines.wordfilter.normalise import fold_char, normalise, normalise_with_ends


class Action(StrEnum):
    """What a listed word does to a post, strongest first."""

    BLOCK = "block"
    REVIEW = "review"
    FLAG = "flag"
    MASK = "mask"

    @property
    def strength(self) -> int:
        return _STRENGTH[self]

    @classmethod
    def strongest(cls, actions: Iterable["Action"]) -> "Action | None":
        """The strongest of ``actions``; None when there are none."""
        return max(actions, key=_STRENGTH.__getitem__, default=None)


_STRENGTH = {Action.BLOCK: 4, Action.REVIEW: 3, Action.FLAG: 2, Action.MASK: 1}


@dataclass(frozen=True, slots=True)
class Hit:
    """A listed word found in a text: ``word`` as spelled in the list, ``[start, end)`` the
    original characters it was read from (separators and collapsed repeats between them
    included)."""

    word: str
    action: Action
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """The strongest action a text earns (None: no hit), its hits, and the distinct BLOCK words
    in order of appearance."""

    action: Action | None
    hits: tuple[Hit, ...]
    blocked_words: tuple[str, ...]


@dataclass(frozen=True)
class WordList:
    """A validated list: normalised form → (the word as listed, its action), and the normalised
    allow-list phrases."""

    words: Mapping[str, tuple[str, Action]]
    allowed: frozenset[str]

    @classmethod
    def compile(
        cls, entries: Iterable[tuple[str, Action | str]], allow: Iterable[str] = ()
    ) -> "Matcher":
        """A matcher for ``(word, action)`` entries; ``allow`` phrases cancel hits inside them.

        Two spellings that normalise alike (违禁词, 違禁詞) are one word: the stronger action
        wins, and its spelling (the first one listed on a tie). Raises ``ValueError`` for a word or
        phrase with nothing left after normalisation and for an unknown action.
        """
        words: dict[str, tuple[str, Action]] = {}
        for word, action in entries:
            action = Action(action)
            key = _matching_form(word, "sensitive word")
            listed = words.get(key)
            if listed is None or action.strength > listed[1].strength:
                words[key] = (word, action)
        allowed = frozenset(_matching_form(phrase, "allow-list phrase") for phrase in allow)
        return Matcher(cls(MappingProxyType(words), allowed))


def _matching_form(text: str, kind: str) -> str:
    norm, _ = normalise(text)
    if not norm:
        raise ValueError(
            f"{kind} {text!r} has nothing left to match once spaces, punctuation and symbols "
            "are removed"
        )
    return norm


class Matcher:
    """A compiled ``WordList``. Never changes after construction, so one instance can serve every
    thread (the automaton is only read; each scan has its own iterator)."""

    __slots__ = ("_automaton", "_word_list")

    def __init__(self, word_list: WordList) -> None:
        self._word_list = word_list
        automaton = ahocorasick.Automaton()
        # One automaton for words and allowed phrases: a post is read once for both.
        for key, (word, action) in word_list.words.items():
            automaton.add_word(key, (len(key), word, action, key in word_list.allowed))
        for key in word_list.allowed - word_list.words.keys():
            automaton.add_word(key, (len(key), None, None, True))
        # pyahocorasick refuses to search an automaton without keys; None stands for "no hits".
        self._automaton = automaton if len(automaton) else None
        if self._automaton is not None:
            automaton.make_automaton()

    @property
    def word_list(self) -> WordList:
        return self._word_list

    def __len__(self) -> int:
        return len(self.word_list.words)

    def __repr__(self) -> str:
        return f"<Matcher {len(self)} words, {len(self.word_list.allowed)} allowed phrases>"

    def scan(self, text: str) -> list[Hit]:
        """Every hit in ``text`` (original offsets), overlapping ones included, by start."""
        norm, starts, ends = normalise_with_ends(text)
        hits = [
            Hit(word, action, starts[first], ends[last - 1])
            for first, last, word, action in self._matches(norm)
        ]
        hits.sort(key=lambda hit: (hit.start, hit.end))
        return hits

    def verdict(self, text: str) -> Verdict:
        """The strongest action ``text`` earns, with its hits and the distinct BLOCK words."""
        hits = self.scan(text)
        blocked = dict.fromkeys(hit.word for hit in hits if hit.action is Action.BLOCK)
        return Verdict(Action.strongest(hit.action for hit in hits), tuple(hits), tuple(blocked))

    def mask(self, text: str, char: str = "*", *, only: Iterable[Action] | None = None) -> str:
        """``text`` with each character of every hit replaced by ``char``; separators inside a hit
        (违 禁-词 → * *-*) stay visible, so the text keeps its length and layout. ``only`` limits
        masking to hits with those actions (a forum masks MASK words but keeps a REVIEW word
        readable for its moderator); by default every hit is masked."""
        if len(char) != 1:
            raise ValueError(f"the mask must be one character, not {char!r}")
        keep = None if only is None else frozenset(only)
        masked = list(text)
        for hit in self.scan(text):
            if keep is not None and hit.action not in keep:
                continue
            for index in range(hit.start, hit.end):
                if fold_char(text[index]):
                    masked[index] = char
        return "".join(masked)

    def _matches(self, norm: str) -> list[tuple[int, int, str, Action]]:
        """(first, last + 1, word, action) in normalised offsets, allowed ones dropped."""
        if self._automaton is None or not norm:
            return []
        found = []
        allowed = []
        for last, (length, word, action, is_allowed) in self._automaton.iter(norm):
            span = (last + 1 - length, last + 1)
            if is_allowed:
                allowed.append(span)
            if word is not None:
                found.append((*span, word, action))
        if not allowed or not found:
            return found
        # A hit is inside some allowed occurrence when, of the occurrences starting at or
        # before it, the one reaching furthest reaches its end.
        allowed.sort()
        allowed_starts = [start for start, _ in allowed]
        furthest = []
        reach = -1
        for _, end in allowed:
            reach = max(reach, end)
            furthest.append(reach)
        kept = []
        for match in found:
            index = bisect.bisect_right(allowed_starts, match[0]) - 1
            if index < 0 or furthest[index] < match[1]:
                kept.append(match)
        return kept
