"""Programs the study tests start for real: a PostgreSQL server, optuna-dashboard, headless
Chromium. Each is looked up on this machine (`.ci/run` installs Debian's packages); one that is
missing fails the test in CI (CI=true) and skips it elsewhere, with the reason."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from absent import absent

POSTGRES_BINS = ("/usr/lib/postgresql/*/bin",)


def require(program: str | None, what: str) -> str:
    """The program's path; a missing one fails in CI and skips elsewhere."""
    if program:
        return program
    absent(f"{what} is not installed (.ci/run installs it: see its apt-get line)")


def postgres_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    found = sorted(Path("/").glob("usr/lib/postgresql/*/bin/pg_ctl"))
    return found[-1].parent if found else None


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL server on a free localhost port; yields its database URL.

    PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (Debian's
    package creates it), else as `nobody`, in a folder of its own under /tmp.
    """
    bindir = Path(require(str(postgres_bindir() or ""), "PostgreSQL (initdb, pg_ctl)"))
    folder = Path(tempfile.mkdtemp(prefix="hwkd-pg-"))
    data, port = folder / "data", free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(folder, user)
        as_user = ["runuser", "-u", user, "--"]
    run = lambda *args: subprocess.run(  # noqa: E731
        [*as_user, *args], check=True, capture_output=True, text=True, timeout=120
    )
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "hwkd", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", f"{folder}/log", "-w",
            "start")  # fmt: skip
        try:
            yield f"postgresql://hwkd@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
