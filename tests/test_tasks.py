from pathlib import Path

import pytest
import yaml

from mmbench.registry import UnknownNameError
from mmbench.tasks import TaskError, list_suites, list_tasks, load_suite, load_task, parse_task
from mmbench.types import TaskKind

GOOD = {
    "name": "t",
    "version": 1,
    "kind": "vqa",
    "reader": {"name": "easy_vqa", "args": {"split": "test"}},
    "metrics": ["exact_match"],
}


def test_shipped_easyvqa_task():
    task = load_task("easyvqa")
    assert task.kind is TaskKind.VQA
    assert task.reader == "easy_vqa" and task.reader_args["split"] == "test"
    assert task.metrics and task.defaults["batch_size"] > 0
    assert "easyvqa" in list_tasks()


def test_every_shipped_task_and_suite_loads():
    for name in list_tasks():
        assert load_task(name).name == name
    for suite, names in list_suites().items():
        assert [t.name for t in load_suite(suite)] == names


@pytest.mark.parametrize(
    "patch, key, fragment",
    [
        ({"kind": "video"}, "kind", "one of caption, vqa, asr"),
        ({"version": "one"}, "version", "must be an integer"),
        ({"reader": {"name": "easy_vq"}}, "reader.name", "Did you mean: easy_vqa"),
        ({"metrics": ["exact_mach"]}, "metrics[0]", "Did you mean: exact_match"),
        ({"metrics": []}, "metrics", "non-empty list"),
        ({"normalizer": "lowr"}, "normalizer", "Did you mean: lower"),
        ({"defaults": {"batchsize": 3}}, "defaults", "allowed: ['batch_size'"),
        ({"prompt": 3}, "prompt", "must be a non-empty string"),
        ({"prompt": "  "}, "prompt", "must be a non-empty string"),
    ],
)
def test_invalid_task_names_file_key_and_allowed(patch, key, fragment):
    with pytest.raises(TaskError) as err:
        parse_task({**GOOD, **patch}, "my.yaml")
    msg = str(err.value)
    assert msg.startswith(f"my.yaml: key {key!r}")
    assert fragment in msg


def test_every_shipped_task_names_its_prompt():
    prompts = {name: load_task(name).prompt for name in list_tasks()}
    assert all(prompts.values()), prompts
    assert prompts["easyvqa"] == "Answer the question using a single word or phrase."
    assert "spoken" in prompts["spoken_vqa"] and prompts["spoken_vqa"] != prompts["easyvqa"]


def test_the_prompt_is_left_out_of_the_task_sha256(tmp_path: Path):
    """The prompt line is left out of ``Task.sha256``; every other edit changes it."""
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(GOOD, sort_keys=False))
    text = plain.read_text()
    variants = {
        "one_line": text + 'prompt: "Answer briefly."\n',
        "folded": text.replace("kind:", "prompt: >-\n  Answer\n  briefly.\nkind:"),
        "edited": text.replace("version: 1", "version: 2"),
    }
    sha = {}
    for name, body in variants.items():
        (tmp_path / f"{name}.yaml").write_text(body)
        sha[name] = load_task(tmp_path / f"{name}.yaml").sha256
    assert load_task(tmp_path / "folded.yaml").prompt == "Answer briefly."
    assert sha["one_line"] == sha["folded"] == load_task(plain).sha256 != sha["edited"]


def test_missing_and_unknown_keys():
    data = dict(GOOD)
    del data["metrics"]
    with pytest.raises(TaskError, match="my.yaml: key 'metrics': missing"):
        parse_task(data, "my.yaml")
    with pytest.raises(TaskError, match="unknown key 'colour'; allowed keys: name, version"):
        parse_task({**GOOD, "colour": 1}, "my.yaml")


def test_task_file_by_path_and_yaml_error_location(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    assert load_task(path).name == "t"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\nversion: [1\nkind: vqa\n")
    with pytest.raises(TaskError, match=r"bad\.yaml:\d+:\d+: invalid YAML"):
        load_task(bad)


def test_unknown_task_and_suite_suggest():
    with pytest.raises(UnknownNameError, match="Did you mean: easyvqa"):
        load_task("easyvq")
    with pytest.raises(UnknownNameError, match="unknown suite 'nope'"):
        load_suite("nope")
