"""Grouping similar unanswered questions for curation."""

import random
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.qa.cluster import (
    DEFAULT_THRESHOLD,
    cluster_questions,
    jaccard,
    representative,
    similar_pairs,
)
from engines.qa.normalize import normalize

RENEWAL = ["烟草证怎么续期", "烟草证如何续期", "烟草许可证怎么续期"]
CUTOFF = ["订货截止时间是几点", "几点前必须订货", "订烟最晚几点"]


def grouped_together(groups: list[list[int]], members: list[int]) -> bool:
    return any(set(members) <= set(group) for group in groups)


def test_near_duplicates_with_small_wording_changes_join():
    texts = ["扣款失败怎么办", *RENEWAL, "客户经理电话"]
    assert cluster_questions(texts)[0] == [1, 2, 3]


def test_paraphrases_sharing_few_characters_stay_apart():
    groups = cluster_questions(CUTOFF)
    assert groups == [[0], [1], [2]]


def test_different_asks_about_one_subject_stay_apart():
    texts = ["烟草证怎么续期", "烟草证怎么办理", "客户经理是谁", "客户经理电话多少"]
    assert cluster_questions(texts) == [[0], [1], [2], [3]]


def test_same_normalised_text_is_always_one_group():
    texts = ["订单", "訂單？", "送货", "订单 ", "ＱＱ", "qq", "?", "？！"]
    groups = cluster_questions(texts, threshold=1.0)
    assert [0, 1, 3] in groups and [4, 5] in groups and [6, 7] in groups


def test_groups_come_largest_first_with_members_in_input_order():
    texts = ["客户经理电话多少", *RENEWAL, "客户经理的电话是多少", "烟草证续期"]
    assert cluster_questions(texts) == [[1, 2, 3, 5], [0, 4]]


def test_custom_tokenizer_receives_normalised_text():
    seen = []

    def first_char(form: str) -> list[str]:
        seen.append(form)
        return [form[:1]]

    groups = cluster_questions(["订單", "订货", "送货"], tokenizer=first_char)
    assert (groups, seen) == ([[0, 1], [2]], ["订单", "订货", "送货"])


def test_threshold_outside_zero_one_is_rejected():
    with pytest.raises(ValueError):
        cluster_questions(["a"], threshold=0)


def test_representative_is_the_member_closest_to_the_others():
    texts = ["烟草许可证怎么续期", "许可证怎么续期", "烟草的证怎么续期", "无关的问题"]
    assert representative(texts, [0, 1, 2]) == 0
    assert representative(texts, [3]) == 3


def test_representative_counts_duplicates():
    texts = ["烟草证续期", "烟草许可证续期", "烟草许可证续期", "许可证续期"]
    assert representative(texts, [0, 1, 2, 3]) == 1


def test_average_link_does_not_chain_through_a_middle_question():
    # abcdef~cdefgh 0.5, cdefgh~efghij 0.5, abcdef~efghij 0.2: single link would join all three
    groups = cluster_questions(["abcdef", "cdefgh", "efghij"], tokenizer=list)
    assert groups == [[0, 1], [2]]


def test_near_duplicates_of_the_same_subject_join_across_a_chain():
    # 烟草证怎么续期 and 烟草证如何续期 have the same content (怎么/如何 are function words)
    assert cluster_questions(["烟草证怎么续期", "烟草证续期呢", "烟草证如何续期"]) == [[0, 1, 2]]


TOKEN_SETS = st.lists(st.frozensets(st.sampled_from("abcdefghij"), max_size=7), max_size=30)


@settings(max_examples=80, deadline=None)
@given(sets=TOKEN_SETS, threshold=st.sampled_from([0.2, 0.3, DEFAULT_THRESHOLD, 0.6, 0.8, 1.0]))
def test_prefix_index_finds_exactly_the_pairs_comparing_all_would(sets, threshold):
    every_pair = {
        (u, v): jaccard(sets[u], sets[v])
        for u, v in combinations(range(len(sets)), 2)
        if jaccard(sets[u], sets[v]) >= threshold
    }
    assert similar_pairs(sets, threshold) == every_pair


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="订货烟草证续期扣款失败怎么如何的吗点 ？", max_size=8), max_size=25)
)
def test_groups_partition_the_input_and_keep_equal_forms_together(texts):
    groups = cluster_questions(texts)
    assert sorted(i for group in groups for i in group) == list(range(len(texts)))
    assert all(group == sorted(group) for group in groups)
    group_of = {i: n for n, group in enumerate(groups) for i in group}
    for i, j in combinations(range(len(texts)), 2):
        if normalize(texts[i]) == normalize(texts[j]):
            assert group_of[i] == group_of[j]


SUBJECTS = [
    "烟草证",
    "许可证",
    "订单",
    "货款",
    "银行卡",
    "客户经理",
    "中华",
    "芙蓉王",
    "新店",
    "柜台",
]
ASKS = [
    "怎么续期",
    "如何办理",
    "什么时候到",
    "扣款失败",
    "怎么修改",
    "电话多少",
    "怎么陈列",
    "限量吗",
]
FILLERS = ["", "请问", "我想问下", "你好", "麻烦问一下"]
ENDINGS = ["", "啊", "呢", "？", "急", "谢谢"]


def synthetic_questions(n: int, seed: int = 0) -> list[str]:
    """``n`` shop-owner questions: templates with fillers and a random character now and then."""
    rng = random.Random(seed)
    noise = "的了我们这个那些有没能要会还就都"
    questions = []
    for _ in range(n):
        text = rng.choice(FILLERS) + rng.choice(SUBJECTS) + rng.choice(ASKS)
        if rng.random() < 0.5:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(noise) + text[at:]
        questions.append(text + rng.choice(ENDINGS))
    return questions


def test_synthetic_groups_do_not_mix_asks():
    texts = [*synthetic_questions(1000), *RENEWAL]
    groups = cluster_questions(texts)
    for i in range(len(texts) - len(RENEWAL), len(texts)):
        group = next(group for group in groups if i in group)
        assert all("续" in texts[j] and "期" in texts[j] for j in group), [texts[j] for j in group]
    assert len(groups) > len(SUBJECTS) * len(ASKS) / 2  # not a few chained blobs
