"""Re-record the CACTI results the fast energy tests replay: ``python tests/energy/record_cacti.py``.

The fast tests must not run CACTI (seconds per call, and a compiled binary), so they replay the
results recorded here in ``recorded/cacti_sram.json``, keyed by the model query. Everything else
(register file, DRAM, Aladdin models) is pure Python and runs live. The slow test
``test_recorded_cacti_matches_live`` proves every recorded number still equals a live CACTI run.
Run this after changing anything that changes which SRAM queries the tests make.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, as pytest's pythonpath
from shared_material import SHARED

from hwsim.energy.components import build_energy_table
from hwsim.energy.components.evaluate import evaluate_with_hwcomponents
from hwsim.energy.components.query import PrimitiveQuery, PrimitiveResult
from hwsim.energy.sweeps.plan import q2_sweeps
from hwsim.energy.sweeps.run import run_sweeps
from hwsim.report.table2 import default_spec_dir
from hwsim.spec import load_specs

HERE = Path(__file__).resolve().parent
RECORDING = HERE / "recorded" / "cacti_sram.json"
COURSE = SHARED / "specs" / "course-a2"

#: Architectures whose SRAMs the fast tests price (shared ones only when present).
ARCHITECTURES = [
    [default_spec_dir() / "arch.yaml"],
    [HERE / "specs" / "eyeriss_like.yaml"],
    [COURSE / "Q3" / "arch"],
    [COURSE / "tutorial_cfg" / "eyeriss_like.yaml"],
]


def main() -> int:
    recorded: dict[str, dict] = {}

    def recording(query: PrimitiveQuery) -> PrimitiveResult:
        result = evaluate_with_hwcomponents(query)
        if query.model == "cacti-sram":
            recorded[query.key()] = result.to_json()
        return result

    run_sweeps(q2_sweeps(), technology="45nm", evaluator=recording)
    for files in ARCHITECTURES:
        if all(Path(f).exists() for f in files):
            specs = load_specs(files)
            assert specs.architecture is not None
            build_energy_table(
                specs.architecture,
                compound_components=specs.compound_components,
                evaluator=recording,
            )
    RECORDING.parent.mkdir(parents=True, exist_ok=True)
    RECORDING.write_text(
        json.dumps(dict(sorted(recorded.items())), indent=1, sort_keys=True) + "\n"
    )
    print(f"recorded {len(recorded)} CACTI results in {RECORDING}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
