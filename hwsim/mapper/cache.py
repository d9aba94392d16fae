"""An on-disk cache of best mappings, so a sweep never maps the same layer twice.

Keyed by everything the result depends on: the problem (shape and sizes), the architecture, the
constraints, the energy table, the mapper settings and a fingerprint of the source of hwsim's
counting and mapping code (`CODE`), so a change of any rule invalidates old entries by itself.
An entry stores only the mapping; a hit is re-evaluated (milliseconds), so the returned counts,
energy and cycles always come from the current model, and an entry that no longer binds to the
problem is a miss. Storage, checksums, atomic writes and the per-key lock that lets concurrent
workers map a layer once are `hwsim.disk_cache.JsonCache`'s.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hwsim.disk_cache import JsonCache, hwkd_cache_dir, source_fingerprint
from hwsim.energy.table import EnergyTable
from hwsim.mapper.search import MapperSettings
from hwsim.spec.architecture import Architecture
from hwsim.spec.problem import Problem

#: The code a best mapping depends on: how it is counted, priced, searched and written.
CODE = (
    "hwsim.spec",
    "hwsim.nest",
    "hwsim.counts",
    "hwsim.analytical",
    "hwsim.energy.pricing",
    "hwsim.evaluate",
    "hwsim.result",
    "hwsim.mapper",
)


def mapping_cache_dir() -> Path:
    return hwkd_cache_dir() / "mappings"


def _canonical(value: Any) -> Any:
    """JSON-able and independent of hash order (sets sorted), for stable keys across processes;
    dataclass fields outside equality (where a value came from) are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare
        }
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, set | frozenset):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def cache_key(
    problem: Problem,
    arch: Architecture,
    constraints: Any,
    table: EnergyTable,
    settings: MapperSettings,
) -> str:
    """A stable digest of what a mapper result depends on (the problem's name is not part of it)."""
    payload = {
        "code": source_fingerprint(*CODE),
        "shape": problem.shape.model_dump(exclude={"name"}),
        "instance": dict(sorted(problem.instance.items())),
        "architecture": arch.model_dump(mode="json", exclude={"file"}),
        "constraints": _canonical(constraints),
        "energy": table.to_dict(),
        "settings": settings.key(),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def checked_entry(value: Any) -> dict[str, Any]:
    """A stored entry, refused (ValueError) unless it holds a mapping document."""
    if not isinstance(value, dict) or not isinstance(value.get("mapping"), dict | list):
        raise ValueError("not a mapping-cache entry")
    return value


@dataclasses.dataclass(frozen=True)
class MappingCache:
    """Best mappings on disk (see module docstring); `root` None means `mapping_cache_dir()`."""

    root: str | Path | None = None

    def _store(self) -> JsonCache:
        return JsonCache(Path(self.root) if self.root is not None else mapping_cache_dir())

    def get(self, key: str) -> dict[str, Any] | None:
        return self._store().get(key, checked_entry)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self._store().put(key, entry)

    def get_or_compute(
        self, key: str, compute: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """(entry, from disk): mapped once across the workers sharing the folder."""
        return self._store().get_or_compute(key, compute, checked_entry)
