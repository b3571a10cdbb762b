"""Explained article recommendations for shops (为您推荐): pure Python + numpy, no Django.

    engine = Recommender.build(items, readers, reads, now=time.time())
    engine.recommend(shop_id, k=10)                      # [Recommendation(item_id, score, reason)]
    engine.recommend(shop_id, k=10, personalised=False)  # personalisation off: engine.popular()

Score of a live item i (published_at <= now, not read by the reader) for reader r, every
component scaled to [0, 1] and weighted by ``Params`` (the weights are the most each can add)::

    score = coread_weight   * coread(r, i)              # readers of r's reads read i lately
          + cohort_weight   * cohort(r, i)              # read lately by shops of r's cohort
          + interest_weight * interest(r, i) * aged(i)  # i's topic is one of r's topics
          + audience_weight * audience(r, i) * aged(i)  # i is tagged for r's class / type
          + popular_weight  * popular(i)                # read lately across the city
          + fresh_weight    * fresh(i)                  # exp(-age_days / fresh_days)

    aged(i) = match_floor + (1 - match_floor) * fresh(i)   # an old match is worth less

- coread: sum over r's read items j of cos(j, i) = w(j, i) / sqrt(n(j) w(i)): n(j) readers of
  j, w(i) their reads of i weighted as for popularity (below), w(j, i) the same over the
  readers of j; so "readers of j also read i lately", and articles no longer read fade out.
  Pairs with fewer than ``min_coreaders`` (>= 5) such co-readers in the window count 0.
  Divided by r's largest value over the items.
- cohort: reads of i by r's cohort, each weighted 1 if in the last ``recent_days`` (7), then
  halving every ``half_life_days`` (7), 0 past ``window_days`` (30); divided by the cohort's
  most-read item. The cohort is class x business type x market when it holds at least
  ``min_cohort_readers`` readers, else class x business type, else business type.
- interest: 1 if i's topic is one the shop chose; when it chose none, reads of the topic / reads
  of r's most-read topic (from ``min_reads_inferred`` reads on; 0 before).
- audience: of the dimensions i targets by tag (``seg:<class>``, ``bt:<business type>``), the
  share that are r's; 0 for an untargeted item.
- popular: the same decayed reads over all readers, divided by the most-read item's.

Reason: the strongest shop-specific component (co-read, cohort, interest, audience) when it adds at
least ``personal_min``, else the component contributing most (ties: the order above), among those
that may be shown. A cohort reason names the cohort (fields of a coarser level are None) and
the distinct other shops of it that read i in the window; it is never given for fewer than
``min_cohort_shops`` (>= 5): the next component explains the item instead. Kinds and params:
``coread`` {item_id}, ``cohort`` {segment, business_type, market_type, shops}, ``interest``
{topic, source: "chosen" | "reads"}, ``audience`` {segment, business_type} (the matched ones,
else None), ``popular`` {}, ``fresh`` {}.

``personalised=False`` (PIPL art. 24: the shop turned personalisation off) returns the
non-personalised list, ``popular()``: live items by fresh + popular only, identical for every
reader, its reason whichever of the two contributes more. Ties are broken by item id.
"""

from engines.recommend.model import (
    AUDIENCE,
    COHORT,
    COREAD,
    DEFAULT,
    FRESH,
    INTEREST,
    POPULAR,
    REASON_KINDS,
    Item,
    Params,
    Read,
    Reader,
    Reason,
    Recommendation,
    business_type_tag,
    segment_tag,
)
from engines.recommend.recommender import Recommender

__all__ = [
    "AUDIENCE",
    "COHORT",
    "COREAD",
    "DEFAULT",
    "FRESH",
    "INTEREST",
    "POPULAR",
    "REASON_KINDS",
    "Item",
    "Params",
    "Read",
    "Reader",
    "Reason",
    "Recommendation",
    "Recommender",
    "business_type_tag",
    "segment_tag",
]
