"""Segment-rule matching: pure arithmetic, no ORM, so it is fast on 50,000 shops and easy to test.

A rule set is an ordered list of rules; a shop takes the class of the first rule whose ranges all
match, else the rule set's default class. The documented defaults (docs/segmentation.md) follow the
seed documents: high sales with strong operations is core, good sales is key, strong operations
with modest sales is potential, the rest is ordinary.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

SEGMENTS = ("core", "key", "potential", "ordinary")


@dataclass(frozen=True)
class Rule:
    segment: str
    grade_min: int = 1
    grade_max: int = 30
    star_min: int = 1
    star_max: int = 5
    market_type: str = ""  # "" matches every market type
    business_type: str = ""  # "" matches every business type

    def matches(self, grade: int, star: int, market_type: str, business_type: str) -> bool:
        return (
            self.grade_min <= grade <= self.grade_max
            and self.star_min <= star <= self.star_max
            and (not self.market_type or self.market_type == market_type)
            and (not self.business_type or self.business_type == business_type)
        )


@dataclass(frozen=True)
class ShopFacts:
    shop_id: int
    grade: int
    star: int
    market_type: str
    business_type: str
    segment: str  # the current class


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("core", grade_min=24, star_min=4),
    Rule("key", grade_min=18, star_min=3),
    Rule("potential", grade_max=17, star_min=4),
    Rule("potential", grade_min=12, grade_max=17, star_min=3, star_max=3),
)
DEFAULT_SEGMENT = "ordinary"


def classify(
    rules: Iterable[Rule],
    default: str,
    grade: int,
    star: int,
    market_type: str = "",
    business_type: str = "",
) -> str:
    """The class of one shop under ``rules`` (first match wins)."""
    for rule in rules:
        if rule.matches(grade, star, market_type, business_type):
            return rule.segment
    return default


def plan_changes(
    rules: tuple[Rule, ...], default: str, shops: Iterable[ShopFacts]
) -> dict[str, list[int]]:
    """Shop ids grouped by their new class, for the shops whose class changes."""
    # Matching by (grade, star, market, business) key: 30 × 5 × 2 × 8 distinct keys at most, so
    # 50,000 shops cost a few hundred rule evaluations and a dict look-up each.
    memo: dict[tuple[int, int, str, str], str] = {}
    moves: dict[str, list[int]] = {}
    for shop in shops:
        key = (shop.grade, shop.star, shop.market_type, shop.business_type)
        new = memo.get(key)
        if new is None:
            new = memo[key] = classify(rules, default, *key)
        if new != shop.segment:
            moves.setdefault(new, []).append(shop.shop_id)
    return moves


def transition_counts(
    rules: tuple[Rule, ...], default: str, shops: Iterable[ShopFacts]
) -> Counter[tuple[str, str]]:
    """How many shops would go from each class to each class (unchanged shops included)."""
    memo: dict[tuple[int, int, str, str], str] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for shop in shops:
        key = (shop.grade, shop.star, shop.market_type, shop.business_type)
        new = memo.get(key)
        if new is None:
            new = memo[key] = classify(rules, default, *key)
        counts[(shop.segment, new)] += 1
    return counts


def validate_rule(rule: Rule) -> list[tuple[str, str]]:
    """Problems with one rule as (field, message-key) pairs; empty when valid."""
    problems = []
    if rule.segment not in SEGMENTS:
        problems.append(("segment", "unknown_segment"))
    if not 1 <= rule.grade_min <= rule.grade_max <= 30:
        problems.append(("grade_min", "grade_range"))
    if not 1 <= rule.star_min <= rule.star_max <= 5:
        problems.append(("star_min", "star_range"))
    return problems
