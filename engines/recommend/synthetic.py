"""A synthetic city of shops reading articles, for the benchmark (and tests at small sizes).

Synthetic: no real shop or read is in it. The reads come from latent tastes the recommender
never sees, so how much of them it recovers says how well it uses the signals it does see.

Shops. Class core 5 %, key 15 %, potential 30 %, ordinary 50 %. Business type grocery 30 %,
convenience 22 %, tobacco & liquor 14 %, catering 12 %, supermarket, kiosk and other 6 % each,
entertainment 4 %; rural share by type from 20 % (entertainment) to 60 % (grocery). Reads over
the period per shop: Poisson with a mean of ``reads / readers`` times a class factor (core 2,
key 1.4, potential 1, ordinary 0.8, rescaled to keep the mean) times a log-normal(0, 0.8)
activity, at most 300.

Articles. Published uniformly over the period; topic display 30 %, brand 30 %, terminal 25 %,
experience 15 %. Brand articles carry 1–2 of 24 brand tags, others one with 30 % chance; 35 %
target 1–2 business types (``bt:``), 25 % 1–2 classes (``seg:``). Quality: log-normal(0, 0.6).

Tastes. Each class x business type cohort draws a topic preference (Dirichlet(2), scaled to
mean 1) and a brand preference (Dirichlet(0.3): a few brands dominate). Each shop has 1–2
favourite topics and one favourite brand, drawn from its cohort's preferences; 35 % of shops
chose interest topics (their favourites, or with 20 % chance random ones). The weight of shop r
reading article i is

    quality(i) x topic_pref(cohort, topic) x brand_pref(cohort, brands)   # mean over its brands
    x 3 if the topic is a favourite x 3 if it carries the favourite brand
    x 2.5 if it targets r's business type, 0.4 if it targets only others (class: 1.8 / 0.6)
    x P(the read delay fits before the period ends)

and a shop's reads are that many articles drawn without replacement by these weights (Gumbel
top-k). A read comes a delay after publishing: 80 % exponential with mean 4 days, 20 % with
mean 30 days (reads decay after publish, with a tail), conditioned to fall inside the period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engines.recommend.model import Item, Read, Reader, business_type_tag, segment_tag

DAY_S = 86_400.0
START = 1_767_225_600.0  # 2026-01-01 00:00 UTC: the period's first second
SEGMENTS = ("core", "key", "potential", "ordinary")
SEGMENT_SHARE = (0.05, 0.15, 0.30, 0.50)
SEGMENT_ACTIVITY = (2.0, 1.4, 1.0, 0.8)
BUSINESS_TYPES = (
    "convenience",
    "supermarket",
    "tobacco_liquor",
    "grocery",
    "kiosk",
    "catering",
    "entertainment",
    "other",
)
BUSINESS_TYPE_SHARE = (0.22, 0.06, 0.14, 0.30, 0.06, 0.12, 0.04, 0.06)
RURAL_SHARE = (0.25, 0.30, 0.35, 0.60, 0.30, 0.40, 0.20, 0.50)
TOPICS = ("display", "brand", "terminal", "experience")
TOPIC_SHARE = (0.30, 0.30, 0.25, 0.15)
BRANDS = 24
CHUNK = 2_000  # readers per block of the reader x item weight matrix


@dataclass
class City:
    items: list[Item]
    readers: list[Reader]
    # reads as parallel arrays (reader id, item id, epoch s), ordered by time
    read_reader: np.ndarray
    read_item: np.ndarray
    read_at: np.ndarray

    def reads(self, before: float = np.inf) -> list[Read]:
        """The reads strictly before ``before`` (epoch s) as value objects."""
        keep = self.read_at < before
        return [
            Read(int(r), int(i), float(t))
            for r, i, t in zip(
                self.read_reader[keep].tolist(),
                self.read_item[keep].tolist(),
                self.read_at[keep].tolist(),
                strict=True,
            )
        ]


def generate_city(
    rng: np.random.Generator,
    *,
    readers: int = 50_000,
    items: int = 1_000,
    reads: int = 1_000_000,
    days: float = 180.0,
) -> City:
    """A city of ``readers`` shops and ``items`` articles over ``days`` days, ~``reads`` reads."""
    n_seg, n_bt, n_topic = len(SEGMENTS), len(BUSINESS_TYPES), len(TOPICS)

    # shops
    segment = rng.choice(n_seg, readers, p=SEGMENT_SHARE)
    business_type = rng.choice(n_bt, readers, p=BUSINESS_TYPE_SHARE)
    rural = rng.random(readers) < np.asarray(RURAL_SHARE)[business_type]
    cohort = segment * n_bt + business_type
    topic_pref = rng.dirichlet(np.full(n_topic, 2.0), n_seg * n_bt)
    brand_pref = rng.dirichlet(np.full(BRANDS, 0.3), n_seg * n_bt)
    favourite_topics = np.zeros((readers, n_topic), dtype=bool)
    for r in range(readers):
        count = 1 + int(rng.random() < 0.5)
        chosen = rng.choice(n_topic, count, replace=False, p=topic_pref[cohort[r]])
        favourite_topics[r, chosen] = True
    favourite_brand = np.array([rng.choice(BRANDS, p=brand_pref[c]) for c in cohort])
    reader_list = []
    for r in range(readers):
        interests: frozenset[str] = frozenset()
        if rng.random() < 0.35:
            picked = np.flatnonzero(favourite_topics[r])
            if rng.random() < 0.2:
                picked = rng.choice(n_topic, 1 + int(rng.random() < 0.5), replace=False)
            interests = frozenset(TOPICS[t] for t in picked)
        reader_list.append(
            Reader(
                id=r + 1,
                segment=SEGMENTS[segment[r]],
                business_type=BUSINESS_TYPES[business_type[r]],
                market_type="rural" if rural[r] else "urban",
                interests=interests,
            )
        )

    # articles
    published_day = np.sort(rng.uniform(0, days, items))
    topic = rng.choice(n_topic, items, p=TOPIC_SHARE)
    quality = rng.lognormal(0.0, 0.6, items)
    brands = np.zeros((items, BRANDS), dtype=bool)
    targets_bt = np.zeros((items, n_bt), dtype=bool)
    targets_seg = np.zeros((items, n_seg), dtype=bool)
    item_list = []
    for i in range(items):
        if TOPICS[topic[i]] == "brand":
            brands[i, rng.choice(BRANDS, 1 + int(rng.random() < 0.4), replace=False)] = True
        elif rng.random() < 0.3:
            brands[i, rng.integers(BRANDS)] = True
        if rng.random() < 0.35:
            targets_bt[i, rng.choice(n_bt, 1 + int(rng.random() < 0.4), replace=False)] = True
        if rng.random() < 0.25:
            targets_seg[i, rng.choice(n_seg, 1 + int(rng.random() < 0.4), replace=False)] = True
        tags = {f"brand:b{b + 1:02d}" for b in np.flatnonzero(brands[i])}
        tags |= {business_type_tag(BUSINESS_TYPES[b]) for b in np.flatnonzero(targets_bt[i])}
        tags |= {segment_tag(SEGMENTS[s]) for s in np.flatnonzero(targets_seg[i])}
        item_list.append(
            Item(
                id=i + 1,
                topic=TOPICS[topic[i]],
                tags=frozenset(tags),
                published_at=START + published_day[i] * DAY_S,
            )
        )

    # the cohort part of each (cohort, item) weight, in logs
    remaining = days - published_day
    exposure = 0.8 * (1 - np.exp(-remaining / 4.0)) + 0.2 * (1 - np.exp(-remaining / 30.0))
    brand_count = brands.sum(axis=1)
    log_cohort = np.empty((n_seg * n_bt, items))
    for c in range(n_seg * n_bt):
        s, b = divmod(c, n_bt)
        brand_factor = np.where(
            brand_count > 0, (brands @ brand_pref[c]) * BRANDS / np.maximum(brand_count, 1), 1.0
        )
        target = np.ones(items)
        any_bt = targets_bt.any(axis=1)
        target *= np.where(targets_bt[:, b], 2.5, np.where(any_bt, 0.4, 1.0))
        any_seg = targets_seg.any(axis=1)
        target *= np.where(targets_seg[:, s], 1.8, np.where(any_seg, 0.6, 1.0))
        log_cohort[c] = np.log(
            quality * topic_pref[c, topic] * n_topic * brand_factor * target * exposure + 1e-12
        )

    # how many reads each shop makes, then which articles (Gumbel top-k), then when
    activity = np.asarray(SEGMENT_ACTIVITY)[segment] * rng.lognormal(0.0, 0.8, readers)
    mean_reads = reads / readers
    count = np.minimum(rng.poisson(mean_reads * activity / activity.mean()), min(300, items))
    readers_out, items_out = [], []
    log3 = np.log(3.0)
    for lo in range(0, readers, CHUNK):
        hi = min(lo + CHUNK, readers)
        logits = log_cohort[cohort[lo:hi]]
        logits += log3 * favourite_topics[lo:hi][:, topic]
        logits += log3 * brands[:, favourite_brand[lo:hi]].T
        logits += rng.gumbel(size=logits.shape)
        order = np.argsort(-logits, axis=1)
        for row in range(hi - lo):
            picked = order[row, : count[lo + row]]
            readers_out.append(np.full(len(picked), lo + row + 1))
            items_out.append(picked)
    read_reader = np.concatenate(readers_out) if readers_out else np.zeros(0, dtype=np.int64)
    picked = np.concatenate(items_out) if items_out else np.zeros(0, dtype=np.int64)
    delay = _delays(rng, remaining[picked])
    read_at = START + (published_day[picked] + delay) * DAY_S
    order = np.argsort(read_at, kind="stable")
    return City(
        items=item_list,
        readers=reader_list,
        read_reader=read_reader[order].astype(np.int64),
        read_item=(picked[order] + 1).astype(np.int64),
        read_at=read_at[order],
    )


def _delays(rng: np.random.Generator, limit_days: np.ndarray) -> np.ndarray:
    """Read delays in days (80 % mean 4, 20 % mean 30), each conditioned below its limit."""
    mass_short = 0.8 * -np.expm1(-limit_days / 4.0)
    mass_long = 0.2 * -np.expm1(-limit_days / 30.0)
    scale = np.where(rng.random(len(limit_days)) * (mass_short + mass_long) < mass_short, 4.0, 30.0)
    # inverse of the exponential's distribution function, truncated at the limit
    return -scale * np.log1p(rng.random(len(limit_days)) * np.expm1(-limit_days / scale))
