"""The ``mapper:`` section of Timeloop files: what hwsim reads from it, and what it ignores.

hwsim's mapper reads one setting, ``optimization-metrics`` (the objective). The others are
Timeloop's search knobs (threads, timeout, victory condition, ...), which a different search has
no use for: their values are still checked, so a typo or a nonsense value is an error, and the
known ones hwsim ignores are named in one warning line. An unknown key is an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from hwsim.errors import SpecError, SpecWarning
from hwsim.mapper.objectives import parse_objective
from hwsim.mapper.search import Objective
from hwsim.spec.yaml_io import normalize_key

#: Timeloop's search algorithms.
ALGORITHMS = ("random-pruned", "linear-pruned", "random", "linear", "exhaustive", "hybrid")

#: Timeloop mapper keys hwsim does not use, with the kind of value each takes.
IGNORED: dict[str, str] = {
    **dict.fromkeys(("num_threads", "max_permutations_per_if_visit"), "count"),
    **dict.fromkeys(
        ("timeout", "victory_condition", "search_size", "sync_interval", "log_interval"),
        "non-negative",
    ),
    **dict.fromkeys(
        (
            "live_status",
            "log_stats",
            "log_suboptimal",
            "log_all",
            "log_oaves",
            "log_oaves_mappings",
            "diagnostics",
            "penalize_consecutive_bypass_fails",
            "filter_revisits",
            "emit_whoop_nest",
        ),
        "boolean",
    ),
    "algorithm": "algorithm",
    "out_prefix": "text",
}


def _check(key: str, value: Any, file: str | None) -> None:
    kind = IGNORED[key]
    field = f"mapper.{key.replace('_', '-')}"
    if kind == "boolean":
        ok = isinstance(value, bool)
        wanted = "true or false"
    elif kind == "algorithm":
        ok = value in ALGORITHMS
        wanted = f"one of {', '.join(ALGORITHMS)}"
    elif kind == "text":
        ok = isinstance(value, str)
        wanted = "text"
    else:
        low = 1 if kind == "count" else 0
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        wanted = f"an integer >= {low}"
    if not ok:
        raise SpecError(f"expected {wanted}, got {value!r}", file=file, field=field)


def read_mapper_settings(document: Any, file: str | None, *, warn: bool = True) -> Objective | None:
    """The objective a ``mapper:`` section sets (``None`` when it sets none); every other key
    is checked and, when Timeloop knows it, named in one `SpecWarning` as ignored (`warn`
    False: not where the settings are not ignored, or the file is hwsim's own)."""
    if document is None:
        return None
    if not isinstance(document, Mapping):
        raise SpecError("expected a mapping of mapper settings", file=file, field="mapper")
    objective: Objective | None = None
    ignored = []
    for raw_key, value in document.items():
        key = normalize_key(str(raw_key))
        if key == "optimization_metrics":
            try:
                objective = parse_objective(value)
            except SpecError as err:
                raise SpecError(err.message, file=file, field=f"mapper.{raw_key}") from None
        elif key in IGNORED:
            _check(key, value, file)
            ignored.append(str(raw_key))
        else:
            raise SpecError(
                "unknown mapper setting (hwsim reads optimization-metrics, and checks but "
                "ignores Timeloop's search settings such as timeout and num-threads)",
                file=file,
                field=f"mapper.{raw_key}",
            )
    if ignored and warn:
        warnings.warn(
            SpecWarning(
                f"{file or 'mapper'}: mapper: hwsim's search ignores Timeloop's "
                f"{', '.join(ignored)}"
            ),
            stacklevel=2,
        )
    return objective
