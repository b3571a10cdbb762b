"""No restricted role (a shop owner, an account manager, service staff…) can read or change data
outside their scope.

The matrix is generated: every operation in the OpenAPI schema and every page in the URL conf is
called as each restricted role (every role of ``accounts.models.Role`` that does not see the whole
company) with the ids of another shop's records. A new endpoint is covered the day it is added; a
path parameter this module cannot fill, a write operation without a valid body in
``WRITE_BODIES``, or a page form without a valid body in ``PAGE_BODIES``, fails the test, so
whoever adds one says here what it touches. Every body is proven valid by a call of a role allowed
to make it (an administrator, or the other shop's owner for the portal) that succeeds, so a
refusal seen by the restricted roles is the policy at work, not a validation error. Pages that
read more with a query (a dashboard's filters, the list behind a figure) are also read with the
queries of ``PAGE_QUERIES``, aimed at the other shop.
"""

import datetime
import io
import json
import re
import secrets
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import Department, Role
from accounts.tests.factories import UserFactory
from commerce.tests.factories import (
    DeliveryFactory,
    OrderLineFactory,
    PaymentFactory,
    ProductFactory,
)
from customers.models import SegmentRuleSet, ServicePlan
from customers.tests.factories import ShopFactory
from dispatch.tests import factories as field
from flexserve import policy
from flexserve.api import api
from quality import shipped
from quality.models import CsatRating, Initiative, Instrument, Invitation, Wave
from quality.services import csat, initiatives, surveys

# community/ holds company-wide content, no shop's records; its scoping (pending content, the
# moderators' and editors' pages refused to others) is proven in community/tests
# (test_pending_leaks, test_manage_pages). Not yet walked here: it needs a body per form.
# o/ holds the links that work without log-in (a tracked link, one-click unsubscribe, provider
# webhooks): no session is read there, the signed token or the provider's signature is the
# authority, and refusing a bad one is proven in outreach/tests.
SKIPPED_PAGE_PREFIXES = ("admin/", "api/", "i18n/", "static/", "media/", "community/", "o/")
REFUSED = {401, 403, 404}
# Every role that does not see the whole company: walked by every test below.
RESTRICTED_ROLES = tuple(role.value for role in Role if role not in policy.COMPANY_WIDE_ROLES)
RULES = {"rules": [{"segment": "core", "grade_min": 20, "star_min": 3}], "note": "matrix"}


@pytest.fixture
def world(settings, shop_owner, shop, other_shop, other_shop_owner, account_manager):
    """Another shop (outside the owner's shop and the staff's territory) with records."""
    settings.INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR = 10**6  # the matrix files hundreds per shop
    # The staff work in the department the other shop's requests wait in, and it is not
    # city-wide: its queue must not show them another grid's requests.
    department = Department.objects.get(code="service")
    department.city_wide = False
    department.save(update_fields=["city_wide"])
    account_manager.department = department
    account_manager.save(update_fields=["department"])
    service_staff = UserFactory(
        username="matrix-service", role=Role.SERVICE_STAFF, department=department
    )
    shop.grid.staff.add(service_staff)
    roles = {
        Role.SHOP_OWNER: shop_owner,
        Role.ACCOUNT_MANAGER: account_manager,
        Role.SERVICE_STAFF: service_staff,
    }
    missing = set(RESTRICTED_ROLES) - set(roles)
    assert not missing, f"add a user of each restricted role to world(): {missing}"
    order = OrderLineFactory(order__shop=other_shop).order
    delivery = DeliveryFactory(order=order)
    payment = PaymentFactory(order=order)
    own_order = OrderLineFactory(order__shop=shop).order
    product = ProductFactory(code="MATRIX1")
    admin = UserFactory(username="matrix-admin", role=Role.ADMIN)
    draft = SegmentRuleSet.objects.create(version=2, note="draft", created_by=admin)
    draft.rules.create(position=1, segment="core", grade_min=28, star_min=5)
    # Service quality: waves and initiatives are company records a restricted role may read,
    # so the other shop answered a named wave and an initiative's funnel survey, and rated a
    # contact (each with the secret): a page of them that showed who answered would show it.
    answered_wave, answered_token = _answered_wave(admin, other_shop, other_shop_owner)
    initiative = _surveyed_initiative(admin, other_shop, other_shop_owner)
    rated = CsatRating.objects.get(pk=_pending_rating(admin, other_shop))
    csat.csat_rate(
        actor=other_shop_owner, rating_id=rated.pk, score=2, reason="slow", comment=SECRET
    )
    markers = [other_shop.licence_no, other_shop.name, other_shop.phone, order.number, SECRET]
    markers.append(answered_token)
    # Messages: the other shop's in-app message of a campaign, its preference and consent record
    # (its e-mail address carries the licence number, a marker).
    message_to_other = _outreach_world(admin, other_shop)
    ids: dict[str, Callable[[], int]] = {
        "shop_id": lambda: other_shop.pk,
        "order_id": lambda: order.pk,
        "delivery_id": lambda: delivery.pk,
        "payment_id": lambda: payment.pk,
        "rule_set_id": lambda: draft.pk,
        "plan_id": lambda: ServicePlan.objects.get(segment="core").pk,
        "job_id": lambda: _import_job(admin),
        # A fresh request (and support task) per call: each write finds it in a state it accepts.
        "request_id": lambda: _service_request(admin, other_shop).pk,
        "task_id": lambda: _support_task(admin, other_shop),
        "action": lambda: "start",
        "attachment_id": lambda: _photo(admin, other_shop),
        # The other shop's chat: a fresh answered turn per call (rating, picking, hand-over).
        "conversation_id": lambda: _chat_turn(other_shop, other_shop_owner).conversation_id,
        "turn_id": lambda: _chat_turn(other_shop, other_shop_owner).pk,
        "version": lambda: 1,
        "entry_id": lambda: apps.get_model("knowledge", "Entry").objects.order_by("pk")[0].pk,
        # A fresh invitation (answered once) and rating (rated once) of the other shop per call.
        "token": lambda: _open_invitation(other_shop, other_shop_owner).token,
        "rating_id": lambda: _pending_rating(admin, other_shop),
        # Waves and initiatives are the company's: those the other shop answered.
        "wave_id": lambda: answered_wave.pk,
        "initiative_id": lambda: initiative.pk,
        "campaign_id": lambda: message_to_other.message.campaign_id,
        "template_id": lambda: message_to_other.message.template_id,
    }
    # Field work of the other shop, served by a field staff member of its grid.
    staff = field.field_staff(grids=[other_shop.grid], username="matrix-field").user
    dispatch_ids: dict[str, Callable[[], object]] = {
        "job_id": lambda: _booking(other_shop, staff).pk,
        "plan_id": lambda: _ready_plan(other_shop, staff),
        "user_id": lambda: staff.pk,
        "day": lambda: _next_working_day().isoformat(),
        "photo_id": lambda: _visit_photo(other_shop, staff),
    }
    visit_ids = dispatch_ids | {"job_id": lambda: _visit_today(other_shop, staff).pk}
    # A parameter name means different records under different paths (longest prefix wins).
    path_ids = {
        "/api/dispatch/": dispatch_ids,
        "/api/dispatch/jobs/": visit_ids,
        "/api/dispatch/jobs/{job_id}/check-out": visit_ids
        | {"job_id": lambda: _visit_today(other_shop, staff, checked_in=True).pk},
        "/console/dispatch/": dispatch_ids,
        "/console/roster/": dispatch_ids,
        "/console/field/": visit_ids,
        "/console/field/jobs/<int:job_id>/check-in/": visit_ids,
        "/console/field/jobs/<int:job_id>/": visit_ids  # the check-out form
        | {"job_id": lambda: _visit_today(other_shop, staff, checked_in=True).pk},
        "/portal/bookings/": dispatch_ids,
        # The shop closes (or reopens) a resolved request.
        "/portal/requests/": ids
        | {
            "request_id": lambda: _resolved_request(admin, other_shop).pk,
            "action": lambda: "close",
        },
        # The answers of a wave the other shop has not answered yet (a shop answers once).
        "/console/quality/waves/<int:wave_id>/import/": ids
        | {"wave_id": lambda: _open_invitation(other_shop, other_shop_owner).wave_id},
        # A type is changed to another one: a fresh initiative, still standard.
        "/console/quality/initiatives/<int:initiative_id>/type/": ids
        | {"initiative_id": lambda: _initiative(admin).pk},
        # Closing a shop would stop every later record of it: a fresh shop of the same grid.
        "/console/shops/<int:shop_id>/status/": ids
        | {"shop_id": lambda: ShopFactory(grid=other_shop.grid).pk},
        # The other shop's in-app message (not commerce's delivery of the same name).
        "/outreach/mine/": ids | {"delivery_id": lambda: message_to_other.pk},
        "/api/outreach/messages/": ids | {"delivery_id": lambda: message_to_other.pk},
        # Only a campaign still to send can be cancelled: a fresh scheduled one per call.
        "/outreach/campaigns/<int:campaign_id>/cancel/": ids
        | {"campaign_id": lambda: _scheduled_campaign(message_to_other.message.template)},
    }
    return {
        "markers": markers,
        "ids": ids,
        "path_ids": path_ids,
        "field_staff": staff,
        "own_order": own_order,
        "other_shop": other_shop,
        "order": order,
        "product": product,
        "admin": admin,
        "roles": roles,
        "other_shop_owner": other_shop_owner,
        "answered_token": answered_token,
        # Query values aimed at the other shop (PAGE_QUERIES).
        "query_values": {
            "grid": other_shop.grid_id,
            "district": other_shop.grid.district_id,
            "staff": rated.request.assignee_id,
        },
    }


def _chat_turn(shop, owner):
    """An answered question of ``shop`` that offered the first two entries as related."""
    from django.utils import timezone

    entries = list(apps.get_model("knowledge", "Entry").objects.order_by("pk")[:2])
    conversation = apps.get_model("knowledge", "Conversation").objects.create(
        shop=shop, user=owner, started_at=timezone.now()
    )
    return conversation.turns.create(
        shop=shop,
        asked_at=timezone.now(),
        question=SECRET,
        decision="answer",
        entry=entries[0],
        reply=entries[0].answer,
        suggestions=[e.pk for e in entries],
    )


def _import_job(admin) -> int:
    """An import job started by an administrator (only administrators may see jobs)."""
    job_model = apps.get_model("imports", "ImportJob")
    return job_model.objects.create(kind="shops", created_by=admin, original_name="shops.csv").pk


SECRET = "MATRIX-门店私密诉求"


def _outreach_world(admin, shop):
    """A campaign's in-app message read by ``shop``, and its preference with the consent record
    that set it: pages that showed them to anyone else would show the licence number."""
    from outreach.models import ConsentRecord, ContactPreference
    from outreach.tests.factories import CampaignFactory, MessageFactory
    from outreach.tests.factories import DeliveryFactory as MessageDeliveryFactory

    campaign = CampaignFactory(
        name="矩阵活动", template__name="矩阵模板", template__topic="policy", created_by=admin
    )
    message = MessageFactory(campaign=campaign, link="/community/")
    email = f"{shop.licence_no}@example.com"
    ContactPreference.objects.create(
        shop=shop, channels=["sms", "email"], topics=["policy"], email=email
    )
    ConsentRecord.objects.create(
        shop=shop,
        what="email",
        before="",
        after=email,
        source=ConsentRecord.Source.PORTAL,
        wording=SECRET,
        at=timezone.now(),
    )
    return MessageDeliveryFactory(message=message, shop=shop, status="read")


def _outreach_template():
    return apps.get_model("outreach", "Template").objects.get(name="矩阵模板")


def _scheduled_campaign(template) -> int:
    from outreach.tests.factories import CampaignFactory

    later = timezone.now() + datetime.timedelta(days=3)
    campaign = CampaignFactory(
        template=template, status="scheduled", starts_at=later, next_send_at=later
    )
    return campaign.pk


def _service_request(admin, shop):
    """A request of another shop, owned by a worker there (the administrator may act on it)."""
    from servicedesk import services

    # Kept by the administrator, not routed: routing would first hand it to (and notify) a
    # member of the department, which may be a restricted role of the matrix.
    request = services.request_create(
        actor=admin,
        request_type="complaint",
        title=SECRET,
        channel="phone",
        shop_id=shop.pk,
        handle_myself=True,
    )
    owner = UserFactory(username="matrix-owner", role=Role.SERVICE_STAFF)
    type(request).objects.filter(pk=request.pk).update(assignee=owner, status="assigned")
    request.refresh_from_db()
    return request


def _resolved_request(admin, shop):
    from servicedesk import services

    request = _service_request(admin, shop)
    services.request_transition(actor=admin, request_id=request.pk, action="resolve", note="矩阵")
    return request


def _open_question(world) -> str:
    """A question of the other shop the machine could not answer, open for curation."""
    turn = _chat_turn(world["other_shop"], world["other_shop_owner"])
    type(turn).objects.filter(pk=turn.pk).update(decision="handover", curation="open")
    return str(turn.pk)


def _png() -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("matrix.png", buffer.getvalue(), content_type="image/png")


def _photo(admin, shop) -> int:
    from servicedesk.models import RequestAttachment

    request = _service_request(admin, shop)
    photo = SimpleUploadedFile("matrix.png", b"not decoded here", content_type="image/png")
    return RequestAttachment.objects.create(
        request=request, file=photo, content_type="image/png", size=16, uploaded_by=admin
    ).pk


def _next_working_day():
    import datetime

    from django.utils import timezone

    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _booking(shop, staff):
    """A booking of ``shop`` on the next working day, 08:30–10:30, reserved on ``staff``."""
    start = field.at(_next_working_day(), 8, 30)
    return field.BookingFactory(
        shop=shop,
        window_start=start,
        assignee=staff,
        planned_day=start.date(),
        note=SECRET,
    )


def _visit_today(shop, staff, *, checked_in: bool = False):
    """A routine visit of ``shop`` planned for ``staff`` today (checked in when asked)."""
    from django.utils import timezone

    from dispatch.models import JobState, VisitReport

    today = timezone.localdate()
    job = field.RoutineJobFactory(
        shop=shop,
        due_on=today,
        earliest_on=today,
        latest_on=today,
        state=JobState.IN_PROGRESS if checked_in else JobState.PLANNED,
        assignee=staff,
        planned_day=today,
        planned_start=timezone.now(),
        note=SECRET,
    )
    if checked_in:
        VisitReport.objects.create(job=job, staff=staff, checked_in_at=timezone.now())
    return job


def _ready_plan(shop, staff) -> int:
    """A plan ready to publish with one route: a routine visit of ``shop``."""
    import datetime

    from dispatch.models import Plan

    day = _next_working_day()
    job = field.RoutineJobFactory(shop=shop, due_on=day, earliest_on=day, latest_on=day)
    plan = Plan.objects.create(state=Plan.State.READY, first_day=day, last_day=day)
    route = plan.routes.create(
        staff=staff, day=day, shift_start=field.at(day, 8, 30), shift_end=field.at(day, 17, 30)
    )
    start = field.at(day, 9)
    route.stops.create(
        job=job, seq=0, arrival=start, start=start, end=start + datetime.timedelta(minutes=20)
    )
    return plan.pk


def _visit_photo(shop, staff) -> int:
    from django.utils import timezone

    from dispatch.models import VisitPhoto, VisitReport

    job = _visit_today(shop, staff)
    report = VisitReport.objects.create(job=job, staff=staff, checked_in_at=timezone.now())
    upload = SimpleUploadedFile("matrix.png", b"not decoded here", content_type="image/png")
    return VisitPhoto.objects.create(
        report=report, file=upload, content_type="image/png", size=16
    ).pk


def _ready_plan_stop_job() -> int:
    from dispatch.models import Stop

    return Stop.objects.filter(route__plan__state="ready").latest("pk").job_id


def _support_task(admin, shop) -> int:
    from accounts.models import Department
    from servicedesk import services

    request = _service_request(admin, shop)
    return services.support_task_create(
        actor=admin,
        request_id=request.pk,
        department_id=Department.objects.get(code="logistics").pk,
        need="矩阵支援",
    ).pk


def _servqual() -> Instrument:
    return Instrument.objects.get(code=shipped.CODE)


def _servqual_answers(comment: str = "") -> dict[str, Any]:
    """Every item of the shipped SERVQUAL answered (E 6, P 5), 100 points spread evenly."""
    answers: dict[str, Any] = {code: {"e": 6, "p": 5} for code, *_ in shipped.ITEMS}
    answers[shipped.POINTS_CODE] = {code: 20 for code, _name in shipped.DIMENSIONS}
    if comment:
        answers[shipped.COMMENT_CODE] = comment
    return answers


def _servqual_form() -> dict[str, str]:
    """The same answers as the portal's survey form posts them, submitted."""
    form = {"action": "submit"}
    for code, *_ in shipped.ITEMS:
        form[f"{code}__e"], form[f"{code}__p"] = "6", "5"
    for code, _name in shipped.DIMENSIONS:
        form[f"{shipped.POINTS_CODE}__{code}"] = "20"
    return form


def _servqual_xlsx(shop) -> SimpleUploadedFile:
    """A phone answers file of one row, ``shop``'s, in the import's documented columns."""
    from openpyxl import Workbook

    headers, row = ["店铺编码"], [shop.licence_no]
    for code, *_ in shipped.ITEMS:
        headers += [f"{code} E", f"{code} P"]
        row += [6, 5]
    for code, _name in shipped.DIMENSIONS:
        headers.append(f"{shipped.POINTS_CODE} {code}")
        row.append(20)
    book = Workbook()
    book.active.append(headers)
    book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(
        "answers.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _local_input(moment: datetime.datetime) -> str:
    """A moment as a datetime-local field posts it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _open_invitation(shop, owner) -> Invitation:
    """A fresh invitation of ``shop`` to an open SERVQUAL wave of its own (a shop is invited
    once per wave, and answers once), not answered: a draft holds the secret as its comment,
    so a survey page or answer shown to anyone else would show it."""
    now = timezone.now()
    wave = Wave.objects.create(
        instrument=_servqual(),
        name="矩阵调查",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=7),
        invited=1,
    )
    invitation = Invitation.objects.create(
        wave=wave, shop=shop, token=secrets.token_urlsafe(32), invited_at=now
    )
    answers = {shipped.COMMENT_CODE: SECRET}
    surveys.response_save(actor=owner, token=invitation.token, answers=answers, submit=False)
    return invitation


def _answered_wave(admin, shop, owner) -> tuple[Wave, str]:
    """An open, named SERVQUAL wave to every shop that ``shop`` answered, its comment the
    secret: a page of the wave showing who answered or what they wrote would show it."""
    now = timezone.now()
    wave = surveys.wave_create(
        actor=admin,
        instrument_id=_servqual().pk,
        name="矩阵服务质量调查",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=7),
    )
    token = Invitation.objects.get(wave=wave, shop=shop).token
    surveys.response_save(actor=owner, token=token, answers=_servqual_answers(SECRET), submit=True)
    return wave, token


def _pending_rating(admin, shop) -> int:
    """A fresh rating of ``shop`` waiting for its score, after a resolved request of it."""
    now = timezone.now()
    return CsatRating.objects.create(
        shop=shop,
        source=CsatRating.Source.REQUEST,
        request=_resolved_request(admin, shop),
        staff=admin,
        contact_at=now - datetime.timedelta(hours=2),
        invited_at=now - datetime.timedelta(hours=1),
        expires_at=now + datetime.timedelta(days=7),
    ).pk


def _initiative(admin, **extra) -> Initiative:
    """A standard initiative for every shop, owned by the administrator (a unique code)."""
    return initiatives.initiative_create(
        actor=admin,
        code=f"matrix-{next(_serial)}",
        name="矩阵举措",
        type="standard",
        starts_on=_today() - datetime.timedelta(days=30),
        ends_on=_today() + datetime.timedelta(days=60),
        owner_id=admin.pk,
        **extra,
    )


def _surveyed_initiative(admin, shop, owner) -> Initiative:
    """An initiative of a service item with a goal and a named funnel survey that ``shop``
    answered (aware, interested, tried, rated 5)."""
    initiative = _initiative(admin, service_item_id=field.item("policy_briefing").pk)
    initiatives.goal_set(
        actor=admin,
        initiative_id=initiative.pk,
        metric="awareness",
        baseline=0.3,
        target=0.6,
        starts_on=_today(),
        deadline=_today() + datetime.timedelta(days=60),
        owner_id=admin.pk,
    )
    now = timezone.now()
    wave = initiatives.funnel_wave_create(
        actor=admin,
        initiative_id=initiative.pk,
        name="矩阵举措调查",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=7),
    )
    surveys.response_save(
        actor=owner,
        token=Invitation.objects.get(wave=wave, shop=shop).token,
        answers={"aware": 0, "interested": 0, "tried": 0, "rating": 5},
        submit=True,
    )
    return initiative


def _shop_body(world, serial: int) -> dict[str, Any]:
    other = world["other_shop"]
    return {
        "licence_no": f"340104{serial:06d}",
        "name": "矩阵测试店",
        "owner_name": "钱七",
        "phone": "13800000000",
        "address": "合肥市蜀山区测试路1号",
        "latitude": "31.8",
        "longitude": "117.2",
        "grid_id": other.grid_id,
        "business_type": "convenience",
        "market_type": "urban",
        "grade": 10,
        "star": 3,
    }


_serial = iter(range(900000, 999999))

# A valid body for every write operation: (method, path in the schema) → body builder.
# "multipart" bodies are sent as form data (file uploads).
WRITE_BODIES: dict[tuple[str, str], Callable[[dict], dict[str, Any] | None]] = {
    ("POST", "/api/customers/shops"): lambda w: _shop_body(w, next(_serial)),
    ("PATCH", "/api/customers/shops/{shop_id}"): lambda w: {"grade": 11},
    ("POST", "/api/customers/shops/{shop_id}/close"): lambda w: {"closed_on": "2026-11-20"},
    ("POST", "/api/customers/shops/{shop_id}/reopen"): lambda w: None,
    ("POST", "/api/customers/segment-rule-sets"): lambda w: RULES,
    ("POST", "/api/customers/segment-preview"): lambda w: RULES,
    ("POST", "/api/customers/segment-rule-sets/{rule_set_id}/activate"): lambda w: None,
    ("PATCH", "/api/customers/service-plans/{plan_id}"): lambda w: {"visits_per_month": "5"},
    ("POST", "/api/commerce/orders"): lambda w: {
        "number": f"DDMATRIX{next(_serial)}",
        "licence_no": w["other_shop"].licence_no,
        "ordered_on": "2026-11-25",
        "lines": [{"product_code": w["product"].code, "quantity": 1}],
    },
    ("POST", "/api/commerce/deliveries"): lambda w: {
        "order_number": w["order"].number,
        "status": "in_transit",
        "planned_at": "2026-11-26T09:00:00+08:00",
    },
    ("POST", "/api/commerce/payments"): lambda w: {
        "order_number": w["order"].number,
        "amount": "10.00",
        "method": "wechat",
        "status": "succeeded",
    },
    ("POST", "/api/service/requests"): lambda w: {
        "request_type": "order_problem",
        "title": "矩阵诉求",
        "shop_id": w["other_shop"].pk,
    },
    ("POST", "/api/service/requests/{request_id}/transitions"): lambda w: {
        "action": "resolve",
        "note": "矩阵",
    },
    ("POST", "/api/service/requests/{request_id}/take"): lambda w: None,
    ("POST", "/api/service/requests/{request_id}/assign"): lambda w: {
        "assignee_id": UserFactory(username="matrix-staff", role=Role.SERVICE_STAFF).pk,
        "reason": "矩阵",
    },
    ("POST", "/api/service/requests/{request_id}/comments"): lambda w: {"body": "矩阵"},
    ("POST", "/api/service/requests/{request_id}/support-tasks"): lambda w: {
        "department_id": apps.get_model("accounts", "Department").objects.get(code="it").pk,
        "need": "矩阵",
    },
    ("POST", "/api/service/support-tasks/{task_id}/transitions"): lambda w: {"action": "cancel"},
    ("POST", "/api/service/notifications/read"): lambda w: {},
    ("POST", "/api/knowledge/ask"): lambda w: {
        "question": "订货截止时间是几点",
        "conversation_id": _chat_turn(w["other_shop"], w["other_shop_owner"]).conversation_id,
    },
    ("POST", "/api/knowledge/turns/{turn_id}/pick"): lambda w: {
        "entry_id": apps.get_model("knowledge", "Entry").objects.order_by("pk")[1].pk
    },
    ("POST", "/api/knowledge/turns/{turn_id}/rate"): lambda w: {"helpful": False},
    ("POST", "/api/knowledge/entries"): lambda w: {
        "category": "other",
        "question": "矩阵问题",
        "answer": "矩阵答案",
    },
    ("PUT", "/api/knowledge/entries/{entry_id}"): lambda w: {
        "category": "other",
        "question": "矩阵问题",
        "answer": f"矩阵答案{next(_serial)}",
    },
    ("POST", "/api/knowledge/conversations/{conversation_id}/handover"): lambda w: {"note": "矩阵"},
    ("POST", "/api/service/requests/{request_id}/photos"): lambda w: {
        "multipart": {"photos": [_png()]}
    },
    ("POST", "/api/dispatch/bookings"): lambda w: {
        "shop_id": w["other_shop"].pk,
        "service_item_id": field.item("policy_briefing").pk,
        "window_start": field.at(_next_working_day(), 12, 30).isoformat(),
        "note": "矩阵",
    },
    ("POST", "/api/dispatch/bookings/{job_id}/reschedule"): lambda w: {
        "window_start": field.at(_next_working_day(), 10, 30).isoformat()
    },
    ("POST", "/api/dispatch/bookings/{job_id}/cancel"): lambda w: {"reason": "矩阵"},
    ("POST", "/api/dispatch/jobs/{job_id}/check-in"): lambda w: {
        "latitude": 31.82,
        "longitude": 117.23,
    },
    ("POST", "/api/dispatch/jobs/{job_id}/check-out"): lambda w: {
        "outcome": "done",
        "work_done": "矩阵",
    },
    ("PUT", "/api/dispatch/availability/{user_id}/{day}"): lambda w: {
        "kind": "work",
        "start": "08:00:00",
        "end": "17:00:00",
    },
    ("POST", "/api/dispatch/plans"): lambda w: {
        "first_day": _next_working_day().isoformat(),
        "last_day": _next_working_day().isoformat(),
        "seconds": 1,
    },
    ("POST", "/api/dispatch/plans/{plan_id}/publish"): lambda w: None,
    ("POST", "/api/dispatch/plans/{plan_id}/move"): lambda w: {
        "job_id": _ready_plan_stop_job(),
        "staff_id": None,
    },
    ("POST", "/api/dispatch/routine"): lambda w: {
        "first_day": _next_working_day().isoformat(),
        "weeks": 1,
    },
    ("POST", "/api/dispatch/urgent"): lambda w: {
        "request_id": _service_request(w["admin"], w["other_shop"]).pk
    },
    ("POST", "/api/imports/jobs"): lambda w: {
        "multipart": {
            "kind": "shops",
            "file": SimpleUploadedFile(
                "shops.csv",
                (
                    "licence_no,name,owner_name,phone,address,latitude,longitude,grid_code,"
                    "market_type,grade,star\n"
                    f"340104{next(_serial):06d},导入店,孙八,13800000001,合肥市测试路2号,31.8,117.2,"
                    f"{w['other_shop'].grid.code},urban,5,2\n"
                ).encode(),
                content_type="text/csv",
            ),
        }
    },
    ("POST", "/api/quality/surveys/{token}"): lambda w: {
        "answers": _servqual_answers(),
        "submit": True,
    },
    ("POST", "/api/quality/ratings/{rating_id}"): lambda w: {"score": 5},
    ("POST", "/api/quality/waves"): lambda w: {
        "instrument_id": _servqual().pk,
        "name": "矩阵调查",
        "opens_at": (timezone.now() + datetime.timedelta(hours=1)).isoformat(),
        "closes_at": (timezone.now() + datetime.timedelta(days=8)).isoformat(),
        "target": {"grids": [w["other_shop"].grid_id]},
    },
    ("POST", "/api/quality/initiatives"): lambda w: {
        "code": f"matrix-{next(_serial)}",
        "name": "矩阵举措",
        "type": "standard",
        "starts_on": _today().isoformat(),
        "ends_on": (_today() + datetime.timedelta(days=90)).isoformat(),
        "owner_id": w["admin"].pk,
        "target": {"grids": [w["other_shop"].grid_id]},
    },
    ("POST", "/api/quality/initiatives/{initiative_id}/goals"): lambda w: {
        "metric": "interest",
        "baseline": 0.2,
        "target": 0.5,
        "starts_on": _today().isoformat(),
        "deadline": (_today() + datetime.timedelta(days=60)).isoformat(),
        "owner_id": w["admin"].pk,
    },
    ("POST", "/api/outreach/messages/{delivery_id}/read"): lambda w: None,
    ("PUT", "/api/outreach/preferences"): lambda w: {
        "channels": ["sms"],
        "topics": ["policy"],
        "email": "",
    },
    ("POST", "/api/outreach/campaigns"): lambda w: {
        "name": "矩阵",
        "template_id": w["ids"]["template_id"](),
        "audience": {"segments": [w["other_shop"].segment]},
    },
}


# Writes that act on the caller's own rows only (no other shop's id in them): they answer 200
# for everyone, and must still change nothing of anyone else's.
SELF_SCOPED_WRITES = {("POST", "/api/service/notifications/read")}
# Writes a shop makes for itself (no shop in them): a shop owner may make them, for their own
# shop only (the other shop's records stay as they are); other roles are refused.
OWN_SHOP_WRITES = {("PUT", "/api/outreach/preferences")}
# Writes only a shop makes, on its own conversations: their positive control is the other shop's
# owner, to whom the records given belong.
SHOP_WRITES = {
    ("POST", "/api/knowledge/ask"),
    ("POST", "/api/knowledge/turns/{turn_id}/pick"),
    ("POST", "/api/knowledge/turns/{turn_id}/rate"),
    ("POST", "/api/knowledge/conversations/{conversation_id}/handover"),
    # The shop answers its own survey and rates its own contacts.
    ("POST", "/api/quality/surveys/{token}"),
    ("POST", "/api/quality/ratings/{rating_id}"),
    # The shop reads its own messages and sets its own channels and topics.
    ("POST", "/api/outreach/messages/{delivery_id}/read"),
    ("PUT", "/api/outreach/preferences"),
}
# Writes only the field staff member a visit is planned for makes: their positive control.
FIELD_WRITES = {
    ("POST", "/api/dispatch/jobs/{job_id}/check-in"),
    ("POST", "/api/dispatch/jobs/{job_id}/check-out"),
}


def _entry(index: int = 0):
    return apps.get_model("knowledge", "Entry").objects.order_by("pk")[index]


def _entry_form(world) -> dict[str, Any]:
    """The knowledge editor as a browser posts it: the first entry, still published."""
    entry = _entry()
    return {
        "question": entry.question,
        "phrasings": "\n".join(entry.phrasings),
        "answer": f"矩阵答案{next(_serial)}",
        "category": entry.category,
        "tags": "",
        "valid_from": "",
        "valid_until": "",
        "owner_id": "",
        "status": "published",
        "note": "矩阵",
        "expected_version": entry.version,
    }


def _plan_form(world) -> dict[str, Any]:
    plan = ServicePlan.objects.get(segment="core")
    data = {
        "visits_per_month": "5",
        "contact_channels": list(plan.contact_channels),
        "description": "矩阵",
        "service_item_ids": [item.pk for item in plan.service_items.all()],
    }
    for target in plan.sla_targets.all():
        data[f"first_{target.category}"] = target.first_response_min
        data[f"resolve_{target.category}"] = target.resolution_min
    return data


_RULE_EDITOR = {
    "segment": ["core"],
    "grade_min": ["20"],
    "grade_max": ["30"],
    "star_min": ["3"],
    "star_max": ["5"],
    "market_type": [""],
    "business_type": [""],
    "default_segment": "ordinary",
    "note": "矩阵",
}

# A valid body for every page form (a page that takes a POST): route in the URL conf → form
# data (files allowed; "?" is a query string for the URL). Each is proven valid by
# test_every_page_form_body_is_valid: the call succeeds for a role allowed to make it.
PAGE_BODIES: dict[str, Callable[[dict], dict[str, Any]]] = {
    "/accounts/login/": lambda w: {
        "username": w["admin"].username,
        "password": "correct-horse-battery",
    },
    "/accounts/logout/": lambda w: {},
    "/portal/requests/": lambda w: {"?": "mark_read=1"},
    "/portal/requests/new/": lambda w: {
        "request_type": "order_problem",
        "title": "矩阵诉求",
        "description": "矩阵",
    },
    "/portal/requests/<int:request_id>/reply/": lambda w: {"body": "矩阵回复"},
    "/portal/requests/<int:request_id>/<str:action>/": lambda w: {},
    "/portal/ask/": lambda w: {
        "question": "订货截止时间是几点",
        "conversation": _chat_turn(w["other_shop"], w["other_shop_owner"]).conversation_id,
    },
    "/portal/ask/turns/<int:turn_id>/pick/<int:entry_id>/": lambda w: {},
    "/portal/ask/turns/<int:turn_id>/rate/": lambda w: {"helpful": "0"},
    "/portal/ask/<int:conversation_id>/handover/": lambda w: {"note": "矩阵"},
    "/portal/bookings/new/": lambda w: {
        "service_item": field.item("policy_briefing").pk,
        "day": _next_working_day().isoformat(),
        "window_start": field.at(_next_working_day(), 12, 30).isoformat(),
        "note": "矩阵",
    },
    "/portal/bookings/<int:job_id>/reschedule/": lambda w: {
        "day": _next_working_day().isoformat(),
        "window_start": field.at(_next_working_day(), 10, 30).isoformat(),
    },
    "/portal/bookings/<int:job_id>/cancel/": lambda w: {"reason": "矩阵"},
    "/console/shops/<int:shop_id>/edit/": lambda w: {
        "grade": 11,
        "star": 3,
        "phone": "13800000000",
        "address": "合肥市蜀山区测试路1号",
        "business_type": "convenience",
        "contact_channels": ["phone"],
        "account_manager_id": "",
    },
    "/console/shops/<int:shop_id>/status/": lambda w: {
        "action": "close",
        "closed_on": _today().isoformat(),
    },
    "/console/requests/new/": lambda w: {
        "shop_id": w["other_shop"].pk,
        "request_type": "complaint",
        "channel": "phone",
        "priority": "",
        "title": "矩阵诉求",
        "description": "矩阵",
    },
    "/console/requests/notifications/": lambda w: {},
    "/console/requests/<int:request_id>/act/<str:action>/": lambda w: {"note": ""},
    "/console/requests/<int:request_id>/take/": lambda w: {},
    "/console/requests/<int:request_id>/assign/": lambda w: {
        "assignee_id": UserFactory(username="matrix-staff", role=Role.SERVICE_STAFF).pk,
        "reason": "矩阵",
    },
    "/console/requests/<int:request_id>/comment/": lambda w: {"body": "矩阵回复"},
    "/console/requests/<int:request_id>/support/": lambda w: {
        "department_id": Department.objects.get(code="it").pk,
        "need": "矩阵",
        "required": "on",
    },
    "/console/requests/support/<int:task_id>/<str:action>/": lambda w: {"result": ""},
    "/console/knowledge/new/": lambda w: (
        _entry_form(w) | {"question": f"矩阵问题{next(_serial)}", "expected_version": ""}
    ),
    "/console/knowledge/<int:entry_id>/": _entry_form,
    "/console/knowledge/<int:entry_id>/restore/<int:version>/": lambda w: {},
    "/console/knowledge/import/": lambda w: {
        "file": SimpleUploadedFile(
            "kb.csv",
            f"question,category,answer\n矩阵导入{next(_serial)},其他,矩阵答案\n".encode(),
            content_type="text/csv",
        )
    },
    "/console/knowledge/curation/new/": lambda w: {
        "turns": _open_question(w),
        "weeks": 4,
        "question": f"矩阵问题{next(_serial)}",
        "phrasings": "",
        "answer": "矩阵答案",
        "category": "other",
        "tags": "",
    },
    "/console/knowledge/curation/phrasings/": lambda w: {
        "turns": _open_question(w),
        "entry_code": _entry(1).code,
    },
    "/console/knowledge/curation/dismiss/": lambda w: {"turns": _open_question(w)},
    "/console/knowledge/curation/refresh/": lambda w: {},
    "/console/dispatch/optimise/": lambda w: {
        "day": _next_working_day().isoformat(),
        "scope": "day",
        "seconds": 1,
    },
    "/console/dispatch/routine/": lambda w: {
        "first_day": _next_working_day().isoformat(),
        "weeks": 1,
        "day": _next_working_day().isoformat(),
    },
    "/console/dispatch/plans/<int:plan_id>/publish/": lambda w: {
        "day": _next_working_day().isoformat()
    },
    "/console/dispatch/plans/<int:plan_id>/move/": lambda w: {
        "job": _ready_plan_stop_job(),
        "staff": "",
        "position": 1,
        "day": _next_working_day().isoformat(),
    },
    "/console/dispatch/urgent/<int:request_id>/": lambda w: {"note": "矩阵"},
    "/console/roster/day/": lambda w: {
        "user": w["field_staff"].pk,
        # A week on: the next working day holds the bookings the other forms made, and a day
        # off that would strand them is refused (rightly).
        "day": (_next_working_day() + datetime.timedelta(days=7)).isoformat(),
        "kind": "off",
    },
    "/console/roster/rules/": lambda w: {
        "earliest_start": "07:00",
        "latest_end": "19:00",
        "min_shift_hours": "6",
        "max_shift_hours": "10",
        "lunch_from": "11:30",
        "lunch_until": "13:00",
        "lunch_minutes": "45",
        "default_max_visits": "14",
        "window_minutes": "120",
        "booking_lead_hours": "2",
        "booking_horizon_days": "14",
        "change_cutoff_hours": "4",
        "routine_horizon_weeks": "4",
        "routine_slack_days": "2",
        "plan_seconds": "20",
    },  # fmt: skip
    "/console/roster/profiles/<int:user_id>/": lambda w: {
        "is_field": "on",
        "home_latitude": "31.85",
        "home_longitude": "117.25",
        "home_label": "矩阵营销部",
        "day_start": "08:00",
        "day_end": "17:00",
        "work_weekdays": ["0", "1", "2", "3", "4"],
        "max_visits": "9",
    },  # fmt: skip
    "/console/field/jobs/<int:job_id>/": lambda w: {
        "latitude": "31.82",
        "longitude": "117.23",
        "outcome": "done",
        "work_done": "矩阵",
        "coaching": "",
    },
    "/console/field/jobs/<int:job_id>/check-in/": lambda w: {
        "latitude": "31.820100",
        "longitude": "117.230100",
    },
    "/console/segments/preview/": lambda w: _RULE_EDITOR,
    "/console/segments/apply/": lambda w: _RULE_EDITOR,
    "/console/plans/<int:plan_id>/edit/": _plan_form,
    "/imports/": lambda w: WRITE_BODIES[("POST", "/api/imports/jobs")](w)["multipart"],
    "/portal/surveys/<str:token>/": lambda w: _servqual_form(),
    "/portal/surveys/ratings/<int:rating_id>/": lambda w: {
        "score": "5",
        "reason": "",
        "comment": "矩阵",
    },
    "/console/quality/waves/new/": lambda w: {
        "instrument": _servqual().pk,
        "name": "矩阵调查",
        "opens_at": _local_input(timezone.now() + datetime.timedelta(hours=1)),
        "closes_at": _local_input(timezone.now() + datetime.timedelta(days=8)),
        "audience": "shops",
        "grids": [w["other_shop"].grid_id],
    },
    "/console/quality/waves/<int:wave_id>/remind/": lambda w: {},
    "/console/quality/waves/<int:wave_id>/import/": lambda w: {
        "channel": "phone",
        "file": _servqual_xlsx(w["other_shop"]),
    },
    "/console/quality/initiatives/new/": lambda w: {
        "code": f"matrix-{next(_serial)}",
        "name": "矩阵举措",
        "type": "standard",
        "description": "矩阵",
        "channels": ["visit"],
        "service_item_id": "",
        "starts_on": _today().isoformat(),
        "ends_on": (_today() + datetime.timedelta(days=90)).isoformat(),
        "owner_id": w["admin"].pk,
        "grids": [w["other_shop"].grid_id],
    },
    "/console/quality/initiatives/<int:initiative_id>/type/": lambda w: {
        "to_type": "extended",
        "reason": "矩阵",
    },
    "/console/quality/initiatives/<int:initiative_id>/goals/": lambda w: {
        "metric": "interest",
        "baseline": "20",
        "target": "50",
        "starts_on": _today().isoformat(),
        "deadline": (_today() + datetime.timedelta(days=60)).isoformat(),
        "owner_id": w["admin"].pk,
    },
    "/console/quality/initiatives/<int:initiative_id>/waves/": lambda w: {
        "name": "矩阵举措调查",
        "opens_at": _local_input(timezone.now() + datetime.timedelta(hours=1)),
        "closes_at": _local_input(timezone.now() + datetime.timedelta(days=8)),
    },
    # The shop's message settings (a new address each time, so each save records a change).
    "/outreach/mine/preferences/": lambda w: {
        "channels": ["email", "sms"],
        "position_email": "1",
        "position_sms": "2",
        "topics": ["policy", "community"],
        "email": f"matrix{next(_serial)}@example.com",
    },
    "/outreach/campaigns/new/": lambda w: {
        "name": "矩阵活动",
        "template_id": _outreach_template().pk,
        "grids": [w["other_shop"].grid_id],
        "send": "now",
        "link": "",
    },
    "/outreach/campaigns/<int:campaign_id>/cancel/": lambda w: {},
    "/outreach/templates/new/": lambda w: {
        "name": f"矩阵模板{next(_serial)}",
        "topic": "policy",
        "subject": "矩阵通知",
        "body": "{店名}您好，矩阵测试。",
    },
    "/outreach/templates/<int:template_id>/": lambda w: {
        "name": "矩阵模板",
        "topic": "policy",
        "subject": "矩阵通知",
        "body": f"{{店名}}您好，矩阵测试{next(_serial)}。",
    },
}
# Page forms that write nothing (a preview, the log-out) or only the caller's own rows (marking
# their notifications read): they may answer anyone, and must still change nothing of others'.
PAGE_SELF_SCOPED = {
    "/accounts/login/",  # a logged-in user is sent on, whatever the body says
    "/accounts/logout/",
    "/portal/requests/",
    "/console/requests/notifications/",
}
PAGE_WITHOUT_WRITES = PAGE_SELF_SCOPED - {"/accounts/login/"} | {"/console/segments/preview/"}
# Pages that are no form but answer every method alike (the start page sends each user on).
PAGE_ANY_METHOD = {"/"}
# Forms a shop fills for itself (no shop in the body): a shop owner may use them, for their own
# shop only; the other shop's records must stay as they are.
PAGE_OWN_SHOP = {"/portal/requests/new/", "/portal/bookings/new/", "/outreach/mine/preferences/"}
# Forms that pick a shop from the user's own list: a shop outside it is answered exactly like a
# shop that does not exist, with the form again (422, "Choose a shop from the list.").
PAGE_SHOP_PICKED_FROM_SCOPE = {"/console/requests/new/"}
_ERROR_MARKERS = ('data-error-code="', 'class="field-error"', 'class="errorlist', "has-error")
# Pages that read more with a query (filters, the list behind a figure, a breakdown): each is
# read with these too, aimed at the other shop ({grid}, {district}: its own; {staff}: who owns
# its requests). Each is proven valid for an administrator by
# test_every_page_query_is_valid_for_an_administrator.
PAGE_QUERIES: dict[str, tuple[str, ...]] = {
    "/console/dashboards/": ("grid={grid}", "district={district}", "format=xlsx"),
    "/console/dashboards/staff/": ("grid={grid}", "staff={staff}&sort=csat", "format=xlsx"),
    "/console/dashboards/requests/": (
        "metric=created",
        "metric=resolved",
        "metric=responded",
        "metric=untouched",
        "metric=created&grid={grid}",
        "metric=resolved&district={district}&staff={staff}",
    ),
    "/console/dashboards/satisfaction/": (
        "grid={grid}",
        "district={district}&staff={staff}",
        "format=xlsx",
    ),
    "/console/dashboards/satisfaction/ratings/": (
        "which=rated",
        "which=rated&grid={grid}",
        "which=unrated&staff={staff}",
    ),
    "/console/dashboards/servqual/": ("grid={grid}", "district={district}", "format=xlsx"),
    "/console/dashboards/initiatives/": ("district={district}", "format=xlsx"),
    "/console/dashboards/class-moves/": ("direction=up", "grid={grid}&staff={staff}"),
    "/console/quality/waves/<int:wave_id>/": ("by=grid", "by=staff", "by=district"),
}
# The queries that show an administrator the other shop's records: the same reads show a
# restricted role none of them.
PAGE_QUERIES_SHOWING_THE_OTHER_SHOP = {
    ("/console/dashboards/requests/", "metric=created"),
    ("/console/dashboards/requests/", "metric=resolved"),
    ("/console/dashboards/requests/", "metric=created&grid={grid}"),
    ("/console/dashboards/requests/", "metric=resolved&district={district}&staff={staff}"),
    ("/console/dashboards/satisfaction/ratings/", "which=rated"),
    ("/console/dashboards/satisfaction/ratings/", "which=rated&grid={grid}"),
}


def _page_queries(world, route: str) -> list[str]:
    return [query.format(**world["query_values"]) for query in PAGE_QUERIES.get(route, ())]


def _page_control(world, route: str):
    """Who may post ``route``'s form (the positive control): the other shop's owner on the
    portal, its field staff member on the field pages, nobody logged in for the log-in page,
    an administrator elsewhere."""
    if route == "/accounts/login/":
        return None
    if route.startswith(("/portal/", "/outreach/mine/")):
        return world["other_shop_owner"]
    if route.startswith("/console/field/"):
        return world["field_staff"]
    return world["admin"]


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _post_page(client, url: str, body: dict[str, Any]):
    data = dict(body)
    query = data.pop("?", "")
    return client.post(f"{url}?{query}" if query else url, data)


def _shop_records(shop) -> dict[str, object]:
    """Every row that reaches ``shop`` through its model's ``scope_path``."""
    state = {}
    for model in apps.get_models():
        path = getattr(model, "scope_path", None)
        if path is None:
            continue
        rows = model.objects.filter(**{path or "pk": shop.pk}).values()
        state[model._meta.label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in rows
        )
    return state


def _fill(path: str, ids: dict[str, Callable[[], int]], path_ids=None) -> str:
    """``path`` with every parameter filled by an out-of-scope record (``path_ids``: overrides
    for the paths under a prefix, the longest matching prefix first)."""
    for prefix in sorted(path_ids or {}, key=len, reverse=True):
        if path.startswith(prefix):
            ids = ids | path_ids[prefix]
            break

    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        if name not in ids:
            pytest.fail(
                f"{path}: no out-of-scope record for parameter {name!r}; add one to world()"
            )
        return str(ids[name]())

    return re.sub(r"[{<]([^}>]+)[}>]", value, path)


def _api_operations() -> Iterator[tuple[str, str]]:
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            yield method.upper(), path


def _page_routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PAGE_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            yield from _page_routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route.lstrip("^").rstrip("$")


def _body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an XLSX export: read the text inside the workbook
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return " ".join(
                book.read(name).decode("utf-8", "ignore")
                for name in book.namelist()
                if name.endswith(".xml")
            )
    text = content.decode("utf-8", "ignore")
    if response.get("Content-Type", "").startswith("application/json"):
        # The API escapes non-ASCII text ("\u95e8"): read it as written, or no Chinese marker
        # (a shop's name, the secret) could ever be found in an answer.
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def _snapshot() -> dict[str, object]:
    """Every row of every project model, to prove a refused call changed nothing."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "axes", "admin"}:
            continue
        state[model._meta.label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
    return state


def _send(client, method: str, url: str, body: dict[str, Any] | None):
    send = getattr(client, method.lower())
    if body is not None and "multipart" in body:
        return send(url, data=body["multipart"])
    return send(url, data=body or {}, content_type="application/json")


def _check_read(client, url: str, markers: list[str], label: str) -> int:
    response = client.get(url)
    if response.status_code == 200:
        leaked = [m for m in markers if m in _body_text(response)]
        assert not leaked, f"{label} GET {url} shows another shop's data: {leaked}"
    else:
        # 422: a read that needs a query (a search box) and was given none.
        assert response.status_code in REFUSED | {302, 405, 422}, (
            f"{label} GET {url} answered {response.status_code}"
        )
    return response.status_code


def _check_write(client, method: str, url: str, body, label: str, allowed: set[int]) -> None:
    before = _snapshot()
    response = _send(client, method, url, body)
    assert response.status_code in allowed, (
        f"{label} {method} {url} answered {response.status_code}: {response.content[:300]!r}"
    )
    assert _snapshot() == before, f"{label} {method} {url} changed data"


@pytest.mark.parametrize("role", RESTRICTED_ROLES)
def test_no_api_operation_reaches_another_shops_data(client_for, world, role):
    client = client_for(world["roles"][role])
    operations = list(_api_operations())
    assert len(operations) >= 25  # the schema really was read
    read_statuses = []
    for method, path in operations:
        url = _fill(path, world["ids"], world["path_ids"])
        if method == "GET":
            read_statuses.append(_check_read(client, url, world["markers"], role))
            continue
        if (method, path) not in WRITE_BODIES:
            pytest.fail(f"{method} {path}: add a valid body to WRITE_BODIES")
        body = WRITE_BODIES[(method, path)](world)
        if (method, path) in OWN_SHOP_WRITES and role == Role.SHOP_OWNER:
            before = _shop_records(world["other_shop"])
            response = _send(client, method, url, body)
            assert response.status_code in REFUSED | {200, 422}, f"{method} {url}"
            assert _shop_records(world["other_shop"]) == before, f"{method} {url} changed data"
            continue
        allowed = {200} if (method, path) in SELF_SCOPED_WRITES else REFUSED
        _check_write(client, method, url, body, role, allowed)
    # The calls really reached the endpoints: lists answer, other shops' records are hidden.
    assert read_statuses.count(200) >= 5 and 404 in read_statuses


def _in_working_hours(path: str):
    """An urgent visit is fitted into today's routes, and refused as too late after 18:30: its
    positive control runs at 10:00 today, whatever the hour the suite runs at."""
    import contextlib
    import datetime

    import time_machine

    from dispatch.roster import local_dt

    if "urgent" not in path:
        return contextlib.nullcontext()
    return time_machine.travel(local_dt(_today(), datetime.time(10, 0)), tick=True)


def test_every_write_body_is_valid_for_an_administrator(client_for, world):
    """The positive control: the same calls succeed for a role allowed to make them."""
    admin, owner = client_for(world["admin"]), client_for(world["other_shop_owner"])
    writes = [(m, p) for m, p in _api_operations() if m != "GET"]
    assert writes
    field_staff = client_for(world["field_staff"])
    for method, path in writes:
        client = owner if (method, path) in SHOP_WRITES else admin
        client = field_staff if (method, path) in FIELD_WRITES else client
        url = _fill(path, world["ids"], world["path_ids"])
        with _in_working_hours(path):
            response = _send(client, method, url, WRITE_BODIES[(method, path)](world))
        assert response.status_code < 300, f"admin {method} {path}: {response.content[:300]!r}"


@pytest.mark.parametrize("role", RESTRICTED_ROLES)
def test_no_page_reaches_another_shops_data(client_for, world, role):
    user = world["roles"][role]
    client = client_for(user)
    routes = list(_page_routes())
    assert len(routes) >= 8
    statuses = []
    for route in routes:
        url = _fill(route, world["ids"], world["path_ids"])
        client.force_login(user)  # a POST to the log-out page must not blind the later calls
        statuses.append(_check_read(client, url, world["markers"], role))
        for query in _page_queries(world, route):
            _check_read(client, f"{url}?{query}", world["markers"], role)
        client.force_login(user)
        if route not in PAGE_BODIES:
            # Not a form (test_every_page_form_body_is_valid holds that): a POST is refused.
            allowed = REFUSED | {405} | ({302} if route in PAGE_ANY_METHOD else set())
            _check_write(client, "POST", url, {"multipart": {}}, role, allowed)
            continue
        body = PAGE_BODIES[route](world)
        if route in PAGE_OWN_SHOP and role == Role.SHOP_OWNER:
            _check_own_shop_write(client, url, body, world)
            continue
        allowed = REFUSED | ({200, 302} if route in PAGE_SELF_SCOPED else set())
        allowed |= {422} if route in PAGE_SHOP_PICKED_FROM_SCOPE else set()
        before = _snapshot()
        response = _post_page(client, url, body)
        assert response.status_code in allowed, (
            f"{role} POST {url} answered {response.status_code}: {response.content[:300]!r}"
        )
        assert _snapshot() == before, f"{role} POST {url} changed data"
        leaked = [m for m in world["markers"] if m in _body_text(response)]
        assert not leaked, f"{role} POST {url} shows another shop's data: {leaked}"
    assert statuses.count(200) >= 2 and (403 in statuses or 404 in statuses)


def _check_own_shop_write(client, url: str, body: dict[str, Any], world) -> None:
    """A shop's own form: it may succeed, for the caller's shop; the other shop is untouched."""
    before = _shop_records(world["other_shop"])
    response = _post_page(client, url, body)
    assert response.status_code in REFUSED | {200, 302, 422}, (
        f"shop_owner POST {url} answered {response.status_code}"
    )
    assert _shop_records(world["other_shop"]) == before, f"shop_owner POST {url} changed data"
    leaked = [m for m in world["markers"] if m in _body_text(response)]
    assert not leaked, f"shop_owner POST {url} shows another shop's data: {leaked}"


def test_every_page_form_body_is_valid(client_for, world):
    """The positive control of the pages: every page that takes a POST has a body in
    PAGE_BODIES, and it succeeds (and writes) for a role allowed to send it."""
    forms, problems = [], []
    for route in _page_routes():
        control = _page_control(world, route)
        client = client_for(control)
        url = _fill(route, world["ids"], world["path_ids"])
        if route not in PAGE_BODIES:
            status = _post_page(client, url, {}).status_code
            if status != 405 and route not in PAGE_ANY_METHOD:
                problems.append(f"POST {route} answered {status}: add a body to PAGE_BODIES")
            continue
        forms.append(route)
        before = _snapshot()
        with _in_working_hours(route):
            response = _post_page(client, url, PAGE_BODIES[route](world))
        text = _body_text(response)
        errors = [m for m in _ERROR_MARKERS if m in text]
        if response.status_code >= 400 or errors:
            problems.append(
                f"{control} POST {route} answered {response.status_code} {errors}: {text[:400]!r}"
            )
        elif route not in PAGE_WITHOUT_WRITES and _snapshot() == before:
            problems.append(f"{control} POST {route} wrote nothing")
    assert not problems, "\n".join(problems)
    assert set(forms) == set(PAGE_BODIES), "PAGE_BODIES names a page that is not in the URL conf"


def test_every_page_query_is_valid_for_an_administrator(client_for, world):
    """The positive control of PAGE_QUERIES: each read answers an administrator with no form
    error (the filter was taken, not dropped), and those aimed at the other shop's records show
    them."""
    client = client_for(world["admin"])
    assert set(PAGE_QUERIES) <= set(_page_routes()), "PAGE_QUERIES names a page not in the URL conf"
    problems = []
    for route, queries in PAGE_QUERIES.items():
        url = _fill(route, world["ids"], world["path_ids"])
        for template in queries:
            query = template.format(**world["query_values"])
            response = client.get(f"{url}?{query}")
            text = _body_text(response)
            errors = [m for m in _ERROR_MARKERS if m in text]
            shown = [m for m in world["markers"] if m in text]
            if response.status_code != 200 or errors:
                problems.append(f"GET {url}?{query} answered {response.status_code} {errors}")
            elif (route, template) in PAGE_QUERIES_SHOWING_THE_OTHER_SHOP and not shown:
                problems.append(f"GET {url}?{query} shows none of the other shop's records")
    assert not problems, "\n".join(problems)


def test_the_matrix_would_notice_a_leak(client_for, world, dispatcher):
    """The same check fails for a role that may see every shop: the markers are really there."""
    client = client_for(dispatcher)
    url = f"/api/customers/shops/{world['ids']['shop_id']()}"
    with pytest.raises(AssertionError, match="shows another shop's data"):
        _check_read(client, url, world["markers"], "dispatcher")


def test_the_matrix_would_notice_a_survey_leak(client_for, world):
    """The other shop's own surveys, the one it answered and a fresh one as the matrix fills
    ``token``, show the secret (and the answered one its link's token): the markers really are
    in the quality records the restricted roles are walked through."""
    client = client_for(world["other_shop_owner"])
    for token in (world["answered_token"], world["ids"]["token"]()):
        for url in (f"/api/quality/surveys/{token}", f"/portal/surveys/{token}/"):
            with pytest.raises(AssertionError, match="shows another shop's data"):
                _check_read(client, url, world["markers"], "other_shop_owner")


def test_shop_owner_still_reads_their_own_order(client_for, world, shop_owner):
    own = world["own_order"]
    response = client_for(shop_owner).get(f"/api/commerce/orders/{own.pk}")
    assert response.status_code == 200 and response.json()["number"] == own.number


def test_a_second_shop_owner_is_scoped_the_same_way(client_for, other_shop_owner, shop):
    """Symmetry: the other shop's owner cannot see the first shop either."""
    ShopFactory()  # a third shop, to be sure lists are filtered and not just short
    body = client_for(other_shop_owner).get("/api/customers/shops").json()
    assert shop.licence_no not in str(body) and body["count"] == 1
