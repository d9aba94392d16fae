"""A config node that must be a mapping, as a plain dict: the one typed way out of OmegaConf.

`OmegaConf.to_container` may return a dict, a list, a string or None; code that needs a mapping
calls `config_dict`, which says in one line which config is not one.
"""

from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from models.errors import UserError


def config_dict(node: object, where: str, *, resolve: bool = False) -> dict[Any, Any]:
    """`node` (a DictConfig or a mapping) as a plain dict, interpolations resolved when `resolve`;
    a UserError "`where` must be a mapping, got ..." when it is anything else (a list, null)."""
    plain: object = node
    if isinstance(node, DictConfig | ListConfig):
        plain = OmegaConf.to_container(node, resolve=resolve)
    if isinstance(plain, dict):
        return plain
    if isinstance(plain, Mapping):
        return dict(plain)
    shown = "null" if plain is None else f"a {type(plain).__name__} ({plain!r:.60})"
    raise UserError(f"{where} must be a mapping, got {shown}")
