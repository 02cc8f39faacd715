"""Downscaled images and short audio clips of the samples a page shows (``--embed-media``).

The files are the ones named in the sample logs (``media``); each becomes a ``data:`` URI
so the page stays one self-contained file: an image is shrunk to at most
:data:`MAX_SIDE` pixels a side (JPEG), a clip is cut to its first :data:`MAX_AUDIO_S`
seconds at :data:`AUDIO_RATE` Hz (16-bit WAV). A file that is missing or unreadable is
left out and counted, so one warning can name it.

>>> import numpy as np, tempfile, pathlib
>>> from PIL import Image
>>> path = pathlib.Path(tempfile.mkdtemp()) / "big.png"
>>> Image.fromarray(np.zeros((300, 600, 3), np.uint8)).save(path)
>>> uri = image_uri(path)
>>> uri.startswith("data:image/jpeg;base64,"), Image.open(_decoded(uri)).size
(True, (128, 64))
"""

from __future__ import annotations

import base64
import io
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmbench.types import MediaError

MAX_SIDE = 128
MAX_AUDIO_S = 3.0
AUDIO_RATE = 8000


def _decoded(uri: str) -> io.BytesIO:
    return io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))


def image_uri(path: str | Path) -> str:
    """The image at ``path``, at most :data:`MAX_SIDE` px a side, as a JPEG ``data:`` URI."""
    from PIL import Image

    from mmbench.datasets.media import decode_image

    image = Image.fromarray(decode_image(str(path), Path(path)))  # [H, W, 3] uint8
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def audio_uri(path: str | Path) -> str:
    """The first :data:`MAX_AUDIO_S` s of the audio at ``path``, mono at :data:`AUDIO_RATE`
    Hz, as a 16-bit WAV ``data:`` URI."""
    import soxr

    from mmbench.datasets.media import decode_audio
    from mmbench.types import AUDIO_SAMPLE_RATE

    wave16k = decode_audio(str(path), Path(path))[: int(MAX_AUDIO_S * AUDIO_SAMPLE_RATE)]  # [T]
    low = soxr.resample(wave16k, AUDIO_SAMPLE_RATE, AUDIO_RATE)  # [T / 2]
    pcm = (np.clip(low, -1.0, 1.0) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(AUDIO_RATE)
        out.writeframes(pcm.tobytes())
    return "data:audio/wav;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass
class MediaEmbedder:
    """Turns sample-log ``media`` paths into ``data:`` URIs once each, noting the failures."""

    uris: dict[tuple[str, str], str | None] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def __call__(self, media: dict[str, str]) -> dict[str, str]:
        """``{"image": uri, "audio": uri}`` for the files of one sample that could be read."""
        out = {}
        for kind, path in media.items():
            if kind not in ("image", "audio"):
                continue
            if (kind, path) not in self.uris:
                try:
                    uri = image_uri(path) if kind == "image" else audio_uri(path)
                except (OSError, ValueError, MediaError):  # the page is built without it
                    uri = None
                    self.missing.append(path)
                self.uris[kind, path] = uri
            if self.uris[kind, path] is not None:
                out[kind] = self.uris[kind, path]
        return out

    def warning(self) -> str | None:
        """One line about the files left out (None if none was)."""
        if not self.missing:
            return None
        return (
            f"--embed-media: {len(self.missing)} media file(s) missing or unreadable, shown "
            f"without them (first: {self.missing[0]})"
        )
