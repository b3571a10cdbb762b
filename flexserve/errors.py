"""One error envelope for every failure, in pages and API alike.

    {"error": {"code": "shop_not_found", "message": "…", "fields": {}}}

``code`` is part of the API: never renamed, asserted by tests. ``message`` follows the request's
language (zh-hans by default). ``fields`` maps an input field (or "row 3 / licence_no") to its
messages.
"""

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AppError(Exception):
    """Base of every expected failure: a stable code, an HTTP status, a translated message."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    message: ClassVar[str | Promise] = _("The request could not be completed.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        **params: Any,
    ) -> None:
        self.params = params
        self.fields = fields or {}
        if message is not None:
            self.message = message
        super().__init__(self.render_message())

    def render_message(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def as_body(self) -> dict[str, Any]:
        fields = {key: [str(m) for m in messages] for key, messages in self.fields.items()}
        return {"error": {"code": self.code, "message": self.render_message(), "fields": fields}}


class NotFound(AppError):
    code, status = "not_found", 404
    message = _("Not found.")


class Forbidden(AppError):
    code, status = "forbidden", 403
    message = _("You do not have permission to do this.")


class NotAuthenticated(AppError):
    code, status = "not_authenticated", 401
    message = _("Please log in first.")


class Invalid(AppError):
    code, status = "invalid", 422
    message = _("Some fields are not valid.")


class FieldInvalid(Invalid):
    """One input field is not valid; the message names it too, as pages show only the message."""

    message = _("%(field)s: %(problem)s")

    def __init__(self, field: str, problem: str | Promise) -> None:
        super().__init__(fields={field: [str(problem)]}, field=field, problem=str(problem))


class RateLimited(AppError):
    code, status = "rate_limited", 429
    message = _("Too many requests; please wait a moment and try again.")


class Conflict(AppError):
    code, status = "conflict", 409
    message = _("The data changed in the meantime; reload and try again.")
