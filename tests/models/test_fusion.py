"""Every registered fusion method: shapes, finiteness, gradients, determinism, masks."""

from __future__ import annotations

import pytest
import torch

from mmbench.adapters.reference import FUSION_NAMES
from mmbench.models.fusion import FUSIONS, build_fusion, resolve_fusion

NAMES = sorted(FUSIONS)
OWN = "tests.fixtures.fusions:Hadamard"


def test_adapter_list_matches_registry():
    assert sorted(FUSION_NAMES) == NAMES


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n1", [1, 7])
def test_shape_and_finite(name, n1):
    torch.manual_seed(0)
    f = build_fusion(name, d1=12, d2=10, width=8)
    out = f(torch.randn(3, n1, 12), torch.randn(3, 10))
    assert out.shape == (3, 8)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_vector_x1_equals_one_token(name):
    torch.manual_seed(0)
    f = build_fusion(name, 6, 5, 4).eval()
    x1, x2 = torch.randn(2, 6), torch.randn(2, 5)
    torch.testing.assert_close(f(x1, x2), f(x1[:, None], x2))


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_both_modalities(name):
    torch.manual_seed(0)
    f = build_fusion(name, 6, 5, 4)
    x1 = torch.randn(2, 3, 6, requires_grad=True)
    x2 = torch.randn(2, 5, requires_grad=True)
    f(x1, x2).pow(2).sum().backward()
    assert x1.grad.abs().sum() > 0
    assert x2.grad.abs().sum() > 0
    assert all(p.grad is not None for p in f.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", NAMES)
def test_seeded_construction_is_deterministic(name):
    torch.manual_seed(3)
    a = build_fusion(name, 6, 5, 4)
    torch.manual_seed(3)
    b = build_fusion(name, 6, 5, 4)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)


@pytest.mark.parametrize("name", NAMES)
def test_masked_tokens_are_ignored(name):
    torch.manual_seed(0)
    f = build_fusion(name, 6, 5, 4).eval()
    x1, x2 = torch.randn(2, 4, 6), torch.randn(2, 5)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    noisy = x1.clone()
    noisy[0, 2:] = 100.0  # padding content must not matter
    torch.testing.assert_close(f(x1, x2, mask), f(noisy, x2, mask))


@pytest.mark.parametrize("name", NAMES)
def test_output_depends_on_both_inputs(name):
    torch.manual_seed(0)
    f = build_fusion(name, 6, 5, 4).eval()
    x1, x2 = torch.randn(2, 3, 6), torch.randn(2, 5)
    base = f(x1, x2)
    assert not torch.allclose(base, f(x1 + 1.0, x2))
    assert not torch.allclose(base, f(x1, x2 + 1.0))


@pytest.mark.parametrize("name", NAMES)
def test_remembered_tokens_answer_every_query(name):
    torch.manual_seed(0)
    f = build_fusion(name, 6, 5, 4).eval()
    x1 = torch.randn(2, 4, 6)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    memory = f.remember(x1, mask)  # projected once, as a decoder does
    for _ in range(3):
        x2 = torch.randn(2, 5)
        torch.testing.assert_close(f.attend(memory, x2), f(x1, x2, mask))


@pytest.mark.parametrize("training", [False, True])
def test_cross_attention_equals_torch_multihead_attention(training):
    torch.manual_seed(0)
    f = build_fusion("cross_attention", 6, 5, 8).train(training)
    x1, x2 = torch.randn(3, 7, 6), torch.randn(3, 5)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[0, 4:] = False
    q, kv = f.q(x2)[:, None], f.kv(x1)  # [B, 1, D], [B, N, D]
    a, _ = f.attn(q, kv, kv, key_padding_mask=~mask, need_weights=False)
    h = f.norm1(q + a)
    expected = f.norm2(h + f.ff(h))[:, 0]
    torch.testing.assert_close(f(x1, x2, mask), expected)


def test_unknown_fusion_lists_known():
    with pytest.raises(KeyError, match="gated"):
        build_fusion("nope", 2, 2, 2)


def test_a_fusion_of_your_own_by_import_path():
    torch.manual_seed(0)
    f = build_fusion(OWN, 6, 5, 4)
    assert type(f).__name__ == "Hadamard"
    x1 = torch.randn(2, 3, 6, requires_grad=True)
    x2 = torch.randn(2, 5, requires_grad=True)
    out = f(x1, x2)
    assert out.shape == (2, 4)
    out.pow(2).sum().backward()
    assert x1.grad.abs().sum() > 0 and x2.grad.abs().sum() > 0
    memory = f.eval().remember(x1.detach())  # the decoder's path works too
    torch.testing.assert_close(f.attend(memory, x2.detach()), f(x1.detach(), x2.detach()))


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ("tests.fixtures.nope:X", KeyError, "cannot import 'X' from 'tests.fixtures.nope'"),
        ("tests.fixtures.fusions:Nope", KeyError, "cannot import 'Nope'"),
        ("tests.fixtures.fusions:NotAFusion", TypeError, "not a subclass"),
    ],
)
def test_fusion_import_path_errors_say_what_is_wrong(spec, error, match):
    with pytest.raises(error, match=match):
        resolve_fusion(spec)
