"""The Celery worker survives losing its Redis broker (bench/faults.py kills it under load).

Celery 5.7 closes a broker connection it has already collected; closing the channel then tries
to hand unacknowledged messages back through a transport that no longer has a client, and the
AttributeError stops the worker. Redis keeps those messages in its unacked set anyway (they
come back after the visibility timeout), so that hand-back is skipped.
"""

from types import SimpleNamespace

from kombu.transport import redis as kombu_redis

import flexserve.celery  # noqa: F401 (installs the guard)


def test_restoring_through_a_collected_connection_does_not_raise():
    qos = kombu_redis.QoS.__new__(kombu_redis.QoS)
    qos.channel = SimpleNamespace(connection=SimpleNamespace(client=None))
    qos._delivered = {"tag": ("message", "exchange", "key")}
    assert qos.restore_unacked() is None  # before the guard: AttributeError from _connparams
