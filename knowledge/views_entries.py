"""Console pages of the knowledge base: the entry list, one entry with its editor and version
history, the try box, and XLSX export and import.

Thin: check the permission, parse the input (``knowledge.forms``), call a selector, a service or
``knowledge.importers``, render. Every staff member reads (KNOWLEDGE_VIEW); service managers and
administrators write (KNOWLEDGE_EDIT). A refused form answers 422 (409 for a stale version) and
changes nothing.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.importers import RowError
from flexserve import policy
from flexserve.errors import AppError, Invalid
from flexserve.policy import Perm
from flexserve.web import filter_query, is_htmx, scope_errors_pass
from imports import exporters, readers
from imports.errors import EmptyFile, FileTooLarge, UnsupportedFileType
from knowledge import importers, index, selectors
from knowledge.errors import EntryChanged
from knowledge.forms import EntryForm, ImportForm, TryForm
from knowledge.models import Category, Entry, Turn
from knowledge.services import entries as services

ENTRIES_PER_PAGE = 30
TRY_HITS = 5


def _reader(request: HttpRequest) -> None:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.KNOWLEDGE_VIEW)


def _editor(request: HttpRequest) -> None:
    _reader(request)
    policy.require(request.user, Perm.KNOWLEDGE_EDIT)


def index_status() -> dict[str, Any]:
    """The search index as the list page reports it: which engine answers, over how many."""
    state = index.mode()
    labels = {"lexical": _("lexical"), "lexical+dense": _("lexical + semantic")}
    percent = round(100 * state["dense_done"] / state["dense_total"]) if state["dense_total"] else 0
    return state | {"label": labels.get(state["mode"], state["mode"]), "percent": percent}


# --- list ---------------------------------------------------------------------------------------


@login_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    """Entries filtered and paginated, with counts per category; htmx gets only the results."""
    _reader(request)
    filters = selectors.EntryFilters.from_mapping(request.GET)
    entries = selectors.entry_list(user=request.user, filters=filters)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query = filter_query(request.GET)
    context: dict[str, Any] = {
        "page": page,
        "query": query,
        "filters": filters,
        "today": timezone.localdate(),
        "can_edit": policy.has_perm(request.user, Perm.KNOWLEDGE_EDIT),
        "category_counts": selectors.entry_category_counts(user=request.user, filters=filters),
        "category_query": filter_query(request.GET, drop=("page", "category")),
    }
    if is_htmx(request):
        response = render(request, "knowledge/_entry_results.html", context)
        pushed = "&".join(filter(None, [query, f"page={page.number}" if page.number > 1 else ""]))
        response["HX-Push-Url"] = f"{request.path}?{pushed}" if pushed else request.path
    else:
        context |= {
            "categories": Category.choices,
            "statuses": Entry.Status.choices,
            "tags": selectors.tag_list(user=request.user),
            "validities": [
                ("now", _("Valid now")),
                ("expired", _("Expired")),
                ("future", _("Not yet valid")),
            ],
            "index": index_status(),
            "try_form": TryForm(),
            "import_form": ImportForm(),
        }
        response = render(request, "knowledge/entries_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- one entry ----------------------------------------------------------------------------------


def _owners(request: HttpRequest) -> list:
    return list(selectors.owner_choices(user=request.user))


def _detail_context(
    request: HttpRequest, entry: Entry, form: EntryForm | None = None, **extra: Any
) -> dict[str, Any]:
    can_edit = policy.has_perm(request.user, Perm.KNOWLEDGE_EDIT)
    if can_edit and form is None:
        form = EntryForm(initial=EntryForm.initial_for(entry), owners=_owners(request), entry=entry)
    return {
        "entry": entry,
        "form": form,
        "can_edit": can_edit,
        "today": timezone.localdate(),
        "history": selectors.entry_history(user=request.user, entry=entry),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def entry_new(request: HttpRequest) -> HttpResponse:
    """A blank editor; the post creates the entry at version 1."""
    _editor(request)
    owners = _owners(request)
    if request.method == "GET":
        form = EntryForm(
            initial={"status": Entry.Status.PUBLISHED, "owner_id": request.user.pk},
            owners=owners,
        )
        return render(request, "knowledge/entry_new.html", {"form": form})
    form = EntryForm(request.POST, owners=owners)
    if form.is_valid():
        try:
            entry = services.entry_create(
                actor=request.user,
                data=form.entry_data(),
                code=form.cleaned_data["code"] or "",
                owner=_owner_of(owners, form.cleaned_data["owner_id"]),
                note=form.cleaned_data["note"],
            )
        except Invalid as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Entry %(code)s created as version 1.") % {"code": entry.code}
            )
            return redirect("console:knowledge_entry", entry_id=entry.pk)
    return render(request, "knowledge/entry_new.html", {"form": form}, status=422)


def _owner_of(owners: list, owner_id: int | None):
    return next((user for user in owners if user.pk == owner_id), None)


@login_required
@require_http_methods(["GET", "POST"])
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    """The entry, its editor (for editors) and its version history; the post saves a version."""
    _reader(request)
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    if request.method == "GET":
        return render(request, "knowledge/entry_detail.html", _detail_context(request, entry))
    policy.require(request.user, Perm.KNOWLEDGE_EDIT)
    owners = _owners(request)
    form = EntryForm(request.POST, owners=owners, entry=entry)
    status, conflict = 422, None
    if form.is_valid():
        before = entry.version
        try:
            entry = services.entry_update(
                actor=request.user,
                entry_id=entry.pk,
                data=form.entry_data(),
                expected_version=form.cleaned_data["expected_version"],
                owner=_owner_of(owners, form.cleaned_data["owner_id"]),
                note=form.cleaned_data["note"],
            )
        except EntryChanged as exc:
            status, conflict = exc.status, exc
            entry = selectors.entry_get(user=request.user, entry_id=entry_id)
        except AppError as exc:
            scope_errors_pass(exc)
            form.add_app_error(exc)
        else:
            if entry.version == before:
                messages.info(request, _("Nothing changed, so no new version was saved."))
            else:
                messages.success(
                    request, _("Saved as version %(version)s.") % {"version": entry.version}
                )
            return redirect("console:knowledge_entry", entry_id=entry.pk)
    context = _detail_context(request, entry, form=form, conflict=conflict)
    return render(request, "knowledge/entry_detail.html", context, status=status)


@login_required
@require_POST
def entry_restore(request: HttpRequest, entry_id: int, version: int) -> HttpResponse:
    """Bring back an earlier version's content as a new version."""
    _editor(request)
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    before = entry.version
    try:
        entry = services.entry_restore(actor=request.user, entry_id=entry.pk, version=version)
    except Invalid as exc:
        scope_errors_pass(exc)
        context = _detail_context(request, entry, restore_error=exc)
        return render(request, "knowledge/entry_detail.html", context, status=exc.status)
    if entry.version == before:
        messages.info(
            request,
            _("Version %(version)s has the content of the current one; nothing was saved.")
            % {"version": version},
        )
    else:
        messages.success(
            request,
            _("Version %(old)s restored as version %(new)s.")
            % {"old": version, "new": entry.version},
        )
    return redirect("console:knowledge_entry", entry_id=entry.pk)


# --- try a question -----------------------------------------------------------------------------


@login_required
@require_GET
def entry_try(request: HttpRequest) -> HttpResponse:
    """What the self-service chat would do with a question; nothing is logged."""
    _reader(request)
    form = TryForm(request.GET)
    context: dict[str, Any] = {"try_form": form}
    if form.is_valid():
        answer = index.search(form.cleaned_data["q"], k=TRY_HITS)
        found = selectors.entries_by_pk(
            user=request.user, pks=[int(hit.entry_id) for hit in answer.hits]
        )
        context |= {
            "answer": answer,
            "decision_label": Turn.Decision(answer.decision).label,
            "confidence_percent": round(answer.confidence * 100),
            "hits": [
                {"hit": hit, "entry": found[int(hit.entry_id)]}
                for hit in answer.hits
                if int(hit.entry_id) in found
            ],
            "index": index_status(),
        }
    # A refused question answers 422; the list page's htmx config swaps it into the box.
    status = 200 if form.is_valid() else 422
    if is_htmx(request):
        return render(request, "knowledge/_entry_try.html", context, status=status)
    return render(request, "knowledge/entries_try.html", context, status=status)


# --- export and import --------------------------------------------------------------------------


@login_required
@require_GET
def entry_export(request: HttpRequest) -> HttpResponse:
    """The entries of the list (same filters) as an XLSX file that re-imports unchanged."""
    _reader(request)
    language = translation.get_language() or settings.LANGUAGE_CODE
    filters = selectors.EntryFilters.from_mapping(request.GET)
    entries = selectors.entry_list(user=request.user, filters=filters)
    rows = (importers.export_values(entry, language) for entry in entries.iterator(2000))
    return FileResponse(
        exporters.xlsx_file(importers.export_headers(language), rows, title="knowledge"),
        as_attachment=True,
        filename=f"knowledge-{timezone.localdate():%Y%m%d}.xlsx",
        content_type=exporters.XLSX_CONTENT_TYPE,
    )


def _unreadable(exc: readers.UnreadableFile) -> str:
    texts = {
        "encoding": _("The file's text could not be read: save it as CSV UTF-8 or as XLSX."),
        "format": _("The file is not a readable CSV or XLSX table."),
        "no_header": _("The file has no header row."),
        "extension": _("Upload a .csv or .xlsx file."),
    }
    return texts.get(exc.reason, texts["format"])


def _import_rows(upload: Any) -> tuple[list[importers.EntryRow], list[RowError]]:
    """The checked rows of an uploaded file; AppError for a file that cannot be read at all."""
    name = upload.name or ""
    if not name.lower().endswith(readers.EXTENSIONS):
        raise UnsupportedFileType()
    if not upload.size:
        raise EmptyFile()
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise FileTooLarge(limit_mb=settings.IMPORT_MAX_BYTES // (1024 * 1024))
    try:
        return importers.entries_check(readers.open_table(upload, name))
    except readers.UnreadableFile as exc:
        raise Invalid(fields={"file": [_unreadable(exc)]}) from None


@login_required
@require_http_methods(["GET", "POST"])
def entry_import(request: HttpRequest) -> HttpResponse:
    """Upload a file: every row is checked, then all are written or, on any error, none."""
    _editor(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"import_form": form, "columns": importers.ENTRY_COLUMNS}
    if request.method == "GET":
        return render(request, "knowledge/entries_import.html", context)
    status = 422
    if form.is_valid():
        try:
            rows, errors = _import_rows(form.cleaned_data["file"])
            if not errors:
                counts = importers.entries_write(request.user, rows)
        except EntryChanged as exc:
            errors, status = [RowError(None, "", exc.render_message())], exc.status
        except AppError as exc:
            status = exc.status
            form.add_error("file", exc.fields.get("file") or exc.render_message())
            errors = []
        else:
            if not errors:
                messages.success(
                    request,
                    _(
                        "Import done: %(created)s created, %(updated)s updated, "
                        "%(unchanged)s unchanged."
                    )
                    % counts,
                )
                return redirect("console:knowledge")
        context["row_errors"] = errors
    return render(request, "knowledge/entries_import.html", context, status=status)
