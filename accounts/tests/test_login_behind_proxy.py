"""Log-in throttling behind the TLS proxy: lock a user name per client address, not per proxy,
and refuse a flooding address before any password is hashed."""

from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client, RequestFactory

from accounts.models import Role
from accounts.tests.factories import UserFactory
from flexserve.throttling import client_ip

PASSWORD = "correct-horse-battery"
PROXY = "10.0.0.2"
CLIENT_A, CLIENT_B = "203.0.113.5", "198.51.100.7"


def log_in(client: Client, username: str, password: str, *, via: str, remote: str = PROXY):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=via,
    )


@pytest.fixture
def shop_x(db, settings):
    settings.AXES_ENABLED = True
    return UserFactory(username="340102418864", role=Role.SHOP_OWNER, password=PASSWORD)


def test_failures_from_one_client_behind_the_proxy_do_not_lock_out_another(settings, shop_x):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(attacker, shop_x.username, "wrong", via=CLIENT_A)
    assert log_in(attacker, shop_x.username, PASSWORD, via=CLIENT_A).status_code == 429

    shop = log_in(Client(), shop_x.username, PASSWORD, via=f"{CLIENT_A}, {CLIENT_B}")
    assert shop.status_code == 302  # the proxy appended B's address; the forged A is ignored


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(settings, shop_x):
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, shop_x.username, "wrong", via=f"192.0.2.{n}", remote=CLIENT_A)
    locked = log_in(client, shop_x.username, PASSWORD, via=CLIENT_B, remote=CLIENT_A)
    assert locked.status_code == 429


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "192.0.2.1", PROXY),
        (1, "192.0.2.1, 203.0.113.5", "203.0.113.5"),
        (2, "192.0.2.1, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (1, "", PROXY),
        (1, "not-an-address", PROXY),
    ],
)
def test_client_address_is_the_nth_from_the_right(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_flooding_address_is_refused_without_hashing_a_password(settings, shop_x):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    flooder = Client()
    for n in range(3):  # three user names, so no single name is locked
        log_in(flooder, f"34010200000{n}", "guess", via=CLIENT_A)
    with (
        mock.patch.object(Argon2PasswordHasher, "verify", autospec=True) as verify,
        mock.patch.object(Argon2PasswordHasher, "encode", autospec=True) as encode,
    ):
        refused = log_in(flooder, shop_x.username, PASSWORD, via=CLIENT_A)
    assert refused.status_code == 429
    assert b'data-error-code="rate_limited"' in refused.content
    assert (verify.call_count, encode.call_count) == (0, 0)

    # The shop itself, from its own address, still gets in.
    assert log_in(Client(), shop_x.username, PASSWORD, via=CLIENT_B).status_code == 302
