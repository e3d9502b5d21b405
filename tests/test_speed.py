"""The speed recipe: its network, its one-cycle schedule, keeping the last model (the test set
chooses nothing), the CLI, resuming, and its checkpoint working wherever a model is used."""
from dataclasses import replace

import pytest
import torch

from digitlib.checkpoint import load_checkpoint, load_model
from digitlib.cli import main
from digitlib.config import RECIPES, TrainConfig
from digitlib.models import SpeedCNN, build_model
from digitlib.train import fit, last_path, make_optimizer, steps_per_epoch, train_one_epoch
from digitlib.data import MNISTTensors

from .test_resume import interrupt_in_epoch


def test_speed_network_pools_before_normalising_and_reads_digits_shape():
    model = SpeedCNN()
    names = [n for n, _ in model.features.named_children()]
    assert names == ["conv1", "pool1", "bn1", "relu1", "conv2", "pool2", "bn2", "relu2"]
    assert model.features.bn1.num_features == 16 and model.features.conv2.out_channels == 48
    assert model.classifier.fc1.in_features == 48 * 5 * 5
    assert isinstance(model.classifier.dropout, torch.nn.Identity)  # no dropout: a short run underfits
    assert SpeedCNN(dropout=0.5).classifier.dropout.p == 0.5  # the ablation's variant
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    # the ablation's variant: same layers, the reference's order
    plain = [n for n, _ in SpeedCNN(pool_first=False).features.named_children()]
    assert plain[:4] == ["conv1", "bn1", "relu1", "pool1"]
    assert isinstance(build_model("SpeedCNN"), SpeedCNN)


def test_shift_votes_average_the_nine_one_pixel_readings():
    from digitlib.models import infer, one_pixel_shifts

    x = torch.zeros(2, 1, 28, 28)
    x[0, 0, 10, 12] = 1.0
    copies = one_pixel_shifts(x)
    assert copies.shape == (18, 1, 28, 28) and torch.equal(copies[8:10], x)  # the middle copy is x
    where = {tuple(c[0].nonzero()[0].tolist()) for c in copies[0::2]}
    assert where == {(10 + dy, 12 + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    model = SpeedCNN().eval()
    digits = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        once = [model(c) for c in one_pixel_shifts(digits).split(3)]
        assert torch.allclose(infer(model, digits), torch.stack(once).mean(0), atol=1e-5)
        assert not torch.allclose(infer(model, digits), once[4], atol=1e-5)  # votes are not one reading
        assert torch.equal(model(digits), once[4])  # forward itself reads once: training stays plain
        plain = SpeedCNN(shift_votes=False).eval()
        assert torch.equal(infer(plain, digits), plain(digits))


def test_training_reads_once_until_the_last_epoch_which_reads_as_the_model_will(tmp_path, monkeypatch):
    import digitlib.train as train

    seen, real = [], train.evaluate

    def spy(model, data, *a, votes=True, **k):
        seen.append(votes)
        return real(model, data, *a, votes=votes, **k)

    monkeypatch.setattr(train, "evaluate", spy)
    cfg = replace(RECIPES["speed"].fast(), epochs=3, val_size=500, out=str(tmp_path / "s.pth"))
    result = fit(cfg, progress=False, verbose=False)
    assert seen == [False, False, False, False, True, True]  # (test, val) after each epoch
    assert result.model.shift_votes and load_checkpoint(cfg.out)["test_accuracy"] == result.history[-1]["test_accuracy"]


@pytest.mark.parametrize("arch, votes", [("DigitCNN", True), ("SpeedCNN", False)])
def test_a_recipe_that_chooses_shift_votes_saves_a_model_that_reads_so(tmp_path, arch, votes):
    cfg = TrainConfig(arch=arch, epochs=1, train_subset=256, test_subset=128, shift_votes=votes,
                      out=str(tmp_path / "m.pth"))
    fit(cfg, progress=False, verbose=False)
    assert load_model(cfg.out)[0].shift_votes is votes


def test_recipes_are_valid_and_the_reference_is_the_default():
    assert RECIPES["reference"] == TrainConfig()
    speed = RECIPES["speed"].validate()
    assert (speed.arch, speed.schedule, speed.keep, speed.recipe) == ("SpeedCNN", "onecycle", "last", "speed")


def test_one_cycle_rises_to_lr_then_falls_to_almost_zero_every_batch():
    cfg = replace(RECIPES["speed"], epochs=2, lr=0.1, warmup=0.25)
    opt, sched = make_optimizer([torch.zeros(1, requires_grad=True)], cfg, steps_per_epoch=50)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    peak = max(range(100), key=lrs.__getitem__)
    assert lrs[0] == pytest.approx(0.01) and lrs[peak] == pytest.approx(0.1) and 20 <= peak <= 26
    assert lrs[-1] < 0.002 and all(a >= b for a, b in zip(lrs[peak:], lrs[peak + 1:]))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        make_optimizer([torch.zeros(1, requires_grad=True)], cfg)


@pytest.mark.parametrize("n,bs", [(100, 32), (97, 32), (65, 32), (64, 32)])
def test_steps_per_epoch_counts_the_batches_an_epoch_takes(n, bs):
    data = MNISTTensors(torch.rand(n, 1, 28, 28), torch.randint(0, 10, (n,)))
    cfg = replace(RECIPES["speed"], batch_size=bs, augment=False, epochs=1)
    model = SpeedCNN()
    opt, sched = make_optimizer(model.parameters(), cfg, steps_per_epoch(n, bs))
    train_one_epoch(model, data, opt, cfg, torch.Generator().manual_seed(0), progress=False, batch_scheduler=sched)
    assert sched.last_epoch == steps_per_epoch(n, bs) == -(-n // bs) - (n % bs == 1)


def test_speed_recipe_keeps_the_last_model_and_the_test_set_chooses_nothing(tmp_path):
    cfg = replace(RECIPES["speed"].fast(), epochs=3, out=str(tmp_path / "s.pth"))
    result = fit(cfg, progress=False, verbose=False)
    saved = load_checkpoint(cfg.out)
    assert result.selected_on == "last" and result.best_epoch == 3 and saved["epoch"] == 3
    assert saved["test_accuracy"] == result.history[-1]["test_accuracy"] > 0.9
    # the saved weights are the final model's, whatever an earlier epoch scored
    for k, v in result.model.state_dict().items():
        assert torch.equal(saved["state_dict"][k].cpu(), v.cpu()), k
    lrs = [r["lr"] for r in result.history]
    assert lrs[1] > lrs[0] and lrs[2] < lrs[1]  # one-cycle, seen at the start of each epoch


def test_cli_trains_the_speed_recipe_and_every_tool_reads_its_model(tmp_path, capsys):
    from PIL import Image

    from digitlib.data import load_mnist
    from digitlib.predict import Predictor

    out = tmp_path / "speed.pth"
    assert main(["train", "--recipe", "speed", "--fast", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "no set chose it" in said and "recipe         speed" in said and "SpeedCNN" in said
    assert main(["evaluate", "--checkpoint", str(out), "--subset", "500"]) == 0
    assert "accuracy" in capsys.readouterr().out
    digit = load_mnist(False).images[0, 0]
    picture = tmp_path / "seven.png"
    Image.fromarray((digit.numpy() * 255).astype("uint8")).save(picture)
    assert main(["predict", str(picture), "--checkpoint", str(out)]) == 0
    from digitlib.surfaces.view import inside_panel

    predictor = Predictor(out)
    seen = predictor.predict(Image.open(picture))
    assert seen.digit == int(load_mnist(False).labels[0])
    panel = inside_panel(predictor.stages(seen))  # the window's and pad's "inside" view
    assert panel.width > 100 and panel.height > 100


def test_an_interrupted_speed_run_resumes_into_the_same_run(tmp_path, monkeypatch, capsys):
    run = ["train", "--recipe", "speed", "--fast", "--epochs", "2", "--seed", "3"]
    whole = tmp_path / "whole.pth"
    assert main([*run, "--out", str(whole)]) == 0
    out = tmp_path / "m.pth"
    with monkeypatch.context() as m:
        interrupt_in_epoch(m, 2)
        assert main([*run, "--out", str(out)]) == 130
    assert main(["train", "--resume", "--out", str(out)]) == 0
    assert main(["train", "--resume", "--recipe", "reference", "--out", str(out)]) == 1
    assert "--recipe reference disagrees" in capsys.readouterr().err
    a, b = load_checkpoint(last_path(whole)), load_checkpoint(last_path(out))
    assert a["config"]["recipe"] == b["config"]["recipe"] == "speed"
    for k, v in a["state_dict"].items():
        assert torch.equal(b["state_dict"][k], v), k


def test_flops_are_counted_by_hand_for_the_reference():
    from digitlib.models import DigitCNN
    from digitlib.course.speed import flops_per_image

    by_hand = 2 * (26 * 26 * 24 * 9 + 11 * 11 * 36 * 24 * 9 + 900 * 128 + 128 * 10)
    assert flops_per_image(DigitCNN()) == by_hand
    assert flops_per_image(SpeedCNN()) == 2 * (26 * 26 * 16 * 9 + 11 * 11 * 48 * 16 * 9 + 1200 * 128 + 128 * 10)


def test_every_ablation_is_a_valid_recipe_that_removes_one_thing():
    from digitlib.course.speed import ABLATIONS

    speed = RECIPES["speed"]
    for name, change in ABLATIONS.items():
        change = dict(change)
        model = change.pop("model", None)
        cfg = replace(speed, **change).validate()
        differs = {k for k, v in cfg.as_dict().items() if v != speed.as_dict()[k]}
        assert (model is not None) != bool(differs) or name.startswith("speed recipe"), name
        if model is not None:
            assert model()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_measured_layer_times_cover_every_named_layer_in_order():
    from digitlib.course.speed import measure_layer_times
    from digitlib.models import DigitCNN

    rows = measure_layer_times(SpeedCNN(), batch_size=8, repeats=2)
    assert [r["layer"] for r in rows][:3] == ["features.conv1", "features.pool1", "features.bn1"]
    assert rows[-1]["layer"] == "classifier.fc2" and rows[-1]["output"] == (10,)
    assert all(r["forward_ms"] > 0 and r["backward_ms"] > 0 for r in rows)
    model, state = DigitCNN(), torch.random.get_rng_state()
    measure_layer_times(model, batch_size=8, repeats=2)  # its dropout draws, from a forked state
    assert torch.equal(torch.random.get_rng_state(), state)


def test_the_speed_recipe_writes_beside_the_learners_reference_model(tmp_path, monkeypatch, capsys):
    import digitlib.cli as cli

    target = tmp_path / "mnist_cnn_speed.pth"
    monkeypatch.setattr(cli, "RECIPES", {**RECIPES, "speed": RECIPES["speed"].but(out=str(target))})
    assert main(["train", "--recipe", "speed", "--fast", "--epochs", "1"]) == 0
    assert target.is_file() and f"saved {target}" in capsys.readouterr().out


def test_an_ablation_run_leaves_the_callers_random_state_as_it_was(tmp_path):
    from digitlib.course.speed import ablation, training_images_per_second
    from digitlib.models import DigitCNN

    torch.manual_seed(7)
    rows = ablation(["batch 64 (the reference's)"], seeds=(3,), epochs=1, train_subset=256, test_subset=128,
                    val_size=0, out=str(tmp_path / "ab.pth"))
    assert [(r["variant"], r["seed"]) for r in rows] == [("batch 64 (the reference's)", 3)]
    assert 0 <= rows[0]["test_accuracy"] <= 1
    training_images_per_second(DigitCNN(), steps=2)  # DigitCNN: a network with dropout, which draws
    after = torch.rand(3)
    torch.manual_seed(7)
    DigitCNN()  # the one network this test drew itself
    assert torch.equal(after, torch.rand(3))


def test_a_speed_verdict_is_claimed_only_when_every_reading_agrees():
    from digitlib.course.speed import clearly, compared

    assert clearly([10, 11, 12], [5, 6, 7]) == 1 and clearly([5, 6, 7], [10, 11, 12]) == -1
    assert clearly([10, 6, 12], [5, 7, 8]) == 0  # one slow reading of the faster: the readings overlap
    assert clearly([10.1, 10.2], [10.0, 10.05]) == 0  # apart, but by less than the margin
    assert clearly([10.1, 10.2], [10.0, 10.05], margin=0.001) == 1
    assert compared([2, 2.1], [1, 1.1], "slower", "faster", "level") == "slower"
    assert compared([1, 2], [1.5, 1.6], "slower", "faster", "level") == "level"


def test_luck_is_two_standard_errors_in_points():
    from digitlib.course.speed import luck_points

    assert luck_points(0.99, 10000) == pytest.approx(200 * (0.99 * 0.01 / 10000) ** 0.5)
    assert luck_points(0.965, 1000) > luck_points(0.965, 5000) > 0  # fewer digits, more luck


def test_variants_are_timed_in_turns_not_one_after_another(monkeypatch):
    import digitlib.course.speed as speed

    order = []
    monkeypatch.setattr(speed, "training_images_per_second",
                        lambda model, cfg, steps: order.append(cfg.batch_size) or float(cfg.batch_size))
    variants = {"a": (SpeedCNN, RECIPES["speed"]), "b": (SpeedCNN, replace(RECIPES["speed"], batch_size=64))}
    seen = speed.interleaved_readings(variants, rounds=3, steps=1)
    assert order == [128, 64] * 3 and seen == {"a": [128.0] * 3, "b": [64.0] * 3}
    assert speed.interleaved_speeds(variants, rounds=2, steps=1) == {"a": 128.0, "b": 64.0}


def test_every_ablation_has_a_step_to_time():
    from digitlib.course.speed import ABLATIONS, ablation_variants

    variants = ablation_variants()
    assert list(variants) == list(ABLATIONS)
    make_model, cfg = variants["batch 64 (the reference's)"]
    assert cfg.batch_size == 64 and isinstance(make_model(), SpeedCNN)
    make_model, cfg = variants["conv2 with 36 maps (the reference's)"]
    assert make_model().features.conv2.out_channels == 36 and cfg == RECIPES["speed"]


def test_layer_times_in_turns_keep_every_round_and_sum_by_kind():
    from digitlib.course.speed import interleaved_layer_times, layer_ms
    from digitlib.models import DigitCNN

    merged, rounds = interleaved_layer_times({"ref": DigitCNN, "speed": SpeedCNN}, rounds=2, batch_size=4, repeats=1)
    assert len(rounds["ref"]) == len(rounds["speed"]) == 2
    assert [r["layer"] for r in merged["speed"]] == [r["layer"] for r in rounds["speed"][0]]
    total = layer_ms(merged["ref"])
    parts = sum(layer_ms(merged["ref"], (k,)) for k in ("conv", "bn", "relu", "pool", "fc", "flatten", "dropout"))
    assert total > 0 and parts == pytest.approx(total)


def test_each_ablation_trains_with_its_one_ingredient_removed_for_every_seed(monkeypatch):
    import digitlib.course.speed as speed
    from digitlib.train import FitResult

    runs = []

    def fake_fit(cfg, model=None, **kwargs):
        runs.append((cfg, model))
        return FitResult(model=model, history=[{"seconds": 1.0, "test_accuracy": 0.5, "val_accuracy": 0.4}])

    monkeypatch.setattr(speed, "fit", fake_fit)
    names = ["batch 64 (the reference's)", "conv1 with 24 maps (the reference's)"]
    rows = speed.ablation(names, seeds=(0, 1), epochs=1)
    cfgs = [cfg for cfg, _ in runs]
    assert [(r["variant"], r["seed"]) for r in rows] == [(n, s) for n in names for s in (0, 1)]
    assert [c.seed for c in cfgs] == [0, 1, 0, 1] and all(c.epochs == 1 for c in cfgs)
    assert [c.batch_size for c in cfgs] == [64, 64, RECIPES["speed"].batch_size, RECIPES["speed"].batch_size]
    assert runs[0][1] is None and all(m.features.conv1.out_channels == 24 for _, m in runs[2:])
