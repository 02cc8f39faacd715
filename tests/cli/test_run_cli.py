import json
import subprocess
import sys
from pathlib import Path

from mmbench.cli import main


def test_run_prints_table_and_writes_results(tmp_path: Path, capsys):
    code = main(
        [
            "run",
            "--model",
            "prior",
            "--task",
            "easyvqa",
            "--limit",
            "50",
            "--out",
            str(tmp_path),
            "--no-progress",
            "--bootstrap",
            "50",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "mmbench results" in out and "easyvqa" in out and "prior" in out
    rec = json.loads((tmp_path / "results" / "easyvqa__prior.json").read_text())
    assert rec["n_samples"] == 50


def test_unknown_task_and_model_list_closest(tmp_path: Path, capsys):
    assert main(["run", "--model", "prior", "--task", "easyvq", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown task 'easyvq'" in err and "Did you mean: easyvqa" in err
    assert main(["run", "--model", "priorr", "--task", "easyvqa", "--out", str(tmp_path)]) == 2
    assert "Did you mean: prior" in capsys.readouterr().err


def test_run_needs_a_task_or_suite(tmp_path: Path, capsys):
    assert main(["run", "--model", "prior", "--out", str(tmp_path)]) == 2
    assert "--task" in capsys.readouterr().err


def test_ls_lists_tasks_and_models(capsys):
    assert main(["ls", "tasks"]) == 0
    assert "easyvqa" in capsys.readouterr().out
    assert main(["ls", "models"]) == 0
    out = capsys.readouterr().out
    assert "prior" in out and "constant" in out


def test_python_dash_m_works_and_ls_does_not_import_torch():
    code = (
        "import sys, runpy; sys.argv=['mmbench','ls','tasks']; "
        "import mmbench.cli as c; c.main(['ls','tasks']); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
    proc = subprocess.run(
        [sys.executable, "-m", "mmbench", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "run" in proc.stdout


def test_a_task_with_missing_data_does_not_sink_the_others(tmp_path: Path, capsys):
    code = main(
        [
            "run",
            "--model",
            "prior",
            "--task",
            "coco2017_val",
            "--task",
            "easyvqa",
            "--limit",
            "20",
            "--out",
            str(tmp_path),
            "--data-root",
            str(tmp_path / "empty"),
            "--no-progress",
            "--bootstrap",
            "0",
        ]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert (
        "task coco2017_val:" in out and "coco/annotations/captions_train2017.json" in out
    )  # prior fits on train
    assert "1 task(s) failed: coco2017_val" in out
    assert (tmp_path / "results" / "easyvqa__prior.json").exists()
