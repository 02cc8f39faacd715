"""OpenAI chat-completions messages from samples, and samples back from messages.

The ``openai:`` client turns a :class:`~mmbench.types.Sample` into one user message: the image
as a base64 data URL (an ``image_url`` part; the file's own bytes when the sample has a file),
the audio as an ``input_audio`` part (32-bit float WAV at 16 kHz, so nothing is rounded) and
one text part, ``"<question>\\n<prompt>"`` (just the prompt when there is no question).
``mmbench serve`` decodes such a message back into a Sample: the question is the first line
of the text, the lines after it are instructions that mmbench's own models do not read.

>>> from mmbench.types import TaskKind
>>> s = Sample(id="q1", kind=TaskKind.VQA, text="What shape is it?")
>>> prompt = default_prompt(s)
>>> content = user_content(s, prompt)
>>> content
[{'type': 'text', 'text': 'What shape is it?\\nAnswer the question using a single word or phrase.'}]
>>> sample_from_content(content, TaskKind.VQA, "r1").text
'What shape is it?'
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmbench.datasets.media import load_audio, load_image, mono_16k
from mmbench.types import AUDIO_SAMPLE_RATE, Sample, TaskKind

#: Default instruction per kind of input; a task's ``prompt`` or ``--model-arg prompt=`` wins.
DEFAULT_PROMPTS: Mapping[str, str] = {
    "vqa": "Answer the question using a single word or phrase.",
    "spoken_vqa": "Answer the spoken question about the image using a single word or phrase.",
    "caption": "Provide a one-sentence caption for the provided image.",
    "asr": "Transcribe the speech exactly. Output only the transcription.",
}


class ChatContentError(ValueError):
    """A chat message that cannot become a sample (bad data URL, undecodable media, ...)."""


def prompt_kind(sample: Sample) -> str:
    """Which default prompt a sample gets: ``vqa``, ``spoken_vqa``, ``caption`` or ``asr``.

    >>> prompt_kind(Sample(id="a", kind=TaskKind.VQA, audio_path="q.wav"))
    'spoken_vqa'
    """
    if sample.kind is TaskKind.VQA and sample.text is None:
        return "spoken_vqa"
    return sample.kind.value


def default_prompt(sample: Sample, override: str | None = None) -> str:
    """``override`` if given, else the default instruction for the sample's kind of input."""
    return override if override is not None else DEFAULT_PROMPTS[prompt_kind(sample)]


def _image_part(sample: Sample) -> dict[str, Any]:
    if sample.image_path is not None and sample.image_path.is_file():
        data = sample.image_path.read_bytes()
        mime = mimetypes.guess_type(sample.image_path.name)[0] or "image/png"
    else:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(load_image(sample)).save(buf, format="PNG")  # lossless
        data, mime = buf.getvalue(), "image/png"
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return {"type": "image_url", "image_url": {"url": url}}


def wav_bytes(audio: np.ndarray) -> bytes:
    """Mono float32 ``[T]`` at 16 kHz as a 32-bit float WAV file (lossless)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, audio, AUDIO_SAMPLE_RATE, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def _audio_part(sample: Sample) -> dict[str, Any]:
    data = base64.b64encode(wav_bytes(load_audio(sample))).decode("ascii")
    return {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}


def user_content(sample: Sample, prompt: str) -> list[dict[str, Any]]:
    """The content parts of the one user message asking about ``sample``."""
    parts: list[dict[str, Any]] = []
    if sample.image_path is not None or sample.image is not None:
        parts.append(_image_part(sample))
    if sample.audio_path is not None or sample.audio is not None:
        parts.append(_audio_part(sample))
    text = "\n".join(t for t in (sample.text, prompt) if t)
    if text:
        parts.append({"type": "text", "text": text})
    return parts


def _decode_b64(data: Any, what: str) -> bytes:
    if not isinstance(data, str):
        raise ChatContentError(f"{what}: expected a base64 string")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ChatContentError(f"{what}: invalid base64 ({exc})") from None


def _image_from_url(url: Any) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if not isinstance(url, str) or not url.startswith("data:") or ";base64," not in url:
        raise ChatContentError(
            "image_url: only base64 data URLs (data:image/...;base64,...) are accepted; "
            "mmbench serve fetches nothing from the network"
        )
    data = _decode_b64(url.partition(";base64,")[2], "image_url")
    try:
        with Image.open(io.BytesIO(data)) as img:
            return np.asarray(img.convert("RGB"))  # [H, W, 3] uint8
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ChatContentError(f"image_url: not a readable image ({exc})") from None


def _audio_from_part(part: Any) -> np.ndarray:
    import soundfile as sf

    if not isinstance(part, Mapping):
        raise ChatContentError("input_audio: expected {data, format}")
    data = _decode_b64(part.get("data"), "input_audio")
    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)  # [T, C]
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise ChatContentError(f"input_audio: not readable audio ({exc})") from None
    return mono_16k(audio, rate)


def sample_from_content(content: Any, kind: TaskKind, sample_id: str) -> Sample:
    """A decoded :class:`Sample` from a user message's ``content`` (a string or parts).

    The text's first line is the question (``None`` when there is no text, as in spoken VQA).
    """
    parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
    if not isinstance(parts, Sequence) or not parts:
        raise ChatContentError("message content must be a string or a non-empty list of parts")
    image = audio = None
    texts: list[str] = []
    for part in parts:
        kind_of_part = part.get("type") if isinstance(part, Mapping) else None
        if kind_of_part == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind_of_part == "image_url" and image is None:
            url = part.get("image_url")
            image = _image_from_url(url.get("url") if isinstance(url, Mapping) else url)
        elif kind_of_part == "input_audio" and audio is None:
            audio = _audio_from_part(part.get("input_audio"))
        else:
            raise ChatContentError(
                f"unsupported content part {kind_of_part!r} (accepted: text, one image_url, "
                "one input_audio)"
            )
    text = "\n".join(texts)
    question = text.split("\n", 1)[0] if text else None
    return Sample(id=sample_id, kind=kind, text=question, image=image, audio=audio)


def infer_kind(content: Any) -> TaskKind:
    """The task kind a message asks for when the server was started without a task:
    audio only is ASR, an image with a question (or with audio) is VQA, an image alone with
    only an instruction is captioning.

    >>> infer_kind([{"type": "input_audio", "input_audio": {}}, {"type": "text", "text": "x"}])
    <TaskKind.ASR: 'asr'>
    """
    parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
    types = [p.get("type") for p in parts if isinstance(p, Mapping)]
    if "image_url" not in types:
        return TaskKind.ASR if "input_audio" in types else TaskKind.VQA
    if "input_audio" in types:
        return TaskKind.VQA
    texts = [p.get("text", "") for p in parts if isinstance(p, Mapping) and p.get("type") == "text"]
    first = "\n".join(t for t in texts if isinstance(t, str)).split("\n", 1)[0]
    return TaskKind.CAPTION if first in ("", DEFAULT_PROMPTS["caption"]) else TaskKind.VQA
