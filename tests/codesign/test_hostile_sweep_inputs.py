"""Hostile inputs to `python sweep.py`: one line naming the key, exit status 2, no study folder
left behind, no traceback and no library printout (Hydra's "Error executing job", Lightning)."""

import re
import subprocess
import sys

import pytest
from hydra import compose, initialize_config_dir
from sweep_fixtures import ROOT, TINY, subprocess_env

from codesign.space import SearchSpace
from codesign.storage import open_storage, storage_url
from models.errors import UserError
from sweep import training_config


def test_the_suggested_replacement_of_a_range_by_choices_works():
    """What the error line for `sweep.space.kd.T=[2,4]` tells the user to write."""
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("sweep", overrides=["~sweep.space.kd.T", "+sweep.space.kd.T=[2,4]"])
    space = SearchSpace.from_config(cfg.sweep.space, training_config(cfg)).describe()
    assert space["kd.T"] == "{2, 4}"


@pytest.mark.parametrize("kind", ["journal:{bad}/study.journal", "{bad}/study.db"])
def test_a_storage_file_that_cannot_be_made_is_a_user_error(tmp_path, kind):
    (tmp_path / "a_file").write_text("")
    url = storage_url(kind.format(bad=tmp_path / "a_file"), tmp_path)
    with pytest.raises(UserError, match=r"^sweep\.storage=.*: cannot write .*a_file"):
        open_storage(url)


def _sweep(tmp_path, cache, *overrides, run_dir=None):
    return subprocess.run(
        [
            sys.executable,
            "sweep.py",
            *TINY,
            f"paths.cache_dir={tmp_path}/cache",
            f"hydra.run.dir={run_dir or tmp_path / 'study'}",
            *overrides,
        ],
        cwd=ROOT,
        env=subprocess_env(tmp_path, cache),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _assert_only_the_line(proc, pattern, run_dir):
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.splitlines() == [proc.stderr.strip()], proc.stderr[-3000:]
    assert re.search(pattern, proc.stderr.strip()), proc.stderr
    assert not run_dir.exists(), sorted(run_dir.rglob("*"))


CASES = {
    "range_as_list": (  # the form the README once showed
        ["sweep.space.kd.T=[2,4]"],
        r"^error: sweep\.space\.kd\.T: a list and a mapping cannot replace each other on the "
        r"command line; replace the whole entry: '~sweep\.space\.kd\.T' '\+sweep\.space\.kd\.T="
        r"\[2,4\]'$",
    ),
    "journal": (
        ["sweep.storage=journal:{tmp}/a_file/study.journal"],
        r"^error: sweep\.storage='journal:.*a_file/study\.journal': cannot write .*a_file",
    ),
    "batch_size": (["data.batch_size=0"], r"^error: data\.batch_size=0 must be an integer >= 1$"),
    "max_epochs": (["trainer.max_epochs=-1"], r"^error: trainer\.max_epochs=-1 must be an integer"),
    "lr": (["optim.optimizer.lr=abc"], r"^error: optim\.optimizer\.lr='abc' must be a number > 0$"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_sweep_mistakes_are_one_line_with_no_study_folder(tmp_path, mapping_cache, case):
    (tmp_path / "a_file").write_text("")
    overrides, pattern = CASES[case]
    proc = _sweep(tmp_path, mapping_cache, *(o.format(tmp=tmp_path) for o in overrides))
    _assert_only_the_line(proc, pattern, tmp_path / "study")


@pytest.mark.slow
def test_an_unwritable_study_folder_is_one_line(tmp_path, mapping_cache):
    (tmp_path / "a_file").write_text("")
    run_dir = tmp_path / "a_file" / "study"
    proc = _sweep(tmp_path, mapping_cache, run_dir=run_dir)
    _assert_only_the_line(
        proc, r"^error: hydra\.run\.dir: cannot write the run folder \(Not a directory: ", run_dir
    )
