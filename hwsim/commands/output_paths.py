"""Checking where a command will write, before it computes or prints anything.

A path under a file, in ``/proc``, on a read-only file system or without permission fails only
when the file is finally written, after the results were printed (and minutes of mapping). The
commands check their output paths first: each problem is a `SpecError` naming the path and the
option, and nothing is created.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

from hwsim.errors import SpecError

#: File types ``--plot`` can write (matplotlib's by suffix).
PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def _existing_folder(path: Path, option: str, target: Path) -> Path:
    """The nearest existing ancestor of `path` (itself included), which must be a folder."""
    current = path
    while not current.exists() and not current.is_symlink():
        if current.parent == current:
            break
        current = current.parent
    if not current.is_dir():
        what = "is not a folder" if current.exists() else "does not exist"
        raise SpecError(f"cannot write there: {current} {what}", file=str(target), field=option)
    return current


def _is_link_loop(path: Path) -> bool:
    try:
        path.stat()
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def _probe(folder: Path, option: str, target: Path) -> None:
    """Create and remove an anonymous file in `folder`: the one reliable writability test (root
    passes every permission check, yet cannot create files in /proc or on a read-only mount)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        reason = "permission denied" if isinstance(err, PermissionError) else err.strerror or err
        raise SpecError(
            f"cannot create files in {folder} ({reason})", file=str(target), field=option
        ) from None


def check_output_folder(path: str | Path, option: str) -> Path:
    """`path` as a folder the command can create (if needed) and write files in."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise SpecError(
            "cannot write there: it is a file, not a folder", file=str(path), field=option
        )
    _probe(_existing_folder(path, option, path), option, path)
    return path


def check_output_file(path: str | Path, option: str, *, suffixes: tuple[str, ...] = ()) -> Path:
    """`path` as a file the command can write (its folders created if needed); `suffixes`, when
    given, are the file types it may have."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise SpecError(
            f"cannot write a {path.suffix or 'suffix-less'} file; use one of {', '.join(suffixes)}",
            file=str(path),
            field=option,
        )
    if path.is_dir():
        raise SpecError("cannot write there: it is a folder", file=str(path), field=option)
    if _is_link_loop(path):
        raise SpecError("cannot write there: a symbolic link loop", file=str(path), field=option)
    if path.is_symlink() and not path.exists():  # writing creates the link's target
        target = path.resolve()
        if not target.parent.is_dir():
            raise SpecError(
                f"cannot write there: a symbolic link to {target}, whose folder does not exist",
                file=str(path),
                field=option,
            )
        _probe(target.parent, option, path)
        return path
    if path.exists() and not path.is_file():
        raise SpecError(
            "cannot write there: not a regular file (a FIFO or device)",
            file=str(path),
            field=option,
        )
    if path.exists():
        try:
            with path.open("ab"):
                pass
        except OSError as err:
            reason = "permission denied" if isinstance(err, PermissionError) else err.strerror
            raise SpecError(
                f"cannot write there ({reason})", file=str(path), field=option
            ) from None
        return path
    _probe(_existing_folder(path.parent, option, path), option, path)
    return path
