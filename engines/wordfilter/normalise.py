"""The form both the word list and a post are matched in, with a map back to the post.

A listed word and a post go through the same function, so a rule only has to be consistent, never
right about which side a spelling came from. Per character, in this order:

1. NFKC: full-width letters and digits, ① and ⑴ (→ "1", "(1)"), ligatures and compatibility
   ideographs fold to their plain forms. A base character and the combining marks after it are
   normalised together, so a decomposed "e" + U+0301 composes to "é" as NFKC of the whole text
   would.
2. casefold, then NFKC again (casefolding can leave a string that is not NFKC).
3. traditional → simplified, one character at a time, from opencc's ``TSCharacters.txt`` (the
   first candidate of each mapping: 違禁詞 → 违禁词, 乾 → 干). No phrase conversion: that needs
   opencc's slow segmenter, and a word list matched character by character does not need it.
4. number forms → ASCII digits: 〇零一二三四五六七八九 and the financial 壹贰叁肆伍陆柒捌玖
   (貳 and 叄 reach them through step 3); every character with a Unicode digit value (❶, ➀, ٣)
   and other "No" number signs with a whole value (❿ → "10"). **两 is not mapped**: it is in
   ordinary words (两岸, 斤两) far more often than it stands for a digit, and 参 stays for the same
   reason (参加). 拾/十 are not digits and stay.
5. separators dropped: every character of category Z* (spaces), P* (punctuation), S* (symbols,
   emoji), Cc and Cf (controls, zero-width spaces and joiners, BOM, bidi marks), and the marks (M*)
   left over after NFKC composed what it could: variation selectors and enclosing circles are a
   cheap way to split a word, and a Chinese forum loses nothing by ignoring them (Thai or
   Devanagari vowel signs would be ignored too).
6. runs of one character collapsed to one, so 微微信, 微 信, 微-信 and 微信信 all read 微信.

Trade-offs of step 6: a listed word keeps only one of a doubled character (谢谢 → 谢, so it
matches every 谢), and digits collapse too (13800 → 1380), on both sides alike; a word never stops
matching because of it, but short words with doubled characters match more than they say.

``origin[i]`` is the index in the original text of normalised character i (the first character
of a collapsed run; the start of a character NFKC expanded, as ⑩ → "10").
"""

import unicodedata
from importlib import resources

# Code points below this are folded once and remembered; astral characters (emoji, rare CJK
# extensions) are folded each time, so a post full of odd characters cannot grow the cache past
# the BMP's 65,536 entries.
_CACHE_LIMIT = 0x10000

_CHINESE_DIGITS = dict(zip("〇零一二三四五六七八九", "00123456789", strict=True))
_CHINESE_DIGITS |= dict(zip("壹贰叁肆伍陆柒捌玖", "123456789", strict=True))

_SEPARATOR_CATEGORIES = frozenset({"Cc", "Cf", "Mn", "Mc", "Me"})
_SEPARATOR_CLASSES = frozenset("ZPS")


def traditional_to_simplified() -> dict[str, str]:
    """Single-character traditional → simplified, the first candidate of each opencc mapping."""
    path = resources.files("opencc").joinpath("dictionary", "TSCharacters.txt")
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        first = targets.split(" ", 1)[0]
        if len(source) == 1 and len(first) == 1 and first != source:
            table[source] = first
    return table


def _character_table() -> dict[int, str]:
    """One ``str.translate`` table for steps 3 and 4: a traditional numeral ends as a digit."""
    simplified = traditional_to_simplified()
    table = {
        ord(source): _CHINESE_DIGITS.get(target, target) for source, target in simplified.items()
    }
    table |= {ord(numeral): digit for numeral, digit in _CHINESE_DIGITS.items()}
    return table


_CHARACTER_TABLE = _character_table()


def _is_separator(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in _SEPARATOR_CLASSES or category in _SEPARATOR_CATEGORIES


def _number_form(char: str) -> str:
    """ASCII digits for a character with a whole numeric value beyond NFKC's reach, else char."""
    digit = unicodedata.digit(char, None)
    if digit is not None:
        return str(digit)
    if unicodedata.category(char) == "No":
        value = unicodedata.numeric(char, None)
        if value is not None and value >= 0 and value == int(value):
            return str(int(value))
    return char


def fold(piece: str) -> str:
    """Steps 1–5 for one character (or a base character with its combining marks)."""
    text = unicodedata.normalize("NFKC", piece)
    text = unicodedata.normalize("NFKC", text.casefold()).translate(_CHARACTER_TABLE)
    return "".join(_number_form(char) for char in text if not _is_separator(char))


_folded: dict[str, str] = {}


def fold_char(char: str) -> str:
    """``fold`` of one character, remembered for the BMP (dict writes are atomic: threads safe)."""
    folded = _folded.get(char)
    if folded is None:
        folded = fold(char)
        if ord(char) < _CACHE_LIMIT:
            _folded[char] = folded
    return folded


def _pieces(text: str) -> tuple[list[str], list[int], list[int]]:
    """Base characters with the combining marks that follow them, and their [start, end)."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        if pieces and unicodedata.combining(char):
            pieces[-1] += char
            ends[-1] = index + 1
        else:
            pieces.append(char)
            starts.append(index)
            ends.append(index + 1)
    return pieces, starts, ends


def normalise_with_ends(text: str) -> tuple[str, list[int], list[int]]:
    """``normalise`` plus ``ends[i]``: one past the last original character behind norm char i
    (the end of its collapsed run), so a match's original span stops at its last character."""
    if unicodedata.is_normalized("NFC", text):
        # No base + mark pair that composes (nearly every post): fold character by character.
        folds = map(fold_char, text)
        starts, ends = range(len(text)), range(1, len(text) + 1)
    else:
        pieces, starts, ends = _pieces(text)
        folds = (fold_char(piece) if len(piece) == 1 else fold(piece) for piece in pieces)
    norm: list[str] = []
    norm_starts: list[int] = []
    norm_ends: list[int] = []
    previous = ""
    for folded, start, end in zip(folds, starts, ends, strict=True):
        for char in folded:
            if char == previous:
                norm_ends[-1] = end
            else:
                norm.append(char)
                norm_starts.append(start)
                norm_ends.append(end)
                previous = char
    return "".join(norm), norm_starts, norm_ends


def normalise(text: str) -> tuple[str, list[int]]:
    """The matching form of ``text`` and, per character of it, its index in ``text``."""
    norm, origin, _ = normalise_with_ends(text)
    return norm, origin
