"""Audio perturbations on float32 mono waves ``[T]`` at 16 kHz (numpy, scipy and soxr only).

Noise is added at a target signal-to-noise ratio (SNR, dB, against the wave's own mean power;
a silent wave stays silent). Every perturbation but ``speed`` keeps the length; ``speed``
plays the wave faster and pads the end with silence, so the length is kept too.

>>> import numpy as np
>>> wave = np.sin(np.linspace(0, 2000, 16000)).astype(np.float32)
>>> noisy = white_noise(wave, 10.0, np.random.default_rng(0))
>>> noisy.shape, noisy.dtype, round(snr_db(wave, noisy))
((16000,), dtype('float32'), 10)
"""

from __future__ import annotations

import numpy as np

from mmbench.perturb.definition import register
from mmbench.types import AUDIO_SAMPLE_RATE

SNR_LEVELS = (20, 15, 10, 5, 0)
#: a lost packet in speech codecs' terms: one 20 ms frame
FRAME_S = 0.020


def snr_db(clean: np.ndarray, perturbed: np.ndarray) -> float:
    """SNR of ``perturbed`` against ``clean``: ``10 log10(P(clean) / P(perturbed - clean))``.

    >>> snr_db(np.ones(4, np.float32), np.ones(4, np.float32))
    inf
    """
    signal = float(np.mean(np.square(clean, dtype=np.float64)))
    noise = float(np.mean(np.square(perturbed.astype(np.float64) - clean)))
    if noise == 0.0:
        return float("inf")
    return 10.0 * np.log10(signal / noise) if signal > 0 else float("-inf")


def _add_at_snr(wave: np.ndarray, noise: np.ndarray, snr: float) -> np.ndarray:
    signal_power = float(np.mean(np.square(wave, dtype=np.float64)))
    noise_power = float(np.mean(np.square(noise, dtype=np.float64)))
    if signal_power == 0.0 or noise_power == 0.0:
        return wave.copy()
    gain = np.sqrt(signal_power / (noise_power * 10.0 ** (snr / 10.0)))
    return (wave + noise * np.float32(gain)).astype(np.float32)


@register("audio:white_noise", "snr", SNR_LEVELS, "dB", "target SNR 20-0 dB")
def white_noise(wave: np.ndarray, snr: float, rng: np.random.Generator) -> np.ndarray:
    """Add white Gaussian noise at ``snr`` dB."""
    return _add_at_snr(wave, rng.standard_normal(wave.shape, dtype=np.float32), snr)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of pink (1/f power) noise: white noise shaped by ``1/sqrt(f)`` in the
    frequency domain (the DC bin dropped; computed at a fast FFT length, then cut to ``n``)."""
    from scipy import fft

    m = fft.next_fast_len(n, real=True)
    spectrum = fft.rfft(rng.standard_normal(m, dtype=np.float32))  # [m // 2 + 1] complex64
    f = np.arange(spectrum.shape[0], dtype=np.float32)
    f[0] = np.inf  # no DC offset
    spectrum /= np.sqrt(f)
    return fft.irfft(spectrum, m)[:n].astype(np.float32)  # [n]


@register("audio:pink_noise", "snr", SNR_LEVELS, "dB", "target SNR 20-0 dB")
def pink_noise(wave: np.ndarray, snr: float, rng: np.random.Generator) -> np.ndarray:
    """Add pink (1/f) noise at ``snr`` dB."""
    return _add_at_snr(wave, pink(wave.shape[0], rng), snr)


@register(
    "audio:speed",
    "factor",
    (1.1, 1.2, 1.3, 1.4, 1.5),
    "x faster",
    "speed perturbation",
    seeded=False,
)
def speed(wave: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Play ``factor`` times faster (pitch rises with it, like tape; soxr resampling); the
    freed end is silence, so the length is kept."""
    import soxr

    fast = soxr.resample(wave, AUDIO_SAMPLE_RATE * factor, AUDIO_SAMPLE_RATE, quality="HQ")
    out = np.zeros_like(wave)
    n = min(len(fast), len(out))
    out[:n] = fast[:n]
    return out


@register(
    "audio:clipping",
    "level",
    (0.5, 0.3, 0.2, 0.1, 0.05),
    "of the peak",
    "hard clipping",
    seeded=False,
)
def clipping(wave: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """Hard-clip at ``level`` times the wave's peak amplitude (an overdriven input)."""
    limit = np.float32(level * float(np.max(np.abs(wave), initial=0.0)))
    return np.clip(wave, -limit, limit)


def room_impulse_response(rt60: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room impulse response ``[rt60 * 16000]``: a unit direct path, then a
    Gaussian-noise tail decaying by 60 dB over ``rt60`` seconds (Polack's statistical model)."""
    n = max(2, int(rt60 * AUDIO_SAMPLE_RATE))
    t = np.arange(n, dtype=np.float32) / AUDIO_SAMPLE_RATE  # [n] seconds
    tail = rng.standard_normal(n, dtype=np.float32) * np.exp(-6.9078 * t / rt60)  # ln(1000)
    tail *= np.float32(0.3)
    tail[0] = 1.0  # the direct path
    return tail.astype(np.float32)


@register("audio:reverb", "rt60", (0.2, 0.4, 0.6, 0.8, 1.0), "s", "synthetic RIR")
def reverb(wave: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve with :func:`room_impulse_response` of ``rt60`` seconds; cut to the original
    length and rescaled to the original RMS."""
    from scipy.signal import oaconvolve

    wet = oaconvolve(wave, room_impulse_response(rt60, rng))[: len(wave)]  # [T] overlap-add
    rms_in, rms_out = np.sqrt(np.mean(np.square(wave))), np.sqrt(np.mean(np.square(wet)))
    if rms_out > 0:
        wet *= rms_in / rms_out
    return wet.astype(np.float32)


@register("audio:dropout", "rate", (0.05, 0.1, 0.2, 0.3, 0.5), "of 20 ms frames", "lost frames")
def dropout(wave: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Zero each 20 ms frame with probability ``rate`` (lost packets). The per-frame draws
    do not depend on ``rate``, so a higher rate drops a superset of the frames."""
    frame = int(FRAME_S * AUDIO_SAMPLE_RATE)
    n_frames = -(-len(wave) // frame)
    lost = np.repeat(rng.random(n_frames) < rate, frame)[: len(wave)]  # [T] bool
    out = wave.copy()
    out[lost] = 0.0
    return out
