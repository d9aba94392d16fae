"""User mistakes (a missing file, a bad config value) as one exception type, and the command-line
contract of `train.py` and `sweep.py`: a user mistake is one line on stderr and exit status 2, with
no traceback, no library printout around it (`job` keeps Hydra's "Error executing job" away) and
no run folder left behind when nothing came of the run (`models.run_folder`); anything else is a
bug and keeps its traceback and its run folder (as does everything when HYDRA_FULL_ERROR is set).
"""

import difflib
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path

from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from models.run_folder import hydra_run_folder, only_hydra_files, settle_failed_run


class UserError(Exception):
    """A mistake the user can fix; the message names the file or config field at fault."""


def user_error_in(e: BaseException | None) -> UserError | None:
    """The UserError behind `e` (Hydra wraps errors raised while instantiating), or None."""
    while e is not None:
        if isinstance(e, UserError):
            return e
        e = e.__cause__ or e.__context__
    return None


class JobFailed(BaseException):
    """An error of a job, carried past Hydra (which prints "Error executing job with overrides"
    before re-raising an Exception) to `run_command`; `run_dir`: the job's run folder when Hydra
    had just made it (nothing else in it), else None."""

    def __init__(self, error: Exception, run_dir: Path | None):
        super().__init__(error)
        self.error, self.run_dir = error, run_dir


def job(task: Callable[[DictConfig], object]) -> Callable[[DictConfig], object]:
    """Decorates the function under `@hydra.main` so that `run_command` receives its errors."""

    @functools.wraps(task)
    def run(cfg: DictConfig) -> object:
        run_dir = hydra_run_folder()
        fresh = run_dir if run_dir is not None and only_hydra_files(run_dir) else None
        try:
            return task(cfg)
        except Exception as e:
            raise JobFailed(e, fresh) from None

    return run


def run_command(
    main: Callable[[], object], program: str, user_errors: tuple[type[BaseException], ...] = ()
) -> None:
    """Run a `@hydra.main` function (its task decorated with `job`) under the contract above.
    `user_errors`: further exception types that are the user's to fix (e.g. Optuna's storage
    errors for sweep.py)."""
    full_errors = bool(os.environ.get("HYDRA_FULL_ERROR"))
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    try:
        main()
        return
    except JobFailed as failed:  # the job's own error, past Hydra: handled below
        error, run_dir = failed.error, failed.run_dir
    except Exception as e:
        if full_errors:
            raise
        if isinstance(e, OSError) and not isinstance(e, HydraException):  # Hydra's start failed:
            exit_with(  # the run folder or its log file cannot be written
                f"hydra.run.dir: cannot write the run folder ({e.strerror}: {e.filename})"
            )
        error, run_dir = e, None  # composing the config: a bad override, a missing config file
        if not _is_users(e, user_errors):
            raise
    if full_errors or not _is_users(error, user_errors):
        raise error  # a bug: its traceback (and its run folder) stay
    user_error = user_error_in(error)
    message = str(user_error) if user_error else one_line(error, program)
    exit_with(message + settle_failed_run(run_dir))


def _is_users(e: Exception, user_errors: tuple[type[BaseException], ...]) -> bool:
    configuration = (HydraException, OmegaConfBaseException, *user_errors)
    return user_error_in(e) is not None or isinstance(e, configuration)


def exit_with(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def one_line(e: BaseException, program: str = "train.py") -> str:
    """A config or command-line mistake as one line, with a hint where one helps."""
    if isinstance(e, MissingConfigException) and e.missing_cfg_file:
        options = ", ".join(e.options or [])
        return f"no config {e.missing_cfg_file!r}" + (
            f"; choose one of: {options}" if options else ""
        )
    cause = e.__cause__ if isinstance(e.__cause__, OmegaConfBaseException) else e
    key = getattr(cause, "full_key", None)
    if key and "not in struct" in str(cause):
        parent = getattr(cause, "parent_node", None)
        known = [str(k) for k in parent] if parent is not None else []
        leaf = key.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(leaf, known, n=1)
        hint = (
            f" (did you mean {key.rsplit('.', 1)[0] + '.' if '.' in key else ''}{close[0]}?)"
            if close
            else ""
        )
        return f"unknown config key {key!r}{hint}; see the keys with `python {program} --cfg job`"
    if key and "Cannot merge" in str(cause):  # e.g. a list for a {low, high} range of the space
        typed = str(e).rpartition(f"{key}=")[2].strip() if f"{key}=" in str(e) else "..."
        return (
            f"{key}: a list and a mapping cannot replace each other on the command line; replace "
            f"the whole entry: '~{key}' '+{key}={typed}'"
        )
    lines = [line.strip() for line in str(cause).strip().splitlines() if line.strip()]
    message = lines[0] if lines else type(cause).__name__
    if message.startswith("Error in call to target"):  # Hydra's: the reason and the key follow
        reasons = [line for line in lines[1:] if not line.startswith("full_key:")]
        keys = [
            line.removeprefix("full_key:").strip() for line in lines if line.startswith("full_key:")
        ]
        message = " ".join([message, *reasons[:1]]) + (f" ({keys[0]})" if keys else "")
    return f"{message} ({key})" if key and key not in message else message
