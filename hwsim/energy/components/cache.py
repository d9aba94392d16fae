"""hwsim's on-disk cache of component-model results, outside site-packages.

One small JSON file per evaluated model query, under ``<hwkd cache dir>/energy/`` (see
`hwsim.energy.cache_dir`). The key is the query's canonical text (model, constructor arguments,
actions) plus the model's fingerprint (package versions, hash of hwsim's own model sources), so a
changed model never reuses an old number. Writers write a private temporary file and rename it
into place, which is atomic: concurrent writers of the same entry both write the same content,
and readers see either no file or a whole one. An unreadable or mismatched entry is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from hwsim.energy.cache_dir import hwkd_cache_dir
from hwsim.energy.components.evaluate import Evaluator
from hwsim.energy.components.model_registry import model_fingerprint
from hwsim.energy.components.query import PrimitiveQuery, PrimitiveResult


def default_cache_dir() -> Path:
    return hwkd_cache_dir() / "energy"


@dataclass(frozen=True)
class ResultCache:
    """A folder of cached results (created on the first write)."""

    directory: Path

    def _path(self, key: str) -> Path:
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.json"

    def get(self, key: str) -> PrimitiveResult | None:
        try:
            data = json.loads(self._path(key).read_text())
            if data.get("key") != key:
                return None
            return PrimitiveResult.from_json(data["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, result: PrimitiveResult) -> None:
        path = self._path(key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, staging = tempfile.mkstemp(
                prefix=f".{path.stem}.", suffix=".tmp", dir=self.directory
            )
            with os.fdopen(fd, "w") as out:
                json.dump({"key": key, "result": result.to_json()}, out, indent=1, sort_keys=True)
            os.replace(staging, path)
        except OSError as err:
            warnings.warn(
                f"hwsim: cannot write the energy cache in {self.directory}: {err}", stacklevel=2
            )

    def entries(self) -> int:
        return len(list(self.directory.glob("*.json"))) if self.directory.exists() else 0


def cache_key(query: PrimitiveQuery) -> str:
    return f"{query.key()}|{model_fingerprint(query.model)}"


@dataclass
class CachedEvaluator:
    """An evaluator that answers from the cache, from memory within a run, else from `inner`.

    Attributes:
        inner: the evaluator used on a miss.
        cache: the on-disk cache; None keeps results in memory only.
        hits, misses: counters of disk hits and of evaluations by `inner`.
    """

    inner: Evaluator
    cache: ResultCache | None
    hits: int = 0
    misses: int = 0
    _memory: dict[str, PrimitiveResult] = field(default_factory=dict, repr=False)

    def __call__(self, query: PrimitiveQuery) -> PrimitiveResult:
        key = cache_key(query)
        if key in self._memory:
            return self._memory[key]
        result = self.cache.get(key) if self.cache is not None else None
        if result is not None:
            self.hits += 1
        else:
            self.misses += 1
            result = self.inner(query)
            if self.cache is not None:
                self.cache.put(key, result)
        self._memory[key] = result
        return result
