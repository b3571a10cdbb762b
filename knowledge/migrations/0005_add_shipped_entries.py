"""Bring an existing database up to the current seed file.

The seed gained entries on marketing activities, licence changes and the renewal procedure,
missed deliveries, display rewards and the ordering day vs. the delivery day (``ADDED``); they
are loaded as published version 1, as 0002 loaded the first seed. A code or question that
already exists is skipped: the database keeps what it has. The shipped entries also got a
short topic label as their first tag (the app asks "您问的是「订货日」还是「送货日」？" with it)
and a few phrasings that kept near-twins apart: every shipped entry that nobody has edited since it was loaded or corrected takes the
seed's tags, phrasings and answer as its next version. Entries an editor has changed stay as
they are.

"""

import json
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parents[2] / "engines" / "qa" / "seed" / "kb_tobacco.jsonl"
FIELDS = ("category", "question", "phrasings", "answer", "tags", "valid_from", "valid_until")
ADDED = (
    *(f"kb-ordering-{n:03d}" for n in range(36, 38)),
    *(f"kb-delivery-{n:03d}" for n in range(31, 36)),
    *(f"kb-licence-{n:03d}" for n in range(36, 45)),
    *(f"kb-display-{n:03d}" for n in range(21, 32)),
    "kb-product-013",
    *(f"kb-other-{n:03d}" for n in range(9, 13)),
)
ADDED_NOTE = "新增随附内容 / shipped entry added"
UPDATED_NOTE = "更新随附标签与相似问 / shipped tags and phrasings updated"
# The notes of versions the shipped content wrote (0002, 0004, this one): an entry whose current
# version carries one of them has not been edited since.
SHIPPED_NOTES = ("初始知识库 / seed", "更正随附内容 / shipped content corrected", UPDATED_NOTE)


def seed_items() -> list[dict]:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def stored(item: dict) -> dict:
    """The seed item as an Entry stores it: the phrasings leave out the standard question."""
    return {
        "category": item["category"],
        "question": item["question"],
        "phrasings": [p for p in item["phrasings"] if p != item["question"]],
        "answer": item["answer"],
        "tags": item.get("tags", []),
    }


def _snapshot(entry) -> dict:
    snapshot = {field: getattr(entry, field) for field in FIELDS} | {"status": entry.status}
    for field in ("valid_from", "valid_until"):
        if snapshot[field] is not None:
            snapshot[field] = snapshot[field].isoformat()
    return snapshot


def _add_new_entries(Entry, EntryVersion, items: list[dict]) -> None:
    codes = set(Entry.objects.values_list("code", flat=True))
    questions = set(Entry.objects.values_list("question", flat=True))
    for item in items:
        if item["id"] not in ADDED or item["id"] in codes or item["question"] in questions:
            continue
        entry = Entry.objects.create(code=item["id"], status="published", version=1, **stored(item))
        EntryVersion.objects.create(
            entry=entry, version=1, snapshot=_snapshot(entry), note=ADDED_NOTE
        )


def _update_unedited_entries(Entry, EntryVersion, items: list[dict]) -> None:
    seed = {item["id"]: stored(item) for item in items if item["id"] not in ADDED}
    for entry in Entry.objects.filter(code__in=seed):
        current = EntryVersion.objects.filter(entry=entry, version=entry.version).first()
        if current is None or current.note not in SHIPPED_NOTES:
            continue  # an editor's version (or one we cannot place): theirs to keep
        wanted = seed[entry.code]
        if entry.question != wanted["question"]:
            continue
        changed = [f for f in ("phrasings", "answer", "tags") if getattr(entry, f) != wanted[f]]
        if not changed:
            continue
        for field in changed:
            setattr(entry, field, wanted[field])
        entry.version += 1
        entry.save(update_fields=[*changed, "version", "updated_at"])
        EntryVersion.objects.create(
            entry=entry, version=entry.version, snapshot=_snapshot(entry), note=UPDATED_NOTE
        )


def forwards(apps, schema_editor):
    Entry = apps.get_model("knowledge", "Entry")
    EntryVersion = apps.get_model("knowledge", "EntryVersion")
    items = seed_items()
    _add_new_entries(Entry, EntryVersion, items)
    _update_unedited_entries(Entry, EntryVersion, items)


def backwards(apps, schema_editor):
    """Remove the entries this migration added and nobody has edited; updates stay."""
    Entry = apps.get_model("knowledge", "Entry")
    Entry.objects.filter(
        code__in=ADDED, version=1, versions__version=1, versions__note=ADDED_NOTE
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_correct_shipped_answers")]
    operations = [migrations.RunPython(forwards, backwards)]
