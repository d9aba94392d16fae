"""The course's spec files load unchanged, in both Timeloop formats."""

from __future__ import annotations

from typing import Any

import pytest
from shared_material import shared_path

from hwsim.spec import load_specs
from hwsim.spec.architecture import split_instance_range
from hwsim.spec.files import SpecSet

#: Course file → (the part it is read as, a summary of what it holds; see `summary`).
COURSE_FILES = {
    "Q1/arch/Q1_arch.yaml": ("architecture", (("MainMemory", "Buffer"), "MACC", 1)),
    "Q1/prob/Q1_prob.yaml": ("problem", {"M": 32, "R": 3, "P": 16}),
    "Q2/prob.yaml": ("problem", {"R": 3, "P": 16}),
    "Q2/arch.yaml": ("architecture", (("Buffer",), "MACC", 1)),
    "Q3/arch/eyeriss_like.yaml": (
        "architecture",
        (
            ("DRAM", "shared_glb", "DummyBuffer", "ifmap_spad", "weights_spad", "psum_spad"),
            "mac",
            168,
        ),
    ),
    "Q3/arch/components/smartbuffer_SRAM.yaml": ("compound_components", ["smartbuffer_SRAM"]),
    "Q3/arch/components/smartbuffer_RF.yaml": ("compound_components", ["smartbuffer_RF"]),
    "Q3/constraints/eyeriss_like_arch_constraints.yaml": (
        "constraints",
        ["architecture_constraints"],
    ),
    "Q3/constraints/eyeriss_like_map_constraints.yaml": ("constraints", ["mapspace_constraints"]),
    "Q3/mapper/mapper.yaml": ("mapper", "random-pruned"),
    "tutorial_cfg/eyeriss_like.yaml": (
        "architecture",
        (
            (
                "DRAM",
                "shared_glb",
                "inter_PE_column_spatial",
                "inter_PE_spatial",
                "ifmap_spad",
                "weights_spad",
                "psum_spad",
            ),
            "mac",
            168,
        ),
    ),
    "tutorial_cfg/3level.arch.yaml": (
        "architecture",
        (("MainMemory", "GlobalBuffer", "RegisterFile"), "MACC", 1),
    ),
    "tutorial_cfg/3levelspatial.arch.yaml": (
        "architecture",
        (("MainMemory", "GlobalBuffer", "inter_PE_spatial", "RegisterFile"), "MACC", 16),
    ),
}


def summary(specs: SpecSet, part: str) -> Any:
    """What a part holds: storage levels, compute and its instances; problem sizes; compound
    class names; constraint kinds; the mapper's algorithm."""
    if part == "architecture":
        arch = specs.architecture
        return (arch.storage_names, arch.compute.name, arch.compute.instances)
    if part == "problem":
        return specs.problem.bounds
    if part == "compound_components":
        return [c["name"] for doc in specs.compound_components for c in doc["classes"]]
    if part == "constraints":
        return [key for doc in specs.constraints for key in doc if key != "__file__"]
    return specs.mapper["algorithm"]


@pytest.mark.parametrize("name", list(COURSE_FILES))
def test_course_file_loads(name: str) -> None:
    specs = load_specs([shared_path("specs", "course-a2", name)])
    part, expected = COURSE_FILES[name]
    assert list(specs.sources) == [part]
    assert summary(specs, part) == expected


def test_whole_q3_folder_loads_at_once() -> None:
    specs = load_specs([shared_path("specs", "course-a2", "Q3")])
    assert specs.architecture is not None and specs.mapper is not None
    assert len(specs.compound_components) == 2 and len(specs.constraints) == 2


def test_v03_eyeriss_levels_instances_and_capacities() -> None:
    arch = load_specs(
        [shared_path("specs", "course-a2", "Q3", "arch", "eyeriss_like.yaml")]
    ).architecture
    got = [(s.name, s.instances, s.mesh_x, s.size, s.block_size, s.word_bits) for s in arch.storage]
    assert got == [
        ("DRAM", 1, 1, None, 4, 16),
        ("shared_glb", 1, 1, 65536, 4, 16),  # memory_depth 16384 × block-size 4
        ("DummyBuffer", 14, 14, 16, 1, 16),
        ("ifmap_spad", 168, 14, 12, 1, 16),
        ("weights_spad", 168, 14, 192, 1, 16),
        ("psum_spad", 168, 14, 16, 1, 16),
    ]
    assert (arch.compute.name, arch.compute.instances, arch.compute.mesh_y) == ("mac", 168, 12)
    assert arch.storage_level("shared_glb").attributes["technology"] == "45nm"  # inherited
    assert arch.fanout(arch.index_of("shared_glb")) == (14, 1)
    assert arch.fanout(arch.index_of("DummyBuffer")) == (1, 12)


def test_v04_containers_add_pass_through_spatial_levels() -> None:
    arch = load_specs(
        [shared_path("specs", "course-a2", "tutorial_cfg", "eyeriss_like.yaml")]
    ).architecture
    assert arch.storage_names == (
        "DRAM",
        "shared_glb",
        "inter_PE_column_spatial",
        "inter_PE_spatial",
        "ifmap_spad",
        "weights_spad",
        "psum_spad",
    )
    spad = arch.storage_level("ifmap_spad")
    assert (spad.instances, spad.mesh_x, spad.mesh_y) == (168, 14, 12)
    assert arch.storage_level("inter_PE_spatial").instances == 14
    assert arch.storage_level("inter_PE_spatial").pass_through


def test_problem_coefficients_and_projections() -> None:
    problem = load_specs([shared_path("specs", "course-a2", "Q1", "prob", "Q1_prob.yaml")]).problem
    assert problem.rank_coefficients["Inputs"] == ({"R": 1, "P": 1},)
    assert problem.tensor_size("Inputs") == 18 and problem.macs == 1536


def test_instance_ranges() -> None:
    assert split_instance_range("PE[0..167]") == ("PE", 168)
    assert split_instance_range("DRAM") == ("DRAM", 1)
