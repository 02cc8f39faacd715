"""``mmbench train --fit-stand-ins``: fitting lowers the missing-input loss, the weights stay."""

from __future__ import annotations

import pytest

from mmbench.experiments.stand_ins import StandInFit, fit_checkpoint
from mmbench.models.reference import sha256_file
from mmbench.models.stand_in import load_stand_ins
from tests.fixtures.tiny_vqa import TOKENS, WIDTH, tiny_checkpoint, tiny_samples


@pytest.mark.parametrize("spoken", [False, True])
def test_fitting_lowers_the_missing_input_loss(tmp_path, spoken):
    """The answer depends on the question only: without the image the stand-in can learn to
    answer it; without the question, the answers' balance."""
    weights = tiny_checkpoint(tmp_path, spoken)
    weight_bytes = weights.read_bytes()
    out = tmp_path / "out"
    fit = StandInFit(steps=60, lr=0.1, batch=16)
    res = fit_checkpoint(weights, tiny_samples(spoken), out, fit)
    assert res.path == out / "tiny-gated.stand-in.safetensors"
    r = res.report
    for missing in ("image", "question"):
        before, after = r["before"][missing], r["after"][missing]
        assert after["loss"] < before["loss"] and after["accuracy"] >= before["accuracy"]
    assert weights.read_bytes() == weight_bytes  # the model itself is only read
    loaded = load_stand_ins(res.path, sha256_file(weights), WIDTH)
    assert loaded.image.shape == (TOKENS, WIDTH) and loaded.question.shape == (WIDTH,)
