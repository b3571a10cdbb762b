"""Rule matching (pure): first match wins, defaults cover the grid, planning is consistent."""

from hypothesis import given
from hypothesis import strategies as st

from customers import segmentation
from customers.segmentation import DEFAULT_RULES, DEFAULT_SEGMENT, Rule, ShopFacts, classify

grades = st.integers(1, 30)
stars = st.integers(1, 5)
segments = st.sampled_from(segmentation.SEGMENTS)


def test_default_rules_follow_the_documented_table():
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 30, 5) == "core"
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 24, 4) == "core"
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 24, 3) == "key"
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 18, 3) == "key"
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 10, 4) == "potential"
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 12, 3) == "potential"
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 11, 3) == "ordinary"
    assert classify(DEFAULT_RULES, DEFAULT_SEGMENT, 30, 2) == "ordinary"


@given(grade=grades, star=stars)
def test_a_better_shop_never_falls_to_a_lower_class_under_the_defaults(grade, star):
    rank = {"core": 0, "key": 1, "potential": 2, "ordinary": 3}
    here = rank[classify(DEFAULT_RULES, DEFAULT_SEGMENT, grade, star)]
    if grade < 30:
        above = classify(DEFAULT_RULES, DEFAULT_SEGMENT, grade + 1, star)
        # More sales may turn potential into key or core, never into ordinary.
        assert not (above == "ordinary" and here < 3)
    if star < 5:
        assert rank[classify(DEFAULT_RULES, DEFAULT_SEGMENT, grade, star + 1)] <= here


@given(
    rules=st.lists(
        st.builds(
            lambda seg, g, s: Rule(
                seg, grade_min=g[0], grade_max=g[1], star_min=s[0], star_max=s[1]
            ),
            segments,
            st.tuples(grades, grades).map(sorted),
            st.tuples(stars, stars).map(sorted),
        ),
        max_size=6,
    ),
    default=segments,
    grade=grades,
    star=stars,
)
def test_every_shop_gets_exactly_the_first_matching_class(rules, default, grade, star):
    got = classify(rules, default, grade, star)
    matching = [r.segment for r in rules if r.matches(grade, star, "", "")]
    assert got == (matching[0] if matching else default)


@given(
    facts=st.lists(
        st.builds(
            ShopFacts,
            st.integers(1, 10_000),
            grades,
            stars,
            st.just("urban"),
            st.just("grocery"),
            segments,
        ),
        max_size=60,
        unique_by=lambda f: f.shop_id,
    )
)
def test_planned_moves_and_transition_counts_agree(facts):
    moves = segmentation.plan_changes(DEFAULT_RULES, DEFAULT_SEGMENT, facts)
    counts = segmentation.transition_counts(DEFAULT_RULES, DEFAULT_SEGMENT, facts)
    assert sum(counts.values()) == len(facts)
    assert sum(len(ids) for ids in moves.values()) == sum(
        n for (a, b), n in counts.items() if a != b
    )
    for segment, ids in moves.items():
        for shop in (f for f in facts if f.shop_id in ids):
            assert shop.segment != segment


def test_market_and_business_type_narrow_a_rule():
    rural_core = Rule("core", grade_min=20, star_min=3, market_type="rural")
    assert classify([rural_core], "ordinary", 22, 3, "rural", "grocery") == "core"
    assert classify([rural_core], "ordinary", 22, 3, "urban", "grocery") == "ordinary"


def test_invalid_ranges_are_reported():
    assert segmentation.validate_rule(Rule("core", grade_min=20, grade_max=10)) == [
        ("grade_min", "grade_range")
    ]
    assert segmentation.validate_rule(Rule("gold")) == [("segment", "unknown_segment")]
