"""``mmbench generate``: builds into the data root; a missing espeak-ng is one clear message."""

from __future__ import annotations

import json
import shutil

from mmbench.cli import main
from mmbench.datasets import shapes, spoken, spoken_vqa


def test_shapes_caption_extra_split(tmp_path, capsys):
    args = ["generate", "shapes-caption", "--split", "val-mini", "--n", "3", "--seed", "9"]
    assert main([*args, "--data-root", str(tmp_path)]) == 0
    folder = tmp_path / shapes.EXTRA_FOLDER / "val-mini"
    doc = json.loads((folder / "annotations" / "captions_val-mini.json").read_text())
    assert len(doc["images"]) == 3 and len(list((folder / "val-mini").glob("*.png"))) == 3
    assert not (tmp_path / shapes.FOLDER).exists()  # the task's data is untouched
    assert "built" in capsys.readouterr().out
    assert main([*args, "--data-root", str(tmp_path)]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_spoken_test_splits_install_without_espeak(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["generate", "spoken-shapes", "--split", "test", "--data-root", str(tmp_path)]) == 0
    assert main(["generate", "spoken-vqa", "--split", "test", "--data-root", str(tmp_path)]) == 0
    assert (
        len(list((tmp_path / spoken.FOLDER / "test").rglob("*.flac"))) == spoken.SPLITS["test"][0]
    )
    assert (tmp_path / spoken_vqa.FOLDER / "test" / spoken_vqa.INDEX).is_file()


def test_missing_espeak_is_one_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code = main(
        ["generate", "spoken-shapes", "--split", "train", "--n", "2", "--data-root", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "espeak-ng is not installed" in err and "apt-get install espeak-ng" in err
    assert not (tmp_path / spoken.FOLDER / "train").exists()
