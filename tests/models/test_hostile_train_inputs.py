"""Hostile inputs to `python train.py`: every bad value is ONE line on stderr naming its key, exit
status 2, no run folder left behind, no traceback, no library printout, never a run that does not
end. In-process checks of every case first (fast), then the real command in subprocesses."""

import re
import subprocess
import sys

import pytest
from kd_fixtures import ROOT, SMALL, compose_config

from models.config_checks import check_training_config
from models.errors import UserError
from models.run_folder import only_hydra_files, settle_failed_run

#: override -> the one line it must give
BAD_VALUES = {
    "trainer.max_epochs=-1": r"^trainer\.max_epochs=-1 must be an integer >= 1 \(the learning",
    "trainer.max_epochs=0": r"^trainer\.max_epochs=0 must be an integer >= 1",
    "data.batch_size=0": r"^data\.batch_size=0 must be an integer >= 1$",
    "data.batch_size=-4": r"^data\.batch_size=-4 must be an integer >= 1$",
    "data.batch_size=1.5": r"^data\.batch_size=1\.5 must be an integer >= 1$",
    "data.eval_batch_size=0": r"^data\.eval_batch_size=0 must be an integer >= 1$",
    "optim.optimizer.lr=abc": r"^optim\.optimizer\.lr='abc' must be a number > 0$",
    "optim.optimizer.lr=0": r"^optim\.optimizer\.lr=0 must be a number > 0$",
    "optim.optimizer.lr=nan": r"^optim\.optimizer\.lr=nan must be a number > 0$",
    "seed=abc": r"^seed='abc' must be an integer$",
    "seed=true": r"^seed=True must be an integer$",
    "model.width=abc": r"^model\.width='abc' must be an integer >= 1$",
    "model.width=0": r"^model\.width=0 must be an integer >= 1$",
    "num_threads=0": r"^num_threads=0 must be an integer >= 1$",
    "kd.T=abc": r"^kd\.T='abc' must be a number > 0$",
    "kd.alpha=2": r"^kd\.alpha=2 must be a number in \[0, 1\]$",
    "kd.label_smoothing=1": r"^kd\.label_smoothing=1 must be a number in \[0, 1\)$",
    "optim.min_lr_ratio=-0.1": r"^optim\.min_lr_ratio=-0\.1 must be a number in \[0, 1\]$",
}


@pytest.mark.parametrize("override", list(BAD_VALUES))
def test_bad_values_are_refused_before_anything_runs(tmp_path, override):
    cfg = compose_config(tmp_path, [*SMALL, override])
    with pytest.raises(UserError, match=BAD_VALUES[override]):
        check_training_config(cfg)


@pytest.mark.parametrize(
    "recipe",
    [
        [],
        ["experiment=demo"],
        ["experiment=cifar10_kd"],
        ["experiment=cifar10_cpu"],
        ["task=teacher"],
    ],
)
def test_every_shipped_recipe_passes_the_checks(tmp_path, recipe):
    check_training_config(compose_config(tmp_path, recipe))
    check_training_config(compose_config(tmp_path, [*recipe, "model.width=null"]))


# --- the run folder of a failed run ---------------------------------------------------------


def _hydra_folder(tmp_path):
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "config.yaml").write_text("seed: 42\n")
    (run / "demo.log").write_text("")
    (run / "csv").mkdir()  # an empty folder a logger made
    return run


def test_a_run_that_produced_nothing_leaves_no_folder(tmp_path):
    run = _hydra_folder(tmp_path)
    assert only_hydra_files(run)
    assert settle_failed_run(run) == "" and not run.exists()


def test_a_run_that_trained_keeps_its_checkpoints_and_says_where(tmp_path):
    run = _hydra_folder(tmp_path)
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "last.ckpt").write_bytes(b"x")
    assert not only_hydra_files(run)
    assert settle_failed_run(run) == f"; checkpoints kept in {run / 'checkpoints'}"
    assert (run / "checkpoints" / "last.ckpt").is_file()
    (run / "csv" / "metrics.csv").write_text("epoch\n")
    (run / "checkpoints" / "last.ckpt").unlink()
    assert settle_failed_run(run) == f"; outputs kept in {run}" and run.is_dir()


def test_a_folder_that_was_not_new_is_left_alone():
    assert settle_failed_run(None) == ""


# --- the real command -----------------------------------------------------------------------


def run_train(tmp_path, *overrides, run_dir=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HWKD_CACHE_DIR": str(tmp_path / "c")}
    return subprocess.run(
        [
            sys.executable,
            "train.py",
            *SMALL,
            "trainer.max_epochs=1",
            f"hydra.run.dir={run_dir or tmp_path / 'run'}",
            *overrides,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_only_the_line(proc, pattern, run_dir):
    """Exit 2, stderr exactly one line (no traceback, no Hydra or Lightning printout), matching
    `pattern`; nothing from libraries on stdout; no run folder."""
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.splitlines() == [proc.stderr.strip()], proc.stderr[-3000:]
    assert re.search(pattern, proc.stderr.strip()), proc.stderr
    own = r"^\[[^\]]+\]\[(models|train)[.\]]"  # the project's own log records may precede it
    assert all(re.match(own, line) for line in proc.stdout.splitlines()), proc.stdout
    assert not run_dir.exists(), sorted(run_dir.rglob("*"))


def test_cli_bad_value_is_one_line_with_no_run_folder(tmp_path):
    proc = run_train(tmp_path, "trainer.max_epochs=-1")  # it used to train forever
    assert_only_the_line(
        proc, r"^error: trainer\.max_epochs=-1 must be an integer >= 1", tmp_path / "run"
    )


CLI_CASES = {
    "batch_size": (["data.batch_size=0"], r"^error: data\.batch_size=0 must be an integer >= 1$"),
    # Hydra's MissingConfigException is an OSError too: not a run-folder problem
    "experiment": (["experiment=nosuch"], r"^error: no config 'experiment/nosuch'; choose one of"),
    "lr": (["optim.optimizer.lr=abc"], r"^error: optim\.optimizer\.lr='abc' must be a number > 0$"),
    "seed": (["seed=abc"], r"^error: seed='abc' must be an integer$"),
    "width": (["model.width=abc"], r"^error: model\.width='abc' must be an integer >= 1$"),
    # raised inside Hydra's instantiate: the reason and the key reach the line
    "widths": (
        ["model.widths=[a,b,c]"],
        r"^error: Error in call to target 'models\.resnet\.build_student': "
        r"ValueError\(.*'a'.*\) \(model\)$",
    ),
    # found once the student exists: still before Lightning prints its banners
    "checkpoint": (
        ["ckpt_path={tmp}/nope.ckpt"],
        r"^error: ckpt_path: no such file: .*nope\.ckpt$",
    ),
    "hw": (["hw.enabled=true", "hw.datawidth=wide"], r"^error: hw\.datawidth=.wide. must be"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_bad_values_are_one_line_with_no_noise_and_no_run_folder(tmp_path, case):
    overrides, pattern = CLI_CASES[case]
    proc = run_train(tmp_path, *(o.format(tmp=tmp_path) for o in overrides))
    assert_only_the_line(proc, pattern, tmp_path / "run")


@pytest.mark.slow
def test_cli_unwritable_run_folder_is_one_line(tmp_path):
    (tmp_path / "a_file").write_text("")
    run_dir = tmp_path / "a_file" / "run"  # under a file: not even root can make it
    proc = run_train(tmp_path, run_dir=run_dir)
    assert_only_the_line(
        proc, r"^error: hydra\.run\.dir: cannot write the run folder \(Not a directory: ", run_dir
    )
