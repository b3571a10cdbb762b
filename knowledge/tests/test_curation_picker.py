"""Adding a cluster to an entry as similar phrasings: the curator picks the entry from a list of
published entries ("code · question"), prefilled with the confident candidate; the server reads
the code back from the picked text and still checks it."""

import html
import re

from knowledge import index
from knowledge.models import Entry, Turn
from knowledge.tests.test_curation_queue import URL, ask, regroup

PHRASINGS = "/console/knowledge/curation/phrasings/"


def picker_options(body: str) -> list[str]:
    datalist = re.search(r'<datalist id="entry-codes">(.*?)</datalist>', body, re.S).group(1)
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', datalist)]


def prefilled(body: str) -> str:
    return html.unescape(re.search(r'name="entry_code"[^>]*value="([^"]*)"', body).group(1))


def test_the_picker_lists_published_entries_by_code_and_question(client_for, service_manager, shop):
    ask(shop, "新店开业有没有陈列补贴")
    regroup()
    draft = Entry.objects.filter(status=Entry.Status.PUBLISHED).order_by("code").first()
    Entry.objects.filter(pk=draft.pk).update(status=Entry.Status.DRAFT)
    published = Entry.objects.filter(status=Entry.Status.PUBLISHED).order_by("code")

    body = client_for(service_manager).get(URL).content.decode()

    options = picker_options(body)
    assert options == [f"{e.code} · {e.question}" for e in published]
    assert not any(o.startswith(f"{draft.code} ") for o in options)
    assert 'list="entry-codes"' in body


def test_the_confident_candidate_is_prefilled_as_code_and_question(
    client_for, service_manager, shop
):
    entry = Entry.objects.get(code="kb-licence-001")
    ask(shop, entry.question)
    assert index.search(entry.question, k=1).decision == "answer"
    regroup()

    body = client_for(service_manager).get(URL).content.decode()

    assert prefilled(body) == f"kb-licence-001 · {entry.question}"
    assert prefilled(body) in picker_options(body)


def test_a_picked_entry_gets_the_phrasings(client_for, service_manager, shop):
    turns = [ask(shop, "店里被偷了烟怎么办"), ask(shop, "烟被偷了能不能报损")]
    entry = Entry.objects.get(code="kb-complaint-015")

    response = client_for(service_manager).post(
        PHRASINGS,
        {
            "turns": ",".join(str(t.pk) for t in turns),
            "entry_code": f"kb-complaint-015 · {entry.question}",
        },
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.phrasings[-2:] == ["店里被偷了烟怎么办", "烟被偷了能不能报损"]
    assert set(Turn.objects.values_list("curation", flat=True)) == {"added"}


def test_a_typed_text_that_is_no_entry_is_refused_with_the_text_kept(
    client_for, service_manager, shop
):
    turn = ask(shop, "店里被偷了烟怎么办")

    response = client_for(service_manager).post(
        PHRASINGS,
        {"turns": str(turn.pk), "entry_code": "kb-nothing-999 · 随便写的"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert "kb-nothing-999" in body and 'data-error-code="invalid"' in body
    assert prefilled(body) == "kb-nothing-999 · 随便写的"
    assert Turn.objects.get(pk=turn.pk).curation == "open"
