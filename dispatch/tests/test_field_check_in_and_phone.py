"""The field pages offer check-in only where the service allows it, and give the staff member
on the visit the shop's number to call (masked for everyone else) — issue 13."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch import field_selectors
from dispatch.services import visits
from dispatch.tests.factories import field_staff, planned_visit


@pytest.fixture
def staff(grid):
    return field_staff(grids=[grid], username="field1").user


def test_a_visit_two_days_ahead_offers_no_check_in(client_for, staff, shop):
    later = timezone.localdate() + datetime.timedelta(days=2)
    job = planned_visit(shop, staff, later)
    check_in = reverse("console:field_check_in", args=[job.pk])
    client = client_for(staff)
    job_page = client.get(reverse("console:field_job", args=[job.pk])).content.decode()
    day_page = client.get(reverse("console:field_day"), {"day": later.isoformat()})
    assert check_in not in job_page and "data-no-check-in" in job_page
    assert check_in not in day_page.content.decode()
    assert field_selectors.field_job(staff, job.pk).can_check_in is False
    assert client.post(check_in).status_code == 409  # the rule the button follows


def test_a_visit_of_today_offers_check_in_on_both_pages(client_for, staff, shop):
    job = planned_visit(shop, staff, timezone.localdate())
    check_in = reverse("console:field_check_in", args=[job.pk])
    client = client_for(staff)
    assert check_in in client.get(reverse("console:field_job", args=[job.pk])).content.decode()
    assert check_in in client.get(reverse("console:field_day")).content.decode()


def test_the_offer_and_the_service_follow_one_rule(staff, shop, grid):
    today = timezone.localdate()
    colleague = field_staff(grids=[grid], username="field2").user
    cases = [
        (planned_visit(shop, staff, today), staff),
        (planned_visit(shop, staff, today + datetime.timedelta(days=1)), staff),
        (planned_visit(shop, staff, today), colleague),
    ]
    offers = []
    for job, actor in cases:
        offered = field_selectors.field_job(actor, job.pk).can_check_in
        try:
            visits.check_in(actor, job.pk, latitude=None, longitude=None)
            allowed = True
        except (visits.VisitNotToday, visits.NotYourVisit):
            allowed = False
        assert offered == allowed
        offers.append(offered)
    assert offers == [True, False, False]


def test_the_assigned_staff_member_gets_the_full_number_to_call(client_for, staff, shop):
    job = planned_visit(shop, staff, timezone.localdate())
    page = client_for(staff).get(reverse("console:field_job", args=[job.pk])).content.decode()
    assert f'href="tel:{shop.phone}"' in page


def test_a_colleague_of_the_territory_sees_the_number_masked(client_for, staff, shop, grid):
    job = planned_visit(shop, staff, timezone.localdate())
    colleague = field_staff(grids=[grid], username="field2").user
    page = client_for(colleague).get(reverse("console:field_job", args=[job.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert shop.masked_phone in text and shop.phone not in text and "tel:" not in text
