"""Shared body of ``import_shops`` and ``import_orders``: run an import here, show progress."""

import sys
import time
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from imports import services
from imports.models import ImportJob


class ImportCommand(BaseCommand):
    kind: str = ""

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a .csv (UTF-8 or GBK) or .xlsx file")
        parser.add_argument(
            "--language",
            default=None,
            help="language of the messages (zh-hans or en; default: the site's language)",
        )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        last_print = 0.0
        interactive = sys.stdout.isatty()

        def show(status: str, done: int, total: int) -> None:
            nonlocal last_print
            now = time.monotonic()
            final = total and done >= total
            if now - last_print < (0.2 if interactive else 2.0) and not final:
                return
            last_print = now
            rate = done / max(now - started, 1e-6)
            percent = services.overall_percent(status, done, total)
            line = _("%(percent)3d%% %(phase)s %(done)s/%(total)s rows, %(rate)s rows/s") % {
                "percent": percent,
                "phase": ImportJob.Status(status).label,
                "done": done,
                "total": total,
                "rate": f"{rate:,.0f}",
            }
            if interactive:
                self.stdout.write("\r" + line, ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        language = options["language"]
        with translation.override(language) if language else nullcontext():
            try:
                job = services.import_file_run(
                    kind=self.kind, path=options["file"], language=language, on_progress=show
                )
            except FileNotFoundError:
                raise CommandError(
                    _("No such file: %(path)s") % {"path": options["file"]}
                ) from None
            if interactive:
                self.stdout.write("")
            elapsed = time.monotonic() - started
            if job.status != ImportJob.Status.SUCCEEDED:
                for error in job.errors:
                    self.stderr.write(_format_error(error))
                if job.error_count > len(job.errors):
                    self.stderr.write(
                        _("… and %(count)s more errors.")
                        % {"count": job.error_count - len(job.errors)}
                    )
                raise CommandError(
                    _("The file was rejected (%(count)s errors); nothing was imported.")
                    % {"count": job.error_count}
                )
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Imported %(rows)s rows in %(seconds).1f s: "
                        "%(created)s created, %(updated)s updated."
                    )
                    % {
                        "rows": job.total_rows,
                        "seconds": elapsed,
                        "created": job.created_count,
                        "updated": job.updated_count,
                    }
                )
            )


def _format_error(error: dict) -> str:
    if error.get("row") is None:
        return error["message"]
    return _("Row %(row)s, column %(column)s: %(message)s") % error
