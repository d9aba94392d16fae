"""hwsim's own component models as an hwcomponents plug-in.

hwcomponents finds models in every installed top-level package named ``hwcomponents_*``; this
package exposes hwsim's register-file model (flip-flop array, read multiplexer tree, write
decoder) and its burst-counting DRAM model, so ``hwcomponents.get_energy("regfile", ...)`` and
``hwc --list`` see them without any registration call.
"""

from hwsim.energy.components.dram_bursts import DRAMBursts
from hwsim.energy.components.register_file import RegisterFile
