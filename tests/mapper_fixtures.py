"""Shared inputs of the mapper tests: a small two-buffer architecture with a 2-wide fanout, an
energy table for it, and the batch model's energy of a mapping (an independent check of the
scalar evaluation a mapper reports)."""

from __future__ import annotations

from hwsim.analytical.batch import Skeleton, energy_vectors, evaluate_batch
from hwsim.energy.table import EnergyTable
from hwsim.spec.architecture import Architecture, parse_architecture
from hwsim.spec.mapping import Mapping
from hwsim.spec.problem import Problem

TABLE = EnergyTable.from_mapping(
    "test",
    {
        "DRAM": {"read": 100.0, "write": 100.0},
        "SRAM": {"read": 6.0, "write": 7.0},
        "regfile": {"read": 1.0, "write": 1.0},
        "intmac": {"compute": 0.5},
    },
)


def small_arch(buffer: int, rf: int, mesh: tuple[int, int]):
    """DRAM, a `buffer`-word buffer, a (meshX, meshY) fanout of PEs with an `rf`-word RF."""
    spatial = {"meshX": mesh[0]} | ({"meshY": mesh[1]} if mesh[1] > 1 else {})
    return parse_architecture(
        {
            "version": 0.4,
            "nodes": [
                {"name": "System", "attributes": {"technology": "45nm"}},
                {"name": "DRAM", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
                {
                    "name": "Buffer",
                    "class": "SRAM",
                    "attributes": {"depth": buffer, "width": 8, "datawidth": 8},
                },
                {"name": "PE", "spatial": spatial},
                {
                    "name": "RF",
                    "class": "regfile",
                    "attributes": {"depth": rf, "width": 8, "datawidth": 8},
                },
                {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
            ],
        }
    )


#: DRAM, a 24-word buffer, a fanout of two PEs (meshX) with a 6-word register file each.
SMALL_ARCH = small_arch(24, 6, (2, 1))


def batch_energy(
    problem: Problem,
    architecture: Architecture,
    mapping: Mapping,
    table: EnergyTable,
    version: str = "master",
) -> float:
    """Energy (pJ) of `mapping` by the vectorised batch model, what the native search ranks
    with (the scalar `hwsim.evaluate.evaluate` is what a `MapperResult` reports)."""
    skeleton, row = Skeleton.from_mapping(problem, architecture, mapping)
    result = evaluate_batch(skeleton, row, version=version, energy=energy_vectors(skeleton, table))
    assert result.energy_pj is not None
    return float(result.energy_pj[0])


#: Classic Accelergy 0.3's energies (pJ per action) of eyeriss_like_q3 at 16 bits
#: (``load_energy_table("classic", ...)``), copied so the test needs no CACTI.
Q3_CLASSIC_TABLE = EnergyTable.from_mapping(
    "classic-q3",
    {
        "DRAM": {"read": 512, "write": 512},
        "shared_glb": {"read": 74.1442, "write": 75.2148},
        "DummyBuffer": {"read": 0.20203, "write": 0.20203},
        "ifmap_spad": {"read": 0.23632, "write": 0.23632},
        "weights_spad": {"read": 1.58552, "write": 1.58552},
        "psum_spad": {"read": 0.25083, "write": 0.25083},
        "mac": {"compute": 2.20035},
    },
)
