import pytest
import torch

from digitlib.checkpoint import load_checkpoint, load_model, save_checkpoint
from digitlib.errors import DigitsError
from digitlib.models import MLP, DigitCNN, count_parameters


def test_cnn_is_the_reference_architecture():
    m = DigitCNN()
    shapes = [tuple(p.shape) for p in m.parameters()]
    assert shapes == [(24, 1, 3, 3), (24,), (24,), (24,), (36, 24, 3, 3), (36,), (36,), (36,),
                      (128, 900), (128,), (10, 128), (10,)]
    assert m.features(torch.zeros(2, 1, 28, 28)).shape == (2, 36, 5, 5)
    assert m(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert isinstance(m.classifier.dropout, torch.nn.Dropout) and m.classifier.dropout.p == 0.5


def test_mlp_is_a_baseline_of_similar_size_with_fewer_weights():
    # notebook 04 compares the two as "of similar size": 784*128+128 + 128*128+128 + 128*10+10
    assert count_parameters(MLP()) == 118_282 and count_parameters(DigitCNN()) == 124_790
    assert MLP()(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    m = DigitCNN().eval()
    path = save_checkpoint(tmp_path / "a.pth", m, "DigitCNN", epoch=3, test_accuracy=0.5, config={"lr": 0.01})
    loaded, meta = load_model(path)
    x = torch.randn(4, 1, 28, 28)
    assert torch.equal(loaded(x), m(x))
    assert meta["epoch"] == 3 and meta["config"] == {"lr": 0.01}
    assert meta["normalization"] == {"mean": 0.1307, "std": 0.3081}
    assert isinstance(meta["versions"]["torch"], str)


def test_a_checkpoint_remembers_whether_its_model_reads_with_shift_votes(tmp_path):
    from digitlib.models import infer, one_pixel_shifts

    model = DigitCNN().eval()
    model.shift_votes = True
    save_checkpoint(tmp_path / "votes.pth", model, "DigitCNN")
    save_checkpoint(tmp_path / "once.pth", DigitCNN(), "DigitCNN")
    voting, _ = load_model(tmp_path / "votes.pth")
    once, _ = load_model(tmp_path / "once.pth")
    assert voting.shift_votes is True and once.shift_votes is False
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        nine = model(one_pixel_shifts(x)).view(9, 3, -1).mean(0)
        assert torch.allclose(infer(voting, x), nine, atol=1e-5)
        assert torch.allclose(infer(once, x), once(x))


def test_other_architecture_is_refused(tmp_path):
    save_checkpoint(tmp_path / "mlp.pth", MLP(), "MLP")
    with pytest.raises(DigitsError, match="holds a MLP, not the DigitCNN"):
        load_model(tmp_path / "mlp.pth", expected_arch="DigitCNN")
    # weights of one architecture under another's name
    save_checkpoint(tmp_path / "liar.pth", MLP(), "DigitCNN")
    with pytest.raises(DigitsError, match="does not fit DigitCNN"):
        load_model(tmp_path / "liar.pth")


@pytest.mark.parametrize("damage", ["truncate", "text", "empty"])
def test_truncated_or_foreign_bytes_are_a_clear_error(tmp_path, damage):
    path = save_checkpoint(tmp_path / "t.pth", DigitCNN(), "DigitCNN")
    content = {"truncate": path.read_bytes()[:5000], "text": b"root:x:0:0:root:/root:/bin/bash\n", "empty": b""}
    path.write_bytes(content[damage])
    with pytest.raises(DigitsError, match="truncated or not a PyTorch checkpoint"):
        load_checkpoint(path)


class _Evil:
    def __reduce__(self):
        return (exec, ("open(%r, 'w').write('pwned')" % _Evil.marker,))


def test_pickle_carrying_code_is_refused_and_never_run(tmp_path):
    _Evil.marker = str(tmp_path / "ran")
    path = tmp_path / "evil.pth"
    torch.save({"format": "digits-checkpoint/1", "state_dict": {}, "payload": _Evil()}, path)
    with pytest.raises(DigitsError, match="refusing to load"):
        load_checkpoint(path)
    assert not (tmp_path / "ran").exists()


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(DigitsError, match="not found; train one"):
        load_checkpoint(tmp_path / "nope.pth")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(DigitsError, match="not a digits checkpoint"):
        load_checkpoint(tmp_path / "other.pth")


def test_save_is_atomic_when_interrupted(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "best.pth", DigitCNN(), "DigitCNN", epoch=1)
    before = path.read_bytes()

    def crash(*a, **k):
        raise KeyboardInterrupt  # the learner pressed Ctrl-C mid-save

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, DigitCNN(), "DigitCNN", epoch=2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["best.pth"]  # no temp file left behind


def test_layers_have_names_and_checkpoints_from_before_still_load(tmp_path):
    from digitlib.checkpoint import load_model
    from digitlib.models import DigitCNN

    m = DigitCNN()
    assert m.features.conv1.out_channels == 24 and m.classifier.fc1.in_features == 900
    old_names = ["features.0.weight", "features.1.running_mean", "features.4.weight", "classifier.1.weight",
                 "classifier.4.bias"]
    numbered = {k.replace("conv1", "0").replace("bn1", "1").replace("conv2", "4").replace("bn2", "5")
                 .replace("fc1", "1").replace("fc2", "4"): v for k, v in m.state_dict().items()}
    assert all(name in numbered for name in old_names)
    path = tmp_path / "old.pth"
    torch.save({"format": "digits-checkpoint/1", "arch": "DigitCNN", "state_dict": numbered}, path)
    loaded, _ = load_model(path)
    assert torch.equal(loaded.features.conv2.weight, m.features.conv2.weight)
    fresh = DigitCNN()
    fresh.load_state_dict(numbered)  # also straight through load_state_dict (resuming an old run)
    assert torch.equal(fresh.classifier.fc2.bias, m.classifier.fc2.bias)


@pytest.mark.parametrize("damage", ["nan", "inf", "sparse", "meta"])
def test_weights_that_are_not_plain_finite_numbers_are_refused(tmp_path, damage):
    path = save_checkpoint(tmp_path / "m.pth", MLP(), "MLP")
    ckpt = torch.load(path, weights_only=True)
    w = ckpt["state_dict"]["net.4.weight"]
    ckpt["state_dict"]["net.4.weight"] = {"nan": lambda: w.index_fill(0, torch.tensor([3]), float("nan")),
                                          "inf": lambda: w.index_fill(1, torch.tensor([0]), float("inf")),
                                          "sparse": w.to_sparse, "meta": lambda: w.to("meta")}[damage]()
    torch.save(ckpt, path)
    with pytest.raises(DigitsError, match=r"is damaged: weight 'net.4.weight' (holds NaN or infinite|is a (sparse_coo|meta) tensor)"):
        load_model(path)
