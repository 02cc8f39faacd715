"""``mmbench score vqa`` / ``score asr`` end to end, in a subprocess that must not import torch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = (
    "import sys, json\n"
    "from mmbench.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps({'torch': 'torch' in sys.modules, 'code': code}), file=sys.stderr)\n"
)


def _mmbench(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=env, timeout=120
    )
    status = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc, status


def _vqa_files(tmp_path, answers):
    q = {"questions": [{"question_id": i, "image_id": i, "question": "?"} for i in (1, 2)]}
    a = {
        "annotations": [
            {
                "question_id": 1,
                "image_id": 1,
                "question_type": "is the",
                "answer_type": "yes/no",
                "answers": [{"answer": "yes", "answer_id": k + 1} for k in range(10)],
            },
            {
                "question_id": 2,
                "image_id": 2,
                "question_type": "how many",
                "answer_type": "number",
                "answers": [
                    {"answer": x, "answer_id": k + 1} for k, x in enumerate(["2"] * 3 + ["3"] * 7)
                ],
            },
        ]
    }
    r = [{"question_id": qid, "answer": ans} for qid, ans in answers]
    paths = []
    for name, obj in (("q.json", q), ("a.json", a), ("r.json", r)):
        (tmp_path / name).write_text(json.dumps(obj))
        paths.append(str(tmp_path / name))
    return paths


def test_score_vqa_json_without_torch(tmp_path):
    q, a, r = _vqa_files(tmp_path, [(1, "yes"), (2, "two")])
    proc, status = _mmbench(
        "score",
        "vqa",
        "--questions",
        q,
        "--annotations",
        a,
        "--results",
        r,
        "--json",
        "--bootstrap",
        "50",
    )
    assert status == {"torch": False, "code": 0}, proc.stderr
    out = json.loads(proc.stdout)
    score = out["scores"]["vqa_accuracy"]
    assert score["value"] == pytest.approx((1.0 + 0.9) / 2)
    assert score["signature"].startswith("vqa-acc|rules:2021|")
    assert score["extra"]["per_answer_type"] == {"number": pytest.approx(0.9), "yes/no": 1.0}
    assert len(score["ci95"]) == 2


def test_score_vqa_legacy_table_and_refusal(tmp_path):
    q, a, r = _vqa_files(tmp_path, [(1, "Yes"), (2, "two")])
    proc, status = _mmbench(
        "score",
        "vqa",
        "--questions",
        q,
        "--annotations",
        a,
        "--results",
        r,
        "--rules",
        "legacy",
        "--bootstrap",
        "0",
    )
    assert status["code"] == 0, proc.stderr
    assert "vqa_accuracy" in proc.stdout and "rules:legacy" in proc.stdout
    q, a, r = _vqa_files(tmp_path, [(1, "yes")])
    proc, status = _mmbench("score", "vqa", "--questions", q, "--annotations", a, "--results", r)
    assert status["code"] != 0
    assert "1 annotated question ids are missing" in proc.stderr


def test_score_asr_dir_json(tmp_path):
    chapter = tmp_path / "refs" / "19" / "198"
    chapter.mkdir(parents=True)
    (chapter / "19-198.trans.txt").write_text(
        "19-198-0000 HELLO WORLD\n19-198-0001 GOOD MORNING SIR\n"
    )
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("19-198-0001 good morning\n19-198-0000 Hello, world!\n")
    proc, status = _mmbench(
        "score",
        "asr",
        "--references",
        str(tmp_path / "refs"),
        "--hypotheses",
        str(hyp),
        "--json",
        "--bootstrap",
        "20",
    )
    assert status == {"torch": False, "code": 0}, proc.stderr
    out = json.loads(proc.stdout)
    assert out["n_samples"] == 2
    assert out["scores"]["wer"]["value"] == pytest.approx(1 / 5)
    assert out["scores"]["wer"]["extra"] == {
        "substitutions": 0,
        "deletions": 1,
        "insertions": 0,
        "hits": 4,
    }
    assert out["scores"]["cer"]["signature"].startswith("cer|norm:librispeech|unit:char|")


def test_score_asr_refuses_id_mismatch(tmp_path):
    ref = tmp_path / "a.trans.txt"
    ref.write_text("u1 A B\nu2 C\n")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("u1 a b\nu3 c\n")
    proc, status = _mmbench("score", "asr", "--references", str(ref), "--hypotheses", str(hyp))
    assert status["code"] != 0
    assert "1 reference utterances have no hypothesis" in proc.stderr
    assert "1 hypothesis ids are not in the references" in proc.stderr
