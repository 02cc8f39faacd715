"""COCO captions, read from the official files: one caption Sample per image.

Two layouts, chosen by the reader arguments (paths relative to the data root):

- ``annotations`` + ``images``: an official ``captions_{train,val}{2014,2017}.json`` and the
  image folder it describes (``coco/val2017``). References are the image's captions.
- ``karpathy`` + ``split`` + ``images``: the Karpathy split file ``dataset_coco.json``
  (splits ``test``, ``val``, ``restval``, ``train``); each entry's ``filepath/filename``
  lives under ``images`` (``coco``, holding ``val2014/`` and ``train2014/``). References are
  the entry's ``sentences[*].raw``.

Sample ids are the COCO image ids as strings; ``meta["image_id"]`` holds the integer. After a
run, :meth:`CocoCaptionsReader.export_predictions` writes the predictions in the COCO results
format ``[{"image_id": int, "caption": str}]`` that ``mmbench score`` and pycocoevalcap read.

>>> import json, tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> doc = {"images": [{"id": 7, "file_name": "7.jpg"}],
...        "annotations": [{"id": 1, "image_id": 7, "caption": "A cat."}]}
>>> _ = (root / "caps.json").write_text(json.dumps(doc))
>>> (root / "img").mkdir()
>>> [s.references for s in CocoCaptionsReader(root, annotations="caps.json", images="img")]
[('A cat.',)]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mmbench.datasets.files import (
    DataFile,
    field,
    load_json,
    require,
    submission_path,
    wrong_kind,
)
from mmbench.registry import READERS
from mmbench.tasks import DataFormatError, TaskError
from mmbench.types import Sample, TaskKind

COCO_DOWNLOAD = "https://cocodataset.org/#download"
COCO_ZIPS = "http://images.cocodataset.org"
KARPATHY_URL = "https://cs.stanford.edu/people/karpathy/deepimagesent/caption_datasets.zip"
KARPATHY_SPLITS = ("test", "val", "restval", "train")
CAPTIONS_EXPECTED = (
    "a COCO captions file: {images: [{id, file_name}], annotations: [{image_id, caption}]}"
)
KARPATHY_EXPECTED = (
    "a Karpathy split file: {images: [{filepath, filename, split, sentences, cocoid}]}"
)


def annotation_source(name: str) -> str:
    """Where an official COCO annotation file comes from.

    >>> annotation_source("captions_val2017.json")
    'http://images.cocodataset.org/annotations/annotations_trainval2017.zip'
    """
    m = re.fullmatch(r"captions_(train|val)(\d{4})\.json", name)
    if m is None:
        return COCO_DOWNLOAD
    return f"{COCO_ZIPS}/annotations/annotations_trainval{m[2]}.zip"


def images_source(name: str) -> str:
    """Where an official COCO image folder (``val2017``, ``test2015``, ...) comes from."""
    if re.fullmatch(r"(train|val|test)\d{4}", name):
        return f"{COCO_ZIPS}/zips/{name}.zip"
    return COCO_DOWNLOAD


@READERS.register("coco_captions")
class CocoCaptionsReader:
    """Streams one CAPTION Sample per image; the index (ids, file names, captions) is all it
    keeps in memory, images are decoded later by the runner."""

    def __init__(
        self,
        data_root: Path,
        task: Any = None,
        *,
        images: str,
        annotations: str | None = None,
        karpathy: str | None = None,
        split: str | None = None,
    ) -> None:
        self.task_name = getattr(task, "name", "coco_captions")
        how_to_get = getattr(task, "how_to_get", "")
        files = self.data_files(
            data_root, images=images, annotations=annotations, karpathy=karpathy, split=split
        )
        for f in files:
            require(f, how_to_get)
        self.images = files[-1].path
        index_path = files[0].path
        doc = load_json(index_path)
        if karpathy is not None:
            self._index = _karpathy_index(index_path, doc, split or "")
        else:
            self._index = _captions_index(index_path, doc)

    @staticmethod
    def data_files(
        data_root: Path,
        *,
        images: str,
        annotations: str | None = None,
        karpathy: str | None = None,
        split: str | None = None,
    ) -> list[DataFile]:
        """The files this reader needs (index file first, image folder last) and their sources."""
        root = Path(data_root)
        if (annotations is None) == (karpathy is None):
            raise TaskError(
                "coco_captions: give exactly one of reader args 'annotations' or 'karpathy'"
            )
        if karpathy is not None:
            if split not in KARPATHY_SPLITS:
                raise TaskError(
                    f"coco_captions: Karpathy split must be one of {KARPATHY_SPLITS}, got {split!r}"
                )
            return [
                DataFile(
                    root / karpathy, "Karpathy split file", f"{KARPATHY_URL} (dataset_coco.json)"
                ),
                DataFile(
                    root / images,
                    "COCO 2014 images root (holding val2014/ and train2014/)",
                    f"{images_source('val2014')} and {images_source('train2014')}, side by side",
                    folder=True,
                ),
            ]
        ann = root / annotations
        img = root / images
        return [
            DataFile(
                ann, "COCO captions annotations", f"{annotation_source(ann.name)} ({ann.name})"
            ),
            DataFile(img, "COCO image folder", images_source(img.name), folder=True),
        ]

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[Sample]:
        for image_id, rel_path, captions in self._index:
            yield Sample(
                id=str(image_id),
                kind=TaskKind.CAPTION,
                image_path=self.images / rel_path,
                references=captions,
                meta={"image_id": image_id},
            )

    def export_predictions(
        self, samples: Sequence[Sample], preds_by_id: dict[str, str], out_dir: Path, model_name: str
    ) -> dict[str, Path]:
        """Write ``[{"image_id", "caption"}]`` (COCO results format); failed samples get ``""``."""
        from mmbench.atomic import write_json_atomic

        rows = [
            {"image_id": s.meta["image_id"], "caption": preds_by_id.get(s.id) or ""}
            for s in samples
        ]
        path = write_json_atomic(submission_path(out_dir, self.task_name, model_name), rows)
        return {"coco_results": path}


def _captions_index(path: Path, doc: Any) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(image_id, file_name, captions)`` in the file's image order; images without captions
    are left out."""
    anns = doc.get("annotations") if isinstance(doc, dict) else None
    if not isinstance(anns, list) or "images" not in doc or (anns and "caption" not in anns[0]):
        raise wrong_kind(path, doc, CAPTIONS_EXPECTED)
    captions: dict[int, list[str]] = {}
    for i, ann in enumerate(anns):
        image_id = field(path, ann, "image_id", f"annotations[{i}]")
        captions.setdefault(image_id, []).append(
            field(path, ann, "caption", f"annotations[{i}]").strip()
        )
    index = []
    for i, img in enumerate(doc["images"]):
        image_id = field(path, img, "id", f"images[{i}]")
        if image_id in captions:
            index.append(
                (
                    image_id,
                    field(path, img, "file_name", f"images[{i}]"),
                    tuple(captions.pop(image_id)),
                )
            )
    if captions:
        orphan = next(iter(captions))
        raise DataFormatError(
            f"{path}: {len(captions)} captions refer to image ids not in 'images' (e.g. {orphan})"
        )
    return index


def _karpathy_index(path: Path, doc: Any, split: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(cocoid, filepath/filename, sentences)`` for the entries of ``split``."""
    images = doc.get("images") if isinstance(doc, dict) else None
    if not isinstance(images, list) or (images and "sentences" not in images[0]):
        raise wrong_kind(path, doc, KARPATHY_EXPECTED)
    index = []
    for i, img in enumerate(images):
        if field(path, img, "split", f"images[{i}]") != split:
            continue
        where = f"images[{i}]"
        image_id = img.get("cocoid", img.get("imgid"))
        if image_id is None:
            raise DataFormatError(f"{path}: {where} has neither 'cocoid' nor 'imgid'")
        rel = Path(img.get("filepath", "")) / field(path, img, "filename", where)
        refs = tuple(
            field(path, s, "raw", f"{where}.sentences").strip()
            for s in field(path, img, "sentences", where)
        )
        index.append((int(image_id), str(rel), refs))
    return index
