"""``mmbench profile``: a batch-size sweep of one model on one task's samples (not scored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mmbench.cli._model_args import MODEL_ARG, model_args


def _batch_sizes(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        sizes = []
    if not sizes or any(s < 1 for s in sizes):
        raise typer.BadParameter(
            f"--batch-sizes must be positive integers like 1,8,32, got {text!r}"
        )
    return sizes


def _fmt(value: float | None, scale: float = 1.0, digits: int = 1) -> str:
    return "-" if value is None else f"{value * scale:,.{digits}f}"


def _table(points: list[dict[str, Any]], title: str) -> Any:
    from mmbench.cli._table import CONTENDED_MARK, TextTable, contended, format_bytes
    from mmbench.units import format_si

    cols = [
        "batch",
        "samples/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "tokens/s",
        "RTFx",
        "peak host",
        "peak CUDA",
        "FLOPs/sample",
    ]
    table = TextTable(cols, title=title, right=set(cols))
    for p in points:
        lat = p["latency_s"] or {}
        mem = p["memory"] or {}
        audio = p["audio"] or {}
        table.add_row(
            str(p["batch_size"]),
            _fmt(p["samples_per_s"]) + (CONTENDED_MARK if contended(p) else ""),
            _fmt(lat.get("p50"), 1000, 2),
            _fmt(lat.get("p90"), 1000, 2),
            _fmt(lat.get("p99"), 1000, 2),
            _fmt(p["tokens"]["per_s"]),
            _fmt(audio.get("rtfx")),
            format_bytes(mem.get("host_peak_rss_bytes")),
            format_bytes(mem.get("cuda_max_allocated_bytes")),
            format_si(p["flops"]["per_sample"], 1, " ", ".0f"),
        )
    return table


_OUT = typer.Option(Path("mmbench-out"), "--out", "-o", help="writes profile/<task>__<model>...")
_DATA_ROOT = typer.Option(None, "--data-root", help="datasets root [default: $MMBENCH_DATA]")


def profile(
    model: str = typer.Option(
        ..., "--model", "-m", help="registered name, name:arg, or pkg.mod:factory"
    ),
    model_arg: list[str] = MODEL_ARG,
    task: str = typer.Option(
        ..., "--task", "-t", help="task name or task YAML path (its samples are used)"
    ),
    batch_sizes: str = typer.Option("1,8,32", "--batch-sizes", help="comma-separated batch sizes"),
    dtype: str = typer.Option("fp32", "--dtype", help="fp32, bf16 or fp16 (torch models)"),
    compile_: bool = typer.Option(
        False, "--compile", help="torch.compile the model (torch models)"
    ),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:1, ..."),
    out: Path = _OUT,
    limit: int = typer.Option(256, "--limit", "-n", min=1, help="size of the sample pool"),
    warmup: int = typer.Option(10, "--warmup", min=0, help="warm-up batches per batch size"),
    data_root: Path = _DATA_ROOT,
    threads: int = typer.Option(
        None, "--threads", min=1, help="torch intra-op threads [default: the thread policy's]"
    ),
) -> None:
    """Throughput, latency percentiles, memory and FLOPs of MODEL across batch sizes.

    Writes OUT/profile/<task>__<model>__<device>-<dtype>[-compiled].json and .png (not scored).
    """
    from mmbench.cli._table import CONTENDED_NOTE, contended, show
    from mmbench.cli._table import console as make_console
    from mmbench.profiling.compute import DTYPES
    from mmbench.profiling.sweep import run_profile
    from mmbench.tasks import load_task

    sizes = _batch_sizes(batch_sizes)
    if dtype not in DTYPES:
        raise typer.BadParameter(f"--dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    run = run_profile(
        model,
        load_task(task),
        sizes,
        out,
        dtype=dtype,
        compile_model=compile_,
        device=device,
        limit=limit,
        warmup=warmup,
        data_root=data_root,
        threads=threads,
        model_args=model_args(model_arg, [model]),
    )
    console = make_console()
    for note in run.notes:
        console.print(f"[yellow]{note}[/]", highlight=False)
    rec = run.record
    show(_table(rec["points"], run.title), console)
    if any(contended(p) for p in rec["points"]):
        console.print(f"  {CONTENDED_NOTE}", highlight=False, soft_wrap=True)
    console.print(
        f"  pool: {rec['pool_samples']} samples ({len(rec['media_errors'])} media errors), "
        f"read and decoded in {rec['read_and_decode_s']:.2f} s",
        highlight=False,
    )
    console.print(f"  json: {run.json_path}\n  plot: {run.png_path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)
