"""The synthetic city and the benchmark's measures, at small sizes."""

import numpy as np
import pytest

from engines.recommend import Item, Reader, Recommender, bench
from engines.recommend.synthetic import DAY_S, START, City, generate_city


@pytest.fixture(scope="module")
def small_city():
    return generate_city(np.random.default_rng(3), readers=3_000, items=150, reads=60_000, days=90)


def test_city_is_reproducible_and_plausible(small_city):
    again = generate_city(np.random.default_rng(3), readers=3_000, items=150, reads=60_000, days=90)
    assert np.array_equal(again.read_item, small_city.read_item)
    assert np.array_equal(again.read_at, small_city.read_at)
    assert len(small_city.read_at) == pytest.approx(60_000, rel=0.1)
    segments = [reader.segment for reader in small_city.readers]
    assert segments.count("core") / len(segments) == pytest.approx(0.05, abs=0.02)
    assert segments.count("ordinary") / len(segments) == pytest.approx(0.50, abs=0.03)
    published = {item.id: item.published_at for item in small_city.items}
    at_publish = np.array([published[i] for i in small_city.read_item.tolist()])
    assert (small_city.read_at >= at_publish).all()
    assert (small_city.read_at <= START + 90 * DAY_S).all()
    assert (np.diff(small_city.read_at) >= 0).all()
    pairs = small_city.read_reader * 1_000 + small_city.read_item
    assert len(np.unique(pairs)) == len(pairs)  # a shop reads an article once


def test_recall_measures_on_a_hand_made_city():
    day = DAY_S
    items = [Item(i, "display", frozenset(), START) for i in (1, 2, 3)]
    readers = [Reader(r, "ordinary", "grocery", "urban") for r in (10, 11)]
    city = City(
        items=items,
        readers=readers,
        read_reader=np.array([10, 11, 11, 10, 11]),
        read_item=np.array([1, 1, 2, 2, 3]),
        read_at=np.array([1, 2, 3, 10, 11]) * day + START,
    )
    cut = START + 5 * day
    wanted = bench.held_out(city, cut, START + 20 * day)
    assert wanted == {10: {2}, 11: {3}}
    # by reads in the 7 days before the cut: 1 (2 reads), 2 (1), 3 (0); what was read is left out
    assert bench.popularity_recall(city, wanted, cut, k=1) == 1.0  # 10 gets 2, 11 gets 3
    assert bench.popularity_recall(city, {10: {3}, 11: {3}}, cut, k=1) == 0.5  # 10 gets 2
    engine = Recommender.build(items, readers, city.reads(before=cut), now=cut)
    assert bench.recall(engine, wanted, k=2) == 1.0
    assert bench.live_share(city, wanted, cut) == 1.0


def test_run_at_a_small_size(monkeypatch, capsys):
    for name, value in {
        "READERS": 3_000,
        "ITEMS": 150,
        "READS": 60_000,
        "LATENCY_READERS": 50,
    }.items():
        monkeypatch.setattr(bench, name, value)
    metrics = bench.run()
    assert set(metrics) >= set(bench.NOTES) | set(bench.TARGETS) | set(bench.ANCHORS.values())
    assert 0 < metrics["recommend_popularity_recall10"] < metrics["recommend_recall10"] < 1
    assert "recall@10" in capsys.readouterr().out
