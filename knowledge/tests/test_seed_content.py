"""The shipped knowledge base says only what is true of this product: no hard-coded hotline or
placeholder number, no menus of an app the portal does not have, only known placeholders; and it
keeps the format rules of engines/qa/seed/README.md."""

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from knowledge import placeholders
from knowledge.models import Category

SEED = Path(__file__).resolve().parents[2] / "engines" / "qa" / "seed" / "kb_tobacco.jsonl"
ENTRIES = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line]
# A hard-coded hotline (400-…, 800-…, with digits or X), an "App" and its menus ("我的—客户经理").
FORBIDDEN = re.compile(r"[48]00[-－ ]?[\dX]{3}|XXX|App|APP|我的—|菜单")


def _texts(entry: dict) -> list[str]:
    return [entry["question"], entry["answer"], *entry["phrasings"]]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_shipped_answer_has_no_hard_coded_hotline_or_app_menu(entry):
    assert not FORBIDDEN.search(entry["answer"]), entry["answer"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_shipped_entry_uses_only_known_placeholders(entry):
    assert [found for text in _texts(entry) for found in placeholders.unknown(text)] == []


def test_the_hotline_and_the_request_page_are_placeholders_not_text():
    answers = " ".join(entry["answer"] for entry in ENTRIES)
    assert "{hotline}" in answers and "{link:request_new}" in answers


def test_the_checks_catch_what_they_are_for():
    """The scan would have failed on the old texts."""
    assert FORBIDDEN.search("请拨打客服热线400-XXX-XXXX")
    assert FORBIDDEN.search("在App“我的—客户经理”中查看")
    assert placeholders.unknown("拨打{hotlne}或在{link:request}页面") == [
        "{hotlne}",
        "{link:request}",
    ]


CATEGORIES = {c.value for c in Category}
SENTENCE_END = re.compile(r"[。！？]")


def _norm(text: str) -> str:
    """As the README's validation: no whitespace, punctuation or symbols; NFKC; lower-case."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c)[0] not in "PS")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_shipped_entry_keeps_the_readme_format(entry):
    category, number = entry["id"].removeprefix("kb-").rsplit("-", 1)
    assert category == entry["category"] in CATEGORIES and re.fullmatch(r"\d{3}", number)
    assert entry["phrasings"][0] == entry["question"]
    assert 4 <= len(entry["phrasings"]) <= 8
    assert 1 <= len(SENTENCE_END.findall(entry["answer"])) <= 5


def test_ids_and_phrasings_are_not_repeated_across_entries():
    assert len({entry["id"] for entry in ENTRIES}) == len(ENTRIES)
    counts = Counter(_norm(p) for entry in ENTRIES for p in entry["phrasings"])
    assert [p for p, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_first_tag_is_a_short_topic_label(entry):
    """tags[0] goes into "您问的是「订货日」还是「送货日」？": short, and words only."""
    label = entry["tags"][0]
    assert 2 <= len(label) <= 6
    assert all(unicodedata.category(c)[0] in "LN" for c in label), label


def test_no_two_entries_share_their_topic_label():
    counts = Counter(entry["tags"][0] for entry in ENTRIES)
    assert [label for label, n in counts.items() if n > 1] == []


def test_near_twins_have_their_own_entries():
    """The issue's commonest confusions each have an entry of their own, and one between them."""
    labels = {entry["tags"][0]: entry for entry in ENTRIES}
    for label in ("订货日", "送货日", "订货与送货", "陈列奖励", "积分兑换", "陈列与积分"):
        assert label in labels, label
    assert "送货" not in "".join(labels["订货日"]["phrasings"])
    assert not any("订货日" in p for p in labels["送货日"]["phrasings"])
