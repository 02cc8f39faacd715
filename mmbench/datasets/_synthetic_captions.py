"""Seeded COCO-format caption data for tests and benchmarks (no download needed).

Each image gets a scene (subject, action, object, place); its reference captions and the
system's caption describe that scene in varied wording, so n-grams are shared within an
image and across images much as in COCO. ``style="varied"`` adds what real captions and
model outputs contain now and then: punctuation, contractions, numbers, hyphens, quotes,
brackets, currency, abbreviations, unicode.

>>> ann, res = coco_caption_files(3, refs_per_image=2, seed=1)
>>> len(ann["annotations"]), len(res), sorted(res[0])
(6, 3, ['caption', 'image_id'])
"""

from __future__ import annotations

import random
from typing import Any

_ADJ = [
    "small",
    "large",
    "young",
    "old",
    "red",
    "blue",
    "white",
    "black",
    "brown",
    "green",
    "yellow",
    "wooden",
    "tall",
    "little",
]
_SUBJ = [
    "man",
    "woman",
    "boy",
    "girl",
    "dog",
    "cat",
    "horse",
    "bird",
    "giraffe",
    "elephant",
    "zebra",
    "cow",
    "sheep",
    "bear",
    "person",
    "child",
    "skier",
    "surfer",
    "player",
    "chef",
    "couple",
    "group",
    "train",
    "bus",
    "truck",
    "car",
    "motorcycle",
    "bicycle",
]
_VERB = [
    "riding",
    "sitting",
    "standing",
    "walking",
    "eating",
    "holding",
    "playing",
    "looking",
    "lying",
    "running",
    "flying",
    "carrying",
    "watching",
    "crossing",
    "parked",
    "jumping",
]
_OBJ = [
    "wave",
    "surfboard",
    "skateboard",
    "frisbee",
    "kite",
    "ball",
    "pizza",
    "sandwich",
    "bench",
    "table",
    "umbrella",
    "laptop",
    "phone",
    "book",
    "bowl",
    "plate",
    "tree",
    "fence",
    "road",
    "field",
    "beach",
    "street",
    "snow",
    "grass",
    "water",
]
_PREP = ["on", "in", "near", "next", "to", "under", "behind", "beside", "along", "across", "over"]
_PLACE = [
    "park",
    "kitchen",
    "city",
    "beach",
    "field",
    "room",
    "street",
    "yard",
    "zoo",
    "station",
    "lake",
    "forest",
]
_NUM = ["two", "three", "four", "several", "many", "a", "few"]

_EXTRAS = [
    "Dr. Smith's",
    "the U.S.",
    "p.m.",
    "vs.",
    "St. Louis",
    "$5.50",
    "$12",
    "3.5%",
    "1,000",
    "2 1/2",
    "12/25/2010",
    "5:30",
    "(brown)",
    "[sic]",
    "{x}",
    '"quoted"',
    "'single'",
    "\u201csmart\u201d",
    "isn't",
    "don't",
    "can't",
    "it's",
    "they're",
    "I'm",
    "we've",
    "cannot",
    "gonna",
    "well-known",
    "x-ray",
    "3-year-old",
    "t-shirt",
    "--",
    " - ",
    "...",
    "\u2026",
    "\u2014",
    "caf\u00e9",
    "na\u00efve",
    "Z\u00fcrich",
    "\u00bd",
    "\u00a35",
    "Mr.",
    "Mrs.",
    "etc.",
    "e.g.",
    "A.",
    "O'Neil",
    "o'clock",
    "dogs'",
    "#1",
    "@home",
    "AT&T",
    "q&a",
    "!!",
    "?!",
    "80's",
    "1950s",
    "w/",
    "and/or",
    "&",
    "*",
    "100%",
    "#tag",
    ";",
    ":",
    "!",
]


def _scene(rng: random.Random) -> dict[str, str]:
    return {
        "adj": rng.choice(_ADJ),
        "subj": rng.choice(_SUBJ),
        "verb": rng.choice(_VERB),
        "obj": rng.choice(_OBJ),
        "prep": rng.choice(_PREP).replace("\u00a0", " "),
        "place": rng.choice(_PLACE),
        "num": rng.choice(_NUM).replace("\u00a0", " "),
    }


_TEMPLATES = [
    "a {adj} {subj} {verb} {prep} a {obj}",
    "A {subj} is {verb} {prep} the {obj} in a {place}.",
    "{num} {subj}s {verb} {prep} a {adj} {obj}",
    "there is a {subj} {verb} {prep} a {obj} in the {place}",
    "The {adj} {subj} {verb} a {obj}.",
    "a {subj} that is {verb} {prep} a {obj} near a {place}",
    "An image of a {adj} {subj} {verb} {prep} some {obj}",
    "{subj} {verb} {obj} {place}",
]


def caption(rng: random.Random, scene: dict[str, str], style: str = "plain") -> str:
    """One caption of ``scene``; ``style="varied"`` sprinkles in edge cases."""
    text = rng.choice(_TEMPLATES).format(**scene)
    if rng.random() < 0.3:
        text = text.capitalize()
    if style == "varied":
        words = text.split(" ")
        for _ in range(rng.randint(1, 4)):
            words.insert(rng.randint(0, len(words)), rng.choice(_EXTRAS))
        text = " ".join(words)
        text += rng.choice(["", ".", " .", "!", "?", "...", ",", " ."])
        if rng.random() < 0.1:
            text = text.upper()
    elif rng.random() < 0.5:
        text += "."
    return text


def coco_caption_files(
    n_images: int,
    refs_per_image: int = 5,
    seed: int = 0,
    style: str = "plain",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(annotations JSON dict in the COCO captions format, results list) for ``n_images``.

    Images have ids ``1..n_images`` with ``refs_per_image`` references each (one image in
    seven gets one more, as in COCO); a result caption describes its own scene 80% of the
    time and some other scene otherwise.
    """
    rng = random.Random(seed)
    scenes = [_scene(rng) for _ in range(n_images)]
    images, annotations, results = [], [], []
    for image_id, scene in enumerate(scenes, start=1):
        images.append({"id": image_id, "file_name": f"{image_id:012d}.jpg"})
        n_refs = refs_per_image + (1 if image_id % 7 == 0 else 0)
        for _ in range(n_refs):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "caption": caption(rng, scene, style),
                }
            )
        own = scene if rng.random() < 0.8 else rng.choice(scenes)
        results.append({"image_id": image_id, "caption": caption(rng, own, style)})
    annotations_json = {
        "info": {"description": "mmbench synthetic COCO captions"},
        "images": images,
        "annotations": annotations,
        "licenses": [],
    }
    return annotations_json, results


# Families of caption pieces on which a tokenizer can disagree with the Java PTBTokenizer
# (as found in COCO's human captions): each entry builds one random piece.
_APOSTROPHES = ["'", "'", "'", "\u2019", "`", "\u2018"]
_LEFT_PARTS = ["po", "Ho", "graffiti", "black", "tha", "rock", "o", "O", "d", "l", "y", "Y"]
_LEFT_PARTS += ["Dunkin", "somethin", "ol", "nor", "c", "e", "s", "ev", "li", "nat", "cont"]
_LEFT_PARTS += ["can", "don", "won", "it", "I", "we", "they", "dog", "Mc", "ma", "bo", "Cap"]
_RIGHT_PARTS = ["boy", "ohu", "ed", "blue", "ts", "n", "t", "s", "re", "ve", "ll", "d", "m"]
_RIGHT_PARTS += ["clock", "all", "mon", "er", "mores", "ry", "l", "easter", "em", "Neil", "est"]
_RIGHT_PARTS += ["90s", "80s", "til", "till", "cause", "tis", "twas", "S", "T", "Ed", "am", ""]
_QUOTE_PAIRS = [("'", "'"), ('"', '"'), ("`", "'"), ("``", "''"), ("\u201c", "\u201d")]
_QUOTE_PAIRS += [("\u2018", "\u2019"), ("'", '"'), ('"', "'"), ("''", "''"), ("\u00ab", "\u00bb")]
_QUOTED = ["t-ball", "don't STOP believing", "STOP", "x-ray", "Joe's", "fun", "A", "hi there"]
_QUOTED += ["10-4", "go", "CAUTION", "cafe", "I'm lovin' it", "U.S.", "no. 5", "well-known"]
_AMPERSANDS = ["M&Ms", "M&M's", "AT&T", "q&a", "Q&A", "R&B", "A&W", "B&W", "s&p", "S&P-500"]
_AMPERSANDS += ["P&G", "AT&amp;T", "&amp;", "&", "rock&roll", "Mr.&Mrs.", "H&M", "a&w", "A & W"]
_SIGNS = ["+9", "+", "-5", "+/-", "%", "=", "#1", "$5", "~", "^", "|", "*", "**", "@", "@home"]
_SIGNS += ["#tag", "<", ">", "<unk>", "</s>", ":)", ";-)", ":(", "x_x", "^_^", "(x_x)", "1/2"]
_SIGNS += [":[", ";{", "=]", ":-)", ":D", ";P", "<3", "->", "=>", "+/-", "++", "&amp;", "&quot;"]
_SIGNS += ["\u00bd", "\u00a35", "\u20ac3", "\u00a2", "\u00b0", "\u00d7", "2\u00b2", "\\", "/"]
_LINE_END_WORDS = ["wash", "Wash", "mass", "Mass", "ore", "Ore", "pa", "Pa", "la", "La", "ill"]
_LINE_END_WORDS += ["Ill", "del", "Del", "miss", "Miss", "car", "land", "St", "ST", "st", "ct"]
_LINE_END_WORDS += ["Ct", "N", "A", "a", "I", "q&a", "Q&A", "Ave", "ave", "Rd", "Dr", "co"]
_LINE_END_WORDS += ["Inc", "Corp", "Ltd", "etc", "vs", "Jan", "Sept", "Mr", "Mrs", "Jr", "tex"]
_LINE_END_WORDS += ["Tex", "mo", "Mo", "U.S", "D.C", "p.m", "a.m", "e.g", "i.e", "no", "No"]
_LINE_END_WORDS += ["fig", "Fig", "ca", "Pty", "pty", "Mfg", "MFG", "Ph.D", "Blvd", "Mt", "ft"]
_LINE_END_WORDS += ["dogs", "bed", "Morningside Ct", "Branch St. 200 N", "college ct", "sq"]
_ENDINGS = ["", ".", ".", ".;", '."', '".', ".'", "..", "...", " .", ".)", "!", "?", ".,", ";"]
_ENDINGS += [". ", ".+9", ".-", "....", ". . .", ".:", "?!", ".\u2026", ".\u201d"]
_SENTENCE_STARTERS = ["The", "A", "An", "He", "She", "It", "This", "There", "They", "We"]
_SENTENCE_STARTERS += ["In", "At", "As", "But", "If", "One", "Some", "So", "You", "Mr.", "<b>"]


def _time(rng: random.Random) -> str:
    clock = f"{rng.randint(0, 12)}:{rng.randint(0, 59):02d}" if rng.random() < 0.8 else ""
    clock = clock or str(rng.randint(1, 12))
    ampm = rng.choice(["am", "pm", "AM", "PM", "Pm", "a.m.", "p.m.", "A.M.", "P.M.", "noon"])
    return clock + rng.choice(["", "", " "]) + ampm + rng.choice(["", ".", "", ","])


def _apostrophe_word(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(_APOSTROPHES) + rng.choice(_RIGHT_PARTS + ["til", "em", "90s"])
    return rng.choice(_LEFT_PARTS) + rng.choice(_APOSTROPHES) + rng.choice(_RIGHT_PARTS)


def _quoted(rng: random.Random) -> str:
    left, right = rng.choice(_QUOTE_PAIRS)
    inner = rng.choice(_QUOTED) if rng.random() < 0.7 else _apostrophe_word(rng)
    return left + inner + right + rng.choice(["", "", ".", ",", "!", '."'])


def _hyphen_run(rng: random.Random) -> str:
    dash = rng.choice(["-" * rng.randint(1, 6), "\u2014", "\u2013", "&mdash;", "_", "__"])
    gap = rng.choice(["", "", " "])
    return rng.choice(_OBJ + ["kite", "3", "A"]) + gap + dash + gap + rng.choice(_VERB + ["x"])


def _underscore(rng: random.Random) -> str:
    parts = [rng.choice(["Connect", "snake", "x", "my", "USER", "a1", ""]) for _ in range(2)]
    return rng.choice(["_", "__", "_"]).join(parts) + rng.choice(["", "_", ""])


def _sign(rng: random.Random) -> str:
    word = rng.choice(_OBJ)
    sign = rng.choice(_SIGNS)
    return rng.choice([word + sign, sign + word, word + "." + sign, sign, word + " " + sign])


def _line_end(rng: random.Random) -> str:
    return rng.choice(_LINE_END_WORDS) + rng.choice(_ENDINGS[:12])


_FAMILIES = [_time, _apostrophe_word, _quoted, _hyphen_run, _underscore, _sign]
_FAMILIES += [lambda rng: rng.choice(_AMPERSANDS), lambda rng: rng.choice(_EXTRAS)]


def ptb_family_caption(rng: random.Random) -> str:
    """One caption built to probe a PTB tokenizer's rules (times, in-word apostrophes,
    quotes, hyphen runs, ampersands, underscores, signs, abbreviations at the line end).

    >>> ptb_family_caption(random.Random(2))
    'few bicycles sitting 2:27 p.m. 6A.M., in a little skateboard :.+9'
    """
    words = caption(rng, _scene(rng)).rstrip(".").split(" ")
    if rng.random() < 0.3:
        words[0] = rng.choice(_SENTENCE_STARTERS)  # a sentence start for the line before
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randint(0, len(words)), rng.choice(_FAMILIES)(rng))
    if rng.random() < 0.4:
        words.append(_line_end(rng))
    text = " ".join(words) + rng.choice(_ENDINGS)
    if rng.random() < 0.08:
        text = text.upper()
    return text


def ptb_family_captions(n: int, seed: int = 0) -> list[str]:
    """``n`` seeded captions of :func:`ptb_family_caption`.

    >>> len(ptb_family_captions(5, seed=1)), ptb_family_captions(5, 1) == ptb_family_captions(5, 1)
    (5, True)
    """
    rng = random.Random(seed)
    return [ptb_family_caption(rng) for _ in range(n)]


# Pieces whose random concatenations ("soup") reach lexer rules that real captions rarely
# combine: brackets and smileys, entities, URLs, numbers glued to words, unicode marks.
_SOUP = ["a", "dog", "A", "The", "I", "st", "St", "Ct", "wash", "Mr", "U.S", "p.m", "e.g", "no"]
_SOUP += ["fig", "co", "Inc", " ", " ", " ", "  ", ".", ".", "..", "...", ",", ";", ":", "!"]
_SOUP += ["?", "'", "'", "\u2019", "`", '"', "(", ")", "[", "]", "{", "}", "-", "--", "---", "_"]
_SOUP += ["&", "&amp;", "+", "=", "/", "\\", "*", "#", "@", "$", "%", "^", "~", "|", "<", ">"]
_SOUP += ["5", "12", "1/2", "6:40", "3.5", "1,000", "2014", "PM", "am", "s", "t", "n't", "'s"]
_SOUP += ["'re", "ll", "em", "til", "cannot", "gonna", "www", "com", "http://", "x", "o", "d"]
_SOUP += ["l", "y", "\u00e9", "\u00bd", "\u00a3", "\u20ac", "\u2014", "\u2026", "\u201c"]
_SOUP += ["\u201d", "\u00ad", "\t", ":)", "<b>", "pro-", "c++", "AT&T", "M&M", "Q&A", "x_x"]
_SOUP += ["d'", "O'", "'90s", "&quot;", "&lt;", "Ph.D", "555-1234", "(555) 123-4567", "e-mail"]


def ptb_soup_captions(n: int, seed: int = 0) -> list[str]:
    """``n`` seeded strings of 1-14 random pieces glued together (no spaces added).

    >>> len(ptb_soup_captions(4, seed=2)), ptb_soup_captions(4, 2) == ptb_soup_captions(4, 2)
    (4, True)
    """
    rng = random.Random(seed)
    return ["".join(rng.choice(_SOUP) for _ in range(rng.randint(1, 14))) for _ in range(n)]
