"""Site-wide behaviour: health probe, error envelope, language, production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_and_broker(client, db):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["broker"] == {"status": "ok", "mode": "in-process"}


def test_unexpected_errors_answer_server_error_without_internals(
    client_for, admin_user, monkeypatch
):
    from customers import selectors

    def explode(**kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(selectors, "district_list", explode)
    response = client_for(admin_user).get("/api/customers/districts")
    body = response.json()
    assert response.status_code == 500
    assert body["error"]["code"] == "server_error"
    assert "secret" not in response.content.decode()


def test_schema_errors_name_the_field(client_for, service_manager):
    response = client_for(service_manager).get("/api/customers/shops?grade_min=99")
    body = response.json()["error"]
    assert (response.status_code, body["code"]) == (422, "invalid")
    assert "grade_min" in body["fields"]


def test_messages_are_chinese_by_default(client_for, shop_owner, other_shop):
    response = client_for(shop_owner).get(f"/api/customers/shops/{other_shop.pk}")
    message = response.json()["error"]["message"]
    assert message != "Not found." and any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_openapi_schema_and_docs_are_served(client, db):
    schema = client.get("/api/openapi.json").json()
    assert "/api/customers/shops" in schema["paths"]
    assert client.get("/api/docs").status_code == 200


def test_anonymous_pages_redirect_to_login(client, db):
    response = client.get("/console/shops/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FLEXSERVE_"))
    }
    environment.pop("DATABASE_URL", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "FLEXSERVE_MODE": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "service.example.com",
}


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"]
)
def test_production_refuses_to_start_without_a_mandatory_setting(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage("check", **env)
    assert result.returncode != 0 and missing in result.stderr


def test_an_unknown_mode_stops_start_up_with_a_clear_message():
    result = _manage("check", FLEXSERVE_MODE="staging")
    assert result.returncode != 0 and "FLEXSERVE_MODE" in result.stderr


def test_healthz_answers_503_when_the_broker_is_down(client, db, settings, monkeypatch):
    from flexserve.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["broker"]["status"] == "error" and body["database"]["status"] == "ok"


def test_schema_messages_are_translated(client_for, service_manager):
    client = client_for(service_manager)
    english = client.get("/api/customers/shops?grade_min=99", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["error"]["fields"]["grade_min"] == ["Enter a value of at most 30."]
    chinese = client.get("/api/customers/shops?grade_min=99").json()
    assert chinese["error"]["fields"]["grade_min"] != ["Enter a value of at most 30."]
