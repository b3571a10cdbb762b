"""API input types every app shares: record ids, days and page numbers, bounded to what the database
holds, so an absurd number answers 422 naming the field instead of overflowing in SQL."""

import datetime
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import PageNumberPagination as NinjaPageNumberPagination

from flexserve.errors import FieldInvalid

# Primary keys are 64-bit; SQLite raises OverflowError and PostgreSQL "bigint out of range" beyond.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# A working day the platform can plan: the arithmetic around it (the next day, its week) never
# leaves Python's date range, which 9999-12-31 + 1 day does.
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
Day = Annotated[datetime.date, Field(ge=FIRST_DAY, le=LAST_DAY)]


def day_out_of_range(field: str) -> FieldInvalid:
    """The 422 for a day outside FIRST_DAY..LAST_DAY, for pages that parse days by hand."""
    problem = _("Enter a day from %(first)s to %(last)s.") % {
        "first": FIRST_DAY.isoformat(),
        "last": LAST_DAY.isoformat(),
    }
    return FieldInvalid(field, problem)


# Far past any list we hold, and (page - 1) × page size stays inside a 64-bit OFFSET.
MAX_PAGE = 1_000_000_000


class PageNumberPagination(NinjaPageNumberPagination):
    """Ninja's page-number pagination with ``page`` bounded (a bigger ``page_size`` is clamped)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(
            None,
            ge=1,
            description=f"more than {ninja_settings.PAGINATION_MAX_PER_PAGE_SIZE} gives that many",
        )
