"""Fixtures of the energy tests: a private cache folder per test, replayed CACTI results, paths.

Every test gets its own ``HWKD_CACHE_DIR`` (nothing touches the user's cache). Fast tests price
SRAMs from ``recorded/cacti_sram.json`` (see ``record_cacti.py``) and everything else live; tests
marked ``slow`` run CACTI itself. Tests that read ``../shared`` use ``shared_material.shared_path``,
which skips, saying so, when it is absent.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from absent import in_ci

from hwsim.energy.components.evaluate import evaluate_with_hwcomponents
from hwsim.energy.components.query import PrimitiveQuery, PrimitiveResult

MODELS_INSTALLED = all(
    importlib.util.find_spec(m)
    for m in ("hwcomponents", "hwcomponents_cacti", "hwcomponents_library")
)

HERE = Path(__file__).resolve().parent
RECORDING = HERE / "recorded" / "cacti_sram.json"
EYERISS_LIKE = HERE / "specs" / "eyeriss_like.yaml"

#: The components of ``specs/eyeriss_like.yaml``, in the order the architecture lists them.
EYERISS_LIKE_COMPONENTS = ("DRAM", "shared_glb", "ifmap_spad", "weights_spad", "psum_spad", "mac")


class RecordedEvaluator:
    """Answers CACTI SRAM queries from the recording and every other query with the live model."""

    def __init__(self, recording: Path = RECORDING):
        self.recorded = json.loads(recording.read_text())
        self.replayed: list[str] = []

    def __call__(self, query: PrimitiveQuery) -> PrimitiveResult:
        if query.model != "cacti-sram":
            return evaluate_with_hwcomponents(query)
        key = query.key()
        if key not in self.recorded:
            pytest.fail(
                f"no recorded CACTI result for {key}; re-record with: python tests/energy/record_cacti.py"
            )
        self.replayed.append(key)
        return PrimitiveResult.from_json(self.recorded[key])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, with the reason, tests of modules that set NEEDS_MODELS when the energy extra is absent."""
    if MODELS_INSTALLED:
        return
    if in_ci():  # CI runs every check: a missing extra is an error there, not a quiet skip
        raise pytest.UsageError("the energy extra is not installed (pip install -e '.[energy]')")
    skip = pytest.mark.skip(reason="the energy extra is not installed (pip install -e '.[energy]')")
    for item in items:
        if getattr(item.module, "NEEDS_MODELS", False) and HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "hwkd-cache"
    monkeypatch.setenv("HWKD_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def eyeriss_like() -> Path:
    """hwsim's own Eyeriss-like architecture (v0.4, 45 nm, built-in smartbuffer classes)."""
    return EYERISS_LIKE


@pytest.fixture
def eyeriss_like_components() -> tuple[str, ...]:
    return EYERISS_LIKE_COMPONENTS


@pytest.fixture
def recorded() -> RecordedEvaluator:
    return RecordedEvaluator()


@pytest.fixture
def replay_cacti(monkeypatch: pytest.MonkeyPatch, recorded: RecordedEvaluator) -> RecordedEvaluator:
    """Make the default evaluator (CLI, load_energy_table) replay CACTI instead of running it."""
    monkeypatch.setattr(
        "hwsim.energy.components.table_builder.evaluate_with_hwcomponents", recorded
    )
    return recorded
