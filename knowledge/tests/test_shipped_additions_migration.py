"""An existing database gets the entries the seed gained and the new topic labels of its unedited
shipped entries; what an editor made stays as it is."""

import importlib

import pytest
from django.apps import apps

from knowledge.models import Entry, EntryVersion
from knowledge.tests.factories import EntryFactory

additions = importlib.import_module("knowledge.migrations.0005_add_shipped_entries")

SEED = {item["id"]: additions.stored(item) for item in additions.seed_items()}


def _state() -> list[tuple]:
    return list(
        Entry.objects.order_by("code").values_list("code", "version", "tags", "phrasings", "answer")
    )


def test_every_added_code_is_in_the_seed_file():
    assert set(additions.ADDED) <= set(SEED)
    assert len(set(additions.ADDED)) == len(additions.ADDED) == 32


def test_a_database_loaded_from_the_current_file_changes_nothing(db):
    before, versions = _state(), EntryVersion.objects.count()
    additions.forwards(apps, None)
    assert _state() == before
    assert EntryVersion.objects.count() == versions


@pytest.fixture
def database_before_the_additions(db):
    """As a database loaded from the earlier seed looks: no added entries, old first tags."""
    Entry.objects.filter(code__in=additions.ADDED).delete()
    Entry.objects.filter(code="kb-delivery-001").update(
        tags=["配送日"], phrasings=["订完烟几天能到", "配送日是哪天"]
    )
    edited = Entry.objects.get(code="kb-delivery-009")
    Entry.objects.filter(pk=edited.pk).update(tags=["送错", "编辑加的"], version=2)
    EntryVersion.objects.create(entry=edited, version=2, snapshot={}, note="Edited")
    # An editor's own entry took one of the codes the seed now ships.
    EntryFactory(code="kb-display-021", question="编辑自己写的问题：门头招牌能换吗")


def test_added_entries_arrive_as_published_version_1(database_before_the_additions):
    additions.forwards(apps, None)

    for code in set(additions.ADDED) - {"kb-display-021"}:
        entry = Entry.objects.get(code=code)
        assert (entry.status, entry.version) == ("published", 1)
        assert (entry.question, entry.phrasings, entry.tags) == (
            SEED[code]["question"],
            SEED[code]["phrasings"],
            SEED[code]["tags"],
        )
        snapshot = EntryVersion.objects.get(entry=entry, version=1).snapshot
        assert snapshot["answer"] == SEED[code]["answer"]
    assert Entry.objects.get(code="kb-display-021").question.startswith("编辑自己写的问题")


def test_unedited_entries_take_the_new_tags_and_edited_ones_stay(database_before_the_additions):
    additions.forwards(apps, None)

    shipped = Entry.objects.get(code="kb-delivery-001")
    assert shipped.tags[0] == "送货日" and shipped.tags == SEED["kb-delivery-001"]["tags"]
    assert shipped.phrasings == SEED["kb-delivery-001"]["phrasings"]
    assert shipped.version == 2
    assert EntryVersion.objects.get(entry=shipped, version=2).snapshot["tags"] == shipped.tags
    edited = Entry.objects.get(code="kb-delivery-009")
    assert (edited.tags, edited.version) == (["送错", "编辑加的"], 2)


def test_running_twice_adds_and_changes_nothing_more(database_before_the_additions):
    additions.forwards(apps, None)
    after_once, versions = _state(), EntryVersion.objects.count()
    additions.forwards(apps, None)
    assert _state() == after_once
    assert EntryVersion.objects.count() == versions


def test_reverse_removes_only_the_entries_it_added(database_before_the_additions):
    additions.forwards(apps, None)
    Entry.objects.filter(code="kb-licence-036").update(version=2)  # an editor saved it since

    additions.backwards(apps, None)

    left = set(Entry.objects.filter(code__in=additions.ADDED).values_list("code", flat=True))
    assert left == {"kb-display-021", "kb-licence-036"}
    assert Entry.objects.filter(code="kb-ordering-001").exists()


def test_reverse_on_a_fresh_database_keeps_the_seed(db):
    count = Entry.objects.count()
    additions.backwards(apps, None)
    assert Entry.objects.count() == count
