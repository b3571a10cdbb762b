from django.utils.translation import gettext_lazy as _

from imports.management.base import ImportCommand
from imports.models import ImportJob


class Command(ImportCommand):
    help = _("Import orders (one row per order line) from a CSV or XLSX file, all or nothing.")
    kind = ImportJob.Kind.ORDERS
