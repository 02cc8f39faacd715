import numpy as np
import pytest
from conftest import LIBRI, make_task

from mmbench.datasets.librispeech import LibriSpeechReader
from mmbench.datasets.media import load_audio
from mmbench.tasks import DataFormatError, DataMissingError
from mmbench.types import AUDIO_SAMPLE_RATE, TaskKind

ARGS = {"root": "LibriSpeech", "split": "test-clean"}


def test_utterances_ids_references_and_meta(libri_root):
    reader = LibriSpeechReader(libri_root, **ARGS)
    samples = list(reader)
    assert len(reader) == 4
    # sorted by speaker/chapter path (as strings), then by line order in trans.txt
    assert [s.id for s in samples] == [
        "1089-134686-0000",
        "121-121726-0000",
        "61-70968-0000",
        "61-70968-0001",
    ]
    for s in samples:
        assert s.kind is TaskKind.ASR and s.text is None
        assert s.references == (LIBRI[s.id][0],)
        speaker, chapter, _ = s.id.split("-")
        assert dict(s.meta) == {"speaker": speaker, "chapter": chapter}
        assert (
            s.audio_path
            == libri_root / "LibriSpeech" / "test-clean" / speaker / chapter / f"{s.id}.flac"
        )


@pytest.mark.parametrize("utt", list(LIBRI))
def test_audio_is_float32_mono_16k_whatever_the_file_rate(libri_root, utt):
    sample = next(s for s in LibriSpeechReader(libri_root, **ARGS) if s.id == utt)
    audio = load_audio(sample)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(audio.shape[0] - 0.25 * AUDIO_SAMPLE_RATE) <= 2  # 0.25 s after resampling
    # the 440 Hz tone survives resampling: the spectrum peaks at 440 Hz (4 Hz bins)
    spectrum = np.abs(np.fft.rfft(audio))
    peak_hz = np.argmax(spectrum) * AUDIO_SAMPLE_RATE / audio.shape[0]
    assert abs(peak_hz - 440) <= 4
    assert 0.25 < np.abs(audio).max() < 0.35


def test_missing_split_names_folder_and_archive(libri_root):
    task = make_task("ls", "asr", "librispeech", {**ARGS, "split": "dev-other"})
    with pytest.raises(DataMissingError) as err:
        task.make_reader(libri_root)
    assert str(libri_root / "LibriSpeech" / "dev-other") in str(err.value)
    assert "https://www.openslr.org/resources/12/dev-other.tar.gz" in str(err.value)


def test_malformed_transcript_line_names_file_and_line(libri_root):
    trans = libri_root / "LibriSpeech" / "test-clean" / "61" / "70968" / "61-70968.trans.txt"
    trans.write_text(trans.read_text() + "61-70968-0002\n")
    with pytest.raises(
        DataFormatError, match=r"61-70968\.trans\.txt:3: expected '61-70968-NNNN TRANSCRIPT'"
    ):
        LibriSpeechReader(libri_root, **ARGS)


def test_split_without_transcripts_is_a_layout_error(libri_root):
    (libri_root / "LibriSpeech" / "test-other").mkdir()
    with pytest.raises(DataFormatError, match="no .*trans.txt files"):
        LibriSpeechReader(libri_root, root="LibriSpeech", split="test-other")
