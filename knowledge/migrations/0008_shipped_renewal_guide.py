"""Bring the answers and phrasings of an existing database's shipped entries up to the seed file.

The licence-renewal entry (kb-licence-044, 许可证延续怎么办理？) became the whole renewal guide: when,
where, which papers and the steps, with the plain ways shop owners ask it (许可证怎么续, 烟证快到期了
怎么办). Every shipped entry nobody has edited since it was loaded, corrected or updated takes the
seed's answer, phrasings and tags as its next version, as 0005 and 0007 did. Entries an editor has
changed stay as they are; a fresh database loaded the current file in 0002 and changes nothing.
"""

import json
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parents[2] / "engines" / "qa" / "seed" / "kb_tobacco.jsonl"
FIELDS = ("category", "question", "phrasings", "answer", "tags", "valid_from", "valid_until")
UPDATED = ("answer", "phrasings", "tags")
NOTE = "更新随附答案 / shipped answers updated"
# The notes of versions the shipped content wrote (0002, 0004, 0005, 0007 and this one): an entry
# whose current version carries one of them has not been edited since. Copied, not imported, so
# that renaming an older migration cannot break this one.
SHIPPED_NOTES = (
    "初始知识库 / seed",
    "更正随附内容 / shipped content corrected",
    "更新随附标签与相似问 / shipped tags and phrasings updated",
    "新增口语相似问 / shipped colloquial phrasings added",
    NOTE,
)


def seed_entries() -> dict[str, dict]:
    """Entry code → the seed's fields as an Entry stores them (phrasings without the question)."""
    items = (
        json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()
    )
    return {
        item["id"]: {
            "question": item["question"],
            "answer": item["answer"],
            "tags": item.get("tags", []),
            "phrasings": [p for p in item["phrasings"] if p != item["question"]],
        }
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
    seed = seed_entries()
    for entry in Entry.objects.filter(code__in=seed):
        current = EntryVersion.objects.filter(entry=entry, version=entry.version).first()
        if current is None or current.note not in SHIPPED_NOTES:
            continue  # an editor's version (or one we cannot place): theirs to keep
        shipped = seed[entry.code]
        if entry.question != shipped["question"]:
            continue
        changed = [field for field in UPDATED if getattr(entry, field) != shipped[field]]
        if not changed:
            continue
        for field in changed:
            setattr(entry, field, shipped[field])
        entry.version += 1
        entry.save(update_fields=[*changed, "version", "updated_at"])
        EntryVersion.objects.create(
            entry=entry, version=entry.version, snapshot=_snapshot(entry), note=NOTE
        )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0007_shipped_colloquial_phrasings")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
