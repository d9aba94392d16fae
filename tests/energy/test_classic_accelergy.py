"""The `classic` energy source against ERTs written by the real classic Accelergy 0.3.

tests/data/accelergy_classic/ holds, per variant of the course's architectures (and of single
primitive classes at odd attribute values), the exact inputs given to classic Accelergy 0.3 with
its Aladdin, CACTI and dummy plug-ins and the ERT/ERT_summary it wrote (provenance in its
README). Every action of every argument combination must match to Accelergy's printed
precision, the plug-in classic chose for each primitive must be the one we choose, and what
classic priced with its dummy placeholder must be reported as a placeholder.

CACTI runs (the SRAMs) are real and shared across this module through one cache folder; the
course architectures are in the fast subset, the other variants are `slow`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from hwsim.energy.classic import classic_ert
from hwsim.energy.classic.ert import classic_ert_of_components
from hwsim.energy.sources import load_energy_table
from hwsim.energy.table import canonical_component_name
from hwsim.spec import load_specs

DATA = Path(__file__).resolve().parents[1] / "data" / "accelergy_classic"
INDEX = json.loads((DATA / "index.json").read_text())
VARIANTS = sorted(v["name"] for v in INDEX if not v["crashed"])
CRASHED = sorted(v["name"] for v in INDEX if v["crashed"])
FAST = {"q1_base", "q3_base", "q3_tech_65nm", "prim_arith_45nm"}


def test_recorded_ground_truth_is_present():
    """The recorded data ships with the repository: these tests cannot silently shrink."""
    assert {"q1_base", "q3_base", "q3_tech_65nm"} <= set(VARIANTS)
    assert len(VARIANTS) >= 40
    assert all((DATA / v / "ERT.yaml").is_file() for v in VARIANTS)


@pytest.mark.parametrize("variant", CRASHED)
def test_where_classic_crashes_we_say_why_in_one_line(variant):
    """Classic Accelergy crashed on these inputs (CACTI found no organisation): one error."""
    from hwsim.energy.errors import EnergyModelError

    with pytest.raises(EnergyModelError) as caught:
        _our_ert(variant)
    assert "\n" not in str(caught.value) and "CACTI" in str(caught.value)


@pytest.fixture(scope="module", autouse=True)
def shared_cacti_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HWKD_CACHE_DIR", str(tmp_path_factory.mktemp("classic-cache")))
        yield


def _v03_components(node, inherited):
    """(name, class, attributes) of every `local` component of a raw v0.3 architecture tree."""
    attributes = {**inherited, **(node.get("attributes") or {})}
    for local in node.get("local") or []:
        yield (
            local["name"].split("[")[0],
            local["class"],
            {**attributes, **(local.get("attributes") or {})},
        )
    for child in node.get("subtree") or []:
        yield from _v03_components(child, attributes)


def _our_ert(variant: str):
    inputs = DATA / variant / "inputs"
    if variant.startswith(("prim_", "q2_")):  # loose components, some Timeloop would refuse
        (arch_file,) = sorted(inputs.glob("*.yaml"))
        tree = yaml.safe_load(arch_file.read_text())["architecture"]
        return classic_ert_of_components(_v03_components(tree, {}), version="0.3")
    specs = load_specs([inputs])
    return classic_ert(specs.architecture, compound_components=specs.compound_components)


def _recorded_entries(variant: str):
    document = yaml.safe_load((DATA / variant / "ERT.yaml").read_text())
    for table in document["ERT"]["tables"]:
        for action in table["actions"]:
            arguments = tuple(sorted((action.get("arguments") or {}).items()))
            yield (
                canonical_component_name(table["name"]),
                action["name"],
                arguments,
                action["energy"],
            )


def _params():
    return [pytest.param(v, marks=() if v in FAST else pytest.mark.slow, id=v) for v in VARIANTS]


@pytest.mark.parametrize("variant", _params())
def test_every_action_matches_classic_accelergy(variant):
    ert = _our_ert(variant)
    ours = {(e.component, e.action, tuple(sorted(e.arguments))): e.energy_pj for e in ert.entries}
    recorded = list(_recorded_entries(variant))
    assert len(ours) == len(recorded)
    wrong = [
        (key, energy, ours.get((key, action, args)))
        for key, action, args, energy in recorded
        if ours.get((key, action, args)) is None
        or not math.isclose(ours[(key, action, args)], energy, rel_tol=0, abs_tol=5e-6)
    ]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("variant", _params())
def test_summary_max_and_estimators_match(variant):
    """The table Timeloop charges (max per action) and the plug-in classic chose per primitive."""
    ert = _our_ert(variant)
    table = ert.max_energies()
    summary = yaml.safe_load((DATA / variant / "ERT_summary.yaml").read_text())["ERT_summary"]
    for component in summary["table_summary"]:
        name = canonical_component_name(component["name"])
        for action in component["actions"]:
            expected = action.get("max_energy", action.get("energy"))
            assert table[name][action["name"]] == pytest.approx(expected, abs=5e-6), (name, action)
        for estimation in component["primitive_estimation(s)"]:
            sub = canonical_component_name(estimation["name"])
            path = name if sub == name else f"{name}.{sub.split('[')[0]}"
            assert ert.estimators[path] == estimation["estimator"], path
        placeholders = {p.component for p in ert.placeholders}
        for estimation in component["primitive_estimation(s)"]:
            sub = canonical_component_name(estimation["name"]).split("[")[0]
            path = name if sub == name else f"{name}.{sub}"
            assert (path in placeholders) == (estimation["estimator"] == "dummy_table"), path


def test_course_q1_ert_reproduced_exactly():
    """The assignment's Table 1 source: regfile 64x8 read 0.42018 pJ, SRAM 32768x8 read 7.95381."""
    specs = load_specs([DATA / "q1_base" / "inputs"])
    table = load_energy_table("classic", architecture=specs.architecture)
    assert table.energy("Buffer", "read") == 0.42018
    assert table.energy("MainMemory", "read") == 7.95381
    assert table.energy("MACC", "compute") == 0.5608


def test_regfile_and_mac_closed_forms():
    """Hand-derived from the Aladdin rows at 5 ns: a 64x8 register file is 8 one-bit registers
    (0.009 pJ) plus 64 comparators of log2(64) = 6 bits (0.029015 x 6/32 pJ); an 8-bit MAC is an
    adder at 8/32 of 0.0857 pJ plus a multiplier at (8/32)^2 of 8.63 pJ."""
    ert = classic_ert_of_components(
        [
            ("rf", "regfile", {"technology": "45nm", "depth": 64, "width": 8}),
            ("mac", "intmac", {"technology": "45nm", "datawidth": 8}),
        ]
    )
    energies = ert.max_energies()
    assert energies["rf"]["read"] == round(0.009 * 8 + 0.029015 * (6 / 32) * 64, 5)
    assert energies["mac"]["mac_random"] == round(0.0857 * 8 / 32 + 8.63 * (8 / 32) ** 2, 5)
    assert energies["mac"]["mac_reused"] == round(0.0857 * 8 / 32 + 0.85 * 8.63 / 16, 5)


def test_unsupported_technology_is_reported_as_placeholder():
    ert = classic_ert_of_components([("mac", "intmac", {"technology": "65nm", "datawidth": 8})])
    assert ert.max_energies()["mac"]["mac_random"] == 1  # classic's dummy table
    (placeholder,) = ert.placeholders
    assert placeholder.component == "mac" and "40 nm and 45 nm" in placeholder.reason
    assert "PLACEHOLDER" in ert.to_energy_table().entries["mac"].notes


def test_sub_byte_sram_is_refused_not_hung():
    """Classic asks CACTI for a 0-bit bus for an SRAM narrower than 8 bits; CACTI never returns."""
    from hwsim.energy.errors import EnergyModelError

    sram = ("s", "SRAM", {"technology": "45nm", "depth": 4096, "width": 4})
    with pytest.raises(EnergyModelError, match=r"'s'.*4-bit word"):
        classic_ert_of_components([sram])


def test_unknown_class_is_one_error_naming_the_component():
    from hwsim.energy.errors import EnergyModelError

    with pytest.raises(EnergyModelError, match=r"'weird'.*class flux"):
        classic_ert_of_components([("weird", "flux", {})])


def test_cli_json_shape(capsys):
    from hwsim.cli import main

    assert main(["ert", str(DATA / "q3_base" / "inputs"), "--energy", "classic", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["energy"] == "classic"
    glb = document["components"]["shared_glb"]["actions"]
    assert glb["read"] == 74.1442 and glb["write"] == 75.2148
    assert document["components"]["weights_spad"]["actions"]["read"] == 1.58552
    assert document["placeholders"] == []
