"""A damaged teacher-logit cache is never served: truncated or unreadable files are built again,
rows that no longer match their checksum are computed again, non-finite logits are refused."""

import numpy as np
import pytest
import torch
from kd_fixtures import TINY

from models.data.sources import Synthetic
from models.data.views import ViewGrid
from models.logit_cache import NonFiniteLogits, TeacherLogitCache, module_fingerprint
from models.teachers import FrozenTeacher, dinov2_teacher

GRID = ViewGrid(step=4)  # 18 views
ROWS = torch.arange(12)


@pytest.fixture(scope="module")
def setting():
    torch.manual_seed(0)
    teacher = FrozenTeacher(dinov2_teacher(TINY, image_size=56))
    train, _ = Synthetic(n_train=12, n_test=4).load()
    return teacher, train


@pytest.fixture(scope="module")
def reference(setting, tmp_path_factory):
    """The logits of an undamaged build."""
    cache = _open(tmp_path_factory.mktemp("reference"), *setting)
    _fill(cache, *setting)
    return np.array(cache.logits)


def _open(root, teacher, train):
    fp = module_fingerprint(teacher.teacher, teacher.teacher.input.spec())
    return TeacherLogitCache.for_teacher(root, fp, train, GRID, n_classes=10)


def _fill(cache, teacher, train) -> int:
    return cache.fill(teacher, train.images, ROWS, GRID, progress=False)


def _built(tmp_path, setting):
    cache = _open(tmp_path, *setting)
    assert _fill(cache, *setting) == 12
    return cache


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _bad_header(path):
    data = bytearray(path.read_bytes())
    data[:10] = b"not a npy!"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["logits.npy", "done.npy", "sums.npy"])
@pytest.mark.parametrize("damage", [_truncate, _bad_header, lambda path: path.unlink()])
def test_a_damaged_file_makes_the_cache_be_built_again(tmp_path, setting, reference, name, damage):
    cache = _built(tmp_path, setting)
    damage(cache.directory / name)
    again = _open(tmp_path, *setting)
    assert again.done.sum() == 0  # numpy's r+ would have zero-filled a truncated file, rows "done"
    assert _fill(again, *setting) == 12
    assert np.array_equal(np.array(again.logits), reference)


@pytest.mark.parametrize(
    "edit",
    [
        lambda logits: logits.__setitem__((3, 0, 0), np.nan),
        lambda logits: logits.__setitem__(3, 0.0),
        lambda logits: logits.__setitem__((3, 5, 2), logits[3, 5, 2] + 1),
    ],
    ids=["nan", "zeroed", "edited"],
)
def test_a_row_that_fails_its_checksum_is_computed_again(tmp_path, setting, reference, edit):
    cache = _built(tmp_path, setting)
    edit(cache.logits)
    cache.logits.flush()
    again = _open(tmp_path, *setting)
    assert _fill(again, *setting) == 1  # that row only
    assert np.array_equal(np.array(again.logits), reference)
    assert np.isfinite(again.table().float().numpy()).all()


def test_a_row_flagged_done_but_never_written_is_computed(tmp_path, setting, reference):
    cache = _open(tmp_path, *setting)
    cache.fill(setting[0], setting[1].images, torch.arange(6), GRID, progress=False)
    cache.done[6:] = True  # flags without logits (a damaged done.npy)
    cache.done.flush()
    assert _fill(_open(tmp_path, *setting), *setting) == 6
    assert np.array_equal(np.array(_open(tmp_path, *setting).logits), reference)


class Overflowing(torch.nn.Module):
    """A teacher whose logits overflow float16 for one image."""

    def __init__(self, teacher):
        super().__init__()
        self.teacher = teacher

    def forward(self, x):
        logits = self.teacher(x)
        logits[0, 0] = 1e6
        return logits


def test_non_finite_teacher_logits_are_refused_not_stored(tmp_path, setting):
    teacher, train = setting
    cache = _open(tmp_path, teacher, train)
    with pytest.raises(NonFiniteLogits, match=r"^teacher: its logits are not finite .* row 0\)"):
        cache.fill(Overflowing(teacher), train.images, ROWS, GRID, progress=False)
    assert not cache.done.any()
