"""Messaging failures: stable codes, translated messages (zh-hans first)."""

from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError, Invalid


class UnknownVariables(Invalid):
    code = "unknown_variables"
    message = _("Unknown variables: %(names)s. Use only %(known)s. Nothing was saved.")


class SmsTooLong(Invalid):
    code = "sms_too_long"
    message = _(
        "As an SMS this text can reach %(length)s characters, more than %(limit)s. "
        "Shorten it. Nothing was saved."
    )


class EmptyAudience(Invalid):
    code = "empty_audience"
    message = _("No active shop matches this audience. Nothing was saved.")


class PastTime(Invalid):
    code = "past_time"
    message = _("The send time %(when)s is in the past. Nothing was saved.")


class LinkNotOurs(Invalid):
    code = "link_not_ours"
    message = _("A message may only link to a page of this site (a path starting with /).")


class CampaignNotEditable(AppError):
    code, status = "campaign_not_editable", 409
    message = _("This campaign has already been sent or cancelled.")


class BadSignature(AppError):
    code, status = "bad_signature", 403
    message = _("The signature of this callback is not valid; nothing was changed.")
