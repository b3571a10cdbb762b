"""Bring the shipped answers of an existing database up to date with the seed file.

Version 1 of the seed named a "400-XXX-XXXX" hotline and the menus of an app this portal does not
have. A database loaded before the correction still holds those texts: every shipped entry that
nobody has edited since (still at version 1) takes the corrected answer as version 2. Entries an
editor has changed are left as the editor made them. A fresh database already loaded the
corrected file in 0002 and changes nothing here.
"""

import json
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parents[2] / "engines" / "qa" / "seed" / "kb_tobacco.jsonl"
FIELDS = ("category", "question", "phrasings", "answer", "tags", "valid_from", "valid_until")


def answers_of_seed() -> dict[str, str]:
    """Entry code → the shipped answer."""
    items = (
        json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()
    )
    return {item["id"]: item["answer"] for item in items}


def forwards(apps, schema_editor):
    Entry = apps.get_model("knowledge", "Entry")
    EntryVersion = apps.get_model("knowledge", "EntryVersion")
    answers = answers_of_seed()
    for entry in Entry.objects.filter(code__in=answers, version=1):
        if entry.answer == answers[entry.code]:
            continue
        entry.answer = answers[entry.code]
        entry.version = 2
        entry.save(update_fields=["answer", "version", "updated_at"])
        snapshot = {field: getattr(entry, field) for field in FIELDS} | {"status": entry.status}
        for field in ("valid_from", "valid_until"):
            if snapshot[field] is not None:
                snapshot[field] = snapshot[field].isoformat()
        EntryVersion.objects.create(
            entry=entry,
            version=2,
            snapshot=snapshot,
            note="更正随附内容 / shipped content corrected",
        )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_company_profile_and_curation_snapshot")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
