import gzip
import os
import shutil

import pytest
import torch

from digitlib.data import MD5_UNCOMPRESSED, MNIST_MEAN, MNIST_STD, load_mnist, mnist_dataset, prepare_mnist
from digitlib.errors import DigitsError

from .conftest import ROOT


def test_offline_files_load_as_tensors(mnist_test):
    train = load_mnist(True)
    assert train.images.shape == (60000, 1, 28, 28) and mnist_test.images.shape == (10000, 1, 28, 28)
    assert train.images.dtype == torch.float32 and 0 <= train.images.min() and train.images.max() <= 1
    assert torch.bincount(train.labels).tolist()[:2] == [5923, 6742]  # MNIST's class counts
    # the normalisation constants are the training set's own statistics
    assert train.images.mean().item() == pytest.approx(MNIST_MEAN, abs=1e-4)
    assert train.images.std().item() == pytest.approx(MNIST_STD, abs=1e-4)


def test_torchvision_dataset_layout_works_offline():
    ds = mnist_dataset(train=False)
    img, label = ds[0]
    assert img.size == (28, 28) and label == 7


@pytest.mark.parametrize("train", [True, False])
def test_our_idx_reader_gives_what_torchvision_reads(train):
    ours, theirs = load_mnist(train), mnist_dataset(train)
    assert torch.equal(ours.labels, theirs.targets)
    assert torch.equal(ours.images, theirs.data.unsqueeze(1).float().div(255))


def test_a_file_that_is_not_idx_is_one_line(tmp_path):
    from digitlib.data import read_idx

    bad = tmp_path / "x"
    bad.write_bytes(b"PNG not idx")
    with pytest.raises(DigitsError, match="not an idx file"):
        read_idx(bad)


def _copy_data(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in MD5_UNCOMPRESSED:
        shutil.copy(ROOT / "data" / "MNIST" / "raw" / f"{name}.gz", raw)
    return raw


def test_truncated_file_names_the_file(tmp_path):
    raw = _copy_data(tmp_path)
    bad = raw / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[: 1_000_000])
    with pytest.raises(DigitsError, match="train-images-idx3-ubyte.gz is corrupt or truncated"):
        prepare_mnist(tmp_path)


def test_wrong_contents_fail_the_checksum(tmp_path):
    raw = _copy_data(tmp_path)
    labels = raw / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[100] = (content[100] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DigitsError, match="t10k-labels-idx1-ubyte.gz has the wrong contents"):
        prepare_mnist(tmp_path)


def test_missing_files_without_network_say_where_to_put_them(tmp_path, monkeypatch):
    import torchvision.datasets.mnist as tvm

    monkeypatch.setattr(tvm.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # nothing listens: a failed download
    with pytest.raises(DigitsError, match="train-images-idx3-ubyte.gz is missing and downloading MNIST failed") as e:
        prepare_mnist(tmp_path)
    assert "\n" not in str(e.value)


def test_an_unpacked_file_that_is_a_folder_is_named(tmp_path):
    raw = _copy_data(tmp_path)
    (raw / "t10k-images-idx3-ubyte").mkdir()
    with pytest.raises(DigitsError, match="t10k-images-idx3-ubyte is a folder, not a file"):
        prepare_mnist(tmp_path)


def test_a_read_only_data_folder_is_one_line(tmp_path, monkeypatch):
    _copy_data(tmp_path)

    real_open = os.open

    def refuse(path, *a, **k):  # what a read-only folder does to a new file (tests run as root: chmod would not)
        if str(path).endswith(".tmp"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr("os.open", refuse)
    with pytest.raises(DigitsError, match="cannot unpack MNIST into .* set DIGITS_DATA"):
        prepare_mnist(tmp_path)


def test_many_processes_unpacking_at_once_all_succeed(tmp_path):
    """Two notebooks opened together on a fresh clone: every process must get the data."""
    import subprocess
    import sys

    raw = _copy_data(tmp_path)
    stale = raw / "train-images-idx3-ubyte.123.tmp"  # left by a process killed long ago
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    code = f"from digitlib.data import prepare_mnist; prepare_mnist({str(tmp_path)!r})"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    assert sorted(p.name for p in raw.iterdir() if not p.name.endswith(".gz")) == sorted(MD5_UNCOMPRESSED)


def test_subset_is_fixed_and_sized(mnist_test):
    a, b = mnist_test.subset(100, seed=3), mnist_test.subset(100, seed=3)
    assert len(a) == 100 and torch.equal(a.labels, b.labels)


def test_normalize_gives_the_training_pixels_zero_mean_and_unit_std():
    from digitlib.data import normalize

    x = normalize(load_mnist(True).images)
    assert x.mean().item() == pytest.approx(0, abs=2e-3) and x.std().item() == pytest.approx(1, abs=2e-3)


def test_subsets_are_random_samples_chosen_by_the_seed():
    from digitlib.data import MNISTTensors

    numbered = MNISTTensors(torch.zeros(500, 1, 28, 28), torch.arange(500))  # each digit's label is its index
    a, b = numbered.subset(100, seed=3), numbered.subset(100, seed=4)
    assert len(set(a.labels.tolist())) == 100  # no digit twice
    assert a.labels.tolist() != list(range(100)) and a.labels.max() > 400  # not the first 100: drawn from all
    assert not torch.equal(a.labels, b.labels)  # another seed, other digits (fit's seed reaches its subset)
    assert numbered.subset(None) is numbered and numbered.subset(500) is numbered
