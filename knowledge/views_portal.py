"""The shop portal's chat (智能客服): ask, pick a suggestion, rate an answer, hand over.

Thin: each view calls one service of ``knowledge.services.chat`` and renders. With htmx a
question posts and gets its turn back, appended to the log; without JavaScript every form posts
and redirects to the page, which shows the conversation.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from flexserve.web import is_htmx
from knowledge import chat_selectors as selectors
from knowledge.services import chat


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _page(request: HttpRequest, *, conversation_id: int | None, error: str = "", question=""):
    user = request.user
    conversation = selectors.current_conversation(user, conversation_id)
    context: dict[str, Any] = {
        "conversation": conversation,
        "turns": selectors.conversation_turns(user, conversation) if conversation else [],
        "starters": selectors.starter_questions(),
        "has_shop": policy.owned_shop_id(user) is not None,
        "error": error,
        "question": question,
        "handover": conversation.handover_request if conversation else None,
    }
    return render(request, "knowledge/ask.html", context, status=422 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Perm.QA_ASK)
    conversation_id = _int(request.POST.get("conversation") or request.GET.get("c"))
    if request.method == "GET":
        if request.GET.get("new") == "1":
            conversation_id = -1  # no such conversation: an empty page
        return _page(request, conversation_id=conversation_id)
    question = request.POST.get("question", "")
    try:
        turn = chat.ask(actor=request.user, question=question, conversation_id=conversation_id)
    except Invalid as exc:
        message = "; ".join(str(m) for messages in exc.fields.values() for m in messages)
        if is_htmx(request):
            return _error_partial(request, message)
        return _page(request, conversation_id=conversation_id, error=message, question=question)
    return _turn_response(request, turn)


def _error_partial(request: HttpRequest, message: str) -> HttpResponse:
    response = render(request, "knowledge/_ask_error.html", {"error": message}, status=422)
    response["HX-Retarget"] = "#ask-error"
    response["HX-Reswap"] = "innerHTML"
    return response


def _turn_response(request: HttpRequest, turn) -> HttpResponse:
    if not is_htmx(request):
        return redirect(f"{reverse('portal:ask')}?c={turn.conversation_id}#turn-{turn.pk}")
    view = selectors.turn_views([turn])[0]
    return render(
        request,
        "knowledge/_turn_response.html",
        {"view": view, "conversation_id": turn.conversation_id},
    )


@login_required
@require_POST
def pick(request: HttpRequest, turn_id: int, entry_id: int) -> HttpResponse:
    turn = chat.pick_suggestion(actor=request.user, turn_id=turn_id, entry_id=entry_id)
    return _turn_response(request, turn)


@login_required
@require_POST
def rate(request: HttpRequest, turn_id: int) -> HttpResponse:
    helpful = request.POST.get("helpful")
    if helpful not in ("1", "0"):
        raise Invalid(fields={"helpful": ["helpful = 1 | 0"]})
    turn = chat.rate(actor=request.user, turn_id=turn_id, helpful=helpful == "1")
    if not is_htmx(request):
        return redirect(f"{reverse('portal:ask')}?c={turn.conversation_id}#turn-{turn.pk}")
    return render(request, "knowledge/_rating.html", {"turn": turn})


@login_required
@require_POST
def hand_over(request: HttpRequest, conversation_id: int) -> HttpResponse:
    try:
        created = chat.hand_over(
            actor=request.user, conversation_id=conversation_id, note=request.POST.get("note", "")
        )
    except Invalid as exc:
        message = "; ".join(str(m) for messages in exc.fields.values() for m in messages)
        if is_htmx(request):
            return _error_partial(request, message)
        return _page(request, conversation_id=conversation_id, error=message)
    if not is_htmx(request):
        return redirect("portal:request_detail", request_id=created.pk)
    return render(request, "knowledge/_handover_done.html", {"handover": created})
