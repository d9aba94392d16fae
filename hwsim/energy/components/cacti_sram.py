"""hwcomponents-cacti's SRAM, with CACTI run by hwsim.

`CactiSRAM` is hwcomponents-cacti's ``SRAM`` model unchanged (the same interpolation between
CACTI's technology nodes, the same empirical scaling for words narrower than 32 bits or arrays
shallower than 64 rows per bank) except for how one CACTI run happens: hwsim's `run_cacti` runs
it in a private temporary folder instead of a results folder inside site-packages (which may be
read-only and is pruned to 200 files), and a failed run raises `CactiFailure` with the reason,
and the node is rounded to 1e-6 nm before the interpolation: hwcomponents-cacti converts the
metres it is given back to nanometres by ``× 1e9`` and compares the result with its nodes
(22, 32, 45, 65, 90 nm) exactly, so a node such as ``45 * 1e-9`` (45.00000000000001 nm) would run
CACTI at 45 and 65 nm, and ``90 * 1e-9`` would fall outside 22–90 nm and be scaled from 22 nm.
hwsim caches the model's final numbers itself (`hwsim.energy.components.cache`).
"""

from __future__ import annotations

from typing import ClassVar

from hwcomponents_cacti import SRAM

from hwsim.energy.cacti.config import CactiInput
from hwsim.energy.cacti.run import run_cacti


class CactiSRAM(SRAM):
    """An SRAM macro modelled by CACTI (parameters as hwcomponents-cacti's ``SRAM``)."""

    component_name: ClassVar[list[str]] = ["SRAM", "sram"]
    priority = 0.35
    tech_node: float  # nm, set by SRAM.__init__ (hwcomponents-cacti has no type information)

    def _interp_tech_node(self) -> tuple[float, float, float, float, float, float]:
        self.tech_node = round(self.tech_node, 6)  # nm; see the module docstring
        return super()._interp_tech_node()

    def _call_cacti(
        self,
        cache_size: int,
        n_rw_ports: int,
        block_size: int,
        tech_node_um: float,
        n_banks: int,
        tag_size: int,
        associativity: int,
    ) -> tuple[float, float, float, float, float, float]:
        result = run_cacti(
            CactiInput(
                size_bytes=int(cache_size),
                n_rw_ports=int(n_rw_ports),
                block_bytes=int(block_size),
                technology_um=float(tech_node_um),
                n_banks=int(n_banks),
                cache_type=self.cache_type,
                tag_bits=int(tag_size),
                associativity=int(associativity),
            )
        )
        return (
            result.read_energy_j,
            result.write_energy_j,
            result.leakage_per_bank_w * self.n_banks,
            result.area_m2,
            result.cycle_time_s,
            result.access_time_s,
        )
