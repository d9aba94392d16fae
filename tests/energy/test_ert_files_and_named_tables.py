"""Energy tables from Accelergy ERT files (reproduced exactly) and from named tables (Table 1)."""

from __future__ import annotations

import json

import pytest
from absent import require_module
from shared_material import shared_path

from hwsim.energy.sources import load_energy_table
from hwsim.energy.table import canonical_component_name, load_ert_file, named_table
from hwsim.errors import SpecError

Q1_EXPECTED = {
    "MainMemory": {"read": 7.95381, "write": 5.45374, "idle": 0.00096},
    "Buffer": {"read": 0.42018, "write": 0.42018, "idle": 0.00441},
    "MACC": {"mac_random": 0.5608, "mac_reused": 0.47989, "mac_gated": 0.03642, "idle": 0.01797},
}

OUR_ERT = """
ERT:
  version: 0.3
  tables:
  - name: system.chip.Buffer[0..13]
    actions:
    - {name: read, arguments: {address_delta: 0, data_delta: 0}, energy: 0.01}
    - {name: read, arguments: {address_delta: 1, data_delta: 1}, energy: 0.5}
    - {name: read, arguments: {address_delta: 1, data_delta: 0}, energy: 0.3}
    - {name: write, arguments: {address_delta: 1, data_delta: 1}, energy: 0.25}
  - name: system.chip.PE[0..167].mac
    actions:
    - {name: mac_random, arguments: null, energy: 2.2}
"""


@pytest.mark.parametrize("kind", ["ERT", "ERT_summary"])
def test_q1_reference_erts_exactly(kind) -> None:
    path = shared_path("reference", "timeloop", "q1", f"Q1_arch.classic-accelergy-0.3.{kind}.yaml")
    table = load_ert_file(path)
    assert {k: dict(v.actions) for k, v in table.entries.items()} == Q1_EXPECTED
    assert table.energy("MainMemory", "read") == 7.95381
    assert table.energy("MainMemory", "fill") == 5.45374
    assert table.energy("Buffer", "update") == 0.42018
    assert table.energy("MACC", "compute") == 0.5608


@pytest.mark.parametrize("layer", ["u0_C3_M16_R3_s1_P32", "u2_C16_M32_R3_s2_P16"])
@pytest.mark.parametrize("kind", ["ERT", "ERT_summary"])
def test_eyeriss_reference_erts_exactly(layer, kind) -> None:
    folder = shared_path("reference", "timeloop", "eyeriss", layer)
    charged = json.loads((folder / "timeloop-result.json").read_text())["ert"]
    table = load_ert_file(folder / f"timeloop-mapper.{kind}.yaml")
    assert {k: dict(v.actions) for k, v in table.entries.items()} == charged
    assert table.energy("DummyBuffer", "read") == 0.20203  # 'DummyBuffer[0..13]' keyed by its name
    assert (
        table.energy("shared_glb", "write") == 75.2148 and table.energy("mac", "compute") == 2.20035
    )


def test_ert_takes_each_actions_maximum_and_strips_instance_ranges(tmp_path) -> None:
    path = tmp_path / "ours.ERT.yaml"
    path.write_text(OUR_ERT)
    table = load_energy_table(path)
    assert table.energy("Buffer", "read") == 0.5 and table.energy("Buffer", "fill") == 0.25
    assert table.energy("mac", "compute") == 2.2
    assert canonical_component_name("system.eyeriss.DummyBuffer[0..13]") == "DummyBuffer"
    assert canonical_component_name("system.eyeriss.PE[0..167].ifmap_spad") == "ifmap_spad"


def test_table1_values_and_round_trips(tmp_path) -> None:
    table1 = named_table("table1")
    as_dict = {k: dict(v.actions) for k, v in table1.entries.items()}
    assert as_dict == {
        "SRAM": {"read": 7.95, "write": 5.45},
        "regfile": {"read": 0.42, "write": 0.42},
        "intmac": {"compute": 0.56},
    }
    (tmp_path / "t.json").write_text(table1.to_json())
    (tmp_path / "t.yaml").write_text(
        "SRAM: {read: 7.95, write: 5.45}\nregfile: {read: 0.42, write: 0.42}\nintmac: {compute: 0.56}\n"
    )
    for name in ("t.json", "t.yaml"):
        again = load_energy_table(tmp_path / name)
        assert {k: dict(v.actions) for k, v in again.entries.items()} == as_dict
    frame = table1.to_dataframe()
    assert len(frame) == 5 and frame.energy_pj.sum() == pytest.approx(7.95 + 5.45 + 0.84 + 0.56)
    assert load_energy_table(table1) is table1


def test_model_tables_round_trip_through_json_with_area_and_notes(tmp_path, recorded) -> None:
    require_module("hwcomponents", "needs the energy extra: pip install -e '.[energy]'")
    from hwsim.energy.components import build_energy_table
    from hwsim.report.table2 import default_spec_dir
    from hwsim.spec import load_architecture

    table = build_energy_table(
        load_architecture(default_spec_dir() / "arch.yaml"), evaluator=recorded
    )
    (tmp_path / "models.json").write_text(table.to_json())
    again = load_energy_table(tmp_path / "models.json")
    for name, entry in table.entries.items():
        assert dict(again.entries[name].actions) == pytest.approx(dict(entry.actions))
        assert again.entries[name].area_um2 == pytest.approx(entry.area_um2)


def test_unknown_table_name_is_clear() -> None:
    with pytest.raises(SpecError, match="not a named energy table"):
        load_energy_table("table9")


BAD_TABLES = [
    ("t.yaml", "SRAM: 7.95\n", "SRAM"),
    ("t.yaml", "SRAM: {read: true}\n", "SRAM.read"),
    ("t.yaml", "SRAM: {read: .nan}\n", "SRAM.read"),
    ("t.yaml", "SRAM: {read: .inf}\n", "SRAM.read"),
    ("t.yaml", "SRAM: {read: -1}\n", "SRAM.read"),
    ("t.yaml", "SRAM: {read: 1, area_um2: big}\n", "SRAM.area_um2"),
    ("t.json", '{"SRAM": {"read": NaN}}', "SRAM.read"),
    ("t.json", '{"components": [1, 2]}', "components"),
    ("t.json", '{"components": {"SRAM": 3}}', "components.SRAM"),
    ("t.json", '{"components": {"SRAM": {"actions": [1]}}}', "components.SRAM.actions"),
    (
        "t.json",
        '{"components": {"SRAM": {"actions": {"read": "x"}}}}',
        "components.SRAM.actions.read",
    ),
    (
        "t.json",
        '{"components": {"SRAM": {"actions": {}, "area_um2": "big"}}}',
        "components.SRAM.area_um2",
    ),
    ("x.ERT.yaml", "ERT: [1]\n", "ERT"),
    ("x.ERT.yaml", "ERT: {tables: {}}\n", "ERT.tables"),
    ("x.ERT.yaml", "ERT: {tables: [{name: A, actions: 3}]}\n", "ERT.tables[0].actions"),
    (
        "x.ERT.yaml",
        "ERT: {tables: [{name: A, actions: [{name: read, energy: lots}]}]}\n",
        "ERT.tables[0].actions[0].energy",
    ),
    (
        "x.ERT.yaml",
        "ERT: {tables: [{name: A, actions: [{name: read, energy: true}]}]}\n",
        "ERT.tables[0].actions[0].energy",
    ),
    (
        "x.ERT_summary.yaml",
        "ERT_summary: {table_summary: [{name: A, actions: [{name: read, max_energy: .nan}]}]}\n",
        "ERT_summary.table_summary[0].actions[0].max_energy",
    ),
]


@pytest.mark.parametrize(("name", "text", "field"), BAD_TABLES)
def test_a_bad_table_file_is_one_error_naming_the_file_and_field(
    tmp_path, name, text, field
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_energy_table(path)
    assert caught.value.file == str(path) and caught.value.field == field
    assert str(caught.value).startswith(f"{path}: {field}: ")


def test_a_bad_table_file_on_the_command_line_is_one_line_with_status_2(tmp_path, capsys) -> None:
    from hwsim.cli import main
    from hwsim.report.table2 import default_spec_dir

    path = tmp_path / "t.yaml"
    path.write_text("SRAM: {read: true}\nregfile: {read: 1}\nintmac: {compute: 1}\n")
    q1 = default_spec_dir()
    files = [str(q1 / f) for f in ("arch.yaml", "prob.yaml", "1-ws.map.yaml")]
    assert main(["model", *files, "--energy", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"hwsim: error: {path}: SRAM.read: energy must be a finite non-negative number, got True"
    )
