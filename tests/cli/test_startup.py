"""Start-up cost guards: ``mmbench --help`` and ``mmbench score ...`` import no heavy stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: never needed to score files or print help
HEAVY = ("torch", "pandas", "matplotlib", "transformers", "jsonschema", "PIL", "jinja2", "pydantic")
RUN = (
    "import sys, json, contextlib, io\n"
    "from mmbench.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    code = main(sys.argv[1:])\n"
    "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
)


def _modules_after(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=env, timeout=120
    )
    status = json.loads(proc.stderr.strip().splitlines()[-1])
    assert status["code"] == 0, proc.stderr
    return {m.split(".")[0] for m in status["modules"]}


def _caption_files(tmp_path: Path) -> list[str]:
    from mmbench.datasets._synthetic_captions import coco_caption_files

    ann, res = coco_caption_files(30, seed=1)
    (tmp_path / "a.json").write_text(json.dumps(ann))
    (tmp_path / "r.json").write_text(json.dumps(res))
    return ["--annotations", str(tmp_path / "a.json"), "--results", str(tmp_path / "r.json")]


def _vqa_files(tmp_path: Path) -> list[str]:
    q = {"questions": [{"question_id": 1, "image_id": 1, "question": "?"}]}
    answers = [{"answer": "yes", "answer_id": k + 1} for k in range(10)]
    a = {
        "annotations": [
            {
                "question_id": 1,
                "image_id": 1,
                "question_type": "is the",
                "answer_type": "yes/no",
                "answers": answers,
            }
        ]
    }
    r = [{"question_id": 1, "answer": "yes"}]
    args = []
    for flag, obj in (("--questions", q), ("--annotations", a), ("--results", r)):
        path = tmp_path / f"{flag[2:]}.json"
        path.write_text(json.dumps(obj))
        args += [flag, str(path)]
    return args


def _asr_files(tmp_path: Path) -> list[str]:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "1-2.trans.txt").write_text("1-2-0000 HELLO WORLD\n1-2-0001 A CAT\n")
    (tmp_path / "hyp.txt").write_text("1-2-0000 hello world\n1-2-0001 the cat\n")
    return ["--references", str(tmp_path / "refs"), "--hypotheses", str(tmp_path / "hyp.txt")]


def test_help_imports_neither_numpy_nor_the_heavy_stack():
    loaded = _modules_after("--help")
    assert not loaded & {*HEAVY, "numpy", "scipy", "yaml", "msgspec", "rich", "pydantic"}, loaded


@pytest.mark.parametrize("kind", ["caption", "vqa", "asr"])
def test_score_imports_no_heavy_stack(tmp_path, kind):
    files = {"caption": _caption_files, "vqa": _vqa_files, "asr": _asr_files}[kind](tmp_path)
    loaded = _modules_after("score", kind, *files, "--bootstrap", "20", "--json")
    assert not loaded & set(HEAVY), loaded
    assert "numpy" in loaded  # the guard sees what the command did import


def test_package_exports_load_on_first_use():
    code = (
        "import sys, mmbench\n"
        "before = 'numpy' in sys.modules or 'yaml' in sys.modules\n"
        "ok = mmbench.Sample.__name__ == 'Sample' and 'easyvqa' in mmbench.list_tasks()\n"
        "print(before, ok)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.stdout.split() == ["False", "True"], out.stderr
    import mmbench

    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = mmbench.nothing


def test_command_table_matches_the_modules_and_their_help():
    import pkgutil

    from mmbench import cli

    modules = {m.name for m in pkgutil.iter_modules(cli.__path__) if not m.name.startswith("_")}
    assert set(cli.COMMANDS) == modules
    for name, summary in cli.COMMANDS.items():
        command = cli.build_command(name)
        assert command.name == name
        assert cli._short_help(command.help, 10**6) == summary, name


def test_help_lists_every_command_without_building_any(capsys):
    from mmbench import cli

    before = {m for m in sys.modules if m.startswith("mmbench.cli.")}
    assert cli.main(["--help"]) == 0
    rows = capsys.readouterr().out.split("Commands:")[1].strip().splitlines()
    assert [row.split()[0] for row in rows] == list(cli.COMMANDS)
    after = {m for m in sys.modules if m.startswith("mmbench.cli.")}
    assert after == before  # no command module imported by the listing


def test_a_command_runs_with_only_its_module_built(capsys):
    from mmbench import cli

    group = cli.LazyGroup(name="mmbench")
    assert group.get_command(None, "nope") is None
    assert group.get_command(None, "ls").name == "ls"
    assert set(group.commands) == {"ls"}
    assert cli.main(["ls", "tasks"]) == 0
    assert "easyvqa" in capsys.readouterr().out
