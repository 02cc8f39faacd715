"""Model options (``ModelContext.model_args``), fingerprints and one-message build errors."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from mmbench.adapters.base import (
    ModelBuildError,
    ModelContext,
    build_model,
    check_model_args,
    declared_args,
    fingerprint,
    import_extra,
    parse_model_args,
    recorded_args,
)
from mmbench.tasks import load_task

SPEC = "fake_models:Suffixed"


def test_parse_keeps_everything_after_the_first_equals():
    assert parse_model_args(["a=1", "b.c-d=x=y", "empty="]) == {
        "a": "1",
        "b.c-d": "x=y",
        "empty": "",
    }


@pytest.mark.parametrize("item", ["beam", "=1", "two words=1", "1x=2", ""])
def test_parse_refuses_malformed_items(item):
    with pytest.raises(ModelBuildError, match="is not KEY=VALUE"):
        parse_model_args([item])


def test_parse_refuses_a_repeated_key():
    with pytest.raises(ModelBuildError, match="'a' is given twice"):
        parse_model_args(["a=1", "a=2"])


def test_context_args_are_read_only_and_pickle():
    given = {"suffix": "!"}
    ctx = ModelContext(model_args=given)
    given["suffix"] = "?"  # the context keeps its own copy
    assert ctx.model_args == {"suffix": "!"}
    with pytest.raises(TypeError):
        ctx.model_args["suffix"] = "?"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.model_args = {}  # type: ignore[misc]
    back = pickle.loads(pickle.dumps(ctx))
    assert back.model_args == {"suffix": "!"}
    assert ModelContext().model_args == {}


def test_args_reach_the_factory():
    model = build_model(SPEC, ModelContext(model_args={"suffix": "!"}))
    assert model.predict([None, None]) == ["yes!", "yes!"]


def test_registered_names_get_args_and_their_name_arg():
    # constant declares no options: any key is refused before the factory runs
    with pytest.raises(ModelBuildError, match="'constant:yes' takes no --model-arg"):
        build_model("constant:yes", ModelContext(model_args={"x": "1"}))
    assert build_model("constant:yes", ModelContext()).predict([None]) == ["yes"]


def test_unknown_key_lists_the_allowed_ones_and_the_closest():
    with pytest.raises(ModelBuildError) as err:
        build_model(SPEC, ModelContext(model_args={"sufix": "!"}))
    msg = str(err.value)
    assert "has no option 'sufix'" in msg and "Did you mean 'suffix'?" in msg
    for key in ("suffix: appended", "token: an API token", "timeout: seconds"):
        assert key in msg


def test_declared_args_of_a_class_factory():
    assert sorted(declared_args(SPEC)) == ["suffix", "timeout", "token"]
    check_model_args(SPEC, {"suffix": "", "token": "t"})  # no error


def test_output_options_enter_the_fingerprint_secrets_and_timing_do_not():
    model = build_model(SPEC, ModelContext())
    plain = fingerprint(model, SPEC)
    assert fingerprint(model, SPEC, {}) == plain
    assert fingerprint(model, SPEC, {"token": "s3cret", "timeout": "5"}) == plain
    with_suffix = fingerprint(model, SPEC, {"suffix": "!"})
    assert with_suffix != plain
    assert with_suffix != fingerprint(model, SPEC, {"suffix": "?"})
    assert fingerprint(model, SPEC, {"suffix": "!", "token": "other"}) == with_suffix


def test_recorded_args_leave_out_secrets():
    args = {"suffix": "!", "token": "s3cret", "timeout": "5"}
    assert recorded_args(SPEC, args) == {"suffix": "!", "timeout": "5"}


def test_missing_shipped_weights_is_a_build_error_naming_model_task_and_fix():
    with pytest.raises(ModelBuildError) as err:
        build_model("ref-gated", ModelContext(load_task("coco_karpathy_test")))
    msg = str(err.value)
    assert "'ref-gated' for task coco_karpathy_test" in msg
    assert "mmbench train --fusion gated --task coco_karpathy_test" in msg
    assert isinstance(err.value.__cause__, FileNotFoundError)


def test_value_error_of_a_factory_is_a_build_error():
    with pytest.raises(ModelBuildError, match="constant needs its text"):
        build_model("constant", ModelContext())


def test_missing_package_is_named():
    with pytest.raises(ModelBuildError, match="no_such_package_for_mmbench_tests is missing"):
        build_model("fake_models:failing_import", ModelContext())


def test_import_extra_names_the_extra_to_install():
    with pytest.raises(ModelBuildError, match=r'pip install "mmbench\[sphinx\]"'):
        import_extra("no_such_package_for_mmbench_tests", "sphinx", "sphinx")


def test_a_bug_in_a_factory_keeps_its_traceback():
    with pytest.raises(TypeError, match="a bug in the factory"):
        build_model("fake_models:buggy", ModelContext())


def test_no_options_need_no_factory_lookup():
    """A prebuilt model handed to the runner may carry a spec that names no factory."""
    model = build_model(SPEC, ModelContext())
    assert recorded_args("not-a-registered-model", {}) == {}
    assert fingerprint(model, "not-a-registered-model") == fingerprint(
        model, "not-a-registered-model", {}
    )
