"""Models for tests, importable as ``fake_models:<factory>`` (tests/ is on sys.path)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence

from mmbench.adapters.base import ModelArg, ModelContext
from mmbench.types import Modality, Sample


class Recording:
    """Answers from the question; logs every predicted id to $MMBENCH_TEST_LOG; sleeps per batch."""

    name = "recording"
    modalities = (Modality.TEXT,)

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.log = os.environ.get("MMBENCH_TEST_LOG")

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        if self.log:
            with open(self.log, "a") as fh:
                fh.write("".join(s.id + "\n" for s in samples))
        time.sleep(self.delay)
        return ["yes" if "not" in (s.text or "") else "no" for s in samples]


def recording() -> Recording:
    return Recording()


def slow_recording() -> Recording:
    return Recording(delay=float(os.environ.get("MMBENCH_TEST_DELAY", "0.05")))


class Flaky:
    """Raises on any batch containing a question about a circle (so retries isolate them)."""

    name = "flaky"
    modalities = (Modality.TEXT,)

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        if any("circle" in (s.text or "") for s in samples):
            raise ValueError("cannot handle circles")
        return ["yes"] * len(samples)


def flaky() -> Flaky:
    return Flaky()


class Short:
    """Breaks the contract: one output too few."""

    name = "short"
    modalities = (Modality.TEXT,)

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        return ["yes"] * (len(samples) - 1)


def short() -> Short:
    return Short()


class ImageReader:
    """Consumes images: answers the dominant colour channel of the image."""

    name = "image-reader"
    modalities = (Modality.IMAGE, Modality.TEXT)

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        out = []
        for s in samples:
            assert s.image is not None, "runner must decode images for an IMAGE model"
            channel = int(s.image.reshape(-1, 3).mean(axis=0).argmax())
            out.append(["red", "green", "blue"][channel])
        return out


def image_reader() -> ImageReader:
    return ImageReader()


class Dying(Recording):
    """A slow recording model that SIGKILLs its own process on torchrun rank
    ``$MMBENCH_TEST_DIE_RANK`` after ``$MMBENCH_TEST_DIE_AFTER`` batches (a rank dying
    mid-run); in a single process it never dies, and its fingerprint is the same."""

    name = "dying"

    def __init__(self) -> None:
        super().__init__(delay=float(os.environ.get("MMBENCH_TEST_DELAY", "0.05")))
        self.batches = 0

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        dies_here = os.environ.get("RANK", "-") == os.environ.get("MMBENCH_TEST_DIE_RANK")
        if dies_here and self.batches == int(os.environ.get("MMBENCH_TEST_DIE_AFTER", "2")):
            os.kill(os.getpid(), signal.SIGKILL)
        self.batches += 1
        return super().predict(samples)


def dying() -> Dying:
    return Dying()


class AudioReader:
    """Consumes audio: one word per half second, ``loud`` or ``quiet`` by its RMS level."""

    name = "audio-reader"
    modalities = (Modality.AUDIO,)

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        out = []
        for s in samples:
            assert s.audio is not None, "runner must decode audio for an AUDIO model"
            chunks = [s.audio[i : i + 8000] for i in range(0, len(s.audio), 8000)]
            rms = [float((c.astype("float64") ** 2).mean() ** 0.5) for c in chunks if len(c)]
            level = sorted(rms)[len(rms) // 2] if rms else 0.0
            out.append(" ".join("loud" if r > level else "quiet" for r in rms))
        return out


def media_reader(ctx) -> ImageReader | AudioReader:
    """An image reader for image tasks, an audio reader for speech tasks."""
    return AudioReader() if ctx.task.kind.value == "asr" else ImageReader()


class Suffixed:
    """Answers ``yes`` + its ``suffix`` model option; declares a secret and a timing option."""

    modalities = (Modality.TEXT,)
    MODEL_ARGS = {
        "suffix": ModelArg("appended to every answer"),
        "token": ModelArg("an API token", secret=True),
        "timeout": ModelArg("seconds per request", affects_output=False),
    }

    def __init__(self, ctx: ModelContext) -> None:
        self.name = "suffixed"
        self.suffix = ctx.model_args.get("suffix", "")

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        return ["yes" + self.suffix for _ in samples]


def failing_import(ctx: ModelContext) -> Short:
    import no_such_package_for_mmbench_tests  # noqa: F401

    return Short()


def buggy(ctx: ModelContext) -> Short:
    raise TypeError("a bug in the factory")
