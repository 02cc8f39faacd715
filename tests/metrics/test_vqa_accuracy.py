"""VQA accuracy: one table-driven case per rule/quirk of each official revision, parity with
a straight port of the official script on generated data, the file loader's refusals."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbench.datasets.vqa_files import VQAFileError, load_vqa_eval
from mmbench.metrics.base import get_metric
from mmbench.metrics.vqa_accuracy import VQAAccuracy, breakdown

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# (prediction, references, expected 2021, expected legacy, official logic)
CASES = [
    (
        "cat",
        ["cat"] + ["dog"] * 9,
        0.3,
        0.3,
        "leave-one-out: 9 subsets hold the one match (1/3), 1 subset none -> 9/3/10",
    ),
    ("cat", ["cat"] * 2 + ["dog"] * 8, 0.6, 0.6, "m=2: (2*min(1,1/3) + 8*min(1,2/3))/10"),
    ("cat", ["cat"] * 3 + ["dog"] * 7, 0.9, 0.9, "m=3: (3*2/3 + 7*1)/10"),
    ("cat", ["cat"] * 4 + ["dog"] * 6, 1.0, 1.0, "m>=4: every subset has >=3 matches"),
    ("cow", ["cat"] * 4 + ["dog"] * 6, 0.0, 0.0, "no match"),
    ("cat", ["cat"] * 3, 2 / 3, 2 / 3, "n=3 annotators: each subset of 2 holds 2 matches -> 2/3"),
    (
        "Yes",
        ["yes"] * 10,
        0.0,
        1.0,
        "2021: unanimous answers -> no normalization, exact match; legacy always normalizes resAns",
    ),
    (" yes\n", ["yes"] * 10, 1.0, 1.0, "both: resAns newline/tab cleanup + strip"),
    (
        "the cat",
        ["the cat"] * 10,
        1.0,
        0.0,
        "legacy: resAns loses its article but unanimous GT is never processed",
    ),
    (
        "two",
        ["two"] * 8 + ["2"] * 2,
        1.0,
        0.6,
        "2021: non-unanimous GT gets processDigitArticle; legacy: GT gets processPunctuation only",
    ),
    ("dog", ["the dog"] * 9 + ["dog"], 1.0, 0.3, "legacy: articles stay in non-unanimous GT"),
    ("yes", ["yes\n"] * 5 + ["no"] * 5, 1.0, 0.0, "legacy: GT answers are never stripped"),
    (
        "yes",
        ["yes\n"] + ["yes"] * 9,
        1.0,
        1.0,
        "2021: GT stripped before the unanimity test (unanimous); legacy: raw GT differ",
    ),
    ("Yes", ["yes\n"] + ["yes"] * 9, 0.0, 1.0, "2021: unanimous after strip -> case-sensitive"),
    (
        "YES",
        ["Yes"] * 5 + ["yes"] * 5,
        1.0,
        1.0,
        "2021: both sides lower-cased; legacy: resAns lower-cased matches the 5 'yes'",
    ),
    (
        "hot-dog",
        ["hot dog"] * 6 + ["hot-dog"] * 4,
        1.0,
        1.0,
        "both: '-' replaced by ' ' (GT punctuation processed when not unanimous)",
    ),
    ("1,000", ["1000"] * 5 + ["1,000"] * 5, 1.0, 1.0, "digit,digit -> commas deleted"),
    ("none", ["0"] * 5 + ["1"] * 5, 1.0, 1.0, "'none' -> '0' (manualMap)"),
    ("none", ["none"] * 10, 1.0, 0.0, "legacy: resAns 'none' -> '0' against unprocessed 'none'"),
    ("dont", ["don't"] * 5 + ["no"] * 5, 1.0, 1.0, "contractions restore the apostrophe"),
    (
        "Yes.",
        ["yes"] * 10,
        0.0,
        1.0,
        "2021: 'Black.' vs unanimous 'black' scores 0 (lmms-eval #794)",
    ),
]


@pytest.mark.parametrize(("pred", "refs", "exp2021", "explegacy", "why"), CASES)
def test_rules_table(pred, refs, exp2021, explegacy, why):
    assert VQAAccuracy("2021").stats([pred], [refs])[0] == pytest.approx(exp2021, abs=1e-12), why
    assert VQAAccuracy("legacy").stats([pred], [refs])[0] == pytest.approx(explegacy, abs=1e-12), (
        why
    )


def test_unknown_rules_refused():
    with pytest.raises(ValueError, match="legacy"):
        get_metric("vqa_accuracy", rules="2017")


@pytest.mark.parametrize("rules", ["2021", "legacy"])
def test_parity_with_official_port(tmp_path, rules):
    data, port = _load("vqa_data"), _load("vqa_official_port")
    qf, af, rf = data.write(tmp_path, 3000, seed=1)
    vqa = port.VQA(str(af), str(qf))
    ev = port.VQAEval(vqa, vqa.loadRes(str(rf), str(qf)), revision=rules)
    ev.evaluate()
    ours = load_vqa_eval(qf, af, rf)
    metric = VQAAccuracy(rules)
    stats = metric.stats(ours.predictions, ours.references)
    official = ev.accuracy_raw
    assert stats == [official["perQuestion"][q] for q in ours.question_ids]  # bit for bit
    assert metric.score(stats)["vqa_accuracy"] == pytest.approx(official["overall"], abs=1e-12)
    for mine, theirs in (
        (breakdown(stats, ours.answer_types), official["perAnswerType"]),
        (breakdown(stats, ours.question_types), official["perQuestionType"]),
    ):
        assert mine.keys() == theirs.keys()
        for k in mine:
            assert mine[k] == pytest.approx(theirs[k], abs=1e-12)
    # the official's printed number is the same value rounded
    assert round(100 * metric.score(stats)["vqa_accuracy"], 2) == ev.accuracy["overall"]


def test_signature_format():
    sig = VQAAccuracy().signature()
    assert sig.startswith(
        "vqa-acc|rules:2021|src:vqaEval.py@a013f00|norm:vqa|agg:loo-min1-m/3|mmbench:"
    )
    assert (
        VQAAccuracy("legacy").signature().startswith("vqa-acc|rules:legacy|src:vqaEval.py@c4e6a0e|")
    )


def _files(tmp_path, results):
    q = {"questions": [{"question_id": i, "image_id": i, "question": "?"} for i in (1, 2, 3)]}
    a = {
        "annotations": [
            {
                "question_id": i,
                "image_id": i,
                "question_type": "what",
                "answer_type": "other",
                "answers": [{"answer": "x", "answer_id": 1}],
            }
            for i in (1, 2, 3)
        ]
    }
    paths = []
    for name, obj in (("q.json", q), ("a.json", a), ("r.json", results)):
        (tmp_path / name).write_text(json.dumps(obj))
        paths.append(tmp_path / name)
    return paths


def test_loader_refuses_missing_and_extra_ids(tmp_path):
    paths = _files(
        tmp_path,
        [
            {"question_id": 1, "answer": "x"},
            {"question_id": 9, "answer": "y"},
            {"question_id": 8, "answer": "y"},
        ],
    )
    with pytest.raises(
        VQAFileError, match=r"2 annotated question ids are missing.*2 question ids are not"
    ):
        load_vqa_eval(*paths)


def test_loader_refuses_duplicates_and_bad_answers(tmp_path):
    with pytest.raises(VQAFileError, match="answered twice"):
        load_vqa_eval(*_files(tmp_path, [{"question_id": 1, "answer": "x"}] * 2))
    with pytest.raises(VQAFileError, match=r"r.json\[0\].*must be a string"):
        load_vqa_eval(*_files(tmp_path, [{"question_id": 1, "answer": 3}]))
    with pytest.raises(VQAFileError, match="JSON array"):
        load_vqa_eval(*_files(tmp_path, {"question_id": 1}))


@pytest.fixture(params=["msgspec", "stdlib"])
def json_backend(request, monkeypatch):
    """Run a loader test with msgspec (when installed) and with the standard library."""
    import mmbench.datasets.vqa_files as vf

    if request.param == "msgspec":
        pytest.importorskip("msgspec")
    else:
        monkeypatch.setattr(vf, "msgspec", None)
    return request.param


def test_loader_backends_agree(tmp_path, monkeypatch):
    import mmbench.datasets.vqa_files as vf

    pytest.importorskip("msgspec")
    paths = _load("vqa_data").write(tmp_path, 300, seed=2)
    fast = load_vqa_eval(*paths)
    monkeypatch.setattr(vf, "msgspec", None)
    assert load_vqa_eval(*paths) == fast


def test_loader_names_malformed_annotation(tmp_path, json_backend):
    q, a, r = _files(tmp_path, [{"question_id": i, "answer": "x"} for i in (1, 2, 3)])
    data = json.loads(a.read_text())
    del data["annotations"][1]["answer_type"]
    a.write_text(json.dumps(data))
    with pytest.raises(VQAFileError) as err:
        load_vqa_eval(q, a, r)
    for part in ("a.json", "$.annotations[1]", "answer_type"):
        assert part in str(err.value)
    data["annotations"][1]["answer_type"] = "other"
    data["annotations"][1]["answers"] = [{"answer_id": 1}]
    a.write_text(json.dumps(data))
    with pytest.raises(VQAFileError) as err:
        load_vqa_eval(q, a, r)
    for part in ("a.json", "$.annotations[1]", "answer"):
        assert part in str(err.value)


def test_loader_gives_line_and_column_of_broken_json(tmp_path, json_backend):
    q, a, r = _files(tmp_path, [{"question_id": i, "answer": "x"} for i in (1, 2, 3)])
    a.write_text('{"annotations": [\n {"question_id": 1,,}]}')
    with pytest.raises(VQAFileError, match=r"a\.json:2:20: malformed JSON"):
        load_vqa_eval(q, a, r)


ANSWERS = ["yes", "Yes", "yes.", "2", "two", "the dog", "dog", "1,000", "1000", "red/white", ""]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ANSWERS),
            st.lists(st.sampled_from(ANSWERS), min_size=1, max_size=10),
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 12),
    st.sampled_from(["2021", "legacy"]),
)
def test_batched_equals_one_shot_per_question(items, cut, rules):
    """Scores do not depend on batching: shards concatenate to the one-shot statistics,
    each equals the single-question value, and all lie in [0, 1]."""
    metric = VQAAccuracy(rules)
    preds, refs = [p for p, _ in items], [r for _, r in items]
    whole = metric.stats(preds, refs)
    assert metric.stats(preds[:cut], refs[:cut]) + metric.stats(preds[cut:], refs[cut:]) == whole
    assert whole == [metric.stats([p], [r])[0] for p, r in items]
    assert all(0.0 <= v <= 1.0 for v in whole)
