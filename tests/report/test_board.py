"""Ranking, comparability checks and bad input of ``build_board`` / ``collect``."""

from __future__ import annotations

import json
import shutil

import pytest
from report.conftest import EVIL, TASKS
from report.synthetic import write_inputs

from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import paired_bootstrap
from mmbench.report.board import build_board
from mmbench.report.html import render_html
from mmbench.report.inputs import collect
from mmbench.report.ranking import holm, paired_tests
from mmbench.report.tables import cost_rows, markdown, quality_frame, quality_rows


def test_ranks_follow_significance(board_dir):
    board = build_board(collect([board_dir]), n_resamples=300)
    assert [t.name for t in board.tasks] == sorted(n for n, _ in TASKS)
    vqa = next(t for t in board.tasks if t.name == "toy_vqa")
    ranks = {m: r["rank"] for m, r in vqa.rows.items()}
    # 0.95 vs 0.93 on 120 questions is not significant: they share rank 1
    assert ranks["alpha-big"] == ranks["beta"] == 1
    assert ranks["alpha-small"] == 3 and ranks[EVIL] == 4
    assert board.models[0] in ("alpha-big", "beta") and board.models[-1] == EVIL
    wer = next(t for t in board.tasks if t.name == "toy_asr")
    assert not wer.higher_is_better and wer.rows["alpha-big"]["score"] < wer.rows[EVIL]["score"]
    assert wer.rows[EVIL]["rank"] > wer.rows["alpha-big"]["rank"]


def test_pair_tests_equal_paired_bootstrap(board_dir):
    board = build_board(collect([board_dir]), tasks=["toy_asr"], n_resamples=200)
    task = board.tasks[0]
    stats = {
        m: e.log.metric_stats("wer", sorted(range(120), key=lambda i: f"toy_asr-{i}"))
        for m, e in task.entries.items()
    }
    metric = get_metric("wer")
    for p in paired_tests(metric, "wer", stats, n_resamples=200):
        ref = paired_bootstrap(metric, stats[p.a], stats[p.b], n_resamples=200)
        assert (p.delta, p.p_count, *p.ci95) == pytest.approx((ref.delta, ref.p_value, *ref.ci95))
        assert p.p_value <= 0.05 or p.p_count > 0.01  # the two p-values agree on clear cases


def test_holm_is_monotone_and_bounded():
    assert holm([0.5, 0.001, 0.02, 0.9]) == [1.0, 0.004, 0.06, 1.0]


def test_bad_inputs_are_skipped_with_the_file_named(tmp_path, board_dir, template):
    bad = tmp_path / "in"
    shutil.copytree(board_dir, bad)
    res = bad / "results"
    (res / "toy_vqa__beta.json").write_text("{not json")
    log = res / "toy_asr__beta.samples.jsonl.gz"
    log.write_bytes(log.read_bytes()[:-5])
    (res / "toy_caption__alpha-big.samples.jsonl.gz").unlink()
    rec = json.loads((res / "toy_vqa__alpha-small.json").read_text())
    rec["n_samples"] = "many"
    (res / "toy_vqa__alpha-small.json").write_text(json.dumps(rec))
    empty = tmp_path / "empty"
    empty.mkdir()
    found = collect([bad, empty])
    reasons = {s.path: s.reason for s in found.skipped}
    assert "not a readable JSON" in reasons[str(res / "toy_vqa__beta.json")]
    assert "sha256" in reasons[str(res / "toy_asr__beta.json")]
    assert "missing" in reasons[str(res / "toy_caption__alpha-big.json")]
    assert "n_samples" in reasons[str(res / "toy_vqa__alpha-small.json")]
    assert "no results files" in reasons[str(empty)]
    board = build_board(found, n_resamples=100)
    assert set(board.tasks[2].rows) == {"alpha-big", EVIL}  # toy_vqa: what was valid
    pooled = collect([bad, empty], processes=2)  # records validated in worker processes
    assert pooled.skipped == found.skipped
    assert [(e.path, e.record, e.log.samples) for e in pooled.entries] == [
        (e.path, e.record, e.log.samples) for e in found.entries
    ]


def test_newer_duplicate_wins_and_mismatches_are_refused(tmp_path, template):
    one, two = tmp_path / "one", tmp_path / "two"
    write_inputs(one, template, ["m1", "m2"], [("toy_vqa", "vqa")], n_samples=30)
    write_inputs(two, template, ["m2"], [("toy_vqa", "vqa")], n_samples=30, seed=5)
    newer = two / "results" / "toy_vqa__m2.json"
    rec = json.loads(newer.read_text())
    rec["finished_at"] = "2999-01-01T00:00:00+00:00"
    newer.write_text(json.dumps(rec))
    found = collect([one, two])
    (dup,) = found.skipped
    assert dup.path == str(one / "results" / "toy_vqa__m2.json") and str(newer) in dup.reason
    # an edited task file (other sha256) cannot share the column
    other = one / "results" / "toy_vqa__m1.json"
    rec = json.loads(other.read_text())
    rec["task"]["sha256"] = "0" * 64
    other.write_text(json.dumps(rec))
    board = build_board(collect([one, two]), n_resamples=100)
    msgs = [s.reason for s in board.skipped]
    assert any("sha256" in m and str(newer) in m or str(other) in m for m in msgs)
    assert len(board.tasks[0].rows) == 1


def test_partial_runs_are_ranked_only_against_the_same_samples(tmp_path, template):
    write_inputs(tmp_path, template, ["full-a", "full-b"], [("toy_vqa", "vqa")], n_samples=60)
    write_inputs(
        tmp_path,
        template,
        ["part"],
        [("toy_vqa", "vqa")],
        n_samples=20,
        limit=20,
        quality={"part": 1.0},
    )
    board = build_board(collect([tmp_path]), n_resamples=100)
    rows = board.tasks[0].rows
    assert rows["part"]["partial"] and rows["part"]["rank"] == 1
    assert rows["part"]["sample_set"] != rows["full-a"]["sample_set"]
    assert all("part" not in (p.a, p.b) for p in board.tasks[0].pairs)


def test_perturbed_runs_are_their_own_columns(tmp_path, template):
    spec = "image:gaussian_noise@3"
    task = [("toy_vqa", "vqa")]
    write_inputs(
        tmp_path, template, ["m1", "m2"], task, n_samples=80, quality={"m1": 0.95, "m2": 0.3}
    )
    noisy = {"m1": 0.3, "m2": 0.95}
    write_inputs(
        tmp_path, template, ["m1", "m2"], task, n_samples=80, quality=noisy, perturbation=spec
    )
    found = collect([tmp_path])
    assert found.skipped == [] and len(found.entries) == 4  # not duplicates of the clean runs
    board = build_board(found, tasks=["toy_vqa"], n_resamples=200)
    clean, perturbed = board.tasks
    assert (clean.label, perturbed.label) == ("toy_vqa", f"toy_vqa · {spec}")
    assert clean.perturbation is None and perturbed.spec == spec
    assert (clean.rows["m1"]["rank"], clean.rows["m2"]["rank"]) == (1, 2)
    assert (perturbed.rows["m1"]["rank"], perturbed.rows["m2"]["rank"]) == (2, 1)
    assert all(e.perturbation == spec for e in perturbed.entries.values())
    assert board.overall["m1"]["ranks"] == {"toy_vqa": 1, f"toy_vqa · {spec}": 2}
    assert board.overall["m1"]["mean_rank"] == board.overall["m2"]["mean_rank"] == 1.5
    data = board.to_json()
    assert data["tasks"][1]["perturbation"]["steps"][0]["params"] == {"sigma": 0.18}
    assert data["tasks"][0]["perturbation"] is None
    assert f"toy_vqa · {spec}.score" in quality_frame(board).columns
    assert f"**toy_vqa · {spec}**" in markdown(board) and "sigma=0.18" in markdown(board)
    page = render_html(board, plots=False)
    assert f">toy_vqa · {spec}</button>" in page and "sigma=0.18, seed 0" in page
    # the same spec with other parameters (another perturbation version) cannot share it
    path = tmp_path / "results" / "toy_vqa__m2__image_gaussian_noise_3.json"
    rec = json.loads(path.read_text())
    rec["perturbation"]["key"] = "0" * 16
    path.write_text(json.dumps(rec))
    board = build_board(collect([tmp_path]), n_resamples=100)
    (why,) = board.skipped
    assert why.path == str(path) and "perturbation parameters" in why.reason
    assert "toy_vqa__m1__image_gaussian_noise_3.json" in why.reason


def test_overall_rank_counts_a_missing_task_as_last(tmp_path, template):
    tasks = [("toy_vqa", "vqa"), ("toy_vqa2", "vqa")]
    quality = {"all-good": 0.9, "all-bad": 0.4, "solo": 0.99}
    write_inputs(tmp_path, template, ["all-good", "all-bad"], tasks, n_samples=80, quality=quality)
    write_inputs(tmp_path, template, ["solo"], tasks[:1], n_samples=80, quality=quality)
    board = build_board(collect([tmp_path]), n_resamples=200)
    solo = board.overall["solo"]
    assert solo["n_tasks"] == 1 and set(solo["ranks"]) == {"toy_vqa"}
    # absent from toy_vqa2: counted behind its two models, rank 3
    assert solo["mean_rank"] == (solo["ranks"]["toy_vqa"] + 3) / 2
    assert board.models[0] == "all-good" and board.models.index("solo") > 0
    header, rows = quality_rows(board)
    assert header[2] == "tasks" and rows[board.models.index("solo")][2] == "1/2"


def test_vqa_breakdowns_and_the_contention_mark(tmp_path, template):
    models = ["calm", "busy"]
    write_inputs(tmp_path, template, models, [("toy_vqa", "vqa")], n_samples=60, contended={"busy"})
    board = build_board(collect([tmp_path]), n_resamples=100)
    task = board.tasks[0]
    assert {m: r["contended"] for m, r in task.rows.items()} == {"calm": False, "busy": True}
    log = task.entries["calm"].log
    by_type = task.breakdowns["question_type"]
    assert sum(by_type["n"].values()) == 60
    for qtype, acc in by_type["models"]["calm"].items():
        values = [
            r["stats"]["vqa_accuracy"] for r in log.samples if r["meta"]["question_type"] == qtype
        ]
        assert acc == pytest.approx(sum(values) / len(values))
    assert set(task.breakdowns) == {"answer_type", "question_type"}
    assert board.to_json()["tasks"][0]["breakdowns"]["answer_type"]["models"]["busy"]
    _, rows = cost_rows(board)
    assert [r[2].endswith("†") for r in rows] == [m == "busy" for m, *_ in rows]
    assert "† measured under CPU contention" in markdown(board)
    frame = quality_frame(board).set_index("model")
    assert (
        bool(frame.loc["busy", "toy_vqa.contended"]) and frame.loc["calm", "toy_vqa.samples_per_s"]
    )
    page = render_html(board, plots=False)
    assert "VQA accuracy by question type" in page and "† measured under CPU contention" in page


def test_profile_sweeps_among_the_paths_become_batch_size_curves(tmp_path, board_dir):
    from mmbench.profiling.sweep import run_profile
    from mmbench.tasks import load_task

    run = run_profile("prior", load_task("easyvqa"), [1, 4], tmp_path, limit=16, warmup=1)
    broken = tmp_path / "profile" / "broken.json"
    broken.write_text(json.dumps({"kind": "mmbench-profile", "model": {"name": "x"}}))
    found = collect([board_dir, tmp_path / "profile"])
    assert [s.path for s in found.sweeps] == [run.json_path]
    (bad,) = found.skipped
    assert bad.path == str(broken) and "not a valid mmbench profile sweep" in bad.reason
    board = build_board(found, n_resamples=50)
    (sweep,) = board.sweeps
    assert [p["batch_size"] for p in sweep["points"]] == [1, 4]
    assert sweep["points"][0]["samples_per_s"] == run.record["points"][0]["samples_per_s"]
    assert board.to_json()["sweeps"] == board.sweeps
    assert "## Batch-size sweeps" in markdown(board)
    page = render_html(board)
    assert 'alt="samples/s and p90 batch latency against batch size"' in page


def test_worker_processes_give_the_same_board(tmp_path, board_dir):
    """Columns ranked in forked worker processes: the same numbers, rows, pairs, entries
    and skipped notes (in the same order) as ranked in this process."""
    bad = tmp_path / "in"
    shutil.copytree(board_dir, bad)
    log = bad / "results" / "toy_asr__beta.samples.jsonl.gz"
    log.write_bytes(log.read_bytes()[:-5])
    found = collect([bad])
    tasks = ["toy_caption", "nope", "toy_asr", "toy_vqa", "later"]
    here = build_board(found, tasks=tasks, n_resamples=200, processes=1)
    pooled = build_board(found, tasks=tasks, n_resamples=200, processes=2)
    assert json.dumps(pooled.to_json()) == json.dumps(here.to_json())
    missing = [s.path for s in pooled.skipped if s.reason.startswith("no results for task")]
    assert missing == ["nope", "later"] and any("sha256" in s.reason for s in pooled.skipped)
    for a, b in zip(here.tasks, pooled.tasks, strict=True):
        assert list(a.entries) == list(b.entries) and a.entries.keys() == b.rows.keys()
        assert all(a.entries[m].log is b.entries[m].log for m in a.entries)


def test_resamples_kept_by_the_runs_give_the_board_of_rescoring(tmp_path, template, monkeypatch):
    """Logs that keep their runs' bootstrap resamples (``mmbench run`` writes them) are
    ranked from those, without rescoring a resample: the same board, bit for bit, as logs
    without them (rescored), and as a mix of both."""
    import mmbench.report.ranking as ranking

    models = ["alpha-small", "alpha-big", "beta"]
    quality = {"alpha-small": 0.55, "alpha-big": 0.95, "beta": 0.93}
    dirs = {}
    for keep in (True, False):
        dirs[keep] = tmp_path / f"keep-{keep}"
        write_inputs(dirs[keep], template, models, TASKS, 80, quality=quality, keep_resamples=keep)
    mixed = tmp_path / "mixed"
    shutil.copytree(dirs[True], mixed)
    for f in (dirs[False] / "results").glob("*__beta.*"):
        shutil.copy(f, mixed / "results" / f.name)
    rescored = build_board(collect([dirs[False]]), n_resamples=200, processes=1)
    assert build_board(collect([mixed]), n_resamples=200, processes=1).to_json() == (
        rescored.to_json()
    )

    def no_bootstrap(*args, **kwargs):
        raise AssertionError("a kept resample was scored again")

    monkeypatch.setattr(ranking, "bootstrap_scores_many", no_bootstrap)
    kept = build_board(collect([dirs[True]]), n_resamples=200, processes=1)
    assert json.dumps(kept.to_json()) == json.dumps(rescored.to_json())
