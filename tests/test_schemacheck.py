"""The fast check accepts and rejects exactly what jsonschema does: on published results
records, and on every record made by breaking one field of them in each way we know."""

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mmbench.results import record_problem, schema, validate
from mmbench.schemacheck import compile_check

ROOT = Path(__file__).resolve().parents[1]
#: Records with every optional part between them: captioning (FLOPs, distributed), VQA,
#: ASR, a perturbed run.
RECORDS = [
    "leaderboards/fusion/results/shapes_caption__ref-concat.json",
    "leaderboards/fusion/results/spoken_vqa__ref-gated.json",
    "leaderboards/mini/results/spoken_shapes__sphinx.json",
    "leaderboards/robustness/results/easyvqa__ref-gated__image_gaussian_noise_3.json",
]
#: What a field is replaced with: every JSON type, bounds, integers as floats, bool vs 1.
PROBES: list[Any] = [None, True, 1.0, -1, 1.5, 6, "", "0" * 64, [1.0, 2.0, 3.0], {}, float("nan")]


def _paths(value: Any, at: tuple = ()) -> Iterator[tuple]:
    yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:2]):
            yield from _paths(v, (*at, i))


def _mutants(record: dict[str, Any], seen: set) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each field not ``seen`` in an earlier record replaced by each probe, deleted, and
    each object given an unknown key."""
    for path in _paths(record):
        # a field's place in the schema: list positions and score names do not matter, and
        # the free-form objects (model info, a score's extra) are probed only as a whole
        shape = tuple("*" if path[:1] == ("scores",) and i == 1 else k for i, k in enumerate(path))
        shape = tuple(k for k in shape if isinstance(k, str))
        if not path or shape in seen or {"info", "extra"} & set(path[:-1]):
            continue
        seen.add(shape)
        *head, last = path
        for probe in [*PROBES, "<delete>", "<extra>"]:
            out = copy.deepcopy(record)
            parent = out
            for k in head:
                parent = parent[k]
            if probe == "<delete>":
                if isinstance(parent, list):
                    continue
                del parent[last]
            elif probe == "<extra>":
                if not isinstance(parent[last], dict):
                    continue
                parent[last]["unexpected_key"] = 1
            else:
                parent[last] = copy.deepcopy(probe)
            yield f"{'/'.join(map(str, path))} <- {probe!r}", out


def test_fast_check_agrees_with_jsonschema():
    fast = compile_check(schema())
    slow = jsonschema.validators.validator_for(schema())(schema()).is_valid
    seen: set = set()
    rejected = 0
    for name in RECORDS:
        record = json.loads((ROOT / name).read_text())
        assert fast(record) and slow(record)
        for what, mutant in _mutants(record, seen):
            assert fast(mutant) == slow(mutant), f"{name}: {what}"
            rejected += not slow(mutant)
    assert rejected > 300  # the mutations did break records, in many places


def test_every_published_record_passes():
    fast = compile_check(schema())
    files = sorted(ROOT.glob("leaderboards/*/results/*.json"))
    assert len(files) > 100
    for f in files:
        assert fast(json.loads(f.read_text())), f


def test_validate_still_names_the_error():
    record = json.loads((ROOT / RECORDS[0]).read_text())
    record["n_samples"] = -3
    with pytest.raises(jsonschema.ValidationError, match="-3"):
        validate(record)
    assert record_problem(record) == "at n_samples: -3 is less than the minimum of 0"


def test_unknown_keywords_refuse_to_compile():
    with pytest.raises(ValueError, match="patternProperties"):
        compile_check({"type": "object", "patternProperties": {"^x": {"type": "string"}}})
    with pytest.raises(ValueError, match="colour"):
        compile_check({"type": "colour"})


def test_recursive_refs_and_conditionals():
    tree = {
        "$defs": {
            "node": {"type": "object", "properties": {"kids": {"items": {"$ref": "#/$defs/node"}}}}
        },
        "$ref": "#/$defs/node",
        "if": {"required": ["leaf"]},
        "then": {"properties": {"kids": {"maxItems": 0}}},
    }
    check = compile_check(tree)
    assert check({"kids": [{"kids": [{}]}]})
    assert not check({"kids": [{"kids": [3]}]})
    assert not check({"leaf": 1, "kids": [{}]})
    assert check({"leaf": 1, "kids": []})
