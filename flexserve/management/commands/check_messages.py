"""Fail when the source has translatable strings that the zh_Hans catalogue lacks.

Runs makemessages (GNU gettext's xgettext is needed), compares the message ids with the committed
catalogue, and puts the committed file back: the check never edits the tree.
"""

import shutil
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

CATALOGUE = Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"


def _ids(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


class Command(BaseCommand):
    help = "Check that every translatable string is in the zh_Hans catalogue."

    def handle(self, *args, **options):
        if shutil.which("xgettext") is None:
            self.stdout.write("check_messages: xgettext not found (GNU gettext); skipped.")
            return
        committed = CATALOGUE.read_bytes()
        before = _ids(CATALOGUE)
        try:
            call_command(
                "makemessages",
                locale=["zh_Hans"],
                ignore_patterns=[".venv", "node_modules", "staticfiles", "var"],
                no_obsolete=True,
                verbosity=0,
            )
            after = _ids(CATALOGUE)
        finally:
            CATALOGUE.write_bytes(committed)
        missing = sorted(after - before)
        if missing:
            listing = "\n".join(f"  {m}" for m in missing)
            raise CommandError(
                f"{len(missing)} string(s) missing from {CATALOGUE.name}; run `make messages` "
                f"and translate them:\n{listing}"
            )
        self.stdout.write(f"check_messages: all {len(after)} strings are in the catalogue.")
