"""Oversized bodies are refused from their Content-Length (413), before anything reads them."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class CountingStream:
    """A client body of ``size`` bytes made on demand, counting what the server reads."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.read_bytes if n is None or n < 0 else n
        n = min(n, self.size - self.read_bytes)
        self.read_bytes += n
        return b"x" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(min(n, 64 * 1024) if n and n > 0 else 64 * 1024)


def send(client: Client, path: str, size: int, content_type: str, **extra):
    stream = CountingStream(size)
    response = client.generic(
        "POST",
        path,
        b"x",
        content_type=content_type,
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": stream},
        **extra,
    )
    return response, stream


def test_an_oversized_upload_is_refused_unread(client_for, shop_owner, settings):
    settings.IMPORT_MAX_BYTES = 2 * MB  # uploads up to 3 MB with the multipart envelope
    response, stream = send(
        client_for(shop_owner),
        "/portal/requests/new/",
        20 * MB,
        "multipart/form-data; boundary=xyz",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert b'data-error-code="request_too_large"' in response.content
    assert stream.read_bytes == 0


def test_an_oversized_json_body_gets_the_error_envelope(client_for, shop_owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB
    response, stream = send(
        client_for(shop_owner), "/api/service/requests", 2 * MB, "application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (413, "request_too_large")
    assert stream.read_bytes == 0


def test_without_a_content_length_at_most_the_limit_is_read(client_for, shop_owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB
    stream = CountingStream(20 * MB)
    client_for(shop_owner).generic(
        "POST",
        "/api/service/requests",
        b"",
        content_type="application/json",
        **{"wsgi.input": stream},
    )
    assert stream.read_bytes <= MB
