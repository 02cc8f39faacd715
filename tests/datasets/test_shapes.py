"""shapes_caption: determinism, COCO captions schema, truthful captions, rendering."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest

from mmbench.datasets import shapes
from mmbench.datasets._embedded import read_marker
from mmbench.datasets.media import decode_image

SMALL = {"train": (12, 1001), "val": (6, 1002), "test": (30, 1003)}
#: content hash of the default 500-image test split; a change means the data changed:
#: bump shapes.VERSION (and the task version) and update this value
TEST_SPLIT_SHA256 = "edb32d540fc80d8212ce6e0c19e42703dd785f0c17416ced43964bc83d850397"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    assert shapes.build(root, SMALL)
    return root / shapes.FOLDER


def test_default_test_split_is_pinned(tmp_path):
    n, seed = shapes.SPLITS["test"]
    assert (n, seed) == (500, 1003)
    assert shapes.write_split(tmp_path, "test", n, seed) == TEST_SPLIT_SHA256


def test_same_seed_same_content(built, tmp_path):
    assert shapes.build(tmp_path, SMALL)
    again = tmp_path / shapes.FOLDER
    assert read_marker(again)["content_sha256"] == read_marker(built)["content_sha256"]
    for split in SMALL:
        name = f"captions_{split}.json"
        assert (again / "annotations" / name).read_bytes() == (
            built / "annotations" / name
        ).read_bytes()
    first = "test/shapes_test_200001.png"
    assert np.array_equal(decode_image("a", again / first), decode_image("b", built / first))
    other = shapes.write_split(tmp_path / "other", "test", 30, 999)
    assert other != read_marker(built)["content_sha256"]


def test_second_call_does_nothing(built):
    assert not shapes.build(built.parent.parent, SMALL)


@pytest.mark.parametrize("split", sorted(SMALL))
def test_coco_captions_schema(built, split):
    doc = json.loads((built / "annotations" / f"captions_{split}.json").read_text())
    assert set(doc) == {"info", "licenses", "images", "annotations"}
    images, anns = doc["images"], doc["annotations"]
    assert len(images) == SMALL[split][0]
    ids = [im["id"] for im in images]
    assert len(set(ids)) == len(ids)
    assert len({a["id"] for a in anns}) == len(anns) == 5 * len(images)
    by_image: dict[int, list[str]] = {}
    for a in anns:
        assert set(a) == {"id", "image_id", "caption"}
        by_image.setdefault(a["image_id"], []).append(a["caption"])
    assert set(by_image) == set(ids)
    for caps in by_image.values():
        assert len(caps) == 5 and len(set(caps)) == 5
    for im in images:
        pixels = decode_image(str(im["id"]), built / split / im["file_name"])
        assert pixels.shape == (im["height"], im["width"], 3) == (96, 96, 3)


def test_pycocotools_reads_it(built):
    from pycocotools.coco import COCO

    coco = COCO(str(built / "annotations" / "captions_test.json"))
    assert len(coco.getImgIds()) == 30 and len(coco.getAnnIds()) == 150


def test_image_ids_unique_across_splits(built):
    ids = []
    for split in SMALL:
        doc = json.loads((built / "annotations" / f"captions_{split}.json").read_text())
        ids += [im["id"] for im in doc["images"]]
    assert len(ids) == len(set(ids))


SHAPE_WORDS = {w: k for k, words in shapes.SHAPE_WORDS.items() for w in words}
SHAPE_WORDS.update({p: k for k, p in shapes.PLURAL.items()})


def test_captions_only_mention_what_is_there():
    rng = random.Random(5)
    for _ in range(300):
        scene = shapes.make_scene(rng)
        colors = {s.color for s in scene.shapes}
        kinds = {s.kind for s in scene.shapes}
        for cap in shapes.captions(scene, rng):
            words = re.findall(r"[a-z]+", cap)
            assert {w for w in words if w in shapes.COLORS} <= colors, cap
            assert {SHAPE_WORDS[w] for w in words if w in SHAPE_WORDS} <= kinds, cap
            if "three" in words:
                assert len(scene.shapes) == 3, cap
            if "two" in words:
                assert len(scene.shapes) >= 2, cap
            if "single" in words:
                assert len(scene.shapes) == 1, cap


def _shape(col, row):
    c = col * 32 + 16, row * 32 + 16
    return shapes.Shape("circle", "red", "small", col, row, c[0], c[1], 8)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 1), (2, 1), {"to the left of", "left of"}),
        ((2, 0), (0, 0), {"to the right of", "right of"}),
        ((1, 0), (1, 2), {"above", "over"}),
        ((1, 2), (1, 0), {"below", "under", "beneath"}),
        ((0, 0), (2, 2), {"above and to the left of"}),
        ((2, 2), (0, 1), {"below and to the right of"}),
    ],
)
def test_relations(a, b, expected):
    for seed in range(5):
        assert shapes.relation(_shape(*a), _shape(*b), random.Random(seed)) in expected


def test_render_places_colours_where_the_scene_says():
    scene = shapes.Scene(
        "white",
        (
            shapes.Shape("square", "blue", "large", 0, 0, 16, 16, 14),
            shapes.Shape("triangle", "red", "small", 2, 2, 80, 80, 8),
        ),
    )
    img = shapes.render(scene)
    assert tuple(img[16, 16]) == shapes.COLORS["blue"]
    assert tuple(img[80, 80]) == shapes.COLORS["red"]
    assert tuple(img[48, 48]) == shapes.BACKGROUNDS["white"]
    assert tuple(img[73, 73]) == shapes.BACKGROUNDS["white"]  # beside the triangle's apex
    edge = img[16, 16 + 11]  # the square's edge (0.8 * 14 = 11.2): partly covered
    assert tuple(edge) not in (shapes.COLORS["blue"], shapes.BACKGROUNDS["white"])


def test_larger_split_with_the_same_seed_starts_with_the_same_scenes(tmp_path):
    shapes.write_split(tmp_path / "a", "train", 3, 1001)
    shapes.write_split(tmp_path / "b", "train", 5, 1001)
    a = json.loads((tmp_path / "a/annotations/captions_train.json").read_text())
    b = json.loads((tmp_path / "b/annotations/captions_train.json").read_text())
    assert b["annotations"][:15] == a["annotations"]
