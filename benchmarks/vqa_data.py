"""Generated VQAv2-format files (questions, annotations, results) with quirk-rich answers.

Used by ``bench_vqa.py`` and by the parity test. Answers mix case, punctuation, number
words, articles, contractions, whitespace and unanimous / split annotator votes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

VARIANTS = [
    ["yes", "Yes", "YES", "yes!", " yes\n", "yes."],
    ["no", "No", "no.", "nope", "no!"],
    ["2", "two", "Two", "2.", "two dogs", "2 dogs"],
    ["the dog", "dog", "a dog", "Dog", "dogs", "hot-dog", "hot dog", "hot / dog"],
    ["1,000", "1000", "1,000!", "one thousand", "10.5", "10.5.", ".5"],
    ["dont know", "don't know", "Dont Know", "i dont", "Im not sure", "i'm not sure"],
    ["red/white", "red white", "red, white", "red,white", "red / white", "white"],
    ["none", "0", "zero", "nothing", "a"],
    ["t-shirt", "tshirt", "t shirt", "T-Shirt", "(shirt)", "shirt?"],
    ["5:30", "5 30", "half past 5", "5:30 pm", "e.g. noon", "a.m."],
]
ANSWER_TYPES = ["yes/no", "number", "other"]
QUESTION_TYPES = [
    "is the",
    "how many",
    "what color",
    "what is the",
    "what time",
    "none of the above",
]


def generate(n: int, seed: int = 0) -> tuple[dict, dict, list]:
    """``(questions, annotations, results)`` objects for ``n`` questions."""
    rng = random.Random(seed)
    questions, annotations, results = [], [], []
    for k in range(n):
        qid = 1000 * k + 7
        pool = rng.choice(VARIANTS)
        if rng.random() < 0.35:
            answers = [rng.choice(pool)] * 10  # unanimous
        else:
            weights = [rng.random() for _ in pool]
            answers = rng.choices(pool, weights=weights, k=10)
        questions.append({"question_id": qid, "image_id": k, "question": f"question {k}?"})
        annotations.append(
            {
                "question_id": qid,
                "image_id": k,
                "question_type": rng.choice(QUESTION_TYPES),
                "answer_type": rng.choice(ANSWER_TYPES),
                "multiple_choice_answer": answers[0],
                "answers": [
                    {"answer": a, "answer_confidence": "yes", "answer_id": i + 1}
                    for i, a in enumerate(answers)
                ],
            }
        )
        pred_pool = pool if rng.random() < 0.8 else rng.choice(VARIANTS)
        results.append({"question_id": qid, "answer": rng.choice(pred_pool)})
    rng.shuffle(results)
    meta = {
        "info": {},
        "task_type": "Open-Ended",
        "data_type": "mscoco",
        "data_subtype": "gen",
        "license": {},
    }
    return {**meta, "questions": questions}, {**meta, "annotations": annotations}, results


def write(folder: Path, n: int, seed: int = 0) -> tuple[Path, Path, Path]:
    """Write the three files under ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    q, a, r = generate(n, seed)
    paths = (
        folder / "v2_OpenEnded_mscoco_gen_questions.json",
        folder / "v2_mscoco_gen_annotations.json",
        folder / "results.json",
    )
    for path, obj in zip(paths, (q, a, r), strict=True):
        path.write_text(json.dumps(obj))
    return paths
