"""Malformed specs: each gives one SpecError naming the file and the field; the CLI prints it on one
line with exit status 2 and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.evaluate import evaluate_files
from hwsim.report.table2 import default_spec_dir
from hwsim.result import Evaluation
from hwsim.spec import load_specs

Q1 = default_spec_dir()
ARCH = (Q1 / "arch.yaml").read_text()
PROB = (Q1 / "prob.yaml").read_text()
GOOD_MAP = """
mapping:
- {target: MainMemory, type: temporal, factors: R=1 P=16 M=4, permutation: PRM}
- {target: Buffer, type: temporal, factors: R=3 P=1 M=8, permutation: RPM}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def run(tmp_path: Path, mapping: str, *, arch: str = ARCH, prob: str = PROB) -> Evaluation:
    return evaluate_files(
        [
            write(tmp_path, "arch.yaml", arch),
            write(tmp_path, "prob.yaml", prob),
            write(tmp_path, "map.yaml", mapping),
        ]
    )


def error(tmp_path: Path, mapping: str = GOOD_MAP, **kw) -> SpecError:
    with pytest.raises(SpecError) as info:
        run(tmp_path, mapping, **kw)
    return info.value


def test_a_good_mapping_evaluates(tmp_path: Path) -> None:
    # Loops M4 P16 | M8 R3 (outer to inner). Buffer tiles: weights 8x3, inputs 3 (sliding along P),
    # outputs 8. MainMemory: 96 weight + 72 input reads (x 7.95 pJ) and 512 output updates
    # (x 5.45) = 4126.0 pJ. Buffer: 1536 + 1536 + 1024 reads and 96 + 72 + 1536 writes = 5800
    # accesses (x 0.42) = 2436.0 pJ. MACs: 1536 x 0.56 = 860.16 pJ. Total 7422.16 pJ.
    result = run(tmp_path, GOOD_MAP)
    assert result.energy_table == "table1" and result.computes == 1536
    assert result.level_energy_pj("MainMemory") == pytest.approx(4126.0)
    assert result.level_energy_pj("Buffer") == pytest.approx(2436.0)
    assert result.total_energy_pj == pytest.approx(7422.16)


def test_factors_that_do_not_multiply_to_the_problem(tmp_path: Path) -> None:
    err = error(tmp_path, GOOD_MAP.replace("M=8", "M=4"))
    assert err.file.endswith("map.yaml") and err.field == "mapping.factors.M"
    assert "multiply to 16" in err.message and "problem size of M is 32" in err.message


def test_unknown_dimension_in_factors(tmp_path: Path) -> None:
    err = error(tmp_path, GOOD_MAP.replace("R=3 P=1", "R=3 Q=1"))
    assert err.field == "mapping[1].factors" and "unknown dimension 'Q'" in err.message


def test_unknown_target(tmp_path: Path) -> None:
    err = error(tmp_path, GOOD_MAP.replace("target: Buffer", "target: Bufer"))
    assert (
        err.field == "mapping[1].target"
        and "'Bufer'" in err.message
        and "MainMemory" in err.message
    )


def test_permutation_naming_an_unknown_dimension(tmp_path: Path) -> None:
    err = error(tmp_path, GOOD_MAP.replace("permutation: RPM", "permutation: RPX"))
    assert err.field == "mapping[1].permutation" and "unknown dimension 'X'" in err.message


def test_tile_that_does_not_fit(tmp_path: Path) -> None:
    # All of P and M in the 64-word buffer: weights 96 + inputs 18 + outputs 512 words.
    mapping = GOOD_MAP.replace("P=16 M=4", "P=1 M=1").replace("R=3 P=1 M=8", "R=3 P=16 M=32")
    err = error(tmp_path, mapping)
    assert err.file.endswith("map.yaml") and err.field == "mapping (level Buffer)"
    assert "need 626 words" in err.message and "holds 64 words" in err.message


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    err = error(tmp_path, "mapping:\n- {target: Buffer, type: temporal\n")
    assert err.file.endswith("map.yaml") and "YAML syntax error: line 3" in err.message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    err = error(tmp_path, GOOD_MAP.replace("mapping:", "maping:"))
    assert err.file.endswith("map.yaml") and "unknown top-level key 'maping'" in err.message


def test_unknown_field_in_a_directive(tmp_path: Path) -> None:
    err = error(
        tmp_path, GOOD_MAP.replace("type: temporal, factors: R=3", "type: temporal, factor: R=3")
    )
    assert err.field == "mapping[1].factor" and err.message == "unknown field"


def test_problem_with_an_unfilled_template_placeholder(tmp_path: Path) -> None:
    err = error(tmp_path, prob=PROB.replace("M: 32", "M: $out_channels$"))
    assert err.file.endswith("prob.yaml") and err.field == "problem.instance.M"
    assert "template placeholder" in err.message


def test_problem_projection_with_an_unknown_dimension(tmp_path: Path) -> None:
    err = error(tmp_path, prob=PROB.replace("[[[R], [P]]]", "[[[R], [Q]]]"))
    assert (
        err.field == "problem.shape.data_spaces[1].projection[0][1]"
        and "unknown dimension 'Q'" in err.message
    )


def test_architecture_without_a_compute_level(tmp_path: Path) -> None:
    err = error(tmp_path, arch=ARCH.replace("class: intmac", "class: adder"))
    assert err.file.endswith("arch.yaml") and "no compute level" in err.message


ARCH_V03 = """
architecture:
  version: 0.3
  subtree:
  - name: System
    attributes: {technology: 45nm}
    local:
    - {name: MainMemory, class: SRAM, attributes: {depth: 32768, width: 8, datawidth: 8}}
    subtree:
    - name: PE[0..3]
      local:
      - {name: Buffer, class: regfile, attributes: {depth: 64, width: 8, datawidth: 8, meshX: 4}}
      - {name: MACC, class: intmac, attributes: {width: 8, meshX: 4}}
"""
SPATIAL_MAP = GOOD_MAP + "- {target: MainMemory, type: spatial, factors: M=1, split: 1}\n"
BUFFER = "{depth: 64, width: 8, datawidth: 8}"
BUFFER_V03 = "{depth: 64, width: 8, datawidth: 8, meshX: 4}"


def test_the_v03_architecture_and_the_spatial_mapping_are_valid(tmp_path: Path) -> None:
    # The base inputs of the malformed cases below evaluate: only the change makes them fail.
    result = evaluate_files(
        [
            write(tmp_path, "arch.yaml", ARCH_V03),
            write(tmp_path, "prob.yaml", PROB),
            write(tmp_path, "map.yaml", SPATIAL_MAP),
        ]
    )
    buffer = result.counts.levels["Buffer"]
    assert sum(c.reads for c in buffer.values()) > 0
    specs = load_specs([tmp_path / "arch.yaml"])
    level = specs.architecture.storage_level("Buffer")
    assert (level.instances, level.mesh_x, level.mesh_y) == (4, 4, 1)


@pytest.mark.parametrize(
    ("file", "before", "after", "field", "message"),
    [
        (
            "arch",
            "depth: 64,",
            "depth: lots,",
            "architecture.nodes[2].attributes.depth",
            "expected an integer, got 'lots'",
        ),
        (
            "arch",
            BUFFER,
            BUFFER.replace("}", ", multiple_buffering: 0}"),
            "architecture.nodes[2].attributes.multiple_buffering",
            "must be > 0, got 0",
        ),
        (
            "arch",
            "    class: regfile\n",
            "    class: regfile\n    spatial: 4\n",
            "architecture.nodes[2].spatial",
            "expected a mapping {meshX: ..., meshY: ...}, got 4",
        ),
        (
            "arch",
            "    class: regfile\n",
            "    class: regfile\n    constraints: [1]\n",
            "architecture.nodes[2].constraints",
            "expected a mapping {spatial: ..., ...}, got [1]",
        ),
        (
            "arch",
            'technology: "45nm"',
            'technology: "45nm", datawidth: wide',
            "architecture.nodes[0].attributes.datawidth",  # inherited: named where it is written
            "expected an integer, got 'wide'",
        ),
        (
            "arch_v03",
            BUFFER_V03,
            BUFFER_V03.replace("meshX: 4", "meshX: two"),
            "architecture.subtree[0].subtree[0].local[0].attributes.meshX",
            "expected an integer, got 'two'",
        ),
        (
            "arch_v03",
            "PE[0..3]",
            "PE[0..5]",
            "architecture.subtree[0].subtree[0].local[0].attributes.meshX",
            "6 instances of Buffer do not fill a mesh 4 wide (meshX must divide the instance count)",
        ),
        (
            "map",
            "split: 1",
            "split: two",
            "mapping[2].split",
            "expected an integer, got 'two'",
        ),
    ],
)
def test_malformed_values_name_the_file_and_field(
    tmp_path: Path, file: str, before: str, after: str, field: str, message: str
) -> None:
    texts = {"arch": ARCH, "arch_v03": ARCH_V03, "map": SPATIAL_MAP}
    assert before in texts[file]
    arch = ARCH_V03 if file == "arch_v03" else ARCH
    if file.startswith("arch"):
        arch = arch.replace(before, after)
    mapping = SPATIAL_MAP.replace(before, after) if file == "map" else SPATIAL_MAP
    err = error(tmp_path, mapping, arch=arch)
    expected_file = "map.yaml" if file == "map" else "arch.yaml"
    assert err.file.endswith(expected_file)
    assert err.field == field
    assert err.message == message


def test_attribute_arithmetic_is_resolved_for_the_engines(tmp_path: Path) -> None:
    arch = ARCH.replace("{depth: 64, width: 8,", "{rows: 32, depth: rows * 2, width: 8,")
    specs = load_specs([write(tmp_path, "arch.yaml", arch)])
    assert specs.architecture.storage_level("Buffer").size == 64


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        evaluate_files([tmp_path / "nope.yaml"])


def test_cli_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        write(tmp_path, "a.yaml", ARCH),
        write(tmp_path, "p.yaml", PROB),
        write(tmp_path, "m.yaml", GOOD_MAP.replace("M=8", "M=2")),
    ]
    status = main(["model", *map(str, files)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hwsim: error: ") and "m.yaml: mapping.factors.M:" in err
