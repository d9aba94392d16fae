import io
import tarfile
import types

import numpy as np
import pytest
import torch
from PIL import Image

from models.data.datamodule import DeviceBatches, ImageDataModule, split_indices
from models.data.sources import ImageFolder, Synthetic, TorchvisionCIFAR10
from models.data.views import ImageInput, ViewGrid, render_views
from models.errors import UserError

IMAGES = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8)


def test_view_grid_counts_every_crop_and_flip():
    assert ViewGrid().n_views == 2 * 9 * 9
    assert ViewGrid(step=2).offsets == (0, 2, 4, 6, 8)
    assert ViewGrid(flip=False, step=4).n_views == 9


def test_render_views_crops_the_padded_image_and_flips():
    grid = ViewGrid()
    centre, centre_flipped, top_left = 4 * 9 + 4, 81 + 4 * 9 + 4, 0
    out = render_views(IMAGES[:3], torch.tensor([centre, centre_flipped, top_left]), grid)
    assert torch.equal(out[0], IMAGES[0])
    assert torch.equal(out[1], IMAGES[1].flip(-1))
    assert torch.equal(out[2, :, 4:, 4:], IMAGES[2, :, :28, :28])  # shifted by the 4-px padding
    assert out[2, :, :4].eq(0).all() and out[2, :, :, :4].eq(0).all()  # zero padding


def test_render_matches_a_per_image_reference():
    grid = ViewGrid()
    views = torch.randint(0, grid.n_views, (5,))
    out = render_views(IMAGES, views, grid)
    for image, view, got in zip(IMAGES, views, out, strict=True):
        flip, dy, dx = (int(v) for v in grid.decode(view.view(1)))
        ref = torch.nn.functional.pad(image, (4, 4, 4, 4))[:, dy : dy + 32, dx : dx + 32]
        assert torch.equal(got, ref.flip(-1) if flip else ref)


def test_image_input_resizes_and_normalises():
    inp = ImageInput(56, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    x = inp(torch.full((2, 3, 32, 32), 255, dtype=torch.uint8))
    assert x.shape == (2, 3, 56, 56)
    assert torch.allclose(x, torch.full_like(x, 2.0))


def test_synthetic_is_deterministic_and_balanced():
    a, _ = Synthetic(n_train=100, n_test=20).load()
    b, _ = Synthetic(n_train=100, n_test=20).load()
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert a.images.dtype == torch.uint8 and a.images.shape == (100, 3, 32, 32)
    assert a.labels.bincount().tolist() == [10] * 10
    assert a.fingerprint == b.fingerprint
    c, _ = Synthetic(n_train=100, n_test=20, seed=1).load()
    assert c.fingerprint != a.fingerprint


def test_split_is_seeded_and_disjoint():
    train, val = split_indices(100, 0.2, seed=3)
    assert len(val) == 20 and len(train) == 80
    assert set(train.tolist()).isdisjoint(val.tolist())
    assert torch.equal(val, split_indices(100, 20, seed=3)[1])
    assert not torch.equal(val, split_indices(100, 20, seed=4)[1])
    with pytest.raises(UserError, match=r"data\.val_size"):
        split_indices(10, 10, seed=0)


def test_device_batches_shuffle_per_epoch_and_augment():
    labels = torch.arange(10)
    images = IMAGES.repeat(2, 1, 1, 1)
    loader = DeviceBatches(
        images, labels, labels, batch_size=4, grid=ViewGrid(), seed=0, drop_last=True
    )
    assert len(loader) == 2
    first, second = list(loader), list(loader)
    assert first[0].view is not None and first[0].image.dtype == torch.uint8
    assert not torch.equal(first[0].index, second[0].index)  # a new order every epoch
    for batch in first:  # each batch image is its source image in its view
        assert torch.equal(batch.image, render_views(images[batch.index], batch.view, ViewGrid()))
    plain = list(DeviceBatches(images, labels, labels, batch_size=4))
    assert len(plain) == 3 and plain[0].view is None and plain[0].index.tolist() == [0, 1, 2, 3]


def test_train_loader_follows_the_trainers_epoch():
    dm = ImageDataModule(Synthetic(n_train=200, n_test=50), batch_size=16, val_size=40)
    dm.setup("fit")

    def first_batch(epoch):
        dm.trainer = types.SimpleNamespace(current_epoch=epoch)  # a fresh loader at that epoch
        batch = next(iter(dm.train_dataloader()))
        return batch.index, batch.view

    assert all(torch.equal(a, b) for a, b in zip(first_batch(3), first_batch(3), strict=True))
    assert not torch.equal(first_batch(3)[0], first_batch(0)[0])  # order
    assert not torch.equal(first_batch(3)[1], first_batch(0)[1])  # views
    dm.trainer = types.SimpleNamespace(current_epoch=5)
    loader = dm.train_dataloader()  # one loader, iterated in epochs 5 and 6: as two fresh ones
    epoch5 = next(iter(loader)).index
    dm.trainer.current_epoch = 6
    epoch6 = next(iter(loader)).index
    assert torch.equal(epoch5, first_batch(5)[0]) and torch.equal(epoch6, first_batch(6)[0])


def test_datamodule_split_and_subset():
    dm = ImageDataModule(Synthetic(n_train=200, n_test=50), val_size=0.25, train_subset=60, seed=1)
    dm.setup("fit")
    assert len(dm.train_rows) == 60 and len(dm.val_rows) == 50
    assert set(dm.train_rows.tolist()).isdisjoint(dm.val_rows.tolist())
    batch = next(iter(dm.train_dataloader()))
    assert torch.equal(batch.label, dm.train_set.labels[batch.index])
    assert sum(len(b.label) for b in dm.test_dataloader()) == 50


def _write_folder(root, classes=("cat", "dog"), per_class=3):
    for split in ("train", "test"):
        for c, name in enumerate(classes):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                pixels = np.full((32, 32, 3), 40 * c + i, dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{i}.png")


def test_image_folder_directory_and_tar_agree(tmp_path):
    _write_folder(tmp_path / "folder")
    with tarfile.open(tmp_path / "folder.tar.gz", "w:gz") as tf:
        tf.add(tmp_path / "folder", arcname="folder")
    train, test = ImageFolder(str(tmp_path / "folder")).load()
    train_tar, _ = ImageFolder(
        str(tmp_path / "folder.tar.gz"), cache_dir=str(tmp_path / "c")
    ).load()
    assert train.classes == ("cat", "dog") and len(train) == 6 and len(test) == 6
    assert train.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert int(train.images[4, 0, 0, 0]) == 41  # PNG is lossless: dog image 1
    assert torch.equal(train.images, train_tar.images)
    assert list((tmp_path / "c" / "datasets").glob("*.npz"))  # decoded once, cached
    again, _ = ImageFolder(str(tmp_path / "folder.tar.gz"), cache_dir=str(tmp_path / "c")).load()
    assert torch.equal(again.images, train.images)


def test_missing_data_sets_name_the_path(tmp_path):
    with pytest.raises(UserError, match=r"data\.source\.root: CIFAR-10 not found at .*nowhere"):
        TorchvisionCIFAR10(str(tmp_path / "nowhere"), download=False).load()
    with pytest.raises(UserError, match=r"no such directory or archive: .*nothing"):
        ImageFolder(str(tmp_path / "nothing")).load()
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"train/<class>/"):
        ImageFolder(str(tmp_path / "empty")).load()


def test_corrupt_image_names_the_file(tmp_path):
    _write_folder(tmp_path / "f")
    (tmp_path / "f" / "train" / "cat" / "bad.jpg").write_bytes(io.BytesIO(b"not a jpeg").read())
    with pytest.raises(UserError, match=r"train/cat/bad\.jpg"):
        ImageFolder(str(tmp_path / "f")).load()
