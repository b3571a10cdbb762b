"""Build the recommender from items, readers and reads; score one reader's candidates.

Everything per item is a numpy vector over the items (sorted by id); everything per reader is
looked up at ``recommend`` time from a few compact tables built once:

- the reads, deduplicated to each reader's first read of an item, as a CSR table
  (reader -> item indices) and the reader x topic read counts;
- cohort popularity: one row per cohort at each of three levels (class x business type x
  market, class x business type, business type), the decayed read weight and the distinct
  readers in the window, per item;
- co-reads: the item x item cosine of co-readers (the second item's reads decayed like
  popularity), counted from each reader's pairs (sum over readers of reads squared; most
  readers read < 30 items) in chunks of readers, into a dense table; pairs with fewer than
  ``min_coreaders`` co-readers in the window dropped. Dense is the right shape for the
  community's hundreds to a few thousand articles: the table keeps 4 bytes per item pair
  (1,000 items: 4 MB) and building it needs about 50 (1,000 items: 50 MB; 3,000: 450 MB), so
  past a few thousand articles the app should pass only the recent ones;
- the audience match per (class, business type) pair, and the non-personalised list.

After ``build`` nothing is written: one Recommender can serve concurrent requests.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engines.recommend.model import (
    AUDIENCE,
    BUSINESS_TYPE_PREFIX,
    COHORT,
    COREAD,
    DEFAULT,
    FRESH,
    INTEREST,
    POPULAR,
    SEGMENT_PREFIX,
    Item,
    Params,
    Read,
    Reader,
    Reason,
    Recommendation,
)

DAY_S = 86_400.0
# Pairs counted per chunk of readers when counting co-reads (bounds the build's scratch memory).
PAIRS_PER_CHUNK = 1_000_000
# Cohort levels, finest first: which reader fields a level keeps (the others are None).
LEVELS = (
    ("segment", "business_type", "market_type"),
    ("segment", "business_type"),
    ("business_type",),
)
# Component order: a tie in contribution goes to the earlier (more specific) one.
COMPONENTS = (COREAD, COHORT, INTEREST, AUDIENCE, POPULAR, FRESH)


# Components that say something about the shop itself (not true of every shop alike).
PERSONAL = frozenset({COREAD, COHORT, INTEREST, AUDIENCE})


class Recommender:
    """Explained recommendations at one moment ``now``; build with ``Recommender.build``."""

    def __init__(self) -> None:  # filled by build(); not meant to be called directly
        self.params: Params = DEFAULT
        self.now = 0.0

    # ------------------------------------------------------------------------------ build

    @classmethod
    def build(
        cls,
        items: Iterable[Item],
        readers: Iterable[Reader],
        reads: Iterable[Read],
        *,
        now: float,
        params: Params = DEFAULT,
    ) -> Recommender:
        """Index everything known at ``now`` (epoch s); reads after ``now`` are ignored.

        Reads of unknown readers or items are dropped (they can be neither explained nor shown).
        Raises ValueError on duplicate item or reader ids.
        """
        self = cls()
        self.params = params
        self.now = float(now)
        self._index_items(sorted(items, key=lambda item: item.id))
        self._index_readers(sorted(readers, key=lambda reader: reader.id))
        readers_of = self._index_reads(*self._read_arrays(reads))
        weight, in_window = self._window_weights(at=self._read_at)
        self._popularity = _scaled(
            np.bincount(self._read_item, weights=weight, minlength=self._n_items)
        )
        self._build_cohorts(readers_of, weight, in_window)
        self._build_coreads(weight, in_window)
        self._build_popular_list()
        for segment, business_type in {(r.segment, r.business_type) for r in self._readers}:
            self._audience(segment, business_type)  # filled now, so that queries only read
        return self

    def _index_items(self, items: list[Item]) -> None:
        ids = np.array([item.id for item in items], dtype=np.int64)
        if len(ids) > 1 and (np.diff(ids) == 0).any():
            raise ValueError("duplicate item ids")
        self._item_ids = ids
        self._n_items = len(ids)
        published = np.array([item.published_at for item in items], dtype=np.float64)
        self._live = published <= self.now
        age_days = np.maximum(self.now - published, 0.0) / DAY_S
        self._fresh = np.where(self._live, np.exp(-age_days / self.params.fresh_days), 0.0)
        self._topics = sorted({item.topic for item in items})
        topic_index = {topic: t for t, topic in enumerate(self._topics)}
        self._item_topic = np.array([topic_index[item.topic] for item in items], dtype=np.int64)
        # tag -> items carrying it, for the audience match of the segment / business type tags
        self._tagged: dict[str, np.ndarray] = {}
        for i, item in enumerate(items):
            for tag in item.tags:
                if tag.startswith((SEGMENT_PREFIX, BUSINESS_TYPE_PREFIX)):
                    self._tagged.setdefault(tag, np.zeros(self._n_items, dtype=bool))[i] = True
        self._targets_segment = np.zeros(self._n_items, dtype=bool)
        self._targets_business_type = np.zeros(self._n_items, dtype=bool)
        for tag, mask in self._tagged.items():
            if tag.startswith(SEGMENT_PREFIX):
                self._targets_segment |= mask
            else:
                self._targets_business_type |= mask
        self._audience_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _index_readers(self, readers: list[Reader]) -> None:
        ids = np.array([reader.id for reader in readers], dtype=np.int64)
        if len(ids) > 1 and (np.diff(ids) == 0).any():
            raise ValueError("duplicate reader ids")
        self._reader_ids = ids
        self._readers = readers
        self._n_readers = len(ids)

    def _read_arrays(self, reads: Iterable[Read]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(reader index, item index, at) of the reads at or before now, by known ids only."""
        flat = np.fromiter(
            (value for read in reads for value in (read.reader_id, read.item_id, read.at)),
            dtype=np.float64,
        ).reshape(-1, 3)
        reader_id = flat[:, 0].astype(np.int64)
        item_id = flat[:, 1].astype(np.int64)
        at = flat[:, 2]
        reader_index, known_reader = _lookup(self._reader_ids, reader_id)
        item_index, known_item = _lookup(self._item_ids, item_id)
        keep = known_reader & known_item & (at <= self.now)
        return reader_index[keep], item_index[keep], at[keep]

    def _index_reads(
        self, reader_index: np.ndarray, item_index: np.ndarray, at: np.ndarray
    ) -> np.ndarray:
        """Keep each reader's first read of an item; return the reader index of each kept read."""
        # first read per (reader, item): order by pair, then time; keep each pair's first row
        pair = reader_index * max(self._n_items, 1) + item_index
        order = np.lexsort((at, pair))
        pair = pair[order]
        first = np.ones(len(pair), dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        order = order[first]  # sorted by reader, then item
        self._read_item = item_index[order].astype(np.int32)
        self._read_at = at[order]
        counts = np.bincount(reader_index[order], minlength=self._n_readers)
        self._read_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        n_topics = max(len(self._topics), 1)
        readers_of = np.repeat(np.arange(self._n_readers), counts)
        self._topic_reads = np.bincount(
            readers_of * n_topics + self._item_topic[self._read_item],
            minlength=self._n_readers * n_topics,
        ).reshape(self._n_readers, n_topics)
        return readers_of

    def _window_weights(self, *, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each read's popularity weight: 1 in the recent days, then halving, 0 past the window."""
        p = self.params
        age_days = (self.now - at) / DAY_S
        in_window = age_days <= p.window_days
        decay = np.power(0.5, np.maximum(age_days - p.recent_days, 0.0) / p.half_life_days)
        return np.where(in_window, decay, 0.0), in_window

    def _build_cohorts(self, readers_of: np.ndarray, weight: np.ndarray, in_window) -> None:
        """Cohort rows at each level, and each reader's row (the finest level large enough)."""
        p = self.params
        fields_of = {
            name: _codes([getattr(reader, name) for reader in self._readers])
            for name in ("segment", "business_type", "market_type")
        }
        rows_score, rows_shops, row_keys = [], [], []
        self._reader_row = np.full(self._n_readers, -1, dtype=np.int64)
        offset = 0
        for level in LEVELS if self._n_readers and self._n_items else ():
            key = np.zeros(self._n_readers, dtype=np.int64)
            for name in level:
                codes, values = fields_of[name]
                key = key * max(len(values), 1) + codes
            keys, cohort = np.unique(key, return_inverse=True)
            size = np.bincount(cohort, minlength=len(keys))
            unset = self._reader_row < 0
            usable = (size[cohort] >= p.min_cohort_readers) | (level == LEVELS[-1])
            self._reader_row[unset & usable] = offset + cohort[unset & usable]
            flat = cohort[readers_of] * self._n_items + self._read_item
            cells = len(keys) * self._n_items
            score = np.bincount(flat, weights=weight, minlength=cells).reshape(len(keys), -1)
            shops = np.bincount(flat[in_window], minlength=cells).reshape(len(keys), -1)
            rows_score.append(score / np.maximum(score.max(axis=1, keepdims=True), 1e-12))
            rows_shops.append(shops.astype(np.int32))
            _, first_member = np.unique(cohort, return_index=True)
            for member in first_member:
                reader = self._readers[int(member)]
                row_keys.append({n: getattr(reader, n) if n in level else None for n in LEVELS[0]})
            offset += len(keys)
        width = (0, self._n_items)
        self._cohort_score = np.vstack(rows_score) if rows_score else np.zeros(width)
        self._cohort_shops = np.vstack(rows_shops) if rows_shops else np.zeros(width, np.int32)
        self._cohort_keys = row_keys

    def _build_coreads(self, weight: np.ndarray, in_window: np.ndarray) -> None:
        """Item x item cosine of co-readers, the second item's reads decayed like popularity.

        cos(j, i) = sum over readers of j of w(their read of i) / sqrt(n(j) * sum of w over i's
        reads): "readers of j also read i lately". Old articles, no longer read, fade out of
        co-reads as they do from popularity. A pair counts only when at least ``min_coreaders``
        readers of j read i in the window.
        """
        n = self._n_items
        weighted = np.zeros(n * n)
        coreaders = np.zeros(n * n, dtype=np.int64)
        lengths = np.diff(self._read_ptr)
        pairs = lengths.astype(np.int64) ** 2
        start = 0
        while start < self._n_readers:
            # a chunk of readers holding about PAIRS_PER_CHUNK pairs (at least one reader)
            budget = np.cumsum(pairs[start:])
            stop = start + max(1, int(np.searchsorted(budget, PAIRS_PER_CHUNK, side="right")))
            lo, hi = self._read_ptr[start], self._read_ptr[stop]
            chunk_items = self._read_item[lo:hi].astype(np.int64)
            chunk_lengths = lengths[start:stop]
            repeat = np.repeat(chunk_lengths, chunk_lengths)  # each read, once per partner
            block_start = np.repeat(self._read_ptr[start:stop] - lo, chunk_lengths)
            left = np.repeat(np.arange(hi - lo), repeat)
            right = np.repeat(block_start, repeat) + _ragged_arange(repeat)
            key = chunk_items[left] * n + chunk_items[right]
            right += lo
            weighted += np.bincount(key, weights=weight[right], minlength=n * n)
            coreaders += np.bincount(key[in_window[right]], minlength=n * n)
            start = stop
        readers = np.bincount(self._read_item, minlength=n).astype(np.float64)
        recent = np.bincount(self._read_item, weights=weight, minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = weighted.reshape(n, n) / np.sqrt(np.outer(readers, recent))
        cosine[(coreaders.reshape(n, n) < self.params.min_coreaders) | ~np.isfinite(cosine)] = 0.0
        np.fill_diagonal(cosine, 0.0)
        self._coread = cosine.astype(np.float32)

    def _build_popular_list(self) -> None:
        p = self.params
        fresh = p.fresh_weight * self._fresh
        hot = p.popular_weight * self._popularity
        live = np.flatnonzero(self._live)
        score = (fresh + hot)[live]
        order = live[np.lexsort((self._item_ids[live], -score))]
        self._popular_list = [
            Recommendation(
                item_id=int(self._item_ids[i]),
                score=float(fresh[i] + hot[i]),
                reason=Reason(POPULAR if hot[i] >= fresh[i] else FRESH, {}),
            )
            for i in order
        ]

    # ------------------------------------------------------------------------------ queries

    def popular(self, *, k: int = 10) -> list[Recommendation]:
        """The non-personalised list (fresh + city-wide hot), the same for every reader."""
        return list(self._popular_list[: max(k, 0)])

    def recommend(
        self,
        reader_id: int,
        *,
        k: int = 10,
        personalised: bool = True,
        exclude_read: bool = True,
    ) -> list[Recommendation]:
        """The reader's top ``k`` live items, best first (ties by item id), each with its reason.

        ``personalised=False`` (the shop turned personalisation off) uses nothing about the
        reader, not even what it read: it is ``popular(k=k)``. A reader unknown at build time
        (a shop opened since) gets the same list.
        """
        if k <= 0 or self._n_items == 0:
            return []
        r = self._reader_index(reader_id)
        if not personalised or r is None:
            return self.popular(k=k)
        contributions = self._contributions(r)
        score = np.sum([contributions[kind] for kind in COMPONENTS], axis=0)
        candidate = self._live.copy()
        read = self._read_item[self._read_ptr[r] : self._read_ptr[r + 1]]
        if exclude_read:
            candidate[read] = False
        chosen = _top(np.flatnonzero(candidate), score, self._item_ids, k)
        return [
            Recommendation(
                item_id=int(self._item_ids[i]),
                score=float(score[i]),
                reason=self._reason(r, i, contributions, read),
            )
            for i in chosen
        ]

    def _reader_index(self, reader_id: int) -> int | None:
        r = int(np.searchsorted(self._reader_ids, reader_id))
        if r < self._n_readers and self._reader_ids[r] == reader_id:
            return r
        return None

    def _contributions(self, r: int) -> dict[str, np.ndarray]:
        """Each component's weighted contribution for reader ``r``, a vector over items."""
        p = self.params
        reader = self._readers[r]
        read = self._read_item[self._read_ptr[r] : self._read_ptr[r + 1]]
        interest, _ = self._interests(r)
        audience, _, _ = self._audience(reader.segment, reader.business_type)
        timely = p.match_floor + (1.0 - p.match_floor) * self._fresh  # a match's worth by age
        coread = np.zeros(self._n_items)
        if len(read):
            coread = self._coread[read].sum(axis=0, dtype=np.float64)
            coread[read] = 0.0
            coread = _scaled(coread)
        return {
            COREAD: p.coread_weight * coread,
            COHORT: p.cohort_weight * self._cohort_score[self._reader_row[r]],
            INTEREST: p.interest_weight * interest[self._item_topic] * timely,
            AUDIENCE: p.audience_weight * audience * timely,
            POPULAR: p.popular_weight * self._popularity,
            FRESH: p.fresh_weight * self._fresh,
        }

    def _interests(self, r: int) -> tuple[np.ndarray, str]:
        """Per topic 0..1 (chosen: 1 for each; else reads per topic / the most-read topic's)."""
        chosen = self._readers[r].interests
        if chosen:
            return np.array([float(t in chosen) for t in self._topics]), "chosen"
        counts = self._topic_reads[r]
        total = int(counts.sum())
        if total < self.params.min_reads_inferred:
            return np.zeros(len(self._topics)), "reads"
        return counts / counts.max(), "reads"

    def _audience(self, segment: str, business_type: str):
        """(score, segment matched, business type matched) per item for one kind of shop.

        Score = the share of the dimensions an item targets (class, business type) that match
        the shop: 1 when all do, 0.5 when one of two does, 0 for untargeted items.
        """
        key = (segment, business_type)
        if key not in self._audience_cache:
            none = np.zeros(self._n_items, dtype=bool)
            by_segment = self._tagged.get(SEGMENT_PREFIX + segment, none)
            by_type = self._tagged.get(BUSINESS_TYPE_PREFIX + business_type, none)
            targeted = self._targets_segment.astype(int) + self._targets_business_type
            matched = by_segment.astype(int) + by_type
            score = np.where(targeted > 0, matched / np.maximum(targeted, 1), 0.0)
            self._audience_cache[key] = (score, by_segment, by_type)
        return self._audience_cache[key]

    def _reason(self, r: int, i: int, contributions: dict[str, np.ndarray], read) -> Reason:
        """The strongest evidence about this shop, when it adds at least ``personal_min`` to
        the item's score: a shop learns more from "your cohort reads it" than from "it is new",
        which holds for everyone. Otherwise the component contributing most. Only reasons that
        may be shown (the privacy floors) count."""
        personal = [kind for kind in COMPONENTS if kind in PERSONAL]
        ranked = sorted(personal, key=lambda kind: -contributions[kind][i])  # stable: ties
        for kind in ranked:
            if contributions[kind][i] < self.params.personal_min:
                break
            reason = self._explain(kind, r, i, read)
            if reason is not None:
                return reason
        ranked = sorted(COMPONENTS, key=lambda kind: -contributions[kind][i])  # stable: ties
        for kind in ranked:
            if contributions[kind][i] <= 0:
                break
            reason = self._explain(kind, r, i, read)
            if reason is not None:
                return reason
        return Reason(FRESH, {})

    def _explain(self, kind: str, r: int, i: int, read: np.ndarray) -> Reason | None:
        reader = self._readers[r]
        if kind == COHORT:
            row = self._reader_row[r]
            shops = int(self._cohort_shops[row, i])
            if i in read and self._read_at[self._read_ptr[r] + _position(read, i)] >= (
                self.now - self.params.window_days * DAY_S
            ):
                shops -= 1  # the reader itself is not one of "the shops like yours"
            if shops < self.params.min_cohort_shops:
                return None
            return Reason(COHORT, {**self._cohort_keys[row], "shops": shops})
        if kind == COREAD:
            j = read[int(np.argmax(self._coread[read, i]))]
            return Reason(COREAD, {"item_id": int(self._item_ids[j])})
        if kind == INTEREST:
            _, source = self._interests(r)
            return Reason(INTEREST, {"topic": self._topics[self._item_topic[i]], "source": source})
        if kind == AUDIENCE:
            _, by_segment, by_type = self._audience(reader.segment, reader.business_type)
            return Reason(
                AUDIENCE,
                {
                    "segment": reader.segment if by_segment[i] else None,
                    "business_type": reader.business_type if by_type[i] else None,
                },
            )
        return Reason(kind, {})


# ---------------------------------------------------------------------------------- helpers


def _lookup(sorted_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``ids`` in ``sorted_ids`` and whether each was found."""
    if len(sorted_ids) == 0:
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    position = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return position, sorted_ids[position] == ids


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    distinct = sorted(set(values))
    index = {value: code for code, value in enumerate(distinct)}
    return np.array([index[value] for value in values], dtype=np.int64), distinct


def _scaled(values: np.ndarray) -> np.ndarray:
    """``values`` / their maximum (all zeros stay zeros)."""
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else np.zeros(len(values))


def _ragged_arange(lengths: np.ndarray) -> np.ndarray:
    """0..n-1 for each n in ``lengths``, concatenated."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - lengths, lengths)


def _position(sorted_values: np.ndarray, value: int) -> int:
    return int(np.searchsorted(sorted_values, value))


def _top(candidates: np.ndarray, score: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best candidates by score, ties by item id (deterministic)."""
    if len(candidates) > k:
        values = score[candidates]
        threshold = np.partition(values, len(values) - k)[len(values) - k]
        candidates = candidates[values >= threshold]  # the top k and any ties at the edge
    order = np.lexsort((ids[candidates], -score[candidates]))
    return candidates[order[:k]]
