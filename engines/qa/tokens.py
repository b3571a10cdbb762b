"""Tokens for the two lexical indices: jieba words and character unigrams + bigrams.

Each engine keeps its own ``jieba.Tokenizer`` so a domain dictionary never leaks into jieba's
global tokenizer (or into the anchor, which must stay plain jieba).
"""

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba

DOMAIN_DICT = Path(__file__).with_name("domain_dict.txt")

jieba.setLogLevel(logging.WARNING)

# A char-token unit: a run of ASCII letters/digits, or one other non-space, non-punctuation char.
_UNIT = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def is_noise(token: str) -> bool:
    """Whitespace, punctuation or symbols only: carries no meaning for retrieval."""
    return all(ch.isspace() or unicodedata.category(ch)[0] in "PSZC" for ch in token)


@lru_cache(maxsize=8)
def word_tokenizer(domain_words: tuple[str, ...] = (), domain_dict: bool = True) -> jieba.Tokenizer:
    """A private jieba tokenizer (precise mode), with the shipped dictionary and extra words."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    if domain_dict:
        tokenizer.load_userdict(str(DOMAIN_DICT))
    for word in domain_words:
        if word.strip():
            tokenizer.add_word(word.strip())
    return tokenizer


def words(text: str, tokenizer: jieba.Tokenizer) -> list[str]:
    return [t for t in tokenizer.lcut(text) if not is_noise(t)]


def chars(text: str) -> list[str]:
    """Character unigrams and in-run bigrams; punctuation and spaces break a run."""
    tokens: list[str] = []
    for run in re.split(r"[\s\W_]+", text):
        units = [u for u in _UNIT.findall(run) if not is_noise(u)]
        tokens.extend(units)
        tokens.extend(a + b for a, b in zip(units, units[1:], strict=False))
    return tokens
