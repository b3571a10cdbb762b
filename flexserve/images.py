"""Checked image uploads, for every app that takes photos (requests, visits, articles)."""

import warnings
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from flexserve.errors import Invalid

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 64_000_000  # a 50-megapixel phone camera fits; decoded RGBA ≤ 256 MB
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def check_images(
    files: Sequence[UploadedFile], *, max_files: int = 3, field: str = "photos"
) -> list[tuple[UploadedFile, str]]:
    """Photos only (JPEG, PNG, WebP, checked by decoding), at most ``max_files``, 5 MB and
    ``MAX_PHOTO_PIXELS`` each; returns each with its content type, which names the stored file
    (``flexserve.validation.stored_name``). Errors are reported on ``field``."""
    from PIL import Image, UnidentifiedImageError

    if len(files) > max_files:
        raise Invalid(fields={field: [_("Attach at most %(n)s photos.") % {"n": max_files}]})
    checked = []
    for upload in files:
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise Invalid(
                fields={field: [_("%(name)s is larger than 5 MB.") % {"name": upload.name}]}
            )
        try:
            upload.seek(0)
            with warnings.catch_warnings():  # we check the pixel count ourselves, below
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(upload)  # reads the header only: nothing decoded yet
            with image:
                kind = image.format
                pixels = image.width * image.height
                if pixels <= MAX_PHOTO_PIXELS:
                    image.verify()
        except Image.DecompressionBombError:  # declares over twice Pillow's limit
            kind, pixels = None, MAX_PHOTO_PIXELS + 1
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            kind, pixels = None, 0
        if pixels > MAX_PHOTO_PIXELS:  # a decompression bomb: tiny file, gigabytes decoded
            raise Invalid(
                fields={
                    field: [
                        _("%(name)s has more than %(n)s megapixels.")
                        % {"name": upload.name, "n": MAX_PHOTO_PIXELS // 1_000_000}
                    ]
                }
            )
        if kind not in IMAGE_TYPES:
            raise Invalid(
                fields={
                    field: [_("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": upload.name}]
                }
            )
        upload.seek(0)
        checked.append((upload, IMAGE_TYPES[kind]))
    return checked
