from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError


class IdempotencyKeyReused(AppError):
    code, status = "idempotency_key_reused", 409
    message = _("This Idempotency-Key was used for a different request body.")


class IllegalTransition(AppError):
    code, status = "illegal_transition", 409
    message = _("A request that is %(status)s cannot be changed that way.")


class SupportStillOpen(AppError):
    code, status = "support_open", 409
    message = _(
        "%(n)s required support task(s) are still open: finish them, or a manager resolves "
        "with a reason."
    )


class AlreadyOwned(AppError):
    code, status = "already_owned", 409
    message = _("Someone already owns this request.")


class RequestNotOpen(AppError):
    code, status = "request_not_open", 409
    message = _("The request is no longer open.")


class SupportTaskFinished(AppError):
    code, status = "illegal_transition", 409
    message = _("This support task is already %(state)s.")
