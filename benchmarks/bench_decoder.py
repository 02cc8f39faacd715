"""Decoder memory cache: project the attended tokens once per sequence vs at every step.

The reference decoder (``FusionDecoder``) queries the same image tokens or audio frames at
every step. ``Fusion.remember`` projects them once (attention keys; keys and values per head
for ``cross_attention``) and ``Fusion.attend`` does one query. The baseline is the same
module with every step calling ``fusion(tokens, h, mask)``, which projects the memory again
(how the decoder worked before the cache). Both run on the shipped weights in one process,
on the same test media, and must produce the same texts.

Measured per shipped checkpoint of ``shapes_caption`` and ``spoken_shapes``:
- predict: ``ReferenceModel.predict`` (media decoding + encoder + beam 3) on the test split;
- train step: teacher-forced forward + backward of the whole model on one batch.

    PYTHONPATH=$PWD python benchmarks/bench_decoder.py --limit 64 --write
"""

from __future__ import annotations

import argparse
from typing import Any

import torch
from torch import nn

from benchmarks._common import best_of
from benchmarks.results_md import write_section
from mmbench.adapters.reference import load_reference, shipped_checkpoint, shipped_tasks
from mmbench.datasets.media import load_audio, load_image
from mmbench.models.encoders import images_to_tensor, waves_to_tensor
from mmbench.models.fusion import FUSIONS
from mmbench.profiling.compute import count_flops
from mmbench.tasks import load_task

TASKS = ("shapes_caption", "spoken_shapes")


class PerStep(nn.Module):
    """Baseline: ``remember`` keeps the raw tokens, ``attend`` re-projects them every step."""

    def __init__(self, fusion: nn.Module) -> None:
        super().__init__()
        self.inner = fusion

    def remember(self, x1: torch.Tensor, mask1: torch.Tensor | None = None) -> Any:
        return x1, mask1

    def attend(self, memory: Any, x2: torch.Tensor) -> torch.Tensor:
        tokens, mask = memory
        return self.inner(tokens, x2, mask)  # [B, D]


def _media(model: Any, samples: list) -> tuple[torch.Tensor, ...]:
    if model.kind == "asr":
        return waves_to_tensor([load_audio(s) for s in samples])  # waves [B, S], lengths [B]
    return (images_to_tensor([load_image(s) for s in samples], 64),)  # [B, 3, 64, 64]


def _train_step(module: nn.Module, media: tuple[torch.Tensor, ...]) -> None:
    b = media[0].shape[0]
    inputs = torch.randint(4, len(module.cfg.vocab), (b, 12))  # [B, T] word ids
    module.zero_grad()
    module(media, inputs).sum().backward()


def measure(task: str, fusion: str, samples: list, repeat: int, batch: int) -> dict[str, Any]:
    model = load_reference(shipped_checkpoint(fusion, task), f"ref-{fusion}")
    decoder = model.module.decoder
    cached = decoder.fusion
    media = _media(model, samples[:32])
    modes = (("per_step", PerStep(cached)), ("cached", cached))
    row: dict[str, Any] = {"task": task, "fusion": fusion}
    texts = {}
    for label, module in modes:
        decoder.fusion = module
        texts[label] = model.predict(samples)
        flops = count_flops(model, lambda: model.predict(samples[:batch]), batch)[1]
        row[f"mflops_{label}"] = flops["per_sample"] / 1e6
        row[f"predict_{label}"] = best_of(lambda: model.predict(samples), repeat)
    model.module.train()  # last: BatchNorm statistics move
    for label, module in modes:
        decoder.fusion = module
        row[f"train_{label}"] = best_of(lambda: _train_step(model.module, media), repeat)
    row["same_texts"] = texts["per_step"] == texts["cached"]
    return row


def table(rows: list[dict[str, Any]], n: int) -> str:
    lines = [
        f"| task | fusion | MFLOPs / sample, per step | cached | predict {n} (s), per step | "
        "cached | speed-up | train step, batch 32 (s), per step | cached | speed-up | same texts |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | `{r['fusion']}` | {r['mflops_per_step']:.1f} | "
            f"{r['mflops_cached']:.1f} | {r['predict_per_step']:.3f} | "
            f"{r['predict_cached']:.3f} | {r['predict_per_step'] / r['predict_cached']:.2f}x | "
            f"{r['train_per_step']:.3f} | {r['train_cached']:.3f} | "
            f"{r['train_per_step'] / r['train_cached']:.2f}x | {r['same_texts']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=64, help="test samples per task")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    parser.add_argument("--write", action="store_true", help="write RESULTS.md's section")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for task in TASKS:
        spec = load_task(task)
        samples = list(spec.samples(split="test"))[: args.limit]
        for fusion in sorted(FUSIONS):
            if task in shipped_tasks(fusion):
                batch = spec.defaults.get("batch_size", 16)
                rows.append(measure(task, fusion, samples, args.repeat, batch))
                print(table(rows[-1:], args.limit).splitlines()[-1], flush=True)
    body = table(rows, args.limit) + (
        "\n\nBest of --repeat timings, 1 torch thread, shipped weights. MFLOPs: "
        "`count_flops` on the task's first batch (its default batch size), as `mmbench run` "
        "counts them. predict: "
        "`ReferenceModel.predict` on the first --limit test samples (media decoding, encoder, "
        "beam 3); train step: teacher-forced forward + backward of the whole model on 32 of "
        "them with 12 target tokens. per step: every decoder step projects the memory again "
        "(the decoder before the cache); cached: `Fusion.remember` once, `Fusion.attend` per "
        "step. same texts: both decoders wrote identical texts for every sample.\n"
    )
    print(body)
    if args.write:
        command = (
            "PYTHONPATH=$PWD python benchmarks/bench_decoder.py "
            f"--limit {args.limit} --repeat {args.repeat} --write"
        )
        write_section("Decoder memory cache (`benchmarks/bench_decoder.py`)", command, body)


if __name__ == "__main__":
    main()
