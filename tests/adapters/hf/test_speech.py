"""``hf:`` speech recognizers on tiny randomly initialised checkpoints built here, offline.

Each checkpoint (Whisper, Wav2Vec2-CTC, HuBERT-CTC, a wav2vec2 + BERT speech encoder-decoder)
is written by ``save_pretrained`` with its feature extractor and tokenizer into a temporary
folder and loaded back through ``hf:DIR``. The audio is spoken_shapes' real speech. Random
weights give random text, so the tests compare the adapter with the same checkpoint called
the way transformers documents it, and with itself (batch sizes, order, repeats).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mmbench.adapters.base import ModelBuildError, ModelContext, build_model, fingerprint
from mmbench.cli import main
from mmbench.datasets.media import load_audio
from mmbench.tasks import load_task

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

SR = 16_000
LANGUAGES = ("en", "fr", "de")
CHARS = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ'"]
#: A small wav2vec2-style encoder (conv strides 5 x 4: one frame per 20 samples).
ENCODER = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
               conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8),
               num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, initializer_range=0.5,
               vocab_size=len(CHARS), pad_token_id=0)  # fmt: skip


def _whisper_tokenizer():
    """Byte-level BPE over the 256 byte symbols (no merges), Whisper's special tokens and its
    1,501 timestamp tokens (long-form decoding needs them)."""
    from tokenizers import AddedToken
    from tokenizers.pre_tokenizers import ByteLevel

    vocab = {c: i for i, c in enumerate(sorted(ByteLevel.alphabet()))}
    tok = transformers.WhisperTokenizer(vocab=vocab, merges=[])
    specials = ["<|endoftext|>", "<|startoftranscript|>", *(f"<|{c}|>" for c in LANGUAGES),
                "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                "<|nocaptions|>", "<|notimestamps|>"]  # fmt: skip
    tok.add_tokens([AddedToken(s, special=True) for s in specials], special_tokens=True)
    tok.add_tokens([AddedToken(f"<|{i * 0.02:.2f}|>", special=False) for i in range(1501)])
    return tok


def _save_whisper(folder: Path) -> None:
    tok = _whisper_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in tok.get_added_vocab()}
    eot, sot = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    config = transformers.WhisperConfig(
        vocab_size=len(tok), d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, num_mel_bins=80, max_source_positions=1500,
        max_target_positions=448, init_std=0.5, pad_token_id=eot, bos_token_id=eot,
        eos_token_id=eot, decoder_start_token_id=sot,
        suppress_tokens=[], begin_suppress_tokens=[],
    )  # fmt: skip
    torch.manual_seed(0)
    model = transformers.WhisperForConditionalGeneration(config)
    model.generation_config = transformers.GenerationConfig(
        decoder_start_token_id=sot, bos_token_id=eot, eos_token_id=eot, pad_token_id=eot,
        is_multilingual=True, lang_to_id={f"<|{c}|>": ids[f"<|{c}|>"] for c in LANGUAGES},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], prev_sot_token_id=ids["<|startofprev|>"],
        max_initial_timestamp_index=50, suppress_tokens=[], begin_suppress_tokens=[],
        max_length=448,
    )  # fmt: skip
    model.save_pretrained(folder)
    fe = transformers.WhisperFeatureExtractor(feature_size=80)
    transformers.WhisperProcessor(fe, tok).save_pretrained(folder)


def _ctc_processor(folder: Path, mask: bool):
    (folder / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(CHARS)}))
    tok = transformers.Wav2Vec2CTCTokenizer(str(folder / "vocab.json"))
    fe = transformers.Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=SR, padding_value=0.0, do_normalize=True,
        return_attention_mask=mask,
    )  # fmt: skip
    return transformers.Wav2Vec2Processor(fe, tok)


def _save_ctc(folder: Path, kind: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    if kind == "wav2vec2":  # layer-norm encoder: padding is masked
        config = transformers.Wav2Vec2Config(**ENCODER, feat_extract_norm="layer",
                                             do_stable_layer_norm=True)  # fmt: skip
        model, mask = transformers.Wav2Vec2ForCTC(config), True
    else:  # group-norm encoder (as hubert-base): padding cannot be masked
        config = transformers.HubertConfig(**ENCODER, feat_extract_norm="group")
        model, mask = transformers.HubertForCTC(config), False
    model.save_pretrained(folder)
    _ctc_processor(folder, mask).save_pretrained(folder)


def _save_encoder_decoder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    encoder = transformers.Wav2Vec2Config(**ENCODER, feat_extract_norm="layer",
                                          do_stable_layer_norm=True)  # fmt: skip
    decoder = transformers.BertConfig(
        vocab_size=len(CHARS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128, is_decoder=True,
        add_cross_attention=True, initializer_range=1.0,
    )  # fmt: skip
    config = transformers.SpeechEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id, config.eos_token_id, config.pad_token_id = 1, 2, 0
    torch.manual_seed(0)
    model = transformers.SpeechEncoderDecoderModel(config)
    gen = model.generation_config
    gen.decoder_start_token_id, gen.eos_token_id, gen.pad_token_id = 1, 2, 0
    model.save_pretrained(folder)
    _ctc_processor(folder, True).save_pretrained(folder)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on one torch thread: on a shared, loaded machine spinning intra-op threads
    cost several times the work itself."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """``{family: folder}`` of tiny checkpoints written by ``save_pretrained``."""
    root = tmp_path_factory.mktemp("hf-speech")
    _save_whisper(root / "whisper")
    _save_ctc(root / "wav2vec2", "wav2vec2")
    _save_ctc(root / "hubert", "hubert")
    _save_encoder_decoder(root / "speech-seq2seq")
    english = root / "whisper-en"
    shutil.copytree(root / "whisper", english)
    gen = json.loads((english / "generation_config.json").read_text())
    (english / "generation_config.json").write_text(json.dumps({**gen, "is_multilingual": False}))
    return {p.name: p for p in root.iterdir()}


@pytest.fixture(scope="module")
def asr_task():
    return load_task("spoken_shapes")


@pytest.fixture(scope="module")
def shapes(asr_task):
    """Four spoken_shapes utterances (real speech of different lengths), decoded."""
    samples = list(asr_task.samples(None))[:4]
    assert len({len(load_audio(s)) for s in samples}) > 1  # padding is exercised
    return samples


def _build(folder: Path, task, /, **args: str):
    return build_model(f"hf:{folder}", ModelContext(task, model_args=args))


def _direct(folder: Path, wave: np.ndarray, max_new_tokens: int, **generate) -> str:
    """One utterance through the checkpoint as transformers documents it (no mmbench code)."""
    processor = transformers.AutoProcessor.from_pretrained(folder)
    config = transformers.AutoConfig.from_pretrained(folder)
    with torch.inference_mode():
        if config.model_type == "whisper":
            model = transformers.WhisperForConditionalGeneration.from_pretrained(folder).eval()
            features = processor(wave, sampling_rate=SR, return_tensors="pt").input_features
            ids = model.generate(features, max_new_tokens=max_new_tokens, **generate)
        elif config.model_type in ("wav2vec2", "hubert"):
            model = transformers.AutoModelForCTC.from_pretrained(folder).eval()
            inputs = processor(audio=wave, sampling_rate=SR, return_tensors="pt")
            ids = model(**inputs).logits.argmax(-1)
        else:
            model = transformers.AutoModelForSpeechSeq2Seq.from_pretrained(folder).eval()
            inputs = processor(audio=wave, sampling_rate=SR, return_tensors="pt")
            ids = model.generate(**inputs, max_new_tokens=max_new_tokens, **generate)
    return " ".join(processor.batch_decode(ids, skip_special_tokens=True)[0].split())


@pytest.mark.parametrize("family", ["whisper", "wav2vec2", "hubert", "speech-seq2seq"])
def test_batch_equals_transformers_one_utterance_at_a_time(checkpoints, asr_task, shapes, family):
    model = _build(checkpoints[family], asr_task)
    hyps = model.predict(shapes)  # one padded batch of 4
    limit = asr_task.defaults["max_new_tokens"]
    assert hyps == [_direct(checkpoints[family], load_audio(s), limit) for s in shapes]
    assert len(set(hyps)) > 1 and all(hyps)  # random weights, yet the audio decides the text
    assert model.predict(shapes[::-1]) == hyps[::-1]  # deterministic, no state between batches
    info = model.info()
    assert (
        info["family"].startswith("asr-")
        and info["model_type"]
        == json.loads((checkpoints[family] / "config.json").read_text())["model_type"]
    )


def test_whisper_language_and_task_reach_generate(checkpoints, asr_task, shapes, monkeypatch):
    folder = checkpoints["whisper"]
    default = _build(folder, asr_task)
    french = _build(folder, asr_task, language="fr", task="translate")
    calls = []
    generate = type(french.module).generate

    def spy(module, *args, **kwargs):
        calls.append(kwargs)
        return generate(module, *args, **kwargs)

    monkeypatch.setattr(type(french.module), "generate", spy)
    hyps = french.predict(shapes[:2])
    assert calls[-1]["language"] == "fr" and calls[-1]["task"] == "translate"
    wave_hyps = [_direct(folder, load_audio(s), 64, language="fr", task="translate")
                 for s in shapes[:2]]  # fmt: skip
    assert hyps == wave_hyps
    assert hyps != default.predict(shapes[:2])  # the decoder prompt changed the output
    assert french.info()["generation"]["language"] == "fr"
    spec = f"hf:{folder}"
    assert fingerprint(french, spec, {"language": "fr", "task": "translate"}) != fingerprint(
        default, spec, {}
    )
    assert "language" not in default.generation_settings()


def test_beam_search_on_request(checkpoints, asr_task, shapes):
    folder = checkpoints["speech-seq2seq"]
    beams = _build(folder, asr_task, num_beams="3")
    assert beams.info()["generation"] == {"do_sample": False, "num_beams": 3, "max_new_tokens": 64}
    assert beams.predict(shapes[:2]) == [
        _direct(folder, load_audio(s), 64, num_beams=3) for s in shapes[:2]
    ]


def test_whisper_long_form_keeps_audio_past_30_seconds(checkpoints, asr_task, shapes):
    """A 35 s utterance is decoded whole in 30 s windows (transformers' long-form
    generation), as the Whisper docs call it; a short one in the same batch is unaffected."""
    from mmbench.types import Sample, TaskKind

    folder = checkpoints["whisper"]
    wave = np.concatenate([load_audio(s) for s in shapes] * 4)[: 35 * SR]
    assert len(wave) == 35 * SR
    long = Sample(id="long", kind=TaskKind.ASR, references=("x",), audio=wave)
    model = _build(folder, asr_task, max_new_tokens="16")
    processor = transformers.AutoProcessor.from_pretrained(folder)
    hf = transformers.WhisperForConditionalGeneration.from_pretrained(folder).eval()
    inputs = processor(wave, sampling_rate=SR, return_tensors="pt", truncation=False,
                       padding="longest", return_attention_mask=True)  # fmt: skip
    assert inputs.input_features.shape[-1] > 3000  # not cut to the 30 s window
    with torch.inference_mode():
        ids = hf.generate(**inputs, max_new_tokens=16)
    expected = " ".join(processor.batch_decode(ids, skip_special_tokens=True)[0].split())
    assert model.predict([long]) == [expected]
    short = model.predict(shapes[:2])
    assert model.predict([shapes[0], long, shapes[1]]) == [short[0], expected, short[1]]


def test_options_that_do_not_apply_are_refused(checkpoints, asr_task, shapes, tmp_path):
    english = _build(checkpoints["whisper-en"], asr_task)
    assert english.predict(shapes[:1]) == [
        _direct(checkpoints["whisper-en"], load_audio(shapes[0]), 64)
    ]
    with pytest.raises(ModelBuildError, match="English-only Whisper.*language"):
        _build(checkpoints["whisper-en"], asr_task, language="en")
    with pytest.raises(ModelBuildError, match=r"language='xx'.*en \(english\), fr \(french\)"):
        _build(checkpoints["whisper"], asr_task, language="xx")
    assert _build(checkpoints["whisper"], asr_task, language="French").options.language == "fr"
    with pytest.raises(ModelBuildError, match="num_beams does not apply: a CTC model"):
        _build(checkpoints["wav2vec2"], asr_task, num_beams="2")
    with pytest.raises(ModelBuildError, match="task does not apply: language and task are"):
        _build(checkpoints["speech-seq2seq"], asr_task, task="translate")
    with pytest.raises(ModelBuildError, match="prompt does not apply"):
        _build(checkpoints["whisper"], asr_task, prompt="transcribe this")
    bert = tmp_path / "bert"
    transformers.BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=8).save_pretrained(bert)  # fmt: skip
    with pytest.raises(ModelBuildError, match="not a speech recognizer.*'bert'"):
        _build(bert, asr_task)


def test_spoken_vqa_is_one_message_naming_what_is_needed(checkpoints, tmp_path, capsys):
    with pytest.raises(
        ModelBuildError, match="cannot answer spoken_vqa.*Qwen2.5-Omni.*torchvision"
    ):
        _build(checkpoints["whisper"], load_task("spoken_vqa"))
    code = main(["run", "--model", f"hf:{checkpoints['whisper']}", "--task", "spoken_vqa",
                 "--limit", "2", "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "openai:NAME" in err and "Traceback" not in err


def test_bf16_weights(checkpoints, asr_task, shapes):
    model = _build(checkpoints["wav2vec2"], asr_task, dtype="bf16")
    assert model.info()["dtype"] == "bfloat16"
    assert all(isinstance(h, str) for h in model.predict(shapes[:2]))


def _results(out: Path, task: str) -> dict:
    (path,) = (out / "results").glob(f"{task}__*.json")
    return json.loads(path.read_text())


def test_run_spoken_shapes_scores_wer_and_profiles_generation(checkpoints, tmp_path):
    out = tmp_path / "out"
    code = main(["run", "--model", f"hf:{checkpoints['whisper']}", "--task", "spoken_shapes",
                 "--limit", "4", "--batch-size", "2", "--out", str(out), "--no-progress",
                 "--bootstrap", "0", "--data-root", str(tmp_path / "data")])  # fmt: skip
    assert code == 0
    rec = _results(out, "spoken_shapes")
    assert rec["n_samples"] == 4 and rec["n_errors"] == 0
    assert rec["scores"]["wer"]["value"] > 0  # random weights: wrong words, but scored
    profile = json.dumps(rec["profile"])
    for phase in ("preprocess", "generate", "decode"):
        assert f"predict.{phase}" in profile
    assert rec["model"]["info"]["parameters"] > 0


def test_librispeech_layout_tree(checkpoints, shapes, tmp_path):
    """A LibriSpeech test-clean tree (speaker/chapter folders, ``.trans.txt``) read by the
    librispeech task through --data-root, recognized by a CTC model."""
    chapter = tmp_path / "LibriSpeech" / "test-clean" / "61" / "70968"
    chapter.mkdir(parents=True)
    lines = []
    for i, s in enumerate(shapes[:3]):
        shutil.copy(s.audio_path, chapter / f"61-70968-{i:04d}.flac")
        lines.append(f"61-70968-{i:04d} {s.references[0]}\n")
    (chapter / "61-70968.trans.txt").write_text("".join(lines))
    out = tmp_path / "out"
    code = main(["run", "--model", f"hf:{checkpoints['wav2vec2']}", "--task",
                 "librispeech_test_clean", "--data-root", str(tmp_path), "--out", str(out),
                 "--no-progress", "--bootstrap", "0"])  # fmt: skip
    assert code == 0
    rec = _results(out, "librispeech_test_clean")
    assert rec["n_samples"] == 3 and rec["n_errors"] == 0
    assert rec["scores"]["wer"]["value"] > 0 and rec["scores"]["cer"]["value"] > 0


@pytest.mark.parametrize("family", ["wav2vec2", "speech-seq2seq"])
def test_flops_are_counted_through_the_module(checkpoints, asr_task, shapes, family):
    """The weight-normed positional convolution of wav2vec2 encoders included."""
    from mmbench.profiling.compute import count_flops

    model = _build(checkpoints[family], asr_task)
    expected = model.predict(shapes[:2])
    hyps, flops = count_flops(model, lambda: model.predict(shapes[:2]), 2)
    assert hyps == expected
    assert flops["per_sample"] > 0 and flops["parameters"] == model.info()["parameters"]
