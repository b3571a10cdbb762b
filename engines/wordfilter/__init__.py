"""Sensitive-word filter for the moderated forum: the company's list of words, each with an action.

    matcher = WordList.compile([("违禁词甲", Action.BLOCK), ("代购", Action.REVIEW)],
                               allow=["代购须知"])
    matcher.verdict("违 禁-詞甲").action            # Action.BLOCK
    matcher.mask("找代购吗")                        # "找**吗"

Text and words are compared in a normalised form (``normalise``: NFKC, case, traditional →
simplified, number forms, separators, repeats); hits carry offsets into the original text. Pure
Python plus pyahocorasick and opencc's character table; no Django.
"""

from engines.wordfilter.filter import Action, Hit, Matcher, Verdict, WordList
from engines.wordfilter.normalise import normalise

__all__ = ["Action", "Hit", "Matcher", "Verdict", "WordList", "normalise"]
