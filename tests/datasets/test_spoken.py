"""spoken_shapes: the shipped LibriSpeech-layout test split, its copy, and synthesis."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mmbench.datasets import _speech, spoken
from mmbench.datasets._embedded import content_hash, is_built, read_marker
from mmbench.datasets.media import decode_audio

HAS_ESPEAK = shutil.which("espeak-ng") is not None
needs_espeak = pytest.mark.skipif(
    not HAS_ESPEAK, reason="espeak-ng not installed (Debian: apt-get install espeak-ng)"
)
SHIPPED = spoken.shipped_root() / "LibriSpeech" / "test"
LINE = re.compile(r"^(\d+)-(\d+)-(\d{4}) ([A-Z']+(?: [A-Z']+)*)$")


def _transcripts(split_dir: Path) -> dict[str, str]:
    """utt id -> transcript, checking the LibriSpeech layout on the way."""
    out: dict[str, str] = {}
    for trans in sorted(split_dir.glob("*/*/*.trans.txt")):
        speaker, chapter = trans.parent.parent.name, trans.parent.name
        assert trans.name == f"{speaker}-{chapter}.trans.txt"
        for line in trans.read_text().splitlines():
            m = LINE.match(line)
            assert m, f"{trans}: bad line {line!r}"
            assert (m[1], m[2]) == (speaker, chapter)
            utt = f"{m[1]}-{m[2]}-{m[3]}"
            assert (trans.parent / f"{utt}.flac").is_file()
            out[utt] = m[4]
    return out


def _split_hash(split_dir: Path, planned: list[str]) -> str:
    """Recompute write_split's content hash from the files on disk (audio in plan order)."""
    chunks: list[bytes] = []
    for rel in planned:
        samples, _ = sf.read(split_dir / rel, dtype="int16")
        chunks += [rel.encode(), samples.tobytes()]
    chapters = sorted(
        split_dir.glob("*/*/*.trans.txt"),
        key=lambda p: tuple(map(int, p.stem.split(".")[0].split("-"))),
    )
    chunks += [t.read_bytes() for t in chapters]
    return content_hash(chunks)


def _plan_paths(split: str, n: int, seed: int) -> list[tuple[str, str]]:
    """(relative flac path, transcript) in plan order, derived without espeak-ng."""
    counters: dict[tuple[int, int], int] = {}
    out = []
    for utt, chapter in spoken.plan_split(split, n, seed):
        key = (utt.speaker.id, chapter)
        k = counters.get(key, 0)
        counters[key] = k + 1
        uid = f"{utt.speaker.id}-{chapter}-{k:04d}"
        out.append(
            (f"{utt.speaker.id}/{chapter}/{uid}.flac", _speech.normalize_transcript(utt.text))
        )
    return out


def test_shipped_test_split_layout_and_transcripts():
    n, seed = spoken.SPLITS["test"]
    transcripts = _transcripts(SHIPPED)
    assert len(transcripts) == n == len(list(SHIPPED.rglob("*.flac")))
    planned = _plan_paths("test", n, seed)
    assert {Path(p).stem: t for p, t in planned} == transcripts
    test_speakers = {s.id for s in _speech.speakers_for("test")}
    assert {int(u.split("-")[0]) for u in transcripts} <= test_speakers


def test_shipped_audio_is_16k_mono_flac_and_matches_manifest():
    n, seed = spoken.SPLITS["test"]
    for flac in sorted(SHIPPED.rglob("*.flac"))[:20]:
        info = sf.info(flac)
        assert (info.samplerate, info.channels, info.format, info.subtype) == (
            16000,
            1,
            "FLAC",
            "PCM_16",
        )
        audio = decode_audio(flac.stem, flac)
        assert audio.dtype == np.float32 and audio.ndim == 1 and 0.5 < len(audio) / 16000 < 15
        assert np.abs(audio).max() > 0.05
    manifest = spoken.read_manifest()
    assert manifest["n_utterances"] == n and manifest["seed"] == seed
    planned = [rel for rel, _ in _plan_paths("test", n, seed)]
    assert _split_hash(SHIPPED, planned) == manifest["content_sha256"]


def test_install_copies_once(tmp_path):
    assert spoken.install_test(tmp_path)
    target = tmp_path / spoken.FOLDER / "test"
    assert _transcripts(target) == _transcripts(SHIPPED)
    assert read_marker(target)["content_sha256"] == spoken.read_manifest()["content_sha256"]
    assert not spoken.install_test(tmp_path)
    next(target.rglob("*.flac")).unlink()  # damaged copy: redone
    assert spoken.install_test(tmp_path)


def test_speakers_are_disjoint_between_splits():
    splits = {k: {s.id for s in _speech.speakers_for(k)} for k in ("train", "dev", "test")}
    assert not splits["train"] & splits["test"] and not splits["dev"] & splits["test"]
    assert not splits["train"] & splits["dev"]
    assert sum(map(len, splits.values())) == len(_speech.VOICES) * len(_speech.VARIANTS)


def test_missing_espeak_names_the_package(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(_speech.EspeakMissingError, match="apt-get install espeak-ng"):
        spoken.build_split(Path("/nonexistent"), "train", n=2)


def test_generator_without_espeak_installs_only_test(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    spoken.generate(tmp_path)
    assert sorted(p.name for p in (tmp_path / spoken.FOLDER).iterdir()) == ["test"]


@needs_espeak
def test_synthesis_is_deterministic_and_resumable(tmp_path):
    assert spoken.build_split(tmp_path / "a", "dev", n=3, seed=7, jobs=2)
    assert not spoken.build_split(tmp_path / "a", "dev", n=3, seed=7, jobs=2)
    assert spoken.build_split(tmp_path / "b", "dev", n=3, seed=7, jobs=1)
    a, b = (tmp_path / x / spoken.FOLDER / "dev" for x in "ab")
    assert read_marker(a)["content_sha256"] == read_marker(b)["content_sha256"]
    assert is_built(a, "spoken_shapes", spoken._synth_version(3, 7))
    transcripts = _transcripts(a)
    assert len(transcripts) == 3
    dev_speakers = {s.id for s in _speech.speakers_for("dev")}
    assert {int(u.split("-")[0]) for u in transcripts} <= dev_speakers


@needs_espeak
def test_synthesis_reproduces_shipped_audio():
    manifest = spoken.read_manifest()
    if manifest["espeak_ng"] != _speech.espeak_version():
        pytest.skip(f"shipped with {manifest['espeak_ng']}, here {_speech.espeak_version()}")
    n, seed = spoken.SPLITS["test"]
    utt, _ = spoken.plan_split("test", n, seed)[0]
    rel, _ = _plan_paths("test", n, seed)[0]
    shipped, _ = sf.read(SHIPPED / rel, dtype="int16")
    assert np.array_equal(_speech.synthesize(utt.text, utt.speaker, utt.rate, utt.pitch), shipped)


@needs_espeak
def test_generator_keeps_a_split_built_on_purpose(tmp_path, monkeypatch):
    assert spoken.build_split(tmp_path, "dev", n=2, seed=5)
    monkeypatch.setitem(spoken.SPLITS, "train", (2, 2001))  # keep the test fast
    spoken.generate(tmp_path, "dev")
    spoken.generate(tmp_path, "train")
    dev = read_marker(tmp_path / spoken.FOLDER / "dev")
    assert dev["n_utterances"] == 2 and dev["seed"] == 5
    assert read_marker(tmp_path / spoken.FOLDER / "train")["n_utterances"] == 2
    assert (tmp_path / spoken.FOLDER / "test").is_dir()
