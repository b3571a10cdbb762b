"""Bearer-token authentication for integrations (the ordering platform, service-request intake).

An integration may call many times a second, so each process remembers a checked token for
``TOKEN_CACHE_SECONDS``: revoking a token (or deactivating its user) takes effect within that
time in every process, and at once in the process that saved the change.
"""

import copy
import time
from datetime import timedelta

from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from accounts.models import ApiToken, User

LAST_USED_PRECISION = timedelta(minutes=1)
TOKEN_CACHE_SECONDS = 10.0
_checked: dict[str, tuple[float, ApiToken]] = {}  # digest → (checked at, token with its user)


def _lookup(digest: str) -> ApiToken | None:
    now = time.monotonic()
    hit = _checked.get(digest)
    if hit is not None and now - hit[0] < TOKEN_CACHE_SECONDS:
        return hit[1]
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_token is None:
        _checked.pop(digest, None)
        return None
    if len(_checked) > 1000:  # tokens are few; this only bounds a flood of bad ones
        _checked.clear()
    _checked[digest] = (now, api_token)
    return api_token


def forget_checked_tokens(**kwargs) -> None:
    _checked.clear()


post_save.connect(forget_checked_tokens, sender=ApiToken, dispatch_uid="auth-token-saved")
post_save.connect(forget_checked_tokens, sender=User, dispatch_uid="auth-user-saved")


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = _lookup(ApiToken.digest_of(token))
        if api_token is None:
            return None
        now = timezone.now()
        # Minute precision is enough to spot unused tokens; a write per call is not.
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
            api_token.last_used_at = now
        # A copy per request: the policy caches per-request facts (territory) on the user object.
        user = copy.copy(api_token.user)
        request.user = user
        return user
