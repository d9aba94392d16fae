"""User mistakes (a missing file, a bad config value) as one exception type, and the command-line
contract of `train.py` and `sweep.py`: a user mistake is one line on stderr and exit status 2, with
no traceback; anything else is a bug and keeps its traceback (as does everything when
HYDRA_FULL_ERROR is set).
"""

import difflib
import os
import sys
from collections.abc import Callable

from hydra.errors import HydraException, MissingConfigException
from omegaconf.errors import OmegaConfBaseException


class UserError(Exception):
    """A mistake the user can fix; the message names the file or config field at fault."""


def user_error_in(e: BaseException | None) -> UserError | None:
    """The UserError behind `e` (Hydra wraps errors raised while instantiating), or None."""
    while e is not None:
        if isinstance(e, UserError):
            return e
        e = e.__cause__ or e.__context__
    return None


def run_command(
    main: Callable[[], object], program: str, user_errors: tuple[type[BaseException], ...] = ()
) -> None:
    """Run a `@hydra.main` function under the contract above. `user_errors`: further exception
    types that are the user's to fix (e.g. Optuna's storage errors for sweep.py)."""
    full_errors = bool(os.environ.get("HYDRA_FULL_ERROR"))
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    try:
        main()
    except Exception as e:
        user_error = user_error_in(e)
        config_error = isinstance(e, (HydraException, OmegaConfBaseException, *user_errors))
        if full_errors or not (user_error or config_error):
            raise  # a bug: keep the traceback
        exit_with(str(user_error) if user_error else one_line(e, program))


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
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"{message} ({key})" if key and key not in message else message
