"""A longest-match lexer that behaves like Stanford CoreNLP 3.4.1's ``PTBLexer``.

pycocoevalcap runs ``edu.stanford.nlp.process.PTBTokenizer -preserveLines -lowerCase``
on all captions of a split joined by newlines. That lexer is a JFlex scanner: at each
position every rule is tried, the longest match wins (trailing context counts towards
its length) and the earliest rule breaks ties; literal strings ignore case, character
classes do not. This module re-states, in Python regular expressions, the rules that can
fire on caption text, each with the action it takes (split ``cannot``, turn ``(`` into
``-LRB-``, re-lex the period after an abbreviation that ends a sentence, ...). The rules
and their order were worked out from the lexer's published specification and checked
by running the Java tokenizer on many inputs (``benchmarks/bench_ptb_agreement.py``).

The lexer holds no state between tokens, but some rules look past the end of a line:
whether ``A.`` is one token or ``A`` + ``.`` depends on the next line starting with a
word such as ``The``. :func:`lex_line` therefore takes the whole buffer and lexes one
line of it.

>>> lex_line("Dr. Smith's po'boy (6:40PM) isn't $5.", 0)
['Dr.', 'Smith', "'s", 'po', '`', 'boy', '-LRB-', '6:40', 'PM', '-RRB-', 'is', "n't", '$', '5', '.']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

# Characters Python's \w counts as alphanumeric that are neither letters nor decimal
# digits for Java (superscripts, vulgar fractions, circled and roman numerals, ...), and
# everything beyond the BMP (Java sees a surrogate pair there: no letter, no digit).
_NOT_LD = (
    "\u00b2\u00b3\u00b9\u00bc-\u00be\u09f4-\u09f9\u0b72-\u0b77\u0bf0-\u0bf2\u0c78-\u0c7e"
    "\u0d58-\u0d5e\u0d70-\u0d78\u0f2a-\u0f33\u1369-\u137c\u16ee-\u16f0\u17f0-\u17f9\u19da"
    "\u2070\u2074-\u2079\u2080-\u2089\u2150-\u2182\u2185-\u2189\u2460-\u249b\u24ea-\u24ff"
    "\u2776-\u2793\u2cfd\u3007\u3021-\u3029\u3038-\u303a\u3192-\u3195\u3220-\u3229"
    "\u3248-\u324f\u3251-\u325f\u3280-\u3289\u32b1-\u32bf\ua6e6-\ua6ef\ua830-\ua835"
    "\U00010000-\U0010ffff"
)
_JL = rf"[^\W\d_{_NOT_LD}]"  # Java Character.isLetter
_JD = r"[^\D\U00010000-\U0010ffff]"  # Java Character.isDigit
_JLD = rf"[^\W_{_NOT_LD}]"  # a letter or a digit
# the lexer's letter also takes the soft hyphen and some combining and modifier marks
_LET = rf"(?:{_JL}|[\u00ad\u02c2-\u02c5\u02d2-\u02df\u02e5-\u02ff\u0300-\u036f])"
_LD = rf"(?:{_LET}|{_JD})"
_SPACE = r"[ \t\u00a0\u2000-\u200a\u3000]"
_NL = r"(?:\r\n|[\r\n\u2028\u2029\x0b\x0c\x85])"
_SPACENL = rf"(?:{_SPACE}|{_NL})"
_UPPER = r"[A-Z\u00c0-\u00d6\u00d8-\u00de\u0391-\u03a9\u0410-\u042f]"
_WORD = rf"{_LET}{_LD}*(?:[.!?]{_LET}{_LD}*)*"
_APOS = "['\u0092\u2019]"
_APOSX = "['\u0092\u2019`\u0091\u2018\u201b]"  # apostrophe-like marks inside words
_REDAUX = rf"{_APOS}(?:[msdMSD]|(?i:re|ve|ll))"
_SWORD = r"[A-Za-z\u00ad]*[A-MO-Za-mo-z]\u00ad*"  # a word that can take n't
_SREDAUX = rf"(?i:n){_APOSX}(?i:t)"
_HYPHEN = "[-_\u058a\u2010\u2011]"
_INSENTP = "[,;:\u3001]"
_SGML = (
    r"<(?:[!?][A-Za-z-][^>\r\n]*|[A-Za-z][\w:.-]*(?:[ ]+(?:[A-Za-z][\w:.-]*[ ]*=[ ]*"
    r"""(?:'[^']*'|"[^"]*")|[A-Za-z][\w:.-]*))*[ ]*/?|/[A-Za-z][\w:.-]*)[ ]*>"""
).replace(r"\w", "A-Za-z0-9_")
_ACRO = [
    r"[A-Za-z](?:\.[A-Za-z])*",
    r"(?i:canada|sino|korean|eu|japan|non)-(?i:u\.s)",
    r"(?i:u\.s\.-)(?i:u\.s\.s\.r|u\.k)",
]
_ACRO2 = [_ACRO[0].replace(")*", ")+"), *_ACRO[1:]]


def _ci(words: str) -> str:
    """Alternation of ``|``-separated words; a leading ``^`` keeps that letter's case.

    >>> _ci("^Wash|ct")
    '(?:W(?i:ash)|(?i:ct))'
    """
    alts = []
    for w in sorted(words.split("|"), key=len, reverse=True):
        alts.append(w[1] + f"(?i:{w[2:]})" if w.startswith("^") else f"(?i:{w})")
    return "(?:" + "|".join(alts) + ")"


# abbreviations that may end a sentence (months, days, states, companies, ...)
_AB1 = _ci(
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|tues|wed|thu|thurs|fri|"
    "ala|ariz|^Az|^Ark|calif|colo|conn|ct|dak|^Del|fla|ga|^Ill|ind|kan|kans|ky|^La|^Mass|"
    "md|mich|minn|^Miss|mo|mont|neb|nev|okla|^Ore|^Pa|penn|tenn|^Tex|va|vt|^Wash|wis|wisc|"
    "wyo|inc|co|cos|corp|ltd|plc|rt|bancorp|bhd|assn|univ|intl|sys|tel|est|ext|sq|jr|sr|"
    "bros|ed.d|ph.d|blvd|rd|esq|etc|al|seq|bldg"
).replace(".", r"\.")
_AB1 = _AB1[:-1] + r"|(?i:pp?)t[ye](?i:s?))"  # Pty, Pte, Ptys, Ppte, ... (y/e lower case)
# abbreviations usually followed by a capitalized word (titles, acronyms, ...)
_AB4 = (
    _ci(
        "mr|mrs|ms|^Miss|dr|drs|prof|profs|sen|sens|rep|reps|atty|attys|lt|col|gen|messrs|"
        "gov|govs|adm|rev|maj|sgt|cpl|pvt|capt|st|ste|ave|pres|lieut|hon|brig|cmdr|comdr|"
        "pfc|spc|supt|supts|det|mt|ft|adj|adv|asst|assoc|ens|insp|mlle|mme|msgr|sfc|vs|alex|"
        "wm|jos|cie|a.k.a|cf|treas|ph|invt|elec|natl|dept"
    ).replace(".", r"\.")[:-1]
    + "|(?i:m)[ft](?i:g)|"
    + "|".join(_ACRO)
    + ")"
)
# a cheap test before the long abbreviation lists: letters (dots, hyphens), then a period
# or a space (the characters that fold to ASCII letters under (?i) included)
_FOLDS = "A-Za-z\u0130\u0131\u017f\u212a"
_ABG = rf"(?=[{_FOLDS}][-.{_FOLDS}]{{0,13}}[.\s\u00a0\u2000-\u200a\u3000])"
_AB3 = _ci("ca|fig|figs|prop|no|nos|art|bldg|pp|op")
_CONTEXT_WORDS = (
    "About|According|Additionally|After|An|A|As|At|But|Earlier|He|Her|Here|However|If|In|"
    "It|Last|Many|More|Mr.|Ms.|Now|Once|One|Other|Our|She|Since|So|Some|Such|That|The|"
    "Their|Then|There|These|They|This|We|When|While|What|Yet|You"
)
_SENT_START = _ci("|".join("^" + w for w in _CONTEXT_WORDS.split("|"))).replace(".", r"\.")
_MISC = (
    "+%&~^|\\\\\u00a6\u00a7\u00a8\u00a9\u00ac\u00ae\u00af\u00b0-\u00ba\u00d7\u00f7\u0387"
    "\u05be\u05c0\u05c3\u05c6\u05f3\u05f4\u0600-\u0603\u0606-\u060a\u060c\u0614\u061b"
    "\u061e\u066a\u066d\u0703-\u070d\u07f6-\u07f8\u0964\u0965\u0e4f\u1fbd\u2016\u2017"
    "\u2020-\u2023\u2030-\u2038\u203b\u203e-\u2042\u2044\u207a-\u207f\u208a-\u208e"
    "\u2100-\u214f\u2190-\u21ff\u2200-\u2bff\u3012\u30fb\uff01-\uff0f\uff1a-\uff20"
    "\uff3b-\uff40\uff5b-\uff65"
)
_THING_PART = rf"(?:[dDoOlL]{_APOSX}{_JLD})?{_JLD}+"
_THING = rf"{_THING_PART}(?:{_HYPHEN}{_THING_PART})*"
_HTHING = (
    r"[A-Za-z0-9][A-Za-z0-9.,\u00ad]*(?:-(?:(?:" + "|".join(_ACRO2) + r")\.|[A-Za-z0-9\u00ad]+))+"
)
_THINGA = r"[A-Z]+(?:(?:(?i:&amp;)|[+&])[A-Z]+)+"
_FILE_EXT = _ci(
    "bat|bmp|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg|mov|"
    "mp3|pdf|php|pl|png|ppt|ps|py|sql|tar|txt|wav|x|xml|zip"
)
_URL_END = r"""[^ \t\n\f\r"<>|.!?(){},-]"""
_PHONE_SEP = "[- \u00a0]"

# Actions: what a matched token becomes.
_KEEP, _SKIP, _DROP, _NEWLINE = "keep", "skip", "drop", "newline"
_PUSH2, _PUSH3 = "push2", "push3"  # emit all but the last 2 / 3 characters, re-lex them
_END_PERIOD = "end_period"  # emit the token, then re-lex its final period
_ACRONYM = "acronym"  # one letter: emit the letter; longer: as _END_PERIOD
_LEFT, _RIGHT = "left_quote", "right_quote"
_DASH, _DOTS, _SOFT, _SPACE_NB, _PHONE, _AMP = "dash", "dots", "soft", "nbsp", "phone", "amp"
_FRAC2, _MONEY, _PARENS, _HYPHENS = "frac2", "money", "parens", "hyphens"
_SMILEY = "smiley"  # only ( and ) are rewritten inside a smiley

# (action, pattern, ...alternatives): a rule's length is its longest alternative's; a
# named group ``t`` marks the token inside a match that ends in trailing context.
_RULES: list[tuple[str, ...]] = [
    (_KEEP, r"(?i:c)\+\+"),
    (_KEEP, r"(?i:c|f)#"),
    (_PUSH3, r"(?i:cannot)"),
    (_PUSH3, r"(?i:'twas)"),
    (_PUSH2, r"(?i:'tis)"),
    (_PUSH2, r"(?i:gonna|gotta|lemme|gimme|wanna)"),
    (_SPACE_NB, _SGML),
    (_DASH, r"&(?i:mdash|ndash|md);|[\u0096\u0097\u2013\u2014\u2015]"),
    (_AMP, r"(?i:&amp;)"),
    (_KEEP, r"&(?i:ht|tl|ur|lr|qc|ql|qr|odq|cdq|#[0-9]+);"),
    (_SOFT, rf"(?P<t>{_WORD}){_REDAUX}"),
    (_SOFT, rf"(?P<t>{_SWORD}){_SREDAUX}"),
    (_SOFT, _WORD),
    (
        _KEEP,
        rf"{_APOS}(?i:n){_APOS}?",
        rf"[lLdDjJ]{_APOS}",
        rf"(?i:dunkin|somethin|ol){_APOS}",
        rf"{_APOS}(?i:em)",
        rf"[A-HJ-XZn]{_APOSX}{_JL}{{2,}}",
        rf"{_APOS}[2-9]0(?i:s)",
        rf"{_APOS}(?i:till?)",
        rf"{_JL}+[aeiouyAEIOUY]{_APOSX}[aeiouA-Z]{_JL}*",
        rf"{_APOS}(?i:cause)",
        r"(?i:cont'd)\.?",
        r"(?i:'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)",
        rf"(?i:o){_APOSX}(?i:o)",
    ),
    (_KEEP, rf"(?P<t>(?i:y){_APOS}){_JL}"),
    (_KEEP, rf"""(?i:https?://)[^ \t\n\f\r"<>|(){{}}]+{_URL_END}"""),
    (
        _KEEP,
        rf"""(?i:www)\.(?:[^ \t\n\f\r"<>|.!?(){{}},]+\.)+[a-zA-Z]{{2,4}}"""
        rf"""(?:/[^ \t\n\f\r"<>|()]+{_URL_END})?""",
        r"""(?:[^ \t\n\f\r"`'<>|.!?(){}\x2c-\x5f$]+\.)+(?i:com|net|org|edu)"""
        rf"""(?:/[^ \t\n\f\r"<>|()]+{_URL_END})?""",
    ),
    (
        _KEEP,
        r"""(?:(?i:&lt;)|<)?[a-zA-Z0-9][^ \t\n\f\r"<>|()\u00a0{}]*@"""
        r"""(?:[^ \t\n\f\r"<>|(){}.\u00a0]+\.)*[^ \t\n\f\r"<>|(){}.\u00a0]+(?:(?i:&gt;)|>)?""",
    ),
    (_KEEP, r"@[a-zA-Z_][a-zA-Z_0-9]*", rf"#{_LET}+"),
    (_RIGHT, rf"(?P<t>{_REDAUX})[^A-Za-z]"),
    (_RIGHT, rf"(?P<t>{_SREDAUX})[^A-Za-z]"),
    (_KEEP, rf"{_JD}{{1,2}}[-/]{_JD}{{1,2}}[-/]{_JD}{{2,4}}"),
    (
        _SOFT,
        rf"[-+]?(?:{_JD}+(?:[.:,\u00ad\u066b\u066c]{_JD}+)*|(?:[.:,\u00ad\u066b\u066c]{_JD}+)+)",
    ),
    (
        _KEEP,
        r"[\u207a\u207b\u208a\u208b]?(?:[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+"
        r"|[\u2080-\u2089]+)",
    ),
    (_SPACE_NB, rf"(?:{_JD}{{1,4}}[- \u00a0])?{_JD}{{1,4}}(?:\\?/|\u2044){_JD}{{1,4}}"),
    (_FRAC2, r"[\u00bc\u00bd\u00be\u2153-\u215e]"),
    (
        _AMP,
        r"-(?i:rrb|lrb|rcb|lcb|rsb|lsb)-",
        r"(?i:c\.d\.s|pro-|anti-)",
        r"(?i:s(?:&|&amp;)p-500|s(?:&|&amp;)ls)",
        rf"(?i:cap){_APOS}(?i:n)",
        rf"(?i:c){_APOS}(?i:est)",
    ),
    (_KEEP, r"[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}"),
    (_KEEP, r"[A-Z]*\$", "#"),
    (_MONEY, "[\u00a2-\u00a5\u0080\u20a0\u20ac\u060b\u0e3f\u20a4\uffe0\uffe1\uffe5\uffe6]"),
    (
        _ACRONYM,
        *(rf"{_ABG}(?P<t>(?:{a})\.){_SPACENL}+(?:{_SENT_START}|{_SGML}){_SPACENL}" for a in _ACRO),
    ),
    (_KEEP, rf"{_ABG}(?P<t>{_AB3}\.){_SPACENL}?{_JD}"),
    (_KEEP, rf"(?P<t>(?:(?i:pt)[eyEY]|(?i:co))\.){_SPACE}(?i:ltd|lim)"),
    (_END_PERIOD, rf"{_ABG}(?P<t>{_AB1}\.){_SPACENL}(?:{_SPACENL}|{_UPPER}|{_SGML})"),
    (_KEEP, rf"{_ABG}(?s:(?P<t>{_AB1}\.)..)"),
    (_END_PERIOD, rf"{_ABG}{_AB1}\."),
    (_KEEP, rf"{_ABG}{_AB4}\."),
    (_KEEP, rf"{_ABG}(?P<t>{_AB4}){_SPACE}"),
    (_KEEP, *(rf"{_ABG}(?P<t>{a}){_SPACENL}" for a in _ACRO)),
    (_KEEP, rf"(?P<t>{_APOS}[0-9][0-9]){_SPACENL}"),
    (_KEEP, rf"(?P<t>{_LD}+(?:\.{_LD}+)*\.{_FILE_EXT})(?:{_SPACENL}|[.?!,])"),
    (_SOFT, rf"(?P<t>{_WORD}\.){_INSENTP}"),
    (
        _PHONE,
        rf"(?:\([0-9]{{2,3}}\)[ \u00a0]?|(?:\+\+?)?(?:[0-9]{{2,4}}{_PHONE_SEP})?[0-9]{{2,4}}"
        rf"{_PHONE_SEP})[0-9]{{3,4}}{_PHONE_SEP}?[0-9]{{3,5}}",
        r"(?:(?:\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}",
    ),
    (_LEFT, r'(?P<t>"|(?i:&quot;))[A-Za-z0-9$]'),
    (_RIGHT, r'"|(?i:&quot;)'),
    (_SKIP, "\x7f"),
    (_KEEP, "<"),  # (&lt; and &gt; become < and >: handled in _emit)
    (_KEEP, ">"),
    (_KEEP, "(?i:&lt;|&gt;)"),
    (_SMILEY, r"(?P<t>[<>]?[:;=][-o*']?[()DPdpO\\{@|\[\]])[^A-Za-z0-9]"),
    (
        _SMILEY,
        r"[\^x=~<>]\.\[\^(?i:x)=~<>\]",
        r"[-\^x=~<>']_[-\^x=~<>']",
        r"\([-\^x=~<>'][_.]?[-\^x=~<>']\)",
        r"\([\^x=~<>']-[\^x=~<>'`]\)",
    ),
    (_PARENS, r"[{}\[\]()]"),
    (_HYPHENS, "-+"),
    (_DOTS, r"\.{3,5}", r"(?:\.[ \u00a0]){2,4}\.", "[\u0085\u2026]"),
    (_KEEP, "@+", "#+", "_+"),
    (_KEEP, r"\*+", r"(?:\\\*){1,3}"),
    (_KEEP, _INSENTP),
    (_KEEP, "[?!]+"),
    (_KEEP, "[.\u00a1\u00bf\u037e\u0589\u061f\u06d4\u0700-\u0702\u07fa\u3002]"),
    (_KEEP, "=", "/"),
    (_SOFT, rf"(?P<t>{_HTHING}\.){_INSENTP}"),
    (_SOFT, _HTHING),
    (_KEEP, rf"(?P<t>{_THING}\.){_INSENTP}"),
    (_KEEP, _THING),
    (_AMP, rf"(?P<t>{_THINGA}\.){_INSENTP}"),
    (_AMP, _THINGA),
    (_LEFT, r"(?P<t>')[A-Za-z][^ \t\n\r\u00a0]"),
    (_RIGHT, _REDAUX),
    (_RIGHT, _SREDAUX),
    (
        _RIGHT,
        _APOS,
        "''",
        "[`\u2018\u2019\u201a\u201b\u201c\u201d\u0091-\u0094\u201e\u201f\u2039\u203a\u00ab\u00bb]{1,2}",
    ),
    (_KEEP, "<<|>>"),
    (_KEEP, f"[{_MISC}]"),
    (_SKIP, "\x00|[ \t\u00a0\u2000-\u200a\u3000]+|[\u200b\u200e\u200f\ufeff]|(?i:&nbsp;)"),
    (_NEWLINE, _NL),
    (_DROP, "(?s:.)"),  # untokenizable: Java deletes it
]


try:  # the parser behind re.compile, used only to read the first characters of rules
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse as _sre_parse

_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


def _char(code: int) -> str:
    return re.escape(chr(code))


def _first(items: list, caseless: bool) -> tuple[list[str] | None, bool]:
    """(patterns of one character each that a match of parsed ``items`` can start with,
    or None for any character; whether ``items`` can match the empty string)."""
    firsts: list[str] = []
    for op, av in items:
        name = str(op)
        wrap = "(?i:{})" if caseless else "{}"
        if name == "LITERAL":
            return [*firsts, wrap.format(_char(av))], False
        if name == "NOT_LITERAL":
            return [*firsts, wrap.format(f"[^{_char(av)}]")], False
        if name == "IN":
            body = ""
            for iop, iav in av:
                iname = str(iop)
                if iname == "NEGATE":
                    body += "^"
                elif iname == "LITERAL":
                    body += _char(iav)
                elif iname == "RANGE":
                    body += f"{_char(iav[0])}-{_char(iav[1])}"
                elif iname == "CATEGORY" and str(iav) in _CATEGORIES:
                    body += _CATEGORIES[str(iav)]
                else:
                    return None, False
            return [*firsts, wrap.format(f"[{body}]")], False
        if name == "SUBPATTERN":
            flag = re.IGNORECASE.value
            inner = bool((caseless and not av[2] & flag) or av[1] & flag)
            sub, empty = _first(list(av[3]), inner)
        elif name == "BRANCH":
            sub, empty = [], False
            for alt in av[1]:
                alt_first, alt_empty = _first(list(alt), caseless)
                if alt_first is None:
                    return None, False
                sub, empty = sub + alt_first, empty or alt_empty
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            sub, empty = _first(list(av[2]), caseless)
            empty = empty or av[0] == 0
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:  # ANY and anything unexpected: any character
            return None, False
        if sub is None:
            return None, False
        firsts += sub
        if not empty:
            return firsts, False
    return firsts, True


@functools.cache
def _parsed_rules() -> list[tuple[str, re.Pattern[str] | None, str]]:
    """(pattern, what its first character can be or None for any, action) of every rule
    alternative, in rule order."""
    rules = []
    for action, *patterns in _RULES:
        for pattern in patterns:
            firsts, empty = _first(list(_sre_parse.parse(pattern)), False)
            first = None if firsts is None or empty else re.compile("|".join(firsts))
            rules.append((pattern, first, action))
    return rules


@functools.cache
def _table(candidates: tuple[int, ...]) -> tuple[re.Pattern[str], list[tuple[int, int, str]]]:
    """One pattern that tries the ``candidates`` rule alternatives at a position, each
    inside an optional lookahead that captures its match, and (group of the match, group
    of the token, action) for each, in rule order: one C call yields every length."""
    rules = _parsed_rules()
    parts, groups = [], []
    for k in candidates:
        pattern, _, action = rules[k]
        parts.append(f"(?:(?=(?P<a{k}>{pattern.replace('(?P<t>', f'(?P<t{k}>')}))|)")
        groups.append((f"a{k}", f"t{k}" if "(?P<t>" in pattern else f"a{k}", action))
    rx = re.compile("".join(parts))
    return rx, [(rx.groupindex[a], rx.groupindex[t], act) for a, t, act in groups]


def _candidates(c: str) -> set[int]:
    """The rule alternatives that can start at character ``c``."""
    return {k for k, (_, first, _) in enumerate(_parsed_rules()) if first is None or first.match(c)}


_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@functools.lru_cache(maxsize=4096)
def _table_for(c: str) -> tuple[re.Pattern[str], list[tuple[int, int, str]]]:
    """The table of the rules that can start at character ``c`` (one for all ASCII
    letters, one for all digits 0-9: a few more rules, far fewer tables to build)."""
    if c in _ASCII_LETTERS:
        return _table_of_chars(_ASCII_LETTERS)
    if "0" <= c <= "9":
        return _table_of_chars("0123456789")
    return _table_of_chars(c)


@functools.cache
def _table_of_chars(chars: str) -> tuple[re.Pattern[str], list[tuple[int, int, str]]]:
    candidates: set[int] = set()
    for ch in chars:
        candidates |= _candidates(ch)
    return _table(tuple(sorted(candidates)))


_QUOTE_MAP = str.maketrans(
    {
        "\u0091": "`",
        "\u2018": "`",
        "\u201b": "`",
        "\u2039": "`",
        "\u0092": "'",
        "\u2019": "'",
        "\u203a": "'",
        "\u0093": "``",
        "\u201c": "``",
        "\u00ab": "``",
        "\u0094": "''",
        "\u201d": "''",
        "\u00bb": "''",
    }
)
_MONEY_MAP = str.maketrans(
    {"\u00a2": "cents", "\u00a3": "#", "\u0080": "$", "\u00a4": "$", "\u20a0": "$", "\u20ac": "$"}
)
_FRAC_MAP = str.maketrans(
    {"\u00bc": "1/4", "\u00bd": "1/2", "\u00be": "3/4", "\u2153": "1/3", "\u2154": "2/3"}
)
_PAREN_MAP = str.maketrans(
    {"(": "-LRB-", ")": "-RRB-", "[": "-LSB-", "]": "-RSB-", "{": "-LCB-", "}": "-RCB-"}
)
_AMP_ENTITY = re.compile("(?i)&amp;")
_QUOT_ENTITY = re.compile("&quot;")  # (Java replaces it case-sensitively)


def _latex_quotes(tok: str, left: bool) -> str:
    """Quote characters as the lexer writes them (`` `` `` / ``''`` style)."""
    if left:
        tok = _QUOT_ENTITY.sub("``", tok.replace("'", "`").replace('"', "``"))
    else:
        tok = _QUOT_ENTITY.sub("''", tok.replace('"', "''"))
    return tok.translate(_QUOTE_MAP)


def _soft(tok: str) -> str:
    return (tok.replace("\u00ad", "") or "-") if "\u00ad" in tok else tok


_ACTIONS: dict[str, Callable[[str], str]] = {
    _KEEP: lambda t: {"&lt;": "<", "&gt;": ">"}.get(t.lower(), t) if t[:1] == "&" else t,
    _SOFT: _soft,
    _LEFT: lambda t: _latex_quotes(t, True),
    _RIGHT: lambda t: _latex_quotes(t, False),
    _DASH: lambda t: "--",
    _DOTS: lambda t: "...",
    _SPACE_NB: lambda t: t.replace(" ", "\u00a0"),
    _PHONE: lambda t: t.replace(" ", "\u00a0").translate(_PAREN_MAP),
    _AMP: lambda t: _AMP_ENTITY.sub("&", t),
    _FRAC2: lambda t: t.translate(_FRAC_MAP),
    _MONEY: lambda t: t.translate(_MONEY_MAP),
    _PARENS: lambda t: t.translate(_PAREN_MAP),
    _SMILEY: lambda t: t.replace("(", "-LRB-").replace(")", "-RRB-"),
    _HYPHENS: lambda t: "--" if 3 <= len(t) <= 4 else t,
}

#: Lower-case words that can keep a final period as one token (the abbreviation rules
#: in any case, "www"; one-letter words can too): the shortcuts below leave them alone.
ABBREVIATION_WORDS = (
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|tues|wed|thu|thurs|fri|ala|"
    "ariz|az|ark|calif|colo|conn|ct|dak|del|fla|ga|ill|ind|kan|kans|ky|la|mass|md|mich|minn|"
    "miss|mo|mont|neb|nev|okla|ore|pa|penn|tenn|tex|va|vt|wash|wis|wisc|wyo|inc|co|cos|corp|"
    "pty|pte|ptys|ptes|ppty|ppte|pptys|pptes|ltd|plc|rt|bancorp|bhd|assn|univ|intl|sys|tel|"
    "est|ext|sq|jr|sr|bros|blvd|rd|esq|etc|al|seq|bldg|mr|mrs|ms|dr|drs|prof|profs|sen|sens|"
    "rep|reps|atty|attys|lt|col|gen|messrs|gov|govs|adm|rev|maj|sgt|cpl|pvt|capt|st|ste|ave|"
    "pres|lieut|hon|brig|cmdr|comdr|pfc|spc|supt|supts|det|mt|ft|adj|adv|asst|assoc|ens|insp|"
    "mlle|mme|msgr|sfc|vs|alex|wm|jos|cie|cf|treas|ph|invt|elec|natl|mfg|mtg|dept|ca|fig|"
    "figs|prop|no|nos|art|pp|op|www"
)
_KEEPS_PERIOD = frozenset(ABBREVIATION_WORDS.split("|"))

# Shortcuts, where no rule can match longer than a plain word (checked rule by rule):
# ASCII letters followed by a space, a line end, one of )}" or one of ,!? or a period that
# a space or line end follows (the period then lexed on its own), or blanks. (Not ; or ]:
# an e-mail address can go on through them.)
_PLAIN_WORD = re.compile(
    r"[A-Za-z]+(?=[ \n]|\Z)|[ \t]+|(?P<w>[A-Za-z]+)(?=[)}\"]|(?P<p>[.,!?])(?:[ \n]|\Z))"
)
_SPLIT = frozenset(["cannot", "gonna", "gotta", "lemme", "gimme", "wanna"])


def lex_line(
    buffer: str, start: int, end: int | None = None, *, shortcuts: bool = True
) -> list[str]:
    """Tokens (original case) of ``buffer[start:end]``, one line of the lexer's input.

    ``end`` defaults to the next ``"\\n"`` (or the end of ``buffer``); what follows
    ``end`` is only looked at, as the Java lexer's trailing context does.
    ``shortcuts=False`` tries every rule at every position (for tests: same tokens).

    >>> lex_line("a big A.\\nThe end", 0), lex_line("a big A.", 0)
    (['a', 'big', 'A', '.'], ['a', 'big', 'A.'])
    """
    if end is None:
        end = buffer.find("\n", start)
        if end < 0:
            end = len(buffer)
    tokens: list[str] = []
    pos = start
    plain = _PLAIN_WORD.match if shortcuts else lambda _text, _pos: None
    while pos < end:
        m = plain(buffer, pos)
        if (
            m is not None
            and m.end() <= end
            and not (m["p"] == "." and (len(m["w"]) == 1 or m["w"].lower() in _KEEPS_PERIOD))
        ):
            word = m.group()
            if word[0] not in " \t":
                if word.lower() in _SPLIT:
                    n = 3 if word.lower() == "cannot" else 2
                    tokens += [word[:-n], word[-n:]]
                else:
                    tokens.append(word)
            pos = m.end()
            continue
        table, groups = _table_for(buffer[pos])
        spans = table.match(buffer, pos).regs  # type: ignore[union-attr]
        best_end, tok_end, action = pos, pos, _DROP
        for whole, token, act in groups:  # longest match wins, the first of equals
            if spans[whole][1] > best_end:
                best_end, tok_end, action = spans[whole][1], spans[token][1], act
        tok_end = min(max(tok_end, pos + 1), end)
        tok = buffer[pos:tok_end]
        if action in (_SKIP, _DROP, _NEWLINE):
            pos = tok_end
        elif action in (_PUSH2, _PUSH3):
            n = 2 if action == _PUSH2 else 3
            tokens.append(tok[:-n])
            pos = tok_end - n
        elif action == _END_PERIOD:
            tokens.append(tok)
            pos = tok_end - 1
        elif action == _ACRONYM:
            tokens.append(tok[0] if len(tok) == 2 else tok)
            pos = tok_end - 1
        else:
            tokens.append(_ACTIONS[action](tok))
            pos = tok_end
    return tokens
