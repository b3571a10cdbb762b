"""Request photos are private: served only to people who may see the request, never as plain
media URLs."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404

from servicedesk import selectors
from servicedesk.models import RequestAttachment


@login_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    photo = get_object_or_404(RequestAttachment, pk=attachment_id)
    selectors.request_get(request.user, photo.request_id)  # 404 unless the request is visible
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
