"""recommend: what is a candidate, which reason is shown (and never a group under 5), the
non-personalised list, determinism and empty inputs."""

import random
from dataclasses import replace

import pytest

from engines.recommend import (
    AUDIENCE,
    COHORT,
    COREAD,
    FRESH,
    INTEREST,
    POPULAR,
    Item,
    Params,
    Read,
    Reader,
    Recommender,
    business_type_tag,
    segment_tag,
)

DAY = 86_400.0
NOW = 1_000 * DAY
# Only the named component counts (plus a tiny freshness so every live item is a candidate
# with a defined order): isolates one reason kind at a time.
ONLY = Params(
    coread_weight=0.0,
    cohort_weight=0.0,
    interest_weight=0.0,
    audience_weight=0.0,
    fresh_weight=0.01,
    popular_weight=0.0,
    min_cohort_readers=5,
)


def item(id_, topic="display", tags=(), age_days=1.0):
    return Item(id=id_, topic=topic, tags=frozenset(tags), published_at=NOW - age_days * DAY)


def shop(id_, segment="ordinary", business_type="grocery", market_type="urban", interests=()):
    return Reader(id_, segment, business_type, market_type, frozenset(interests))


def read(reader_id, item_id, days_ago=1.0):
    return Read(reader_id, item_id, NOW - days_ago * DAY)


def ids(recommendations):
    return [rec.item_id for rec in recommendations]


def reason_of(recommendations, item_id):
    return next(rec.reason for rec in recommendations if rec.item_id == item_id)


# --------------------------------------------------------------------------- candidates


def test_read_items_are_excluded_unless_asked():
    items = [item(1), item(2), item(3)]
    engine = Recommender.build(items, [shop(10)], [read(10, 2)], now=NOW)
    assert ids(engine.recommend(10)) == [1, 3]
    assert sorted(ids(engine.recommend(10, exclude_read=False))) == [1, 2, 3]


def test_items_published_after_now_never_appear():
    future = Item(id=9, topic="display", tags=frozenset(), published_at=NOW + 60)
    items = [item(1), item(2, age_days=30), future]
    readers = [shop(r) for r in range(10, 20)]
    # even heavily "read" (bad data) and co-read, a scheduled article is not shown before it is live
    reads = [read(r, 9) for r in range(10, 20)] + [read(r, 1) for r in range(10, 19)]
    engine = Recommender.build(items, readers, reads, now=NOW)
    assert 9 not in ids(engine.popular(k=10))
    for r in range(10, 20):
        assert 9 not in ids(engine.recommend(r, k=10, exclude_read=False))


def test_reads_after_now_are_ignored_and_repeated_reads_count_once():
    items = [item(1), item(2)]
    readers = [shop(10), shop(11)]
    later = Read(10, 1, NOW + DAY)  # not happened yet at now
    engine = Recommender.build(items, readers, [later, read(11, 2), read(11, 2, 0.5)], now=NOW)
    assert ids(engine.recommend(10)) == [2, 1]  # 1 is not "read" by 10; 2 is read (once)
    assert ids(engine.recommend(11)) == [1]


def test_reads_of_unknown_readers_or_items_are_dropped():
    engine = Recommender.build(
        [item(1), item(2)], [shop(10)], [read(99, 1), read(10, 77), read(10, 2)], now=NOW
    )
    assert ids(engine.recommend(10)) == [1]


def test_k_limits_the_list_and_zero_gives_nothing():
    engine = Recommender.build([item(i) for i in range(1, 8)], [shop(10)], [], now=NOW)
    assert len(engine.recommend(10, k=3)) == 3
    assert engine.recommend(10, k=0) == []
    assert len(engine.popular(k=3)) == 3
    assert engine.popular(k=-1) == []


# --------------------------------------------------------------------------- reasons


def test_chosen_interest_is_the_reason():
    items = [item(1, topic="display"), item(2, topic="brand")]
    engine = Recommender.build(
        items, [shop(10, interests={"brand"})], [], now=NOW, params=replace(ONLY, interest_weight=1)
    )
    recs = engine.recommend(10)
    assert ids(recs) == [2, 1]
    assert recs[0].reason.kind == INTEREST
    assert recs[0].reason.params == {"topic": "brand", "source": "chosen"}
    assert recs[1].reason.kind == FRESH


def test_interest_is_inferred_from_the_most_read_topic_when_none_is_chosen():
    read_before = [item(i, topic="terminal", age_days=5) for i in (1, 2, 3)]
    items = [*read_before, item(4, topic="display"), item(5, topic="terminal")]
    reads = [read(10, i) for i in (1, 2, 3)]
    params = replace(ONLY, interest_weight=1)
    engine = Recommender.build(items, [shop(10)], reads, now=NOW, params=params)
    recs = engine.recommend(10)
    assert ids(recs) == [5, 4]
    assert recs[0].reason.params == {"topic": "terminal", "source": "reads"}
    # below min_reads_inferred nothing is inferred
    engine = Recommender.build(items, [shop(10)], reads[:2], now=NOW, params=params)
    assert all(rec.reason.kind == FRESH for rec in engine.recommend(10))


def test_audience_reason_names_the_matched_tags_only():
    items = [
        item(1, tags={business_type_tag("convenience")}),
        item(2, tags={business_type_tag("kiosk"), segment_tag("core")}),
        item(3, tags={segment_tag("core"), business_type_tag("supermarket")}),
        item(4),
    ]
    engine = Recommender.build(
        items,
        [shop(10, segment="core", business_type="convenience")],
        [],
        now=NOW,
        params=replace(ONLY, audience_weight=1),
    )
    recs = engine.recommend(10)
    assert ids(recs) == [1, 2, 3, 4]  # fully matched, then one of two dimensions (by id)
    assert recs[0].reason.params == {"segment": None, "business_type": "convenience"}
    assert recs[1].reason.params == {"segment": "core", "business_type": None}
    assert recs[1].score == recs[2].score < recs[0].score
    assert recs[3].reason.kind == FRESH


def _cohort_world(other_readers: int, *, market_type="urban"):
    """Shop 10 and ``other_readers`` shops of its cohort that read item 1."""
    readers = [shop(10, market_type=market_type)] + [
        shop(100 + n, market_type=market_type) for n in range(other_readers)
    ]
    reads = [read(100 + n, 1) for n in range(other_readers)]
    return [item(1, age_days=3), item(2)], readers, reads


def test_cohort_reason_names_the_cohort_and_the_shops():
    items, readers, reads = _cohort_world(6)
    engine = Recommender.build(
        items, readers, reads, now=NOW, params=replace(ONLY, cohort_weight=1)
    )
    recs = engine.recommend(10)
    assert ids(recs) == [1, 2]
    assert recs[0].reason.kind == COHORT
    assert recs[0].reason.params == {
        "segment": "ordinary",
        "business_type": "grocery",
        "market_type": "urban",
        "shops": 6,
    }


@pytest.mark.parametrize("others", [1, 4])
def test_cohort_reason_is_never_given_for_fewer_than_five_shops(others):
    items, readers, reads = _cohort_world(others)
    engine = Recommender.build(
        items, readers, reads, now=NOW, params=replace(ONLY, cohort_weight=1)
    )
    recs = engine.recommend(10)
    assert ids(recs) == [1, 2]  # still ranked first by the cohort's reads
    assert recs[0].reason.kind == FRESH  # but explained by the next component


def test_cohort_reason_does_not_count_the_reader_itself():
    items, readers, reads = _cohort_world(4)
    reads.append(read(10, 1))
    engine = Recommender.build(
        items, readers, reads, now=NOW, params=replace(ONLY, cohort_weight=1)
    )
    assert reason_of(engine.recommend(10, exclude_read=False), 1).kind == FRESH


def test_cohort_reason_only_counts_reads_in_the_window():
    items, readers, reads = _cohort_world(6)
    reads = [replace(r, at=NOW - 40 * DAY) if r.reader_id < 102 else r for r in reads]
    engine = Recommender.build(
        items, readers, reads, now=NOW, params=replace(ONLY, cohort_weight=1)
    )
    assert reason_of(engine.recommend(10), 1).kind == FRESH  # 4 in the last 30 days


def test_small_cohort_backs_off_to_class_and_business_type_then_business_type():
    # shop 10 is rural: its full cohort holds 3 shops (< min_cohort_readers 5); urban shops of
    # the same class and business type make a class x business type cohort of 9
    readers = [shop(10, market_type="rural"), shop(11, market_type="rural")]
    readers += [shop(12, market_type="rural")] + [shop(20 + n) for n in range(6)]
    reads = [read(r.id, 1) for r in readers[1:]]
    items = [item(1, age_days=3), item(2)]
    params = replace(ONLY, cohort_weight=1)
    engine = Recommender.build(items, readers, reads, now=NOW, params=params)
    assert reason_of(engine.recommend(10), 1).params == {
        "segment": "ordinary",
        "business_type": "grocery",
        "market_type": None,
        "shops": 8,
    }
    # other classes too small as well: only the business type is left
    readers = [replace(r, segment=seg) for r, seg in zip(readers, "abcdefghi", strict=True)]
    engine = Recommender.build(items, readers, reads, now=NOW, params=params)
    assert reason_of(engine.recommend(10), 1).params == {
        "segment": None,
        "business_type": "grocery",
        "market_type": None,
        "shops": 8,
    }


def _coread_world(coreaders: int):
    """Shops 100.. read 1 and 2; shop 10 read 1; shops 200.. read 3 only (popular, unrelated)."""
    readers = [shop(10)] + [shop(100 + n) for n in range(coreaders)]
    readers += [shop(200 + n) for n in range(8)]
    reads = [read(10, 1, 4)]
    reads += [read(100 + n, i, 3) for n in range(coreaders) for i in (1, 2)]
    reads += [read(200 + n, 3, 2) for n in range(8)]
    return [item(1, age_days=5), item(2, age_days=5), item(3, age_days=5)], readers, reads


def test_coread_reason_names_the_article_the_reader_read():
    items, readers, reads = _coread_world(5)
    engine = Recommender.build(
        items, readers, reads, now=NOW, params=replace(ONLY, coread_weight=1)
    )
    recs = engine.recommend(10)
    assert ids(recs) == [2, 3]
    assert recs[0].reason.kind == COREAD
    assert recs[0].reason.params == {"item_id": 1}


def test_coread_needs_five_coreaders():
    items, readers, reads = _coread_world(4)
    engine = Recommender.build(
        items, readers, reads, now=NOW, params=replace(ONLY, coread_weight=1)
    )
    recs = engine.recommend(10)
    assert ids(recs) == [2, 3]  # no co-read signal: by freshness (equal), then id
    assert {rec.reason.kind for rec in recs} == {FRESH}


def test_fresh_and_popular_reasons_with_the_default_weights():
    items = [item(1, age_days=0.1), item(2, age_days=45), item(3, age_days=20)]
    readers = [shop(10)] + [shop(100 + n, business_type="kiosk") for n in range(20)]
    reads = [read(100 + n, 2, 2) for n in range(20)] + [read(100, 3, 2)]
    engine = Recommender.build(items, readers, reads, now=NOW)
    recs = engine.recommend(10)
    assert reason_of(recs, 1).kind == FRESH
    assert reason_of(recs, 2).kind == POPULAR  # old, but read by 20 shops of another type
    assert ids(engine.popular()) == ids(recs) == [1, 3, 2]
    assert [rec.reason.kind for rec in engine.popular()] == [FRESH, FRESH, POPULAR]


def test_each_reason_kind_with_the_default_weights():
    """A plausible little city: every kind of reason turns up where its evidence is."""
    readers = [shop(10, segment="key", business_type="convenience", interests={"experience"})]
    readers += [shop(100 + n, segment="key", business_type="convenience") for n in range(40)]
    readers += [shop(200 + n, business_type="kiosk") for n in range(30)]
    items = [
        item(1, age_days=10),  # read by shop 10 and, with 2, by 8 others
        item(2, age_days=28),  # co-read with 1 (lately)
        item(3, age_days=9),  # read lately by 12 shops of shop 10's cohort
        item(4, topic="experience", age_days=60),  # shop 10's chosen topic, old
        item(5, tags={business_type_tag("convenience")}, age_days=60),  # for convenience stores
        item(6, age_days=0.2),  # brand new
        item(7, age_days=40),  # hot across the city (other shops)
        item(8, age_days=90),  # nothing for it
    ]
    reads = [read(10, 1, 5)]
    reads += [read(200 + n, i, 6) for n in range(8) for i in (1, 2)]
    reads += [read(100 + n, 3, 2) for n in range(12)]
    reads += [read(200 + n, 7, 3) for n in range(30)]
    engine = Recommender.build(items, readers, reads, now=NOW)
    reasons = {rec.item_id: rec.reason for rec in engine.recommend(10, k=10)}
    assert reasons[2].kind == COREAD
    assert reasons[3].kind == COHORT
    assert reasons[3].params == {
        "segment": "key",
        "business_type": "convenience",
        "market_type": "urban",
        "shops": 12,
    }
    assert reasons[4].kind == INTEREST
    assert reasons[5].kind == AUDIENCE
    assert reasons[6].kind == FRESH
    # Hot across the city, but 8 of its readers also read what shop 10 read: the shop-specific
    # evidence is the one named (``Params.personal_min``).
    assert reasons[7].kind == COREAD
    assert 1 not in reasons


def test_a_weak_personal_component_does_not_explain():
    readers = [shop(10, interests={"experience"})]
    items = [item(1, topic="experience", age_days=0.1)]
    weak = Params(personal_min=0.5)
    engine = Recommender.build(items, readers, [], now=NOW, params=weak)
    assert engine.recommend(10)[0].reason.kind == FRESH
    engine = Recommender.build(items, readers, [], now=NOW)
    assert engine.recommend(10)[0].reason.kind == INTEREST


# --------------------------------------------------------------------------- personalisation off


def test_personalisation_off_ignores_the_reader():
    items = [item(i, topic=t, age_days=i) for i, t in enumerate(["display", "brand"] * 5, 1)]
    items.append(item(20, tags={business_type_tag("kiosk"), segment_tag("core")}, age_days=3))
    readers = [
        shop(1, segment="core", business_type="kiosk", market_type="rural", interests={"brand"}),
        shop(2, segment="ordinary", business_type="catering"),
    ] + [
        shop(100 + n, segment="core", business_type="kiosk", market_type="rural") for n in range(9)
    ]
    reads = [read(1, i) for i in (1, 3, 5)] + [read(100 + n, i) for n in range(9) for i in (2, 20)]
    engine = Recommender.build(items, readers, reads, now=NOW)
    assert engine.recommend(1) != engine.recommend(2)  # personalised, they differ
    off = [engine.recommend(r, personalised=False) for r in (1, 2, 999)]
    assert off[0] == off[1] == off[2] == engine.popular()
    assert {rec.reason.kind for rec in off[0]} <= {FRESH, POPULAR}
    assert 1 in ids(off[0])  # what shop 1 read is not even left out: nothing about it is used


def test_unknown_reader_gets_the_non_personalised_list():
    engine = Recommender.build([item(1), item(2, age_days=3)], [shop(10)], [], now=NOW)
    assert engine.recommend(12345) == engine.popular()


# --------------------------------------------------------------------------- determinism, inputs


def test_ties_are_broken_by_item_id_whatever_the_input_order():
    items = [item(i, age_days=2) for i in (5, 3, 9, 1, 7)]
    readers = [shop(10), shop(11)]
    reads = [read(11, 3)]
    first = Recommender.build(items, readers, reads, now=NOW)
    assert ids(first.recommend(10)) == [3, 1, 5, 7, 9]  # 3 is read lately; the rest tie
    shuffled = items[:]
    random.Random(4).shuffle(shuffled)
    again = Recommender.build(shuffled, readers[::-1], reads, now=NOW)
    assert again.recommend(10) == first.recommend(10)
    assert again.popular() == first.popular()


def test_empty_inputs():
    engine = Recommender.build([], [], [], now=NOW)
    assert engine.recommend(1) == [] and engine.popular() == []
    engine = Recommender.build([item(1)], [], [], now=NOW)
    assert ids(engine.recommend(1)) == [1] == ids(engine.popular())
    engine = Recommender.build([], [shop(1)], [read(1, 1)], now=NOW)
    assert engine.recommend(1) == []
    engine = Recommender.build([item(1)], [shop(1)], [], now=NOW)
    assert ids(engine.recommend(1)) == [1]


def test_reads_may_be_a_generator():
    reads = (read(10, i) for i in (1, 2))
    engine = Recommender.build([item(1), item(2), item(3)], [shop(10)], reads, now=NOW)
    assert ids(engine.recommend(10)) == [3]


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="item"):
        Recommender.build([item(1), item(1)], [], [], now=NOW)
    with pytest.raises(ValueError, match="reader"):
        Recommender.build([], [shop(1), shop(1)], [], now=NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"cohort_weight": -1.0},
        {"fresh_weight": float("nan")},
        {"fresh_days": 0.0},
        {"window_days": 5.0},
        {"match_floor": 1.5},
        {"min_cohort_shops": 4},
        {"min_coreaders": 2},
        {"min_cohort_readers": 0},
    ],
)
def test_params_refuse_bad_values(change):
    with pytest.raises(ValueError):
        Params(**change)
