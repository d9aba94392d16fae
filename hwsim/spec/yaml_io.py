"""Reading Timeloop-format YAML.

Timeloop v0.4 files tag architecture nodes (``!Container``, ``!Component``, ``!Parallel``,
``!Hierarchical``, ``!Nothing``, ...). PyYAML's safe loader rejects unknown tags, so this loader
turns every tagged mapping into a `Tagged` dict that remembers its tag. Syntax errors become a
`SpecError` naming the file, line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hwsim.errors import SpecError


class Tagged(dict):
    """A YAML mapping that carried a local tag such as ``!Container``; `tag` holds it without ``!``."""

    def __init__(self, tag: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tag = tag

    def __repr__(self) -> str:
        return f"!{self.tag} {dict.__repr__(self)}"


class _TimeloopLoader(yaml.SafeLoader):
    """Safe loader that accepts any ``!Tag`` on mappings, sequences and scalars."""


def _construct_tagged(loader: _TimeloopLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return Tagged(tag_suffix, loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Tagged(tag_suffix, {"nodes": loader.construct_sequence(node, deep=True)})
    assert isinstance(node, yaml.ScalarNode)  # the third and last kind of YAML node
    value = loader.construct_scalar(node)
    return Tagged(tag_suffix, {} if value in ("", None) else {"value": value})


_TimeloopLoader.add_multi_constructor("!", _construct_tagged)


def parse_yaml_text(text: str, *, file: str | None = None) -> Any:
    """Parse YAML text; raise `SpecError` (with line and column) on a syntax error."""
    try:
        return yaml.load(text, Loader=_TimeloopLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = err.problem or err.context or "invalid YAML"
        raise SpecError(f"YAML syntax error: {where}{problem}", file=file) from None
    except yaml.YAMLError as err:
        raise SpecError(f"YAML syntax error: {err}", file=file) from None


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse one YAML file; a missing file or bad syntax is a `SpecError`."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise SpecError("is a directory, expected a YAML file", file=str(path)) from None
    except UnicodeDecodeError:
        raise SpecError("not a text file", file=str(path)) from None
    return parse_yaml_text(text, file=str(path))


def normalize_key(key: str) -> str:
    """Timeloop accepts ``data-spaces`` and ``data_spaces`` alike: compare keys with ``_``."""
    return key.replace("-", "_")
