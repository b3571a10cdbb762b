"""Dispatch tests read messages in English (the Chinese catalogue is checked by check_messages)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
