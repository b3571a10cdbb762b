"""The shipped knowledge base says only what is true of this product: no hard-coded hotline or
placeholder number, no menus of an app the portal does not have, only known placeholders."""

import json
import re
from pathlib import Path

import pytest

from knowledge import placeholders

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
