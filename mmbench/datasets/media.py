"""Decoding of referenced media, run inside DataLoader workers.

Every failure becomes a :class:`~mmbench.types.MediaError` naming the sample and the file.

>>> import numpy as np, tempfile, pathlib
>>> from PIL import Image
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.png"
>>> Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(p)
>>> decode_image("s1", p).shape
(4, 5, 3)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mmbench.types import AUDIO_SAMPLE_RATE, MediaError


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
    mono = audio.mean(axis=1)  # [T]
    if rate != AUDIO_SAMPLE_RATE:
        import soxr

        mono = soxr.resample(mono, rate, AUDIO_SAMPLE_RATE, quality="HQ").astype(np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)
