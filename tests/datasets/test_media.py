"""Decoding a Sample's referenced media (the reader side; a Sample itself does no I/O)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmbench.datasets.media import decode, load_audio
from mmbench.types import MediaError, Modality, Sample, TaskKind


def test_media_is_decoded_only_on_demand(tmp_path: Path):
    path = tmp_path / "img.png"
    s = Sample(id="a", kind=TaskKind.CAPTION, image_path=path)
    assert s.image is None  # nothing touched yet: the file does not even exist
    Image.fromarray(np.full((3, 4, 3), 200, np.uint8)).save(path)
    d = decode(s)
    assert d.image.shape == (3, 4, 3) and d.image.dtype == np.uint8
    assert d == s  # decoded arrays are not part of identity
    assert d.without_media().image is None


def test_missing_media_names_sample_and_path(tmp_path: Path):
    s = Sample(id="q7", kind=TaskKind.ASR, audio_path=tmp_path / "gone.flac")
    with pytest.raises(MediaError, match=r"sample 'q7'.*gone\.flac.*file not found"):
        load_audio(s)


def test_decode_only_the_modalities_asked_for(tmp_path: Path):
    path = tmp_path / "img.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(path)
    s = Sample(id="a", kind=TaskKind.VQA, image_path=path, audio_path=tmp_path / "none.flac")
    d = decode(s, {Modality.IMAGE})  # the missing audio file is never touched
    assert d.image.shape == (2, 2, 3) and d.audio is None
    assert decode(s, set()) is s


def test_types_does_no_io_and_imports_no_reader():
    import ast
    import inspect

    import mmbench.types

    tree = ast.parse(inspect.getsource(mmbench.types))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m.startswith("mmbench")}
