import json
from pathlib import Path

import pytest

from mmbench.store import PredictionStore
from mmbench.types import Prediction


def open_store(tmp_path: Path, fp: str = "aaaa", version: int = 1) -> PredictionStore:
    return PredictionStore.open(tmp_path, "model/x", fp, "task", version)


def test_append_and_resume(tmp_path: Path):
    s = open_store(tmp_path)
    s.append([Prediction("a", "1"), Prediction("b", None, "boom")])
    again = open_store(tmp_path)
    assert again.done_ids() == {"a"}
    assert again.errors["b"].error == "boom"
    again.append([Prediction("b", "2")])  # a retried error that now succeeds
    third = open_store(tmp_path)
    assert third.done_ids() == {"a", "b"} and not third.errors
    assert "model_x" in third.path.name  # unsafe characters never reach the file system


def test_torn_last_line_is_dropped(tmp_path: Path):
    s = open_store(tmp_path)
    s.append([Prediction("a", "1"), Prediction("b", "2")])
    with open(s.path, "a") as fh:
        fh.write('{"id": "c", "predic')  # killed mid-write
    again = open_store(tmp_path)
    assert again.done_ids() == {"a", "b"}
    again.append([Prediction("c", "3")])
    lines = again.path.read_text().splitlines()
    assert [json.loads(x).get("id") for x in lines[1:]] == ["a", "b", "c"]


def test_fingerprint_and_version_get_separate_files(tmp_path: Path):
    a = open_store(tmp_path, fp="aaaa")
    a.append([Prediction("a", "1")])
    assert open_store(tmp_path, fp="bbbb").done_ids() == set()
    assert open_store(tmp_path, version=2).done_ids() == set()


def test_foreign_header_is_refused(tmp_path: Path):
    s = open_store(tmp_path)
    lines = s.path.read_text().splitlines()
    header = json.loads(lines[0])
    header["header"]["fingerprint"] = "zzzz"
    s.path.write_text(json.dumps(header) + "\n")
    with pytest.raises(ValueError, match="header does not match"):
        open_store(tmp_path)


def test_a_shard_reads_its_siblings_and_writes_only_its_own_file(tmp_path: Path):
    part0 = PredictionStore.open(tmp_path, "m", "aaaa", "task", 1, part="part-0-of-2")
    part0.append([Prediction("a", "1"), Prediction("b", None, "boom")])
    part1 = PredictionStore.open(tmp_path, "m", "aaaa", "task", 1, part="part-1-of-2")
    part1.append([Prediction("b", "2")])  # a retried error, now by another shard
    assert part1.done_ids() == {"a", "b"} and part1.path != part0.path
    single = PredictionStore.open(tmp_path, "m", "aaaa", "task", 1)  # a later 1-process run
    assert single.done_ids() == {"a", "b"} and len(single.siblings) == 2
    assert single.path.read_text().count("\n") == 1  # only its header
    other_fp = PredictionStore.open(tmp_path, "m", "bbbb", "task", 1, part="part-0-of-2")
    assert other_fp.done_ids() == set()  # a sibling has the same fingerprint


def test_a_siblings_torn_line_is_skipped_never_truncated(tmp_path: Path):
    part0 = PredictionStore.open(tmp_path, "m", "aaaa", "task", 1, part="part-0-of-2")
    part0.append([Prediction("a", "1")])
    with open(part0.path, "a") as fh:
        fh.write('{"id": "b", "predic')  # its writer may be appending right now
    size = part0.path.stat().st_size
    part1 = PredictionStore.open(tmp_path, "m", "aaaa", "task", 1, part="part-1-of-2")
    assert part1.done_ids() == {"a"} and part0.path.stat().st_size == size
