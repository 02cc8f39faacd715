"""METEOR 1.5 through pycocoevalcap's jar, exactly as ``COCOEvalCap`` computes it.

Needs Java and the ``pycocoevalcap`` package (its ``meteor-1.5.jar`` and English paraphrase
table ship inside it, so it runs offline). Captions are tokenized by the ``ptb`` preset, as
for BLEU/CIDEr-D/ROUGE-L; the jar (``-l en -norm``) aligns each prediction with its
references and returns 23 sufficient statistics per sample. The corpus score is the jar's
score of the aggregated statistics: they are summed here the way the jar's
``MeteorStats.addStats`` sums them (a sample's single chunk is dropped when it matches
its reference entirely) and sent as one ``EVAL`` line, so a score or a bootstrap resample
costs one line to the jar, not one per sample.

SPICE is not wired: pycocoevalcap's SPICE downloads Stanford CoreNLP models on first use
and cannot run offline (see :func:`spice_status`).

>>> meteor_status() is None or "apt-get install default-jre" in meteor_status()
True
"""

from __future__ import annotations

import atexit
import importlib.util
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mmbench.metrics.base import Metric, versioned
from mmbench.registry import METRICS

N_STATS = 23  # per sample: lengths, function words, 4 modules x 4 match counts, chunks, ...
_TEST_MATCHES = [4 + 4 * m + f for m in range(4) for f in (0, 2)]  # columns: test side
_REF_MATCHES = [5 + 4 * m + f for m in range(4) for f in (0, 2)]  # reference side
_CHUNKS = 20
_BATCH = 256  # lines written before their answers are read (pipe buffers stay small)
_ENABLE = (
    "METEOR needs Java and pycocoevalcap: pip install 'mmbench[test]' (or pip install "
    "pycocoevalcap) and apt-get install default-jre"
)


class MeteorUnavailable(RuntimeError):
    """Java or pycocoevalcap is missing; the message says how to install them."""


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / name


def meteor_status() -> str | None:
    """None when METEOR can run here, else what is missing and how to install it."""
    missing = []
    if shutil.which("java") is None:
        missing.append("java is not on PATH")
    jar = _package_dir("meteor")
    if jar is None or not (jar / "meteor-1.5.jar").exists():
        missing.append("pycocoevalcap (with meteor-1.5.jar) is not installed")
    return f"{'; '.join(missing)}. {_ENABLE}" if missing else None


def spice_status() -> str:
    """Why SPICE is not available (it needs models that are downloaded at first use)."""
    lib = _package_dir("spice")
    have = lib is not None and (lib / "lib" / "stanford-corenlp-3.6.0.jar").exists()
    state = "present" if have else "absent"
    return (
        f"SPICE is not supported by mmbench: pycocoevalcap's SPICE needs Stanford CoreNLP "
        f"3.6.0 models ({state} here), which it downloads from nlp.stanford.edu on first use, "
        "so it cannot run offline; run pycocoevalcap's Spice yourself where it is online"
    )


class _MeteorJar:
    """One ``meteor-1.5.jar -stdio`` process (started on first use, stopped at exit)."""

    _shared: _MeteorJar | None = None
    _guard = threading.Lock()

    def __init__(self) -> None:
        status = meteor_status()
        if status:
            raise MeteorUnavailable(status)
        self._proc = subprocess.Popen(
            ["java", "-jar", "-Xmx2G", "meteor-1.5.jar", "-", "-", "-stdio", "-l", "en", "-norm"],
            cwd=_package_dir("meteor"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> _MeteorJar:
        with cls._guard:
            if cls._shared is None or cls._shared._proc.poll() is not None:
                cls._shared = cls()
                atexit.register(cls._shared.close)
            return cls._shared

    def ask(self, lines: Sequence[str], answers_per_line: int) -> list[str]:
        """Send ``lines``; return the ``answers_per_line`` replies of each, in order."""
        out: list[str] = []
        with self._lock:
            for start in range(0, len(lines), _BATCH):
                chunk = lines[start : start + _BATCH]
                self._proc.stdin.write("".join(f"{line}\n" for line in chunk))
                self._proc.stdin.flush()
                for _ in range(len(chunk) * answers_per_line):
                    reply = self._proc.stdout.readline()
                    if not reply:
                        raise MeteorUnavailable("the METEOR jar stopped unexpectedly")
                    out.append(reply.strip())
        return out

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.kill()
            self._proc.wait()


def aggregable(stats: np.ndarray) -> np.ndarray:
    """float64 [n, 23]: rows to sum; a perfect one-chunk sample's chunk is dropped (jar rule)."""
    rows = np.array(stats, dtype=np.float64, copy=True).reshape(-1, N_STATS)
    perfect = (
        (rows[:, _TEST_MATCHES].sum(axis=1) == rows[:, 0])
        & (rows[:, _REF_MATCHES].sum(axis=1) == rows[:, 1])
        & (rows[:, _CHUNKS] == 1.0)
    )
    rows[perfect, _CHUNKS] = 0.0
    return rows


@METRICS.register("meteor")
class Meteor(Metric):
    """METEOR 1.5 (key ``METEOR``) as pycocoevalcap; needs Java (see :func:`meteor_status`)."""

    name = "meteor"
    keys = ("METEOR",)

    def __init__(self, tokenizer: str = "ptb") -> None:
        self.tokenizer = tokenizer

    def stats(
        self, predictions: Sequence[str], references: Sequence[Sequence[str]]
    ) -> list[np.ndarray]:
        from mmbench.metrics._captions import tokenize_captions

        return self.stats_tokenized(tokenize_captions(predictions, references, self.tokenizer))

    def stats_tokenized(self, caps) -> list[np.ndarray]:  # caps: _captions.Captions
        """Per-sample jar statistics [23] from captions tokenized once for several metrics."""
        n, strings = caps.n, caps.strings
        lines = []
        for s in range(n):
            refs = strings[n + caps.ref_start[s] : n + caps.ref_start[s + 1]]
            hyp = strings[s].replace("|||", "").replace("  ", " ")
            lines.append(" ||| ".join(["SCORE", *refs, hyp]))
        replies = _MeteorJar.shared().ask(lines, 1) if lines else []
        return [np.array(r.split(), dtype=np.float64) for r in replies]

    def score(self, stats: Sequence[np.ndarray]) -> dict[str, float]:
        if len(stats) == 0:
            return {"METEOR": 0.0}
        return {"METEOR": float(self._eval(aggregable(np.asarray(stats)).sum(axis=0)[None])[0])}

    def resample(self, stats: Sequence[np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of the resamples ``idx`` [B, n]: one jar line per resample."""
        from mmbench.metrics._captions import resample_weights

        rows = aggregable(np.asarray(stats))  # [n, 23]
        return {"METEOR": self._eval(resample_weights(idx, len(rows)) @ rows)}

    @staticmethod
    def _eval(sums: np.ndarray) -> np.ndarray:
        """float64 [B]: the jar's METEOR of each aggregated statistics row [B, 23]."""
        lines = ["EVAL ||| " + " ".join(repr(float(x)) for x in row) for row in sums]
        replies = _MeteorJar.shared().ask(lines, 2)  # the segment's score, then the total
        return np.array(replies[1::2], dtype=np.float64)

    def signature(self) -> str:
        tok = "ptb-py" if self.tokenizer == "ptb" else self.tokenizer
        return versioned("meteor-1.5", f"tok:{tok}", "lang:en", "norm:yes", "jar:pycocoevalcap")
