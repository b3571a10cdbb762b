"""API rate limit: a fixed one-minute window per user (or per address when anonymous).

One counter per caller and minute in the cache (Redis in production: INCRBY and EXPIRE in one
pipelined round trip). Each process counts locally and adds to the shared counter in small
batches (up to 10 calls, never more than 5 % of the limit), and at every call once the caller
is near the limit, so the limit holds to within one batch per process while a busy integration
costs a Redis round trip only every tenth call. ninja's own sliding-window throttle keeps every
timestamp of the last minute in one cache value, rewritten on each call, and keys users by their
display name; at intake rates that list alone costs more than the request.

Also here: ``client_ip`` (the client's address behind ``TRUSTED_PROXY_COUNT`` proxies, for this
limit, django-axes and the log-in limit per address) and plain fixed-window counters
(``window_take``) for the per-shop intake limit and failed log-ins.
"""

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle
from redis.exceptions import RedisError

WINDOW_SECONDS = 60
MAX_BATCH = 10
CACHE_DOWN_LOG_EVERY_S = 30.0
# What Django's Redis cache raises while Redis is unreachable (refused, reset, timed out).
CACHE_ERRORS = (RedisError, OSError)

logger = logging.getLogger(__name__)
_cache_down_logged_at = 0.0


class PerMinuteThrottle(BaseThrottle):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._retry_after: float | None = None
        self._local: dict[str, tuple[int, int]] = {}  # key → (not yet added, shared total seen)

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "auth", None)
        ident = f"u{user.pk}" if getattr(user, "pk", None) else f"ip{client_ip(request)}"
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


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies the
    N-th address from the right of X-Forwarded-For (each proxy appends the address it saw;
    anything left of those is the client's to forge)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    chain = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [a for a in chain if a]
    if not chain:
        return remote
    candidate = chain[-min(count, len(chain))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # a proxy we trust wrote garbage: the connection's address is all we know
        return remote


@dataclass(frozen=True)
class Taken:
    """One call counted in a fixed window: ``retry_after_s`` is None when within the limit."""

    key: str
    total: int
    retry_after_s: float | None
    ttl_s: int


def window_take(scope: str, ident: str, *, limit: int, window_s: int) -> Taken:
    """Count one call of ``ident`` in the current ``window_s``-second window (shared cache)."""
    now = time.time()
    window = int(now // window_s)
    key = f"{scope}:{ident}:{window}"
    total = _add(key, 1, ttl_s=window_s * 2)
    retry = None if total <= limit else (window + 1) * window_s - now
    return Taken(key, total, retry, window_s * 2)


def window_give_back(taken: Taken) -> None:
    """Uncount a call that did not happen after all (refused, failed or replayed)."""
    _add(taken.key, -1, ttl_s=taken.ttl_s)


def window_count(scope: str, ident: str, *, window_s: int) -> int:
    """How many calls ``ident`` made in the current window (one cache read, no write); 0 while
    the cache is unreachable."""
    try:
        return cache.get(f"{scope}:{ident}:{int(time.time() // window_s)}") or 0
    except CACHE_ERRORS as error:
        cache_down(error)
        return 0


def _add(key: str, amount: int, *, ttl_s: int = WINDOW_SECONDS * 2) -> int:
    """Add ``amount`` to the window's shared counter and return the new total.

    While the cache is unreachable (Redis restarting) the limits fail open: the counter reads
    0 and the call goes through. Refusing every shop's request because a counter is missing
    would turn a cache outage into an intake outage; the limits are back with the cache."""
    try:
        return _add_shared(key, amount, ttl_s)
    except CACHE_ERRORS as error:
        cache_down(error)
        return 0


def cache_down(error: Exception) -> None:
    global _cache_down_logged_at
    now = time.monotonic()
    if now - _cache_down_logged_at >= CACHE_DOWN_LOG_EVERY_S:
        _cache_down_logged_at = now
        logger.warning("Cache unreachable, rate limits fail open meanwhile: %r", error)


def _add_shared(key: str, amount: int, ttl_s: int) -> int:
    client = _redis_client(key)
    if client is not None:  # Redis: INCRBY and EXPIRE in one round trip
        name = cache.make_and_validate_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.incrby(name, amount)
        pipe.expire(name, ttl_s)
        return pipe.execute()[0]
    try:
        return cache.incr(key, amount)
    except ValueError:  # first call of this window
        if cache.add(key, amount, timeout=ttl_s):
            return amount
        return cache.incr(key, amount)


def _redis_client(key: str):
    """The redis-py client behind Django's Redis cache (its incr costs two round trips)."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(key, write=True) if get_client else None
