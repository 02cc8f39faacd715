"""VQA accuracy on generated VQAv2 files: mmbench vs a straight Python 3 port of the official
script (benchmarks/vqa_official_port.py), same files, both revisions; checks parity too.

Run: PYTHONPATH=$PWD python benchmarks/bench_vqa.py --n 200000
Each side runs in its own subprocess; peak memory is that process's VmHWM (/proc/self/status),
which, unlike ru_maxrss, does not inherit the parent's high-water mark across fork/exec.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _side(which: str, rules: str, q: str, a: str, r: str) -> None:
    sys.path.insert(0, str(HERE))
    t0 = time.perf_counter()
    if which == "mmbench":
        from mmbench.datasets.vqa_files import load_vqa_eval
        from mmbench.metrics.vqa_accuracy import VQAAccuracy, breakdown

        data = load_vqa_eval(q, a, r)
        metric = VQAAccuracy(rules)
        stats = metric.stats(data.predictions, data.references)
        overall = metric.score(stats)["vqa_accuracy"]
        breakdown(stats, data.answer_types)
        breakdown(stats, data.question_types)
    else:
        import vqa_official_port as port

        vqa = port.VQA(a, q)
        ev = port.VQAEval(vqa, vqa.loadRes(r, q), revision=rules)
        ev.evaluate()
        overall = ev.accuracy_raw["overall"]
    seconds = time.perf_counter() - t0
    status = Path("/proc/self/status").read_text().splitlines()
    rss_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": rss_mb, "overall": overall}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--side", nargs=5)
    args = ap.parse_args()
    if args.side:
        _side(*args.side)
        return
    sys.path.insert(0, str(HERE))
    import vqa_data

    with tempfile.TemporaryDirectory() as tmp:
        q, a, r = (str(p) for p in vqa_data.write(Path(tmp), args.n, seed=0))
        for rules in ("2021", "legacy"):
            res = {}
            for which in ("mmbench", "official-port"):
                out = subprocess.run(
                    [sys.executable, __file__, "--side", which, rules, q, a, r],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                res[which] = json.loads(out.stdout)
            m, o = res["mmbench"], res["official-port"]
            assert abs(m["overall"] - o["overall"]) < 1e-12, (m, o)
            print(
                f"rules={rules} n={args.n}: mmbench {m['seconds']:.2f} s "
                f"(peak RSS {m['peak_rss_mb']:.0f} MB) | official port {o['seconds']:.2f} s "
                f"(peak RSS {o['peak_rss_mb']:.0f} MB) | "
                f"speed-up {o['seconds'] / m['seconds']:.1f}x "
                f"| overall {m['overall']:.6f} == {o['overall']:.6f}"
            )


if __name__ == "__main__":
    main()
