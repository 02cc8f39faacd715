"""Tables are never cut: a box only where it fits the terminal, Markdown in pipes."""

import json
import subprocess
import sys
from io import StringIO

from rich.console import Console

from mmbench.cli import main
from mmbench.cli._table import TextTable, results_table, show

LONG = "coco_karpathy_test_with_a_long_name"


def _render(table: TextTable, *, terminal: bool, width: int) -> str:
    buf = StringIO()
    show(table, Console(file=buf, force_terminal=terminal, width=width, color_system=None))
    return buf.getvalue()


def test_box_on_a_wide_terminal_markdown_on_a_narrow_one_or_a_pipe():
    table = TextTable(["task", "samples/s"], [[LONG, "1,441.2"]], right={"samples/s"})
    wide = _render(table, terminal=True, width=120)
    assert "┃" in wide and LONG in wide and "1,441.2" in wide
    for narrow in (
        _render(table, terminal=True, width=30),
        _render(table, terminal=False, width=30),
    ):
        assert "┃" not in narrow
        assert f"| {LONG} | 1,441.2 |" in narrow  # whole cells, never "coco_karpathy_te…"


def test_prose_columns_wrap_in_a_box_but_names_stay_whole():
    prose = "word " * 40
    table = TextTable(["task", "description"], [[LONG, prose]], wrap={"description"})
    boxed = _render(table, terminal=True, width=90)
    assert "┃" in boxed and LONG in boxed and "…" not in boxed


def test_markdown_escapes_pipes_in_cells():
    assert TextTable(["a"], [["x|y"]]).markdown().splitlines()[-1] == "| x\\|y |"


def test_results_table_keeps_every_number():
    rec = {
        "task": {"name": LONG},
        "model": {"name": "ref-cross_attention"},
        "scores": {"cider": {"value": 2.29687, "ci95": [2.1, 2.4]}},
        "n_samples": 5000,
        "n_errors": 0,
        "profile": {"samples_per_s": 1441.25, "latency_s": {"p90": 0.0123}},
    }
    md = results_table([rec]).markdown()
    assert LONG in md and "ref-cross_attention" in md and "1,441.2" in md and "2.2969" in md


def test_ls_tasks_in_a_pipe_lists_whole_names():
    out = subprocess.run(
        [sys.executable, "-m", "mmbench", "ls", "tasks"], capture_output=True, text=True, check=True
    ).stdout
    assert "| coco_karpathy_test |" in out


def test_ls_json_is_machine_readable(capsys):
    assert main(["ls", "tasks", "--json"]) == 0
    tasks = {row["task"]: row for row in json.loads(capsys.readouterr().out)}
    assert tasks["easyvqa"]["kind"] == "vqa"
    assert main(["ls", "suites", "--json"]) == 0
    suites = json.loads(capsys.readouterr().out)
    assert {
        "suite": "mini",
        "tasks": ["easyvqa", "shapes_caption", "spoken_shapes", "spoken_vqa"],
    } in suites


def test_run_json_prints_the_records(tmp_path, capsys):
    args = ["run", "--model", "prior", "--task", "easyvqa", "--limit", "20", "--out", str(tmp_path)]
    assert main([*args, "--bootstrap", "0", "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["task"]["name"] == "easyvqa" and record["n_samples"] == 20
