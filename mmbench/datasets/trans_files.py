"""LibriSpeech-style transcript files: ``<utt-id> <TRANSCRIPT>`` lines.

References are one ``*.trans.txt`` file or a folder searched recursively for them (the
LibriSpeech layout ``<split>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt``);
hypotheses are one file in the same line format. A line with only an id is an empty
transcript.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> _ = open(os.path.join(d, "1-2.trans.txt"), "w").write("1-2-0000 HELLO WORLD\\n1-2-0001\\n")
>>> read_transcripts(os.path.join(d, "1-2.trans.txt"))
{'1-2-0000': 'HELLO WORLD', '1-2-0001': ''}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class TranscriptFileError(ValueError):
    """A transcript file is malformed or the id sets differ; the message names the file."""


@dataclass(frozen=True)
class AlignedTranscripts:
    """References and hypotheses aligned by utterance id (sorted ids)."""

    ids: list[str]
    references: list[str]
    hypotheses: list[str]


def read_transcripts(path: str | Path, into: dict[str, str] | None = None) -> dict[str, str]:
    """``{utt_id: text}`` from one file; a repeated id is an error naming both places."""
    out = {} if into is None else into
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise TranscriptFileError(f"transcript file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise TranscriptFileError(f"{path} is not UTF-8 text: {exc}") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        utt, _, text = line.strip().partition(" ")
        if utt in out:
            raise TranscriptFileError(f"{path}:{lineno}: utterance id {utt!r} appears twice")
        out[utt] = " ".join(text.split())
    return out


def read_references(path: str | Path) -> dict[str, str]:
    """One ``*.trans.txt`` file, or every ``*.trans.txt`` under a folder."""
    path = Path(path)
    if not path.is_dir():
        return read_transcripts(path)
    files = sorted(path.rglob("*.trans.txt"))
    if not files:
        raise TranscriptFileError(f"no *.trans.txt files under {path}")
    out: dict[str, str] = {}
    for f in files:
        read_transcripts(f, out)
    return out


def _sample(ids: set[str], k: int = 3) -> str:
    shown = ", ".join(sorted(ids)[:k])
    return shown + (", ..." if len(ids) > k else "")


def align(
    references: dict[str, str], hypotheses: dict[str, str], hyp_path: str | Path
) -> AlignedTranscripts:
    """Pair by id; differing id sets are refused with how many are missing or extra."""
    missing = references.keys() - hypotheses.keys()
    extra = hypotheses.keys() - references.keys()
    if missing or extra:
        parts = []
        if missing:
            parts.append(
                f"{len(missing)} reference utterances have no hypothesis (e.g. {_sample(missing)})"
            )
        if extra:
            parts.append(
                f"{len(extra)} hypothesis ids are not in the references (e.g. {_sample(extra)})"
            )
        raise TranscriptFileError(f"hypotheses {hyp_path}: " + "; ".join(parts))
    ids = sorted(references)
    return AlignedTranscripts(ids, [references[i] for i in ids], [hypotheses[i] for i in ids])
