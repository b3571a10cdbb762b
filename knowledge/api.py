"""/api/knowledge: the self-service Q&A for shops (ask, pick, rate, hand over) and the
knowledge base for staff. A shop's token sees only its own conversations and records."""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from flexserve import policy
from flexserve.schemas import PageNumberPagination
from knowledge import chat_selectors, index, placeholders, selectors
from knowledge.models import Conversation, Turn
from knowledge.services import chat, entries

router = Router()


class AskIn(Schema):
    question: str = Field(..., min_length=1, max_length=300)
    conversation_id: int | None = Field(
        None, description="continue this conversation; omit to start one"
    )


class EntryRefOut(Schema):
    id: int
    code: str
    question: str
    category: str


class LinkOut(Schema):
    label: str
    url: str


class TurnOut(Schema):
    id: int
    conversation_id: int
    asked_at: datetime
    question: str
    kind: str = Field(..., description="faq: from the knowledge base; live: from your own records")
    decision: str = Field(
        ...,
        description="answer | suggest | clarify (which of two near-twin entries?) | handover",
    )
    reason: str = Field(
        "", description="with handover: off_topic when the question is not about our service"
    )
    confidence: float
    intent: str
    reply: str
    entry: EntryRefOut | None = Field(None, description="the entry answered (faq)")
    suggestions: list[EntryRefOut] = Field(
        default_factory=list,
        description="suggest: the entries offered; clarify: the two to choose between (pick "
        "one with /turns/{id}/pick); answer: related ones",
    )
    labels: list[str] = Field(
        default_factory=list, description="clarify: the short topic label of each suggestion"
    )
    links: list[LinkOut] = Field(default_factory=list)
    feedback: str
    engine_mode: str


def _turn_out(view: chat_selectors.TurnView) -> dict:
    turn = view.turn
    return {
        "id": turn.pk,
        "conversation_id": turn.conversation_id,
        "asked_at": turn.asked_at,
        "question": turn.question,
        "kind": turn.kind,
        "decision": turn.decision,
        "reason": turn.reason,
        "confidence": turn.confidence,
        "intent": turn.intent,
        "reply": turn.reply,
        "entry": view.entry,
        "suggestions": view.suggestions,
        "labels": [label for _entry, label in view.choices],
        "links": turn.links,
        "feedback": turn.feedback,
        "engine_mode": turn.engine_mode,
    }


def _one(turn: Turn) -> dict:
    return _turn_out(chat_selectors.turn_views([turn])[0])


@router.post("/ask", response=TurnOut, summary="Ask a question (shops)")
def ask(request, payload: AskIn):
    return _one(
        chat.ask(
            actor=request.user, question=payload.question, conversation_id=payload.conversation_id
        )
    )


class PickIn(Schema):
    entry_id: int


@router.post("/turns/{turn_id}/pick", response=TurnOut, summary="Take one of the suggestions")
def pick(request, turn_id: int, payload: PickIn):
    return _one(
        chat.pick_suggestion(actor=request.user, turn_id=turn_id, entry_id=payload.entry_id)
    )


class RateIn(Schema):
    helpful: bool


@router.post("/turns/{turn_id}/rate", response=TurnOut, summary="Helpful or not")
def rate(request, turn_id: int, payload: RateIn):
    return _one(chat.rate(actor=request.user, turn_id=turn_id, helpful=payload.helpful))


class HandoverIn(Schema):
    note: str = Field("", max_length=500)


class HandoverOut(Schema):
    request_id: int
    number: str


@router.post(
    "/conversations/{conversation_id}/handover",
    response=HandoverOut,
    summary="Pass the conversation to a person (转人工): a service request with the transcript",
)
def hand_over(request, conversation_id: int, payload: HandoverIn):
    created = chat.hand_over(actor=request.user, conversation_id=conversation_id, note=payload.note)
    return {"request_id": created.pk, "number": created.number}


class ConversationOut(Schema):
    id: int
    started_at: datetime
    handover_request_id: int | None
    turns: list[TurnOut]


@router.get(
    "/conversations/{conversation_id}", response=ConversationOut, summary="One conversation"
)
def get_conversation(request, conversation_id: int):
    conversation = policy.get_visible(request.user, Conversation, conversation_id)
    views = chat_selectors.conversation_turns(request.user, conversation)
    return {
        "id": conversation.pk,
        "started_at": conversation.started_at,
        "handover_request_id": conversation.handover_request_id,
        "turns": [_turn_out(v) for v in views],
    }


class ModeOut(Schema):
    mode: str = Field(..., description="lexical | lexical+dense")
    entries: int
    dense_building: bool


@router.get("/mode", response=ModeOut, summary="Which retrieval mode answers")
def mode(request):
    policy.require(request.user, policy.Perm.KNOWLEDGE_VIEW)
    index.engine()
    return index.mode()


# --- Knowledge base (staff) ---------------------------------------------------------------------


class EntryOut(Schema):
    id: int
    code: str
    category: str
    question: str
    phrasings: list[str]
    answer: str = Field(..., description="as edited, with placeholders such as {hotline}")
    answer_rendered: str = Field(
        ..., description="as shops read it: placeholders filled in, page links as 「page name」"
    )
    tags: list[str]
    valid_from: date | None
    valid_until: date | None
    status: str
    version: int
    owner: str | None = Field(None, alias="owner.username")
    updated_at: datetime

    @staticmethod
    def resolve_answer_rendered(entry) -> str:
        return placeholders.render_text(entry.answer).text


class EntryFiltersIn(Schema):
    q: str = Field("", max_length=100)
    category: str = Field("", max_length=20)
    status: str = Field("", max_length=10)
    tag: str = Field("", max_length=20)
    validity: str = Field("", max_length=10, description="now | expired | future")


class EntryIn(Schema):
    code: str = Field("", max_length=40, description="omit to number it in its category")
    category: str = Field(..., max_length=20)
    question: str = Field(..., max_length=200)
    phrasings: list[str] = Field(default_factory=list, max_length=50)
    answer: str = Field(..., max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=10)
    valid_from: date | None = None
    valid_until: date | None = None
    status: str = Field("published", max_length=10)
    note: str = Field("", max_length=200)


class EntryUpdateIn(EntryIn):
    expected_version: int | None = Field(
        None, description="the version you read; a newer one answers 409 entry_changed"
    )


def _entry_data(payload: EntryIn) -> dict:
    return payload.dict(exclude={"code", "note", "expected_version"})


@router.get("/entries", response=list[EntryOut], summary="Knowledge entries (staff)")
@paginate(PageNumberPagination, page_size=50)
def list_entries(request, filters: Query[EntryFiltersIn]):
    policy.require(request.user, policy.Perm.KNOWLEDGE_VIEW)
    return selectors.entry_list(user=request.user, filters=selectors.EntryFilters(**filters.dict()))


@router.get("/entries/{entry_id}", response=EntryOut, summary="One knowledge entry")
def get_entry(request, entry_id: int):
    return selectors.entry_get(user=request.user, entry_id=entry_id)


@router.post("/entries", response={201: EntryOut}, summary="Create a knowledge entry")
def create_entry(request, payload: EntryIn):
    created = entries.entry_create(
        actor=request.user, data=_entry_data(payload), code=payload.code, note=payload.note
    )
    return Status(201, created)


@router.put("/entries/{entry_id}", response=EntryOut, summary="Save a new version of an entry")
def update_entry(request, entry_id: int, payload: EntryUpdateIn):
    return entries.entry_update(
        actor=request.user,
        entry_id=entry_id,
        data=_entry_data(payload),
        expected_version=payload.expected_version,
        note=payload.note,
    )
