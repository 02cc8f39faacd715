"""``check_task`` and ``mmbench data check`` on official-layout fixtures."""

import yaml
from conftest import LIBRI, make_task

from mmbench.cli import main
from mmbench.datasets.check import check_task

LIBRI_ARGS = {"root": "LibriSpeech", "split": "test-clean"}
CAPTIONS = {"annotations": "coco/annotations/captions_val2017.json", "images": "coco/val2017"}


def test_complete_dataset_is_ok(libri_root):
    report = check_task(make_task("ls", "asr", "librispeech", LIBRI_ARGS, expected=4), libri_root)
    assert report.ok and report.found == 4 and report.media_checked == len(LIBRI)
    assert report.files[0][1] and "test-clean.tar.gz" in report.files[0][0].source


def test_count_mismatch_is_reported(libri_root):
    task = make_task("ls", "asr", "librispeech", LIBRI_ARGS, expected=2620)
    report = check_task(task, libri_root)
    assert not report.ok and not report.count_ok and report.found == 4 and not report.problems


def test_missing_files_listed_with_sources_without_reading(coco_root):
    args = {"annotations": "coco/annotations/captions_val2014.json", "images": "coco/val2014x"}
    report = check_task(make_task("c", "caption", "coco_captions", args), coco_root)
    assert [f.path.name for f in report.missing_files] == ["captions_val2014.json", "val2014x"]
    assert "annotations_trainval2014.zip" in report.missing_files[0].source
    assert report.found is None and not report.ok


def test_missing_and_corrupt_media_each_named(coco_root):
    folder = coco_root / "coco" / "val2017"
    (folder / "000000000139.jpg").unlink()
    data = (folder / "000000000285.jpg").read_bytes()
    (folder / "000000000285.jpg").write_bytes(data[: len(data) // 2])
    task = make_task("c", "caption", "coco_captions", CAPTIONS, expected=3)
    full = check_task(task, coco_root)
    assert {(p.sample_id, p.path.name) for p in full.problems} == {
        ("139", "000000000139.jpg"),
        ("285", "000000000285.jpg"),
    }
    assert "file not found" in next(p.reason for p in full.problems if p.sample_id == "139")
    quick = check_task(task, coco_root, quick=True)  # no decoding: only the missing file
    assert [p.sample_id for p in quick.problems] == ["139"]
    assert full.count_ok and not full.ok


def test_malformed_annotation_is_an_error_not_a_crash(coco_root):
    (coco_root / CAPTIONS["annotations"]).write_text("{\n]")
    report = check_task(make_task("c", "caption", "coco_captions", CAPTIONS), coco_root)
    assert "captions_val2017.json:2:1: malformed JSON" in report.error and not report.ok


def _task_file(tmp_path, args, expected):
    spec = {
        "name": "ls_tiny",
        "version": 1,
        "kind": "asr",
        "reader": {"name": "librispeech", "args": args},
        "metrics": ["exact_match"],
        "data": {"how_to_get": "download it from openslr", "expected_samples": expected},
    }
    path = tmp_path / "ls_tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def test_cli_ok_exit_zero(libri_root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    task = _task_file(tmp_path, LIBRI_ARGS, 4)
    assert main(["data", "check", "--task", task, "--data-root", str(libri_root)]) == 0
    out = capsys.readouterr().out
    assert "4 samples (expected 4)" in out and "4 media files checked, 0 missing or corrupt" in out
    assert "https://www.openslr.org/resources/12/test-clean.tar.gz" in out and "=> OK" in out


def test_cli_reports_missing_split_and_exits_one(libri_root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    task = _task_file(tmp_path, {**LIBRI_ARGS, "split": "dev-clean"}, 2703)
    assert main(["data", "check", "--task", task, "--data-root", str(libri_root)]) == 1
    out = capsys.readouterr().out
    assert f"MISSING LibriSpeech dev-clean folder: {libri_root}/LibriSpeech/dev-clean" in out
    assert "resources/12/dev-clean.tar.gz" in out and "download it from openslr" in out
    assert "NOT OK" in out


def test_cli_lists_corrupt_flac(libri_root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    bad = libri_root / "LibriSpeech" / "test-clean" / "61" / "70968" / "61-70968-0001.flac"
    bad.write_bytes(b"")
    task = _task_file(tmp_path, LIBRI_ARGS, 4)
    assert main(["data", "check", "--task", task, "--data-root", str(libri_root)]) == 1
    out = capsys.readouterr().out
    assert f"sample 61-70968-0001: {bad}: file is empty (0 bytes)" in out
    assert "1 missing or corrupt" in out


def test_shipped_tasks_declare_counts_and_sources():
    from mmbench.registry import READERS
    from mmbench.tasks import load_task

    expected = {
        "librispeech_test_clean": 2620,
        "librispeech_test_other": 2939,
        "librispeech_dev_clean": 2703,
        "librispeech_dev_other": 2864,
        "coco_karpathy_test": 5000,
        "coco_karpathy_val": 5000,
        "coco2017_val": 5000,
        "vqav2_val": 214354,
        "vqav2_testdev": 107394,
    }
    for name, count in expected.items():
        task = load_task(name)
        assert task.expected_samples == count and task.how_to_get
        files = READERS.get(task.reader).data_files(".", **task.reader_args)
        assert all(f.source.startswith("http") for f in files), name


def test_generated_task_names_mmbench_as_the_source(tmp_path):
    from mmbench.tasks import load_task

    report = check_task(load_task("spoken_shapes"), tmp_path)  # installs the shipped test split
    assert report.ok and report.found == 100
    source = report.files[0][0].source
    assert source.startswith("generated by mmbench") and "openslr" not in source
