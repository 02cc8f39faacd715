import numpy as np
import pytest

from mmbench.perturb import Perturbation
from mmbench.perturb.audio import FRAME_S, snr_db
from mmbench.perturb.definition import SEVERITIES, definition
from mmbench.registry import PERTURBATIONS
from mmbench.types import AUDIO_SAMPLE_RATE

AUDIO = [n for n in PERTURBATIONS.names() if n.startswith("audio:")]


def at(name: str, severity: int, wave: np.ndarray, sample_id: str = "u1", seed: int = 0):
    p = Perturbation(name, definition(name).value_at(severity), severity, seed)
    return p.apply(wave, sample_id)


def test_registered():
    assert AUDIO == [
        "audio:clipping",
        "audio:dropout",
        "audio:pink_noise",
        "audio:reverb",
        "audio:speed",
        "audio:white_noise",
    ]


@pytest.mark.parametrize("name", AUDIO)
def test_shape_dtype_kept_and_input_untouched(name, wave):
    before = wave.copy()
    for s in SEVERITIES:
        out = at(name, s, wave)
        assert out.shape == wave.shape and out.dtype == np.float32
        assert np.isfinite(out).all() and not np.array_equal(out, wave)
    assert np.array_equal(wave, before)


@pytest.mark.parametrize("name", AUDIO)
def test_deterministic(name, wave):
    assert np.array_equal(at(name, 2, wave), at(name, 2, wave))
    if name in ("audio:white_noise", "audio:pink_noise", "audio:dropout", "audio:reverb"):
        assert not np.array_equal(at(name, 2, wave, "u1"), at(name, 2, wave, "u2"))


@pytest.mark.parametrize("name", [n for n in AUDIO if n != "audio:speed"])
def test_snr_falls_with_severity(name, wave):
    values = [snr_db(wave, at(name, s, wave)) for s in SEVERITIES]
    assert all(a > b for a, b in zip(values, values[1:], strict=False)), values


@pytest.mark.parametrize("name", ["audio:white_noise", "audio:pink_noise"])
def test_noise_hits_the_target_snr(name, wave):
    for s, target in zip(SEVERITIES, (20, 15, 10, 5, 0), strict=False):
        assert snr_db(wave, at(name, s, wave)) == pytest.approx(target, abs=1e-3)
    explicit = Perturbation(name, 7.5).apply(wave, "u1")
    assert snr_db(wave, explicit) == pytest.approx(7.5, abs=1e-3)


def test_speed_shortens_the_speech_with_severity(wave):
    voiced = [np.flatnonzero(np.abs(at("audio:speed", s, wave)) > 1e-4).max() for s in SEVERITIES]
    factors = [definition("audio:speed").value_at(s) for s in SEVERITIES]
    for end, f in zip(voiced, factors, strict=False):
        assert end == pytest.approx(len(wave) / f, rel=0.01)


def test_dropout_zeroes_whole_20ms_frames_and_nests(wave):
    frame = int(FRAME_S * AUDIO_SAMPLE_RATE)
    n = len(wave) // frame * frame
    original = wave[:n].reshape(-1, frame)  # [frames, 320]
    lost = []
    for s in SEVERITIES:
        frames = at("audio:dropout", s, wave)[:n].reshape(-1, frame)
        dead = ~frames.any(axis=1)
        assert np.array_equal(frames[~dead], original[~dead])  # a frame is kept or all zero
        assert 0 < dead.mean() < 1
        lost.append(dead)
    for a, b in zip(lost, lost[1:], strict=False):
        assert np.all(b[a])  # a higher rate drops a superset


def test_silence_stays_silent():
    silent = np.zeros(1600, np.float32)
    assert not at("audio:white_noise", 5, silent).any()


def test_unseeded_perturbations_draw_nothing(wave, draws_nothing):
    """speed and clipping draw nothing: no per-sample generator, the shared one untouched."""
    unseeded = [n for n in AUDIO if not definition(n).seeded]
    assert unseeded == ["audio:clipping", "audio:speed"]
    draws_nothing(unseeded, lambda name, s: at(name, s, wave), "audio:white_noise")
