"""Speech synthesis for the embedded spoken datasets: espeak-ng voices as "speakers".

A speaker is an espeak-ng English voice with a voice variant (``en-gb-scotland+f2``); each
split draws from its own disjoint set of speakers, as LibriSpeech does. Audio is written as
16 kHz mono 16-bit FLAC: espeak-ng's 22,050 Hz output is resampled with soxr (HQ), edge
silence trimmed to 0.1 s and samples rounded to :data:`EFFECTIVE_BITS` bits (FLAC stores
the unused low bits for free, which keeps the shipped test splits small; 10 bits leave a
quantization SNR of about 45 dB for speech at -20 dBFS).

>>> speakers_for("test")[0].voice in VOICES
True
>>> normalize_transcript("two shapes: a red circle, and a tiny disc")
'TWO SHAPES A RED CIRCLE AND A TINY DISC'
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmbench.tasks import DataMissingError

SAMPLE_RATE = 16_000
EFFECTIVE_BITS = 10
VOICES = (
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")
#: speakers per split (disjoint); the rest of the 96 voice x variant pairs train
SPEAKERS_PER_SPLIT = {"test": 12, "dev": 12}
RATES = (135, 215)  # words per minute
PITCHES = (25, 75)  # espeak-ng 0..99
INSTALL_HINT = (
    "espeak-ng is not installed; it synthesizes the spoken datasets. "
    "Install the Debian/Ubuntu package: sudo apt-get install espeak-ng "
    "(macOS: brew install espeak-ng)"
)


class EspeakMissingError(DataMissingError):
    """espeak-ng is needed to synthesize speech and is not on PATH (the CLI prints it as a
    user error)."""


@dataclass(frozen=True)
class Speaker:
    """An espeak-ng voice + variant with a LibriSpeech-style numeric id."""

    id: int
    voice: str
    variant: str

    @property
    def name(self) -> str:
        return f"{self.voice}+{self.variant}"


def all_speakers() -> list[Speaker]:
    """The 96 voice x variant pairs, ids 100.. in a fixed order."""
    pairs = [(v, var) for v in VOICES for var in VARIANTS]
    return [Speaker(100 + i, v, var) for i, (v, var) in enumerate(pairs)]


def speakers_for(split: str) -> list[Speaker]:
    """The speakers of ``split`` (``test``, ``dev``, anything else: train); splits are disjoint."""
    pool = all_speakers()
    random.Random(20250101).shuffle(pool)
    n_test, n_dev = SPEAKERS_PER_SPLIT["test"], SPEAKERS_PER_SPLIT["dev"]
    chosen = {"test": pool[:n_test], "dev": pool[n_test : n_test + n_dev]}.get(
        split, pool[n_test + n_dev :]
    )
    return sorted(chosen, key=lambda s: s.id)


def normalize_transcript(text: str) -> str:
    """LibriSpeech style: upper case, letters, apostrophes and single spaces only."""
    return " ".join(re.sub(r"[^A-Z' ]", " ", text.upper()).split())


def espeak_binary() -> str:
    """Path of ``espeak-ng``; raises :class:`EspeakMissingError` naming the package."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise EspeakMissingError(INSTALL_HINT)
    return path


def espeak_version() -> str:
    """``eSpeak NG text-to-speech: 1.51`` (the data path it also prints is dropped)."""
    out = subprocess.run([espeak_binary(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split("Data at:")[0].strip()


def _parse_wav(data: bytes, what: str) -> tuple[np.ndarray, int]:
    """espeak-ng's streamed WAV (its size fields are placeholders): int16 samples, rate."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise RuntimeError(f"espeak-ng returned no WAV audio for {what}")
    rate = int.from_bytes(data[24:28], "little")
    i = data.find(b"data", 12)
    samples = np.frombuffer(data[i + 8 : i + 8 + (len(data) - i - 8) // 2 * 2], dtype="<i2")
    return samples, rate


def synthesize(text: str, speaker: Speaker, rate: int, pitch: int) -> np.ndarray:
    """Speak ``text``: int16 mono ``[T]`` at 16 kHz, edges trimmed, :data:`EFFECTIVE_BITS` bits."""
    import soxr

    what = f"{text!r} ({speaker.name}, rate {rate}, pitch {pitch})"
    cmd = [espeak_binary(), "-v", speaker.name, "-s", str(rate), "-p", str(pitch), "--stdout", text]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng failed on {what}: {proc.stderr.decode(errors='replace')}")
    raw, in_rate = _parse_wav(proc.stdout, what)
    audio = soxr.resample(raw.astype(np.float32) / 32768.0, in_rate, SAMPLE_RATE, quality="HQ")
    voiced = np.flatnonzero(np.abs(audio) > 1e-3)
    if voiced.size == 0:
        raise RuntimeError(f"espeak-ng produced silence for {what}")
    pad = SAMPLE_RATE // 10
    audio = audio[max(voiced[0] - pad, 0) : voiced[-1] + pad]  # [T]
    step = 2 ** (16 - EFFECTIVE_BITS)
    quantized = np.round(audio * (32768 / step)) * step
    return np.clip(quantized, -32768, 32767).astype(np.int16)


def write_flac(path: Path, samples: np.ndarray) -> None:
    """16 kHz mono 16-bit FLAC."""
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, SAMPLE_RATE, format="FLAC", subtype="PCM_16")


@dataclass(frozen=True)
class Utterance:
    """What to say, who says it and how (chosen before synthesis, so splits are seeded)."""

    text: str
    speaker: Speaker
    rate: int
    pitch: int


def speaker_styles(
    speakers: Iterable[Speaker], seed: int, per_speaker: int = 2
) -> dict[int, list[tuple[int, int]]]:
    """``per_speaker`` (rate, pitch) "chapters" for each speaker, drawn from ``seed``."""
    rng = random.Random(seed)
    return {
        s.id: [(rng.randint(*RATES), rng.randint(*PITCHES)) for _ in range(per_speaker)]
        for s in speakers
    }


def synthesize_all(utterances: list[Utterance], jobs: int | None = None) -> Iterator[np.ndarray]:
    """Audio of each utterance, in order; espeak-ng processes run ``jobs`` at a time, and at
    most a few chunks of audio are held in memory."""
    jobs = jobs or max(os.cpu_count() or 1, 1)
    chunk = jobs * 8
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for start in range(0, len(utterances), chunk):
            part = utterances[start : start + chunk]
            yield from pool.map(lambda u: synthesize(u.text, u.speaker, u.rate, u.pitch), part)
