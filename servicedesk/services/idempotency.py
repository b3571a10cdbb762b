"""Idempotent API submission: a retried submission answers with the first request."""

import hashlib
import json
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.models import User
from flexserve.errors import AppError, Invalid
from servicedesk.errors import IdempotencyKeyReused
from servicedesk.models import ServiceRequest
from servicedesk.services.intake import request_create


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def request_submit_idempotent(
    *, actor: User, key: str, payload: dict[str, Any]
) -> tuple[ServiceRequest, bool]:
    """``request_create`` once per (user, key): a retry returns the first request (True when
    replayed); the same key with another body is refused (409). The key is a column of the
    request, unique per submitter, so the request and its key commit together or not at all."""
    key = key.strip()
    if not key or len(key) > 200:
        raise Invalid(fields={"Idempotency-Key": [_("Send a key of 1 to 200 characters.")]})
    digest = fingerprint(payload)
    # No lookup first: the key is unique per submitter, so a retry of a committed submission fails
    # on insert (or on validation, if the world changed since) and answers with the first request.
    try:
        request = request_create(actor=actor, idempotency=(key, digest), **payload)
    except (IntegrityError, AppError):
        first = _replay(actor, key, digest)
        if first is None:
            raise
        return first, True
    return request, False


def _replay(actor: User, key: str, digest: str) -> ServiceRequest | None:
    request = (
        ServiceRequest.objects.filter(created_by=actor, idempotency_key=key)
        .select_related("shop", "request_type")
        .first()
    )
    if request is not None and request.body_fingerprint != digest:
        raise IdempotencyKeyReused()
    return request
