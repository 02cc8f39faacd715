"""``spoken_shapes``: English speech of shapes-scene descriptions in the LibriSpeech layout.

Each utterance says one caption of a random ``shapes_caption`` scene with an espeak-ng
speaker (voice + variant) at a per-chapter rate and pitch; speakers of train, dev and test
are disjoint. Layout, as LibriSpeech's::

    mini/spoken_shapes/LibriSpeech/{split}/{speaker}/{chapter}/{speaker}-{chapter}-{utt:04d}.flac
    mini/spoken_shapes/LibriSpeech/{split}/{speaker}/{chapter}/{speaker}-{chapter}.trans.txt

with 16 kHz mono FLAC and ``<utt-id> <UPPER CASE TRANSCRIPT>`` lines. The ``test`` split
ships inside the package (``mmbench/data/spoken_shapes``), so the task runs without
espeak-ng; ``dev`` and ``train`` are synthesized where espeak-ng is installed, and
``mmbench generate spoken-shapes`` builds larger or extra splits.

>>> utt, chapter = plan_split("test", 1, seed=2003)[0]
>>> utt.speaker in _speech.speakers_for("test"), chapter // 10 == utt.speaker.id
(True, True)
"""

from __future__ import annotations

import json
import shutil
import sys
import zlib
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from mmbench.datasets import _speech
from mmbench.datasets._embedded import content_hash, ensure_built, is_complete
from mmbench.registry import GENERATORS

VERSION = "1"
FOLDER = Path("mini") / "spoken_shapes" / "LibriSpeech"
#: split -> (utterances, seed); ``test`` is the shipped one
SPLITS: dict[str, tuple[int, int]] = {
    "test": (100, 2003),
    "dev": (300, 2002),
    "train": (2000, 2001),
}
MANIFEST = "MANIFEST.json"


def shipped_root() -> Path:
    """Folder of the shipped data (``.../mmbench/data/spoken_shapes``)."""
    return Path(str(resources.files("mmbench") / "data" / "spoken_shapes"))


def default_seed(split: str) -> int:
    """The seed of a split: fixed for the default splits, else derived from its name."""
    return SPLITS[split][1] if split in SPLITS else 3000 + zlib.crc32(split.encode()) % 100_000


def plan_split(split: str, n: int, seed: int) -> list[tuple[_speech.Utterance, int]]:
    """``n`` (utterance, chapter id) pairs: scene captions, speakers of the split, styles."""
    import random

    from mmbench.datasets.shapes import describe, make_scene

    rng = random.Random(seed)
    kind = "test" if split.startswith("test") else "dev" if split.startswith("dev") else "train"
    speakers = _speech.speakers_for(kind)
    styles = _speech.speaker_styles(speakers, seed)
    plan = []
    for _ in range(n):
        text = describe(make_scene(rng), rng)
        speaker = rng.choice(speakers)
        k = rng.randrange(len(styles[speaker.id]))
        rate, pitch = styles[speaker.id][k]
        plan.append((_speech.Utterance(text, speaker, rate, pitch), speaker.id * 10 + k + 1))
    return plan


def write_split(split_dir: Path, split: str, n: int, seed: int, jobs: int | None = None) -> str:
    """Synthesize ``n`` utterances into ``split_dir`` (LibriSpeech layout); returns their hash."""
    plan = plan_split(split, n, seed)
    counters: dict[tuple[int, int], int] = defaultdict(int)
    transcripts: dict[tuple[int, int], list[str]] = defaultdict(list)
    chunks: list[bytes] = []
    audio = _speech.synthesize_all([u for u, _ in plan], jobs)
    for (utt, chapter), samples in zip(plan, audio, strict=True):
        key = (utt.speaker.id, chapter)
        utt_id = f"{utt.speaker.id}-{chapter}-{counters[key]:04d}"
        counters[key] += 1
        rel = Path(str(utt.speaker.id)) / str(chapter) / f"{utt_id}.flac"
        _speech.write_flac(split_dir / rel, samples)
        transcripts[key].append(f"{utt_id} {_speech.normalize_transcript(utt.text)}")
        chunks += [str(rel).encode(), samples.tobytes()]
    for (speaker, chapter), lines in sorted(transcripts.items()):
        body = "\n".join(lines) + "\n"
        (split_dir / str(speaker) / str(chapter) / f"{speaker}-{chapter}.trans.txt").write_text(
            body
        )
        chunks.append(body.encode())
    return content_hash(chunks)


def _synth_version(n: int, seed: int) -> str:
    return f"{VERSION}|synth|n:{n}|seed:{seed}|bits:{_speech.EFFECTIVE_BITS}"


def build_split(
    data_root: Path,
    split: str,
    n: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
) -> bool:
    """Synthesize ``split`` under ``data_root`` with espeak-ng unless built; True if it built."""
    n = n if n is not None else SPLITS.get(split, (1000, 0))[0]
    seed = seed if seed is not None else default_seed(split)
    _speech.espeak_binary()  # fail early, naming the package
    target = Path(data_root) / FOLDER / split
    extra = {"split": split, "n_utterances": n, "seed": seed, "espeak_ng": _speech.espeak_version()}
    return ensure_built(
        target,
        "spoken_shapes",
        _synth_version(n, seed),
        lambda tmp: write_split(tmp, split, n, seed, jobs),
        extra,
    )


def read_manifest() -> dict[str, Any]:
    return json.loads((shipped_root() / MANIFEST).read_text(encoding="utf-8"))


def install_test(data_root: Path) -> bool:
    """Copy the shipped ``test`` split under ``data_root`` unless it is there; True if copied."""
    manifest = read_manifest()
    source = shipped_root() / "LibriSpeech" / "test"

    def _copy(tmp: Path) -> str:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        return manifest["content_sha256"]

    version = f"{VERSION}|shipped|{manifest['content_sha256'][:16]}"
    return ensure_built(
        Path(data_root) / FOLDER / "test", "spoken_shapes", version, _copy, {"split": "test"}
    )


def ship_test(jobs: int | None = None) -> dict[str, Any]:
    """Maintainers: re-synthesize the shipped ``test`` split into the package and its manifest."""
    n, seed = SPLITS["test"]
    dest = shipped_root() / "LibriSpeech" / "test"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    digest = write_split(dest, "test", n, seed, jobs)
    manifest = {
        "dataset": "spoken_shapes",
        "split": "test",
        "n_utterances": n,
        "seed": seed,
        "version": VERSION,
        "effective_bits": _speech.EFFECTIVE_BITS,
        "espeak_ng": _speech.espeak_version(),
        "content_sha256": digest,
        "command": "mmbench generate spoken-shapes --ship",
    }
    (shipped_root() / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


@GENERATORS.register("spoken_shapes")
def generate(data_root: Path, split: str | None = None) -> None:
    """Generator hook: the shipped test split always; ``dev``/``train`` synthesized on first
    request (needs espeak-ng; a complete split of another size, built with ``mmbench
    generate``, is kept)."""
    install_test(data_root)
    if split in ("dev", "train"):
        _speech.espeak_binary()  # raises EspeakMissingError naming the Debian package
        n = SPLITS[split][0]
        target = Path(data_root) / FOLDER / split
        if not is_complete(target, "spoken_shapes", f"{VERSION}|synth|"):  # any size is kept
            print(
                f"mmbench: synthesizing spoken_shapes {split} ({n} utterances) into {target}",
                file=sys.stderr,
            )
            build_split(data_root, split)
