"""The JSON API: one NinjaAPI, one router per app, one error envelope for every failure.

Authentication: the browser session (with CSRF on writes) or an ``Authorization: Bearer <token>``
header for integrations (``accounts.ApiToken``). Schema at /api/openapi.json, docs at /api/docs
(Swagger UI from npm, served by WhiteNoise; in production for logged-in staff only).
"""

import logging
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Schema
from ninja.errors import (
    AuthenticationError,
    AuthorizationError,
    HttpError,
    Throttled,
    ValidationError,
)
from ninja.openapi.docs import Swagger
from ninja.security import SessionAuth

from accounts.api import router as accounts_router
from accounts.auth import BearerTokenAuth
from commerce.api import router as commerce_router
from customers.api import router as customers_router
from dispatch.api import router as dispatch_router
from flexserve import policy
from flexserve.errors import (
    AppError,
    FieldInvalid,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from flexserve.policy import Perm
from flexserve.throttling import PerMinuteThrottle
from flexserve.validation import messages_by_field
from imports.api import router as imports_router
from knowledge.api import router as knowledge_router
from outreach.api import router as outreach_router
from quality.api import router as quality_router
from servicedesk.api import router as servicedesk_router

logger = logging.getLogger(__name__)


class ErrorDetailOut(Schema):
    code: str = Field(..., description="stable, never renamed: invalid, not_found, order_exists, …")
    message: str = Field(..., description="in the request's language (Accept-Language)")
    fields: dict[str, list[str]] = Field(..., description="input field → its messages")


class ErrorOut(Schema):
    error: ErrorDetailOut


# The failures every operation may answer, each with the one error envelope (see flexserve.errors).
ERROR_RESPONSES = {
    401: "Not logged in, or the bearer token is unknown or revoked (not_authenticated).",
    403: "Your role may not do this (forbidden, or a domain code).",
    404: "A record named in the request does not exist or is outside your scope (not_found).",
    409: "The record is not in a state that allows this (a domain code such as order_exists).",
    413: "The request body is too large.",
    422: "An input is not valid (invalid, or a domain code); fields names each one.",
    429: "Too many calls this minute (rate_limited); retry after Retry-After seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _names_a_record(operation: dict, components: dict) -> bool:
    """Whether an input is a record's id: a path parameter, or a query or body field ``…_id(s)``."""
    for param in operation.get("parameters", []):
        if param.get("in") == "path" or param["name"].endswith(("_id", "_ids")):
            return True
    for content in operation.get("requestBody", {}).get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if any(name.endswith(("_id", "_ids")) for name in properties):
            return True
    return False


def _error_statuses(method: str, operation: dict, components: dict) -> list[int]:
    """Which failures an operation declares: the rules are in FlexserveAPI's docstring."""
    params = operation.get("parameters", [])
    body = "requestBody" in operation
    statuses = [429]
    if operation.get("security"):
        statuses += [401, 403]
    if _names_a_record(operation, components):
        statuses.append(404)
    if method in WRITE_METHODS:
        statuses.append(409)
    if body:
        statuses.append(413)
    if params or body:
        statuses.append(422)
    return sorted(statuses)


class FlexserveAPI(NinjaAPI):
    """NinjaAPI whose schema declares every operation's error answers, so clients generated from
    it handle them: 429 everywhere; 401 and 403 where authenticated; 404 where an input names a
    record (a path parameter, a ``…_id`` field); 409 on writes; 413 with a body; 422 with any
    input. Each has the error envelope as its body."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        definition = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(definition.pop("$defs", {}))
        components["ErrorOut"] = definition
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                responses = operation["responses"]
                for status in _error_statuses(method, operation, components):
                    responses.setdefault(
                        status, {"description": ERROR_RESPONSES[status], "content": body}
                    )
                if 429 in responses:
                    responses[429]["headers"] = RETRY_AFTER
        return schema


class LocalSwagger(Swagger):
    """Swagger UI from our static files (npm's swagger-ui-dist) and a script file: ninja's own
    page loads it from a CDN with an inline script, both refused by our Content-Security-Policy."""

    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": self.settings, "api": api, "add_csrf": True}
        return render(request, self.template, context)


def staff_only_in_production(view):
    """In production the docs and the schema are for logged-in staff (console users) only: they
    map every operation. The embedded trial shows them to anyone who reaches it."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.PRODUCTION:
            return view(request, *args, **kwargs)
        user = request.user
        if not user.is_authenticated:
            if request.resolver_match and request.resolver_match.url_name == "openapi-view":
                return redirect_to_login(request.get_full_path())
            return _render(request, NotAuthenticated())
        if not policy.has_perm(user, Perm.CONSOLE_USE):
            return _render(request, Forbidden())
        return view(request, *args, **kwargs)

    return guarded


api = FlexserveAPI(
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
    docs=LocalSwagger(),
    docs_decorator=staff_only_in_production,
)


def _render(request: HttpRequest, error: AppError) -> HttpResponse:
    return api.create_response(request, error.as_body(), status=error.status)


@api.exception_handler(AppError)
def on_app_error(request, exc: AppError):
    response = _render(request, exc)
    retry_after_s = getattr(exc, "retry_after_s", None)  # set by rate limits (RateLimited)
    if retry_after_s:
        response["Retry-After"] = str(int(retry_after_s) + 1)
    return response


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
    if exc.status_code == 400:  # ninja could not parse the body (not JSON, not UTF-8)
        return _render(request, FieldInvalid("body", _SCHEMA_MESSAGES["json_invalid"]))
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
api.add_router("/quality", quality_router, tags=["service quality: surveys and ratings"])
api.add_router("/outreach", outreach_router, tags=["messages to shops"])
