"""``mmbench train --fit-stand-ins``: fit learned missing-input stand-ins to a frozen model.

Reads the task's training split, decodes it once (:func:`mmbench.experiments.train.prepare`),
and fits the image and question stand-ins of a VQA reference checkpoint
(:func:`mmbench.models.stand_in.fit_stand_ins`); writes ``<out>/<task>-<fusion>.stand-in.
safetensors``. The checkpoint itself is only read, so predictions on complete inputs do not
change; a run picks the file up when it lies next to the weights it was fitted to.

>>> StandInFit().steps
300
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mmbench.adapters.reference import audio_or_stand_in, image_or_stand_in
from mmbench.experiments.train import prepare
from mmbench.models.encoders import images_to_tensor, waves_to_tensor
from mmbench.models.reference import load_checkpoint, sha256_file
from mmbench.models.stand_in import StandInFit, fit_stand_ins, save_stand_ins, stand_in_path
from mmbench.types import Sample, TaskKind

__all__ = ["StandInFit", "StandInResult", "fit_checkpoint", "fit_task"]


@dataclass
class StandInResult:
    """Where the stand-ins were written and the fit's report (losses, recipe, CPU time)."""

    path: Path
    report: dict[str, Any]


def fit_checkpoint(
    weights: Path,
    samples: Sequence[Sample],
    out: Path,
    fit: StandInFit | None = None,
    threads: int = 1,
) -> StandInResult:
    """Fit stand-ins for the VQA checkpoint ``weights`` (``.safetensors`` + ``.json``) on
    ``samples`` (a training split) and write them to ``out`` (a folder) under the name that
    goes with ``weights``."""
    fit = fit or StandInFit()
    weights = Path(weights)
    model, config = load_checkpoint(weights)
    if config.get("arch") != "reference" or config["model"]["kind"] != "vqa":
        raise ValueError(f"{weights}: stand-ins are fitted to reference VQA models only")
    cfg = config["model"]
    answers = {a: i for i, a in enumerate(cfg["answers"])}
    vocab = {w: i for i, w in enumerate(cfg["vocab"])}
    size = model.cfg.image.size
    threads_before = torch.get_num_threads()
    torch.set_num_threads(threads)
    cpu0 = time.process_time()
    try:
        data = prepare([s for s in samples if s.references and s.references[0] in answers],
                       TaskKind.VQA, image_size=size)  # fmt: skip
        targets = torch.tensor([answers[a] for a in data.answers], dtype=torch.long)  # [I]
        if data.clips is not None:  # spoken: each clip encoded once
            questions: Any = data.clips  # ([C, T], [C])
        else:
            questions = data.questions(vocab)  # [I, L]
        # what the adapter feeds the model for a missing image / spoken question
        blank = Sample(id="missing", kind=TaskKind.VQA)
        blank_image = images_to_tensor([image_or_stand_in(blank, size)], size)  # [1, 3, S, S]
        if model.cfg.question == "audio":
            blank_question: Any = waves_to_tensor([audio_or_stand_in(blank)])
        else:
            blank_question = torch.zeros(1, 1, dtype=torch.long)  # the empty question [1, 1]
        torch.manual_seed(fit.seed)
        stand_ins, report = fit_stand_ins(
            model, data.media[0], questions, data.media_index, targets, blank_image,
            blank_question, fit, question_index=data.clip_index,
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads_before)
    report["cpu_s"] = round(time.process_time() - cpu0, 1)
    report["threads"] = threads
    sha = sha256_file(weights)
    path = save_stand_ins(stand_ins, Path(out) / stand_in_path(weights).name,
                          {"checkpoint_sha256": sha, "report": report})  # fmt: skip
    return StandInResult(path, report)


def fit_task(
    task_name: str,
    fusion: str,
    out: Path,
    checkpoint: Path | None = None,
    data_root: Path | None = None,
    fit: StandInFit | None = None,
    threads: int = 1,
    log: Callable[[str], None] | None = None,
    limit: int | None = None,
) -> StandInResult:
    """Fit stand-ins for ``ref-<fusion>`` on ``task_name`` (its first ``limit`` training
    samples, or all): to its shipped weights, or to ``checkpoint`` (written by ``mmbench
    train``)."""
    from mmbench.adapters.reference import shipped_checkpoint
    from mmbench.tasks import load_task

    task = load_task(task_name)
    weights = Path(checkpoint) if checkpoint else shipped_checkpoint(fusion, task_name)
    if weights.suffix != ".safetensors":
        weights = weights.with_name(weights.name + ".safetensors")
    samples = list(task.samples(data_root, split="train"))[:limit]
    result = fit_checkpoint(weights, samples, out, fit, threads)
    if log:
        r = result.report
        b, a = r["before"], r["after"]
        scores = "; ".join(f"missing {k}: loss {b[k]['loss']:.3f} -> {a[k]['loss']:.3f}, "
                           f"accuracy {b[k]['accuracy']:.4f} -> {a[k]['accuracy']:.4f}"
                           for k in a)  # fmt: skip
        log(f"{weights.name}: {scores} ({r['items']} training items, {r['cpu_s']} s CPU) "
            f"-> {result.path}")  # fmt: skip
    return result
