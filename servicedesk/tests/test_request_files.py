"""Request photos: served to who sees the request; to anyone else, one and the same 404 whether
the photo exists or not (nothing tells another shop's photo from a missing one)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from servicedesk import services
from servicedesk.models import RequestAttachment
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def their_photo(other_shop_owner) -> RequestAttachment:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, "PNG")
    upload = SimpleUploadedFile("door.png", buffer.getvalue(), content_type="image/png")
    request = make_request(other_shop_owner, at=None, title="门头灯坏了")
    return services.photos_add(actor=other_shop_owner, request_id=request.pk, photos=[upload])[0]


def _answer(client, photo_id: int) -> tuple[int, str, bytes]:
    response = client.get(f"/files/requests/{photo_id}/")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, response["Content-Type"], content


@pytest.mark.parametrize("role", ["shop_owner", "account_manager"])
def test_another_shops_photo_and_a_missing_one_answer_the_same_404(
    client_for, request, their_photo, role
):
    client = client_for(request.getfixturevalue(role))
    missing = RequestAttachment.objects.order_by("-pk").first().pk + 1000
    theirs = _answer(client, their_photo.pk)
    assert theirs[0] == 404
    assert theirs == _answer(client, missing)


def test_the_shop_that_sent_the_photo_gets_it(client_for, their_photo, other_shop_owner):
    status, content_type, content = _answer(client_for(other_shop_owner), their_photo.pk)
    assert (status, content_type) == (200, "image/png") and content[:4] == b"\x89PNG"
