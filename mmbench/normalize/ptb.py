"""Preset ``ptb``: COCO caption tokenization without Java.

A pure-Python re-implementation of what pycocoevalcap's ``COCOEvalCap`` does to every
caption: the Stanford PTBTokenizer (CoreNLP 3.4.1, ``-preserveLines -lowerCase``), then
removal of the tokens in pycocoevalcap's ``PUNCTUATIONS`` list. Its quirks are kept on
purpose, because they change scores: lower-casing turns ``-LRB-`` into ``-lrb-``, which
the list (written in upper case) no longer removes; a fraction like ``2 1/2`` becomes one
token with a no-break space inside (``str.split`` later splits it, ``split(" ")`` does
not); ``cannot`` becomes ``can not``. Agreement with the Java tokenizer is measured by
``benchmarks/bench_ptb_agreement.py`` (see ``benchmarks/RESULTS.md``).

>>> ptb("A man's dog (brown), isn't it?")
"a man 's dog -lrb- brown -rrb- is n't it"
>>> ptb_tokens("Dr. Smith paid $5.50 in the U.S.")
['dr.', 'smith', 'paid', '$', '5.50', 'in', 'the', 'u.s.']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from mmbench.registry import NORMALIZERS

#: Tokens pycocoevalcap removes after PTB tokenization (its ``PUNCTUATIONS``), verbatim.
PUNCTUATIONS = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-"]
    + [".", "?", "!", ",", ":", "-", "--", "...", ";"]
)

#: Words that keep a following period (PTB abbreviation classes: titles, months, days,
#: companies, places). ``no.`` only keeps it before a number (below).
_ABBREVIATIONS = (
    "mr|mrs|ms|messrs|mme|mlle|dr|prof|gen|gov|rep|sen|lt|col|maj|sgt|capt|cmdr|adm|rev|hon|"
    "sr|jr|st|fr|rt|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|tues|wed|thu|"
    "thurs|fri|inc|co|cos|corp|pty|ltd|plc|bancorp|dept|bhd|assn|univ|intl|sys|ave|blvd|rd|"
    "ft|mt|hwy|vs|etc|ala|ariz|ark|calif|colo|conn|dak|del|fla|ga|ill|ind|kan|kans|ky|la|md|"
    "mass|mich|minn|miss|mo|mont|neb|nev|okla|ore|pa|penn|tenn|tex|va|vt|wash|wis|wisc|wyo"
)

_LETTER = r"[^\W\d_]"
_CAPS_AMP = r"(?<=(?-i:[A-Z]))&(?=(?-i:[A-Z]))"  # AT&T stays one token, q&a does not
_ALNUM = r"[^\W_]"

_TOKEN = re.compile(
    rf"""
    (?P<url>(?:https?|ftp)://\S+|www\.\S+|[\w.+-]+@\w[\w-]*(?:\.\w[\w-]*)+)
  | (?P<acronym>{_LETTER}(?:\.{_LETTER})+\.?(?!{_ALNUM}))
  | (?P<abbrev>(?=[a-z]{{2,7}}\.)(?:{_ABBREVIATIONS})\.(?!{_ALNUM}))
  | (?P<numabbrev>(?:nos?|tel|est|ext|art|nr|pp)\.(?=\s*\d))
  | (?P<initial>{_LETTER}\.(?!{_ALNUM}|\.(?!\.\.)))
  | (?P<phone>\(\d{{3}}\)\xa0?\d{{3}}-\d{{4}})
  | (?P<number>\d{{1,4}}\xa0\d{{1,4}}/\d{{1,4}}
              |(?<![^\s(\[{{])[-+]?(?:\d+(?:[.,:/]\d+)*|\.\d+)(?![\w-])
              |\d+(?:[.,:/]\d+)*(?![\w-]))
  | (?P<word>{_ALNUM}+(?:(?:[-.!?/]|{_CAPS_AMP}|'(?={_LETTER}))+{_ALNUM}+)*(?:\.(?=,))?)
  | (?P<tag>[#@]{_LETTER}\w*)
  | (?P<apos>'(?:n'|\d0s|em\b|tis\b|twas\b|{_LETTER}+))
  | (?P<ellipsis>\.\.\.+|\.(?:\ \.)+(?!\S))
  | (?P<dashes>--+)
  | (?P<repeat>[!?]+)
  | (?P<quote>``|''|["`'])
  | (?P<currency>(?:US|C|A|HK|NZ|S)\$)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.IGNORECASE,
)

_CHAR_MAP = str.maketrans(
    {
        "\u2013": " -- ",
        "\u2014": " -- ",
        "\u2026": " ... ",
        "\u00bc": " 1/4 ",
        "\u00bd": " 1/2 ",
        "\u00be": " 3/4 ",
        "\u2153": " 1/3 ",
        "\u2154": " 2/3 ",
        "\u201c": ' " ',
        "\u201d": ' " ',
        "\u2018": " ` ",
        "\u2019": "'",
        "\u00ab": ' " ',
        "\u00bb": ' " ',
        "\u2039": " ` ",
        "\u203a": " ' ",
        "\u00a3": " # ",
        "\u20ac": " $ ",
        "\u00a4": " $ ",
        "\u00a2": " cents ",
        "(": " ( ",
        ")": " ) ",
        "[": " [ ",
        "]": " ] ",
        "{": " { ",
        "}": " } ",
    }
)
_MAPPED = re.compile("[" + re.escape("".join(map(chr, _CHAR_MAP))) + "]")
_BRACKETS = {"(": "-LRB-", ")": "-RRB-", "[": "-LSB-", "]": "-RSB-", "{": "-LCB-", "}": "-RCB-"}
_PHONE = re.compile(r"\((\d{3})\) ?(\d{3}-\d{4})")
_MIXED_FRACTION = re.compile(r"(?<![\w.,])(\d{1,4}) (\d{1,4}/\d{1,4})(?!\d)")
_SENTENCE_STARTS = [
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "there",
]
_SENTENCE_WORDS = "|".join(w.capitalize() + "|" + w.upper() for w in _SENTENCE_STARTS)
_SENTENCE_NEXT = re.compile(rf"\s*$|\s+(?:{_SENTENCE_WORDS})\b")
_SPACES = re.compile(r"\s+")
_PLAIN = re.compile(r"[a-z ,]*")
_WORDS = re.compile(r"[a-z]+")
_CONTRACTION = re.compile(r"(?i)^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$")
_SPLIT_WORDS = re.compile(r"(?i)^(can)(not)$|^(gon|got|wan)(na|ta)$|^(lem|gim)(me)$")
_ABBREVIATION = re.compile(_ABBREVIATIONS)
_HAS_SPLIT_WORD = re.compile(r"\b(?:cannot|gonna|gotta|wanna|lemme|gimme)\b")


def _deleted(ch: str) -> bool:
    """Characters the Java lexer drops as untokenizable (emoji, most currency signs)."""
    return ord(ch) > 0xFFFF or (unicodedata.category(ch) == "Sc" and ch not in "$\u00a5")


def _split_word(word: str) -> list[str]:
    split = _SPLIT_WORDS.match(word)
    if split:
        return [g for g in split.groups() if g]
    contraction = _CONTRACTION.match(word)
    if contraction and contraction.group(1)[-1] != "'":
        stem, suffix = contraction.groups()
        if suffix.lower() == "n't" or not stem.lower().endswith("n"):
            return [*_split_word(stem), suffix]
        return [stem, suffix]
    if "'" in word:
        head, _, tail = word.partition("'")
        if len(head) == 1 and head.lower() not in "y" and len(tail) >= 2:
            return [word]
        if head.lower() == "rock" or tail.lower().startswith("n'"):
            parts = re.split(r"('n')", word, flags=re.IGNORECASE)
            return [p for p in parts if p]
        return [head + "'", *_split_word(tail)]
    return [word]


def _lex(text: str) -> list[str]:
    """PTB tokens of one line, original case, nothing removed."""
    if _MAPPED.search(text):
        text = text.translate(_CHAR_MAP)
    if "(" in text:
        text = _PHONE.sub("(\\1)\xa0\\2", text)
    if "/" in text:
        text = _MIXED_FRACTION.sub("\\1\xa0\\2", text)
    tokens: list[str] = []
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "word":
            tokens.extend(_split_word(tok))
        elif kind == "phone":
            tokens.append(tok.replace("(", "-LRB-").replace(")", "-RRB-"))
        elif kind == "apos":
            low = tok.lower()
            if low in ("'tis", "'twas"):
                tokens.extend(["'t", tok[2:]])
            elif low in ("'s", "'re", "'ve", "'ll", "'d", "'m", "'n'", "'em") or low[1:2].isdigit():
                tokens.append(tok)
            else:
                tokens.extend(["`", *_split_word(tok[1:])])
        elif kind == "initial" and "A" <= tok[0] <= "Z" and _SENTENCE_NEXT.match(text, m.end()):
            tokens.extend([tok[0], "."])  # a capital initial read as the end of a sentence
        elif kind == "quote":
            tokens.append("''" if tok == '"' else tok)
        elif kind == "ellipsis":
            tokens.append("...")
        elif kind == "dashes":
            tokens.append("--")
        elif kind == "other":
            if tok in _BRACKETS:
                tokens.append(_BRACKETS[tok])
            elif not _deleted(tok):
                tokens.append(tok)
        else:
            tokens.append(tok)
    return tokens


def ptb_tokens(text: str) -> list[str]:
    """Lower-cased PTB tokens of ``text`` without pycocoevalcap's punctuation tokens.

    >>> ptb_tokens("Two dogs -- one brown, one white -- don't play.")
    ['two', 'dogs', 'one', 'brown', 'one', 'white', 'do', "n't", 'play']
    """
    low = text.lower()
    # fast path: ASCII letters, spaces and commas, maybe final periods; no word PTB splits
    body = low.rstrip(".")
    if _PLAIN.fullmatch(body) and not _HAS_SPLIT_WORD.search(body):
        words = _WORDS.findall(body) if "," in body else body.split()
        if len(body) == len(low) or not body[-1:].isalpha():
            return words  # no final period, or periods that stand alone (removed)
        last = words[-1]
        if len(last) > 1 and last != "www" and not _ABBREVIATION.fullmatch(last):
            return words  # the periods are split off the last word and removed
    lowered = (tok.lower() for tok in _lex(_SPACES.sub(" ", text)))
    return [tok for tok in lowered if tok not in PUNCTUATIONS]


@NORMALIZERS.register("ptb")
def ptb(text: str) -> str:
    """Tokens of :func:`ptb_tokens` joined by single spaces (what COCOEvalCap scores)."""
    return " ".join(ptb_tokens(text))


# Where a caption leaves the fast path of ptb_tokens, in lower-cased "\n"-joined text
_PLAIN_KIND, _PERIOD, _NEWLINE, _OTHER = 0, 1, 2, 3  # kinds of character
_KIND = np.full(128, _OTHER, dtype=np.uint8)  # [128] kind of each ASCII character
_KIND[[*range(ord("a"), ord("z") + 1), ord(" "), ord(",")]] = _PLAIN_KIND
_KIND[ord(".")], _KIND[ord("\n")] = _PERIOD, _NEWLINE
_KIND_TABLE = bytes(_KIND.tolist() + [_OTHER] * 128)  # for bytes.translate
_SPLIT_WORDS_LOW = ("cannot", "gonna", "gotta", "wanna", "lemme", "gimme")
_JOINING_COMMA = re.compile(r",(?=[a-z])")
_KEEPS_PERIOD = ["www", *_ABBREVIATIONS.split("|")]  # besides one-letter words
_WINDOW = max(map(len, _KEEPS_PERIOD)) + 1


def _letters_key(codes: np.ndarray) -> np.ndarray:
    """int64 [...]: base-32 number of the letters ``codes`` [..., k] (0 where not a-z)."""
    digits = np.where((codes >= 97) & (codes <= 122), codes.astype(np.int64) - 96, 0)
    return digits @ (32 ** np.arange(codes.shape[-1] - 1, -1, -1, dtype=np.int64))


_KEEPS_KEYS = np.sort(
    _letters_key(np.array([[0] * (_WINDOW - len(w)) + [ord(c) for c in w] for w in _KEEPS_PERIOD]))
)


def _find_all(text: str, sub: str) -> list[int]:
    """Start of every occurrence of ``sub`` in ``text`` (``str.find``: C speed)."""
    found, at = [], text.find(sub)
    while at >= 0:
        found.append(at)
        at = text.find(sub, at + 1)
    return found


def _slow_positions(low: str) -> np.ndarray:
    """Offsets in ``low`` that send their caption to the full lexer."""
    hits = []
    for word in _SPLIT_WORDS_LOW:  # (inside a longer word too: rare, and still exact)
        hits += _find_all(low, word)
    if low.isascii():
        raw = low.encode("ascii")
        codes = np.frombuffer(raw, dtype=np.uint8)  # [L] code points
        kind = np.frombuffer(raw.translate(_KIND_TABLE), dtype=np.uint8)  # [L]
    else:
        codes = np.frombuffer(low.encode("utf-32-le"), dtype=np.uint32)
        kind = np.where(codes < 128, _KIND[np.minimum(codes, 127)], _OTHER)
    period = kind == _PERIOD
    newline = kind == _NEWLINE
    # any character but a-z, space, comma, period and the newlines between captions,
    # and a period before more text
    leaves = kind == _OTHER
    after = kind[1:]
    leaves[:-1] |= period[:-1] & ((after == _PLAIN_KIND) | (after == _OTHER))
    # final periods keep to a one-letter word, "www" or an abbreviation
    line_end = np.append(newline[1:], True)
    last = np.flatnonzero(period & line_end)  # last period of each final run
    ends = last.copy()  # walk back to the first period of each final run
    back = np.flatnonzero(ends > 0)
    while len(back := back[period[ends[back] - 1]]):
        ends[back] -= 1
        back = back[ends[back] > 0]
    window = ends[:, None] - np.arange(_WINDOW, 0, -1)  # [M, W] the characters before
    chars = np.where(window >= 0, codes[np.maximum(window, 0)], 32)
    letter = (chars >= 97) & (chars <= 122)
    n_letters = np.cumprod(letter[:, ::-1], axis=1).sum(axis=1)  # letters of the last word
    word = np.where(np.arange(_WINDOW) >= _WINDOW - n_letters[:, None], chars, 0)
    key = _letters_key(word)
    found = _KEEPS_KEYS[np.minimum(np.searchsorted(_KEEPS_KEYS, key), len(_KEEPS_KEYS) - 1)]
    keeps = (n_letters == 1) | (found == key)
    return np.concatenate([np.asarray(hits, dtype=np.int64), np.flatnonzero(leaves), ends[keeps]])


def ptb_many(texts: Sequence[str]) -> list[str]:
    """:func:`ptb` of every text; plain captions are found and split in a few passes.

    >>> ptb_many(["A dog, running.", "Dr. Who's here"])
    ['a dog running', "dr. who 's here"]
    """
    if not texts:
        return []
    joined = "\n".join(texts)
    low = joined.lower()
    if len(low) != len(joined) or joined.count("\n") != len(texts) - 1:
        return [ptb(t) for t in texts]  # a newline inside, or lower() changed lengths
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1) - 1
    hits = _slow_positions(low)
    slow = np.unique(np.searchsorted(ends, hits))  # caption of each offset
    # plain captions: drop commas and periods; where that leaves stray spaces or joins two
    # words ("dog,cat"), turn them into spaces and re-join the words instead
    stripped = low.replace(",", "").replace(".", "")  # (faster than translate off ASCII)
    out = stripped.split("\n")
    uneven = [m.start() for m in _JOINING_COMMA.finditer(low)]
    spaces = [*_find_all(stripped, "  "), *_find_all(stripped, " \n")]
    spaces += [at + 1 for at in _find_all(stripped, "\n ")]
    spaces += [0] * stripped.startswith(" ") + [len(stripped) - 1] * stripped.endswith(" ")
    starts = ends - np.fromiter(map(len, texts), np.int64, len(texts))
    messy = np.union1d(
        np.searchsorted(ends, uneven),
        np.searchsorted(np.cumsum(np.fromiter(map(len, out), np.int64, len(out)) + 1) - 1, spaces),
    )
    for i in messy.tolist():
        out[i] = " ".join(_WORDS.findall(low, starts[i], ends[i]))
    for i in slow.tolist():
        out[i] = ptb(texts[i])
    return out


ptb.many = ptb_many  # batch form, used by mmbench.metrics._captions.tokenize_captions
