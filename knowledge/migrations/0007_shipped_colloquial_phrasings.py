"""Bring the phrasings of an existing database up to the current seed file.

Every shipped entry gained up to three phrasings the way shop owners really ask (spoken, short, with
dialect and trade words such as 咋/俺/烟证/定烟, or a concrete situation). Every shipped entry that
nobody has edited since it was loaded, corrected or updated takes the seed's phrasings as its next
version, as 0005 did; only the phrasings change. Entries an editor has changed stay as they are.
A fresh database already loaded these phrasings in 0002 and changes nothing here.
"""

import json
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parents[2] / "engines" / "qa" / "seed" / "kb_tobacco.jsonl"
FIELDS = ("category", "question", "phrasings", "answer", "tags", "valid_from", "valid_until")
NOTE = "新增口语相似问 / shipped colloquial phrasings added"
# The notes of versions the shipped content wrote (0002, 0004, 0005 and this one): an entry whose
# current version carries one of them has not been edited since. Copied, not imported, so that
# renaming an older migration cannot break this one.
SHIPPED_NOTES = (
    "初始知识库 / seed",
    "更正随附内容 / shipped content corrected",
    "更新随附标签与相似问 / shipped tags and phrasings updated",
    NOTE,
)


def seed_phrasings() -> dict[str, tuple[str, list[str]]]:
    """Entry code → (standard question, phrasings as an Entry stores them: without the question)."""
    items = (
        json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()
    )
    return {
        item["id"]: (item["question"], [p for p in item["phrasings"] if p != item["question"]])
        for item in items
    }


def _snapshot(entry) -> dict:
    snapshot = {field: getattr(entry, field) for field in FIELDS} | {"status": entry.status}
    for field in ("valid_from", "valid_until"):
        if snapshot[field] is not None:
            snapshot[field] = snapshot[field].isoformat()
    return snapshot


def forwards(apps, schema_editor):
    Entry = apps.get_model("knowledge", "Entry")
    EntryVersion = apps.get_model("knowledge", "EntryVersion")
    seed = seed_phrasings()
    for entry in Entry.objects.filter(code__in=seed):
        current = EntryVersion.objects.filter(entry=entry, version=entry.version).first()
        if current is None or current.note not in SHIPPED_NOTES:
            continue  # an editor's version (or one we cannot place): theirs to keep
        question, phrasings = seed[entry.code]
        if entry.question != question or entry.phrasings == phrasings:
            continue
        entry.phrasings = phrasings
        entry.version += 1
        entry.save(update_fields=["phrasings", "version", "updated_at"])
        EntryVersion.objects.create(
            entry=entry, version=entry.version, snapshot=_snapshot(entry), note=NOTE
        )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0006_turn_clarify_and_reason")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
