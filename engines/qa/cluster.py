"""Group similar unanswered questions for the knowledge managers' curation page.

    groups = cluster_questions(texts)              # [[3, 7, 9], [0, 4], [1], …] indices
    label = texts[representative(texts, groups[0])]

Rules:
- A question is the set of character unigrams and bigrams (``tokens.chars``) of its normalised
  text with question and function words taken out (怎么, 如何, 可以, 吗, 的, 我的 …): otherwise
  怎么 vs 如何 weighs as much as 续期 vs 办理. Similarity is the Jaccard index of two sets.
- Average link over the pairs with similarity ≥ ``threshold`` (other pairs count as 0): the two
  groups with the highest mean pairwise similarity merge while that mean is ≥ ``threshold``.
  Unlike single link this does not chain A~B~C into one group when A and C have nothing in
  common. The same normalised text is one item, so its copies always share a group.
- Default threshold 0.45: near-duplicates join (烟草证怎么续期 / 烟草证如何续期 1.0 / 烟草许可证
  怎么续期 0.57); different asks on one subject stay apart (烟草证怎么办理 0.38, 客户经理是谁 /
  客户经理电话多少 0.41), and so do paraphrases sharing few characters (订货截止时间是几点 /
  几点前必须订货 0.27 / 订烟最晚几点 0.18).
- Candidate pairs come from an inverted index with prefix filtering: tokens are ordered rarest
  first and a set indexes only its first |x| − ⌈t·|x|⌉ + 1; two sets with Jaccard ≥ t must share
  one of those, so the result is exact without comparing all pairs.
- Groups come largest first (ties: earliest first member), members in input order.
"""

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from engines.qa.normalize import normalize
from engines.qa.tokens import chars

DEFAULT_THRESHOLD = 0.45
# Longest first, so 为什么 goes whole; 怎么办 is left out because it would cut 怎么办理 to 理.
FUNCTION_WORDS = (  # noqa: SIM905
    "为什么 怎么 如何 怎样 什么 请问 问一下 问下 想问 一下 麻烦 你好 您好 谢谢 可以 是否 能否 "
    "我们 我的 你们 我 你 您 吗 呢 吧 啊 呀 哦 的 了 是"
).split()
_FUNCTION_WORDS = re.compile("|".join(sorted(FUNCTION_WORDS, key=len, reverse=True)))
# A representative is scored against at most this many distinct members, so one huge group
# cannot make the curation page quadratic.
REPRESENTATIVE_SAMPLE = 300

Tokenizer = Callable[[str], Iterable[str]]


def question_tokens(form: str) -> list[str]:
    """Character unigrams and bigrams of a normalised question without its function words."""
    content = _FUNCTION_WORDS.sub("", form)
    return chars(content if content.strip() else form)  # 怎么了 alone keeps its words


def _distinct(texts: list[str], tokenizer: Tokenizer | None) -> tuple[list[int], list[frozenset]]:
    """Index of each text's distinct normalised form, and each form's token set."""
    tokenize = tokenizer or question_tokens
    form_ids: dict[str, int] = {}
    sets: list[frozenset] = []
    ids = []
    for text in texts:
        form = normalize(text)
        if form not in form_ids:
            form_ids[form] = len(sets)
            sets.append(frozenset(tokenize(form)))
        ids.append(form_ids[form])
    return ids, sets


def jaccard(a: frozenset, b: frozenset) -> float:
    """Shared over combined tokens; 0 for two empty sets (nothing in common to go by)."""
    if not a and not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def similar_pairs(sets: list[frozenset], threshold: float) -> dict[tuple[int, int], float]:
    """Every pair (u < v) of sets with Jaccard ≥ ``threshold``, found through the prefix index."""
    frequency = Counter(token for tokens in sets for token in tokens)
    # Tokens as ranks, rarest first: a prefix is a slice of the sorted ranks and ints hash fast.
    rank = {token: r for r, token in enumerate(sorted(frequency, key=lambda t: (frequency[t], t)))}
    ranked = [frozenset(rank[token] for token in tokens) for tokens in sets]
    index: dict[int, list[int]] = defaultdict(list)
    pairs: dict[tuple[int, int], float] = {}
    for v, tokens in enumerate(ranked):
        size = len(tokens)
        prefix = size - math.ceil(threshold * size - 1e-9) + 1
        candidates: set[int] = set()
        for token in sorted(tokens)[:prefix]:
            candidates.update(index[token])
            index[token].append(v)
        for u in candidates:
            shared = len(tokens & ranked[u])
            similarity = shared / (size + len(ranked[u]) - shared)
            if similarity >= threshold:
                pairs[u, v] = similarity
    return pairs


def _average_link(count: int, pairs: dict[tuple[int, int], float], threshold: float) -> list[int]:
    """Cluster label per item: merge the closest groups while their mean similarity ≥ threshold."""
    size = [1] * count
    parent = list(range(count))
    links: list[dict[int, float]] = [{} for _ in range(count)]  # summed similarity to neighbours
    for (u, v), similarity in pairs.items():
        links[u][v] = links[v][u] = similarity
    heap = [(-similarity, u, v) for (u, v), similarity in pairs.items()]
    heapq.heapify(heap)
    while heap:
        negated, u, v = heapq.heappop(heap)
        if v not in links[u] or links[u][v] / (size[u] * size[v]) != -negated:
            continue  # a merge since then changed or removed this pair; a fresh entry exists
        keep, gone = min(u, v), max(u, v)
        parent[gone] = keep
        size[keep] += size[gone]
        del links[keep][gone]
        for other, summed in links[gone].items():
            if other != keep:
                del links[other][gone]
                links[keep][other] = links[other][keep] = links[keep].get(other, 0.0) + summed
        links[gone] = {}
        for other, summed in links[keep].items():
            mean = summed / (size[keep] * size[other])
            if mean >= threshold:
                heapq.heappush(heap, (-mean, min(keep, other), max(keep, other)))
    labels = []
    for item in range(count):
        while parent[item] != item:
            item = parent[item]
        labels.append(item)
    return labels


def cluster_questions(
    texts: list[str], *, threshold: float = DEFAULT_THRESHOLD, tokenizer: Tokenizer | None = None
) -> list[list[int]]:
    """Groups of indices into ``texts`` (module rules); ``tokenizer`` gets the normalised text."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    ids, sets = _distinct(texts, tokenizer)
    labels = _average_link(len(sets), similar_pairs(sets, threshold), threshold)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, form in enumerate(ids):
        groups[labels[form]].append(i)
    return sorted(groups.values(), key=lambda members: (-len(members), members[0]))


def representative(
    texts: list[str], group: list[int], *, tokenizer: Tokenizer | None = None
) -> int:
    """The member of ``group`` most similar to the others (summed Jaccard); earliest on ties."""
    if not group:
        raise ValueError("empty group")
    ids, sets = _distinct([texts[i] for i in group], tokenizer)
    counts = Counter(ids)
    forms = sorted(counts)  # distinct forms in order of first appearance
    step = max(1, len(forms) // REPRESENTATIVE_SAMPLE)
    sample = forms[::step]
    scores = {
        form: counts[form]
        - 1
        + sum(counts[o] * jaccard(sets[form], sets[o]) for o in sample if o != form)
        for form in forms
    }
    best = max(forms, key=lambda form: (scores[form], -form))
    return group[ids.index(best)]
