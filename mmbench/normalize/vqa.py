"""The official VQA answer normalization (preset ``vqa``), quirks included.

Rules of ``PythonEvaluationTools/vqaEvaluation/vqaEval.py`` in GT-Vision-Lab/VQA (identical
tables in the 2021 revision a013f00 and the pre-2021 revision c4e6a0e); only *when* they are
applied differs between revisions, which :mod:`mmbench.metrics.vqa_accuracy` handles.

- :func:`process_punctuation` (``processPunctuation``): each of 21 punctuation marks is
  deleted if it touches a space anywhere in the *original* answer, or if the answer contains
  a digit-comma-digit group anywhere; otherwise it is replaced by a space. Then periods not
  followed by a digit are deleted, at most 32 of them (the official passes ``re.UNICODE``,
  which is 32, as the ``count`` argument of ``Pattern.sub``).
- :func:`process_digit_article` (``processDigitArticle``): lower-case, split on whitespace,
  number words ``none``/``zero``..``ten`` to digits, drop ``a``/``an``/``the``, restore
  apostrophes of contractions (keys with capitals, e.g. ``Im``, never match after lower-case).

>>> normalize_answer("Two dogs!")
'2 dogs'
>>> normalize_answer("the 1,000 dogs.")
'1000 dogs'
"""

from __future__ import annotations

import re
from functools import lru_cache

from mmbench.registry import NORMALIZERS

#: ``self.contractions`` (same in both revisions; ASCII apostrophes).
CONTRACTIONS: dict[str, str] = {
    "aint": "ain't", "arent": "aren't", "cant": "can't", "couldve": "could've",
    "couldnt": "couldn't", "couldn'tve": "couldn't've", "couldnt've": "couldn't've",
    "didnt": "didn't", "doesnt": "doesn't", "dont": "don't", "hadnt": "hadn't",
    "hadnt've": "hadn't've", "hadn'tve": "hadn't've", "hasnt": "hasn't", "havent": "haven't",
    "hed": "he'd", "hed've": "he'd've", "he'dve": "he'd've", "hes": "he's", "howd": "how'd",
    "howll": "how'll", "hows": "how's", "Id've": "I'd've", "I'dve": "I'd've", "Im": "I'm",
    "Ive": "I've", "isnt": "isn't", "itd": "it'd", "itd've": "it'd've", "it'dve": "it'd've",
    "itll": "it'll", "let's": "let's", "maam": "ma'am", "mightnt": "mightn't",
    "mightnt've": "mightn't've", "mightn'tve": "mightn't've", "mightve": "might've",
    "mustnt": "mustn't", "mustve": "must've", "neednt": "needn't", "notve": "not've",
    "oclock": "o'clock", "oughtnt": "oughtn't", "ow's'at": "'ow's'at", "'ows'at": "'ow's'at",
    "'ow'sat": "'ow's'at", "shant": "shan't", "shed've": "she'd've", "she'dve": "she'd've",
    "she's": "she's", "shouldve": "should've", "shouldnt": "shouldn't",
    "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've", "somebody'd": "somebodyd",
    "somebodyd've": "somebody'd've", "somebody'dve": "somebody'd've",
    "somebodyll": "somebody'll", "somebodys": "somebody's", "someoned": "someone'd",
    "someoned've": "someone'd've", "someone'dve": "someone'd've", "someonell": "someone'll",
    "someones": "someone's", "somethingd": "something'd", "somethingd've": "something'd've",
    "something'dve": "something'd've", "somethingll": "something'll", "thats": "that's",
    "thered": "there'd", "thered've": "there'd've", "there'dve": "there'd've",
    "therere": "there're", "theres": "there's", "theyd": "they'd", "theyd've": "they'd've",
    "they'dve": "they'd've", "theyll": "they'll", "theyre": "they're", "theyve": "they've",
    "twas": "'twas", "wasnt": "wasn't", "wed've": "we'd've", "we'dve": "we'd've",
    "weve": "we've", "werent": "weren't", "whatll": "what'll", "whatre": "what're",
    "whats": "what's", "whatve": "what've", "whens": "when's", "whered": "where'd",
    "wheres": "where's", "whereve": "where've", "whod": "who'd", "whod've": "who'd've",
    "who'dve": "who'd've", "wholl": "who'll", "whos": "who's", "whove": "who've",
    "whyll": "why'll", "whyre": "why're", "whys": "why's", "wont": "won't",
    "wouldve": "would've", "wouldnt": "wouldn't", "wouldnt've": "wouldn't've",
    "wouldn'tve": "wouldn't've", "yall": "y'all", "yall'll": "y'all'll", "y'allll": "y'all'll",
    "yall'd've": "y'all'd've", "y'alld've": "y'all'd've", "y'all'dve": "y'all'd've",
    "youd": "you'd", "youd've": "you'd've", "you'dve": "you'd've", "youll": "you'll",
    "youre": "you're", "youve": "you've",
}  # fmt: skip

#: ``self.manualMap``: number words to digits (``none`` too, a known quirk: GT issue #7).
NUMBER_WORDS: dict[str, str] = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}  # fmt: skip

#: ``self.articles``.
ARTICLES = frozenset({"a", "an", "the"})

#: ``self.punct``, in the official order (the order matters: replacements are sequential).
PUNCTUATION: tuple[str, ...] = (
    ";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-",
    ">", "<", "@", "`", ",", "?", "!",
)  # fmt: skip

#: ``self.periodStrip``: ``(?!<=\d)`` is a look-*ahead* for the text "<=digit" (a typo for a
#: look-behind), so it never blocks: every period not followed by a digit matches.
_PERIOD_STRIP = re.compile(r"(?!<=\d)(\.)(?!\d)")
#: ``self.commaStrip``: a digit, a comma, a digit.
_COMMA_STRIP = re.compile(r"(\d)(\,)(\d)")
#: ``periodStrip.sub("", text, re.UNICODE)`` passes 32 as ``count``.
_PERIOD_STRIP_COUNT = int(re.UNICODE)


def process_punctuation(text: str) -> str:
    """``processPunctuation``: delete or space out punctuation, then strip periods.

    >>> process_punctuation("yes/no")
    'yes no'
    >>> process_punctuation("yes / no")
    'yes  no'
    """
    out = text
    has_digit_comma = _COMMA_STRIP.search(text) is not None
    for p in PUNCTUATION:
        if p not in out:
            continue  # replace() would be a no-op either way
        if has_digit_comma or (p + " " in text or " " + p in text):
            out = out.replace(p, "")
        else:
            out = out.replace(p, " ")
    return _PERIOD_STRIP.sub("", out, count=_PERIOD_STRIP_COUNT)


def process_digit_article(text: str) -> str:
    """``processDigitArticle``: lower-case, number words, articles, contractions.

    >>> process_digit_article("The Three dont")
    "3 don't"
    """
    words = [NUMBER_WORDS.get(w, w) for w in text.lower().split()]
    return " ".join(CONTRACTIONS.get(w, w) for w in words if w not in ARTICLES)


def clean_whitespace(text: str) -> str:
    """Newlines and tabs to spaces, then strip (applied to every answer before the rules)."""
    return text.replace("\n", " ").replace("\t", " ").strip()


@lru_cache(maxsize=1 << 18)
def normalize_answer(text: str) -> str:
    """Punctuation then digits/articles/contractions (cached: answers repeat a lot)."""
    return process_digit_article(process_punctuation(text))


@lru_cache(maxsize=1 << 18)
def normalize_punctuation_only(text: str) -> str:
    """Cached :func:`process_punctuation` (what the legacy revision applies to references)."""
    return process_punctuation(text)


@NORMALIZERS.register("vqa")
def vqa(text: str) -> str:
    """The ``vqa`` preset: whitespace cleanup, then the full official answer normalization."""
    return normalize_answer(clean_whitespace(text))
