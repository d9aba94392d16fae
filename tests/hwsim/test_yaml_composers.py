"""Both YAML composers refuse the same hostile documents and build the same values.

`parse_yaml_text` composes in C where libyaml caps nesting (0.2.5 on) and walks the graph after;
with an older libyaml it composes in Python and checks while composing. The end-to-end hostile
cases (test_hostile_inputs) run whichever this install has; these run both."""

from __future__ import annotations

import pytest

from hwsim.course_material import accelerator_dir
from hwsim.errors import SpecError
from hwsim.spec import yaml_io
from hwsim.spec.yaml_io import MAX_DEPTH, Tagged, parse_yaml_text

LOADERS = {
    "c_composer": yaml_io._TimeloopLoader,
    "python_composer": yaml_io._PythonComposedLoader,
}


@pytest.fixture(params=sorted(LOADERS))
def loader(request, monkeypatch):
    monkeypatch.setattr(yaml_io, "_LOADER", LOADERS[request.param])
    return request.param


def nested_flow(depth: int) -> str:
    return "x: " + "[" * depth + "1" + "]" * depth + "\n"


def nested_block(depth: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"


def alias_bomb(levels: int = 7) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # the mapping is one level and the scalar one: MAX_DEPTH - 2 brackets fit, one more does not
        (nested_flow(MAX_DEPTH - 1), ("line 1", f"nested more than {MAX_DEPTH}")),
        (nested_block(MAX_DEPTH), (f"nested more than {MAX_DEPTH}",)),
        (nested_flow(5000), ("line 1", f"nested more than {MAX_DEPTH}")),
        (alias_bomb(), ("line 6", "aliases expand")),
        ("x: &a [*a]\n", ("line 1", "recursive alias")),
        ("x: 1\ny: 2\nx: 3\n", ("line 3", "duplicate key 'x'", "first on line 1")),
    ],
    ids=["flow_depth", "block_depth", "flow_past_libyaml", "alias_bomb", "recursive", "dup_key"],
)
def test_hostile_documents_are_refused(loader, text, words):
    with pytest.raises(SpecError) as err:
        parse_yaml_text(text, file="f.yaml")
    message = str(err.value)
    assert "f.yaml" in message
    for word in words:
        assert word in message


def test_deepest_accepted_document(loader):
    value = parse_yaml_text(nested_flow(MAX_DEPTH - 2))
    for _ in range(MAX_DEPTH - 1):
        value = value["x"] if isinstance(value, dict) else value[0]
    assert value == 1


def test_aliases_within_limits_expand(loader):
    assert parse_yaml_text(alias_bomb(3))["a2"] == [[["x"] * 10] * 10] * 10


def test_composers_agree_on_the_course_files(monkeypatch):
    files = sorted(accelerator_dir("eyeriss_like_q3").rglob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        text = path.read_text()
        built = {}
        for name, cls in LOADERS.items():
            monkeypatch.setattr(yaml_io, "_LOADER", cls)
            built[name] = parse_yaml_text(text, file=str(path))
        assert built["c_composer"] == built["python_composer"], path
        tags = [v for v in _walk(built["c_composer"]) if isinstance(v, Tagged)]
        assert [t.tag for t in tags] == [
            t.tag for t in _walk(built["python_composer"]) if isinstance(t, Tagged)
        ]


def _walk(value):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
