"""Energy tables built from component models for whole architectures (CACTI replayed)."""

from __future__ import annotations

import pytest
from shared_material import shared_path

from hwsim.energy.components import build_energy_table, energy_table_for_specs
from hwsim.energy.errors import EnergyModelError
from hwsim.energy.sources import load_energy_table
from hwsim.errors import SpecError
from hwsim.report.table2 import default_spec_dir
from hwsim.spec import load_architecture, load_specs
from hwsim.spec.architecture import parse_architecture
from hwsim.spec.yaml_io import parse_yaml_text

NEEDS_MODELS = True
Q1_ARCH = default_spec_dir() / "arch.yaml"


def arch(yaml_text: str):
    return parse_architecture(parse_yaml_text(yaml_text)["architecture"])


def small_arch(
    memory: str, memory_attrs: str, mac_attrs: str = "width: 8", top: str = "technology: 45nm"
) -> str:
    return f"""
architecture:
  version: 0.4
  nodes:
  - !Container
    name: System
    attributes: {{{top}}}
  - !Component
    name: Mem
    class: {memory}
    attributes: {{{memory_attrs}}}
  - !Component
    name: Buffer
    class: regfile
    attributes: {{depth: 8, width: 8}}
  - !Component
    name: MACC
    class: intmac
    attributes: {{{mac_attrs}}}
"""


def test_q1_architecture(recorded) -> None:
    table = build_energy_table(load_architecture(Q1_ARCH), evaluator=recorded)
    assert set(table.entries) == {"MainMemory", "Buffer", "MACC"}
    main, buf, mac = (table.entries[k] for k in ("MainMemory", "Buffer", "MACC"))
    assert (
        main.source.startswith("CACTI") and "32768×32" in main.notes
    )  # 8-bit words: CACTI evaluates 32 bits
    assert buf.source == "hwkd flip-flop register file"
    assert (
        mac.source.startswith("Aladdin") and "8×8-bit multiplier + 16-bit accumulator" in mac.notes
    )
    for entry in (main, buf, mac):
        assert all(v > 0 for v in entry.actions.values())
        assert entry.area_um2 > 0
    # The simulator's lookups work on the built table.
    assert table.energy("MainMemory", "fill") == main.actions["write"]
    assert table.energy("MACC", "compute") == mac.actions["compute"]
    # leak: the register file's leakage (64×8 bits at 45 nm, its reference node) over one 1 ns cycle
    from hwcomponents_hwkd.register_file import register_file_costs

    expected_leak_pj = register_file_costs(64, 8).leak_w * 1e-9 * 1e12
    assert table.energy("Buffer", "leak") == pytest.approx(expected_leak_pj, rel=1e-9)
    assert recorded.replayed  # CACTI was replayed, not run


def test_eyeriss_like_with_built_in_smartbuffers(
    recorded, eyeriss_like, eyeriss_like_components
) -> None:
    specs = load_specs([eyeriss_like])
    table = energy_table_for_specs(specs, evaluator=recorded)
    assert list(table.entries) == list(eyeriss_like_components)
    glb = table.entries["shared_glb"]
    assert (
        glb.source.startswith("compound smartbuffer_SRAM")
        and "CACTI" in glb.source
        and "Aladdin adder" in glb.source
    )
    # Deeper scratchpads cost more per access; the glb costs more than any scratchpad.
    spads = [table.entries[n].actions["read"] for n in ("ifmap_spad", "psum_spad", "weights_spad")]
    assert spads == sorted(spads) and glb.actions["read"] > spads[-1]
    assert table.entries["DRAM"].area_um2 is None and "LPDDR4" in table.entries["DRAM"].notes


def test_compound_action_is_the_sum_of_its_subcomponent_actions(recorded) -> None:
    from hwsim.energy.components.builtin_compounds import builtin_library
    from hwsim.energy.components.table_builder import ComponentPricer

    pricer = ComponentPricer(builtin_library(), recorded)
    spad = pricer.price("spad", "smartbuffer_RF", {"technology": "45nm", "depth": 192, "width": 16})
    storage = pricer.price(
        "s", "regfile", {"technology": "45nm", "depth": 192, "width": 16, "n_rdwr_ports": 2}
    )
    adder = pricer.price(
        "a", "intadder", {"technology": "45nm", "width": 8}
    )  # ⌈log2 192⌉ = 8 address bits
    idle_adder = adder.leak_w * adder.cycle_s * 1e12
    assert spad.actions["read"] == pytest.approx(
        storage.actions["read"] + adder.actions["add"] + idle_adder
    )
    assert spad.actions["write"] == pytest.approx(
        storage.actions["write"] + adder.actions["add"] + idle_adder
    )
    assert spad.area_um2 == pytest.approx(storage.area_um2 + 2 * adder.area_um2)
    assert spad.leak_w == pytest.approx(storage.leak_w + 2 * adder.leak_w)


def test_course_q3_compound_files_agree_with_the_built_in_classes(recorded) -> None:
    q3 = shared_path("specs", "course-a2", "Q3", "arch")
    with_files = energy_table_for_specs(load_specs([q3]), evaluator=recorded)
    built_in = energy_table_for_specs(load_specs([q3 / "eyeriss_like.yaml"]), evaluator=recorded)
    for name in ("shared_glb", "ifmap_spad", "weights_spad", "psum_spad"):
        ours, theirs = built_in.entries[name], with_files.entries[name]
        for action in ("read", "write", "leak"):
            assert ours.actions[action] == pytest.approx(theirs.actions[action], rel=1e-12), (
                name,
                action,
            )
    assert "compound smartbuffer_RF" in with_files.entries["ifmap_spad"].source


def test_v04_tutorial_eyeriss_reads_depth_and_width(recorded) -> None:
    tutorial = shared_path("specs", "course-a2", "tutorial_cfg", "eyeriss_like.yaml")
    table = energy_table_for_specs(load_specs([tutorial]), evaluator=recorded)
    assert table.entries["mac"].notes.startswith("8×8-bit multiplier + 16-bit accumulator")
    assert (
        table.entries["weights_spad"].actions["read"] > table.entries["ifmap_spad"].actions["read"]
    )


def test_user_compound_components_override_and_nest(recorded) -> None:
    compound = parse_yaml_text(
        """
compound_components:
  version: 0.4
  classes:
  - name: double_buffer
    attributes: {depth: 64, width: 32}
    subcomponents:
    - {name: "halves[0..1]", class: regfile, attributes: {depth: depth // 2, width: width}}
    actions:
    - {name: read, subcomponents: [{name: "halves[0]", actions: [{name: read}]}]}
    - {name: write, subcomponents: [{name: "halves[0..1]", actions: [{name: write, action_share: 0.5}]}]}
  - name: buffer_pair
    subcomponents:
    - {name: inner, class: double_buffer, attributes: {depth: 128}}
    actions:
    - {name: read, subcomponents: [{name: inner, actions: [{name: read, repeat: 3}]}]}
"""
    )["compound_components"]
    architecture = arch(small_arch("buffer_pair", "width: 32"))
    table = build_energy_table(architecture, compound_components=[compound], evaluator=recorded)
    half = build_energy_table(
        arch(small_arch("regfile", "depth: 64, width: 32")), evaluator=recorded
    ).entries["Mem"]
    assert table.entries["Mem"].actions["read"] == pytest.approx(3 * half.actions["read"])
    assert table.entries["Mem"].area_um2 == pytest.approx(2 * half.area_um2)


@pytest.mark.parametrize(
    ("memory", "attrs", "message"),
    [
        (
            "flux_capacitor",
            "depth: 8, width: 8",
            r"component 'Mem' \(class flux_capacitor\): no energy model for class",
        ),
        ("SRAM", "width: 8", r"component 'Mem' \(class SRAM\): missing attribute 'depth'"),
        ("regfile", "depth: 8", r"component 'Mem' \(class regfile\): missing attribute 'width'"),
        (
            "DRAM",
            "width: 64, type: HBM2",
            r"'Mem' \(class DRAM\): a HBM2 device transfers at least 1024 bits",
        ),
        (
            "DRAM",
            "width: 64, type: GDDR7",
            r"'Mem' \(class DRAM\): DRAM type 'GDDR7' is not modelled",
        ),
        (
            "regfile",
            "depth: 8, width: 8, technology: 250nm",
            r"'Mem' \(class regfile\): technology '250nm'.*outside",
        ),
    ],
)
def test_mistakes_are_errors_that_name_the_component(recorded, memory, attrs, message) -> None:
    with pytest.raises(EnergyModelError, match=message):
        build_energy_table(arch(small_arch(memory, attrs)), evaluator=recorded)


def test_missing_technology_and_bad_compound_files_are_clear(recorded) -> None:
    with pytest.raises(EnergyModelError, match="missing attribute 'technology'"):
        build_energy_table(arch(small_arch("regfile", "depth: 8, width: 8", top="global_cycle_seconds: 1e-9")), evaluator=recorded)  # fmt: skip
    bad = {
        "version": 0.4,
        "classes": [{"name": "x", "subcomponents": [], "actions": [], "colour": "red"}],
    }
    with pytest.raises(SpecError, match="Extra inputs are not permitted"):
        build_energy_table(
            arch(small_arch("regfile", "depth: 8, width: 8")),
            compound_components=[bad],
            evaluator=recorded,
        )
    dangling = {
        "version": 0.4,
        "classes": [
            {
                "name": "odd",
                "subcomponents": [
                    {"name": "s", "class": "regfile", "attributes": {"depth": 4, "width": 4}}
                ],
                "actions": [
                    {
                        "name": "read",
                        "subcomponents": [{"name": "t", "actions": [{"name": "read"}]}],
                    }
                ],
            }
        ],
    }
    with pytest.raises(
        EnergyModelError, match="'Mem' \\(class odd\\): action 'read' uses subcomponent 't'"
    ):
        build_energy_table(
            arch(small_arch("odd", "")), compound_components=[dangling], evaluator=recorded
        )


def test_attributes_may_be_arithmetic_over_other_attributes(recorded) -> None:
    table = build_energy_table(
        arch(small_arch("regfile", "rows: 32, depth: rows * 2, width: 8")), evaluator=recorded
    )
    plain = build_energy_table(
        arch(small_arch("regfile", "depth: 64, width: 8")), evaluator=recorded
    )
    assert table.entries["Mem"].actions == plain.entries["Mem"].actions


@pytest.mark.parametrize(
    ("attrs", "field", "message"),
    [
        ("depth: 8, width: 0", "width", "must be >= 1, got 0"),
        ("depth: 8.5, width: 8", "depth", "expected an integer, got 8.5"),
        ("depth: lots, width: 8", "depth", "expected an integer, got 'lots'"),
    ],
)
def test_unreadable_sizes_are_refused_when_the_architecture_is_read(attrs, field, message) -> None:
    """hwsim's engines read depth and width too (capacity, block size): a bad one is a SpecError
    naming the field as soon as the architecture is parsed, before any model runs."""
    with pytest.raises(SpecError) as info:
        arch(small_arch("regfile", attrs))
    assert info.value.field == f"architecture.nodes[1].attributes.{field}"
    assert info.value.message == message


def test_technology_override_and_its_validation(recorded) -> None:
    base = build_energy_table(
        arch(small_arch("regfile", "depth: 64, width: 8")), evaluator=recorded
    )
    at32 = build_energy_table(
        arch(small_arch("regfile", "depth: 64, width: 8")), evaluator=recorded, technology="32nm"
    )
    assert at32.entries["Mem"].actions["read"] < base.entries["Mem"].actions["read"]
    with pytest.raises(SpecError, match="technology override"):
        build_energy_table(
            arch(small_arch("regfile", "depth: 64, width: 8")), evaluator=recorded, technology="2nm"
        )


def test_spatial_pass_through_levels_cost_nothing_and_are_left_out(recorded, eyeriss_like) -> None:
    table = build_energy_table(load_architecture(eyeriss_like), evaluator=recorded)
    assert not any(name.startswith("inter_") for name in table.entries)


def test_load_energy_table_models_source(replay_cacti) -> None:
    table = load_energy_table("hwcomponents", architecture=load_architecture(Q1_ARCH))
    assert set(table.entries) == {"MainMemory", "Buffer", "MACC"}
    with pytest.raises(SpecError, match="pass architecture"):
        load_energy_table("hwcomponents")
    former = load_energy_table("models", architecture=load_architecture(Q1_ARCH))  # former name
    assert former.name == "hwcomponents" and former.entries == table.entries


def test_an_unknown_class_lists_every_primitive_class(recorded) -> None:
    from hwsim.energy.components.primitives import PRIMITIVES

    with pytest.raises(EnergyModelError) as caught:
        build_energy_table(arch(small_arch("flux_capacitor", "width: 8")), evaluator=recorded)
    listed = str(caught.value).split("primitive classes: ")[1].split(";")[0].split(", ")
    assert listed == sorted(PRIMITIVES)  # e.g. intmultiplier, reg, registerfile too
