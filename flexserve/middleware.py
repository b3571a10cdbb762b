"""Pages show the same error text as the API: AppError becomes an error page with its status."""

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError, FieldInvalid, NotAuthenticated


class AppErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, AppError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotAuthenticated):
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        template = "_error_partial.html" if request.headers.get("HX-Request") else "error.html"
        return render(request, template, {"error": exception}, status=exception.status)


class RequestTooLarge(AppError):
    code, status = "request_too_large", 413
    message = _("The request is larger than %(limit_mb)s MB.")


MULTIPART_ENVELOPE_BYTES = 1024 * 1024  # boundaries, part headers and the form's other fields


def request_max_bytes(content_type: str) -> int:
    """The largest body accepted: file uploads up to the largest legitimate one (a shop or order
    import, ``IMPORT_MAX_BYTES``) plus the multipart envelope; anything else (JSON, forms)
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    if content_type.startswith("multipart/"):
        return settings.IMPORT_MAX_BYTES + MULTIPART_ENVELOPE_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BodySizeLimitMiddleware:
    """Refuse an oversized body (413) from its Content-Length, before anything reads it.

    Django streams multipart files to disk whatever their size and checks
    DATA_UPLOAD_MAX_MEMORY_SIZE only for the other fields, so without this a 150 MB upload is
    read whole before a view's 5 MB check. Every middleware's __call__ runs before CSRF's
    process_view reads the form. Without a Content-Length Django's WSGI handler reads nothing;
    the stream is capped all the same, for any other server.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = request_max_bytes(request.META.get("CONTENT_TYPE", ""))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or "")
        except ValueError:
            length = None
        if length is None:
            request._stream = LimitedStream(request._stream, limit)
        elif length > limit:
            return _too_large(request, limit)
        return self.get_response(request)


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    error = RequestTooLarge(limit_mb=limit // (1024 * 1024))
    if request.path.startswith("/api/"):
        response = JsonResponse(error.as_body(), status=error.status)
    else:
        response = render(request, "error.html", {"error": error}, status=error.status)
    response["Connection"] = "close"  # the unread body must not be taken for the next request
    return response


class RejectNulMiddleware:
    """Refuse text holding a NUL character ("\\x00") with 422 naming the field, wherever it comes
    in: the path, the query string, a form, a file name or a JSON body.

    PostgreSQL can neither store nor compare NUL in text (psycopg raises DataError: a 500), while
    SQLite takes it: checked here, once, the same input gets the same answer on both. A multipart
    body that cannot be parsed (no boundary) is refused here too, naming the Content-Type.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = _field_with_nul(request)
        except MultiPartParserError:
            problem = _("Send multipart/form-data with a boundary, as HTTP clients do for files.")
            return _refuse(request, FieldInvalid("Content-Type", problem))
        if field is not None:
            problem = _("Remove the NUL character (\\0): text cannot contain it.")
            return _refuse(request, FieldInvalid(field, problem))
        return self.get_response(request)


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _field_with_nul(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            return name.replace("\x00", "\\0")
    if request.method != "POST" and not request.META.get("CONTENT_LENGTH"):
        return None
    if request.content_type in FORM_TYPES:
        if request.method != "POST":
            return None  # Django parses forms on POST only; others arrive as an unread body
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name.replace("\x00", "\\0")
        for name, files in request.FILES.lists():
            if any("\x00" in (f.name or "") for f in files):
                return name
        return None
    # The API parses any other body as JSON whatever its Content-Type, so every one is checked.
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        return None  # not JSON: the API answers json_invalid with its own message
    return _json_path_with_nul(body, ())


def _json_path_with_nul(value: Any, path: tuple[str, ...]) -> str | None:
    if isinstance(value, str):
        return ".".join(path) or "__all__" if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        if "\x00" in key:
            return ".".join((*path, key.replace("\x00", "\\0")))
        found = _json_path_with_nul(item, (*path, key))
        if found is not None:
            return found
    return None


def _refuse(request: HttpRequest, error: AppError) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error.as_body(), status=error.status)
    template = "_error_partial.html" if request.headers.get("HX-Request") else "error.html"
    return render(request, template, {"error": error}, status=error.status)


class PostOnlyRedirectMiddleware:
    """A browser GET (or HEAD) of a URL that only takes a form's POST goes back where it came
    from, with a message, instead of the browser's bare 405 page.

    People reach such URLs with the back button after a refused form, or by a bookmark. Done once
    here for every view (``require_POST`` and the like answer 405); the API (``/api/``) and htmx
    requests keep their 405, which their callers read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or request.method not in ("GET", "HEAD")
            or request.path.startswith("/api/")
            or request.headers.get("HX-Request")
        ):
            return response
        messages.info(
            request,
            gettext("That address only takes a submitted form, so nothing was done."),
        )
        return HttpResponseRedirect(back_url(request))


def back_url(request: HttpRequest) -> str:
    """The same-host page the request came from (its Referer), else the home page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path != request.path:  # the Referer of a reload is the page itself: no loop
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")
