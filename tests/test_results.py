import json
from pathlib import Path

import jsonschema
import pytest

from mmbench.atomic import write_json_atomic
from mmbench.results import environment, load_results, validate


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path):
    path = tmp_path / "r" / "x.json"
    write_json_atomic(path, {"a": 1})
    write_json_atomic(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path):
    path = tmp_path / "x.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(ValueError):
        write_json_atomic(path, {"a": float("nan")})  # NaN is not JSON
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_environment_fields():
    env = environment("cpu")
    assert env["python"].count(".") == 2 and env["device"] == "cpu"
    assert env["mmbench"]


def test_schema_rejects_incomplete_records(tmp_path: Path):
    with pytest.raises(jsonschema.ValidationError):
        validate({"schema_version": 1, "task": {"name": "x"}})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 2}))
    with pytest.raises(jsonschema.ValidationError):
        load_results(bad)


def test_atomic_write_gives_ordinary_permissions(tmp_path: Path):
    import os

    mask = os.umask(0o022)
    try:
        path = write_json_atomic(tmp_path / "x.json", {"a": 1})
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
