"""Photos are stored under generated names with the detected type's extension, and an image
declaring more pixels than a photo can have is refused before it is decoded."""

import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from servicedesk.models import RequestAttachment, ServiceRequest
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db

NEW = "/portal/requests/new/"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def file_with_photo(client, upload: SimpleUploadedFile, **extra):
    data = {"request_type": "order_problem", "title": "货架坏了", "photos": [upload]}
    return client.post(NEW, data, **extra)


def test_a_photo_named_evil_php_is_stored_under_a_generated_png_name(
    client_for, shop_owner, account_manager
):
    upload = SimpleUploadedFile("evil.php", png_bytes(), content_type="application/x-php")
    assert file_with_photo(client_for(shop_owner), upload).status_code == 302
    stored = RequestAttachment.objects.get().file.name
    assert re.fullmatch(r"requests/\d{4}/\d{2}/\d+/[0-9a-f]{32}\.png", stored), stored
    assert "evil" not in stored


def test_a_photo_added_over_the_api_gets_a_generated_name(client_for, shop_owner, account_manager):
    sr = make_request(shop_owner)
    upload = SimpleUploadedFile("shelf.JPG.php", png_bytes(), content_type="image/jpeg")
    response = client_for(shop_owner).post(
        f"/api/service/requests/{sr.pk}/photos", {"photos": [upload]}
    )
    assert response.status_code == 201
    assert re.search(r"/[0-9a-f]{32}\.png$", RequestAttachment.objects.get().file.name)


def test_a_decompression_bomb_is_refused_on_the_photos_field(
    client_for, shop_owner, account_manager
):
    bomb = SimpleUploadedFile("bomb.png", png_declaring(30000, 30000), content_type="image/png")
    response = file_with_photo(client_for(shop_owner), bomb, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "megapixels" in " ".join(response.context["form"].errors["photos"])
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("size", [(30000, 30000), (12000, 9000)])  # > and < twice Pillow's limit
def test_a_decompression_bomb_over_the_api_is_a_422_naming_photos(
    client_for, shop_owner, account_manager, size
):
    sr = make_request(shop_owner)
    bomb = SimpleUploadedFile("bomb.png", png_declaring(*size), content_type="image/png")
    response = client_for(shop_owner).post(
        f"/api/service/requests/{sr.pk}/photos", {"photos": [bomb]}
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["photos"]
    assert not RequestAttachment.objects.exists()
