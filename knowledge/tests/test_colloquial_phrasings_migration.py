"""An existing database gets the colloquial phrasings of its unedited shipped entries as a new
version; what an editor made stays as it is."""

import importlib

import pytest
from django.apps import apps

from knowledge.models import Entry, EntryVersion

colloquial = importlib.import_module("knowledge.migrations.0007_shipped_colloquial_phrasings")
additions = importlib.import_module("knowledge.migrations.0005_add_shipped_entries")

SEED = colloquial.seed_phrasings()
ADDED_PER_ENTRY = 3  # the colloquial phrasings appended to every entry's list


def _old(code: str) -> list[str]:
    """The phrasings as a database migrated before the colloquial ones stores them."""
    return SEED[code][1][:-ADDED_PER_ENTRY]


def _state() -> list[tuple]:
    return list(Entry.objects.order_by("code").values_list("code", "version", "phrasings"))


def test_the_notes_of_shipped_versions_include_those_of_0005():
    assert additions.UPDATED_NOTE in colloquial.SHIPPED_NOTES
    assert set(additions.SHIPPED_NOTES) <= set(colloquial.SHIPPED_NOTES)


def test_a_database_loaded_from_the_current_file_changes_nothing(db):
    before, versions = _state(), EntryVersion.objects.count()
    colloquial.forwards(apps, None)
    assert _state() == before
    assert EntryVersion.objects.count() == versions


@pytest.fixture
def database_before_the_colloquial_phrasings(db):
    """As a database migrated to 0006 before the seed gained the phrasings looks."""
    # Loaded by 0002 and never touched since.
    Entry.objects.filter(code="kb-ordering-001").update(phrasings=_old("kb-ordering-001"))
    # Brought up to date by 0005: version 2 under its note.
    updated = Entry.objects.get(code="kb-delivery-001")
    Entry.objects.filter(pk=updated.pk).update(phrasings=_old("kb-delivery-001"), version=2)
    EntryVersion.objects.create(entry=updated, version=2, snapshot={}, note=additions.UPDATED_NOTE)
    # An editor saved their own phrasings.
    edited = Entry.objects.get(code="kb-licence-044")
    Entry.objects.filter(pk=edited.pk).update(phrasings=["编辑写的相似问"], version=2)
    EntryVersion.objects.create(entry=edited, version=2, snapshot={}, note="Edited")


def test_unedited_entries_take_the_seed_phrasings_as_a_new_version(
    database_before_the_colloquial_phrasings,
):
    answer = Entry.objects.get(code="kb-ordering-001").answer

    colloquial.forwards(apps, None)

    shipped = Entry.objects.get(code="kb-ordering-001")
    assert shipped.phrasings == SEED["kb-ordering-001"][1]
    assert (shipped.version, shipped.answer) == (2, answer)
    version = EntryVersion.objects.get(entry=shipped, version=2)
    assert version.note == colloquial.NOTE
    assert version.snapshot["phrasings"] == shipped.phrasings
    updated = Entry.objects.get(code="kb-delivery-001")
    assert (updated.phrasings, updated.version) == (SEED["kb-delivery-001"][1], 3)
    assert EntryVersion.objects.get(entry=updated, version=3).note == colloquial.NOTE


def test_entries_an_editor_changed_stay_as_they_are(database_before_the_colloquial_phrasings):
    colloquial.forwards(apps, None)

    edited = Entry.objects.get(code="kb-licence-044")
    assert (edited.phrasings, edited.version) == (["编辑写的相似问"], 2)
    assert not EntryVersion.objects.filter(entry=edited, version=3).exists()


def test_running_twice_changes_nothing_more(database_before_the_colloquial_phrasings):
    colloquial.forwards(apps, None)
    after_once, versions = _state(), EntryVersion.objects.count()
    colloquial.forwards(apps, None)
    assert _state() == after_once
    assert EntryVersion.objects.count() == versions
