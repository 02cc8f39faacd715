"""Text perturbations of questions and prompts: typing errors and dropped words.

The random draws of a text do not depend on the rate, so a higher severity edits a superset
of the positions a lower one edits.

>>> import numpy as np
>>> word_drop("what color is the circle", 0.0, np.random.default_rng(0))
'what color is the circle'
>>> typo("what color is the circle", 0.3, np.random.default_rng(0)) != "what color is the circle"
True
"""

from __future__ import annotations

import numpy as np

from mmbench.perturb.definition import register

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """Letters adjacent on a QWERTY keyboard (same row and the rows above and below)."""
    pos = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    out = {}
    for c, (r, i) in pos.items():
        near = [
            d
            for d, (r2, i2) in pos.items()
            if d != c and abs(r2 - r) <= 1 and abs(i2 - i + 0.5 * (r2 - r)) <= 1
        ]
        out[c] = "".join(sorted(near))
    return out


KEYBOARD_NEIGHBOURS = _neighbours()


@register("text:typo", "rate", (0.02, 0.05, 0.1, 0.15, 0.2), "of letters", "typing errors")
def typo(text: str, rate: float, rng: np.random.Generator) -> str:
    """Each letter is mistyped with probability ``rate``: swapped with the next letter,
    dropped, or replaced by a QWERTY neighbour (one of the three, equally likely)."""
    n = len(text)
    u, op, pick = rng.random(n), rng.integers(0, 3, n), rng.random(n)
    chars = list(text)
    out: list[str] = []
    i = 0
    while i < n:
        c = chars[i]
        if not c.isalpha() or u[i] >= rate:
            out.append(c)
        elif op[i] == 0 and i + 1 < n and chars[i + 1].isalpha():
            out += [chars[i + 1], c]  # swap with the next letter
            i += 1
        elif op[i] == 1:
            pass  # dropped
        else:
            near = KEYBOARD_NEIGHBOURS.get(c.lower(), "") or c
            sub = near[int(pick[i] * len(near))]
            out.append(sub.upper() if c.isupper() else sub)
        i += 1
    return "".join(out)


@register("text:word_drop", "rate", (0.1, 0.2, 0.3, 0.4, 0.5), "of words", "dropped words")
def word_drop(text: str, rate: float, rng: np.random.Generator) -> str:
    """Drop each whitespace-separated word with probability ``rate``."""
    words = text.split()
    keep = rng.random(len(words)) >= rate
    return " ".join(w for w, k in zip(words, keep, strict=True) if k)
