"""Turn Django model validation into the error envelope (``invalid`` with per-field messages),
and name checked uploads for storage."""

import secrets

from django.core.exceptions import ValidationError
from django.db.models import Model

from flexserve.errors import Invalid


def full_clean_or_invalid(obj: Model, *, exclude: list[str] | None = None) -> None:
    """Run model validation; raise ``Invalid`` naming each bad field (nothing is saved)."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise Invalid(fields=messages_by_field(exc)) from None


def messages_by_field(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def stored_name(content_type: str) -> str:
    """A random file name with the extension of the type detected from the content: never the
    client's name or extension (``evil.php`` holding a PNG is stored as ``<random>.png``)."""
    return secrets.token_hex(16) + EXTENSIONS.get(content_type, ".bin")
