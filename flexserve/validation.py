"""Turn Django model validation into the error envelope (``invalid`` with per-field messages)."""

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
