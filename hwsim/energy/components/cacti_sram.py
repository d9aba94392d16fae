"""hwcomponents-cacti's SRAM, with CACTI run by hwsim.

`CactiSRAM` is hwcomponents-cacti's ``SRAM`` model unchanged (the same interpolation between
CACTI's technology nodes, the same empirical scaling for words narrower than 32 bits or arrays
shallower than 64 rows per bank) except for how one CACTI run happens: hwsim's `run_cacti` runs
it in a private temporary folder instead of a results folder inside site-packages (which may be
read-only and is pruned to 200 files), and a failed run raises `CactiFailure` with the reason.
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
