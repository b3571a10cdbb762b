"""Concurrent submissions with one Idempotency-Key create one request (PostgreSQL only: the
embedded SQLite test database is in memory and cannot be shared between threads)."""

import threading

import pytest
from django.db import connection, connections

from servicedesk import services
from servicedesk.models import ServiceRequest

PAYLOAD = {"request_type": "order_problem", "title": "并发提交", "channel": "api"}


@pytest.mark.django_db(transaction=True)
def test_racing_retries_create_one_request(shop_owner, account_manager):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database shared between threads")
    barrier = threading.Barrier(6)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            request, replayed = services.request_submit_idempotent(
                actor=shop_owner, key="race-1", payload=PAYLOAD
            )
            results.append((request.pk, replayed))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert ServiceRequest.objects.count() == 1
    assert len({pk for pk, _ in results}) == 1
    assert sum(1 for _, replayed in results if not replayed) == 1
