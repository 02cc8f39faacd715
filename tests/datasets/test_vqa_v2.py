import json
from pathlib import Path

import pytest
from conftest import VQA_QUESTIONS, ShapeModel, make_task

from mmbench.cli._table import print_results
from mmbench.datasets.media import load_image
from mmbench.datasets.vqa_v2 import VQAv2Reader
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import DataFormatError, DataMissingError
from mmbench.types import Modality, TaskKind

VAL = {
    "questions": "vqav2/v2_OpenEnded_mscoco_val2014_questions.json",
    "annotations": "vqav2/v2_mscoco_val2014_annotations.json",
    "images": "coco/val2014",
}
TESTDEV = {
    "questions": "vqav2/v2_OpenEnded_mscoco_test-dev2015_questions.json",
    "images": "coco/test2015",
}


def test_val_questions_with_ten_answers(vqa_root):
    reader = VQAv2Reader(vqa_root, **VAL)
    samples = list(reader)
    assert len(reader) == 3
    assert [(int(s.id), s.meta["image_id"], s.text) for s in samples] == VQA_QUESTIONS
    first = samples[0]
    assert first.kind is TaskKind.VQA
    assert first.references == ("black",) * 6 + ("gray",) * 3 + ("dark",)
    assert dict(first.meta) == {
        "question_id": 42000,
        "image_id": 42,
        "question_type": "what color is the",
        "answer_type": "other",
    }
    assert samples[2].references == ("4",) * 10 and samples[2].meta["answer_type"] == "number"
    assert first.image_path == vqa_root / "coco" / "val2014" / "COCO_val2014_000000000042.jpg"
    assert load_image(samples[2]).shape == (3, 4, 3)


def test_2017_image_names_are_detected(vqa_root):
    samples = list(VQAv2Reader(vqa_root, **{**VAL, "images": "coco/val2017"}))
    assert samples[0].image_path.name == "000000000042.jpg"
    assert load_image(samples[0]).shape == (3, 3, 3)
    forced = VQAv2Reader(
        vqa_root, **{**VAL, "images": "coco/val2017", "image_pattern": "img{image_id}.png"}
    )
    assert next(iter(forced)).image_path.name == "img42.png"


def test_testdev_has_no_references_and_test2015_images(vqa_root):
    samples = list(VQAv2Reader(vqa_root, **TESTDEV))
    assert len(samples) == 4 and all(s.references == () for s in samples)
    assert samples[0].image_path.name == "COCO_test2015_000000000005.jpg"
    assert set(samples[0].meta) == {"question_id", "image_id"}


def test_testdev_run_is_predict_only_and_writes_server_results(
    vqa_root, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "250")
    task = make_task("vqa_testdev_tiny", "vqa", "vqa_v2", TESTDEV)
    cfg = RunConfig(out_dir=tmp_path / "out", data_root=vqa_root, progress=False, workers=0)
    result = run_task("shape", task, cfg, model=ShapeModel(Modality.IMAGE))
    assert result.record["scores"] == {}
    assert result.record["scored_on"].startswith("predict-only")
    rows = json.loads(Path(result.record["outputs"]["vqa_results"]).read_text())
    assert rows == [{"question_id": 5000 + k, "answer": "6x8x3"} for k in range(4)]
    print_results([result.record], [result.path])
    out = capsys.readouterr().out
    assert "(predict only)" in out
    assert f"vqa_results: {result.record['outputs']['vqa_results']}" in out


def test_val_run_scores_and_exports(vqa_root, tmp_path):
    task = make_task("vqa_val_tiny", "vqa", "vqa_v2", VAL)
    cfg = RunConfig(
        out_dir=tmp_path / "out", data_root=vqa_root, progress=False, n_resamples=0, workers=0
    )
    result = run_task("constant:black", task, cfg)
    assert result.record["scores"]["exact_match"]["value"] == pytest.approx(1 / 3)
    rows = json.loads(Path(result.record["outputs"]["vqa_results"]).read_text())
    assert [r["question_id"] for r in rows] == [q for q, _, _ in VQA_QUESTIONS]


def test_questions_passed_as_annotations(vqa_root):
    with pytest.raises(
        DataFormatError, match="looks like a VQA questions file.*expected a VQA annotations file"
    ):
        VQAv2Reader(vqa_root, **{**VAL, "annotations": VAL["questions"]})
    with pytest.raises(
        DataFormatError, match="looks like a VQA annotations file.*expected a VQA questions file"
    ):
        VQAv2Reader(vqa_root, **{**VAL, "questions": VAL["annotations"]})


def test_mismatched_or_incomplete_annotations(vqa_root):
    path = vqa_root / VAL["annotations"]
    doc = json.loads(path.read_text())
    doc["annotations"] = doc["annotations"][:2]
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFormatError, match="no annotation for question_id 73000"):
        VQAv2Reader(vqa_root, **VAL)
    doc["data_subtype"] = "train2014"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFormatError, match="'train2014' but the questions are for 'val2014'"):
        VQAv2Reader(vqa_root, **VAL)


def test_question_without_a_key_names_the_record(vqa_root):
    path = vqa_root / VAL["questions"]
    doc = json.loads(path.read_text())
    del doc["questions"][1]["image_id"]
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFormatError, match=r"questions\[1\] has no 'image_id' key"):
        VQAv2Reader(vqa_root, **VAL)


def test_missing_questions_file(vqa_root):
    with pytest.raises(DataMissingError) as err:
        VQAv2Reader(
            vqa_root, **{**VAL, "questions": "vqav2/v2_OpenEnded_mscoco_train2014_questions.json"}
        )
    assert "vqav2/v2_OpenEnded_mscoco_train2014_questions.json" in str(err.value)
    assert "v2_Questions_Train_mscoco.zip" in str(err.value)
