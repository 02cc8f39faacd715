"""Decoding of referenced media, run inside DataLoader workers: the reader side of a Sample.

Every failure becomes a :class:`~mmbench.types.MediaError` naming the sample and the file.

>>> import numpy as np, tempfile, pathlib
>>> from PIL import Image
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.png"
>>> Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(p)
>>> decode_image("s1", p).shape
(4, 5, 3)
>>> from mmbench.types import TaskKind
>>> s = Sample(id="s1", kind=TaskKind.CAPTION, image_path=p)
>>> decode(s).image.shape, s.image is None
((4, 5, 3), True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path

import numpy as np

from mmbench.types import AUDIO_SAMPLE_RATE, MediaError, Modality, Sample


def decode_image(sample_id: str, path: Path) -> np.ndarray:
    """RGB uint8 ``[H, W, 3]``; missing, empty or corrupt files raise MediaError."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise MediaError(sample_id, path, "file not found")
    if path.stat().st_size == 0:
        raise MediaError(sample_id, path, "file is empty (0 bytes)")
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))  # [H, W, 3] uint8
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(sample_id, path, f"not a readable image ({exc})") from None


def decode_audio(sample_id: str, path: Path) -> np.ndarray:
    """float32 mono ``[T]`` at 16 kHz; other rates are resampled with soxr (never silently
    skipped); missing, empty or corrupt files raise MediaError."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise MediaError(sample_id, path, "file not found")
    if path.stat().st_size == 0:
        raise MediaError(sample_id, path, "file is empty (0 bytes)")
    try:
        audio, rate = sf.read(path, dtype="float32", always_2d=True)  # [T, C]
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise MediaError(sample_id, path, f"not readable audio ({exc})") from None
    return mono_16k(audio, rate)


def mono_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    """``[T, C]`` float audio at ``rate`` Hz as float32 mono ``[T']`` at 16 kHz (channels
    averaged, resampled with soxr when ``rate`` differs)."""
    mono = audio.mean(axis=1)  # [T]
    if rate != AUDIO_SAMPLE_RATE:
        import soxr

        mono = soxr.resample(mono, rate, AUDIO_SAMPLE_RATE, quality="HQ").astype(np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)


def load_image(sample: Sample) -> np.ndarray:
    """The sample's image as RGB uint8 ``[H, W, 3]``: already decoded, or decoded from its
    file now; raises :class:`MediaError` (naming sample and file)."""
    if sample.image is not None:
        return sample.image
    if sample.image_path is None:
        raise MediaError(sample.id, None, "sample has no image")
    return decode_image(sample.id, sample.image_path)


def load_audio(sample: Sample) -> np.ndarray:
    """The sample's audio as float32 mono at 16 kHz ``[T]``: already decoded, or decoded from
    its file now; raises :class:`MediaError`."""
    if sample.audio is not None:
        return sample.audio
    if sample.audio_path is None:
        raise MediaError(sample.id, None, "sample has no audio")
    return decode_audio(sample.id, sample.audio_path)


def decode(sample: Sample, modalities: Collection[Modality] | None = None) -> Sample:
    """A copy with every referenced medium decoded (only ``modalities``, if given): what
    DataLoader workers hand to models. The sample itself is returned when nothing is decoded."""
    want = set(Modality) if modalities is None else set(modalities)
    image = load_image(sample) if Modality.IMAGE in want and sample.image_path else sample.image
    audio = load_audio(sample) if Modality.AUDIO in want and sample.audio_path else sample.audio
    if image is sample.image and audio is sample.audio:
        return sample
    return dataclasses.replace(sample, image=image, audio=audio)
