"""Load the seed knowledge base (engines/qa/seed/kb_tobacco.jsonl) as published version 1."""

import json
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parents[2] / "engines" / "qa" / "seed" / "kb_tobacco.jsonl"
FIELDS = ("category", "question", "phrasings", "answer", "tags", "valid_from", "valid_until")


def forwards(apps, schema_editor):
    Entry = apps.get_model("knowledge", "Entry")
    EntryVersion = apps.get_model("knowledge", "EntryVersion")
    if Entry.objects.exists():
        return
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        phrasings = [p for p in item["phrasings"] if p != item["question"]]
        entry = Entry.objects.create(
            code=item["id"],
            category=item["category"],
            question=item["question"],
            phrasings=phrasings,
            answer=item["answer"],
            tags=item.get("tags", []),
            status="published",
            version=1,
        )
        snapshot = {field: getattr(entry, field) for field in FIELDS} | {"status": "published"}
        EntryVersion.objects.create(
            entry=entry, version=1, snapshot=snapshot, note="初始知识库 / seed"
        )


def backwards(apps, schema_editor):
    apps.get_model("knowledge", "Entry").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
