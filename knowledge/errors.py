from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError


class EntryChanged(AppError):
    code, status = "entry_changed", 409
    message = _(
        "Someone saved this entry (now version %(version)s) after you opened it. Reload it and "
        "apply your change again."
    )


class NoShop(AppError):
    code, status = "no_shop", 403
    message = _("This account is not linked to a shop.")


class NotAnswered(AppError):
    code, status = "not_answered", 409
    message = _("Only an answer can be rated.")


class NotSuggested(AppError):
    code, status = "not_suggested", 422
    message = _("That entry was not among the suggestions of this question.")


class EntryUnavailable(AppError):
    code, status = "entry_unavailable", 409
    message = _("That answer is no longer available. Please ask your question again.")


class NothingToCurate(AppError):
    code, status = "nothing_to_curate", 409
    message = _("These questions were already handled by someone else.")
