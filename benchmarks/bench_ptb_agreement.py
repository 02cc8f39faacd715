"""Token agreement of the pure-Python ``ptb`` preset with pycocoevalcap's Java PTBTokenizer.

Runs pycocoevalcap's own ``PTBTokenizer.tokenize`` (Stanford CoreNLP 3.4.1 through Java,
then its punctuation filter) and ``mmbench.normalize.ptb`` on the same captions, in the
same order (Java reads them as the lines of one file, and a line's end can depend on the
next line), and reports the rate of captions whose token sequences are identical, for
the batch form ``ptb_many`` and for ``ptb`` called caption by caption with the lines
that follow, plus the first disagreements.

    PYTHONPATH=$PWD python benchmarks/bench_ptb_agreement.py [--n 100000] [--write]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from mmbench.datasets._synthetic_captions import (
    coco_caption_files,
    ptb_family_captions,
    ptb_soup_captions,
)
from mmbench.normalize.ptb import _following, ptb, ptb_many

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_md import write_section  # noqa: E402


def caption_set(n: int, seed: int) -> tuple[list[str], list[str]]:
    """(captions, kind of each): a quarter plain COCO-like captions, a quarter varied ones
    with edge cases, 40% built from the families where tokenizers disagree and 10% random
    "soup" of pieces glued together; shuffled."""
    quarter = n // 4
    ann, res = coco_caption_files(quarter // 6 + 1, refs_per_image=5, seed=seed, style="plain")
    plain = [a["caption"] for a in ann["annotations"]] + [r["caption"] for r in res]
    ann, res = coco_caption_files(quarter // 6 + 1, refs_per_image=5, seed=seed + 1, style="varied")
    varied = [a["caption"] for a in ann["annotations"]] + [r["caption"] for r in res]
    soup = ptb_soup_captions(n // 10, seed=seed + 3)
    family = ptb_family_captions(n - 2 * quarter - len(soup), seed=seed + 2)
    pairs = [(c, "plain") for c in plain[:quarter]] + [(c, "varied") for c in varied[:quarter]]
    pairs += [(c, "family") for c in family] + [(c, "soup") for c in soup]
    random.Random(seed).shuffle(pairs)
    return [c for c, _ in pairs], [k for _, k in pairs]


def java_tokens(captions: list[str]) -> list[str]:
    """pycocoevalcap's PTBTokenizer output for ``captions``, all lines of one Java run."""
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    out = PTBTokenizer().tokenize({0: [{"caption": c} for c in captions]})
    return out[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100000, help="captions to compare")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", action="store_true", help="write the section in RESULTS.md")
    args = ap.parse_args()
    if shutil.which("java") is None:
        sys.exit("java is not installed: the reference tokenizer cannot run")
    captions, kinds = caption_set(args.n, args.seed)
    start = time.perf_counter()
    ref = java_tokens(captions)
    java_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    many = ptb_many(captions)
    many_s, many_cpu = time.perf_counter() - start, time.process_time() - cpu
    one = [ptb(c, _following(captions, i)) for i, c in enumerate(captions)]
    bad = [i for i, (r, o) in enumerate(zip(ref, many, strict=True)) if r != o]
    bad_one = [i for i, (r, o) in enumerate(zip(ref, one, strict=True)) if r != o]
    n_tok = sum(len(r.split(" ")) for r in ref)
    per_kind = Counter(kinds)
    bad_kind = Counter(kinds[i] for i in bad)
    load = os.getloadavg()[0]
    lines = [
        f"{len(captions):,} captions ({n_tok:,} reference tokens), seed {args.seed}: "
        f"{per_kind['plain']:,} plain COCO-style, {per_kind['varied']:,} with edge cases "
        "(punctuation, contractions, numbers, hyphens, quotes, brackets, currency, "
        f"abbreviations, unicode) and {per_kind['family']:,} from the families where "
        "tokenizers disagree on real captions (times glued to am/pm, in-word apostrophes, "
        "quoted words, hyphen runs, ampersands, underscores, signs, abbreviations or not "
        f"at the line end; `ptb_family_captions`) and {per_kind['soup']:,} random pieces glued "
        "together (`ptb_soup_captions`). Java reads them as one file, in this order.",
        "",
        f"- `ptb_many` (batch): identical token sequences **{1 - len(bad) / len(captions):.3%}** "
        f"({len(captions) - len(bad):,} / {len(captions):,}); by kind: "
        + ", ".join(
            f"{k} {per_kind[k] - bad_kind[k]:,}/{per_kind[k]:,}"
            for k in ("plain", "varied", "family", "soup")
        ),
        f"- `ptb` caption by caption (with the lines that follow): "
        f"**{1 - len(bad_one) / len(captions):.3%}** ({len(captions) - len(bad_one):,} / "
        f"{len(captions):,})",
        f"- time: Java {java_s:.1f} s (whole run, wall), `ptb_many` {many_s:.1f} s wall, "
        f"{many_cpu:.1f} s CPU; load average {load:.1f} (1 min, {os.cpu_count()} CPUs)",
        "",
    ]
    if bad or bad_one:
        lines += ["Disagreements (first 10, repr of caption / Java / mmbench):", ""]
        for i in sorted(set(bad) | set(bad_one))[:10]:
            lines.append(
                f"- `{captions[i]!r}`<br>java: `{ref[i]!r}`<br>ours: `{many[i]!r}` / `{one[i]!r}`"
            )
    text = "\n".join(lines)
    print(text)
    if args.write:
        cmd = "PYTHONPATH=$PWD python benchmarks/bench_ptb_agreement.py --write"
        if args.n != 100000:
            cmd += f" --n {args.n}"
        if args.seed:
            cmd += f" --seed {args.seed}"
        write_section("PTB tokenizer agreement (ptb preset vs Java PTBTokenizer)", cmd, text)


if __name__ == "__main__":
    main()
