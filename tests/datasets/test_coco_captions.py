import json
from pathlib import Path

import pytest
from conftest import COCO_IMAGES, ShapeModel, make_task, write_json

from mmbench.datasets.coco_captions import CocoCaptionsReader
from mmbench.datasets.media import load_image
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import DataFormatError, DataMissingError, TaskError
from mmbench.types import Modality, TaskKind

CAPTIONS = {"annotations": "coco/annotations/captions_val2017.json", "images": "coco/val2017"}


def test_captions_file_one_sample_per_captioned_image(coco_root):
    samples = list(CocoCaptionsReader(coco_root, **CAPTIONS))
    assert [s.id for s in samples] == ["139", "285", "632"]  # image 999 has no captions
    assert len(CocoCaptionsReader(coco_root, **CAPTIONS)) == 3
    assert [len(s.references) for s in samples] == [5, 5, 6]
    assert samples[0].references[2] == "caption 2 of image 139"  # stripped
    assert samples[1].meta["image_id"] == 285 and samples[1].kind is TaskKind.CAPTION
    assert samples[2].image_path == coco_root / "coco" / "val2017" / "000000000632.jpg"
    assert load_image(samples[2]).shape == (*COCO_IMAGES[632], 3)


def test_karpathy_splits(coco_root):
    args = {"karpathy": "coco/dataset_coco.json", "images": "coco"}
    test = list(CocoCaptionsReader(coco_root, split="test", **args))
    assert [s.id for s in test] == ["391895", "522418"]
    assert test[0].references == tuple(f"raw {k} 391895." for k in range(5))
    assert test[0].image_path == coco_root / "coco" / "val2014" / "COCO_val2014_000000391895.jpg"
    assert load_image(test[1]).shape == (3, 5, 3)
    assert [s.id for s in CocoCaptionsReader(coco_root, split="val", **args)] == ["184613"]
    restval = list(CocoCaptionsReader(coco_root, split="restval", **args))
    assert restval[0].image_path.parent.name == "train2014" and load_image(restval[0]).shape == (
        3,
        7,
        3,
    )


def test_bad_arguments(coco_root):
    with pytest.raises(TaskError, match="Karpathy split must be one of"):
        CocoCaptionsReader(coco_root, karpathy="coco/dataset_coco.json", images="coco", split="dev")
    with pytest.raises(TaskError, match="exactly one of"):
        CocoCaptionsReader(coco_root, images="coco/val2017")


def test_missing_annotation_file_names_path_and_source(coco_root):
    task = make_task(
        "t",
        "caption",
        "coco_captions",
        {**CAPTIONS, "annotations": "coco/annotations/captions_val2014.json"},
    )
    with pytest.raises(DataMissingError) as err:
        task.make_reader(coco_root)
    msg = str(err.value)
    assert str(coco_root / "coco" / "annotations" / "captions_val2014.json") in msg
    assert "annotations_trainval2014.zip" in msg and "get t from the official site" in msg


def test_missing_image_folder(coco_root):
    with pytest.raises(DataMissingError, match="zips/train2017.zip"):
        CocoCaptionsReader(coco_root, annotations=CAPTIONS["annotations"], images="coco/train2017")


def test_malformed_json_reports_line_and_column(coco_root):
    path = coco_root / "coco" / "annotations" / "captions_val2017.json"
    path.write_text('{"images": [],\n  "annotations": [1, 2,]}')
    with pytest.raises(DataFormatError, match=r"captions_val2017\.json:2:24: malformed JSON"):
        CocoCaptionsReader(coco_root, **CAPTIONS)


def test_wrong_kind_of_file_says_what_it_looks_like(coco_root, vqa_root):
    # vqa_root and coco_root are the same tmp_path; pass VQA questions as captions
    args = {**CAPTIONS, "annotations": "vqav2/v2_OpenEnded_mscoco_val2014_questions.json"}
    with pytest.raises(DataFormatError) as err:
        CocoCaptionsReader(coco_root, **args)
    assert "looks like a VQA questions file" in str(err.value)
    assert "expected a COCO captions file" in str(err.value)
    with pytest.raises(
        DataFormatError, match="looks like a COCO captions annotation file.*expected a Karpathy"
    ):
        CocoCaptionsReader(coco_root, karpathy=CAPTIONS["annotations"], split="test", images="coco")
    write_json(
        coco_root / "instances.json",
        {"images": [], "annotations": [{"bbox": [0, 0, 1, 1], "image_id": 1}]},
    )
    with pytest.raises(DataFormatError, match="instances"):
        CocoCaptionsReader(coco_root, annotations="instances.json", images="coco/val2017")


def test_caption_for_unknown_image_is_an_error(coco_root):
    path = coco_root / "coco" / "annotations" / "captions_val2017.json"
    doc = json.loads(path.read_text())
    doc["annotations"].append({"id": 99, "image_id": 123456, "caption": "orphan"})
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFormatError, match="123456"):
        CocoCaptionsReader(coco_root, **CAPTIONS)


def test_run_exports_coco_results_readable_by_pycocotools(coco_root, tmp_path):
    from pycocotools.coco import COCO

    task = make_task("coco_tiny", "caption", "coco_captions", CAPTIONS)
    cfg = RunConfig(
        out_dir=tmp_path / "out", data_root=coco_root, progress=False, n_resamples=0, workers=0
    )
    result = run_task("shape", task, cfg, model=ShapeModel(Modality.IMAGE))
    path = result.record["outputs"]["coco_results"]
    rows = json.loads(Path(path).read_text())
    assert rows == [{"image_id": i, "caption": f"{h}x{w}x3"} for i, (h, w) in COCO_IMAGES.items()]
    gts = COCO(str(coco_root / CAPTIONS["annotations"]))
    res = gts.loadRes(path)
    assert sorted(res.getImgIds()) == sorted(COCO_IMAGES)
