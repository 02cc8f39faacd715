"""Atomic, idempotent builds of embedded datasets and recovery from killed builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mmbench.datasets._embedded import MARKER, content_hash, ensure_built, is_built, read_marker


def _writer(calls: list[int], files: int = 3):
    def build(tmp):
        calls.append(1)
        for i in range(files):
            (tmp / f"f{i}.txt").write_text(str(i))
        return content_hash(str(i).encode() for i in range(files))

    return build


def test_builds_once_then_is_cheap(tmp_path):
    calls: list[int] = []
    target = tmp_path / "ds"
    assert ensure_built(target, "g", "1", _writer(calls))
    assert not ensure_built(target, "g", "1", _writer(calls))
    assert calls == [1]
    marker = read_marker(target)
    assert marker["n_files"] == 3 and marker["generator"] == "g" and marker["version"] == "1"
    assert marker["content_sha256"] == content_hash([b"0", b"1", b"2"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no temporary left


def test_new_version_or_deleted_file_rebuilds(tmp_path):
    calls: list[int] = []
    target = tmp_path / "ds"
    ensure_built(target, "g", "1", _writer(calls))
    assert ensure_built(target, "g", "2", _writer(calls))
    (target / "f1.txt").unlink()
    assert not is_built(target, "g", "2")
    assert ensure_built(target, "g", "2", _writer(calls))
    assert (target / "f1.txt").read_text() == "1" and len(calls) == 3


def test_failed_build_leaves_nothing_and_keeps_old_data(tmp_path):
    target = tmp_path / "ds"
    ensure_built(target, "g", "1", _writer([]))

    def crash(tmp):
        (tmp / "half.txt").write_text("x")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        ensure_built(target, "g", "2", crash)
    assert is_built(target, "g", "1")  # the old complete build is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_folder_without_marker_is_rebuilt(tmp_path):
    target = tmp_path / "ds"
    target.mkdir()
    (target / "f0.txt").write_text("stale")
    assert ensure_built(target, "g", "1", _writer([]))
    assert (target / "f0.txt").read_text() == "0"


def test_killed_build_is_redone_and_its_temporary_removed(tmp_path):
    """A SIGKILLed build leaves only a temporary folder; the next call builds from scratch."""
    target = tmp_path / "ds"
    script = f"""
import os, signal
from mmbench.datasets._embedded import ensure_built
def build(tmp):
    (tmp / "half.txt").write_text("x")
    os.kill(os.getpid(), signal.SIGKILL)
ensure_built({str(target)!r}, "g", "1", build)
"""
    proc = subprocess.run([sys.executable, "-c", script], env={**os.environ}, check=False)
    assert proc.returncode == -9
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ds.tmp-")
    assert ensure_built(target, "g", "1", _writer([]))
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]
    assert json.loads((target / MARKER).read_text())["n_files"] == 3
