"""Everything hwkd computes and keeps between runs: one folder, one kind of entry, one set of rules.

Where: ``$HWKD_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/hwkd``, else ``~/.cache/hwkd``
(`hwkd_cache_dir`). Deleting it, or any folder in it, is always safe: everything is recomputed on
demand (``rm -rf ~/.cache/hwkd``).

| folder | what | keyed by |
| --- | --- | --- |
| ``energy/`` | component-model results (hwcomponents, CACTI via hwcomponents) | query + package versions + hash of the model sources |
| ``classic-cacti/`` | CACTI result rows of the classic Accelergy source | full CACTI input text + CACTI wheel version |
| ``mappings/`` | best mapping per layer shape | problem, architecture, constraints, energy table, mapper settings + hash of hwsim's counting and mapping sources |
| ``cacti/`` | a CACTI binary rebuilt from the wheel's sources (`hwsim.energy.cacti.binary`) | wheel version |
| ``teacher_logits/`` | the teacher-logit cache (`models.logit_cache`; ``paths.cache_dir``): a memory-mapped array, its files and rows checked on every use | teacher weights, transform, data, views + hash of the logit code |

The JSON caches (`JsonCache`) share these rules:

- a key always includes a fingerprint of the code that computed the value (`source_fingerprint`),
  so a change of rules never serves an old result, and nobody bumps a version number by hand;
- an entry is ``{"key", "sha256", "value"}``: it is used only if its key is the one asked for, its
  checksum matches its value and the caller's check accepts the value; anything else (truncated,
  edited, of another shape) is a miss, recomputed and written over;
- writes are atomic (a private temporary file renamed into place), so readers see a whole entry
  or none, and `JsonCache.get_or_compute` holds a file lock (filelock) per key while computing,
  so concurrent workers compute a value once and the others wait and read it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

#: Environment variable that moves the whole cache (tests point it at a temporary folder).
CACHE_DIR_VARIABLE = "HWKD_CACHE_DIR"

T = TypeVar("T")


def hwkd_cache_dir() -> Path:
    """The root of hwkd's on-disk cache (not created here)."""
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hwkd"


@functools.cache
def source_fingerprint(*modules: str) -> str:
    """A digest of the source text of `modules` (a package counts with every file in it)."""
    digest = hashlib.sha256()
    for module in sorted(modules):
        for path in _source_files(module):
            digest.update(str(path.name).encode())
            digest.update(_read_source(path))
    return digest.hexdigest()[:16]


def _source_files(module: str) -> list[Path]:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no module {module!r} to fingerprint")
    origin = Path(spec.origin)
    if spec.submodule_search_locations:  # a package: all of it
        return sorted(origin.parent.rglob("*.py"))
    return [origin]


def _read_source(path: Path) -> bytes:
    """The file's text; a marker when it is gone (a long run whose code was changed under it:
    its fingerprint then differs from any current one, so nothing stale is served)."""
    try:
        return path.read_bytes()
    except OSError:
        return b"<missing source file>"


def value_digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


@dataclass
class JsonCache:
    """JSON values on disk, one file per key, checked on every read (see the module docstring).

    Attributes:
        folder: where the entries live (created on the first write).
        hits, misses: reads answered from disk, and reads that were not.
    """

    folder: Path
    hits: int = 0
    misses: int = 0

    def path(self, key: str) -> Path:
        name = hashlib.sha256(key.encode()).hexdigest()[:40]
        return self.folder / name[:2] / f"{name}.json"

    def get(self, key: str, check: Callable[[Any], T]) -> T | None:
        """The value stored for `key` as `check` returns it, or None (a miss) when there is none,
        or it is not whole, not this key's, altered, or `check` refuses it (raises)."""
        try:
            stored = json.loads(self.path(key).read_text())
            if not isinstance(stored, dict) or stored.get("key") != key:
                raise ValueError("another key")
            if stored.get("sha256") != value_digest(stored.get("value")):
                raise ValueError("checksum")
            value = check(stored["value"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        """Store `value` (JSON-able) for `key`, atomically; an unwritable folder only warns."""
        path = self.path(key)
        entry = {"key": key, "sha256": value_digest(value), "value": value}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, staging = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "w") as out:
                    json.dump(entry, out)
                os.replace(staging, path)
            finally:
                if os.path.exists(staging):
                    os.unlink(staging)
        except OSError as err:
            warnings.warn(f"hwkd: cannot write the cache in {self.folder}: {err}", stacklevel=2)

    def get_or_compute(
        self, key: str, compute: Callable[[], Any], check: Callable[[Any], T]
    ) -> tuple[T, bool]:
        """(value, whether it came from disk): computed once across processes sharing the folder."""
        found = self.get(key, check)
        if found is not None:
            return found, True
        from filelock import FileLock  # only when computing: a cache hit needs no lock

        lock = FileLock(str(self.path(key)) + ".lock")
        try:
            self.path(key).parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except OSError:  # an unwritable cache: compute without sharing
            return check(compute()), False
        try:
            found = self.get(key, check)  # another worker may have finished it meanwhile
            if found is not None:
                return found, True
            value = compute()
            self.put(key, value)
            return check(value), False
        finally:
            lock.release()
