"""The vectorised counts against plain loops: co-read cosines (counted in chunks of readers),
cohort scores and city popularity, on a random little city."""

import math
import random

import numpy as np
import pytest

from engines.recommend import Item, Params, Read, Reader, Recommender, recommender

DAY = 86_400.0
NOW = 100 * DAY


def _weight(age_days: float, p: Params) -> float:
    if age_days > p.window_days:
        return 0.0
    return 0.5 ** (max(age_days - p.recent_days, 0.0) / p.half_life_days)


@pytest.fixture
def city():
    rng = random.Random(7)
    items = [
        Item(i, rng.choice("ab"), frozenset(), NOW - rng.uniform(0, 60) * DAY) for i in range(25)
    ]
    readers = [Reader(r, rng.choice("xy"), rng.choice("pq"), "urban") for r in range(300)]
    reads = []
    for reader in readers:
        for item in rng.sample(items, rng.randint(0, 12)):
            at = NOW - rng.uniform(0, 50) * DAY
            reads.append(Read(reader.id, item.id, at))
            if rng.random() < 0.1:  # a repeated read, later: only the first counts
                reads.append(Read(reader.id, item.id, min(at + DAY, NOW)))
    rng.shuffle(reads)
    return items, readers, reads


def _first_reads(reads):
    first: dict[tuple[int, int], float] = {}
    for read in reads:
        key = (read.reader_id, read.item_id)
        first[key] = min(first.get(key, math.inf), read.at)
    return first


def test_coread_cosines_match_loops_whatever_the_chunking(city, monkeypatch):
    items, readers, reads = city
    monkeypatch.setattr(recommender, "PAIRS_PER_CHUNK", 50)  # many chunks, some of one reader
    params = Params()
    engine = Recommender.build(items, readers, reads, now=NOW, params=params)
    first = _first_reads(reads)
    by_reader: dict[int, dict[int, float]] = {}
    for (reader, item), at in first.items():
        by_reader.setdefault(reader, {})[item] = _weight((NOW - at) / DAY, params)
    n = len(items)
    expected = np.zeros((n, n))
    readers_of = np.zeros(n)
    recent = np.zeros(n)
    for own in by_reader.values():
        for j, w in own.items():
            readers_of[j] += 1
            recent[j] += w
    for j in range(n):
        for i in range(n):
            if i == j:
                continue
            both = [own[i] for own in by_reader.values() if j in own and i in own]
            in_window = sum(1 for w in both if w > 0)
            if in_window >= params.min_coreaders:
                expected[j, i] = sum(both) / math.sqrt(readers_of[j] * recent[i])
    assert expected.any()
    np.testing.assert_allclose(engine._coread, expected, rtol=1e-6, atol=1e-7)


def test_popularity_and_cohort_scores_match_loops(city):
    items, readers, reads = city
    params = Params(min_cohort_readers=1)
    engine = Recommender.build(items, readers, reads, now=NOW, params=params)
    first = _first_reads(reads)
    segment = {reader.id: (reader.segment, reader.business_type) for reader in readers}
    popularity = np.zeros(len(items))
    cohort: dict[tuple[str, str], np.ndarray] = {}
    for (reader, item), at in first.items():
        w = _weight((NOW - at) / DAY, params)
        popularity[item] += w
        cohort.setdefault(segment[reader], np.zeros(len(items)))[item] += w
    np.testing.assert_allclose(engine._popularity, popularity / popularity.max())
    for reader in readers[:20]:
        own = cohort[segment[reader.id]]
        row = engine._cohort_score[engine._reader_row[reader.id]]
        np.testing.assert_allclose(row, own / own.max())
