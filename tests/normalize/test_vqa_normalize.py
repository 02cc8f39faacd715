"""Table-driven cases for the official VQA answer normalization (vqaEval.py, both revisions
share these functions: processPunctuation / processDigitArticle)."""

import pytest

from mmbench.normalize import get_normalizer
from mmbench.normalize.vqa import process_digit_article, process_punctuation

PUNCTUATION_CASES = [
    # (input, expected, official logic)
    ("yes/no", "yes no", "punct not touching a space -> replaced by ' '"),
    ("yes / no", "yes  no", "punct with ' ' next to it (p+' ' or ' '+p in inText) -> deleted"),
    ("a/b c /d", "ab c d", "one '/' touches a space -> every '/' deleted (replace on whole text)"),
    ("1,000", "1000", "commaStrip (digit,digit) found -> all punctuation deleted"),
    ("1,000!", "1000", "commaStrip match deletes '!' too, even though '!' touches nothing"),
    ("red,white", "red white", "',' without digits around and no space -> replaced by ' '"),
    ("red, white", "red white", "', ' in inText -> ',' deleted"),
    (
        "hello?",
        "hello ",
        "'?' at the end touches no space -> replaced by ' ' (trailing space kept)",
    ),
    ("t-shirt", "t shirt", "'-' is in the punct list"),
    ("it's", "it's", "apostrophe is not in the punct list"),
    ("5:30", "5:30", "':' is not in the punct list"),
    ("x*y#z", "x*y#z", "'*' and '#' are not in the punct list"),
    ("3.5", "3.5", "periodStrip: a period followed by a digit is kept"),
    (".5", ".5", "periodStrip: leading period before a digit kept ((?!<=\\d) is a lookahead)"),
    ("end.", "end", "periodStrip: period not followed by a digit deleted"),
    ("a.b", "ab", "periodStrip deletes (not spaces) periods inside words"),
    ("1.5.", "1.5", "only the period not followed by a digit goes"),
    ("." * 40, "." * 8, "periodStrip.sub('', t, re.UNICODE): count=32, so 8 of 40 survive"),
    ("(a)", "(a)".replace("(", " ").replace(")", " "), "parentheses replaced by spaces"),
]


@pytest.mark.parametrize(("text", "expected", "why"), PUNCTUATION_CASES)
def test_process_punctuation(text, expected, why):
    assert process_punctuation(text) == expected, why


DIGIT_ARTICLE_CASES = [
    ("Two Dogs", "2 dogs", "lower() then manualMap number words"),
    ("none", "0", "manualMap maps 'none' to '0' (GT-Vision-Lab/VQA issue #7)"),
    ("ten", "10", "manualMap goes up to ten"),
    ("eleven", "eleven", "nothing above ten is mapped"),
    ("the cat", "cat", "articles a/an/the dropped"),
    ("An Apple a day", "apple day", "articles dropped after lower()"),
    ("a", "", "an answer that is only an article becomes empty"),
    ("dont", "don't", "contractions map restores apostrophes"),
    ("Im", "im", "contraction keys with capitals ('Im') never match after lower()"),
    ("somebody'd", "somebodyd", "the one reversed entry of the contractions map"),
    ("twas", "'twas", "contraction with a leading apostrophe"),
    ("  many   spaces\tand\nlines ", "many spaces and lines", "split() on any whitespace"),
]


@pytest.mark.parametrize(("text", "expected", "why"), DIGIT_ARTICLE_CASES)
def test_process_digit_article(text, expected, why):
    assert process_digit_article(text) == expected, why


def test_vqa_preset_chains_cleanup_punctuation_digits():
    norm = get_normalizer("vqa")
    assert norm("  The Two\tdogs!\n") == "2 dogs"
    assert norm("1,000 dollars.") == "1000 dollars"
