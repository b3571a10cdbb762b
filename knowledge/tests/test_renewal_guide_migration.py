"""An existing database gets the shipped answers and phrasings of its unedited entries (the
renewal guide) as a new version; what an editor made stays as it is."""

import importlib

import pytest
from django.apps import apps

from knowledge.models import Entry, EntryVersion

guide = importlib.import_module("knowledge.migrations.0008_shipped_renewal_guide")
colloquial = importlib.import_module("knowledge.migrations.0007_shipped_colloquial_phrasings")

SEED = guide.seed_entries()
RENEWAL = "kb-licence-044"
OLD_ANSWER = "许可证延续向发证的专卖管理部门申请。"


def _state() -> list[tuple]:
    return list(
        Entry.objects.order_by("code").values_list("code", "version", "answer", "phrasings")
    )


def test_every_earlier_shipped_note_counts_as_shipped():
    assert set(colloquial.SHIPPED_NOTES) <= set(guide.SHIPPED_NOTES)


def test_a_database_loaded_from_the_current_file_changes_nothing(db):
    before, versions = _state(), EntryVersion.objects.count()
    guide.forwards(apps, None)
    assert _state() == before
    assert EntryVersion.objects.count() == versions


@pytest.fixture
def database_before_the_guide(db):
    """As a database migrated to 0007 before the renewal entry became the whole guide."""
    renewal = Entry.objects.get(code=RENEWAL)
    Entry.objects.filter(pk=renewal.pk).update(
        answer=OLD_ANSWER, phrasings=SEED[RENEWAL]["phrasings"][:3], version=2
    )
    EntryVersion.objects.create(entry=renewal, version=2, snapshot={}, note=colloquial.NOTE)
    # An editor wrote their own answer for another entry.
    edited = Entry.objects.get(code="kb-licence-006")
    Entry.objects.filter(pk=edited.pk).update(answer="编辑写的答案", version=2)
    EntryVersion.objects.create(entry=edited, version=2, snapshot={}, note="Edited")


def test_an_unedited_entry_takes_the_shipped_answer_as_a_new_version(database_before_the_guide):
    guide.forwards(apps, None)

    renewal = Entry.objects.get(code=RENEWAL)
    assert renewal.version == 3
    assert renewal.answer == SEED[RENEWAL]["answer"] != OLD_ANSWER
    assert renewal.phrasings == SEED[RENEWAL]["phrasings"]
    assert "许可证怎么续" in renewal.phrasings
    version = EntryVersion.objects.get(entry=renewal, version=3)
    assert version.note == guide.NOTE
    assert version.snapshot["answer"] == renewal.answer


def test_an_entry_an_editor_changed_stays_as_it_is(database_before_the_guide):
    guide.forwards(apps, None)

    edited = Entry.objects.get(code="kb-licence-006")
    assert (edited.answer, edited.version) == ("编辑写的答案", 2)
    assert not EntryVersion.objects.filter(entry=edited, version=3).exists()


def test_running_twice_changes_nothing_more(database_before_the_guide):
    guide.forwards(apps, None)
    after_once, versions = _state(), EntryVersion.objects.count()
    guide.forwards(apps, None)
    assert _state() == after_once
    assert EntryVersion.objects.count() == versions
