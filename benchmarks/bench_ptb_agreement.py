"""Token agreement of the pure-Python ``ptb`` preset with pycocoevalcap's Java PTBTokenizer.

Runs pycocoevalcap's own ``PTBTokenizer.tokenize`` (Stanford CoreNLP 3.4.1 through Java,
then its punctuation filter) and ``mmbench.normalize.ptb.ptb`` on the same captions, and
reports the rate of captions whose token sequences are identical, plus disagreements.

    PYTHONPATH=$PWD python benchmarks/bench_ptb_agreement.py [--n 20000] [--write]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from collections import Counter
from pathlib import Path

from mmbench.datasets._synthetic_captions import caption, coco_caption_files
from mmbench.normalize.ptb import ptb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_md import write_section  # noqa: E402


def caption_set(n: int, seed: int) -> list[str]:
    """Half plain COCO-like captions, half varied ones with edge cases, shuffled."""
    ann, res = coco_caption_files(n // 12 + 1, refs_per_image=5, seed=seed, style="plain")
    plain = [a["caption"] for a in ann["annotations"]] + [r["caption"] for r in res]
    ann, res = coco_caption_files(n // 12 + 1, refs_per_image=5, seed=seed + 1, style="varied")
    varied = [a["caption"] for a in ann["annotations"]] + [r["caption"] for r in res]
    captions = plain[: n // 2] + varied[: n - n // 2]
    random.Random(seed).shuffle(captions)
    return captions


def java_tokens(captions: list[str]) -> list[str]:
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    out = PTBTokenizer().tokenize({i: [{"caption": c}] for i, c in enumerate(captions)})
    return [out[i][0] for i in range(len(captions))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="captions to compare")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", action="store_true", help="write the section in RESULTS.md")
    args = ap.parse_args()
    if shutil.which("java") is None:
        sys.exit("java is not installed: the reference tokenizer cannot run")
    captions = caption_set(args.n, args.seed)
    ref = java_tokens(captions)
    ours = [ptb(c) for c in captions]
    bad = [(c, r, o) for c, r, o in zip(captions, ref, ours, strict=True) if r != o]
    n_tok = sum(len(r.split(" ")) for r in ref)
    rate = 1 - len(bad) / len(captions)
    kinds = Counter("plain" if caption is None else "" for _ in ())
    del kinds
    lines = [
        f"{len(captions):,} captions ({n_tok:,} reference tokens; half plain COCO-style, half",
        "with edge cases: punctuation, contractions, numbers, hyphens, quotes, brackets,",
        "currency, abbreviations, unicode), seed " + str(args.seed) + ".",
        "",
        f"- identical token sequences: **{rate:.2%}** ({len(captions) - len(bad):,} / "
        f"{len(captions):,})",
        "",
    ]
    if bad:
        lines += ["Disagreements (first 10, repr of caption / Java / mmbench):", ""]
        for c, r, o in bad[:10]:
            lines.append(f"- `{c!r}`<br>java: `{r!r}`<br>ours: `{o!r}`")
    text = "\n".join(lines)
    print(text)
    if args.write:
        cmd = "PYTHONPATH=$PWD python benchmarks/bench_ptb_agreement.py --write"
        if args.n != 20000:
            cmd += f" --n {args.n}"
        write_section("PTB tokenizer agreement (ptb preset vs Java PTBTokenizer)", cmd, text)


if __name__ == "__main__":
    main()
