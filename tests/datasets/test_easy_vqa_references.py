"""easy-VQA gives its single answer as 10 annotator answers and is scored by VQA accuracy."""

import pytest

pytest.importorskip("easy_vqa")

from mmbench.datasets.easy_vqa import ANNOTATORS, EasyVQAReader  # noqa: E402
from mmbench.tasks import load_task  # noqa: E402


def test_ten_identical_references_and_task_v2():
    sample = next(iter(EasyVQAReader(split="test")))
    assert len(sample.references) == ANNOTATORS == 10
    assert len(set(sample.references)) == 1
    task = load_task("easyvqa")
    assert task.version == 2
    assert [m.name for m in task.metrics] == ["vqa_accuracy"]
