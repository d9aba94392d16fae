"""Reading Timeloop-format YAML.

Timeloop v0.4 files tag architecture nodes (``!Container``, ``!Component``, ``!Parallel``,
``!Hierarchical``, ``!Nothing``, ...). PyYAML's safe loader rejects unknown tags, so this loader
turns every tagged mapping into a `Tagged` dict that remembers its tag. Syntax errors become a
`SpecError` naming the file, line and column.

libyaml (PyYAML's C parser) scans, parses and composes the node graph; constructing values stays
in Python (PyYAML's `SafeConstructor`), so the duplicate-key check below sees every mapping, and
one walk over the composed graph enforces the depth cap. The pure-Python scanner cost a
whole-process ``hwsim`` call a tenth of a second per spec folder, its composer another 10 ms;
libyaml does both in milliseconds. PyYAML built without libyaml falls back to its Python parser
and composer, same results.

Hostile input is refused before it is built: a key written twice in one mapping (YAML keeps the
last silently), nesting deeper than `MAX_DEPTH`, a recursive alias, and aliases that expand to
more than `MAX_VALUES` values (a "billion laughs" file is a few lines). A document without
aliases is a tree no deeper than `MAX_DEPTH`, so only one with an alias (or past `MAX_VALUES`
nodes) is walked for its expanded size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer

from hwsim.errors import SpecError
from hwsim.spec.input_files import read_input_text

#: Deepest nesting of YAML collections accepted (Timeloop specs nest about ten deep).
MAX_DEPTH = 100
#: Most values (scalars and collections) a document may hold once its aliases are expanded.
MAX_VALUES = 1_000_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
#: libyaml's message for a document nested past its own limit (1000 levels, above `MAX_DEPTH`).
_LIBYAML_DEPTH = "exceeded maximum nesting depth"


class Tagged(dict):
    """A YAML mapping that carried a local tag such as ``!Container``; `tag` holds it without ``!``."""

    def __init__(self, tag: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tag = tag

    def __repr__(self) -> str:
        return f"!{self.tag} {dict.__repr__(self)}"


class _LimitError(Exception):
    """A document over one of the limits, at a position of the file."""

    def __init__(self, message: str, mark: yaml.Mark | None):
        super().__init__(message)
        self.message = message
        self.mark = mark


#: libyaml's safe loader where PyYAML was built with it (the wheels are), else the Python one.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: libyaml refuses nesting past 1000 levels since 0.2.5; older ones recurse without a limit.
_C_COMPOSER = hasattr(yaml, "CSafeLoader") and yaml._yaml.get_version() >= (0, 2, 5)


class _TimeloopLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """Safe loader that accepts any ``!Tag`` on mappings, sequences and scalars and refuses
    duplicate keys.

    The C loader composes the node graph in C, recursively: safe because libyaml stops nesting
    at 1000 levels (a 16 MiB file of ``[`` would otherwise exhaust the C stack); `measure` then
    walks the graph for `MAX_DEPTH` and for aliases."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.composed = 0  # nodes composed
        self.aliased = False  # whether an alias reuses a node (then the graph is not a tree)

    def measure(self, root: yaml.Node) -> None:
        """Refuse a graph deeper than `MAX_DEPTH`; count its nodes and note whether a node is
        reached twice (an alias)."""
        seen: set[int] = set()
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if id(node) in seen:
                self.aliased = True
                continue
            seen.add(id(node))
            if depth > MAX_DEPTH:
                raise _LimitError(f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
            stack.extend((child, depth + 1) for child in _children(node))
        self.composed = len(seen)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = (key_node.tag, normalize_key(str(key_node.value)))
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise _LimitError(
                    f"duplicate key {key_node.value!r} (first on line {first}); "
                    "write each key once",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


class _PythonComposedLoader(_TimeloopLoader):
    """`_TimeloopLoader` with PyYAML's Python `Composer` reading the parser's events, for a
    libyaml without the nesting cap (or no libyaml): `compose_node` bounds the depth as it goes
    and counts what `measure` would."""

    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    compose_scalar_node = Composer.compose_scalar_node
    compose_sequence_node = Composer.compose_sequence_node
    compose_mapping_node = Composer.compose_mapping_node

    def __init__(self, stream: str):
        super().__init__(stream)
        self.anchors: dict[Any, yaml.Node] = {}  # Composer's state (its __init__ is not run)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        self.composed += 1
        if self.check_event(yaml.AliasEvent):
            self.aliased = True
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError(
                    f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                )
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1

    def measure(self, root: yaml.Node) -> None:
        """Done while composing."""


def _construct_tagged(loader: _TimeloopLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return Tagged(tag_suffix, loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Tagged(tag_suffix, {"nodes": loader.construct_sequence(node, deep=True)})
    assert isinstance(node, yaml.ScalarNode)  # the third and last kind of YAML node
    value = loader.construct_scalar(node)
    return Tagged(tag_suffix, {} if value in ("", None) else {"value": value})


_TimeloopLoader.add_multi_constructor("!", _construct_tagged)
#: The loader `parse_yaml_text` uses.
_LOADER: type[_TimeloopLoader] = _TimeloopLoader if _C_COMPOSER else _PythonComposedLoader


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a recursive alias, or aliases that expand past `MAX_VALUES` values or `MAX_DEPTH`
    levels: one pass over the composed graph (aliases share nodes), nothing expanded."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_VALUES:
                raise _LimitError(
                    f"aliases expand this document past {MAX_VALUES:,} values", node.start_mark
                )
            if depth[key] > MAX_DEPTH:
                raise _LimitError(
                    f"aliases nest this document more than {MAX_DEPTH} levels deep",
                    node.start_mark,
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise _LimitError("a recursive alias (it contains itself)", node.start_mark)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def _where(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""


def parse_yaml_text(text: str, *, file: str | None = None) -> Any:
    """Parse YAML text; raise `SpecError` (with line and column) on a syntax error, a duplicate
    key, or a document over the nesting and alias limits."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        loader.measure(node)
        if loader.aliased or loader.composed > MAX_VALUES:  # else a tree of few enough values
            _check_expansion(node)
        return loader.construct_document(node)
    except _LimitError as err:
        raise SpecError(f"{_where(err.mark)}{err.message}", file=file) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if err.problem == _LIBYAML_DEPTH:  # libyaml's own cap (1000), met while scanning ahead
            message = f"{_where(mark)}nested more than {MAX_DEPTH} levels deep"
            raise SpecError(message, file=file) from None
        problem = err.problem or err.context or "invalid YAML"
        raise SpecError(f"YAML syntax error: {_where(mark)}{problem}", file=file) from None
    except yaml.YAMLError as err:
        raise SpecError(f"YAML syntax error: {err}", file=file) from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse one YAML file; a missing, unreadable or non-regular file or bad syntax is
    a `SpecError` (see `hwsim.spec.input_files`)."""
    return parse_yaml_text(read_input_text(path), file=str(path))


def normalize_key(key: str) -> str:
    """Timeloop accepts ``data-spaces`` and ``data_spaces`` alike: compare keys with ``_``."""
    return key.replace("-", "_")
