"""The JSON API: one NinjaAPI, one router per app, one error envelope for every failure.

Authentication: the browser session (with CSRF on writes) or an ``Authorization: Bearer <token>``
header for integrations (``accounts.ApiToken``). Schema at /api/openapi.json, docs at /api/docs.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import (
    AuthenticationError,
    AuthorizationError,
    HttpError,
    Throttled,
    ValidationError,
)
from ninja.security import SessionAuth

from accounts.api import router as accounts_router
from accounts.auth import BearerTokenAuth
from commerce.api import router as commerce_router
from customers.api import router as customers_router
from dispatch.api import router as dispatch_router
from flexserve.errors import (
    AppError,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from flexserve.throttling import PerMinuteThrottle
from flexserve.validation import messages_by_field
from imports.api import router as imports_router
from knowledge.api import router as knowledge_router
from servicedesk.api import router as servicedesk_router

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="flexserve API",
    version="1.0",
    description="柔性化服务平台 — shops, orders, segmentation. Errors share one body: "
    '{"error": {"code", "message", "fields"}}.',
    # Bearer first: ninja's session auth answers 403 on a missing CSRF cookie without trying the
    # next method, which would refuse every integration's POST. Without an Authorization header
    # the bearer check passes on to the session (with CSRF).
    auth=[BearerTokenAuth(), SessionAuth(csrf=True)],
    throttle=[PerMinuteThrottle(settings.API_RATE_LIMIT_PER_MINUTE)],
    urls_namespace="api",
)


def _render(request: HttpRequest, error: AppError) -> HttpResponse:
    return api.create_response(request, error.as_body(), status=error.status)


@api.exception_handler(AppError)
def on_app_error(request, exc: AppError):
    return _render(request, exc)


# Pydantic's messages are English only; the common ones are translated here by error type.
_SCHEMA_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "decimal_max_digits": gettext_lazy("Enter at most %(max_digits)s digits."),
    "decimal_max_places": gettext_lazy("Enter at most %(decimal_places)s decimal places."),
    "less_than_equal": gettext_lazy("Enter a value of at most %(le)s."),
    "less_than": gettext_lazy("Enter a value below %(lt)s."),
    "greater_than_equal": gettext_lazy("Enter a value of at least %(ge)s."),
    "greater_than": gettext_lazy("Enter a value above %(gt)s."),
    "string_too_short": gettext_lazy("Enter at least %(min_length)s characters."),
    "string_too_long": gettext_lazy("Enter at most %(max_length)s characters."),
    "string_type": gettext_lazy("Enter text."),
    "too_short": gettext_lazy("Give at least %(min_length)s items."),
    "too_long": gettext_lazy("Give at most %(max_length)s items."),
    "list_type": gettext_lazy("Give a list."),
    "date_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": gettext_lazy("Enter a date and time as YYYY-MM-DDTHH:MM:SS+08:00."),
    "datetime_from_date_parsing": gettext_lazy(
        "Enter a date and time as YYYY-MM-DDTHH:MM:SS+08:00."
    ),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "model_attributes_type": gettext_lazy("Send a JSON object."),
    "dict_type": gettext_lazy("Send a JSON object."),
}


def _schema_message(error: dict) -> str:
    template = _SCHEMA_MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    try:
        return str(template) % (error.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return str(template)


@api.exception_handler(ValidationError)
def on_schema_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        # loc is ("body", "payload", "grade") or ("query", "page"): keep the field path only.
        loc = [
            str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "payload")
        ]
        fields.setdefault(".".join(loc) or "__all__", []).append(_schema_message(error))
    return _render(request, Invalid(fields=fields))


@api.exception_handler(DjangoValidationError)
def on_model_validation_error(request, exc: DjangoValidationError):
    return _render(request, Invalid(fields=messages_by_field(exc)))


@api.exception_handler(AuthenticationError)
def on_not_authenticated(request, exc):
    return _render(request, NotAuthenticated())


@api.exception_handler(AuthorizationError)
def on_authorization_error(request, exc):
    return _render(request, Forbidden())


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return _render(request, Forbidden())


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _render(request, NotFound())


@api.exception_handler(Throttled)
def on_throttled(request, exc):
    response = _render(request, RateLimited())
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    mapped = {401: NotAuthenticated, 403: Forbidden, 404: NotFound, 429: RateLimited}
    error_class = mapped.get(exc.status_code)
    if error_class is not None:
        return _render(request, error_class())
    error = AppError(str(exc))
    error.status = exc.status_code
    return _render(request, error)


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    body = {
        "error": {
            "code": "server_error",
            "message": _("Something went wrong on our side; the team has been told."),
            "fields": {},
        }
    }
    return api.create_response(request, body, status=500)


api.add_router("/accounts", accounts_router, tags=["accounts"])
api.add_router("/customers", customers_router, tags=["customers"])
api.add_router("/commerce", commerce_router, tags=["commerce"])
api.add_router("/imports", imports_router, tags=["imports"])
api.add_router("/service", servicedesk_router, tags=["service requests"])
api.add_router("/knowledge", knowledge_router, tags=["self-service Q&A and knowledge base"])
api.add_router("/dispatch", dispatch_router, tags=["appointments and dispatch"])
