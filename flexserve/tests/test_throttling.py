"""The API's per-user minute limit: counted per user id, answered with 429 and Retry-After."""

import pytest
from django.core.cache import cache

from flexserve.api import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_two(monkeypatch):
    cache.clear()
    monkeypatch.setattr(api.throttle[0], "limit", 2)
    yield
    cache.clear()


def test_third_call_in_a_minute_is_refused(client_for, shop_owner, limit_of_two):
    client = client_for(shop_owner)
    assert [client.get("/api/service/request-types").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/api/service/request-types")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 61


def test_users_have_separate_budgets_even_with_the_same_name(
    client_for, shop_owner, other_shop_owner, limit_of_two
):
    other_shop_owner.full_name = shop_owner.full_name  # ninja's own throttle keyed by name
    other_shop_owner.save()
    for _ in range(2):
        client_for(shop_owner).get("/api/service/request-types")
    assert client_for(other_shop_owner).get("/api/service/request-types").status_code == 200


def test_redis_counter_counts_in_one_round_trip(monkeypatch):
    """Production counts in Redis with a pipelined INCR + EXPIRE; Django's cache reads it back."""
    import redis
    from django.core.cache.backends.redis import RedisCache

    from flexserve import throttling

    redis_cache = RedisCache("redis://127.0.0.1:6379/7", {})
    try:
        redis_cache.delete("throttle:test")
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis here")
    monkeypatch.setattr(throttling, "cache", redis_cache)
    assert [throttling._add("throttle:test", n) for n in (1, 1, 5)] == [1, 2, 7]
    assert redis_cache.get("throttle:test") == 7
    assert 0 < redis_cache._cache.get_client().ttl(redis_cache.make_key("throttle:test")) <= 120
    redis_cache.delete("throttle:test")


def test_busy_callers_are_counted_in_batches_and_exactly_near_the_limit(rf, monkeypatch):
    from types import SimpleNamespace

    from flexserve import throttling

    added = []
    monkeypatch.setattr(throttling, "_add", lambda key, n: added.append(n) or sum(added))
    throttle = throttling.PerMinuteThrottle(limit=400)  # batches of 10 (5 % of 400 is 20)
    request = rf.get("/api/x")
    request.auth = SimpleNamespace(pk=7)
    allowed = [throttle.allow_request(request) for _ in range(420)]
    assert allowed.count(True) == 400 and not any(allowed[400:])
    assert added[:3] == [10, 10, 10]  # far from the limit: one shared update per ten calls
    assert set(added[-20:]) == {1}  # near it: every call is added at once
