"""VQAv2, read from the official files: one VQA Sample per question.

Reader arguments (paths relative to the data root):

- ``questions``: ``v2_OpenEnded_mscoco_{split}_questions.json``;
- ``annotations`` (optional): ``v2_mscoco_{split}_annotations.json``; without it (test-dev,
  test) samples have no references and the task is predict-only;
- ``images``: the COCO image folder (``coco/val2014``, ``coco/test2015``). Both namings are
  found: 2014-style ``COCO_val2014_000000XXXXXX.jpg`` and 2017-style ``000000XXXXXX.jpg``;
  ``image_pattern`` (``{subtype}``, ``{image_id}``) forces one.

References are the 10 human answers ``answers[*].answer``; ``meta`` holds ``question_id``,
``image_id`` and, with annotations, ``question_type`` and ``answer_type``. After a run,
:meth:`VQAv2Reader.export_predictions` writes ``[{"question_id", "answer"}]``, the results
format of the official evaluation server (https://eval.ai/web/challenges/challenge-page/830).

>>> image_name(42, "test-dev2015", None)
'COCO_test2015_000000000042.jpg'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mmbench.datasets.coco_captions import images_source
from mmbench.datasets.files import DataFile, field, load_json, require, submission_path, wrong_kind
from mmbench.registry import READERS
from mmbench.tasks import DataFormatError
from mmbench.types import Sample, TaskKind

VQA_DOWNLOAD = "https://visualqa.org/download.html"
VQA_S3 = "https://s3.amazonaws.com/cvmlp/vqa/mscoco/vqa"
PATTERN_2014 = "COCO_{subtype}_{image_id:012d}.jpg"
PATTERN_2017 = "{image_id:012d}.jpg"
QUESTIONS_EXPECTED = (
    "a VQA questions file: {data_subtype, questions: [{question_id, image_id, question}]}"
)
ANNOTATIONS_EXPECTED = (
    "a VQA annotations file: {annotations: [{question_id, answers: [{answer}], ...}]}"
)


def image_subtype(data_subtype: str) -> str:
    """The image folder of a VQA split: test-dev questions use the ``test2015`` images."""
    return data_subtype.replace("-dev", "")


def image_name(image_id: int, data_subtype: str, pattern: str | None) -> str:
    """The file name of an image, 2014-style unless ``pattern`` says otherwise."""
    return (pattern or PATTERN_2014).format(subtype=image_subtype(data_subtype), image_id=image_id)


def file_source(name: str) -> str:
    """The official archive holding a VQAv2 question or annotation file."""
    for split, part in (("train2014", "Train"), ("val2014", "Val"), ("test", "Test")):
        if split in name:
            kind = "Questions" if "questions" in name.lower() else "Annotations"
            return f"{VQA_S3}/v2_{kind}_{part}_mscoco.zip ({name}); see {VQA_DOWNLOAD}"
    return VQA_DOWNLOAD


@READERS.register("vqa_v2")
class VQAv2Reader:
    """Streams one VQA Sample per question; keeps only a compact question index in memory."""

    def __init__(
        self,
        data_root: Path,
        task: Any = None,
        *,
        questions: str,
        images: str,
        annotations: str | None = None,
        image_pattern: str | None = None,
    ) -> None:
        self.task_name = getattr(task, "name", "vqa_v2")
        how_to_get = getattr(task, "how_to_get", "")
        files = self.data_files(
            data_root, questions=questions, images=images, annotations=annotations
        )
        for f in files:
            require(f, how_to_get)
        q_path, self.images = files[0].path, files[-1].path
        q_doc = load_json(q_path)
        qs = q_doc.get("questions") if isinstance(q_doc, dict) else None
        if not isinstance(qs, list) or (qs and "question" not in qs[0]):
            raise wrong_kind(q_path, q_doc, QUESTIONS_EXPECTED)
        self.data_subtype = str(q_doc.get("data_subtype", ""))
        answers = _answers(files[1].path, self.data_subtype) if annotations is not None else {}
        self._index: list[tuple[int, int, str, tuple[str, ...], str | None, str | None]] = []
        for i, q in enumerate(qs):
            qid = field(q_path, q, "question_id", f"questions[{i}]")
            image_id = field(q_path, q, "image_id", f"questions[{i}]")
            text = field(q_path, q, "question", f"questions[{i}]")
            refs, qtype, atype = (), None, None
            if annotations is not None:
                if qid not in answers:
                    raise DataFormatError(
                        f"{files[1].path}: no annotation for question_id {qid} of {q_path}"
                    )
                refs, qtype, atype = answers.pop(qid)
            self._index.append((qid, image_id, text, refs, qtype, atype))
        self.image_pattern = image_pattern or self._detect_pattern()

    @staticmethod
    def data_files(
        data_root: Path, *, questions: str, images: str, annotations: str | None = None
    ) -> list[DataFile]:
        """Questions first, annotations (if any), image folder last, with official sources."""
        root = Path(data_root)
        files = [DataFile(root / questions, "VQAv2 questions", file_source(Path(questions).name))]
        if annotations is not None:
            files.append(
                DataFile(
                    root / annotations, "VQAv2 annotations", file_source(Path(annotations).name)
                )
            )
        img = root / images
        files.append(DataFile(img, "COCO image folder", images_source(img.name), folder=True))
        return files

    def _detect_pattern(self) -> str:
        """2014-style names unless the first image exists only under its 2017-style name."""
        if not self._index:
            return PATTERN_2014
        image_id = self._index[0][1]
        old = self.images / image_name(image_id, self.data_subtype, PATTERN_2014)
        new = self.images / PATTERN_2017.format(image_id=image_id)
        return PATTERN_2017 if not old.exists() and new.exists() else PATTERN_2014

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[Sample]:
        for qid, image_id, text, refs, qtype, atype in self._index:
            meta: dict[str, Any] = {"question_id": qid, "image_id": image_id}
            if qtype is not None:
                meta.update(question_type=qtype, answer_type=atype)
            yield Sample(
                id=str(qid),
                kind=TaskKind.VQA,
                image_path=self.images
                / image_name(image_id, self.data_subtype, self.image_pattern),
                text=text,
                references=refs,
                meta=meta,
            )

    def export_predictions(
        self, samples: Sequence[Sample], preds_by_id: dict[str, str], out_dir: Path, model_name: str
    ) -> dict[str, Path]:
        """Write ``[{"question_id", "answer"}]`` for the evaluation server; a failed sample gets
        ``""`` so the file still covers every question."""
        from mmbench.atomic import write_json_atomic

        rows = [
            {"question_id": s.meta["question_id"], "answer": preds_by_id.get(s.id) or ""}
            for s in samples
        ]
        path = write_json_atomic(submission_path(out_dir, self.task_name, model_name), rows)
        return {"vqa_results": path}


def _answers(path: Path, data_subtype: str) -> dict[int, tuple[tuple[str, ...], str, str]]:
    """``question_id -> (10 answers, question_type, answer_type)`` from an annotations file."""
    doc = load_json(path)
    anns = doc.get("annotations") if isinstance(doc, dict) else None
    if not isinstance(anns, list) or (anns and "answers" not in anns[0]):
        raise wrong_kind(path, doc, ANNOTATIONS_EXPECTED)
    subtype = doc.get("data_subtype")
    if data_subtype and subtype and subtype != data_subtype:
        raise DataFormatError(
            f"{path}: annotations are for {subtype!r} but the questions are for {data_subtype!r}"
        )
    out = {}
    for i, a in enumerate(anns):
        where = f"annotations[{i}]"
        refs = tuple(
            field(path, x, "answer", f"{where}.answers") for x in field(path, a, "answers", where)
        )
        out[field(path, a, "question_id", where)] = (
            refs,
            a.get("question_type", ""),
            a.get("answer_type", ""),
        )
    return out
