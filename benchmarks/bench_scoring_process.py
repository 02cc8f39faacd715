"""Whole-process scoring and start-up: each command timed as its own process (best of N).

* start-up: ``python -c pass`` (the interpreter floor), ``mmbench --help`` and
  ``mmbench score caption --help`` (the score command built, no input read);
* caption scoring of 5,000 images x 5 with ``--bootstrap 0`` against pycocoevalcap with its
  Java PTB tokenizer (BLEU, ROUGE-L, CIDEr-D; its own process, interleaved with ours);
* ``mmbench score caption`` on 40,000 x 5, ``score vqa`` on 214,000 questions and
  ``score asr`` on 2,620 utterances, each with the default 1,000-resample CIs and with
  ``--bootstrap 0``; peak memory is the process's own maximum RSS (``os.wait4``).

    PYTHONPATH=$PWD python benchmarks/bench_scoring_process.py [--repeat 3] [--quick] [--write]

``--quick`` shrinks every set (a smoke run). Timings mean little unless the 1-minute load
average is below 1; the table records it. The commands run as a user's Python does by
default, writing and reusing bytecode caches: ``PYTHONDONTWRITEBYTECODE`` is removed from
their environment (where it is set, every start compiles each imported module of the
package from source again), and each command runs once untimed first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

PYCOCOEVALCAP = """
import contextlib, io, sys
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
from pycocotools.coco import COCO

with contextlib.redirect_stdout(io.StringIO()):
    coco = COCO(sys.argv[1])
    res = coco.loadRes(sys.argv[2])
    ids = coco.getImgIds()
    tok = PTBTokenizer()
    gts = tok.tokenize({i: coco.imgToAnns[i] for i in ids})
    hyp = tok.tokenize({i: res.imgToAnns[i] for i in ids})
    scores = Bleu(4).compute_score(gts, hyp)[0]
    scores += [Rouge().compute_score(gts, hyp)[0], Cider().compute_score(gts, hyp)[0]]
print(" ".join(f"{s:.6f}" for s in scores))
"""


def mmbench_cmd() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m mmbench``."""
    script = Path(sys.executable).with_name("mmbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mmbench"]


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one process; fails loudly on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return wall, usage.ru_maxrss / 1024  # Linux: kilobytes


#: the children's environment: bytecode caches written and reused, as by default
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def best(cmds: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float, list[float]]]:
    """Each command once untimed (bytecode caches), then ``repeat`` times, interleaved:
    (best wall, its peak MiB, all walls)."""
    for cmd in cmds.values():
        run(cmd)
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for key, cmd in cmds.items():
            runs[key].append(run(cmd))
    return {k: (*min(v), [w for w, _ in v]) for k, v in runs.items()}


VQA_FILES = (
    "v2_OpenEnded_mscoco_gen_questions.json",
    "v2_mscoco_gen_annotations.json",
    "results.json",
)


def make_data(tmp: Path, n_cap5: int, n_cap: int, n_vqa: int, n_asr: int) -> None:
    """Caption, VQA and ASR files under ``tmp`` (and pycocoevalcap's script)."""
    sys.path.insert(0, str(HERE))
    from bench_wer import corpus
    from vqa_data import write as write_vqa

    from mmbench.datasets._synthetic_captions import coco_caption_files

    for n in (n_cap5, n_cap):
        ann, res = coco_caption_files(n, refs_per_image=5, seed=0)
        (tmp / f"a{n}.json").write_text(json.dumps(ann))
        (tmp / f"r{n}.json").write_text(json.dumps(res))
    paths = write_vqa(tmp / "vqa", n_vqa)
    assert tuple(p.name for p in paths) == VQA_FILES
    refs, hyps = corpus(n_asr)
    (tmp / "asr").mkdir()
    ids = [f"1-1-{i:04d}" for i in range(n_asr)]
    lines = zip(ids, refs, strict=True)
    (tmp / "asr" / "1-1.trans.txt").write_text("".join(f"{i} {t}\n" for i, t in lines))
    (tmp / "hyp.txt").write_text("".join(f"{i} {t}\n" for i, t in zip(ids, hyps, strict=True)))
    (tmp / "coco.py").write_text(PYCOCOEVALCAP)


def main() -> None:
    if sys.argv[1:2] == ["--make-data"]:
        make_data(Path(sys.argv[2]), *map(int, sys.argv[3:7]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sets (smoke run)")
    ap.add_argument("--write", action="store_true", help="replace the RESULTS.md section")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    mm = mmbench_cmd()
    sizes = (500, 2000, 5000, 300) if args.quick else (5000, 40000, 214000, 2620)
    n_cap5, n_cap, n_vqa, n_asr = sizes
    # the files are made by a child process, so this one stays small: a forked child's
    # peak RSS starts from its parent's (the ``python -c pass`` row shows that floor)
    make = [sys.executable, __file__, "--make-data", str(tmp), *map(str, sizes)]
    subprocess.run(make, check=True)
    files = {n: (tmp / f"a{n}.json", tmp / f"r{n}.json") for n in (n_cap5, n_cap)}
    q, a, r = (tmp / "vqa" / f for f in VQA_FILES)

    def cap(n: int, boot: int) -> list[str]:
        a_path, r_path = files[n]
        extra = ["--annotations", str(a_path), "--results", str(r_path), "--json"]
        return [*mm, "score", "caption", *extra, "--bootstrap", str(boot)]

    vqa = [*mm, "score", "vqa", "--questions", str(q), "--annotations", str(a), "--results"]
    asr = [*mm, "score", "asr", "--references", str(tmp / "asr"), "--hypotheses"]
    loads = [os.getloadavg()[0]]
    start = best(
        {
            "python -c pass": [sys.executable, "-c", "pass"],
            "mmbench --help": [*mm, "--help"],
            "mmbench score caption --help": [*mm, "score", "caption", "--help"],
        },
        max(args.repeat, 5),
    )
    loads.append(os.getloadavg()[0])
    side = best(
        {
            "pycocoevalcap (Java PTB)": [
                sys.executable,
                str(tmp / "coco.py"),
                *map(str, files[n_cap5]),
            ],
            "mmbench --bootstrap 0": cap(n_cap5, 0),
        },
        args.repeat,
    )
    loads.append(os.getloadavg()[0])
    scale = best(
        {
            f"caption {n_cap:,} x 5": cap(n_cap, 1000),
            f"caption {n_cap:,} x 5 --bootstrap 0": cap(n_cap, 0),
            f"vqa {n_vqa:,} questions": [*vqa, str(r), "--json"],
            f"vqa {n_vqa:,} questions --bootstrap 0": [*vqa, str(r), "--json", "--bootstrap", "0"],
            f"asr {n_asr:,} utterances": [*asr, str(tmp / "hyp.txt"), "--json"],
            f"asr {n_asr:,} utterances --bootstrap 0": [
                *asr,
                str(tmp / "hyp.txt"),
                "--json",
                "--bootstrap",
                "0",
            ],
        },
        args.repeat,
    )
    loads.append(os.getloadavg()[0])

    def table(results, header):
        rows = [
            f"| {header} | best wall (s) | peak RSS (MiB) | all runs (s) |",
            "|---|---|---|---|",
        ]
        for key, (wall, peak, walls) in results.items():
            rows.append(
                f"| {key} | {wall:.3f} | {peak:.0f} | {' '.join(f'{w:.2f}' for w in walls)} |"
            )
        return "\n".join(rows)

    ref, ours = side["pycocoevalcap (Java PTB)"][0], side["mmbench --bootstrap 0"][0]
    body = "\n\n".join(
        [
            table(start, "start-up (whole process)"),
            table(side, f"caption scoring, {n_cap5:,} images x 5, whole process"),
            f"Speed-up over pycocoevalcap: **{ref / ours:.1f}x** (target >= 10x).",
            table(scale, "scoring with 1,000-resample CIs (default) and without"),
            f"1-minute load average during the runs: {min(loads):.2f}-{max(loads):.2f} "
            f"({os.cpu_count()} CPUs). Targets: `mmbench --help` <= 0.150 s; caption "
            f"{n_cap:,} x 5 with CIs <= 10 s and <= 1 GiB.",
        ]
    )
    print(body)
    if args.write:
        cmd = (
            "PYTHONPATH=$PWD python benchmarks/bench_scoring_process.py"
            + (f" --repeat {args.repeat}" if args.repeat != 3 else "")
            + (" --quick" if args.quick else "")
            + " --write"
        )
        sys.path.insert(0, str(HERE))
        from results_md import write_section

        write_section("Whole-process scoring and start-up", cmd, body)


if __name__ == "__main__":
    main()
