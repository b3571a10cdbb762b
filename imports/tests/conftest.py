import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def upload(client_for, django_capture_on_commit_callbacks):
    """POST a file to the API as ``user``; the job runs before the call returns."""

    def post(user, name: str, content: bytes, kind: str = "shops", **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(user).post(
                "/api/imports/jobs",
                {"kind": kind, "file": SimpleUploadedFile(name, content)},
                headers=headers,
            )

    return post
