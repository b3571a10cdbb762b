"""The API docs page renders in a real browser under the production Content-Security-Policy:
Swagger UI comes from npm through our own static files, started from a file, not inline."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_the_api_docs_show_every_operation_under_the_csp(page: Page, live_server, e2e_db):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto(f"{live_server.url}/api/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("flexserve")
    # Every tag section opens by default: the service-request intake is listed with its errors.
    intake = page.locator(".opblock-post", has_text="/api/service/requests").first
    expect(intake).to_be_visible()
    assert page.locator(".opblock").count() >= 60
    intake.locator(".opblock-summary").click()
    responses = intake.locator(".responses-table .response-col_status")
    expect(responses.filter(has_text="422")).to_have_count(1)
    expect(responses.filter(has_text="429")).to_have_count(1)
    assert problems == [], problems
