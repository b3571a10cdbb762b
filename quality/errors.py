"""Errors of the quality app: stable codes, translated messages (see flexserve.errors)."""

from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError, Conflict, NotFound


class SurveyNotFound(NotFound):
    code = "survey_not_found"
    message = _("This survey does not exist or is not for you.")


class SurveyClosed(AppError):
    code, status = "survey_closed", 409
    message = _("This survey is closed: answers are no longer accepted.")


class SurveyNotOpen(AppError):
    code, status = "survey_not_open", 409
    message = _("This survey has not opened yet.")


class AlreadyRated(Conflict):
    code = "already_rated"
    message = _("This contact has already been rated; the rating cannot be changed.")


class RatingExpired(AppError):
    code, status = "rating_expired", 409
    message = _("The time to rate this contact has passed.")
