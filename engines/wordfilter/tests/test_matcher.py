"""Matcher: hits and their offsets, the allow list, actions, masking, and bad lists."""

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engines.wordfilter import Action, Hit, WordList, normalise

LIST = [
    ("违禁词甲", Action.BLOCK),
    ("秘方烟", Action.REVIEW),
    ("方烟草", Action.FLAG),
    ("假冒香烟", Action.BLOCK),
    ("代购", Action.MASK),
    ("大麻", Action.BLOCK),
]
ALLOW = ["大麻哈鱼", "代购须知"]


@pytest.fixture(scope="module")
def matcher():
    return WordList.compile(LIST, allow=ALLOW)


def _spans(hits):
    return [(hit.word, hit.start, hit.end) for hit in hits]


def test_a_disguised_word_is_found_at_the_original_characters_it_was_typed_as(matcher):
    text = "请勿发布違 禁-詞詞甲的内容"
    [hit] = matcher.scan(text)
    assert hit == Hit("违禁词甲", Action.BLOCK, 4, 11)
    assert text[hit.start : hit.end] == "違 禁-詞詞甲"


def test_a_word_in_the_middle_of_a_long_text_is_found_exactly_once(matcher):
    filler = "今天天气很好我们去公园散步吧" * 400
    text = filler[:3000] + "假冒香烟" + filler[3000:]
    assert _spans(matcher.scan(text)) == [("假冒香烟", 3000, 3004)]


def test_a_word_is_not_found_across_an_unrelated_character(matcher):
    # only separators may sit between a word's characters, never another character
    assert matcher.scan("假冒的香烟，代表购买") == []


def test_overlapping_hits_are_all_reported_by_start(matcher):
    assert _spans(matcher.scan("秘方烟草 秘方烟")) == [
        ("秘方烟", 0, 3),
        ("方烟草", 1, 4),
        ("秘方烟", 5, 8),
    ]


def test_a_hit_inside_an_allowed_phrase_is_suppressed_and_the_same_word_elsewhere_is_not(matcher):
    assert matcher.scan("大麻哈鱼很好吃") == []
    assert _spans(matcher.scan("大麻哈鱼和大麻")) == [("大麻", 5, 7)]


def test_an_allowed_phrase_is_recognised_in_its_disguised_forms_too(matcher):
    assert matcher.scan("大 麻·哈魚") == []  # 魚 is traditional for 鱼


def test_a_hit_reaching_out_of_an_allowed_phrase_is_kept():
    matcher = WordList.compile([("知代", Action.FLAG), ("代购", Action.MASK)], allow=["代购须知"])
    assert _spans(matcher.scan("代购须知代购")) == [("知代", 3, 5), ("代购", 4, 6)]


def test_spellings_that_normalise_alike_keep_the_stronger_action_and_its_spelling():
    matcher = WordList.compile([("违禁词甲", Action.FLAG), ("違禁詞甲", Action.BLOCK)])
    assert len(matcher) == 1
    assert _spans(matcher.scan("违禁词甲")) == [("違禁詞甲", 0, 4)]
    assert matcher.scan("违禁词甲")[0].action is Action.BLOCK


def test_a_duplicate_with_a_weaker_action_does_not_weaken_the_word():
    matcher = WordList.compile([("代购", Action.REVIEW), ("代 购", Action.MASK)])
    [hit] = matcher.scan("找代购")
    assert (hit.word, hit.action) == ("代购", Action.REVIEW)


def test_actions_may_be_given_by_their_stored_values():
    matcher = WordList.compile([("秘方烟", "review")])
    assert matcher.scan("秘方烟")[0].action is Action.REVIEW


def test_strongest_orders_block_review_flag_mask():
    assert Action.strongest([Action.MASK, Action.FLAG]) is Action.FLAG
    assert Action.strongest([Action.FLAG, Action.REVIEW, Action.MASK]) is Action.REVIEW
    assert Action.strongest([Action.REVIEW, Action.BLOCK]) is Action.BLOCK
    assert Action.strongest([]) is None


def test_the_verdict_is_the_strongest_action_with_distinct_blocked_words_in_order(matcher):
    verdict = matcher.verdict("代购假冒香烟，再说一次违禁词甲和假冒香烟")
    assert verdict.action is Action.BLOCK
    assert [hit.word for hit in verdict.hits] == ["代购", "假冒香烟", "违禁词甲", "假冒香烟"]
    assert verdict.blocked_words == ("假冒香烟", "违禁词甲")


def test_the_verdict_on_a_text_with_only_weak_words_names_no_blocked_word(matcher):
    verdict = matcher.verdict("秘方烟草")
    assert (verdict.action, verdict.blocked_words) == (Action.REVIEW, ())


def test_a_clean_text_gets_no_action(matcher):
    verdict = matcher.verdict("今天进了一批新货")
    assert (verdict.action, verdict.hits, verdict.blocked_words) == (None, (), ())


def test_masking_replaces_each_character_of_a_hit_and_keeps_separators_visible(matcher):
    assert matcher.mask("找代购吗") == "找**吗"
    assert matcher.mask("别发违 禁-詞甲。") == "别发* *-**。"
    assert matcher.mask("微代代购", char="＊") == "微＊＊＊"  # the whole collapsed run


def test_masking_covers_overlapping_hits_and_spares_allowed_phrases(matcher):
    assert matcher.mask("秘方烟草，大麻哈鱼，大麻") == "****，大麻哈鱼，**"


def test_a_mask_must_be_one_character(matcher):
    with pytest.raises(ValueError, match="one character"):
        matcher.mask("代购", char="**")


@pytest.mark.parametrize("word", ["！！！", " - ", "\u200b"])
def test_a_word_of_separators_only_is_refused_by_name(word):
    with pytest.raises(ValueError, match="sensitive word") as raised:
        WordList.compile([("代购", Action.MASK), (word, Action.BLOCK)])
    assert repr(word) in str(raised.value)


def test_an_allowed_phrase_of_separators_only_is_refused():
    with pytest.raises(ValueError, match="allow-list phrase '。。'"):
        WordList.compile([("代购", Action.MASK)], allow=["。。"])


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="delete"):
        WordList.compile([("代购", "delete")])


def test_an_empty_list_and_an_empty_text_find_nothing(matcher):
    empty = WordList.compile([])
    assert empty.scan("违禁词甲") == []
    assert empty.verdict("违禁词甲").action is None
    assert empty.mask("违禁词甲") == "违禁词甲"
    assert matcher.scan("") == []
    assert matcher.mask("") == ""


def test_an_allow_list_without_words_finds_nothing():
    assert WordList.compile([], allow=["大麻哈鱼"]).scan("大麻哈鱼") == []


def test_the_compiled_list_cannot_be_changed(matcher):
    with pytest.raises(AttributeError):
        matcher.word_list = WordList.compile([]).word_list
    with pytest.raises(TypeError):
        matcher.word_list.words["代购"] = ("代购", Action.BLOCK)


def test_threads_scanning_at_once_see_what_one_thread_sees(matcher):
    texts = [f"第{n}条：违 禁詞甲、秘方烟草、大麻哈鱼和大麻" * (n % 5 + 1) for n in range(40)]
    expected = [matcher.scan(text) for text in texts]
    seen: dict[int, list] = {}

    def scan_all(worker: int) -> None:
        seen[worker] = [matcher.scan(text) for text in texts]

    threads = [threading.Thread(target=scan_all, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results == expected for results in seen.values())
    assert len(seen) == 8


@given(st.text(alphabet="违禁词甲秘方烟草代购违禁 -，\u200b違詞", max_size=60))
def test_every_hit_spans_original_text_that_normalises_to_its_word(text):
    matcher = WordList.compile(LIST)
    for hit in matcher.scan(text):
        assert normalise(text[hit.start : hit.end])[0] == normalise(hit.word)[0]
        # the span starts and ends on characters of the word, never on a separator
        assert normalise(text[hit.start])[0] and normalise(text[hit.end - 1])[0]


def test_mask_can_be_limited_to_some_actions():
    from engines.wordfilter import Action, WordList

    matcher = WordList.compile([("笨蛋", Action.MASK), ("秘方烟", Action.REVIEW)])
    assert matcher.mask("笨蛋卖秘方烟", only=[Action.MASK]) == "**卖秘方烟"
    assert matcher.mask("笨蛋卖秘方烟") == "**卖***"
