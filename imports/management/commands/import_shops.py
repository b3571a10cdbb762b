from django.utils.translation import gettext_lazy as _

from imports.management.base import ImportCommand
from imports.models import ImportJob


class Command(ImportCommand):
    help = _("Import shops from a CSV or XLSX file: every row, or none if any row is wrong.")
    kind = ImportJob.Kind.SHOPS
