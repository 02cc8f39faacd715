"""Baselines that need no weights: ``constant:<text>``, ``prior`` and ``echo``.

``prior`` is fit on the task's train split: for VQA the most frequent training answer of each
question form (the question with its answer words masked); for other kinds the most frequent
training reference.

>>> question_form("what is the color of the triangle?", {"triangle"})
'what is the color of the <a>?'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from mmbench.adapters.base import ModelContext
from mmbench.registry import MODELS
from mmbench.types import Modality, Sample, TaskKind

_WORD = re.compile(r"[a-z']+")


class Constant:
    """Answers the same text for every sample."""

    modalities: tuple[Modality, ...] = ()
    required_modalities: tuple[Modality, ...] = ()

    def __init__(self, text: str) -> None:
        self.text = text
        self.name = f"constant:{text}"

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        return [self.text for _ in samples]

    def info(self) -> dict[str, Any]:
        return {"parameters": 0, "text": self.text}


def question_form(question: str, answer_words: set[str]) -> str:
    """The question lower-cased with every answer-vocabulary word replaced by ``<a>``."""
    return _WORD.sub(
        lambda m: "<a>" if m.group(0) in answer_words else m.group(0), question.lower()
    )


class Prior:
    """Most frequent training answer per question form (VQA) or overall (other kinds)."""

    modalities: tuple[Modality, ...] = (Modality.TEXT,)
    required_modalities: tuple[Modality, ...] = ()  # a missing question is the empty one
    name = "prior"

    def __init__(self, train: Iterable[Sample], kind: TaskKind) -> None:
        self.kind = kind
        train = list(train)
        if not train:
            raise ValueError("prior: the training split is empty")
        overall: Counter[str] = Counter(ref for s in train for ref in s.references[:1])
        self.fallback = overall.most_common(1)[0][0]
        self.answer_words = {w for ans in overall for w in _WORD.findall(ans.lower())}
        by_form: dict[str, Counter[str]] = {}
        if kind is TaskKind.VQA:
            for s in train:
                form = question_form(s.text or "", self.answer_words)
                by_form.setdefault(form, Counter())[s.references[0]] += 1
        # most_common breaks ties by first insertion, i.e. training order: deterministic.
        self.table = {form: c.most_common(1)[0][0] for form, c in sorted(by_form.items())}
        self.n_train = len(train)

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        if self.kind is not TaskKind.VQA:
            return [self.fallback for _ in samples]
        return [
            self.table.get(question_form(s.text or "", self.answer_words), self.fallback)
            for s in samples
        ]

    def info(self) -> dict[str, Any]:
        return {"parameters": len(self.table) + 1, "fit_on": "train", "n_train": self.n_train}


class Echo:
    """Returns the sample's text (the question or prompt): a sanity baseline."""

    modalities: tuple[Modality, ...] = (Modality.TEXT,)
    required_modalities: tuple[Modality, ...] = ()
    name = "echo"

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        return [s.text or "" for s in samples]

    def info(self) -> dict[str, Any]:
        return {"parameters": 0}


@MODELS.register("constant")
def make_constant(ctx: ModelContext) -> Constant:
    """``constant:<text>``: answer ``<text>`` everywhere."""
    if ctx.arg is None:
        raise ValueError("constant needs its text: --model constant:<text>, e.g. constant:yes")
    return Constant(ctx.arg)


@MODELS.register("prior")
def make_prior(ctx: ModelContext) -> Prior:
    """``prior``: fit on the task's train split."""
    if ctx.task is None:
        raise ValueError("prior needs a task to fit on")
    train = ctx.task.samples(ctx.data_root, split="train")
    return Prior(train, ctx.task.kind)


@MODELS.register("echo")
def make_echo(ctx: ModelContext) -> Echo:
    """``echo``: repeat the question/prompt."""
    return Echo()
