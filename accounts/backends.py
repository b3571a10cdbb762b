"""Refuse log-ins from an address that keeps failing, before any password is hashed.

django-axes locks a user name per address; a flood over many user names from one address would
still cost an Argon2 hash (~100 MiB, tens of ms) per try. Failures are counted per client address
(``flexserve.throttling.client_ip``) in the shared cache for the axes cool-off time; past
``LOGIN_FAILURES_PER_ADDRESS`` this backend, first in ``AUTHENTICATION_BACKENDS``, refuses with one
cache read, and AxesMiddleware answers 429 with the lock-out page. Other addresses, such as the
shop's own, are not affected.
"""

from django.conf import settings
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from flexserve.throttling import client_ip, window_count, window_take

SCOPE = "login-failures"


def window_s() -> int:
    """The counting window in seconds: the axes cool-off time (15 minutes by default)."""
    return max(60, int(float(settings.AXES_COOLOFF_TIME) * 3600))


class AddressLimitBackend(BaseBackend):
    def authenticate(self, request: HttpRequest | None, **credentials):
        limit = settings.LOGIN_FAILURES_PER_ADDRESS
        if request is None or limit <= 0:
            return None
        if window_count(SCOPE, client_ip(request), window_s=window_s()) < limit:
            return None  # on to axes and the password check
        request.axes_locked_out = True  # AxesMiddleware renders the 429 lock-out page
        raise PermissionDenied  # stops django.contrib.auth.authenticate here

    def get_user(self, user_id):
        # Being first in the list, this backend is what test clients' force_login records.
        return ModelBackend().get_user(user_id)


def count_failure(sender, credentials=None, request: HttpRequest | None = None, **kwargs) -> None:
    """``user_login_failed``: one more failure for the client's address (refusals not counted)."""
    if request is None or getattr(request, "axes_locked_out", False):
        return
    if settings.LOGIN_FAILURES_PER_ADDRESS > 0:
        window_take(SCOPE, client_ip(request), limit=0, window_s=window_s())
