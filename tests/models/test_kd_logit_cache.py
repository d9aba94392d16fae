import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from filelock import FileLock
from kd_fixtures import TINY

from models.data.sources import Synthetic
from models.data.views import ViewGrid, render_views
from models.logit_cache import TeacherLogitCache, module_fingerprint
from models.teachers import FrozenTeacher, dinov2_teacher

GRID = ViewGrid(step=4)  # 18 views


@pytest.fixture(scope="module")
def setting():
    torch.manual_seed(0)
    teacher = FrozenTeacher(dinov2_teacher(TINY, image_size=56))
    train, _ = Synthetic(n_train=24, n_test=4).load()
    return teacher, train


def open_cache(root, teacher, train):
    fp = module_fingerprint(teacher.teacher, teacher.teacher.input.spec())
    return TeacherLogitCache.for_teacher(root, fp, train, GRID, n_classes=10)


def test_cache_returns_exactly_the_teachers_logits(tmp_path, setting):
    teacher, train = setting
    cache = open_cache(tmp_path, teacher, train)
    rows = torch.arange(0, 24, 2)  # only the rows a run needs
    assert cache.fill(teacher, train.images, rows, GRID, batch_size=40, progress=False) == 12
    table = cache.table()
    assert table.dtype == torch.float16 and table.shape == (24, GRID.n_views, 10)
    g = torch.Generator().manual_seed(1)
    index = rows[torch.randint(0, 12, (16,), generator=g)]
    view = GRID.sample(16, g)
    # what the student's batch would show the teacher online: same rows, same views
    online = teacher(render_views(train.images[index], view, GRID))
    assert torch.equal(table[index, view], online.half())
    assert not cache.done[1]  # rows nobody asked for stay missing


def test_cache_is_reused_and_keyed_by_teacher_and_data(tmp_path, setting):
    teacher, train = setting
    cache = open_cache(tmp_path, teacher, train)
    cache.fill(teacher, train.images, torch.arange(24), GRID, progress=False)
    again = open_cache(tmp_path, teacher, train)
    assert again.directory == cache.directory
    assert again.fill(teacher, train.images, torch.arange(24), GRID, progress=False) == 0
    other_teacher = FrozenTeacher(dinov2_teacher(TINY, image_size=56))  # new random weights
    assert open_cache(tmp_path, other_teacher, train).directory != cache.directory
    other_data, _ = Synthetic(n_train=24, n_test=4, seed=5).load()
    assert open_cache(tmp_path, teacher, other_data).directory != cache.directory


class Interrupted(Exception):
    pass


class FailsAfter(torch.nn.Module):
    """The teacher, until it raises on call number `calls` (a Ctrl-C mid-build)."""

    def __init__(self, teacher, calls):
        super().__init__()
        self.teacher, self.calls, self.seen = teacher, calls, 0

    def forward(self, x):
        self.seen += 1
        if self.seen == self.calls:
            raise Interrupted
        return self.teacher(x)


def test_interrupted_build_resumes_where_it_stopped(tmp_path, setting):
    teacher, train = setting
    cache = open_cache(tmp_path / "a", teacher, train)
    with pytest.raises(Interrupted):  # 18 views per image, 2 images per teacher batch
        cache.fill(
            FailsAfter(teacher, 4),
            train.images,
            torch.arange(24),
            GRID,
            batch_size=36,
            progress=False,
        )
    assert cache.done.sum() == 6  # three finished batches of two images
    resumed = FailsAfter(teacher, 0)
    reopened = open_cache(tmp_path / "a", teacher, train)
    assert (
        reopened.fill(resumed, train.images, torch.arange(24), GRID, batch_size=36, progress=False)
        == 18
    )
    assert resumed.seen == 9
    fresh = open_cache(tmp_path / "b", teacher, train)
    fresh.fill(teacher, train.images, torch.arange(24), GRID, batch_size=36, progress=False)
    assert np.array_equal(np.asarray(reopened.logits), np.asarray(fresh.logits))


def test_fit_does_not_call_the_teacher_when_its_logits_are_cached(
    small_cfg, train_module, monkeypatch
):
    calls = []
    forward = FrozenTeacher.forward
    monkeypatch.setattr(
        FrozenTeacher, "forward", lambda self, x: calls.append(len(x)) or forward(self, x)
    )
    cfg = small_cfg("debug=fdr", "kd.cache=auto")
    train_module.train(cfg)
    assert sum(calls) == 144 * 18  # the first run builds the cache: 144 train images x 18 views
    calls.clear()
    train_module.train(cfg)  # same teacher, same data: the cache answers every step
    assert calls == []


#: A second sweep worker: the same teacher and data as `setting`, the cache under argv[1].
_WORKER = """
import logging, sys, torch
sys.path[:0] = sys.argv[2:]
from kd_fixtures import TINY
from test_kd_logit_cache import open_cache, GRID
from models.data.sources import Synthetic
from models.teachers import FrozenTeacher, dinov2_teacher
logging.basicConfig(level=logging.INFO, format="%(message)s")
torch.manual_seed(0)
teacher = FrozenTeacher(dinov2_teacher(TINY, image_size=56))
train, _ = Synthetic(n_train=24, n_test=4).load()
cache = open_cache(sys.argv[1], teacher, train)
print("COMPUTED", cache.fill(teacher, train.images, torch.arange(24), GRID, progress=False))
"""


@pytest.mark.slow
def test_a_second_worker_waits_for_the_builder_then_computes_only_what_is_missing(
    tmp_path, setting
):
    teacher, train = setting
    cache = open_cache(tmp_path, teacher, train)
    cache.fill(teacher, train.images, torch.arange(12), GRID, progress=False)  # half built
    builder = FileLock(cache.directory / "lock")
    builder.acquire()  # a builder at work (another process, another machine)
    tests = Path(__file__).parent
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(tmp_path), str(tests.parents[1]), str(tests)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        said = ""  # its log, read until it says it waits (or ends: the assertion shows why)
        while "another worker is building it; waiting" not in said and worker.poll() is None:
            said += worker.stderr.readline()
        assert "another worker is building it; waiting" in said, said
        assert worker.poll() is None
    finally:
        builder.release()
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err[-3000:]
    assert "COMPUTED 12" in out  # the 12 rows the builder had not done, not all 24
    assert cache.table().shape == (24, GRID.n_views, 10) and cache.done.all()
