"""models.config_dict: a config that must be a mapping, as a plain dict or one clear UserError."""

import pytest
from omegaconf import OmegaConf

from models.config_dict import config_dict
from models.errors import UserError


def test_a_mapping_becomes_a_plain_dict_resolved_only_when_asked() -> None:
    cfg = OmegaConf.create({"a": 1, "b": "${a}", "c": {"d": [1, 2]}})
    assert config_dict(cfg, "x", resolve=True) == {"a": 1, "b": 1, "c": {"d": [1, 2]}}
    assert config_dict(cfg, "x")["b"] == "${a}"
    assert config_dict({"k": 2}, "x") == {"k": 2}


@pytest.mark.parametrize(
    ("node", "got"),
    [
        (OmegaConf.create([1, 2]), "a list ([1, 2])"),
        (OmegaConf.create({"m": None}).m, "null"),
        (None, "null"),
        ("resnet8", "a str ('resnet8')"),
    ],
)
def test_anything_else_is_one_line_naming_the_field(node: object, got: str) -> None:
    with pytest.raises(UserError) as err:
        config_dict(node, "sweep.space")
    assert str(err.value) == f"sweep.space must be a mapping, got {got}"
