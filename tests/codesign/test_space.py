"""The search space: YAML entries to Optuna distributions, and mistakes named by their key."""

import optuna
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from sweep_fixtures import ROOT

from codesign.accelerator import check_accelerator_keys
from codesign.space import SearchSpace
from models.errors import UserError
from sweep import training_config


def test_entries_become_distributions_and_structured_choices_round_trip():
    space = SearchSpace.from_config(
        OmegaConf.create(
            {
                "kd.T": {"low": 1.0, "high": 8.0, "log": True},
                "model.width": {"low": 8, "high": 24, "step": 4},
                "model.blocks": [[1, 1, 1], [2, 2, 2]],
                "model.quant.bits": [None, 8],
                "trainer": {"max_epochs": {"type": "float", "low": 1, "high": 2}},  # nested form
                "optim.optimizer.lr": None,  # not searched
            }
        )
    )
    kinds = {p.key: type(p.distribution).__name__ for p in space}
    assert kinds == {
        "kd.T": "FloatDistribution",
        "model.width": "IntDistribution",
        "model.blocks": "CategoricalDistribution",
        "model.quant.bits": "CategoricalDistribution",
        "trainer.max_epochs": "FloatDistribution",
    }
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(8):
        values = space.suggest(study.ask())
        assert values["model.blocks"] in ([1, 1, 1], [2, 2, 2])  # lists again, not JSON text
        assert values["model.width"] in (8, 12, 16, 20, 24)
        assert 1.0 <= values["kd.T"] <= 8.0
    assert space.describe()["model.blocks"] == "{[1, 1, 1], [2, 2, 2]}"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kd.T": 3}, r"kd\.T.*give a list of choices or \{low, high\}"),
        ({"kd.T": {"low": 2, "high": 1}}, r"kd\.T.*need low <= high"),
        ({"kd.T": {"low": 0, "high": 1, "log": True}}, r"low > 0 with log"),
        ({"kd.T": {"low": 1, "hi": 2}}, r"unknown field\(s\) \['hi'\]"),
        ({"kd.T": {"choices": []}}, r"choices must be a non-empty list"),
        ({"kd.T": None}, r"every entry is null"),
        ({}, r"sweep\.space is empty: choose a space with sweep/space="),
    ],
)
def test_bad_entries_are_user_errors_naming_the_key(entry, message):
    with pytest.raises(UserError, match=message):
        SearchSpace.from_config(OmegaConf.create(entry))


def test_a_key_missing_from_the_training_config_is_named_with_a_hint():
    train_cfg = OmegaConf.create({"model": {"width": 16, "blocks": None}, "kd": {"T": 4.0}})
    space = SearchSpace.from_config({"model.widht": [8, 16], "model.blocks": [[1, 1, 1]]})
    with pytest.raises(UserError, match=r"'model\.widht'.*\(did you mean model\.width\?\)"):
        space.check_keys(train_cfg)
    SearchSpace.from_config({"model.blocks": [[1, 1, 1]], "accelerator.pe_rows": [8]}).check_keys(
        train_cfg
    )  # null-valued keys exist; accelerator keys are checked against the accelerator


def test_accelerator_keys_are_checked_against_the_architecture():
    check_accelerator_keys("eyeriss_like_q3", ["pe_rows", "pe_columns", "depth.shared_glb"])
    with pytest.raises(UserError, match=r"accelerator\.depth\.glb.*'shared_glb'"):
        check_accelerator_keys("eyeriss_like_q3", ["depth.glb"])


def test_integer_bounds_on_a_float_setting_give_a_float_range():
    train_cfg = OmegaConf.create(
        {"kd": {"alpha": 0.9}, "model": {"width": 16, "quant": {"bits": None}}}
    )
    space = SearchSpace.from_config(
        {
            "kd.alpha": {"low": 0, "high": 1},
            "model.width": {"low": 8, "high": 16},
            "model.quant.bits": {"low": 4, "high": 8},
        },
        train_cfg,
    )
    kinds = {p.key: type(p.distribution).__name__ for p in space}
    assert kinds == {
        "kd.alpha": "FloatDistribution",  # kd.alpha is a float in the config
        "model.width": "IntDistribution",
        "model.quant.bits": "IntDistribution",  # null in the config: the bounds decide
    }


def _shipped_default_space(*overrides: str) -> dict[str, str]:
    """conf/sweep/space/default.yaml composed with command-line overrides, as ranges."""
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("sweep", overrides=["sweep/space=default", *overrides])
    return SearchSpace.from_config(cfg.sweep.space, training_config(cfg)).describe()


def test_the_shipped_space_takes_plain_command_line_overrides():
    shipped = _shipped_default_space()
    assert shipped["kd.T"] == "1 .. 8 (log)" and shipped["model.quant.bits"] == "{null, 8, 4}"
    changed = _shipped_default_space(
        "sweep.space.trainer.max_epochs=[20,40]",  # change an entry
        "sweep.space.kd.T.high=4",  # one field of a range
        "sweep.space.model.quant.bits=null",  # drop an entry
        "+sweep.space.optim.optimizer.momentum=[0.8,0.9]",  # add one
    )
    assert changed["trainer.max_epochs"] == "{20, 40}" and changed["kd.T"] == "1 .. 4 (log)"
    assert "model.quant.bits" not in changed and changed["optim.optimizer.momentum"] == "{0.8, 0.9}"
    assert (
        _shipped_default_space("+sweep.space.trainer.max_epochs=[20,40]")["trainer.max_epochs"]
        == "{20, 40}"
    )  # the README's form
    with_area = _shipped_default_space(
        "sweep/accelerator=codesign", "sweep.space.accelerator.pe_rows=[8]"
    )
    assert with_area["accelerator.pe_rows"] == "{8}" and "accelerator.depth.shared_glb" in with_area


def test_flat_keys_still_work_and_the_later_of_flat_and_nested_wins():
    flat = SearchSpace.from_config({"kd.T": {"low": 1.0, "high": 8.0}, "model.width": [4, 8]})
    assert flat.keys == ["kd.T", "model.width"]
    # a flat file over the nested default (its entries come later), or a nested override of it
    assert SearchSpace.from_config({"kd": {"T": [2, 4]}, "kd.T": [1, 3]}).describe() == {
        "kd.T": "{1, 3}"
    }
    assert SearchSpace.from_config(
        {"kd.T": [1, 3], "kd": {"T": None}, "model.width": [4]}
    ).keys == ["model.width"]
