"""Per-sample overhead of ``mmbench serve`` + the ``openai:`` client against in-process predict.

Model: ``ref-gated`` with its shipped easy-VQA weights; ``--samples`` easy-VQA test questions
with their 64x64 PNG images, decoded beforehand for the in-process loop.

- **in-process**: ``model.predict`` over batches of ``--batch-size`` pre-decoded samples.
- **served, concurrency c**: ``mmbench serve --model ref-gated --task easyvqa`` in its own
  process on 127.0.0.1 (dynamic batching up to ``--batch-size``), and the ``openai:`` client
  (``OpenAIChatModel``, c threads over c keep-alive connections) predicting the same samples
  in batches of max(c, batch size): base64 data URLs out, JSON back, media decoded again on
  the server. The server's mean batch size is read from ``/health``.

Overhead per sample = served wall time / samples - in-process wall time / samples (best of
``--repeat`` after one warm-up pass), against in-process batches of 1 and of ``--batch-size``
(the server batches what arrives together, so concurrency 1 compares with batch 1). Run it
on an idle machine: it refuses to report under a load average above 1 unless ``--force``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from benchmarks._common import append_results, best_of
from mmbench.adapters.base import ModelContext, build_model
from mmbench.datasets.media import decode
from mmbench.tasks import load_task


def start_server(batch_size: int) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "mmbench", "serve", "--model", "ref-gated", "--task", "easyvqa"]
    cmd += ["--port", "0", "--batch-size", str(batch_size), "--idle-timeout", "600"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if " at http" not in line:
        proc.kill()
        raise SystemExit(f"mmbench serve did not start: {line!r}")
    return proc, line.rsplit(" at ", 1)[1].strip()


def health(url: str) -> dict:
    import httpx

    return httpx.get(url.removesuffix("/v1") + "/health").json()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    ap.add_argument("--force", action="store_true", help="report even on a busy machine")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    if load > 1 and not args.force:
        raise SystemExit(f"load average {load:.1f} > 1: timings would be noise (--force)")

    task = load_task("easyvqa")
    samples = [s for _, s in zip(range(args.samples), task.samples(), strict=False)]
    decoded = [decode(s) for s in samples]
    local = build_model("ref-gated", ModelContext(task))
    bs = args.batch_size

    def in_process(batch: int) -> float:
        def loop() -> None:
            for i in range(0, len(decoded), batch):
                local.predict(decoded[i : i + batch])

        loop()  # warm-up
        return best_of(loop, args.repeat) / len(samples)

    one_s, bs_s = in_process(1), in_process(bs)
    rows = [
        f"| in-process predict, batch 1 | {one_s * 1e3:.3f} | - | - | - |",
        f"| in-process predict, batch {bs} | {bs_s * 1e3:.3f} | - | - | - |",
    ]
    proc, url = start_server(bs)
    try:
        for c in args.concurrency:
            options = {"base_url": url, "concurrency": str(c)}
            client = build_model("openai:ref-gated", ModelContext(task, model_args=options))
            step = max(c, bs)

            def served(client=client, step=step) -> None:
                for i in range(0, len(samples), step):
                    client.predict(samples[i : i + step])

            before = health(url)
            served_s = best_of(served, args.repeat) / len(samples)
            after = health(url)
            client.close()
            mean_batch = (after["requests"] - before["requests"]) / max(
                1, after["batches"] - before["batches"]
            )
            rows.append(
                f"| served, concurrency {c} | {served_s * 1e3:.3f} | "
                f"{(served_s - one_s) * 1e3:.3f} | {(served_s - bs_s) * 1e3:.3f} | "
                f"{mean_batch:.1f} |"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    table = "\n".join(
        [
            f"ref-gated on {len(samples)} easy-VQA samples, best of {args.repeat}, "
            f"load average {load:.2f} at start.",
            "",
            "| path | ms / sample | overhead vs batch 1 | overhead vs batch "
            f"{bs} | server mean batch |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    if args.append:
        append_results("mmbench serve + openai: client vs in-process predict", table)


if __name__ == "__main__":
    main()
