"""Community pages for readers and posters (shop owners and staff alike).

Thin: check the permission, call one selector or service, render. Form errors re-render the
page with the message (422) and the text the user typed; nothing is saved on any error.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from community import selectors
from community.models import Flag, Topic, Visibility
from community.services import articles, forum, preferences, recommendations
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from flexserve.web import is_htmx


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _messages(exc: Invalid) -> list[str]:
    found = [str(m) for messages in exc.fields.values() for m in messages]
    return [exc.render_message(), *found] if exc.code != "invalid" or not found else found


def _base(request: HttpRequest, section: str) -> dict[str, Any]:
    user = request.user
    return {
        "section": section,
        "can_post": forum.can_post(user),
        "can_moderate": selectors.moderates_any(user),
        "can_publish": policy.has_perm(user, Perm.COMMUNITY_PUBLISH),
        "can_edit_words": policy.has_perm(user, Perm.WORDLIST_EDIT),
        "forum_unread": selectors.unread_total(user),
    }


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Articles by topic, with the forum's hot topics beside them."""
    policy.require(request.user, Perm.COMMUNITY_READ)
    topic = request.GET.get("topic", "")
    suggested, personalised = recommendations.recommended(request.user)
    context = _base(request, "articles") | {
        "suggested": suggested,
        "personalised": personalised,
        "topics": Topic.choices,
        "topic": topic if topic in Topic.values else "",
        "page": selectors.article_list(request.user, topic=topic, page=request.GET.get("page")),
        "hot": selectors.hot_threads(request.user, limit=8),
    }
    return render(request, "community/home.html", context)


@login_required
@require_GET
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    policy.require(request.user, Perm.COMMUNITY_READ)
    item = selectors.article_detail(request.user, article_id)
    if item.status == item.Status.PUBLISHED:
        articles.record_read(actor=request.user, article=item)
    context = _base(request, "articles") | {"article": item}
    return render(request, "community/article.html", context)


@login_required
@require_safe
def article_image(request: HttpRequest, image_id: int) -> HttpResponse:
    """An article picture, to readers only (like the articles: behind log-in)."""
    image = selectors.article_image(request.user, image_id)
    response = FileResponse(image.file.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def share_experience(request: HttpRequest) -> HttpResponse:
    """A shop owner shares an experience article; it is published after review."""
    policy.require(request.user, Perm.COMMUNITY_POST)
    context = _base(request, "articles") | {"errors": [], "values": {}}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("title", "summary", "body")}
        body = "".join(f"<p>{line}</p>" for line in _escaped_lines(values["body"]))
        try:
            articles.experience_submit(
                actor=request.user, title=values["title"], summary=values["summary"], body=body
            )
        except Invalid as exc:
            context |= {"errors": _messages(exc), "values": values}
            return render(request, "community/share.html", context, status=422)
        return redirect(f"{reverse('community:mine')}?shared=1")
    return render(request, "community/share.html", context)


def _escaped_lines(text: str) -> list[str]:
    from django.utils.html import escape

    return [escape(line.strip()) for line in (text or "").splitlines() if line.strip()]


@login_required
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    """My articles and posts with their review state, and my nickname."""
    policy.require(request.user, Perm.COMMUNITY_READ)
    context = _base(request, "mine") | {
        "articles": selectors.my_articles(request.user),
        "threads": selectors.my_unpublished_threads(request.user),
        "posts": selectors.my_posts(request.user),
        "member": forum.member_for(request.user) if forum.can_post(request.user) else None,
        "shared": request.GET.get("shared") == "1",
        "errors": [],
        "preference": preferences.preference_of(request.user),
        "topics": Topic.choices,
    }
    if request.method == "POST":
        try:
            context["member"] = forum.nickname_set(
                actor=request.user, nickname=request.POST.get("nickname", "")
            )
        except Invalid as exc:
            context["errors"] = _messages(exc)
            return render(request, "community/mine.html", context, status=422)
        return redirect("community:mine")
    return render(request, "community/mine.html", context)


@login_required
@require_POST
def preference(request: HttpRequest) -> HttpResponse:
    """Recommendation settings: chosen topics and the personalisation switch."""
    preferences.preference_set(
        actor=request.user,
        personalised=request.POST.get("personalised") == "1",
        topics=request.POST.getlist("topics"),
    )
    return redirect(f"{reverse('community:mine')}#preferences")


@login_required
@require_GET
def forum_home(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Perm.COMMUNITY_READ)
    period = request.GET.get("top", "week")
    period = period if period in selectors.TOP_PERIODS else "week"
    context = _base(request, "forum") | {
        "categories": selectors.categories(request.user),
        "followed": selectors.followed_threads(request.user),
        "period": period,
        "periods": [("day", _("Today")), ("week", _("This week")), ("month", _("This month"))],
        "top": selectors.top_threads(request.user, period=period),
        "hot": selectors.hot_threads(request.user, limit=10),
        "mine_pending": selectors.my_unpublished_threads(request.user),
    }
    return render(request, "community/forum.html", context)


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Perm.COMMUNITY_READ)
    query = request.GET.get("q", "").strip()
    context = _base(request, "forum") | {
        "q": query,
        "results": selectors.search_threads(request.user, query) if query else [],
    }
    return render(request, "community/search.html", context)


@login_required
@require_GET
def category(request: HttpRequest, category_id: int) -> HttpResponse:
    policy.require(request.user, Perm.COMMUNITY_READ)
    cat = selectors.category_detail(request.user, category_id)
    context = _base(request, "forum") | {
        "category": cat,
        "watching": selectors.is_watching(request.user, category=cat),
        "page": selectors.thread_list(request.user, category=cat, page=request.GET.get("page")),
        "pinned": selectors.pinned_threads(request.user, category=cat),
        "mine_pending": selectors.my_unpublished_threads(request.user, category=cat),
    }
    return render(request, "community/category.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest, category_id: int) -> HttpResponse:
    policy.require(request.user, Perm.COMMUNITY_POST)
    cat = selectors.category_detail(request.user, category_id)
    context = _base(request, "forum") | {"category": cat, "errors": [], "values": {}}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("title", "body")}
        try:
            created = forum.thread_create(
                actor=request.user, category_id=cat.pk, title=values["title"], body=values["body"]
            )
        except Invalid as exc:
            context |= {"errors": _messages(exc), "values": values}
            return render(request, "community/thread_new.html", context, status=422)
        return redirect("community:thread", thread_id=created.pk)
    return render(request, "community/thread_new.html", context)


def _thread_page(request: HttpRequest, thread_id: int, *, errors=(), body="", status=200):
    user = request.user
    item = selectors.thread_detail(user, thread_id)
    posts = selectors.thread_posts(user, item, page=request.GET.get("page"))
    if item.visibility == Visibility.PUBLISHED:
        forum.record_read(actor=user, thread=item)
    context = _base(request, "forum") | {
        "watching": selectors.is_watching(user, thread=item),
        "thread": item,
        "page": posts,
        "errors": list(errors),
        "body": body,
        "quote_id": _int(request.POST.get("quote") or request.GET.get("quote")),
        "flag_reasons": [(v, label) for v, label in Flag.Reason.choices if v != Flag.Reason.WORD],
        "is_author": item.author_id == user.pk,
        "moderates": policy.moderates_category(user, item.category),
        "published": item.visibility == Visibility.PUBLISHED,
    }
    return render(request, "community/thread.html", context, status=status)


@login_required
@require_GET
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The thread; ``?unread=1`` (the link in notifications) jumps to the first unread post."""
    policy.require(request.user, Perm.COMMUNITY_READ)
    if request.GET.get("unread") == "1":
        item = selectors.thread_detail(request.user, thread_id)
        page, post_id = selectors.first_unread(request.user, item)
        anchor = f"#post-{post_id}" if post_id else "#reply"
        return redirect(f"{reverse('community:thread', args=[thread_id])}?page={page}{anchor}")
    return _thread_page(request, thread_id)


@login_required
@require_POST
def watch(request: HttpRequest) -> HttpResponse:
    """Follow or stop following a thread or a category (the form says which)."""
    thread_id = _int(request.POST.get("thread"))
    category_id = _int(request.POST.get("category"))
    forum.watch_set(
        actor=request.user,
        watching=request.POST.get("watching") == "1",
        thread_id=thread_id,
        category_id=category_id,
    )
    if thread_id:
        return redirect("community:thread", thread_id=thread_id)
    if category_id:
        return redirect("community:category", category_id=category_id)
    return redirect("community:forum")


@login_required
@require_POST
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    body = request.POST.get("body", "")
    try:
        post = forum.reply_create(
            actor=request.user,
            thread_id=thread_id,
            body=body,
            quote_id=_int(request.POST.get("quote")),
        )
    except Invalid as exc:
        return _thread_page(request, thread_id, errors=_messages(exc), body=body, status=422)
    return redirect(f"{reverse('community:thread', args=[thread_id])}?page=last#post-{post.pk}")


@login_required
@require_POST
def like(request: HttpRequest, post_id: int) -> HttpResponse:
    liked = forum.like_toggle(actor=request.user, post_id=post_id)
    if is_htmx(request):
        post = selectors.published_post(request.user, post_id)
        post.liked_by_me = liked
        return render(request, "community/_like.html", {"post": post})
    return redirect(request.POST.get("next") or reverse("community:forum"))


@login_required
@require_POST
def useful(request: HttpRequest, post_id: int) -> HttpResponse:
    post = forum.mark_useful(actor=request.user, post_id=post_id)
    return redirect(f"{reverse('community:thread', args=[post.thread_id])}#post-{post.pk}")


@login_required
@require_POST
def flag(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.published_post(request.user, post_id)
    try:
        forum.flag_post(
            actor=request.user,
            post_id=post_id,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except Invalid as exc:
        return _thread_page(request, post.thread_id, errors=_messages(exc), status=422)
    return redirect(f"{reverse('community:thread', args=[post.thread_id])}?flagged=1")
