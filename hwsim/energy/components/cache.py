"""hwsim's on-disk cache of component-model results (``<hwkd cache dir>/energy/``).

One `hwsim.disk_cache.JsonCache` entry per evaluated model query. The key is the query's canonical
text (model, constructor arguments, actions) plus the model's fingerprint (package versions, hash
of hwsim's own model sources), so a changed model never reuses an old number. An entry is used
only when it is whole, unaltered and a valid result (finite, non-negative energies, leakage and
area, an energy for every action the query asks); anything else is recomputed. See `hwsim.disk_cache` for where everything is cached.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.disk_cache import JsonCache, hwkd_cache_dir
from hwsim.energy.components.evaluate import Evaluator
from hwsim.energy.components.model_registry import model_fingerprint
from hwsim.energy.components.query import PrimitiveQuery, PrimitiveResult


def default_cache_dir() -> Path:
    return hwkd_cache_dir() / "energy"


def checked_result(data: Mapping[str, Any], actions: Sequence[str] = ()) -> PrimitiveResult:
    """A stored result, refused (ValueError) unless every number is finite and non-negative and
    every action of `actions` has its energy."""
    result = PrimitiveResult.from_json(data)
    numbers = [*result.actions.values(), result.leak_w]
    if result.area_um2 is not None:
        numbers.append(result.area_um2)
    if not result.actions or any(not math.isfinite(x) or x < 0 for x in numbers):
        raise ValueError("not a valid model result")
    if any(action not in result.actions for action in actions):
        raise ValueError("an action is missing")
    return result


@dataclass(frozen=True)
class ResultCache:
    """A folder of cached model results (created on the first write)."""

    directory: Path

    def get(self, key: str, actions: Sequence[str] = ()) -> PrimitiveResult | None:
        """The result stored for `key`, if valid and holding an energy for each of `actions`."""
        return JsonCache(self.directory).get(key, lambda data: checked_result(data, actions))

    def put(self, key: str, result: PrimitiveResult) -> None:
        JsonCache(self.directory).put(key, result.to_json())

    def entries(self) -> int:
        return len(list(self.directory.rglob("*.json"))) if self.directory.exists() else 0


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
        asked = [action for action, _ in query.actions]
        result = self.cache.get(key, asked) if self.cache is not None else None
        if result is not None:
            self.hits += 1
        else:
            self.misses += 1
            result = self.inner(query)
            if self.cache is not None:
                self.cache.put(key, result)
        self._memory[key] = result
        return result
