"""Set-up of the component energy models: ``python -m hwsim.energy.setup``.

Makes the CACTI executable of the hwcomponents-cacti wheel work on this machine, rebuilding it
from the wheel's sources with ``make`` when the bundled binary cannot run (it needs GLIBC 2.38).
Idempotent: when CACTI already works it only proves so (well under a second) and exits 0.
Exit status 1, with the reason, when CACTI cannot be made to work; 0 with a note when the energy
extra is not installed at all (nothing to set up).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence

from hwsim.energy.cacti.binary import CactiUnavailable, ensure_cacti


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hwsim.energy.setup", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--force", action="store_true", help="rebuild CACTI even if it already works"
    )
    args = parser.parse_args(argv)
    if importlib.util.find_spec("hwcomponents_cacti") is None:
        print(
            "hwsim energy set-up: hwcomponents-cacti is not installed (pip install -e '.[energy]'); nothing to do"
        )
        return 0
    try:
        status = ensure_cacti(
            force=args.force, report=lambda line: print(f"hwsim energy set-up: {line}")
        )
    except CactiUnavailable as err:
        print(f"hwsim energy set-up: error: {err}", file=sys.stderr)
        return 1
    print(f"hwsim energy set-up: CACTI works: {status.executable}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
