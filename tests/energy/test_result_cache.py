"""hwsim's on-disk cache of model results: where it lives, what keys it, and concurrent writers."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest

from hwsim.disk_cache import hwkd_cache_dir
from hwsim.energy.components.cache import CachedEvaluator, ResultCache, cache_key, default_cache_dir
from hwsim.energy.components.query import PrimitiveQuery, PrimitiveResult

QUERY = PrimitiveQuery.make(
    "hwkd-regfile", {"tech_node": 45e-9, "width": 16, "depth": 12}, {"read": "read"}
)
RESULT = PrimitiveResult({"read": 0.1234567890123}, 1903.25, 1.7e-5)


def test_cache_lives_outside_site_packages_and_follows_the_environment(
    monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("HWKD_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine" / "energy"
    monkeypatch.delenv("HWKD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hwkd_cache_dir() == tmp_path / "xdg" / "hwkd"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert hwkd_cache_dir() == Path.home() / ".cache" / "hwkd"
    for packages in site.getsitepackages():
        assert Path(packages) not in hwkd_cache_dir().parents


def test_round_trip_is_exact(tmp_path) -> None:
    cache = ResultCache(tmp_path)
    assert cache.get("k") is None
    cache.put("k", RESULT)
    assert cache.get("k") == RESULT
    assert cache.entries() == 1
    assert not list(tmp_path.rglob(".tmp-*"))


def test_unreadable_foreign_altered_or_invalid_entries_are_misses(tmp_path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("k", RESULT)
    path = next(tmp_path.rglob("*.json"))
    whole = json.loads(path.read_text())
    path.write_text("{ truncated")
    assert cache.get("k") is None
    path.write_text(json.dumps({**whole, "key": "another key"}))
    assert cache.get("k") is None
    edited = {**whole, "value": {**whole["value"], "actions": {"read": 99.0}}}
    path.write_text(json.dumps(edited))  # altered after writing: the checksum no longer matches
    assert cache.get("k") is None
    for bad in ({"read": -1.0}, {}, {"read": float("nan")}):
        value = {**whole["value"], "actions": bad}
        cache_entry = {"key": "k", "value": value}
        from hwsim.disk_cache import value_digest

        path.write_text(json.dumps({**cache_entry, "sha256": value_digest(value)}))
        assert cache.get("k") is None, bad  # negative, missing or NaN energies are recomputed


def test_key_covers_model_arguments_actions_and_model_code() -> None:
    other_width = PrimitiveQuery.make(
        "hwkd-regfile", {"tech_node": 45e-9, "width": 32, "depth": 12}, {"read": "read"}
    )
    other_actions = PrimitiveQuery.make(
        "hwkd-regfile",
        {"tech_node": 45e-9, "width": 16, "depth": 12},
        {"read": "read", "write": "write"},
    )
    keys = {cache_key(QUERY), cache_key(other_width), cache_key(other_actions)}
    assert len(keys) == 3
    assert "hwcomponents=" in cache_key(QUERY) and "register_file#" in cache_key(QUERY)
    reordered = PrimitiveQuery.make(
        "hwkd-regfile", {"depth": 12, "width": 16, "tech_node": 45e-9}, {"read": "read"}
    )
    assert cache_key(reordered) == cache_key(QUERY)


def test_cached_evaluator_computes_once(tmp_path) -> None:
    calls = []

    def inner(query):
        calls.append(query)
        return RESULT

    first = CachedEvaluator(inner, ResultCache(tmp_path))
    assert first(QUERY) == RESULT and first(QUERY) == RESULT
    assert (first.misses, first.hits, len(calls)) == (1, 0, 1)
    second = CachedEvaluator(inner, ResultCache(tmp_path))
    assert second(QUERY) == RESULT
    assert (second.misses, second.hits, len(calls)) == (0, 1, 1)


def test_an_entry_without_an_asked_action_is_recomputed(tmp_path) -> None:
    """A stored result that lacks an action the query asks (written by a query that asked fewer,
    or edited with a valid checksum) is a miss, not a result with a missing energy."""
    two = PrimitiveQuery.make(
        "hwkd-regfile", dict(QUERY.parameters), {"read": "read", "write": "write"}
    )
    full = PrimitiveResult({"read": 0.5, "write": 0.75}, 1903.25, 1.7e-5)
    cache = ResultCache(tmp_path)
    cache.put(cache_key(two), RESULT)  # "read" only
    assert cache.get(cache_key(two), ["read", "write"]) is None
    evaluator = CachedEvaluator(lambda query: full, cache)
    assert evaluator(two) == full and (evaluator.misses, evaluator.hits) == (1, 0)
    assert CachedEvaluator(lambda query: RESULT, cache)(two) == full  # the entry was replaced


def test_unwritable_cache_warns_and_still_answers(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    evaluator = CachedEvaluator(lambda q: RESULT, ResultCache(blocker / "energy"))
    with pytest.warns(UserWarning, match="cannot write the cache"):
        assert evaluator(QUERY) == RESULT


WRITER = """
import sys
from pathlib import Path
from hwsim.energy.components.cache import ResultCache
from hwsim.energy.components.query import PrimitiveResult
result = PrimitiveResult({"read": 0.1234567890123}, 1903.25, 1.7e-5)
cache = ResultCache(Path(sys.argv[1]))
for i in range(40):
    cache.put("shared", result)
    cache.put(f"own-{i}", result)
    got = cache.get("shared")
    assert got is None or got == result, got
"""


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)]) for _ in range(4)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    cache = ResultCache(tmp_path)
    assert cache.get("shared") == RESULT
    assert cache.entries() == 41
    assert not list(tmp_path.rglob(".tmp-*"))
