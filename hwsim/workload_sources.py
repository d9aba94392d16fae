"""Where a network's layers come from on the command line.

A folder of problem YAML files (or one file) is read directly; anything else — a checkpoint, a
model config, a registry name such as ``resnet32`` — is handed to the workload readers other
packages register under the entry-point group ``hwsim.workload_sources`` (hwkd's ``models``
package registers ``pytorch`` = `models.workloads.workloads_from_source`). hwsim itself never
imports torch nor the ``models`` package: it only finds what is installed.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from hwsim.errors import SpecError
from hwsim.network import load_layer_problems
from hwsim.spec.input_files import files_in_folder, refuse_special_file
from hwsim.spec.problem import Problem
from hwsim.spec.yaml_io import load_yaml_file

#: Entry-point group of functions (source, input_shape) → list of problems.
ENTRY_POINT_GROUP = "hwsim.workload_sources"


def _is_problem_file(path: Path) -> bool:
    if path.suffix not in (".yaml", ".yml"):
        return False
    document = load_yaml_file(path)
    return isinstance(document, dict) and "problem" in document


def load_workloads(source: str | Path, input_shape: tuple[int, ...] = (3, 32, 32)) -> list[Problem]:
    """The layers of `source` as hwsim problems, in network order."""
    path = Path(source)
    refuse_special_file(path)
    if path.is_dir() and not (path / ".hydra").exists():
        files = [p for p in files_in_folder(path, recursive=False) if _is_problem_file(p)]
        if files:
            return load_layer_problems(files)
    if path.is_file() and _is_problem_file(path):
        return load_layer_problems([path])
    readers = entry_points(group=ENTRY_POINT_GROUP)
    if not readers:
        raise SpecError(
            f"{source}: not a problem YAML file or folder, and no reader of networks is installed "
            "(a PyTorch model needs the training extra: pip install -e '.[train]')"
        )
    reader = next(iter(readers))
    try:
        read = reader.load()
    except ImportError as err:
        raise SpecError(
            f"{source}: reading a PyTorch model needs the training extra (pip install -e '.[train]'): {err}"
        ) from None
    return read(str(source), input_shape)
