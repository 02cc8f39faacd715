"""Records that flow through mmbench: samples in, predictions out.

>>> s = Sample(id="q1", kind=TaskKind.VQA, text="What shape is it?", references=("circle",))
>>> s.has(Modality.IMAGE)
False
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np


class Modality(str, Enum):
    """An input modality a model can consume."""

    IMAGE = "image"
    TEXT = "text"
    AUDIO = "audio"


class TaskKind(str, Enum):
    """What a task asks the model to produce, which decides its metrics."""

    CAPTION = "caption"
    VQA = "vqa"
    ASR = "asr"


class MediaError(Exception):
    """A sample's image or audio file is missing or cannot be decoded.

    The message names the file and the sample; the runner records it and goes on.
    """

    def __init__(self, sample_id: str, path: Path | None, reason: str) -> None:
        super().__init__(f"sample {sample_id!r}: cannot decode {path}: {reason}")
        self.sample_id = sample_id
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt in the main process from DataLoader workers
        return (type(self), (self.sample_id, self.path, self.reason))


#: Audio handed to models is float32 mono at this rate.
AUDIO_SAMPLE_RATE = 16_000


def _frozen(meta: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(meta or {}))


@dataclass(frozen=True)
class Sample:
    """One evaluation item: media by reference, decoded only on demand.

    ``image`` / ``audio`` hold decoded arrays once the reader side decoded them
    (:func:`mmbench.datasets.media.decode`, in a DataLoader worker); before that they are
    ``None`` and the files are untouched. A Sample is a record: it does no I/O.

    >>> Sample(id="a", kind=TaskKind.ASR, references=("HELLO",)).modalities
    ()
    """

    id: str
    kind: TaskKind
    image_path: Path | None = None
    audio_path: Path | None = None
    text: str | None = None
    references: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # [H, W, 3] uint8
    audio: np.ndarray | None = field(default=None, repr=False, compare=False)  # [T] float32 16 kHz

    def __post_init__(self) -> None:
        object.__setattr__(self, "meta", _frozen(self.meta))
        object.__setattr__(self, "references", tuple(self.references))

    def __getstate__(self) -> dict[str, Any]:
        # a mappingproxy does not pickle; samples cross process boundaries in DataLoader workers
        return {**self.__dict__, "meta": dict(self.meta)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, meta=_frozen(state["meta"]))

    @property
    def modalities(self) -> tuple[Modality, ...]:
        """Modalities present as model *inputs* (references are not inputs)."""
        out = []
        if self.image_path is not None or self.image is not None:
            out.append(Modality.IMAGE)
        if self.audio_path is not None or self.audio is not None:
            out.append(Modality.AUDIO)
        if self.text is not None:
            out.append(Modality.TEXT)
        return tuple(out)

    def has(self, modality: Modality) -> bool:
        return modality in self.modalities

    def without_media(self) -> Sample:
        """A copy with decoded arrays dropped (cheap to keep many of)."""
        return dataclasses.replace(self, image=None, audio=None)


@dataclass(frozen=True)
class Prediction:
    """A model's output for one sample, or the error that stopped it.

    >>> Prediction("q1", "circle").ok
    True
    """

    sample_id: str
    text: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
