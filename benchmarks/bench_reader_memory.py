"""Peak RSS of streaming a large COCO-captions set and a large LibriSpeech tree through a run.

Generates (once, under --workdir) a COCO captions file with N images (5 captions each, one
256x256 PNG per image: a small file that decodes to 192 KiB) and a LibriSpeech split with M
utterances (5 s of near-silence: a small FLAC that decodes to 312 KiB). Each measurement runs
in a fresh process (after a warm-up run that pays for lazy imports) and reports the growth of
peak RSS (``VmHWM``, reset between phases) while reading the annotation index, and during a
full ``run_task`` (decoding in-process, ``workers=0``) with a model that consumes every
decoded image / waveform. If media were held, the run's growth would approach the decoded total; it
must instead stay flat in dataset size, bounded by the index.

    python benchmarks/bench_reader_memory.py --images 20000 --utterances 5000
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

IMAGE_SIDE = 256
UTTERANCE_S = 5.0


def _png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    yy, xx = np.mgrid[:IMAGE_SIDE, :IMAGE_SIDE]
    img = np.stack([xx % 256, yy % 256, (xx + yy) % 256], axis=-1).astype(np.uint8)  # [H, W, 3]
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _flac_bytes() -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    wave = (rng.standard_normal(int(UTTERANCE_S * 16_000)) * 1e-4).astype(np.float32)  # [T]
    sf.write(buf, wave, 16_000, format="FLAC")
    return buf.getvalue()


def make_coco(root: Path, n: int) -> Path:
    """A data root holding ``coco/annotations/captions_val2017.json`` + ``coco/val2017``."""
    data_root = root / f"coco{n}"
    ann = data_root / "coco" / "annotations" / "captions_val2017.json"
    if ann.exists():
        return data_root
    images_dir = data_root / "coco" / "val2017"
    images_dir.mkdir(parents=True, exist_ok=True)
    png = _png_bytes()
    images, anns = [], []
    for i in range(1, n + 1):
        name = f"{i:012d}.png"
        (images_dir / name).write_bytes(png)
        images.append({"id": i, "file_name": name, "height": IMAGE_SIDE, "width": IMAGE_SIDE})
        for k in range(5):
            caption = f"A picture number {i} showing a gradient, caption {k} of five."
            anns.append({"id": 5 * i + k, "image_id": i, "caption": caption})
    ann.parent.mkdir(parents=True, exist_ok=True)
    ann.write_text(json.dumps({"images": images, "annotations": anns}))
    return data_root


def make_librispeech(root: Path, n: int, per_chapter: int = 50) -> Path:
    """``LibriSpeech/test-clean`` with n utterances, ``per_chapter`` per chapter."""
    split = root / f"libri{n}" / "LibriSpeech" / "test-clean"
    if split.exists():
        return root / f"libri{n}"
    flac = _flac_bytes()
    for c in range(0, n, per_chapter):
        speaker, chapter = 100 + c // (per_chapter * 4), 1000 + c // per_chapter
        folder = split / str(speaker) / str(chapter)
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for u in range(min(per_chapter, n - c)):
            utt = f"{speaker}-{chapter}-{u:04d}"
            (folder / f"{utt}.flac").write_bytes(flac)
            lines.append(f"{utt} THE QUICK BROWN FOX NUMBER {c + u} JUMPS OVER THE LAZY DOG\n")
        (folder / f"{speaker}-{chapter}.trans.txt").write_text("".join(lines))
    return root / f"libri{n}"


def _status_mib(key: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since exec or the last reset) from /proc, in MiB.

    Not ``ru_maxrss``: Linux carries that over fork and exec from the parent process.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{key} not in /proc/self/status (this benchmark needs Linux)")


def _reset_peak() -> float:
    """Reset the peak to the current RSS (Linux >= 4.0) and return the current RSS."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mib("VmRSS")


class _Consumer:
    """Touches every decoded array (sums it), so decoding really happens and is paid for."""

    name = "consumer"

    def __init__(self, modality) -> None:
        self.modalities = (modality,)
        self.decoded_bytes = 0

    def predict(self, samples):
        out = []
        for s in samples:
            arr = s.image if s.image is not None else s.audio
            self.decoded_bytes += arr.nbytes
            out.append(str(int(arr.sum()) % 7))
        return out


def child(kind: str, data_root: Path, out_dir: Path) -> dict:
    """One measurement in this (fresh) process."""
    from mmbench.runner import RunConfig, run_task
    from mmbench.tasks import parse_task
    from mmbench.types import Modality

    args = (
        {"annotations": "coco/annotations/captions_val2017.json", "images": "coco/val2017"}
        if kind == "coco"
        else {"root": "LibriSpeech", "split": "test-clean"}
    )
    reader = "coco_captions" if kind == "coco" else "librispeech"
    task = parse_task(
        {
            "name": f"bench_{kind}",
            "version": 1,
            "kind": "caption" if kind == "coco" else "asr",
            "reader": {"name": reader, "args": args},
            "metrics": ["exact_match"],
        },
        "bench",
    )
    model = _Consumer(Modality.IMAGE if kind == "coco" else Modality.AUDIO)
    before_index = _reset_peak()
    t0 = time.perf_counter()
    n = sum(1 for _ in task.make_reader(data_root))
    index_s = time.perf_counter() - t0
    index_peak = _status_mib("VmHWM")
    # warm-up on 8 samples (separate output) so lazy imports are not counted as data memory
    warm = RunConfig(out_dir=out_dir / "warmup", data_root=data_root, progress=False, limit=8)
    run_task("consumer", task, warm, model=_Consumer(model.modalities[0]))
    cfg = RunConfig(out_dir=out_dir, data_root=data_root, progress=False, n_resamples=0, workers=0)
    before_run = _reset_peak()
    t0 = time.perf_counter()
    record = run_task("consumer", task, cfg, model=model).record
    return {
        "kind": kind,
        "n": n,
        "errors": record["n_errors"],
        "rss_before_mib": before_index,
        "index_peak_growth_mib": index_peak - before_index,
        "run_peak_growth_mib": _status_mib("VmHWM") - before_run,
        "run_peak_mib": _status_mib("VmHWM"),
        "decoded_total_mib": model.decoded_bytes / 2**20,
        "index_s": index_s,
        "run_s": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=20_000)
    ap.add_argument("--utterances", type=int, default=5_000)
    ap.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mmbench-membench"
    )
    ap.add_argument("--child", nargs=2, metavar=("KIND", "ROOT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, root = a.child
        out = Path(tempfile.mkdtemp(prefix="membench-out-"))
        print(json.dumps(child(kind, Path(root), out)))
        return
    rows = []
    for kind, full in (("coco", a.images), ("libri", a.utterances)):
        for n in (full // 4, full):
            t0 = time.perf_counter()
            root = make_coco(a.workdir, n) if kind == "coco" else make_librispeech(a.workdir, n)
            gen_s = time.perf_counter() - t0
            cmd = [sys.executable, __file__, "--child", kind, str(root)]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            res["gen_s"] = gen_s
            rows.append(res)
            print(json.dumps(res), flush=True)
    print()
    print(
        "| dataset | samples | RSS after imports | peak growth: read index "
        "| peak growth: full run | peak RSS of the run "
        "| decoded media (if held) | run growth / decoded | index s | run s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        index, run = r["index_peak_growth_mib"], r["run_peak_growth_mib"]
        name = "COCO captions" if r["kind"] == "coco" else "LibriSpeech"
        print(
            f"| {name} | {r['n']:,} | {r['rss_before_mib']:.0f} MiB | {index:+.1f} MiB | "
            f"{run:+.1f} MiB | {r['run_peak_mib']:.0f} MiB | {r['decoded_total_mib']:,.0f} MiB | "
            f"{run / r['decoded_total_mib']:.4f} | {r['index_s']:.1f} | {r['run_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
