"""Community failures: stable codes, translated messages (zh-hans first)."""

from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError, Forbidden, Invalid


class BlockedWords(Invalid):
    code = "blocked_words"
    message = _("This text contains words that cannot be published: %(words)s. Nothing was saved.")


class CannotPost(Forbidden):
    code = "cannot_post"
    message = _("Only owners of active licensed shops and company staff can post.")


class Suspended(Forbidden):
    code = "member_suspended"
    message = _("Your posting rights are suspended until %(until)s.")


class AlreadyModerated(AppError):
    code, status = "already_moderated", 409
    message = _("This post has already been decided by a moderator.")
