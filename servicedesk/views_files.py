"""Request photos are private: served only to people who may see the request, never as plain
media URLs."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from flexserve.errors import NotFound
from servicedesk import selectors
from servicedesk.models import RequestAttachment


def _not_found() -> HttpResponse:
    """One fixed 404 for a missing photo and for one outside the user's scope: no page around it
    (its CSRF token changes per response), so nothing tells the two apart."""
    response = HttpResponse(
        NotFound().render_message(), status=404, content_type="text/plain; charset=utf-8"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    # Looked up inside the visible requests in one query: scope first, then existence.
    visible = selectors.request_list(request.user).values("pk")
    photo = RequestAttachment.objects.filter(pk=attachment_id, request__in=visible).first()
    if photo is None:
        return _not_found()
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
