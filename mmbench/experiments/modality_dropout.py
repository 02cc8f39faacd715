"""Modality dropout for ``mmbench train --modality-dropout P``: train with inputs missing.

Each step, every image is replaced with probability ``P`` by the stand-in a reference model
sees for a missing image at evaluation time (mid-grey, :func:`mmbench.adapters.reference.
image_or_stand_in`); every question whose image was kept is replaced with probability ``P``
by its stand-in: the empty question (written) or silence (spoken; its CTC target is dropped
too). An item never loses both. So a model learns to answer from what is left, which is
what ``--perturb missing:image`` / ``missing:text`` / ``missing:audio`` then measure.

>>> import torch
>>> images = torch.full((4, 3, 2, 2), 7, dtype=torch.uint8)
>>> ids = torch.ones(6, 3, dtype=torch.long)
>>> index = torch.tensor([0, 0, 1, 2, 3, 3])
>>> batch = ((images,), ids, torch.zeros(6), index, None)
>>> (out_images,), out_ids, *_ = drop_modalities(batch, 1.0, torch.Generator().manual_seed(0))
>>> out_images.unique().tolist(), bool((out_ids == ids).all())  # no item loses both
([128], True)
"""

from __future__ import annotations

from typing import Any

import torch

from mmbench.models.heads import PAD
from mmbench.types import AUDIO_SAMPLE_RATE

STAND_IN_GREY = 128


def drop_modalities(batch: tuple[Any, ...], p: float, gen: torch.Generator) -> tuple[Any, ...]:
    """A VQA training batch (``train._batch``'s tuple) with images and questions dropped."""
    (images,), inputs, targets, index, words = batch  # images [M, 3, S, S]; index [B]
    if p <= 0:
        return batch
    drop_image = torch.rand(images.shape[0], generator=gen) < p  # [M]
    images = images.clone()
    images[drop_image] = STAND_IN_GREY
    drop_question = (torch.rand(index.shape[0], generator=gen) < p) & ~drop_image[index]  # [B]
    if isinstance(inputs, tuple):  # spoken questions: ([B, T] waves, [B] lengths)
        waves, lengths = inputs[0].clone(), inputs[1].clone()
        waves[drop_question] = 0.0
        lengths[drop_question] = min(waves.shape[1], AUDIO_SAMPLE_RATE)  # ~1 s of silence
        inputs = (waves, lengths)
        if words is not None:
            words = words.clone()
            words[drop_question] = PAD  # no transcript to align with silence
    else:
        inputs = inputs.clone()
        inputs[drop_question] = PAD  # the empty question
    return (images,), inputs, targets, index, words
