"""The zh_Hans catalogue is complete: every message translated, none fuzzy, placeholders kept."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|\{\w*\}")


def _messages():
    with CATALOGUE.open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def test_every_message_is_translated_and_none_is_fuzzy():
    messages = _messages()
    assert len(messages) > 300
    untranslated = [m.id for m in messages if not all(m.string if m.pluralizable else [m.string])]
    assert untranslated == []
    assert [m.id for m in messages if m.fuzzy] == []


def test_translations_keep_every_placeholder():
    for message in _messages():
        source = message.id[0] if message.pluralizable else message.id
        target = message.string[0] if message.pluralizable else message.string
        expected = set(PLACEHOLDER.findall(source))
        if message.pluralizable:
            expected |= set(PLACEHOLDER.findall(message.id[1]))
        assert set(PLACEHOLDER.findall(target)) == expected, source
