"""Official VQAv2 evaluation files: questions, annotations and a results file.

Formats (visualqa.org): ``v2_OpenEnded_mscoco_<split>_questions.json`` holds
``{"questions": [{"question_id", "image_id", "question"}]}``;
``v2_mscoco_<split>_annotations.json`` holds ``{"annotations": [{"question_id",
"question_type", "answer_type", "answers": [{"answer", "answer_id", ...}] x 10, ...}]}``;
a results file is ``[{"question_id": int, "answer": str}]`` covering exactly the annotated
questions (the official ``loadRes`` asserts the same; here the message says what differs).

>>> import json, tempfile, os
>>> d = tempfile.mkdtemp()
>>> q = {"questions": [{"question_id": 1, "image_id": 9, "question": "Color?"}]}
>>> a = {"annotations": [{"question_id": 1, "image_id": 9, "question_type": "what color",
...      "answer_type": "other", "answers": [{"answer": "red", "answer_id": 1}]}]}
>>> r = [{"question_id": 1, "answer": "red"}]
>>> for name, obj in [("q.json", q), ("a.json", a), ("r.json", r)]:
...     _ = open(os.path.join(d, name), "w").write(json.dumps(obj))
>>> ev = load_vqa_eval(*(os.path.join(d, n) for n in ("q.json", "a.json", "r.json")))
>>> ev.predictions, ev.references
(['red'], [['red']])
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # optional: typed, fast decoding of the (large) annotations file
    import msgspec
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    msgspec = None

if msgspec is not None:

    class _Answer(msgspec.Struct, gc=False):
        answer: str

    class _AnnotationRecord(msgspec.Struct, gc=False):
        question_id: int
        question_type: str
        answer_type: str
        answers: list[_Answer]

    class _AnnotationsFile(msgspec.Struct):
        annotations: list[_AnnotationRecord]


class VQAFileError(ValueError):
    """A VQA file is malformed or does not match the others; the message names the file."""


@dataclass(frozen=True)
class VQAEvalSet:
    """Aligned per-question data, in the annotations' order."""

    question_ids: list[int]
    predictions: list[str]
    references: list[list[str]]
    question_types: list[str]
    answer_types: list[str]


def _load_json(path: str | Path, what: str, object_hook: Any = None) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh, object_hook=object_hook)
    except FileNotFoundError:
        raise VQAFileError(f"{what} file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise VQAFileError(
            f"{what} file {path}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}"
        ) from None


def _line_col(data: bytes, exc: Exception) -> str:
    """``line:column`` of msgspec's ``(byte N)`` in a decode error, or ``?`` if it has none."""
    found = re.search(r"\(byte (\d+)\)", str(exc))
    if not found:
        return "?"
    offset = int(found.group(1))
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"{line}:{column}"


def _sample(ids: list[int], k: int = 5) -> str:
    shown = ", ".join(str(i) for i in sorted(ids)[:k])
    return shown + (", ..." if len(ids) > k else "")


def _id_set_error(results: Path, missing: set[int], extra: set[int]) -> VQAFileError:
    parts = []
    if missing:
        parts.append(
            f"{len(missing)} annotated question ids are missing (e.g. {_sample(list(missing))})"
        )
    if extra:
        parts.append(
            f"{len(extra)} question ids are not in the annotations (e.g. {_sample(list(extra))})"
        )
    return VQAFileError(
        f"results {results} do not match the annotations: "
        + "; ".join(parts)
        + ". A results file must answer every annotated question exactly once."
    )


class _Annotation(tuple):
    """``(question_id, answers, question_type, answer_type)`` of one annotation dict."""


def _compact_annotations() -> Any:
    """A ``json`` object hook that shrinks annotations while parsing (peak memory ~3x less):
    each answer dict becomes its (deduplicated) answer string, each annotation a tuple."""
    memo: dict[str, str] = {}

    def hook(d: dict[str, Any]) -> Any:
        if "answers" in d:
            keys = ("question_id", "answers", "question_type", "answer_type")
            return _Annotation(d.get(k, KeyError(k)) for k in keys)
        answer = d.get("answer")
        if "answer_id" in d and isinstance(answer, str):
            return memo.setdefault(answer, answer)
        return d

    return hook


Row = tuple[int, list[str], str, str]  # question_id, answers, question_type, answer_type


def _annotations_stdlib(path: str | Path) -> list[Row]:
    data = _load_json(path, "annotations", _compact_annotations())
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise VQAFileError(f"annotations file {path} has no 'annotations' list")
    rows = []
    for i, ann in enumerate(data["annotations"]):
        where = f"annotations {path}: $.annotations[{i}]"
        if not isinstance(ann, _Annotation):
            raise VQAFileError(f"{where}: not an annotation object with 'answers'")
        for value in ann:
            if isinstance(value, KeyError):
                raise VQAFileError(f"{where}: missing key {value}")
        qid, answers, qtype, atype = ann
        bad = (
            [a for a in answers if not isinstance(a, str)]
            if isinstance(answers, list)
            else [answers]
        )
        if bad:
            raise VQAFileError(
                f"{where} (question_id {qid}): answers must be "
                f"{{'answer': str, 'answer_id'}} objects, got {bad[0]!r}"
            )
        rows.append((qid, answers, str(qtype), str(atype)))
    return rows


def _annotations_msgspec(path: str | Path) -> list[Row]:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise VQAFileError(f"annotations file not found: {path}") from None
    try:
        parsed = msgspec.json.decode(data, type=_AnnotationsFile)
    except msgspec.ValidationError as exc:  # says where: $.annotations[i]
        raise VQAFileError(f"annotations {path}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise VQAFileError(
            f"annotations file {path}:{_line_col(data, exc)}: malformed JSON: {exc}"
        ) from None
    del data
    memo: dict[str, str] = {}
    dedup = memo.setdefault  # one string object per distinct answer once structs are freed
    return [
        (
            a.question_id,
            [dedup(x.answer, x.answer) for x in a.answers],
            a.question_type,
            a.answer_type,
        )
        for a in parsed.annotations
    ]


def read_annotations(path: str | Path) -> list[Row]:
    """``(question_id, answers, question_type, answer_type)`` per annotation, in file order.

    Uses msgspec when installed (typed decoding: ~4x faster and lighter than ``json``),
    else the standard library with an object hook that drops unused fields while parsing.
    """
    with _gc_paused():
        if msgspec is not None:
            return _annotations_msgspec(path)
        return _annotations_stdlib(path)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Bulk loading creates millions of acyclic containers; pausing the cyclic GC meanwhile
    avoids its repeated full scans (about 2x faster here). Restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_vqa_eval(
    questions: str | Path, annotations: str | Path, results: str | Path
) -> VQAEvalSet:
    """Read the three official files and align them by ``question_id``.

    The annotations (the large file) are read first and each file is reduced to what
    scoring needs before the next is read, which keeps peak memory near that one decode.
    """
    with _gc_paused():
        return _load_vqa_eval(questions, annotations, results)


def _load_vqa_eval(
    questions: str | Path, annotations: str | Path, results: str | Path
) -> VQAEvalSet:
    rows = read_annotations(annotations)
    q_data = _load_json(questions, "questions")
    if not isinstance(q_data, dict) or not isinstance(q_data.get("questions"), list):
        raise VQAFileError(f"questions file {questions} has no 'questions' list")
    question_ids = {q["question_id"] for q in q_data["questions"]}
    del q_data
    r_data = _load_json(results, "results")
    if not isinstance(r_data, list):
        raise VQAFileError(
            f'results file {results} must be a JSON array of {{"question_id", "answer"}} objects'
        )

    answers: dict[int, str] = {}
    for i, item in enumerate(r_data):
        if not isinstance(item, dict) or "question_id" not in item or "answer" not in item:
            raise VQAFileError(
                f"results {results}[{i}]: needs keys 'question_id' and 'answer', got {item!r}"
            )
        qid, ans = item["question_id"], item["answer"]
        if not isinstance(ans, str):
            raise VQAFileError(
                f"results {results}[{i}] (question_id {qid}): answer must be a string, got {ans!r}"
            )
        if qid in answers:
            raise VQAFileError(f"results {results}[{i}]: question_id {qid} is answered twice")
        answers[qid] = ans

    ids, refs, qtypes, atypes = [], [], [], []
    for qid, answers_, qtype, atype in rows:
        if qid not in question_ids:
            raise VQAFileError(
                f"annotations {annotations}: question_id {qid} is not in questions file {questions}"
            )
        ids.append(qid)
        refs.append(answers_)
        qtypes.append(qtype)
        atypes.append(atype)
    annotated = set(ids)
    if annotated != answers.keys():
        raise _id_set_error(Path(results), annotated - answers.keys(), answers.keys() - annotated)
    return VQAEvalSet(ids, [answers[q] for q in ids], refs, qtypes, atypes)
