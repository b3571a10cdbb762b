"""normalise: each folding step on its own, and the map back to the original text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engines.wordfilter import normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＤＡＩＧＯＵ１２", "daigou12"),  # full-width letters and digits
        ("DaiGou", "daigou"),  # upper case
        ("違禁詞", "违禁词"),  # traditional characters
        ("违 禁-词", "违禁词"),  # a space and a hyphen
        ("违，禁。词！", "违禁词"),  # Chinese punctuation
        ("违★禁😀词", "违禁词"),  # symbols and emoji
        ("违\u200b禁\u200d词\ufeff", "违禁词"),  # zero-width space, joiner, BOM
        ("违\ufe0f禁\u20dd词", "违禁词"),  # a variation selector and an enclosing circle
        ("违违禁禁词", "违禁词"),  # doubled characters
        ("违 违-禁禁词词", "违禁词"),  # a run broken only by separators is still one run
    ],
)
def test_each_kind_of_disguise_folds_to_the_plain_word(text, expected):
    assert normalise(text)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("壹二③", "123"),
        ("五〇四零", "5040"),
        ("貳叄陸", "236"),  # traditional financial numerals, through the character table
        ("⑩", "10"),
        ("⑴⒉", "12"),  # parenthesised and full-stop digits lose their brackets and dots
        ("❶➁", "12"),  # dingbat circled digits, which NFKC leaves alone
        ("٣７", "37"),  # Arabic-Indic and full-width digits
    ],
)
def test_number_forms_become_ascii_digits(text, expected):
    assert normalise(text)[0] == expected


def test_liang_and_can_are_left_as_words_not_digits():
    assert normalise("两岸参加")[0] == "两岸参加"


def test_each_normalised_character_points_at_the_character_it_came_from():
    text = "Ｘ 違-禁禁词"
    norm, origin = normalise(text)
    assert norm == "x违禁词"
    assert origin == [0, 2, 4, 6]  # the collapsed 禁禁 points at its first 禁


def test_a_character_nfkc_expands_points_every_output_character_at_itself():
    assert normalise("a⑩b") == ("a10b", [0, 1, 1, 2])


def test_a_base_character_and_its_combining_mark_compose_like_nfkc_of_the_whole_text():
    decomposed = "cafe\u0301!"
    assert normalise(decomposed) == normalise("café!") == ("café", [0, 1, 2, 3])


def test_empty_text_and_text_of_separators_only_normalise_to_nothing():
    assert normalise("") == ("", [])
    assert normalise(" ，。\u200b—— ") == ("", [])


@given(st.text(alphabet="违禁词甲違詞壹一1Ａa ，-\u200b⑩", max_size=40))
def test_every_origin_is_increasing_and_inside_the_text(text):
    norm, origin = normalise(text)
    assert len(origin) == len(norm)
    assert origin == sorted(origin)
    assert all(0 <= index < len(text) for index in origin)
    # normalising is idempotent: the folded form folds to itself
    assert normalise(norm)[0] == norm
