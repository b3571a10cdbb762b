"""Dialect and slip variants of a KB's own phrasings: simulated shop-owner queries for fitting.

Calibration asks each variant with its source phrasing hidden (leave-one-phrasing-out), so the
answer threshold is fitted on queries as noisy as real ones, not on the KB's clean wording.
A variant is the source with 1–3 edits drawn, seeded, from:

- the inverse lexicon: 怎么 → 咋, 什么 → 啥, 我 → 俺, 周三 → 礼拜三, 许可证 → 烟草证, 订货 → 定货,
  吗 → 不 / 啊 at the end … (``canonical`` maps these back, so they test the lexicon);
- slips that survive normalisation: a dropped or doubled character, two neighbours swapped,
  a homophone typo from ``TYPOS``, punctuation dropped, a particle or a greeting added, a bit
  of context in front ("我是开小卖部的").

Deterministic: the same phrasing and seed give the same variants (``random.Random`` seeded by
the text's CRC, never Python's salted ``hash``).
"""

import random
import re
import zlib

from engines.qa.normalize import canonical

# Standard form → how people slip typing it with a pinyin keyboard (same or near sound).
TYPOS = {
    "许可证": "许可症",
    "扣款": "扣歀",
    "账单": "帐单",
    "账户": "帐户",
    "注销": "注消",
    "登录": "登陆",
    "截止": "截至",
    "已经": "以经",
    "验证码": "验正码",
    "密码": "秘码",
    "档位": "挡位",
    "陈列": "陈例",
    "配送": "配宋",
    "在": "再",
    "再": "在",
    "的": "地",
    "做": "作",
    "那": "哪",
    "哪": "那",
    "帐": "账",
    "付": "副",
    "订": "定",
    "型": "形",
    "码": "吗",
}
# Standard form → dialect / colloquial forms (the inverse of lexicon.WORDS and its rules).
DIALECT = {
    "怎么办": ("咋整", "咋办", "咋弄", "咋搞"),
    "怎么": ("咋",),
    "什么时候": ("啥时候", "多会儿"),
    "什么": ("啥",),
    "为什么": ("为啥",),
    "我们": ("俺们", "咱们"),
    "我": ("俺",),
    "没有": ("木有", "没得"),
    "许可证": ("烟草证", "烟证", "专卖证"),
    "订烟": ("定烟",),
    "订货": ("定货",),
    "卷烟": ("香烟", "烟"),
    "周": ("礼拜", "星期"),
    "星期": ("礼拜",),
    "可以吗": ("中不中", "行不", "中不", "行不行"),
    "能不能": ("能", "中不中"),
}
ENDINGS = ("啊", "呀", "呢", "哈", "嘛", "不", "没", "咧", "啊？", "呢？？")
GREETINGS = ("你好，", "请问", "问一下", "在吗，", "老师，", "你好 ")
CONTEXT = ("我是开小卖部的，", "俺家店", "我们这边", "我这个店", "那个", "今天")
PUNCTUATION = re.compile(r"[\s?？!！。.,，~～、…;；:：]")


def _dialect(text: str, rng: random.Random) -> str:
    found = [key for key in DIALECT if key in text]
    if not found:
        return text
    key = rng.choice(found)
    return text.replace(key, rng.choice(DIALECT[key]), 1)


def _typo(text: str, rng: random.Random) -> str:
    found = [key for key in TYPOS if key in text]
    if not found:
        return text
    key = rng.choice(found)
    return text.replace(key, TYPOS[key], 1)


def _drop(text: str, rng: random.Random) -> str:
    if len(text) < 5:
        return text
    i = rng.randrange(len(text))
    return text[:i] + text[i + 1 :]


def _swap(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _ending(text: str, rng: random.Random) -> str:
    text = text.rstrip("?？!！。.,，~～ ")
    if text.endswith("吗") and rng.random() < 0.5:
        text = text[:-1]
    return text + rng.choice(ENDINGS)


def _front(text: str, rng: random.Random) -> str:
    return rng.choice(GREETINGS + CONTEXT) + text


def _no_punctuation(text: str, rng: random.Random) -> str:
    return PUNCTUATION.sub("", text) or text


# Dialect twice as likely: it is what the lexicon must cope with; slips keep the fit honest.
EDITS = (_dialect, _dialect, _typo, _drop, _swap, _ending, _front, _no_punctuation)


def variants(phrasing: str, count: int = 2, seed: int = 0) -> list[str]:
    """Up to ``count`` distinct variants whose normal form differs from the phrasing's own.

    A variant that ``canonical`` maps back onto its source would only repeat the source as a
    query; it is replaced by another draw (a few attempts, so short phrasings may get fewer).
    """
    rng = random.Random(zlib.crc32(phrasing.encode("utf-8")) ^ seed)
    source = canonical(phrasing)
    found: list[str] = []
    seen = {source}
    for _ in range(count * 8):
        if len(found) >= count:
            break
        text = phrasing
        for edit in rng.sample(EDITS, rng.randint(1, 3)):
            text = edit(text, rng)
        form = canonical(text)
        if form and form not in seen:
            seen.add(form)
            found.append(text)
    return found
