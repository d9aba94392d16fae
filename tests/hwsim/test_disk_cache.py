"""The one disk cache: checked entries, code fingerprints in keys, one computation across workers;
and the mapping cache built on it (a changed rule or a corrupted entry never serves a result)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hwsim.disk_cache as disk_cache
from hwsim.disk_cache import JsonCache, source_fingerprint, value_digest
from hwsim.mapper.search import MapperSettings
from hwsim.network import network_energy
from hwsim.spec.layers import conv2d_problem

SETTINGS = MapperSettings(progress=False, timeloop_version="v3.0")
LAYER = [("conv", conv2d_problem(C=4, M=8, P=8, Q=8, R=3, S=3))]


def _positive(value):
    if not isinstance(value, int) or value <= 0:
        raise ValueError(value)
    return value


def test_entries_are_used_only_whole_unaltered_and_valid(tmp_path):
    cache = JsonCache(tmp_path)
    cache.put("k", 7)
    assert cache.get("k", _positive) == 7
    path = cache.path("k")
    entry = json.loads(path.read_text())
    path.write_text(json.dumps({**entry, "value": 8}))  # edited by hand
    assert cache.get("k", _positive) is None
    path.write_text(json.dumps({"key": "k", "value": -1, "sha256": value_digest(-1)}))
    assert cache.get("k", _positive) is None  # well-formed but refused by the check
    path.write_text('{"key": "k", "val')  # truncated
    assert cache.get("k", _positive) is None
    path.write_text(json.dumps({**entry, "key": "other"}))
    assert cache.get("k", _positive) is None
    assert (cache.hits, cache.misses) == (1, 4)


def test_get_or_compute_replaces_a_bad_entry(tmp_path):
    cache = JsonCache(tmp_path)
    cache.path("k").parent.mkdir(parents=True)
    cache.path("k").write_text("garbage")
    assert cache.get_or_compute("k", lambda: 3, _positive) == (3, False)
    assert cache.get_or_compute("k", lambda: 4, _positive) == (3, True)


WORKER = """
import sys, time
from pathlib import Path
from hwsim.disk_cache import JsonCache
log = Path(sys.argv[2])
def compute():
    with log.open("a") as f:
        f.write("computed\\n")
    time.sleep(1.0)
    return 42
value, cached = JsonCache(Path(sys.argv[1])).get_or_compute("shared", compute, int)
assert value == 42
"""


def test_concurrent_workers_compute_a_value_once(tmp_path):
    log = tmp_path / "log"
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "cache"), str(log)])
        for _ in range(3)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    assert log.read_text().splitlines() == ["computed"]


def test_fingerprint_follows_the_source_text(monkeypatch):
    before = source_fingerprint("hwsim.analytical")
    real = disk_cache._read_source

    def edited(path: Path) -> bytes:
        text = real(path)
        return text + b"\n# a changed rule\n" if path.name == "kernel.py" else text

    source_fingerprint.cache_clear()
    monkeypatch.setattr(disk_cache, "_read_source", edited)
    try:
        assert source_fingerprint("hwsim.analytical") != before
        assert source_fingerprint("hwsim.trace") == source_fingerprint("hwsim.trace")
    finally:
        source_fingerprint.cache_clear()


def _energy(cache: Path):
    return network_energy(
        LAYER, "eyeriss_like_q3", "classic", settings=SETTINGS, cache=cache, progress=False
    ).layers[0]


def test_a_changed_rule_invalidates_cached_mappings(tmp_path, monkeypatch):
    assert not _energy(tmp_path).cached
    assert _energy(tmp_path).cached
    real = disk_cache._read_source
    source_fingerprint.cache_clear()
    monkeypatch.setattr(
        disk_cache,
        "_read_source",
        lambda path: real(path) + (b"#" if path.name == "kernel.py" else b""),
    )
    try:
        assert not _energy(tmp_path).cached  # nobody bumped a number
    finally:
        source_fingerprint.cache_clear()


def _only_entry(folder: Path) -> Path:
    (path,) = [p for p in folder.rglob("*.json")]
    return path


def _rewrite(path: Path, value) -> None:
    entry = json.loads(path.read_text())
    path.write_text(json.dumps({**entry, "value": value, "sha256": value_digest(value)}))


def test_corrupted_mapping_entries_are_mapped_again(tmp_path):
    fresh = _energy(tmp_path)
    path = _only_entry(tmp_path)
    good = json.loads(path.read_text())["value"]
    for bad in ({}, {"mapping": "not a mapping"}, [1, 2], {"mapping": [{"target": "nowhere"}]}):
        _rewrite(path, bad)
        again = _energy(tmp_path)
        assert not again.cached, bad
        assert again.energy_pj == fresh.energy_pj
    _rewrite(path, {**good, "cycles": 1, "energy_pj": 0.5})  # numbers are never read back
    served = _energy(tmp_path)
    assert served.cached and served.cycles == fresh.cycles and served.energy_pj == fresh.energy_pj


def test_a_source_file_removed_under_a_running_process_changes_the_fingerprint(tmp_path):
    """A long run whose code was renamed under it (a module it imported is gone) still gets a
    fingerprint — one that matches no current code — instead of a FileNotFoundError."""
    present = tmp_path / "present.py"
    present.write_text("x = 1\n")
    assert disk_cache._read_source(present) == b"x = 1\n"
    assert disk_cache._read_source(tmp_path / "gone.py") == b"<missing source file>"
