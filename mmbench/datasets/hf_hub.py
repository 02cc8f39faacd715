"""Optional: a task's samples from a Hugging Face hub dataset (extra ``hf``; needs network once).

The local official-format readers are the tested, offline path; this one is for users who
are online and prefer the hub. Reader ``hf_hub`` with arguments ``repo``, ``split``,
optional ``config`` and ``columns`` (which dataset column holds ``id``, ``image``, ``audio``,
``text`` and ``references``). Media bytes are written once under
``<data-root>/hf/<repo>/<split>/`` and the samples point at those files, so decoding happens
in DataLoader workers exactly as for local data and memory stays flat. References may be a
string, a list of strings, or a list of ``{"answer": ...}`` records (VQAv2).

Example task file (``mmbench run --task librispeech_hf.yaml``)::

    name: librispeech_test_clean_hf
    version: 1
    kind: asr
    reader:
      name: hf_hub
      args: {repo: openslr/librispeech_asr, config: clean, split: test,
             columns: {id: id, audio: audio, references: text}}
    metrics: [wer]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmbench.registry import READERS
from mmbench.tasks import DataFormatError, DataMissingError
from mmbench.types import Sample, TaskKind

INSTALL = "pip install 'mmbench[hf]'  (or: pip install datasets)"
MEDIA = ("image", "audio")


def _datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise DataMissingError(
            f"reader hf_hub needs the Hugging Face `datasets` package: {INSTALL}. "
            "The offline alternative is the local official files (see `mmbench data check`)."
        ) from None
    return datasets


def _references(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(v["answer"] if isinstance(v, dict) else str(v) for v in value)


@READERS.register("hf_hub")
class HFHubReader:
    """Streams one Sample per row of a hub dataset split, media cached as files."""

    def __init__(
        self,
        data_root: Path,
        task: Any = None,
        *,
        repo: str,
        split: str,
        columns: dict[str, str],
        config: str | None = None,
    ) -> None:
        ds_lib = _datasets()
        self.kind = getattr(task, "kind", TaskKind.VQA)
        unknown = set(columns) - {"id", "text", "references", *MEDIA}
        if unknown or "id" not in columns:
            raise DataFormatError(
                f"hf_hub: columns needs 'id' and only id/text/references/image/audio; got {columns}"
            )
        ds = ds_lib.load_dataset(repo, config, split=split)
        for media in MEDIA:
            if media in columns:
                feature = ds_lib.Image if media == "image" else ds_lib.Audio
                ds = ds.cast_column(columns[media], feature(decode=False))  # bytes, not arrays
        self.media_dir = (
            Path(data_root) / "hf" / repo.replace("/", "__") / f"{config or 'default'}-{split}"
        )
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self._index: list[tuple[str, str | None, tuple[str, ...], dict[str, Path]]] = []
        for row in ds:
            sid = str(row[columns["id"]])
            paths = {m: self._cache(sid, row[columns[m]]) for m in MEDIA if m in columns}
            text = row[columns["text"]] if "text" in columns else None
            refs = _references(row[columns["references"]]) if "references" in columns else ()
            self._index.append((sid, text, refs, paths))

    def _cache(self, sample_id: str, media: dict[str, Any]) -> Path:
        """Write a row's media bytes to a file once; later runs reuse it."""
        suffix = Path(media.get("path") or "").suffix or ".bin"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in sample_id)
        path = self.media_dir / f"{safe}{suffix}"
        if not path.exists():
            if media.get("bytes") is None:
                return Path(media["path"])  # already a local file in the datasets cache
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(media["bytes"])
            tmp.replace(path)
        return path

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[Sample]:
        for sid, text, refs, paths in self._index:
            yield Sample(
                id=sid,
                kind=self.kind,
                image_path=paths.get("image"),
                audio_path=paths.get("audio"),
                text=text,
                references=refs,
            )
