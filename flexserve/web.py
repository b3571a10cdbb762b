"""Small helpers every app's pages use: htmx checks, safe redirects, list filters as a query.

Defined once here (the bottom layer), so an app's views never import another app's views for them.
"""

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from flexserve.errors import AppError, NotAuthenticated, NotFound


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a history restore asks for the whole page)."""
    # A history restore after a cache miss asks for the whole page, though it comes from htmx.
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def safe_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect after a successful post; htmx gets an ``HX-Redirect`` (a 302 would be swapped)."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def scope_errors_pass(exc: AppError) -> None:
    """Out of scope stays a 404 page (and logged-out a log-in); other failures go on the form."""
    if isinstance(exc, NotFound | NotAuthenticated):
        raise exc


def filter_query(params: QueryDict, drop: tuple[str, ...] = ("page",)) -> str:
    """The filters of a list as a query string: blanks and ``drop`` left out."""
    query = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [v for v in values if v.strip()]
        if key not in drop and kept:
            query.setlist(key, kept)
    return query.urlencode()
