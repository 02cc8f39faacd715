"""Batch-size sweep behind ``mmbench profile``: the same samples at every batch size.

The first ``limit`` samples of a task are decoded once (only the modalities the model
consumes) into a pool. For each batch size, ``warmup`` batches are run and discarded, then
``max(1, len(pool) // batch_size)`` full batches drawn in order from the pool (cycled when
the pool is smaller than one batch) are measured. Predictions are not scored.

>>> pool = list(range(5))
>>> [list(b) for b in full_batches(pool, 2, 3)]
[[0, 1], [2, 3], [4, 0]]
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmbench.datasets.media import decode
from mmbench.profiling.compute import (
    DTYPES,
    apply_compile,
    apply_dtype,
    count_flops,
    torch_module,
)
from mmbench.profiling.hardware import require_device
from mmbench.profiling.memory import is_cuda
from mmbench.profiling.profiler import Profiler
from mmbench.profiling.threads import ThreadPolicy, thread_policy, torch_threads
from mmbench.types import MediaError, Modality, Sample


def full_batches(pool: Sequence[Any], batch_size: int, n_batches: int) -> Iterator[list[Any]]:
    """``n_batches`` batches of exactly ``batch_size`` items, taken cyclically from ``pool``."""
    items = itertools.cycle(pool)
    for _ in range(n_batches):
        yield list(itertools.islice(items, batch_size))


def decode_pool(
    samples: Sequence[Sample], modalities: set[Modality]
) -> tuple[list[Sample], list[str]]:
    """Decode each sample's image / audio if the model consumes it; errors are returned as
    messages (naming sample and file) and the sample left out of the pool."""
    pool: list[Sample] = []
    errors: list[str] = []
    for s in samples:
        try:
            pool.append(decode(s, modalities))
        except MediaError as exc:
            errors.append(str(exc))
    return pool, errors


def _autocast(device: str, dtype: str) -> contextlib.AbstractContextManager[Any]:
    import torch

    return torch.autocast("cuda" if is_cuda(device) else "cpu", dtype=getattr(torch, DTYPES[dtype]))


def profile_batch_size(
    model: Any,
    pool: Sequence[Sample],
    batch_size: int,
    warmup: int,
    device: str = "cpu",
    autocast: str | None = None,
    dtype: str | None = None,
    compiled: bool = False,
    flops: dict[str, Any] | None = None,
    threads: ThreadPolicy | None = None,
) -> dict[str, Any]:
    """Profile of ``model`` at one batch size; ``autocast`` (bf16 | fp16) wraps predict.

    ``flops``: counted beforehand (compiled models); else counted on the first batch.
    ``threads``: the thread policy in force, recorded in the profile."""
    from mmbench.runner import audio_seconds, predict_batch

    if not pool:
        raise ValueError("the sample pool is empty: nothing to profile")
    profiler = Profiler(
        warmup=warmup, device=device, flops=dict(flops) if flops else None, threads=threads
    )
    n_measured = max(1, len(pool) // batch_size)
    for batch in full_batches(pool, batch_size, warmup + n_measured):
        with _autocast(device, autocast) if autocast else contextlib.nullcontext():
            preds, rec = profiler.timed_call(
                model,
                lambda b=batch: predict_batch(model, b, True),
                len(batch),
                audio_seconds(batch),
            )
        rec.count_outputs([p.text for p in preds])
    profiler.close()
    out = profiler.summary(model, compiled=compiled, dtype=dtype)
    return {"batch_size": batch_size, **out}


def sweep(
    model: Any,
    pool: Sequence[Sample],
    batch_sizes: Sequence[int],
    warmup: int,
    device: str = "cpu",
    autocast: str | None = None,
    dtype: str | None = None,
    compiled: bool = False,
    flops: dict[str, Any] | None = None,
    threads: ThreadPolicy | None = None,
) -> list[dict[str, Any]]:
    """One profile per batch size, in the order given."""
    return [
        profile_batch_size(
            model, pool, bs, warmup, device, autocast, dtype, compiled, flops, threads
        )
        for bs in batch_sizes
    ]


def plot_sweep(points: Sequence[dict[str, Any]], path: str | Path, title: str) -> Path:
    """PNG of throughput (samples/s, left axis) and p90 batch latency (ms, right axis)
    against batch size (log2 axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [p["batch_size"] for p in points]
    sps = [p["samples_per_s"] or 0.0 for p in points]
    p90 = [(p["latency_s"] or {}).get("p90", 0.0) * 1000 for p in points]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(sizes, sps, "o-", color="tab:blue", label="samples/s")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("batch size")
    ax.set_ylabel("throughput (samples/s)", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(sizes, p90, "s--", color="tab:red", label="p90 latency")
    ax2.set_ylabel("p90 batch latency (ms)", color="tab:red")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path


@dataclass
class ProfileRun:
    """What ``mmbench profile`` produced: the record and where it was written."""

    record: dict[str, Any]
    json_path: Path
    png_path: Path
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        r = self.record
        compiled = " compiled" if r["compile"] in ("hook", "module") else ""
        return f"{r['model']['name']} on {r['task']['name']} · {r['device']} {r['dtype']}{compiled}"


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def run_profile(
    model_spec: str,
    task: Any,
    batch_sizes: Sequence[int],
    out_dir: str | Path,
    dtype: str = "fp32",
    compile_model: bool = False,
    device: str = "cpu",
    limit: int = 256,
    warmup: int = 10,
    data_root: Path | None = None,
    model: Any = None,
    threads: int | None = None,
    model_args: Mapping[str, str] | None = None,
) -> ProfileRun:
    """Sweep ``batch_sizes`` for one model on the first ``limit`` samples of ``task``; write
    ``<out>/profile/<task>__<model>__<device>-<dtype>.json`` (atomic) and ``.png``.

    ``threads``: torch intra-op threads (None: the thread policy's choice; the pool is
    decoded up front, so no decode workers); ``model_args``: the ``--model-arg`` options."""
    from mmbench.adapters.base import ModelContext, build_model, fingerprint, recorded_args
    from mmbench.atomic import write_json_atomic
    from mmbench.results import now_iso

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    require_device(device)
    if model is None:
        ctx = ModelContext(task, data_root, device, model_args=model_args or {})
        model = build_model(model_spec, ctx)
    if hasattr(model, "to") and device != "cpu":
        model.to(device)
    started = time.perf_counter()
    samples = list(itertools.islice(task.samples(data_root), limit))
    pool, media_errors = decode_pool(samples, set(getattr(model, "modalities", ())))
    decode_s = time.perf_counter() - started
    if not pool:
        raise ValueError(f"no sample of task {task.name!r} could be decoded: nothing to profile")

    dtype_mode = apply_dtype(model, device, dtype)
    flops = None
    if compile_model and torch_module(model) is not None:
        # FLOPs of the eager model, once: counting a compiled one would force a recompile.
        from mmbench.runner import predict_batch

        first = next(full_batches(pool, batch_sizes[0], 1))
        with _autocast(device, dtype) if dtype_mode == "autocast" else contextlib.nullcontext():
            _, flops = count_flops(model, lambda: predict_batch(model, first, True), len(first))
    compile_mode = apply_compile(model) if compile_model else "off"
    notes = [
        f"{flag}: {mode}"
        for flag, mode in (("--dtype", dtype_mode), ("--compile", compile_mode))
        if mode.startswith("n/a")
    ]
    compiled = compile_mode in ("hook", "module")
    policy = thread_policy(decodes_media=False, threads=threads)
    with torch_threads(policy.threads):
        points = sweep(
            model,
            pool,
            batch_sizes,
            warmup,
            device,
            autocast=dtype if dtype_mode == "autocast" else None,
            dtype=None if dtype_mode.startswith("n/a") else DTYPES[dtype],
            compiled=compiled,
            flops=flops,
            threads=policy,
        )
    hardware = points[0]["hardware"]
    for p in points:
        p.pop("hardware")
    record = {
        "kind": "mmbench-profile",
        "model": {
            "name": model.name,
            "spec": model_spec,
            "fingerprint": fingerprint(model, model_spec, model_args),
            "args": recorded_args(model_spec, model_args or {}),
        },
        "task": {"name": task.name, "version": task.version, "kind": task.kind.value},
        "device": device,
        "dtype": dtype,
        "dtype_mode": dtype_mode,
        "compile": compile_mode,
        "warmup_batches": warmup,
        "pool_samples": len(pool),
        "media_errors": media_errors,
        "read_and_decode_s": decode_s,
        "points": points,
        "hardware": hardware,
        "created_at": now_iso(),
    }
    variant = f"{_slug(device)}-{dtype}{'-compiled' if compiled else ''}"
    stem = Path(out_dir) / "profile" / f"{_slug(task.name)}__{_slug(model.name)}__{variant}"
    json_path = write_json_atomic(stem.with_suffix(".json"), record)
    run = ProfileRun(record, json_path, stem.with_suffix(".png"), notes)
    plot_sweep(points, run.png_path, run.title)
    return run
