"""More photos on an open request."""

from collections.abc import Sequence
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from flexserve import policy
from flexserve.errors import Forbidden, Invalid
from flexserve.images import check_images
from flexserve.policy import Perm
from servicedesk.errors import RequestNotOpen
from servicedesk.models import EventKind, RequestAttachment
from servicedesk.services.common import _locked, is_shop_of, record_change
from servicedesk.services.intake import MAX_ATTACHMENTS


@transaction.atomic
def photos_add(
    *, actor: User, request_id: int, photos: Sequence[UploadedFile], at: datetime | None = None
) -> list[RequestAttachment]:
    """More photos for an open request, from its shop or its staff (3 per request at most)."""
    request = _locked(actor, request_id)
    if not (is_shop_of(actor, request) or policy.has_perm(actor, Perm.REQUEST_WORK)):
        raise Forbidden()
    if not request.is_open:
        raise RequestNotOpen()
    if not photos:
        raise Invalid(fields={"photos": [_("This field is required.")]})
    if request.attachments.count() + len(photos) > MAX_ATTACHMENTS:
        raise Invalid(
            fields={"photos": [_("A request holds at most %(n)s photos.") % {"n": MAX_ATTACHMENTS}]}
        )
    checked = check_images(photos)
    added = [
        RequestAttachment.objects.create(
            request=request, file=upload, content_type=kind, size=upload.size, uploaded_by=actor
        )
        for upload, kind in checked
    ]
    record_change(
        request,
        action="request.photos",
        actor=actor,
        at=at or timezone.now(),
        kind=EventKind.COMMENT,
        note=_("%(n)s photo(s) added") % {"n": len(added)},
    )
    return added
