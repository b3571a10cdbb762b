"""Entry texts say {company}, {hotline}, {service_hours} and {link:…}; what shops read carries
the company profile's current values and links to the portal's own pages."""

import pytest
from django.urls import reverse

from flexserve.errors import Invalid
from knowledge import index, placeholders
from knowledge.models import CompanyProfile, Entry, Turn
from knowledge.services import chat
from knowledge.services.entries import clean_entry

ANSWER = "{company}的服务热线是{hotline}（{service_hours}），也可以在{link:request_new}页面提交。"


@pytest.fixture
def profile(db):
    return CompanyProfile.objects.create(
        name="<b>某市</b>烟草公司", hotline="0000-1234567", service_hours="工作日 9:00–17:00"
    )


@pytest.fixture
def hotline_entry(db):
    entry = Entry.objects.get(code="kb-other-001")
    Entry.objects.filter(pk=entry.pk).update(answer=ANSWER)
    entry.refresh_from_db()
    return entry


def test_the_chat_answers_with_the_current_profile_and_a_link_to_the_request_page(
    shop_owner, profile, hotline_entry
):
    turn = chat.ask(actor=shop_owner, question=hotline_entry.question)

    assert (turn.decision, turn.entry) == (Turn.Decision.ANSWER, hotline_entry)
    assert turn.reply.startswith("<b>某市</b>烟草公司的服务热线是0000-1234567（工作日 9:00–17:00）")
    assert "「" in turn.reply and "{" not in turn.reply  # the page named, as plain text
    assert turn.links == [{"label": turn.links[0]["label"], "url": reverse("portal:request_new")}]


def test_the_chat_page_escapes_the_company_name_and_links_the_page(
    client_for, shop_owner, profile, hotline_entry
):
    response = client_for(shop_owner).post(
        reverse("portal:ask"), {"question": hotline_entry.question}, follow=True
    )

    body = response.content.decode()
    assert "&lt;b&gt;某市&lt;/b&gt;" in body and "<b>某市</b>" not in body
    assert f'href="{reverse("portal:request_new")}"' in body


def test_the_entry_page_shows_the_answer_rendered_and_escaped(
    client_for, service_manager, profile, hotline_entry
):
    body = client_for(service_manager).get(f"/console/knowledge/{hotline_entry.pk}/").content
    body = body.decode()

    assert "0000-1234567" in body and "&lt;b&gt;某市" in body
    assert f'<a href="{reverse("portal:request_new")}">' in body


def test_the_api_gives_the_answer_as_edited_and_as_rendered(
    client_for, service_manager, profile, hotline_entry
):
    data = client_for(service_manager).get(f"/api/knowledge/entries/{hotline_entry.pk}").json()

    assert data["answer"] == ANSWER
    assert "0000-1234567" in data["answer_rendered"] and "{" not in data["answer_rendered"]


def test_without_a_hotline_the_answer_points_to_the_account_manager(db):
    text = placeholders.render_text("请拨打{hotline}。").text
    assert "{hotline}" not in text and text != "请拨打。"


def test_the_index_reads_questions_without_placeholders(db):
    entry = Entry.objects.get(code="kb-other-001")
    Entry.objects.filter(pk=entry.pk).update(
        question="{company}的服务热线是多少", phrasings=["{hotline}打不通怎么办"]
    )
    entry.refresh_from_db()

    indexed = index._as_engine_entry(entry)

    assert (indexed.question, indexed.phrasings) == ("的服务热线是多少", ["打不通怎么办"])


def test_an_answer_with_an_unknown_placeholder_is_refused():
    data = {
        "question": "热线多少",
        "answer": "请拨打{hotlne}或在{link:request}页面",
        "category": "other",
    }

    with pytest.raises(Invalid) as refused:
        clean_entry(data)

    assert "{hotlne}" in str(refused.value.fields["answer"])
