import base64

import numpy as np
import pytest
from PIL import Image

from mmbench.chat import (
    ChatContentError,
    default_prompt,
    infer_kind,
    sample_from_content,
    user_content,
)
from mmbench.datasets.media import decode_image
from mmbench.types import Sample, TaskKind


def test_an_image_file_is_sent_as_its_own_bytes(tmp_path):
    path = tmp_path / "x.jpg"
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(path, quality=70)
    sample = Sample(id="a", kind=TaskKind.CAPTION, image_path=path)
    parts = user_content(sample, default_prompt(sample))
    url = parts[0]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == path.read_bytes()
    assert parts[1] == {"type": "text", "text": default_prompt(sample)}
    back = sample_from_content(parts, TaskKind.CAPTION, "r")
    np.testing.assert_array_equal(back.image, decode_image("a", path))


def test_spoken_question_gets_the_spoken_prompt_and_no_question_line():
    audio = np.linspace(-1, 1, 800, dtype=np.float32)  # [T]
    image = np.zeros((4, 4, 3), np.uint8)  # [H, W, 3]
    sample = Sample(id="s", kind=TaskKind.VQA, image=image, audio=audio)
    parts = user_content(sample, default_prompt(sample))
    assert [p["type"] for p in parts] == ["image_url", "input_audio", "text"]
    assert parts[2]["text"].startswith("Answer the spoken question")
    assert parts[1]["input_audio"]["format"] == "wav"
    assert infer_kind(parts) is TaskKind.VQA


@pytest.mark.parametrize(
    "content, message",
    [
        ([{"type": "video_url", "video_url": {}}], "unsupported content part 'video_url'"),
        ([{"type": "input_audio", "input_audio": {"data": "!!", "format": "wav"}}], "base64"),
        ([{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}], "audio"),
        ([], "non-empty"),
    ],
)
def test_bad_content_is_refused_with_the_reason(content, message):
    with pytest.raises(ChatContentError, match=message):
        sample_from_content(content, TaskKind.VQA, "r")
