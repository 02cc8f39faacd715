"""``shapes_caption``: procedurally rendered scenes of 1–3 shapes with 5 captions each.

Each 96x96 scene places shapes (circle, square, triangle, diamond) of a colour and a size
in distinct cells of a 3x3 grid; a templated grammar with synonyms, varied word order,
spatial relations ("to the left of", "above") and counts ("two circles") writes five
different true captions. Splits are written in the official COCO captions layout::

    mini/shapes_caption/annotations/captions_{train,val,test}.json
    mini/shapes_caption/{train,val,test}/shapes_{split}_{image_id:06d}.png

Everything is deterministic: scenes come from ``random.Random(seed)`` (whose stream Python
keeps stable) and are rasterised with integer numpy arithmetic (4x4 supersampling, no PIL
drawing, no fonts), so pixels and captions are identical on every machine.

>>> scene = make_scene(random.Random(0))
>>> len(captions(scene, random.Random(0)))
5
>>> render(scene).shape
(96, 96, 3)
"""

from __future__ import annotations

import io
import json
import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmbench.datasets._embedded import content_hash, ensure_built
from mmbench.registry import GENERATORS

VERSION = "1"
IMAGE_SIZE = 96
CELL = IMAGE_SIZE // 3
SUPERSAMPLE = 4
#: images per split and the seed of each split
SPLITS: dict[str, tuple[int, int]] = {
    "train": (4000, 1001),
    "val": (500, 1002),
    "test": (500, 1003),
}
#: image ids are unique across splits, like COCO's
ID_OFFSET = {"train": 0, "val": 100_000, "test": 200_000}
FOLDER = Path("mini") / "shapes_caption"
#: extra splits built on demand (``mmbench generate shapes-caption --split NAME``)
EXTRA_FOLDER = Path("mini") / "shapes_caption_extra"

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "purple": (140, 60, 180),
    "orange": (245, 140, 30),
    "black": (20, 20, 20),
    "pink": (240, 130, 190),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {"white": (250, 250, 250), "gray": (185, 185, 185)}
SHAPES = ("circle", "square", "triangle", "diamond")
SHAPE_WORDS = {
    "circle": ("circle", "disc"),
    "square": ("square",),
    "triangle": ("triangle",),
    "diamond": ("diamond", "rhombus"),
}
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "diamond": "diamonds"}
SIZE_WORDS = {"small": ("small", "little", "tiny"), "large": ("large", "big")}
RADIUS = {"small": (6, 9), "large": (11, 14)}
BG_WORDS = {"white": ("white",), "gray": ("gray", "grey")}
NUMBERS = {1: "one", 2: "two", 3: "three"}
ABSOLUTE = {
    (0, 0): ("in the top left corner", "at the top left"),
    (1, 0): ("at the top", "at the top center"),
    (2, 0): ("in the top right corner", "at the top right"),
    (0, 1): ("on the left", "at the left side"),
    (1, 1): ("in the center", "in the middle"),
    (2, 1): ("on the right", "at the right side"),
    (0, 2): ("in the bottom left corner", "at the bottom left"),
    (1, 2): ("at the bottom", "at the bottom center"),
    (2, 2): ("in the bottom right corner", "at the bottom right"),
}
PICTURE = ("a picture of", "an image of", "a drawing of")


@dataclass(frozen=True)
class Shape:
    """One shape of a scene: kind, colour and size names, grid cell and pixel geometry."""

    kind: str
    color: str
    size: str
    col: int
    row: int
    cx: int
    cy: int
    radius: int


@dataclass(frozen=True)
class Scene:
    """A background colour and 1–3 shapes in distinct grid cells."""

    background: str
    shapes: tuple[Shape, ...]


def make_scene(rng: random.Random) -> Scene:
    """Draw a random scene; duplicates of kind (and colour) are common so counts occur."""
    n = rng.choices((1, 2, 3), weights=(3, 4, 3))[0]
    cells = rng.sample([(c, r) for r in range(3) for c in range(3)], n)
    shapes: list[Shape] = []
    for col, row in cells:
        if shapes and rng.random() < 0.35:
            kind = shapes[-1].kind
            color = shapes[-1].color if rng.random() < 0.5 else rng.choice(sorted(COLORS))
        else:
            kind, color = rng.choice(SHAPES), rng.choice(sorted(COLORS))
        size = rng.choice(("small", "large"))
        radius = rng.randint(*RADIUS[size])
        slack = CELL // 2 - 1 - radius
        cx = col * CELL + CELL // 2 + rng.randint(-slack, slack)
        cy = row * CELL + CELL // 2 + rng.randint(-slack, slack)
        shapes.append(Shape(kind, color, size, col, row, cx, cy, radius))
    return Scene(rng.choice(sorted(BACKGROUNDS)), tuple(shapes))


def _mask(shape: Shape, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Boolean coverage of ``shape`` at sub-pixel centres ``xs`` ``[1, W]``, ``ys`` ``[H, 1]``."""
    dx, dy, r = xs - shape.cx, ys - shape.cy, float(shape.radius)
    if shape.kind == "circle":
        return dx * dx + dy * dy <= r * r
    if shape.kind == "square":
        return np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * r
    if shape.kind == "diamond":
        return np.abs(dx) / (0.8 * r) + np.abs(dy) / r <= 1.0
    # triangle pointing up: apex at cy - r, base at cy + 0.7 r, half-width r at the base
    return (dy <= 0.7 * r) & (np.abs(dx) <= (dy + r) / 1.7)


def render(scene: Scene) -> np.ndarray:
    """Rasterise a scene to RGB uint8 ``[96, 96, 3]`` with 4x4 supersampled edges."""
    img = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.int64)
    img[:] = BACKGROUNDS[scene.background]
    full = SUPERSAMPLE * SUPERSAMPLE
    for shape in scene.shapes:
        # only the shape's bounding box [y0:y1, x0:x1] is rasterised
        x0, x1 = max(shape.cx - shape.radius - 1, 0), min(shape.cx + shape.radius + 2, IMAGE_SIZE)
        y0, y1 = max(shape.cy - shape.radius - 1, 0), min(shape.cy + shape.radius + 2, IMAGE_SIZE)
        sub = (np.arange(SUPERSAMPLE, dtype=np.float64) + 0.5) / SUPERSAMPLE  # [4]
        xs = (np.arange(x0, x1, dtype=np.float64)[:, None] + sub).ravel()  # [W*4]
        ys = (np.arange(y0, y1, dtype=np.float64)[:, None] + sub).ravel()  # [H*4]
        mask = _mask(shape, xs[None, :], ys[:, None])  # [H*4, W*4]
        mask = mask.reshape(y1 - y0, SUPERSAMPLE, x1 - x0, SUPERSAMPLE)
        k = mask.sum(axis=(1, 3))[..., None]  # [H, W, 1] covered sub-pixels, 0..16
        color = np.array(COLORS[shape.color], dtype=np.int64)  # [3]
        box = img[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = (box * (full - k) + color * k + full // 2) // full
    return img.astype(np.uint8)


def _article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _noun(shape: Shape, rng: random.Random, detail: str | None = None) -> str:
    """``a small red circle`` / ``a red circle`` / ``a big circle`` (detail drawn if None)."""
    detail = detail or rng.choices(("full", "color", "size"), weights=(5, 4, 1))[0]
    word = rng.choice(SHAPE_WORDS[shape.kind])
    size = rng.choice(SIZE_WORDS[shape.size])
    words = {
        "full": f"{size} {shape.color} {word}",
        "color": f"{shape.color} {word}",
        "size": f"{size} {word}",
    }
    return _article(words[detail])


def _where(shape: Shape, rng: random.Random) -> str:
    return rng.choice(ABSOLUTE[(shape.col, shape.row)])


def relation(a: Shape, b: Shape, rng: random.Random) -> str:
    """Where ``a`` is relative to ``b``: ``left of``, ``above``, ``below and to the right of``."""
    horizontal = (
        ""
        if a.col == b.col
        else rng.choice(
            ("to the left of", "left of") if a.col < b.col else ("to the right of", "right of")
        )
    )
    vertical = (
        ""
        if a.row == b.row
        else rng.choice(("above", "over") if a.row < b.row else ("below", "under", "beneath"))
    )
    if horizontal and vertical:  # diagonal: "above and to the left of"
        side = "left" if a.col < b.col else "right"
        return f"{'above' if a.row < b.row else 'below'} and to the {side} of"
    return horizontal or vertical


def _listing(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _counted(scene: Scene, rng: random.Random) -> str:
    """``two blue circles and a red triangle``, ``two circles, one red and one pink``."""
    groups: dict[str, list[Shape]] = {}
    for shape in scene.shapes:
        groups.setdefault(shape.kind, []).append(shape)
    parts = []
    for kind, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        if len(members) == 1:
            parts.append(_noun(members[0], rng, rng.choice(("color", "full"))))
            continue
        colors = sorted({m.color for m in members})
        number = NUMBERS[len(members)]
        if len(colors) == 1:
            parts.append(f"{number} {colors[0]} {PLURAL[kind]}")
        elif len(members) == 2:
            parts.append(
                f"{number} {PLURAL[kind]}, one {members[0].color} and one {members[1].color}"
            )
        else:
            parts.append(f"{number} {PLURAL[kind]}")
    return _listing(parts)


def _templates(scene: Scene, rng: random.Random) -> list[str]:
    """One candidate caption per template, in a fixed template order."""
    sh = list(scene.shapes)
    bg = rng.choice(BG_WORDS[scene.background])
    pic = rng.choice(PICTURE)
    if len(sh) == 1:
        (a,) = sh
        return [
            f"{_noun(a, rng)} {_where(a, rng)}",
            f"there is {_noun(a, rng)} {_where(a, rng)}",
            f"{_where(a, rng)} there is {_noun(a, rng)}",
            f"{_noun(a, rng)} on a {bg} background",
            f"{pic} a single {a.color} {rng.choice(SHAPE_WORDS[a.kind])}",
            f"one {rng.choice(SIZE_WORDS[a.size])} {a.kind} {_where(a, rng)} of the image",
        ]
    if len(sh) == 2:
        a, b = sh
        return [
            f"{_noun(a, rng)} {relation(a, b, rng)} {_noun(b, rng)}",
            f"{_noun(b, rng)} {relation(b, a, rng)} {_noun(a, rng)}",
            f"{_counted(scene, rng)} on a {bg} background",
            f"two shapes: {_noun(a, rng)} {_where(a, rng)} and {_noun(b, rng)} {_where(b, rng)}",
            f"there is {_noun(b, rng)} {_where(b, rng)} and {_noun(a, rng)} {_where(a, rng)}",
            f"{pic} {_counted(scene, rng)}",
        ]
    a, b, c = sh
    order = rng.sample(sh, 3)
    return [
        _listing([_noun(s, rng) for s in order]),
        f"three shapes: {_counted(scene, rng)}",
        f"{_noun(a, rng)} {relation(a, b, rng)} {_noun(b, rng)}, and {_noun(c, rng)} "
        + _where(c, rng),
        f"{_noun(c, rng)} {_where(c, rng)} with {_noun(b, rng)} {relation(b, a, rng)} "
        + _noun(a, rng),
        f"{pic} {_counted(scene, rng)} on a {bg} background",
        f"there are three shapes, {_listing([_noun(s, rng, 'color') for s in sh])}",
    ]


def captions(scene: Scene, rng: random.Random, n: int = 5) -> list[str]:
    """``n`` distinct true captions, each from a different template (lower case, no period)."""
    candidates = list(dict.fromkeys(_templates(scene, rng)))
    return rng.sample(candidates, n)


def describe(scene: Scene, rng: random.Random) -> str:
    """One caption of ``scene`` (the transcript source of ``spoken_shapes``)."""
    return rng.choice(_templates(scene, rng))


def _png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def coco_document(split: str, images: list[dict], annotations: list[dict]) -> dict:
    """A COCO captions annotation file (``info``, ``licenses``, ``images``, ``annotations``)."""
    return {
        "info": {
            "description": f"mmbench shapes_caption {split} split (procedurally generated)",
            "version": VERSION,
            "year": 2025,
            "contributor": "mmbench",
            "date_created": "2025-01-01",
        },
        "licenses": [
            {
                "id": 1,
                "name": "CC0-1.0",
                "url": "https://creativecommons.org/publicdomain/zero/1.0/",
            }
        ],
        "images": images,
        "annotations": annotations,
    }


def write_split(root: Path, split: str, n: int, seed: int) -> str:
    """Write ``n`` scenes of ``split`` under ``root`` (COCO layout); returns their content hash.

    The hash covers the rendered pixels and the annotation JSON, not the PNG bytes (zlib
    builds differ between Pillow wheels; pixels do not).
    """
    rng = random.Random(seed)
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    images, annotations, chunks = [], [], []
    for i in range(n):
        image_id = ID_OFFSET.get(split, 0) + i + 1
        scene = make_scene(rng)
        pixels = render(scene)
        name = f"shapes_{split}_{image_id:06d}.png"
        (root / split / name).write_bytes(_png(pixels))
        chunks += [name.encode(), pixels.tobytes()]
        images.append(
            {
                "id": image_id,
                "file_name": name,
                "width": IMAGE_SIZE,
                "height": IMAGE_SIZE,
                "license": 1,
            }
        )
        for j, text in enumerate(captions(scene, rng)):
            annotations.append({"id": image_id * 10 + j, "image_id": image_id, "caption": text})
    doc = json.dumps(coco_document(split, images, annotations), separators=(",", ":")).encode()
    (root / "annotations" / f"captions_{split}.json").write_bytes(doc)
    chunks.append(doc)
    return content_hash(chunks)


def default_seed(split: str) -> int:
    """The seed of a split: fixed for the default splits, else derived from its name.

    A default split's seed makes a larger split start with the same scenes.
    """
    return SPLITS[split][1] if split in SPLITS else 5000 + zlib.crc32(split.encode()) % 100_000


def build(
    data_root: Path, splits: dict[str, tuple[int, int]] | None = None, folder: Path | None = None
) -> bool:
    """Generate every split under ``data_root/mini/shapes_caption`` unless already there.

    ``splits`` maps split name to ``(n_images, seed)`` (default :data:`SPLITS`); a
    different size is a different dataset, so it is part of the marker's version.
    """
    splits = dict(splits or SPLITS)
    target = Path(data_root) / folder if folder is not None else Path(data_root) / FOLDER
    version = VERSION + "|" + ",".join(f"{k}:{n}:{s}" for k, (n, s) in sorted(splits.items()))

    def _write(tmp: Path) -> str:
        return content_hash(
            write_split(tmp, split, n, seed).encode() for split, (n, seed) in sorted(splits.items())
        )

    return ensure_built(
        target,
        "shapes_caption",
        version,
        _write,
        {"splits": {k: n for k, (n, _) in splits.items()}},
    )


@GENERATORS.register("shapes_caption")
def generate(data_root: Path, split: str | None = None) -> None:
    """Generator hook of the ``shapes_caption`` task: all default splits (a few seconds)."""
    build(data_root)
