"""LibriSpeech, read from the official layout: one ASR Sample per utterance.

``{root}/{split}/{speaker}/{chapter}/{speaker}-{chapter}-{utt}.flac`` with one
``{speaker}-{chapter}.trans.txt`` per chapter, each line ``UTTERANCE-ID TRANSCRIPT``. Reader
arguments: ``root`` (``LibriSpeech``, relative to the data root) and ``split``
(``test-clean``, ``dev-other``, ...). Sample ids are utterance ids, the reference is the
transcript as written (upper case, no punctuation); ``meta`` holds ``speaker`` and
``chapter``. Audio is decoded later (float32 mono 16 kHz, other rates resampled with soxr).

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> ch = root / "LibriSpeech" / "test-clean" / "61" / "70968"
>>> ch.mkdir(parents=True)
>>> _ = (ch / "61-70968.trans.txt").write_text("61-70968-0000 HE BEGAN A CONFUSED COMPLAINT\\n")
>>> [(s.id, s.references) for s in LibriSpeechReader(root, root="LibriSpeech", split="test-clean")]
[('61-70968-0000', ('HE BEGAN A CONFUSED COMPLAINT',))]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmbench.datasets.files import DataFile, require
from mmbench.registry import READERS
from mmbench.tasks import DataFormatError
from mmbench.types import Sample, TaskKind

OPENSLR = "https://www.openslr.org/12"


def split_source(split: str) -> str:
    """The official archive of a LibriSpeech split.

    >>> split_source("test-clean")
    'https://www.openslr.org/resources/12/test-clean.tar.gz'
    """
    return f"https://www.openslr.org/resources/12/{split}.tar.gz"


@READERS.register("librispeech")
class LibriSpeechReader:
    """Streams one ASR Sample per line of every ``*.trans.txt`` of a split, in sorted order."""

    def __init__(
        self, data_root: Path, task: Any = None, *, root: str = "LibriSpeech", split: str
    ) -> None:
        (folder,) = self.data_files(data_root, root=root, split=split)
        self.split_dir = require(folder, getattr(task, "how_to_get", ""))
        self._index: list[tuple[str, str, str]] = []  # (utterance id, chapter dir, transcript)
        for trans in sorted(self.split_dir.glob("*/*/*.trans.txt")):
            self._index.extend(_transcripts(trans))
        if not self._index:
            raise DataFormatError(
                f"{self.split_dir}: no {{speaker}}-{{chapter}}.trans.txt files under "
                f"{{speaker}}/{{chapter}}/; expected the LibriSpeech layout ({OPENSLR})"
            )

    @staticmethod
    def data_files(data_root: Path, *, root: str = "LibriSpeech", split: str) -> list[DataFile]:
        """The split folder and the archive it is unpacked from."""
        path = Path(data_root) / root / split
        source = f"{split_source(split)} (unpacks to LibriSpeech/{split}); see {OPENSLR}"
        return [DataFile(path, f"LibriSpeech {split} folder", source, folder=True)]

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[Sample]:
        for utt, chapter_dir, text in self._index:
            speaker, chapter, _ = utt.split("-")
            yield Sample(
                id=utt,
                kind=TaskKind.ASR,
                audio_path=self.split_dir / chapter_dir / f"{utt}.flac",
                references=(text,),
                meta={"speaker": speaker, "chapter": chapter},
            )


def _transcripts(path: Path) -> list[tuple[str, str, str]]:
    """``(utterance id, speaker/chapter, transcript)`` for each line; a malformed line is an
    error naming the file and line."""
    chapter_dir = f"{path.parent.parent.name}/{path.parent.name}"
    prefix = path.name[: -len(".trans.txt")] + "-"
    out = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            utt, _, text = line.strip().partition(" ")
            if not utt.startswith(prefix) or utt.count("-") != 2 or not text:
                raise DataFormatError(
                    f"{path}:{lineno}: expected '{prefix}NNNN TRANSCRIPT', "
                    f"got {line[:60].strip()!r}"
                )
            out.append((utt, chapter_dir, text))
    return out
