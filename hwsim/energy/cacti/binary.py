"""The CACTI executable of the hwcomponents-cacti wheel: find it, prove it runs, rebuild it.

The wheel ships CACTI's C++ sources, its makefile and a prebuilt ``cacti`` binary. That binary is
linked against GLIBC 2.38 and GLIBCXX 3.4.32, so on older systems (Debian 12 has GLIBC 2.36) it
does not even start, and hwcomponents-cacti reports only "CACTI failed with exit code 1".
`ensure_cacti` proves the executable works by running a small SRAM through it and, when it does
not, rebuilds it from the wheel's own sources with ``make`` (a few seconds) and installs the result
over the bundled binary, or, when site-packages is read-only, under hwsim's cache directory.

Resolution order of the executable hwsim runs: ``$HWKD_CACTI`` (a path), then a binary rebuilt
into the cache directory, then the wheel's ``cacti/cacti``. CACTI is always run with the wheel's
``cacti/`` folder as working directory, where it reads ``tech_params/``.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hwsim.disk_cache import hwkd_cache_dir
from hwsim.energy.cacti.config import CactiInput, config_text, parse_output

#: Environment variable naming a CACTI executable to use instead of the wheel's.
EXECUTABLE_VARIABLE = "HWKD_CACTI"

#: A small SRAM that every working CACTI evaluates in well under a second.
PROBE = CactiInput(size_bytes=8192, n_rw_ports=1, block_bytes=8, technology_um=0.045)

SETUP_COMMAND = "python -m hwsim.energy.setup"


class CactiUnavailable(RuntimeError):
    """CACTI cannot run here (not installed, not buildable, or the executable is broken)."""


@dataclass(frozen=True)
class CactiStatus:
    """Whether an executable evaluates the probe SRAM, and if not, what it said."""

    executable: Path
    works: bool
    detail: str = ""


def package_dir() -> Path:
    """The wheel's ``cacti/`` folder (sources, makefile, ``tech_params/``, bundled binary)."""
    spec = importlib.util.find_spec("hwcomponents_cacti")
    if spec is None or not spec.submodule_search_locations:
        raise CactiUnavailable(
            "hwcomponents-cacti is not installed; install the energy extra: pip install -e '.[energy]'"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "cacti"
    if not (folder / "makefile").exists():
        raise CactiUnavailable(f"the hwcomponents-cacti wheel has no CACTI sources in {folder}")
    return folder


def wheel_version() -> str:
    return importlib.metadata.version("hwcomponents-cacti")


def cache_executable() -> Path:
    """Where a rebuilt binary goes when the wheel's folder is not writable."""
    return hwkd_cache_dir() / "cacti" / wheel_version() / "cacti"


def executable() -> Path:
    """The executable hwsim runs (see the module docstring for the order)."""
    explicit = os.environ.get(EXECUTABLE_VARIABLE)
    if explicit:
        return Path(explicit)
    rebuilt = cache_executable()
    if rebuilt.exists():
        return rebuilt
    return package_dir() / "cacti"


def run_executable(
    binary: Path, run: CactiInput, *, timeout_s: float = 600
) -> tuple[int, str, str | None]:
    """Run `binary` on `run` in a private temporary folder: (exit status, console text, result file text)."""
    folder = package_dir()
    defaults = (folder.parent / "default_cfg.cfg").read_text()
    with tempfile.TemporaryDirectory(prefix="hwkd-cacti-") as tmp:
        infile = Path(tmp) / "input.cfg"
        infile.write_text(config_text(defaults, run))
        try:
            proc = subprocess.run(
                [str(binary), "-infile", str(infile)],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except FileNotFoundError:
            return 127, f"{binary}: no such file", None
        except PermissionError:
            return 126, f"{binary}: not executable", None
        except subprocess.TimeoutExpired:
            return 124, f"CACTI ran for more than {timeout_s:g} s", None
        result = Path(f"{infile}.out")
        text = result.read_text() if result.exists() else None
        return proc.returncode, (proc.stdout or "") + (proc.stderr or ""), text


def probe(binary: Path | None = None) -> CactiStatus:
    """Run the probe SRAM through `binary` (default: `executable`) and say whether it worked."""
    binary = binary or executable()
    status, console, result = run_executable(binary, PROBE, timeout_s=120)
    if status == 0 and result is not None:
        try:
            parse_output(result)
        except ValueError as err:
            return CactiStatus(binary, False, f"unreadable result: {err}")
        return CactiStatus(binary, True)
    return CactiStatus(binary, False, first_lines(console) or f"exit status {status}")


def first_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[:count])


def build(jobs: int | None = None) -> tuple[Path, Path]:
    """Compile CACTI from the wheel's sources in a temporary folder: (binary, folder to delete)."""
    for tool in ("make", "g++"):
        if shutil.which(tool) is None:
            raise CactiUnavailable(
                f"rebuilding CACTI needs {tool!r} on PATH (Debian/Ubuntu: apt-get install make g++)"
            )
    source = package_dir()
    work = Path(tempfile.mkdtemp(prefix="hwkd-cacti-build-"))
    for path in source.iterdir():
        if path.is_file() and (
            path.suffix in (".cc", ".h") or path.name in ("makefile", "cacti.mk")
        ):
            shutil.copy2(path, work / path.name)
    jobs = jobs or max(1, os.cpu_count() or 1)
    proc = subprocess.run(
        ["make", f"-j{jobs}"], cwd=work, capture_output=True, text=True, check=False
    )
    binary = work / "cacti"
    if proc.returncode != 0 or not binary.exists():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        shutil.rmtree(work, ignore_errors=True)
        raise CactiUnavailable(
            f"building CACTI from {source} failed (make exit {proc.returncode}):\n{tail}"
        )
    return binary, work


def install(binary: Path) -> Path:
    """Put a built binary where `executable` finds it, atomically; returns its new path."""
    wheel_binary = package_dir() / "cacti"
    target = wheel_binary if os.access(wheel_binary.parent, os.W_OK) else cache_executable()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.hwkd-{os.getpid()}")
    shutil.copy2(binary, staging)
    staging.chmod(0o755)
    os.replace(staging, target)
    return target


def ensure_cacti(
    *, force: bool = False, report: Callable[[str], None] = lambda _: None
) -> CactiStatus:
    """Make sure `executable` works, rebuilding CACTI when it does not (or when `force`).

    Idempotent and quick when CACTI already works (one probe run, well under a second).
    Concurrent callers serialise on a lock file; the second finds CACTI working and returns.
    Raises `CactiUnavailable` when CACTI cannot be made to work, with the reason.
    """
    if not force:
        status = probe()
        if status.works:
            return status
        report(f"CACTI at {status.executable} does not run: {status.detail}")
    lock_path = hwkd_cache_dir() / "cacti-build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force:
            status = probe()
            if status.works:
                return status
        started = time.perf_counter()
        report(f"rebuilding CACTI from the sources in {package_dir()} ...")
        built, work = build()
        try:
            target = install(built)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        status = probe(target)
        if not status.works:
            raise CactiUnavailable(f"CACTI rebuilt at {target} still does not run: {status.detail}")
        report(f"CACTI rebuilt in {time.perf_counter() - started:.1f} s: {target}")
        return status
