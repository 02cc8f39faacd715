"""``hf:`` loading: where checkpoints come from, what cannot be built, options, fingerprint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmbench.adapters.base import ModelBuildError, ModelContext, build_model, fingerprint
from mmbench.adapters.hf import BUILDERS, MODEL_ARGS, make_hf
from mmbench.adapters.hf.common import checkpoint_sha256
from mmbench.cli import main
from mmbench.tasks import load_task

pytest.importorskip("transformers", reason="the 'hf' extra (transformers) is not installed")
HUB_ID = "Salesforce/blip-image-captioning-base"


def _vqa(model_args: dict[str, str] | None = None) -> ModelContext:
    return ModelContext(load_task("easyvqa"), model_args=model_args or {})


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    """An empty Hugging Face cache; the hub endpoint is a closed local port."""
    import huggingface_hub.constants as constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    return cache


def test_importing_the_package_loads_neither_torch_nor_transformers():
    code = (
        "import sys, mmbench.adapters.hf, mmbench.adapters.hf.common, mmbench.adapters.hf.vision\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_missing_folder_is_one_message_and_exit_2(tmp_path, capsys):
    with pytest.raises(ModelBuildError, match=r"hf:/no/such/dir.*save_pretrained"):
        build_model("hf:/no/such/dir", _vqa())
    code = main(["run", "--model", "hf:./nope", "--task", "easyvqa", "--limit", "2",
                 "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "hf:./nope" in err and "Traceback" not in err


def test_a_folder_without_config_or_of_an_unknown_model_type(tmp_path):
    with pytest.raises(ModelBuildError, match="no config.json"):
        build_model(f"hf:{tmp_path}", _vqa())
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "no-such-model"}))
    with pytest.raises(ModelBuildError, match=r"transformers 5\.|transformers 4\."):
        build_model(f"hf:{tmp_path}", _vqa())


def test_hub_id_with_the_hub_off_names_the_download_command(hub_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelBuildError) as err:
        build_model(f"hf:{HUB_ID}", ModelContext(load_task("shapes_caption")))
    message = str(err.value)
    assert f"hf download {HUB_ID} --local-dir DIR" in message and "hf:DIR" in message
    assert "HF_HUB_OFFLINE" in message and f"'hf:{HUB_ID}'" in message


def test_unreachable_hub_is_one_message(hub_cache):
    with pytest.raises(ModelBuildError, match=rf"cannot get {HUB_ID} from the Hugging Face hub"):
        build_model(f"hf:{HUB_ID}", ModelContext(load_task("shapes_caption")))


def test_a_hub_id_in_the_cache_loads_without_the_hub(hub_cache, tiny_checkpoint, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    repo = hub_cache / "models--tiny-org--blip"
    commit = "0" * 40
    shutil.copytree(tiny_checkpoint("blip"), repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    model = build_model("hf:tiny-org/blip", ModelContext(load_task("shapes_caption")))
    assert model.name == "hf:tiny-org/blip"
    assert model.info()["checkpoint_sha256"] == checkpoint_sha256(tiny_checkpoint("blip"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"dtype": "fp64"}, "expected one of fp32, bf16, fp16"),
        ({"num_beams": "0"}, "num_beams='0': expected an integer >= 1"),
        ({"max_new_tokens": "many"}, "max_new_tokens='many'"),
        ({"language": "en"}, "language does not apply: not a speech model"),
        ({"task": "translate"}, "task does not apply"),
        ({"prompt": "Say it."}, "prompt does not apply: ViLT"),
        ({"trust_remote_code": "true"}, "has no option 'trust_remote_code'"),
    ],
)
def test_bad_options_are_refused(tiny_checkpoint, args, message):
    with pytest.raises(ModelBuildError, match=message.replace("(", r"\(")):
        build_model(f"hf:{tiny_checkpoint('vilt')}", _vqa(args))


def test_options_that_change_outputs_change_the_fingerprint(tiny_checkpoint):
    spec = f"hf:{tiny_checkpoint('blip-vqa')}"
    base = build_model(spec, _vqa())
    prints = {fingerprint(base, spec)}
    for args in ({"num_beams": "2"}, {"max_new_tokens": "3"}, {"dtype": "bf16"}):
        model = build_model(spec, _vqa(args))
        prints.add(fingerprint(model, spec, args))
    assert len(prints) == 4
    assert build_model(spec, _vqa({"dtype": "bf16"})).info()["dtype"] == "bfloat16"
    info = base.info()
    assert info["generation"] == {"do_sample": False, "num_beams": 1, "max_new_tokens": 4}
    assert info["family"] == "blip-vqa" and info["parameters"] > 0


def test_the_speech_families_are_dispatched_by_task(monkeypatch):
    assert set(BUILDERS) == {"caption", "vqa", "asr", "spoken_vqa"}
    assert {"language", "task", "dtype", "prompt"} <= set(MODEL_ARGS)
    monkeypatch.setitem(BUILDERS, "asr", "mmbench.adapters.hf.no_such_module:build_asr")
    ctx = ModelContext(load_task("spoken_shapes"), arg="some/model")
    with pytest.raises(ModelBuildError, match="no hf: adapter for asr tasks"):
        make_hf(ctx)
