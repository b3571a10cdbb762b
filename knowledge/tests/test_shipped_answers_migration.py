"""An existing database gets the corrected shipped answers; an editor's own changes stay."""

import importlib

from django.apps import apps

from knowledge.models import Entry, EntryVersion

correct = importlib.import_module("knowledge.migrations.0004_correct_shipped_answers")

OLD_ANSWER = "请拨打服务热线 400-XXX-XXXX，或在 App「我的—客户经理」中联系。"


def test_unedited_shipped_entries_take_the_corrected_answer_and_edited_ones_stay(db):
    shipped, edited = Entry.objects.filter(code__in=correct.answers_of_seed()).order_by("code")[:2]
    Entry.objects.filter(pk=shipped.pk).update(answer=OLD_ANSWER, version=1)
    Entry.objects.filter(pk=edited.pk).update(answer=OLD_ANSWER, version=3)

    correct.forwards(apps, None)

    shipped.refresh_from_db()
    edited.refresh_from_db()
    assert shipped.answer == correct.answers_of_seed()[shipped.code]
    assert "XXX" not in shipped.answer
    assert shipped.version == 2
    assert EntryVersion.objects.get(entry=shipped, version=2).snapshot["answer"] == shipped.answer
    assert (edited.answer, edited.version) == (OLD_ANSWER, 3)


def test_a_database_loaded_from_the_corrected_file_changes_nothing(db):
    before = list(Entry.objects.values_list("code", "version", "answer"))
    correct.forwards(apps, None)
    assert list(Entry.objects.values_list("code", "version", "answer")) == before
