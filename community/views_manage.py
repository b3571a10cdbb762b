"""Editors' and moderators' pages under /community/manage/: the review queue, the article editor
and the sensitive-word list.

Thin like the portal pages: check the permission, call one selector or service, render. A refused
action re-renders the page with the message (422; 409 when another moderator decided first) and
what was typed; nothing is saved on any error. With htmx a queue action swaps only its item;
every form also works without JavaScript.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlencode

import openpyxl
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import selectors
from community.errors import BlockedWords
from community.forms import AllowedForm, ArticleForm, ImportForm, TryForm, WordForm
from community.models import Article, SensitiveWord, WordListRevision
from community.services import articles, forum, wordlist
from community.views_portal import _base, _int, _messages
from flexserve import policy
from flexserve.errors import AppError, FieldInvalid, Forbidden, Invalid
from flexserve.policy import Perm
from flexserve.web import filter_query, is_htmx, scope_errors_pass
from imports.errors import FileTooLarge

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refusal(exc: AppError) -> tuple[list[str], int]:
    """The messages and status of a refused action; out of scope or role stays a 404/403 page."""
    scope_errors_pass(exc)
    if isinstance(exc, Forbidden):
        raise exc
    if isinstance(exc, Invalid):
        return _messages(exc), 422
    return [exc.render_message()], exc.status


def _marked(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """``text`` escaped, with each span wrapped in <mark> (the words that held the post)."""
    parts, last = [], 0
    for start, end in spans:
        parts += [escape(text[last:start]), format_html("<mark>{}</mark>", text[start:end])]
        last = end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # every piece is escaped above


# --- Review queue ------------------------------------------------------------------------------


def _require_moderator(request: HttpRequest) -> None:
    policy.require(request.user, Perm.COMMUNITY_READ)
    if not selectors.moderates_any(request.user):
        raise Forbidden()


def _review_page(
    request: HttpRequest,
    *,
    errors: list[str] | None = None,
    failed_post: int | None = None,
    failed_article: int | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    page = selectors.moderation_page(user, page=request.GET.get("page"))
    for post in page:
        post.body_html = _marked(post.body, post.body_spans)
        post.title_html = _marked(post.thread.title, post.title_spans)
    context = _base(request, "moderation")
    pending = (
        selectors.editor_articles(user, status=Article.Status.PENDING)
        if context["can_publish"]
        else Article.objects.none()
    )
    context |= {
        "page": page,
        "pending_articles": pending,
        "errors": errors or [],
        "failed_post": failed_post,
        "failed_article": failed_article,
        "values": values or {},
        "now": timezone.now(),
    }
    return render(request, "community/manage/review.html", context, status=status)


def _review_refused(
    request: HttpRequest, exc: AppError, *, values: dict[str, str], **failed: int
) -> HttpResponse:
    errors, status = _refusal(exc)
    if is_htmx(request):
        # The item's message slot is the form's target; the typed text stays in the form.
        return render(request, "community/_errors.html", {"errors": errors}, status=status)
    return _review_page(request, errors=errors, values=values, status=status, **failed)


def _review_done(request: HttpRequest, item: str, notice: str) -> HttpResponse:
    if is_htmx(request):
        response = render(request, "community/manage/_review_done.html", {"notice": notice})
        response["HX-Retarget"] = f"#{item}"
        response["HX-Reswap"] = "outerHTML"
        return response
    messages.success(request, notice)
    return redirect("community:moderation")


@login_required
@require_GET
def moderation(request: HttpRequest) -> HttpResponse:
    """Posts waiting or hidden in the categories the user moderates, and (for editors) the
    experience articles shops submitted."""
    _require_moderator(request)
    return _review_page(request)


@login_required
@require_POST
def moderation_post(request: HttpRequest, post_id: int) -> HttpResponse:
    """Approve or reject (with a reason the author is told) one post of the queue."""
    _require_moderator(request)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    try:
        if action == "approve":
            forum.moderate_approve(actor=request.user, post_id=post_id)
            notice = _("Approved: the post is published.")
        elif action == "reject":
            forum.moderate_reject(actor=request.user, post_id=post_id, reason=reason)
            notice = _("Rejected: the author is told why.")
        else:
            raise FieldInvalid("action", _("Choose approve or reject."))
    except AppError as exc:
        return _review_refused(request, exc, values={"reason": reason}, failed_post=post_id)
    return _review_done(request, f"queue-post-{post_id}", notice)


@login_required
@require_POST
def moderation_suspend(request: HttpRequest, post_id: int) -> HttpResponse:
    """Suspend the author of a queued post from posting for some days (with a reason)."""
    _require_moderator(request)
    post = selectors.queued_post(request.user, post_id)
    days, reason = request.POST.get("days", ""), request.POST.get("reason", "")
    try:
        member = forum.member_suspend(
            actor=request.user, user_id=post.author_id, days=_int(days), reason=reason
        )
    except AppError as exc:
        values = {"days": days, "suspend_reason": reason}
        return _review_refused(request, exc, values=values, failed_post=post_id)
    until = timezone.localtime(member.suspended_until).strftime("%Y-%m-%d %H:%M")
    notice = _("%(nickname)s cannot post until %(until)s.") % {
        "nickname": member.nickname,
        "until": until,
    }
    if is_htmx(request):
        return render(request, "community/manage/_review_done.html", {"notice": notice})
    messages.success(request, notice)
    return redirect("community:moderation")


@login_required
@require_POST
def moderation_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """Approve or reject (with a reason) an experience article a shop submitted."""
    _require_moderator(request)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    try:
        if action == "approve":
            articles.experience_approve(actor=request.user, article_id=article_id)
            notice = _("Approved: the article is published.")
        elif action == "reject":
            articles.experience_reject(actor=request.user, article_id=article_id, reason=reason)
            notice = _("Rejected: the author is told why.")
        else:
            raise FieldInvalid("action", _("Choose approve or reject."))
    except AppError as exc:
        return _review_refused(request, exc, values={"reason": reason}, failed_article=article_id)
    return _review_done(request, f"queue-article-{article_id}", notice)


# --- Article editor ----------------------------------------------------------------------------


@login_required
@require_GET
def editor(request: HttpRequest) -> HttpResponse:
    """Every article (drafts, scheduled, live, pending, archived), filtered by status."""
    policy.require(request.user, Perm.COMMUNITY_PUBLISH)
    status = request.GET.get("status", "")
    status = status if status in Article.Status.values else ""
    context = _base(request, "editor") | {
        "page": selectors.editor_article_page(
            request.user, status=status, page=request.GET.get("page")
        ),
        "statuses": Article.Status.choices,
        "status": status,
        "query": filter_query(request.GET),
        "now": timezone.now(),
    }
    return render(request, "community/manage/editor.html", context)


def _article_form(request: HttpRequest, article: Article | None) -> HttpResponse:
    policy.require(request.user, Perm.COMMUNITY_PUBLISH)
    context = _base(request, "editor") | {"article": article, "now": timezone.now()}
    if article is not None and article.author_shop_id is not None:
        # A shop's own words are reviewed, not rewritten (articles.article_save refuses).
        return render(request, "community/manage/article_form.html", context)
    if request.method == "POST":
        form = ArticleForm(request.POST, article=article)
        if form.is_valid():
            try:
                saved = articles.article_save(
                    actor=request.user,
                    article_id=article.pk if article else None,
                    **form.service_arguments(),
                )
            except AppError as exc:
                _refusal(exc)
                form.add_app_error(exc)
            else:
                messages.success(request, _saved_notice(saved))
                return redirect("community:editor")
        context["form"] = form
        return render(request, "community/manage/article_form.html", context, status=422)
    context["form"] = ArticleForm(article=article)
    return render(request, "community/manage/article_form.html", context)


def _saved_notice(article: Article) -> str:
    if article.status != Article.Status.PUBLISHED:
        return _("Saved “%(title)s” as a draft.") % {"title": article.title}
    if article.publish_at > timezone.now():
        when = timezone.localtime(article.publish_at).strftime("%Y-%m-%d %H:%M")
        return _("“%(title)s” is scheduled for %(when)s.") % {"title": article.title, "when": when}
    return _("“%(title)s” is published.") % {"title": article.title}


@login_required
@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponse:
    return _article_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    policy.require(request.user, Perm.COMMUNITY_PUBLISH)
    return _article_form(request, selectors.article_detail(request.user, article_id))


@login_required
@require_POST
def article_archive(request: HttpRequest, article_id: int) -> HttpResponse:
    """Take an article off the site (it stays in the editor's list, archived)."""
    archived = articles.article_archive(actor=request.user, article_id=article_id)
    messages.success(request, _("“%(title)s” is archived.") % {"title": archived.title})
    return redirect("community:editor")


@login_required
@require_http_methods(["GET", "POST"])
def article_images(request: HttpRequest) -> HttpResponse:
    """Upload a checked picture; the page gives the tag to paste into an article's text."""
    policy.require(request.user, Perm.COMMUNITY_PUBLISH)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            image = articles.image_upload(actor=request.user, upload=request.FILES.get("image"))
        except Invalid as exc:
            errors, status = _messages(exc), 422
        else:
            messages.success(request, _("Uploaded. Paste its tag into the article's text."))
            return redirect(f"{reverse('community:article_images')}#image-{image.pk}")
    context = _base(request, "editor") | {
        "images": selectors.article_images(request.user),
        "errors": errors,
    }
    return render(request, "community/manage/images.html", context, status=status)


# --- Sensitive words ---------------------------------------------------------------------------

# The import reads these column and sheet names (community.services.wordlist): they are the
# file format, like the two sample rows, not page text.
TEMPLATE_COLUMNS = ("词", "处理方式", "备注")
TEMPLATE_ROWS = (("代购", "审核", "示例：可能涉及非法代购"), ("假烟", "屏蔽", "示例：可删除本行"))
TEMPLATE_ALLOW_SHEET = "允许词"
TEMPLATE_ALLOW_ROWS = (("代购须知",),)
# How the action is written in the file (any of the service's names works; these are shown).
IMPORT_ACTION_WORDS = (
    ("屏蔽", SensitiveWord.Action.BLOCK),
    ("审核", SensitiveWord.Action.REVIEW),
    ("打码", SensitiveWord.Action.MASK),
    ("标记", SensitiveWord.Action.FLAG),
)

_ROW_KEY = re.compile(r"^(?:(?P<sheet>.+?) )?row (?P<row>\d+)(?: / (?P<column>\w+))?$")


def _change_lines(revision: WordListRevision) -> list[tuple[str, str]]:
    labels = {
        "added": _("Added"),
        "changed": _("Changed"),
        "removed": _("Removed"),
        "allowed_added": _("Allowed phrases added"),
        "allowed_removed": _("Allowed phrases removed"),
    }
    lines = []
    for key, words in (revision.changes or {}).items():
        if not words:
            continue
        shown = "、".join(words[:10])
        if len(words) > 10:
            shown += " " + _("and %(n)d more") % {"n": len(words) - 10}
        lines.append((labels.get(key, key), shown))
    return lines


def _import_problems(exc: Invalid) -> list[dict[str, str]]:
    """Every row error of an import (``row 3 / action`` → row 3, column “Action”)."""
    columns = {"word": _("Word"), "action": _("Action")}
    problems = []
    for key, found in exc.fields.items():
        match = _ROW_KEY.match(key)
        where = {"sheet": "", "row": "", "column": ""}
        if match:
            where = {
                "sheet": match["sheet"] or "",
                "row": match["row"],
                "column": columns.get(match["column"] or "", match["column"] or ""),
            }
        problems += [where | {"message": str(message)} for message in found]
    return problems


def _words_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    query = request.GET.get("q", "").strip()[:40]
    editing = SensitiveWord.objects.none()
    if "word_form" not in extra and _int(request.GET.get("edit")):
        editing = selectors.word_list(user).filter(pk=_int(request.GET.get("edit")))
    chosen = editing.first()
    revisions = list(selectors.word_list_revisions(user))
    for revision in revisions:
        revision.lines = _change_lines(revision)
    context = _base(request, "words") | {
        "q": query,
        "query": filter_query(request.GET, drop=("page", "edit")),
        "page": selectors.word_page(user, query=query, page=request.GET.get("page")),
        "allowed": selectors.allowed_phrases(user),
        "revisions": revisions,
        "word_form": WordForm(
            initial={"word": chosen.word, "action": chosen.action, "note": chosen.note}
            if chosen
            else {}
        ),
        "allowed_form": AllowedForm(),
        "import_form": ImportForm(),
        "import_problems": [],
        "import_columns": TEMPLATE_COLUMNS,
        "import_allow_sheet": TEMPLATE_ALLOW_SHEET,
        "import_actions": [(written, action.label) for written, action in IMPORT_ACTION_WORDS],
        "try_form": TryForm(),
        "tried": None,
    }
    context |= extra
    return render(request, "community/manage/words.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def words(request: HttpRequest) -> HttpResponse:
    """The list (searchable, 50 a page), the allow-list, the last revisions; POST adds a word
    or changes the action of one already listed."""
    policy.require(request.user, Perm.WORDLIST_EDIT)
    if request.method != "POST":
        return _words_page(request)
    form = WordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = wordlist.word_save(
                actor=request.user, word=data["word"], action=data["action"], note=data["note"]
            )
        except AppError as exc:
            _refusal(exc)
            form.add_app_error(exc)
        else:
            notice = _("Saved “%(word)s”: %(action)s.")
            messages.success(
                request, notice % {"word": saved.word, "action": saved.get_action_display()}
            )
            return redirect(reverse("community:words") + "?" + urlencode({"q": saved.word}))
    return _words_page(request, word_form=form, status=422)


@login_required
@require_POST
def words_remove(request: HttpRequest, word_id: int) -> HttpResponse:
    wordlist.word_remove(actor=request.user, word_id=word_id)
    messages.success(request, _("The word is removed from the list."))
    return redirect("community:words")


@login_required
@require_POST
def words_allowed(request: HttpRequest) -> HttpResponse:
    """Add an allowed phrase (允许词)."""
    policy.require(request.user, Perm.WORDLIST_EDIT)
    form = AllowedForm(request.POST)
    if form.is_valid():
        try:
            saved = wordlist.allowed_save(
                actor=request.user,
                phrase=form.cleaned_data["phrase"],
                note=form.cleaned_data["note"],
            )
        except AppError as exc:
            _refusal(exc)
            form.add_app_error(exc)
        else:
            messages.success(request, _("Allowed: “%(phrase)s”.") % {"phrase": saved.phrase})
            return redirect(reverse("community:words") + "#allowed")
    return _words_page(request, allowed_form=form, status=422)


@login_required
@require_POST
def words_allowed_remove(request: HttpRequest, phrase_id: int) -> HttpResponse:
    wordlist.allowed_remove(actor=request.user, phrase_id=phrase_id)
    messages.success(request, _("The allowed phrase is removed."))
    return redirect(reverse("community:words") + "#allowed")


@login_required
@require_POST
def words_import(request: HttpRequest) -> HttpResponse:
    """Words from a spreadsheet: every row is checked first; with any problem nothing is saved
    and every problem is listed."""
    policy.require(request.user, Perm.WORDLIST_EDIT)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.IMPORT_MAX_BYTES:
                raise FileTooLarge(limit_mb=settings.IMPORT_MAX_BYTES // (1024 * 1024))
            revision = wordlist.import_xlsx(actor=request.user, file=upload)
        except Invalid as exc:
            problems = _import_problems(exc)
            if not any(p["row"] for p in problems):
                form.add_app_error(exc)
                problems = []
            return _words_page(request, import_form=form, import_problems=problems, status=422)
        except AppError as exc:
            _refusal(exc)
            form.add_app_error(exc)
        else:
            messages.success(request, _import_notice(revision))
            return redirect("community:words")
    return _words_page(request, import_form=form, status=422)


def _import_notice(revision: WordListRevision | None) -> str:
    if revision is None:
        return _("Imported: the list already had every row; nothing changed.")
    changes = revision.changes
    return _(
        "Imported: %(added)d words added, %(changed)d changed, %(allowed)d allowed phrases added."
    ) % {
        "added": len(changes.get("added", [])),
        "changed": len(changes.get("changed", [])),
        "allowed": len(changes.get("allowed_added", [])),
    }


@login_required
@require_GET
def words_template(request: HttpRequest) -> HttpResponse:
    """An import file to fill in: the word sheet with two sample rows, and the allow sheet."""
    policy.require(request.user, Perm.WORDLIST_EDIT)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "敏感词"
    sheet.append(TEMPLATE_COLUMNS)
    for row in TEMPLATE_ROWS:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["C"].width = 40
    allow = book.create_sheet(TEMPLATE_ALLOW_SHEET)
    allow.append((TEMPLATE_ALLOW_SHEET,))
    for row in TEMPLATE_ALLOW_ROWS:
        allow.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename="sensitive-words.xlsx", content_type=XLSX_CONTENT_TYPE
    )


@login_required
@require_POST
def words_try(request: HttpRequest) -> HttpResponse:
    """Run a text through the list as a post would be, saving nothing: the blocked words, or
    the text as it would be stored and whether it would wait for review."""
    policy.require(request.user, Perm.WORDLIST_EDIT)
    form = TryForm(request.POST)
    tried: dict[str, Any] | None = None
    if form.is_valid():
        text = form.cleaned_data["text"]
        try:
            checked = wordlist.check(text, field="text")
        except BlockedWords as exc:
            tried = {"blocked": exc.params["words"]}
        else:
            tried = {
                "blocked": "",
                "text": checked.text,
                "masked": checked.text != text,
                "needs_review": checked.needs_review,
                "flag": checked.flag,
                "matched": checked.matched,
            }
    status = 200 if tried is not None else 422
    if is_htmx(request):
        context = {"try_form": form, "tried": tried}
        return render(request, "community/manage/_try.html", context, status=status)
    return _words_page(request, try_form=form, tried=tried, status=status)
