"""The run folder of a job that failed on a user mistake: removed when nothing came of the run.

Hydra makes the run folder (hydra.run.dir) before the job starts and writes .hydra/ and the job's
log there. A job that stops on a user mistake before it produced anything leaves exactly that,
plus perhaps empty folders: the folder is removed, so a mistake leaves no partial output. A run
that got further (checkpoints, a study's database, reports) keeps its folder and the error line
says where. A folder that held anything else when the job started (a resumed sweep's) is never
touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hydra.core.hydra_config import HydraConfig

#: What Hydra writes into a run folder before the job starts: its configs and the job's log.
HYDRA_FILES = (".hydra",)
HYDRA_SUFFIXES = (".log",)


def hydra_run_folder() -> Path | None:
    """The running Hydra job's output folder, or None outside a Hydra run."""
    try:
        return Path(HydraConfig.get().runtime.output_dir)
    except ValueError:  # HydraConfig not set: composed outside @hydra.main (tests)
        return None


def only_hydra_files(folder: Path) -> bool:
    """Whether `folder` holds nothing but Hydra's own files and empty folders."""
    for path in folder.iterdir():
        if path.name in HYDRA_FILES or (path.is_file() and path.suffix in HYDRA_SUFFIXES):
            continue
        if path.is_dir() and not path.is_symlink() and _empty_tree(path):
            continue
        return False
    return True


def _empty_tree(folder: Path) -> bool:
    return all(p.is_dir() and not p.is_symlink() for p in folder.rglob("*"))


def settle_failed_run(run_dir: Path | None) -> str:
    """Remove the folder of a run that failed before producing anything; else, for a folder this
    run made, the words that say where its outputs are kept ("" when there is nothing to say)."""
    if run_dir is None or not run_dir.is_dir():
        return ""
    if only_hydra_files(run_dir):
        shutil.rmtree(run_dir, ignore_errors=True)
        return ""
    checkpoints = run_dir / "checkpoints"
    if checkpoints.is_dir() and any(checkpoints.iterdir()):
        return f"; checkpoints kept in {checkpoints}"
    return f"; outputs kept in {run_dir}"
