"""Models for tests, importable as ``fake_models:<factory>`` (tests/ is on sys.path)."""

from __future__ import annotations

import os
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
