"""The back office and the site shell speak Chinese (issue 13): admin titles and third-party names,
a favicon, and form length messages without programmer's jargon."""

import pytest
from django import forms
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_admin_index_is_titled_and_names_third_party_models_in_chinese(admin_user, client_for):
    body = client_for(admin_user).get("/admin/").content.decode()
    assert "柔性化服务平台 后台管理" in body and "后台数据" in body
    assert "登录保护" in body and "登录尝试" in body and "外发通知" in body
    for leak in ("Django 管理", "Axes", "Access attempts", "Outbox messages"):
        assert leak not in body, leak


def test_favicon_is_served_at_the_site_root_and_linked_from_pages(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header
    login = client.get("/accounts/login/").content.decode()
    assert 'rel="icon"' in login and "favicon.svg" in login


class NoteForm(forms.Form):
    title = forms.CharField(max_length=5)
    code = forms.CharField(min_length=3)


def test_length_messages_are_plain_chinese():
    with translation.override("zh-hans"):
        errors = NoteForm({"title": "一二三四五六", "code": "ab"}).errors
        assert errors["title"] == ["不能超过 5 个字，当前为 6 个字。"]
        assert errors["code"] == ["至少需要 3 个字，当前为 2 个字。"]
        assert "变量" not in str(NoteForm({}).errors)
