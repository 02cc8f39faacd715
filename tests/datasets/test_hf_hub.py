"""The optional hub reader, with a stand-in `datasets` module (nothing is downloaded)."""

import io
import sys
import types

import numpy as np
import pytest
from PIL import Image

from mmbench.datasets.hf_hub import HFHubReader
from mmbench.datasets.media import load_image
from mmbench.tasks import DataMissingError


def test_without_datasets_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "datasets", None)  # import datasets -> ImportError
    with pytest.raises(DataMissingError, match=r"pip install 'mmbench\[hf\]'"):
        HFHubReader(tmp_path, repo="lmms-lab/VQAv2", split="validation", columns={"id": "qid"})


class _FakeDataset(list):
    def cast_column(self, column, feature):
        assert feature.decode is False
        return self


def _png(h, w):
    buf = io.BytesIO()
    Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_rows_become_samples_with_cached_media_files(monkeypatch, tmp_path):
    rows = [
        {
            "qid": 7,
            "q": "What?",
            "answers": [{"answer": "cat"}, {"answer": "dog"}],
            "img": {"bytes": _png(2, 3), "path": "a.png"},
        },
        {"qid": 8, "q": "Who?", "answers": ["x"], "img": {"bytes": _png(4, 5), "path": "b.png"}},
    ]
    fake = types.SimpleNamespace(
        load_dataset=lambda repo, config, split: _FakeDataset(rows),
        Image=lambda decode: types.SimpleNamespace(decode=decode),
        Audio=lambda decode: types.SimpleNamespace(decode=decode),
    )
    monkeypatch.setitem(sys.modules, "datasets", fake)
    cols = {"id": "qid", "text": "q", "references": "answers", "image": "img"}
    reader = HFHubReader(tmp_path, repo="org/vqa", split="val", columns=cols)
    samples = list(reader)
    assert [(s.id, s.text, s.references) for s in samples] == [
        ("7", "What?", ("cat", "dog")),
        ("8", "Who?", ("x",)),
    ]
    assert samples[1].image_path == tmp_path / "hf" / "org__vqa" / "default-val" / "8.png"
    assert load_image(samples[1]).shape == (4, 5, 3)
