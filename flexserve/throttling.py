"""API rate limit: a fixed one-minute window per user (or per address when anonymous).

One counter per caller and minute in the cache (Redis in production: INCRBY and EXPIRE in one
pipelined round trip). Each process counts locally and adds to the shared counter in small
batches (up to 10 calls, never more than 5 % of the limit), and at every call once the caller
is near the limit, so the limit holds to within one batch per process while a busy integration
costs a Redis round trip only every tenth call. ninja's own sliding-window throttle keeps every
timestamp of the last minute in one cache value, rewritten on each call, and keys users by their
display name; at intake rates that list alone costs more than the request.
"""

import time

from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

WINDOW_SECONDS = 60
MAX_BATCH = 10


class PerMinuteThrottle(BaseThrottle):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._retry_after: float | None = None
        self._local: dict[str, tuple[int, int]] = {}  # key → (not yet added, shared total seen)

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "auth", None)
        ident = f"u{user.pk}" if getattr(user, "pk", None) else f"ip{self.get_ident(request)}"
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"throttle:{ident}:{window}"
        if key not in self._local and len(self._local) > 10_000:
            self._local.clear()  # old windows; the shared counters keep the truth
        pending, seen = self._local.get(key, (0, 0))
        pending += 1
        batch = max(1, min(MAX_BATCH, self.limit // 20))
        if pending >= batch or seen + pending >= self.limit - batch:
            seen, pending = _add(key, pending), 0
        self._local[key] = (pending, seen)
        if seen + pending <= self.limit:
            return True
        self._retry_after = (window + 1) * WINDOW_SECONDS - now
        return False

    def wait(self) -> float | None:
        return self._retry_after


def _add(key: str, amount: int) -> int:
    """Add ``amount`` to the window's shared counter and return the new total."""
    client = _redis_client(key)
    if client is not None:  # Redis: INCRBY and EXPIRE in one round trip
        name = cache.make_and_validate_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.incrby(name, amount)
        pipe.expire(name, WINDOW_SECONDS * 2)
        return pipe.execute()[0]
    try:
        return cache.incr(key, amount)
    except ValueError:  # first call of this window
        if cache.add(key, amount, timeout=WINDOW_SECONDS * 2):
            return amount
        return cache.incr(key, amount)


def _redis_client(key: str):
    """The redis-py client behind Django's Redis cache (its incr costs two round trips)."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(key, write=True) if get_client else None
