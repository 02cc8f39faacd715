"""Checks a task's data on disk: layout, sample count, and every media file.

:func:`check_task` is what ``mmbench data check`` prints. It lists each file the task's
reader needs with its official source, counts the samples against the task's
``data.expected_samples``, and opens every referenced image or audio file (fully decoding it
unless ``quick``), collecting missing and corrupt ones instead of stopping at the first.

>>> from mmbench.tasks import load_task
>>> report = check_task(load_task("easyvqa"), quick=True)
>>> report.found, report.ok
(9673, True)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mmbench.datasets.files import DataFile
from mmbench.tasks import DataFormatError, DataMissingError, Task, default_data_root
from mmbench.types import MediaError


@dataclass(frozen=True)
class MediaProblem:
    """A referenced media file that is missing or cannot be decoded."""

    sample_id: str
    path: Path
    reason: str


@dataclass
class DataReport:
    """What :func:`check_task` found for one task."""

    task: str
    data_root: Path
    files: list[tuple[DataFile, bool]] = field(default_factory=list)  # (file, exists)
    found: int | None = None
    expected: int | None = None
    media_checked: int = 0
    problems: list[MediaProblem] = field(default_factory=list)
    error: str | None = None
    how_to_get: str = ""

    @property
    def missing_files(self) -> list[DataFile]:
        return [f for f, exists in self.files if not exists]

    @property
    def count_ok(self) -> bool:
        return self.found is not None and (self.expected is None or self.found == self.expected)

    @property
    def ok(self) -> bool:
        return not self.missing_files and self.error is None and self.count_ok and not self.problems


def _media_problem(sample_id: str, path: Path, quick: bool) -> MediaProblem | None:
    from mmbench.datasets.media import decode_audio, decode_image

    if quick:
        if not path.is_file():
            return MediaProblem(sample_id, path, "file not found")
        if path.stat().st_size == 0:
            return MediaProblem(sample_id, path, "file is empty (0 bytes)")
        return None
    decode = (
        decode_audio if path.suffix.lower() in (".flac", ".wav", ".mp3", ".ogg") else decode_image
    )
    try:
        decode(sample_id, path)
    except MediaError as exc:
        return MediaProblem(sample_id, path, str(exc).split(": ", 2)[-1])
    return None


def check_task(
    task: Task,
    data_root: Path | None = None,
    quick: bool = False,
    on_media: Callable[[int, int], None] | None = None,
) -> DataReport:
    """Check ``task``'s data under ``data_root``; ``quick`` only checks media files exist and
    are non-empty; ``on_media(done, total)`` reports progress."""
    from mmbench.registry import GENERATORS, READERS

    root = Path(data_root) if data_root is not None else default_data_root()
    report = DataReport(task.name, root, expected=task.expected_samples, how_to_get=task.how_to_get)
    if task.generator is not None:
        GENERATORS.get(task.generator)(root)
    reader_cls = READERS.get(task.reader)
    if hasattr(reader_cls, "data_files"):
        report.files = [(f, f.exists()) for f in reader_cls.data_files(root, **task.reader_args)]
    if report.missing_files:
        return report
    try:
        reader = task.make_reader(root)
        media: dict[Path, str] = {}
        for n, s in enumerate(reader, 1):
            report.found = n
            for path in (s.image_path, s.audio_path):
                if path is not None:
                    media.setdefault(Path(path), s.id)
        report.found = report.found or 0
    except (DataFormatError, DataMissingError) as exc:
        report.error = str(exc)
        return report
    items = list(media.items())
    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        for i, problem in enumerate(
            pool.map(lambda kv: _media_problem(kv[1], kv[0], quick), items), 1
        ):
            if problem is not None:
                report.problems.append(problem)
            if on_media is not None:
                on_media(i, len(items))
    report.media_checked = len(items)
    return report
