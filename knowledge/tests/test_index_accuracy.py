"""The index the portal asks is the benchmarked engine over the database's entries: on the
project's held-out questions it finds the right entry as often as the benchmark says."""

import json
from pathlib import Path

from knowledge import index
from knowledge.models import Entry

HELDOUT = Path(__file__).resolve().parents[2] / "engines" / "qa" / "seed" / "heldout_tobacco.jsonl"


def test_held_out_questions_find_their_entry(db):
    code_of = dict(Entry.objects.values_list("pk", "code"))
    queries = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]
    answerable = [q for q in queries if q["gold"]]
    right = sum(
        1
        for q in answerable
        if (hits := index.search(q["query"], k=1).hits)
        and code_of[int(hits[0].entry_id)] == q["gold"]
    )
    # Lexical mode (tests): the benchmark's qa_own_lexical_top1 is 75.9 %.
    assert index.mode()["mode"] == "lexical"
    assert right / len(answerable) >= 0.74


def test_out_of_kb_questions_are_rarely_answered(db):
    queries = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]
    outside = [q["query"] for q in queries if q["gold"] is None]
    answered = sum(1 for q in outside if index.search(q).decision == "answer")
    assert answered <= len(outside) * 0.1
