"""The shop owner's request pages: list, new request, one request, reply, confirm and reopen."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from servicedesk import services
from servicedesk.models import (
    Channel,
    Comment,
    Notification,
    RequestAttachment,
    ServiceRequest,
    Status,
)

LIST = "/portal/requests/"
NEW = "/portal/requests/new/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def detail(sr: ServiceRequest) -> str:
    return f"/portal/requests/{sr.pk}/"


def png(name: str = "shelf.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def file_request(owner, title: str = "缺货：利群新版", **kwargs) -> ServiceRequest:
    return services.request_create(
        actor=owner, request_type="consultation", title=title, channel=Channel.PORTAL, **kwargs
    )


def taken_by(staff, sr: ServiceRequest) -> ServiceRequest:
    """The request with an owner on the staff side, as after dispatching."""
    services.request_take(actor=staff, request_id=sr.pk)
    return ServiceRequest.objects.get(pk=sr.pk)


def resolved(staff, sr: ServiceRequest) -> ServiceRequest:
    taken_by(staff, sr)
    services.request_transition(
        actor=staff, request_id=sr.pk, action="resolve", note="已处理，请确认。"
    )
    return ServiceRequest.objects.get(pk=sr.pk)


# --- My requests --------------------------------------------------------------------------------


def test_the_list_shows_only_the_shops_own_requests(client_for, shop_owner, other_shop_owner):
    mine = file_request(shop_owner, title="我的请求")
    theirs = file_request(other_shop_owner, title="别人的请求")
    response = client_for(shop_owner).get(LIST, {"show": "all"}, **EN)
    html = response.content.decode()
    assert response.status_code == 200
    assert mine.number in html and "我的请求" in html
    assert f'href="{detail(mine)}"' in html
    assert theirs.number not in html and "别人的请求" not in html
    assert 'class="sr-status sr-status-new"' in html  # a coloured status badge
    assert "Due by" in html  # open requests show their resolution due time


def test_the_open_tab_leaves_out_closed_requests_and_all_shows_them(
    client_for, shop_owner, dispatcher
):
    open_one = file_request(shop_owner, title="还在处理")
    done = resolved(dispatcher, file_request(shop_owner, title="已经办完"))
    services.request_transition(actor=shop_owner, request_id=done.pk, action="close")
    client = client_for(shop_owner)
    open_html = client.get(LIST, **EN).content.decode()
    all_html = client.get(LIST, {"show": "all"}, **EN).content.decode()
    assert open_one.number in open_html and done.number not in open_html
    assert open_one.number in all_html and done.number in all_html


def test_the_list_asks_for_confirmation_of_resolved_requests(client_for, shop_owner, dispatcher):
    sr = resolved(dispatcher, file_request(shop_owner))
    html = client_for(shop_owner).get(LIST, {"show": "confirm"}, **EN).content.decode()
    assert sr.number in html and "Resolved: please confirm" in html


def test_the_list_costs_the_same_queries_for_one_request_or_many(client_for, shop_owner):
    client = client_for(shop_owner)
    file_request(shop_owner)
    client.get(LIST)  # warm the calendar cache and the session
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for n in range(5):
        file_request(shop_owner, title=f"请求{n}")
    with CaptureQueriesContext(connection) as six:
        client.get(LIST)
    assert len(six) == len(one)


def test_unread_notifications_are_listed_and_marked_read(client_for, shop_owner, other_shop_owner):
    now = timezone.now()
    note = Notification.objects.create(
        recipient=shop_owner,
        subject="SR1 已解决，请确认",
        url="/portal/requests/1/",
        created_at=now,
    )
    theirs = Notification.objects.create(
        recipient=other_shop_owner, subject="别人的通知", created_at=now
    )
    client = client_for(shop_owner)
    html = client.get(LIST, **EN).content.decode()
    assert 'id="notifications"' in html
    assert "SR1 已解决，请确认" in html and "别人的通知" not in html

    response = client.post(f"{LIST}?mark_read=1")
    assert response.status_code == 302 and response["Location"].endswith("#notifications")
    note.refresh_from_db()
    theirs.refresh_from_db()
    assert note.read_at is not None and theirs.read_at is None
    assert "SR1 已解决，请确认" not in client.get(LIST).content.decode()


def test_opening_a_request_reads_its_notifications(client_for, shop_owner):
    sr = file_request(shop_owner)
    about = Notification.objects.create(
        recipient=shop_owner, subject="about it", url=detail(sr), created_at=timezone.now()
    )
    other = Notification.objects.create(
        recipient=shop_owner,
        subject="other",
        url="/portal/requests/999/",
        created_at=timezone.now(),
    )
    client_for(shop_owner).get(detail(sr))
    about.refresh_from_db()
    other.refresh_from_db()
    assert about.read_at is not None and other.read_at is None


def test_a_post_to_the_list_without_mark_read_is_refused(client_for, shop_owner):
    Notification.objects.create(recipient=shop_owner, subject="x", created_at=timezone.now())
    assert client_for(shop_owner).post(LIST).status_code == 400
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_staff_may_not_open_the_portal_request_pages(client_for, account_manager, shop_owner):
    sr = file_request(shop_owner)
    client = client_for(account_manager)
    for url in (LIST, NEW, detail(sr)):
        response = client.get(url)
        assert response.status_code == 403
        assert 'data-error-code="forbidden"' in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- New request --------------------------------------------------------------------------------


def test_the_form_groups_types_by_category_in_the_active_language(client_for, shop_owner):
    html = client_for(shop_owner).get(NEW, **EN).content.decode()
    assert '<optgroup label="Delivery">' in html
    assert "Late delivery" in html  # RequestType.name_en in English
    html_zh = client_for(shop_owner).get(NEW).content.decode()
    assert "配送延误" in html_zh  # RequestType.name in Chinese


def test_filing_a_request_with_a_photo(client_for, shop_owner, shop):
    response = client_for(shop_owner).post(
        NEW,
        {
            "request_type": "delivery_late",
            "title": "今天的货还没到",
            "description": "上午应到，现在还没到。",
            "photos": [png()],
        },
        follow=True,
        **EN,
    )
    sr = ServiceRequest.objects.get()
    assert response.redirect_chain == [(detail(sr), 302)]
    assert (sr.shop, sr.channel, sr.title, sr.created_by) == (
        shop,
        Channel.PORTAL,
        "今天的货还没到",
        shop_owner,
    )
    photo = sr.attachments.get()
    assert photo.content_type == "image/png"
    html = response.content.decode()
    # The success message quotes the number and the first-response due time.
    due = timezone.localtime(sr.response_due_at).strftime("%Y-%m-%d %H:%M")
    assert f"Request {sr.number} is filed" in html and due in html
    assert f'src="/files/requests/{photo.pk}/"' in html  # served only to who sees the request


def test_a_request_without_a_title_is_not_filed(client_for, shop_owner):
    response = client_for(shop_owner).post(
        NEW, {"request_type": "delivery_late", "title": "  ", "description": "没标题"}, **EN
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in html
    assert "没标题" in html  # what was typed stays in the form
    assert not ServiceRequest.objects.exists()


def test_a_file_that_is_not_a_photo_is_rejected_next_to_the_photos_field(client_for, shop_owner):
    fake = SimpleUploadedFile("invoice.png", b"%PDF-1.4 not a picture", content_type="image/png")
    response = client_for(shop_owner).post(
        NEW,
        {"request_type": "delivery_late", "title": "发票问题", "photos": [png(), fake]},
        **EN,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "invoice.png is not a JPEG, PNG or WebP photo." in html
    photos_field = html[html.index('class="field sr-photos has-error"') :]
    assert photos_field.index("invoice.png is not") < photos_field.index("</label>")
    assert not ServiceRequest.objects.exists() and not RequestAttachment.objects.exists()


def test_more_than_three_photos_are_rejected(client_for, shop_owner):
    response = client_for(shop_owner).post(
        NEW,
        {
            "request_type": "delivery_late",
            "title": "四张照片",
            "photos": [png(f"{n}.png") for n in range(4)],
        },
        **EN,
    )
    assert "Attach at most 3 photos." in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_an_unknown_request_type_is_rejected(client_for, shop_owner):
    response = client_for(shop_owner).post(NEW, {"request_type": "teleport", "title": "x"}, **EN)
    assert response.status_code == 422 and "Select a valid choice." in response.content.decode()
    assert not ServiceRequest.objects.exists()


# --- One request --------------------------------------------------------------------------------


def test_the_detail_shows_number_type_status_and_the_promised_times(client_for, shop_owner):
    sr = file_request(shop_owner, description="说明文字")
    html = client_for(shop_owner).get(detail(sr), **EN).content.decode()
    assert sr.number in html and sr.title in html and "说明文字" in html
    assert "Policy or business question" in html  # the type's English name
    assert 'sr-status-new">New<' in html
    due = timezone.localtime(sr.response_due_at).strftime("%Y-%m-%d %H:%M")
    assert f"By {due}" in html
    assert "Request filed via Shop portal" in html  # the timeline starts with the filing


def test_another_shops_request_is_not_found(client_for, shop_owner, other_shop_owner):
    theirs = file_request(other_shop_owner)
    client = client_for(shop_owner)
    assert client.get(detail(theirs)).status_code == 404
    reply = client.post(f"{detail(theirs)}reply/", {"body": "我来回复"})
    close = client.post(f"{detail(theirs)}close/")
    assert (reply.status_code, close.status_code) == (404, 404)
    assert not Comment.objects.exists()


def test_internal_comments_and_events_never_reach_the_shop(client_for, shop_owner, dispatcher):
    sr = taken_by(dispatcher, file_request(shop_owner))
    services.comment_add(
        actor=dispatcher, request_id=sr.pk, body="内部：这家店常投诉", internal=True
    )
    services.comment_add(actor=dispatcher, request_id=sr.pk, body="您好，我们正在处理。")
    html = client_for(shop_owner).get(detail(sr), **EN).content.decode()
    assert "您好，我们正在处理。" in html
    assert "内部：这家店常投诉" not in html
    assert "Taken from the queue" not in html  # an internal hand-over event


def test_a_waiting_request_says_what_we_need_and_that_the_clock_is_paused(
    client_for, shop_owner, dispatcher
):
    sr = taken_by(dispatcher, file_request(shop_owner))
    services.request_transition(
        actor=dispatcher, request_id=sr.pk, action="ask_shop", note="请拍一张货架照片。"
    )
    html = client_for(shop_owner).get(detail(sr), **EN).content.decode()
    assert "Paused while we wait for you" in html
    assert "We need information from you" in html
    assert html.count("请拍一张货架照片。") == 2  # the question box and the timeline, not thrice


def test_a_reply_resumes_a_request_waiting_on_the_shop(client_for, shop_owner, dispatcher):
    sr = taken_by(dispatcher, file_request(shop_owner))
    services.request_transition(
        actor=dispatcher, request_id=sr.pk, action="ask_shop", note="请提供订单号。"
    )
    response = client_for(shop_owner).post(
        f"{detail(sr)}reply/", {"body": "订单号 DD202611020001"}, follow=True, **EN
    )
    sr.refresh_from_db()
    assert response.redirect_chain == [(detail(sr), 302)]
    assert sr.status == Status.IN_PROGRESS and sr.paused_at is None
    assert Comment.objects.filter(request=sr, author=shop_owner, internal=False).count() == 1
    html = response.content.decode()
    assert "Your reply was sent." in html and "订单号 DD202611020001" in html


def test_an_htmx_reply_answers_with_the_request_panel(client_for, shop_owner):
    sr = file_request(shop_owner)
    response = client_for(shop_owner).post(
        f"{detail(sr)}reply/", {"body": "补充一下情况"}, HTTP_HX_REQUEST="true", **EN
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="request-main"' in html and "补充一下情况" in html and "Your reply was sent." in html


def test_an_empty_reply_is_refused_and_nothing_is_written(client_for, shop_owner):
    sr = file_request(shop_owner)
    response = client_for(shop_owner).post(
        f"{detail(sr)}reply/", {"body": "   "}, HTTP_HX_REQUEST="true", **EN
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_confirming_a_resolved_request_closes_it(client_for, shop_owner, dispatcher):
    sr = resolved(dispatcher, file_request(shop_owner))
    client = client_for(shop_owner)
    html = client.get(detail(sr), **EN).content.decode()
    assert "Confirm resolved" in html and "Not solved — reopen" in html
    response = client.post(f"{detail(sr)}close/", follow=True, **EN)
    sr.refresh_from_db()
    assert sr.status == Status.CLOSED and sr.closed_at is not None
    page = response.content.decode()
    assert "the request is closed" in page and "Confirm resolved" not in page


def test_the_buttons_follow_the_allowed_actions(client_for, shop_owner, dispatcher):
    sr = taken_by(dispatcher, file_request(shop_owner))
    html = client_for(shop_owner).get(detail(sr), **EN).content.decode()
    assert "Confirm resolved" not in html and "Not solved — reopen" not in html


def test_closing_a_request_that_is_not_resolved_changes_nothing(client_for, shop_owner):
    sr = file_request(shop_owner)
    response = client_for(shop_owner).post(f"{detail(sr)}close/", **EN)
    sr.refresh_from_db()
    assert response.status_code == 200 and "cannot be changed that way" in response.content.decode()
    assert sr.status == Status.NEW


def test_reopening_needs_a_note(client_for, shop_owner, dispatcher):
    sr = resolved(dispatcher, file_request(shop_owner))
    client = client_for(shop_owner)
    response = client.post(f"{detail(sr)}reopen/", {"note": " "}, **EN)
    sr.refresh_from_db()
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert (sr.status, sr.reopen_count) == (Status.RESOLVED, 0)

    client.post(f"{detail(sr)}reopen/", {"note": "还是扣款失败"})
    sr.refresh_from_db()
    assert (sr.status, sr.reopen_count) == (Status.ASSIGNED, 1)
    assert Comment.objects.filter(request=sr, body="还是扣款失败").exists()


def test_an_action_the_shop_does_not_have_is_not_found(client_for, shop_owner, dispatcher):
    sr = taken_by(dispatcher, file_request(shop_owner))
    response = client_for(shop_owner).post(f"{detail(sr)}resolve/", {"note": "我自己解决了"})
    sr.refresh_from_db()
    assert response.status_code == 404 and sr.status == Status.ASSIGNED
