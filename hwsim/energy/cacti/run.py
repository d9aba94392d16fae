"""Running CACTI for a component model, and saying plainly why when it fails.

A failed run is never turned into a number: it raises `CactiFailure` with either the reason the
executable cannot start here (and the set-up command that rebuilds it) or what CACTI said about
the configuration it was given.
"""

from __future__ import annotations

from hwsim.energy.cacti.binary import SETUP_COMMAND, executable, first_lines, probe, run_executable
from hwsim.energy.cacti.config import CactiInput, CactiOutput, parse_output, parse_row


class CactiFailure(RuntimeError):
    """CACTI produced no result for a run; the message says why and what to do."""


def _explain(run: CactiInput, status: int, console: str) -> str:
    binary = executable()
    health = probe(binary)
    if not health.works:
        return (
            f"the CACTI executable {binary} does not run on this machine ({health.detail}); "
            f"rebuild it from the sources in the hwcomponents-cacti wheel with: {SETUP_COMMAND}"
        )
    said = [line.strip() for line in console.splitlines() if line.strip()]
    errors = [line for line in said if "error" in line.lower() or "must" in line.lower()]
    detail = " | ".join(errors[-3:]) if errors else first_lines("\n".join(said[-3:]))
    return f"CACTI found no valid organisation for {run.describe()} (exit status {status}): {detail or 'no output'}"


def run_cacti(run: CactiInput) -> CactiOutput:
    """Evaluate `run` with CACTI; `CactiFailure` when there is no result."""
    return _result(run, parse_output)


def run_cacti_row(run: CactiInput) -> dict[str, str]:
    """Evaluate `run` with CACTI and return its result row as printed ({column: text})."""
    return _result(run, parse_row)


def _result(run: CactiInput, parse):
    status, console, result = run_executable(executable(), run)
    if status == 0 and result is not None:
        try:
            return parse(result)
        except ValueError as err:
            raise CactiFailure(
                f"CACTI's result for {run.describe()} is unreadable: {err}"
            ) from None
    raise CactiFailure(_explain(run, status, console))
