"""The shop's side of the self-service Q&A: ask, pick a suggestion, rate, hand over to a person.

A question about the shop's own records (``engines.qa.intents``) is answered from them
(``knowledge.live``); any other question is searched in the knowledge base, and the engine's
calibrated confidence decides: answer, offer the top 3, ask which of two near-twin entries is
meant (clarify), or hand over; a question outside the company's service (off-topic) is declined
with the hand-over offer and no suggestions. Every question is kept as a ``Turn``; what the
machine could not answer well is opened for curation.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Shop
from engines.qa import intents
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from knowledge import chat_selectors, index, live, placeholders
from knowledge.errors import EntryUnavailable, NoShop, NotAnswered, NotSuggested
from knowledge.models import Conversation, Entry, Turn
from servicedesk import services as servicedesk
from servicedesk.models import Channel

QUESTION_MAX = Turn._meta.get_field("question").max_length
SUGGESTIONS = 3
HANDOVER_TYPE = "consultation"  # 政策与业务咨询: routed to the shop's account manager
TRANSCRIPT_MAX = 3800  # the request description holds 4,000 characters


def _shop_of(actor: User) -> Shop:
    policy.require(actor, Perm.QA_ASK)
    shop_id = policy.owned_shop_id(actor)
    if shop_id is None:
        raise NoShop()
    return Shop.objects.select_related("account_manager").get(pk=shop_id)


def _clean_question(question: str) -> str:
    text = " ".join((question or "").split())
    if not text:
        raise Invalid(fields={"question": [_("Type a question.")]})
    if len(text) > QUESTION_MAX:
        raise Invalid(fields={"question": [_("At most %(n)s characters.") % {"n": QUESTION_MAX}]})
    return text


def _conversation(actor: User, shop: Shop, conversation_id: int | None, now) -> Conversation:
    """The conversation to continue, or a new one (also after a hand-over: that one is closed)."""
    if conversation_id:
        conversation = policy.get_visible(actor, Conversation, conversation_id, for_update=True)
        if conversation.handover_request_id is None:
            return conversation
    return Conversation.objects.create(shop=shop, user=actor, started_at=now)


def _entries(pks: list[int]) -> dict[int, Entry]:
    """The hits still live: the index may lag an archive made in another process by seconds."""
    today = timezone.localdate()
    found = Entry.objects.in_bulk(pks)
    return {pk: entry for pk, entry in found.items() if entry.is_live_on(today)}


@transaction.atomic
def ask(*, actor: User, question: str, conversation_id: int | None = None) -> Turn:
    """Answer one question of a shop owner and keep it."""
    shop = _shop_of(actor)
    text = _clean_question(question)
    now = timezone.now()
    conversation = _conversation(actor, shop, conversation_id, now)
    turn = Turn(conversation=conversation, shop=shop, asked_at=now, question=text)
    recognised = intents.recognize(text, timezone.localdate(now))
    if recognised is not None:
        reply = live.answer(actor, shop, recognised, timezone.localdate(now))
        turn.kind, turn.decision, turn.confidence = Turn.Kind.LIVE, Turn.Decision.ANSWER, 1.0
        turn.intent, turn.reply, turn.links = recognised.intent, reply.text, reply.links
        turn.engine_mode = "live"
    else:
        _answer_from_knowledge(turn, text)
    turn.save()
    return turn


def _answer_from_knowledge(turn: Turn, text: str) -> None:
    result = index.search(text, k=SUGGESTIONS + 1)
    turn.kind = Turn.Kind.FAQ
    turn.confidence = round(result.confidence, 4)
    turn.engine_mode = index.mode()["mode"]
    # An engine without the domain gate gives no reason; one we do not know is not stored.
    reason = getattr(result, "reason", "") or ""
    turn.reason = reason if reason in Turn.Reason.values else Turn.Reason.NONE
    if result.decision == Turn.Decision.HANDOVER and turn.reason == Turn.Reason.OFF_TOPIC:
        # Not about our service: the nearest entries would be unrelated, and there is no gap in
        # the knowledge base for curation to fill.
        turn.decision = Turn.Decision.HANDOVER
        turn.reply = _(
            "Sorry, that is outside what I can answer: I answer questions about ordering, "
            "delivery, payments, licences, display and promotion. For anything else, pass it "
            "to a person with 转人工."
        )
        return
    hit_pks = [int(hit.entry_id) for hit in result.hits]
    entries = _entries(hit_pks)
    hit_pks = [pk for pk in hit_pks if pk in entries]  # an entry deleted since the last refresh
    decision = result.decision if hit_pks else Turn.Decision.HANDOVER
    if decision == Turn.Decision.CLARIFY and len(hit_pks) < 2:
        decision = Turn.Decision.SUGGEST  # one of the twins went out of date: offer the other
    turn.decision = decision
    if decision == Turn.Decision.ANSWER:
        turn.entry = entries[hit_pks[0]]
        turn.category = turn.entry.category
        _fill_reply(turn, turn.entry)
        turn.suggestions = hit_pks[1:SUGGESTIONS]  # "you may also want to know"
    elif decision == Turn.Decision.CLARIFY:
        twins = [entries[pk] for pk in hit_pks[:2]]
        # Kept as suggestions, so the shop's pick goes through pick_suggestion and curation
        # learns which of the two the question meant.
        turn.suggestions = [entry.pk for entry in twins]
        turn.category = twins[0].category
        first, second = chat_selectors.topic_labels(twins)
        turn.reply = clarify_question(first, second)
        turn.curation = Turn.Curation.OPEN
    elif decision == Turn.Decision.SUGGEST:
        turn.suggestions = hit_pks[:SUGGESTIONS]
        turn.category = entries[hit_pks[0]].category
        turn.reply = (
            _("Did you mean one of these?")
            + "\n"
            + "\n".join(f"· {entries[pk].question}" for pk in turn.suggestions)
        )
        turn.curation = Turn.Curation.OPEN
    else:
        turn.reply = _(
            "I'm not sure I understood. You can rephrase the question, or pass it to a person "
            "with 转人工 and your account manager will answer."
        )
        turn.curation = Turn.Curation.OPEN


def clarify_question(first: str, second: str) -> str:
    """The question asked back when two entries are near-twins (您问的是「A」还是「B」？)."""
    return _("Do you mean “%(first)s” or “%(second)s”?") % {"first": first, "second": second}


def _fill_reply(turn: Turn, entry: Entry) -> None:
    """The entry's answer as the shop reads it now: today's company values, links to our pages."""
    answer = placeholders.render_text(entry.answer)
    turn.reply, turn.links = answer.text, answer.links


def _own_turn(actor: User, turn_id: int) -> Turn:
    _shop_of(actor)
    return policy.get_visible(
        actor, Turn, turn_id, for_update=True, qs=Turn.objects.select_related("conversation")
    )


@transaction.atomic
def pick_suggestion(*, actor: User, turn_id: int, entry_id: int) -> Turn:
    """The shop chose one of the offered entries: answer it as a new turn, and remember the
    choice on the asked question (curation proposes it as a new phrasing of that entry)."""
    asked = _own_turn(actor, turn_id)
    if entry_id not in asked.suggestions:
        raise NotSuggested()
    entry = Entry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotSuggested()
    now = timezone.now()
    # Offered when live; since then it may be back in draft, archived or out of its validity.
    if not entry.is_live_on(timezone.localdate(now)):
        raise EntryUnavailable()
    if asked.decision in (Turn.Decision.SUGGEST, Turn.Decision.CLARIFY):
        asked.picked_entry = entry
        asked.save(update_fields=["picked_entry"])
    answer = placeholders.render_text(entry.answer)
    return Turn.objects.create(
        conversation=asked.conversation,
        shop=asked.shop,
        asked_at=now,
        question=entry.question,
        kind=Turn.Kind.FAQ,
        decision=Turn.Decision.ANSWER,
        confidence=1.0,
        entry=entry,
        category=entry.category,
        reply=answer.text,
        links=answer.links,
        engine_mode="picked",
    )


@transaction.atomic
def rate(*, actor: User, turn_id: int, helpful: bool) -> Turn:
    """Helpful / not helpful on an answer; may be changed. "Not helpful" opens it for curation."""
    turn = _own_turn(actor, turn_id)
    if turn.decision != Turn.Decision.ANSWER:
        raise NotAnswered()
    turn.feedback = Turn.Feedback.HELPFUL if helpful else Turn.Feedback.NOT_HELPFUL
    turn.feedback_at = timezone.now()
    if not helpful and turn.curation in ("", Turn.Curation.OPEN):
        turn.curation = Turn.Curation.OPEN
    elif helpful and turn.curation == Turn.Curation.OPEN:
        turn.curation = ""  # changed their mind: nothing left to review
    turn.save(update_fields=["feedback", "feedback_at", "curation"])
    return turn


def transcript(conversation: Conversation) -> str:
    """The conversation as plain text, question and reply per turn, newest kept if too long."""
    blocks = [
        f"[{timezone.localtime(t.asked_at):%H:%M}] {_('Shop')}：{t.question}\n"
        f"{_('Reply')}：{t.reply}"
        for t in conversation.turns.order_by("asked_at", "id")
    ]
    text = "\n\n".join(blocks)
    while len(text) > TRANSCRIPT_MAX and len(blocks) > 1:
        blocks.pop(0)
        text = "…\n\n" + "\n\n".join(blocks)
    return text[-TRANSCRIPT_MAX:]


@transaction.atomic
def hand_over(*, actor: User, conversation_id: int, note: str = ""):
    """转人工: open a service request carrying the transcript; asking again returns the same one."""
    shop = _shop_of(actor)
    conversation = policy.get_visible(actor, Conversation, conversation_id, for_update=True)
    if conversation.handover_request_id is not None:
        return conversation.handover_request
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise Invalid(fields={"note": [_("At most %(n)s characters.") % {"n": 500}]})
    turns = list(conversation.turns.order_by("asked_at", "id"))
    if not turns and not note:
        raise Invalid(fields={"note": [_("Tell us what you need, or ask a question first.")]})
    first_question = turns[0].question if turns else note
    title = _("Q&A hand-over: %(question)s") % {"question": first_question}
    description = "\n\n".join(
        part
        for part in (note, _("Conversation with the self-service Q&A:"), transcript(conversation))
        if part
    )
    request = servicedesk.request_create(
        actor=actor,
        request_type=HANDOVER_TYPE,
        title=title[:120],
        description=description,
        channel=Channel.CHAT,
        shop_id=shop.pk,
    )
    conversation.handover_request = request
    conversation.save(update_fields=["handover_request"])
    last = turns[-1] if turns else None
    if (
        last is not None
        and last.kind == Turn.Kind.FAQ
        and last.curation == ""
        and last.reason != Turn.Reason.OFF_TOPIC  # not a gap in the knowledge base
    ):
        last.curation = Turn.Curation.OPEN  # the shop still needed a person after this reply
        last.save(update_fields=["curation"])
    return request
