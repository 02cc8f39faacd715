"""Sharded runs equal one process: torchrun ranks (gloo, 2 CPU processes), --shard jobs +
merge, and a rank killed mid-run then resumed with a different number of processes."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmbench.distributed import MergeError, Shard, ShardError, merge
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import load_task

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def cfg(out: Path, **kw) -> RunConfig:
    return RunConfig(out_dir=out, progress=False, n_resamples=200, batch_size=8, **kw)


def stored(out: Path, task: str) -> dict[str, list[str]]:
    """Every prediction line in every store file of ``task``: id -> texts (one per line)."""
    lines: dict[str, list[str]] = {}
    for path in sorted((out / "predictions").glob(f"{task}@v*/*.jsonl")):
        for line in path.read_text().splitlines()[1:]:
            rec = json.loads(line)
            if "prediction" in rec:
                lines.setdefault(rec["id"], []).append(rec["prediction"])
    return lines


def torchrun(nproc: int, args: list[str], **env: str) -> subprocess.CompletedProcess:
    paths = [str(TESTS), str(ROOT), os.environ.get("PYTHONPATH", "")]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(paths), **env}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    cmd += ["--nproc-per-node", str(nproc), "-m", "mmbench", "run", "--no-progress", *args]
    return subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=240)


@given(st.integers(0, 60), st.integers(1, 7))
def test_shards_partition_the_samples(n: int, count: int):
    items = list(range(n))
    shards = [Shard(i, count).select(items) for i in range(count)]
    assert sorted(x for s in shards for x in s) == items
    assert all(x % count == i for i, s in enumerate(shards) for x in s)  # LAYOUT's rule


@pytest.mark.parametrize("bad", ["2/2", "1", "a/b", "-1/2", "0/0"])
def test_bad_shard_values_are_refused(bad: str):
    with pytest.raises(ShardError, match="--shard"):
        Shard.parse(bad)


@pytest.mark.slow
def test_torchrun_two_ranks_equal_one_process(tmp_path: Path):
    args = ["--model", "fake_models:media_reader", "--task", "easyvqa", "--task"]
    args += ["spoken_shapes", "--limit", "40", "--batch-size", "8", "--bootstrap", "200"]
    done = torchrun(2, [*args, "--out", str(tmp_path / "two")])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("mmbench results") == 1  # only rank 0 prints the table
    for name in ("easyvqa", "spoken_shapes"):
        one = run_task("fake_models:media_reader", load_task(name), cfg(tmp_path / "one", limit=40))
        (path,) = (tmp_path / "two" / "results").glob(f"{name}__*.json")
        two = json.loads(path.read_text())
        assert two["scores"] == one.record["scores"] and two["n_samples"] == 40
        assert stored(tmp_path / "two", name) == stored(tmp_path / "one", name)
        layout = two["distributed"]
        assert (layout["world_size"], layout["launcher"], layout["backend"]) == (
            2,
            "torchrun",
            "gloo",
        )
        assert [(s["shard"], s["samples"]) for s in layout["shards"]] == [("0/2", 20), ("1/2", 20)]
        profile = two["profile"]
        assert len(profile["ranks"]) == 2 and profile["measured_samples"] == sum(
            r["measured_samples"] for r in profile["ranks"]
        )
        slowest = max(r["measured_time_s"] for r in profile["ranks"])
        assert profile["samples_per_s"] == pytest.approx(profile["measured_samples"] / slowest)
        assert [r["rank"] for r in profile["hardware"]["ranks"]] == [0, 1]


@pytest.mark.slow
def test_rank_killed_midway_then_one_process_predicts_only_the_rest(tmp_path: Path):
    out, log = tmp_path / "out", tmp_path / "log.txt"
    args = ["--model", "fake_models:dying", "--task", "easyvqa", "--limit", "200"]
    args += ["--batch-size", "10", "--bootstrap", "200", "--out", str(out)]
    killed = torchrun(
        2,
        args,
        MMBENCH_TEST_LOG=str(log),
        MMBENCH_TEST_DIE_RANK="1",
        MMBENCH_TEST_DIE_AFTER="2",
        MMBENCH_TEST_DELAY="0.05",
    )
    assert killed.returncode != 0 and not (out / "results").exists()
    before = stored(out, "easyvqa")
    assert 20 <= len(before) < 200  # rank 1 stored its first two batches, then died

    log.write_text("")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])}
    rerun = subprocess.run(
        [sys.executable, "-m", "mmbench", "run", "--no-progress", *args],
        env={**env, "MMBENCH_TEST_LOG": str(log), "MMBENCH_TEST_DELAY": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    rerun_ids = log.read_text().split()
    assert not set(rerun_ids) & set(before)  # nothing stored is predicted again
    assert len(rerun_ids) == len(set(rerun_ids)) == 200 - len(before)
    after = stored(out, "easyvqa")
    assert len(after) == 200 and all(len(texts) == 1 for texts in after.values())

    whole = run_task("fake_models:dying", load_task("easyvqa"), cfg(tmp_path / "whole", limit=200))
    (path,) = (out / "results").glob("easyvqa__*.json")
    assert json.loads(path.read_text())["scores"] == whole.record["scores"]


@pytest.mark.parametrize("name", ["easyvqa", "spoken_shapes"])
def test_shard_jobs_then_merge_equal_one_process(tmp_path: Path, name: str):
    task, out = load_task(name), tmp_path / "shards"
    for i in (1, 0):  # any order
        res = run_task("fake_models:media_reader", task, cfg(out, limit=30, shard=f"{i}/2"))
        assert res.record["shard"]["samples"] == 15 and res.path.suffix == ".json"
    assert not (out / "results").exists()  # a shard job never scores
    (merged,) = merge(out, n_resamples=200)
    one = run_task("fake_models:media_reader", task, cfg(tmp_path / "one", limit=30))
    assert merged.record["scores"] == one.record["scores"]
    assert stored(out, name) == stored(tmp_path / "one", name)
    assert merged.record["distributed"]["launcher"] == "shards"
    assert merged.record["distributed"]["world_size"] == 2
    assert json.loads(merged.path.read_text())["scores"] == one.record["scores"]


def _two_shards(out: Path, models=("fake_models:recording", "fake_models:recording")) -> None:
    for i, model in enumerate(models):
        run_task(model, load_task("easyvqa"), cfg(out, limit=20, shard=f"{i}/2"))


def test_merge_refuses_a_missing_shard(tmp_path: Path):
    run_task("fake_models:recording", load_task("easyvqa"), cfg(tmp_path, limit=20, shard="0/2"))
    with pytest.raises(MergeError, match=r"no record of shard\(s\) 1/2"):
        merge(tmp_path)


def test_merge_refuses_missing_samples_naming_them(tmp_path: Path):
    _two_shards(tmp_path)
    (part,) = (tmp_path / "predictions").glob("easyvqa@v*/*.part-1-of-2.jsonl")
    lines = part.read_text().splitlines(keepends=True)
    lost = json.loads(lines[-1])["id"]
    part.write_text("".join(lines[:-1]))  # the job's last batch never reached the disk
    with pytest.raises(MergeError, match=rf"1 of 20 samples have no prediction \({lost}\).*1/2"):
        merge(tmp_path)


def test_merge_refuses_mismatched_fingerprints_naming_them(tmp_path: Path):
    _two_shards(tmp_path, ("fake_models:recording", "fake_models:slow_recording"))
    fps = {
        json.loads(p.read_text())["model"]["fingerprint"]
        for p in (tmp_path / "predictions").glob("*/*.json")
    }
    with pytest.raises(MergeError, match="model fingerprint") as err:
        merge(tmp_path)
    assert len(fps) == 2 and all(fp in str(err.value) for fp in fps)


def test_merge_refuses_mismatched_task_versions(tmp_path: Path):
    _two_shards(tmp_path)
    (meta,) = (tmp_path / "predictions").glob("*/*.part-1-of-2.json")
    record = json.loads(meta.read_text())
    record["task"]["version"] = 99
    meta.write_text(json.dumps(record))
    with pytest.raises(MergeError, match=r"task version .*part-1-of-2.json: 99"):
        merge(tmp_path)


def test_one_process_resumes_from_every_shard(tmp_path: Path):
    """Resume across world sizes: a single process sees every shard's predictions."""
    _two_shards(tmp_path)
    res = run_task("fake_models:recording", load_task("easyvqa"), cfg(tmp_path, limit=20))
    layout = res.record["distributed"]
    assert layout["world_size"] == 1 and layout["shards"][0]["predicted"] == 0
    assert Counter(len(t) for t in stored(tmp_path, "easyvqa").values()) == {1: 20}


def test_perturbed_and_clean_shards_stay_apart_and_merge_apart(tmp_path: Path):
    """Clean and perturbed shard jobs in one folder: their own store files (the ``~<key>``
    stem before ``.part-i-of-N``), merged into two results, each equal to one process."""
    task, out, noise = load_task("easyvqa"), tmp_path / "shards", ("image:gaussian_noise@5",)
    for i in (0, 1):
        run_task("fake_models:media_reader", task, cfg(out, limit=20, shard=f"{i}/2"))
        run_task(
            "fake_models:media_reader", task, cfg(out, limit=20, shard=f"{i}/2", perturb=noise)
        )
    folder = next((out / "predictions").glob("easyvqa@v*"))
    noisy = sorted(p.name for p in folder.glob("*~*.part-*-of-2.jsonl"))
    assert len(noisy) == 2 and len(list(folder.glob("*.part-*-of-2.jsonl"))) == 4
    merged = {r.record.get("perturbation", {}).get("spec"): r for r in merge(out)}
    assert set(merged) == {None, noise[0]}
    for spec, res in merged.items():
        perturb = (spec,) if spec else ()
        one = run_task(
            "fake_models:media_reader", task, cfg(tmp_path / "one", limit=20, perturb=perturb)
        )
        assert res.record["scores"] == one.record["scores"]
        assert res.path.name == one.path.name and res.record["n_samples"] == 20
        name = Path(one.record["predictions_file"]).name
        assert Path(res.record["predictions_file"]).name == name
        assert res.record["samples_log"]["n"] == 20
        sigs = [s["signature"] for s in res.record["scores"].values()]
        assert all(sig.endswith(f"|perturb:{spec}") == bool(spec) for sig in sigs)
    assert "~" in merged[noise[0]].record["predictions_file"]


def test_model_args_reach_shards_the_merged_record_and_the_fingerprint(tmp_path: Path):
    task = load_task("easyvqa")
    args = {"suffix": "!", "token": "s3cret"}
    for i in (0, 1):
        run_task(
            "fake_models:Suffixed", task, cfg(tmp_path, limit=10, shard=f"{i}/2", model_args=args)
        )
    (res,) = merge(tmp_path)
    assert res.record["model"]["args"] == {"suffix": "!"}  # never the secret
    assert set(stored(tmp_path, "easyvqa")) and all(
        t == ["yes!"] for t in stored(tmp_path, "easyvqa").values()
    )
    again = cfg(tmp_path / "o", limit=10, model_args={"suffix": "?"})
    other = run_task("fake_models:Suffixed", task, again)
    assert other.record["model"]["fingerprint"] != res.record["model"]["fingerprint"]


def test_shard_records_the_thread_policy_and_contention(tmp_path: Path):
    task = load_task("easyvqa")
    for i in (0, 1):
        run_task("fake_models:recording", task, cfg(tmp_path, limit=20, shard=f"{i}/2", threads=1))
    (res,) = merge(tmp_path)
    profile = res.record["profile"]
    assert profile["threads"]["threads"] == 1 and profile["threads"]["source"] == "user"
    assert "contention" in profile and len(profile["ranks"]) == 2
    assert all(r["threads"]["threads"] == 1 for r in profile["ranks"])


@pytest.mark.slow
def test_torchrun_with_perturbation_model_args_and_threads_equals_one_process(tmp_path: Path):
    args = ["--model", "fake_models:media_reader", "--task", "easyvqa", "--limit", "16"]
    args += ["--batch-size", "4", "--bootstrap", "200", "--threads", "1", "--json"]
    args += ["--perturb", "image:gaussian_noise@5"]
    done = torchrun(2, [*args, "--out", str(tmp_path / "two")])
    assert done.returncode == 0, done.stderr[-3000:]
    (two,) = json.loads(done.stdout)  # only rank 0 prints
    one = run_task(
        "fake_models:media_reader",
        load_task("easyvqa"),
        cfg(tmp_path / "one", limit=16, perturb=("image:gaussian_noise@5",)),
    )
    assert two["scores"] == one.record["scores"]
    assert two["perturbation"] == one.record["perturbation"]
    assert two["distributed"]["world_size"] == 2 and two["profile"]["threads"]["threads"] == 1
    files = sorted(p.name for p in (tmp_path / "two" / "predictions").glob("*/*.jsonl"))
    key = one.record["perturbation"]["key"]
    assert len(files) == 2 and all(f"~{key}.part-" in f for f in files)


def test_merge_refuses_shards_of_different_task_files(tmp_path: Path):
    _two_shards(tmp_path)
    (meta,) = (tmp_path / "predictions").glob("*/*.part-1-of-2.json")
    record = json.loads(meta.read_text())
    assert record["task"]["sha256"]
    record["task"]["sha256"] = "0" * 64
    meta.write_text(json.dumps(record))
    with pytest.raises(MergeError, match=r"task file sha256"):
        merge(tmp_path)
