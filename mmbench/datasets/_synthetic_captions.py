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
