"""easy-VQA, read from the files the PyPI package ``easy-vqa`` ships.

Test split: 9,673 questions over 1,000 64x64 PNG images, 13 answers. Each question has one
answer; the reader repeats it as the reference.

>>> reader = EasyVQAReader(split="test")
>>> len(reader)
9673
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmbench.registry import READERS
from mmbench.tasks import DataMissingError
from mmbench.types import Sample, TaskKind

HOW_TO_GET = "pip install easy-vqa  (the package ships the dataset; no download at run time)"


def _package() -> Any:
    try:
        import easy_vqa
    except ImportError:
        raise DataMissingError(f"easy-VQA needs the easy-vqa package: {HOW_TO_GET}") from None
    return easy_vqa


@READERS.register("easy_vqa")
class EasyVQAReader:
    """Yields one VQA Sample per easy-VQA question; ``split`` is ``train`` or ``test``."""

    def __init__(
        self, split: str = "test", data_root: Path | None = None, task: Any = None
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"easy_vqa split must be 'train' or 'test', got {split!r}")
        pkg = _package()
        if split == "test":
            self._questions = pkg.get_test_questions()
            self._images = pkg.get_test_image_paths()
        else:
            self._questions = pkg.get_train_questions()
            self._images = pkg.get_train_image_paths()
        self.split = split

    def __len__(self) -> int:
        return len(self._questions[0])

    def __iter__(self) -> Iterator[Sample]:
        questions, answers, image_ids = self._questions
        for i, (question, answer, image_id) in enumerate(
            zip(questions, answers, image_ids, strict=True)
        ):
            yield Sample(
                id=f"{self.split}-{i}",
                kind=TaskKind.VQA,
                image_path=Path(self._images[image_id]),
                text=question,
                references=(answer,),
                meta={"image_id": int(image_id)},
            )
