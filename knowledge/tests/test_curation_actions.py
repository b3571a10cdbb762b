"""One click per cluster: a new entry, similar phrasings of an entry, or dismissal — each done
once (the second click is refused), nothing changed on bad input or without the permission."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from knowledge import index
from knowledge.models import Category, Conversation, Entry, Turn

NEW = "/console/knowledge/curation/new/"
PHRASINGS = "/console/knowledge/curation/phrasings/"
DISMISS = "/console/knowledge/curation/dismiss/"
QUESTIONS = ["店里被偷了烟怎么办", "店里的烟被偷了怎么处理", "烟被偷了能不能报损"]


def ask(shop, question, *, decision="suggest", curation_state="open", **fields):
    at = timezone.now() - datetime.timedelta(days=2)
    conversation = Conversation.objects.create(shop=shop, started_at=at)
    return Turn.objects.create(
        conversation=conversation,
        shop=shop,
        asked_at=at,
        question=question,
        decision=decision,
        curation=curation_state,
        **fields,
    )


@pytest.fixture
def theft(shop):
    """A cluster of four turns (one question asked twice)."""
    return [ask(shop, q) for q in [*QUESTIONS, QUESTIONS[0]]]


def ids(turns) -> str:
    return ",".join(str(t.pk) for t in turns)


def states(turns) -> list[str]:
    return list(
        Turn.objects.filter(pk__in=[t.pk for t in turns]).values_list("curation", flat=True)
    )


def new_entry_post(turns, **overrides):
    return {
        "turns": ids(turns),
        "question": QUESTIONS[0],
        "phrasings": "\n".join(QUESTIONS[1:]),
        "category": Category.OTHER,
        "answer": "店内卷烟被盗请先报警并保留监控，再联系客户经理登记。",
        "tags": "被盗, 报损",
        "code": "",
        "next": "/console/knowledge/curation/?weeks=4",
    } | overrides


# --- New entry ------------------------------------------------------------------------------


def test_create_form_is_prefilled_from_the_cluster(client_for, service_manager, theft):
    response = client_for(service_manager).get(NEW, {"turns": ids(theft)})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["question"] == QUESTIONS[0]  # asked most: the representative
    assert form.initial["phrasings"].splitlines() == QUESTIONS[1:]
    assert form.initial["turns"] == ids(theft)


def test_new_entry_is_created_and_its_questions_marked_added_once(
    client_for, service_manager, theft, django_capture_on_commit_callbacks
):
    index.search("店里的烟被偷了怎么处理")  # the index exists before the change
    client = client_for(service_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, new_entry_post(theft))

    assert (response.status_code, response["Location"]) == (
        302,
        "/console/knowledge/curation/?weeks=4",
    )
    entry = Entry.objects.get(question=QUESTIONS[0])
    assert (entry.phrasings, entry.category, entry.tags) == (
        QUESTIONS[1:],
        "other",
        ["被盗", "报损"],
    )
    assert entry.owner == service_manager and entry.versions.count() == 1
    assert states(theft) == ["added"] * 4
    audit = AuditEntry.objects.get(action="knowledge.curation_add_entry")
    assert (audit.target_id, sorted(audit.changes["turns"][1])) == (
        entry.pk,
        sorted(t.pk for t in theft),
    )
    answer = index.search("店里的烟被偷了怎么处理")
    assert (answer.decision, answer.hits[0].entry_id) == ("answer", str(entry.pk))

    again = client.post(NEW, new_entry_post(theft, code="kb-other-900"))

    assert again.status_code == 409
    assert Entry.objects.filter(question=QUESTIONS[0]).count() == 1


def test_new_entry_with_bad_input_changes_nothing(client_for, service_manager, theft):
    entries = Entry.objects.count()

    response = client_for(service_manager).post(
        NEW, new_entry_post(theft, answer="", category="weather")
    )

    assert response.status_code == 422
    assert set(response.context["form"].errors) >= {"answer", "category"}
    assert Entry.objects.count() == entries and states(theft) == ["open"] * 4
    assert not AuditEntry.objects.filter(action__startswith="knowledge.").exists()


def test_new_entry_with_a_code_already_taken_changes_nothing(client_for, service_manager, theft):
    response = client_for(service_manager).post(NEW, new_entry_post(theft, code="kb-ordering-001"))

    assert response.status_code == 422
    assert "code" in response.context["form"].errors
    assert states(theft) == ["open"] * 4


# --- Similar phrasings ----------------------------------------------------------------------


def test_phrasings_are_added_to_the_chosen_entry_once(
    client_for, service_manager, theft, django_capture_on_commit_callbacks
):
    entry = Entry.objects.get(code="kb-complaint-015")
    before = list(entry.phrasings)
    index.search(QUESTIONS[2])
    client = client_for(service_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PHRASINGS, {"turns": ids(theft), "entry_code": "KB-complaint-015"})

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.phrasings == before + QUESTIONS  # each once, the most asked first
    assert entry.version == 2
    assert states(theft) == ["added"] * 4
    assert AuditEntry.objects.filter(
        action="knowledge.curation_add_phrasings", target_id=entry.pk
    ).exists()
    answer = index.search(QUESTIONS[2])
    assert (answer.decision, answer.hits[0].entry_id) == ("answer", str(entry.pk))

    again = client.post(PHRASINGS, {"turns": ids(theft), "entry_code": "kb-complaint-015"})

    assert again.status_code == 409
    entry.refresh_from_db()
    assert entry.version == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [("kb-nothing-999", "kb-nothing-999"), ("", ""), ("archived-one", "archived-one")],
)
def test_phrasings_for_an_unknown_or_archived_entry_change_nothing(
    client_for, service_manager, theft, code, message
):
    Entry.objects.filter(code="kb-other-008").update(code="archived-one", status="archived")

    response = client_for(service_manager).post(
        PHRASINGS, {"turns": ids(theft), "entry_code": code}
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert 'data-error-code="invalid"' in response.content.decode()
    assert states(theft) == ["open"] * 4
    assert Entry.objects.filter(version__gt=1).count() == 0


def test_htmx_phrasings_refusal_answers_the_cluster_card_with_the_message(
    client_for, service_manager, theft
):
    response = client_for(service_manager).post(
        PHRASINGS, {"turns": ids(theft), "entry_code": "kb-nothing-999"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith("<article") and 'data-count="4"' in body
    assert 'value="kb-nothing-999"' in body


# --- Dismiss ----------------------------------------------------------------------------------


def test_dismissal_marks_the_open_questions_once(client_for, service_manager, theft, shop):
    handled = ask(shop, QUESTIONS[0], curation_state="added")
    client = client_for(service_manager)

    response = client.post(DISMISS, {"turns": ids([*theft, handled])}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "4" in response.content.decode()
    assert states(theft) == ["dismissed"] * 4 and states([handled]) == ["added"]
    audit = AuditEntry.objects.get(action="knowledge.curation_dismiss")
    assert sorted(audit.changes["turns"][1]) == sorted(t.pk for t in theft)

    again = client.post(DISMISS, {"turns": ids(theft)}, HTTP_HX_REQUEST="true")

    assert again.status_code == 409
    assert 'data-error-code="nothing_to_curate"' in again.content.decode()
    assert AuditEntry.objects.filter(action="knowledge.curation_dismiss").count() == 1


@pytest.mark.parametrize("turns", ["", "1,two,3", "-4"])
def test_dismissal_with_bad_turn_ids_changes_nothing(client_for, service_manager, theft, turns):
    response = client_for(service_manager).post(DISMISS, {"turns": turns})

    assert response.status_code == 422
    assert states(theft) == ["open"] * 4


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["account_manager", "shop_owner"])
@pytest.mark.parametrize(
    ("url", "extra"),
    [
        (NEW, {"question": "x", "answer": "y", "category": "other"}),
        (PHRASINGS, {"entry_code": "kb-complaint-015"}),
        (DISMISS, {}),
    ],
)
def test_actions_are_refused_without_the_knowledge_edit_permission(
    request, client_for, theft, role, url, extra
):
    user = request.getfixturevalue(role)

    response = client_for(user).post(url, {"turns": ids(theft), **extra})

    assert response.status_code == 403
    assert states(theft) == ["open"] * 4
    assert Entry.objects.filter(version__gt=1).count() == 0


def test_create_form_is_refused_to_account_managers(client_for, account_manager, theft):
    assert client_for(account_manager).get(NEW, {"turns": ids(theft)}).status_code == 403
