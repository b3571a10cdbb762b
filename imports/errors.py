from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError


class UnknownImportKind(AppError):
    code, status = "import_kind_unknown", 422
    message = _("Choose what the file holds: shops or orders.")


class UnsupportedFileType(AppError):
    code, status = "import_file_type", 422
    message = _("Upload a .csv or .xlsx file.")


class EmptyFile(AppError):
    code, status = "import_file_empty", 422
    message = _("The file is empty.")


class FileTooLarge(AppError):
    code, status = "import_file_too_large", 413
    message = _("The file is larger than %(limit_mb)s MB; split it into smaller files.")
