"""Reading user input files and folders safely: regular files of a sane size, folders that can
be listed.

A path on the command line may be anything: a FIFO or ``/dev/zero`` (reading it never ends), a
symbolic link loop, a file without read permission, a folder that cannot be listed. Each is a
`SpecError` naming the path, before anything is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from hwsim.errors import SpecError

#: Largest input file hwsim reads (Timeloop specs and ERTs are kilobytes).
MAX_INPUT_BYTES = 16 * 2**20


def _os_problem(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "a symbolic link loop"
    if isinstance(err, PermissionError):
        return "permission denied"
    return f"cannot be read ({err.strerror or err})"


def refuse_special_file(path: str | Path) -> None:
    """A `SpecError` if `path` exists but is neither a regular file nor a folder (a FIFO, a
    device) or cannot be looked at (a symbolic link loop); for arguments that may also be a
    name rather than a path (``resnet32``), so a missing path is not an error here."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise SpecError(_os_problem(err), file=str(path)) from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise SpecError(
            "not a regular file (a FIFO, device or socket); hwsim reads regular files only",
            file=str(path),
        )


def read_input_bytes(path: str | Path) -> bytes:
    """The bytes of the regular file `path`; anything else is a `SpecError` naming it."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        problem = "a broken symbolic link" if path.is_symlink() else "file not found"
        raise SpecError(problem, file=str(path)) from None
    except OSError as err:
        raise SpecError(_os_problem(err), file=str(path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError("is a directory, expected a file", file=str(path))
    if not stat.S_ISREG(info.st_mode):
        raise SpecError(
            "not a regular file (a FIFO, device or socket); hwsim reads regular files only",
            file=str(path),
        )
    if info.st_size > MAX_INPUT_BYTES:
        raise SpecError(_too_large(info.st_size), file=str(path))
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise SpecError(_os_problem(err), file=str(path)) from None
    if len(data) > MAX_INPUT_BYTES:
        raise SpecError(_too_large(len(data)), file=str(path))
    return data


def read_input_text(path: str | Path) -> str:
    """The UTF-8 text of the regular file `path` (see `read_input_bytes`)."""
    try:
        return read_input_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("not a text file (not UTF-8)", file=str(path)) from None


def _too_large(size: int) -> str:
    return (
        f"{size / 2**20:,.1f} MiB is more than hwsim reads from one input file "
        f"({MAX_INPUT_BYTES // 2**20} MiB)"
    )


def files_in_folder(folder: str | Path, *, recursive: bool = True) -> list[Path]:
    """The ``*.yaml`` files in `folder` (and its sub-folders when `recursive`; hidden files
    skipped, symbolic links to folders not followed), sorted. A folder that cannot be listed is
    a `SpecError` naming it, not an empty list."""
    folder = Path(folder)

    def fail(err: OSError) -> None:
        raise SpecError(
            f"cannot list this folder: {_os_problem(err)}", file=str(err.filename or folder)
        )

    found = []
    for root, _dirs, names in os.walk(folder, onerror=fail):
        found += [Path(root) / n for n in names if n.endswith(".yaml") and not n.startswith(".")]
        if not recursive:
            break
    return sorted(found)
