"""Text normalisation for Chinese FAQ queries and KB phrasings.

Both sides go through the same function, so a rule never has to be right about which side a
spelling came from: NFKC, lower case, traditional → simplified, no zero-width characters or chat
emoticon codes, single spaces, no trailing punctuation, and a small map of typos and colloquial
forms that shop owners and bank customers type. ``normalize`` is what the e5 encoder sees and what
the intent and time-expression rules read.

``canonical`` goes further, for the lexical indices and the domain gate only: the trade and
dialect lexicon (``lexicon.py``: 咋整 → 怎么办, 定烟 → 订烟, 礼拜三 → 周三, 烟草证 → 许可证),
greetings in front dropped, question particles at clause ends dropped (so "能改不" and "能改吗？"
meet at "能改"). The time-expression and intent rules need 礼拜 and 了没 as typed, so they keep
``normalize``.
"""

import re
import unicodedata

from opencc import OpenCC

from engines.qa.lexicon import BASIC_WORDS, apply_lexicon, strip_particles

_T2S = OpenCC("t2s")

ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")

# QQ/WeChat emoticon names, typed as "/流泪" or "[流泪]" when the picture is lost.
# Single-character names (色, 睡, 发 …) are left out: "/发货" must keep its meaning.
EMOTICONS = (  # noqa: SIM905
    "微笑 撇嘴 色 发呆 得意 流泪 害羞 闭嘴 睡 大哭 尴尬 发怒 调皮 呲牙 惊讶 难过 酷 冷汗 抓狂 吐 "
    "偷笑 可爱 愉快 白眼 傲慢 饥饿 困 惊恐 流汗 憨笑 大兵 悠闲 奋斗 咒骂 疑问 嘘 晕 折磨 衰 骷髅 "
    "敲打 再见 擦汗 抠鼻 鼓掌 糗大了 坏笑 左哼哼 右哼哼 哈欠 鄙视 委屈 快哭了 阴险 亲亲 吓 可怜 "
    "菜刀 西瓜 啤酒 篮球 乒乓 咖啡 饭 猪头 玫瑰 凋谢 示爱 爱心 心碎 蛋糕 闪电 炸弹 刀 足球 瓢虫 "
    "便便 月亮 太阳 礼物 拥抱 强 弱 握手 胜利 抱拳 勾引 拳头 差劲 爱你 好的 捂脸 奸笑 机智 皱眉 "
    "耶 吃瓜 加油 汗 天啊 社会社会 旺柴 好的 打脸 哇 翻白眼 666 让我看看 叹气 苦涩 裂开 嘿哈 "
    "红包 发 福 ok no"
).split()
EMOTICONS = [name for name in EMOTICONS if len(name) > 1]
# Longest first, so "/流泪" is not cut to "/流" + "泪"; a slash code takes only a listed name.
_EMOTICON_NAMES = "|".join(sorted({re.escape(e) for e in EMOTICONS}, key=len, reverse=True))
EMOTICON = re.compile(rf"/(?:{_EMOTICON_NAMES})|\[(?:{_EMOTICON_NAMES})\]")

SPACES = re.compile(r"\s+")
TRAILING_PUNCTUATION = re.compile(r"[\s?？!！。.,，~～、…;；:：\"'“”‘’)）\]】]+$")
_BASIC = re.compile("|".join(sorted(map(re.escape, BASIC_WORDS), key=len, reverse=True)))


def normalize(text: str) -> str:
    """The canonical form used for indexing and querying; "" when nothing meaningful is left."""
    text = unicodedata.normalize("NFKC", text or "")
    text = ZERO_WIDTH.sub("", text).lower()
    text = EMOTICON.sub(" ", text)
    text = _T2S.convert(text)
    text = _BASIC.sub(lambda m: BASIC_WORDS[m.group(0)], text)
    text = SPACES.sub(" ", text).strip()
    return TRAILING_PUNCTUATION.sub("", text)


def dense_form(text: str) -> str:
    """What e5 is given: ``normalize`` plus the trade and dialect lexicon (烟证 → 许可证,
    定烟 → 订烟, 礼拜三 → 周三). e5 never learnt the trade's words, so "俺家烟证快到期了" and
    "许可证快到期了" would sit far apart; particles stay, e5 reads them well."""
    return apply_lexicon(normalize(text))


def canonical(text: str) -> str:
    """``normalize`` plus the trade and dialect lexicon and particle stripping (lexical side)."""
    return strip_particles(apply_lexicon(normalize(text)))
