"""An on-disk cache of best mappings, so a sweep never maps the same layer twice.

Keyed by everything the result depends on: the problem (shape and sizes), the architecture, the
constraints, the energy table, the mapper settings and the model's version. A hit stores only
the mapping; it is re-evaluated (milliseconds) so the returned counts always come from the
current model. Entries are written atomically (temporary file + rename), so concurrent workers
may share the cache; an unreadable entry is treated as a miss.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hwsim.energy.cache_dir import hwkd_cache_dir
from hwsim.energy.table import EnergyTable
from hwsim.mapper.search import MapperSettings
from hwsim.spec.architecture import Architecture
from hwsim.spec.problem import Problem

#: Bump when the analytical model's counts change, to invalidate old entries.
MODEL_VERSION = "hwsim-analytical-1"


def mapping_cache_dir() -> Path:
    return hwkd_cache_dir() / "mappings"


def _canonical(value: Any) -> Any:
    """JSON-able and independent of hash order (sets sorted), for stable keys across processes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
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
        "model": MODEL_VERSION,
        "shape": problem.shape.model_dump(exclude={"name"}),
        "instance": dict(sorted(problem.instance.items())),
        "architecture": arch.model_dump(mode="json"),
        "constraints": _canonical(constraints),
        "energy": table.to_dict(),
        "settings": settings.key(),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class MappingCache:
    """Best mappings on disk, one JSON file per key (see module docstring)."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else mapping_cache_dir()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(entry, handle)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
