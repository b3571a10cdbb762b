"""Writes for accounts: integration tokens."""

import secrets

from django.db import transaction

from accounts.models import ApiToken, User


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new bearer token for ``user``; the plain token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(
        user=user, name=name[:80], digest=ApiToken.digest_of(token), prefix=token[:8]
    )
    return api_token, token
