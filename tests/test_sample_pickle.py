"""Samples cross process boundaries (DataLoader workers decode media), so they must pickle."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from mmbench.types import Sample, TaskKind


def test_sample_pickles_with_meta_and_media():
    s = Sample(
        id="q1", kind=TaskKind.VQA, image_path=Path("a.png"), text="what?", references=("x",),
        meta={"image_id": 3}, image=np.zeros((2, 2, 3), np.uint8),
    )  # fmt: skip
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.meta["image_id"] == 3
    assert back.image.shape == (2, 2, 3)
    try:
        back.meta["image_id"] = 4  # still read-only after the round trip
    except TypeError:
        pass
    else:
        raise AssertionError("meta became mutable")
