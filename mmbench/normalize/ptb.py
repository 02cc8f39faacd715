"""Preset ``ptb``: COCO caption tokenization without Java.

A pure-Python re-implementation of what pycocoevalcap's ``COCOEvalCap`` does to every
caption: the Stanford PTBTokenizer (CoreNLP 3.4.1, ``-preserveLines -lowerCase``), then
removal of the tokens in pycocoevalcap's ``PUNCTUATIONS`` list. Its quirks are kept on
purpose, because they change scores: lower-casing turns ``-LRB-`` into ``-lrb-``, which
the list (written in upper case) no longer removes; a fraction like ``2 1/2`` becomes one
token with a no-break space inside (``str.split`` later splits it, ``split(" ")`` does
not); ``cannot`` becomes ``can not``. The tokens come from ``_ptblexer``, which follows
the Java lexer rule by rule; captions of letters, spaces and commas take a shortcut.
pycocoevalcap hands Java all captions as the lines of one file, and a line's last token
can depend on the next line (``following``; ``ptb_many`` reads its list that way).
Agreement with the Java tokenizer is measured by ``benchmarks/bench_ptb_agreement.py``
(see ``benchmarks/RESULTS.md`` and ``docs/parity.md``).

>>> ptb("A man's dog (brown), isn't it?")
"a man 's dog -lrb- brown -rrb- is n't it"
>>> ptb_tokens("Dr. Smith paid $5.50 in the U.S.")
['dr.', 'smith', 'paid', '$', '5.50', 'in', 'the', 'u.s.']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from mmbench.normalize._ptblexer import ABBREVIATION_WORDS, lex_line
from mmbench.registry import NORMALIZERS

#: Tokens pycocoevalcap removes after PTB tokenization (its ``PUNCTUATIONS``), verbatim.
PUNCTUATIONS = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-"]
    + [".", "?", "!", ",", ":", "-", "--", "...", ";"]
)

_ABBREVIATIONS = ABBREVIATION_WORDS  # (final periods: see the lexer's shortcuts)
_PLAIN = re.compile(r"[a-z ,]*")
_WORDS = re.compile(r"[a-z]+")
_ABBREVIATION = re.compile(_ABBREVIATIONS)
_HAS_SPLIT_WORD = re.compile(r"\b(?:cannot|gonna|gotta|wanna|lemme|gimme)\b")


def ptb_tokens(text: str, following: str | None = None) -> list[str]:
    """Lower-cased PTB tokens of ``text`` without pycocoevalcap's punctuation tokens.

    pycocoevalcap tokenizes all captions of a split as the lines of one file, and the
    lexer looks past a line's end: a one-letter abbreviation such as ``A.`` loses its
    period when the next line starts with a word like ``The``. ``following`` is the text
    after this caption's line break (the next captions, newline-joined); ``None`` means
    this caption is the last line.

    >>> ptb_tokens("Two dogs -- one brown, one white -- don't play.")
    ['two', 'dogs', 'one', 'brown', 'one', 'white', 'do', "n't", 'play']
    >>> ptb_tokens("a big A."), ptb_tokens("a big A.", following="The end")
    (['a', 'big', 'a.'], ['a', 'big', 'a'])
    """
    if "\n" in text:
        text = text.replace("\n", " ")  # as pycocoevalcap does before joining captions
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
    buffer = text if following is None else text + "\n" + following
    lowered = (tok.lower() for tok in lex_line(buffer, 0, len(text)))
    return [tok for tok in lowered if tok not in PUNCTUATIONS]


@NORMALIZERS.register("ptb")
def ptb(text: str, following: str | None = None) -> str:
    """Tokens of :func:`ptb_tokens` joined by single spaces (what COCOEvalCap scores).

    >>> ptb("Set at 6:40PM, a po'boy & M&Ms.")
    'set at 6:40 pm a po boy & m&m s.'
    """
    return " ".join(ptb_tokens(text, following))


def _following(texts: Sequence[str], i: int, size: int = 256) -> str | None:
    """The lines after ``texts[i]`` as the lexer sees them, enough of them to decide
    (blank lines, then at least ``size`` characters or a whole caption and a newline)."""
    if i + 1 >= len(texts):
        return None
    parts: list[str] = []
    seen = 0
    for text in texts[i + 1 :]:
        parts.append(text.replace("\n", " "))
        seen += len(text) + 1
        if seen > size and any(p.strip() for p in parts):
            more = i + 1 + len(parts) < len(texts)
            return "\n".join(parts) + ("\n" if more else "")
    return "\n".join(parts)


# Where a caption leaves the fast path of ptb_tokens, in lower-cased "\n"-joined text
_PLAIN_KIND, _PERIOD, _NEWLINE, _OTHER = 0, 1, 2, 3  # kinds of character
_KIND = np.full(128, _OTHER, dtype=np.uint8)  # [128] kind of each ASCII character
_KIND[[*range(ord("a"), ord("z") + 1), ord(" "), ord(",")]] = _PLAIN_KIND
_KIND[ord(".")], _KIND[ord("\n")] = _PERIOD, _NEWLINE
_KIND_TABLE = bytes(_KIND.tolist() + [_OTHER] * 128)  # for bytes.translate
_SPLIT_WORDS_LOW = ("cannot", "gonna", "gotta", "wanna", "lemme", "gimme")
_JOINING_COMMA = re.compile(r",(?=[a-z])")
_KEEPS_PERIOD = _ABBREVIATIONS.split("|")  # besides one-letter words
_WINDOW = max(map(len, _KEEPS_PERIOD)) + 1
_CONTEXT = 256  # characters after a caption's blank lines handed to the lexer
_BLANKS = re.compile("[ \t\n\r\u00a0\u2000-\u200a\u3000\u2028\u2029\x0b\x0c\x85]*")


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
    """:func:`ptb` of every text, the texts read as the lines of one file (each caption
    with the ones after it as ``following``); plain captions are found and split in a few
    passes.

    >>> ptb_many(["A dog, running.", "Dr. Who's here"])
    ['a dog running', "dr. who 's here"]
    """
    if not texts:
        return []
    joined = "\n".join(texts)
    low = joined.lower()
    if len(low) != len(joined) or joined.count("\n") != len(texts) - 1:
        # a newline inside, or lower() changed lengths
        return [ptb(t, _following(texts, i)) for i, t in enumerate(texts)]
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1) - 1
    hits = _slow_positions(low)
    # the captions of those offsets, ascending and once (np.unique imports numpy.ma: ~30 ms)
    slow = np.flatnonzero(np.bincount(np.searchsorted(ends, hits), minlength=len(texts)))
    # plain captions: drop commas and periods; where that leaves stray spaces or joins two
    # words ("dog,cat"), turn them into spaces and re-join the words instead
    stripped = low.replace(",", "").replace(".", "")  # (faster than translate off ASCII)
    out = stripped.split("\n")
    uneven = [m.start() for m in _JOINING_COMMA.finditer(low)]
    spaces = [*_find_all(stripped, "  "), *_find_all(stripped, " \n")]
    spaces += [at + 1 for at in _find_all(stripped, "\n ")]
    spaces += [0] * stripped.startswith(" ") + [len(stripped) - 1] * stripped.endswith(" ")
    starts = ends - np.fromiter(map(len, texts), np.int64, len(texts))
    out_ends = np.cumsum(np.fromiter(map(len, out), np.int64, len(out)) + 1) - 1
    messy = np.flatnonzero(
        np.bincount(np.searchsorted(ends, uneven), minlength=len(texts))
        + np.bincount(np.searchsorted(out_ends, spaces), minlength=len(texts))
    )
    for i in messy.tolist():
        out[i] = " ".join(_WORDS.findall(low, starts[i], ends[i]))
    last = len(texts) - 1
    for i in slow.tolist():
        after = int(ends[i]) + 1  # the next line: it can decide how this one ends
        context = _BLANKS.match(joined, after).end() + _CONTEXT  # type: ignore[union-attr]
        out[i] = ptb(texts[i], None if i == last else joined[after:context])
    return out


ptb.many = ptb_many  # batch form, used by mmbench.metrics._captions.tokenize_captions
