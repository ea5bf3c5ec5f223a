"""`fastconv train`'s models, recipes and options, checkpoints that resume bit for bit,
Ctrl-C, and bad input reported in one line with exit code 2."""
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import fastconv
import fastconv.train
from fastconv import cli, nn
from fastconv.cli import main
from fastconv.models.recipes import MODELS, OPTIMIZER_DEFAULTS

QUICK = ["--train-limit", "256", "--test-limit", "128", "--batch-size", "32",
         "--no-progress"]


def _args(*argv):
    return cli.build_parser().parse_args(["train", *argv])


def _epoch_lines(out):
    return [line for line in out.splitlines() if line.startswith("epoch ")]


def _results(line):
    """An epoch line less its timings: epoch, train loss and test accuracy."""
    return line.split("  ")[:3]


def _env():
    env = dict(os.environ)
    pkg_parent = os.path.dirname(os.path.dirname(fastconv.__file__))
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    return env


# ------------------------------------------------------------------ recipes and options

@pytest.mark.parametrize("model", list(MODELS))
def test_defaults_are_the_models_recipe(model):
    args = _args("--model", model)
    recipe = cli.resolve_recipe(args)
    assert recipe == MODELS[model].recipe
    assert args.seed == 0
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert MODELS[model].recipe.summary() in " ".join(help_text.split())


def test_plain_fastconv_train_is_lenet5_with_adam():
    args = _args()
    cli.resolve_recipe(args)
    assert (args.model, args.optimizer, args.lr, args.epochs, args.batch_size) == (
        "lenet5", "adam", 1e-3, 5, 64)
    assert (args.scheduler, args.augment, args.label_smoothing, args.weight_decay) == (
        "none", False, 0.0, 0.0)


def test_cnn_bn_recipe_meets_the_issue():
    recipe = MODELS["cnn_bn"].recipe
    assert recipe.epochs == 10 and recipe.scheduler != "none" and recipe.augment


def test_options_replace_their_part_of_the_recipe():
    args = _args("--model", "cnn_bn", "--lr", "0.2", "--no-augment", "--scheduler", "cosine",
                 "--label-smoothing", "0", "--epochs", "2")
    recipe = cli.resolve_recipe(args)
    base = MODELS["cnn_bn"].recipe
    assert (recipe.lr, recipe.augment, recipe.scheduler, recipe.label_smoothing,
            recipe.epochs) == (0.2, False, "cosine", 0.0, 2)
    assert (recipe.optimizer, recipe.weight_decay, recipe.nesterov) == (
        base.optimizer, base.weight_decay, base.nesterov)


def test_another_optimizer_starts_from_its_own_defaults():
    args = _args("--model", "cnn_bn", "--optimizer", "adamw")
    recipe = cli.resolve_recipe(args)
    assert (recipe.lr, recipe.weight_decay, recipe.nesterov) == (
        OPTIMIZER_DEFAULTS["adamw"]["lr"], OPTIMIZER_DEFAULTS["adamw"]["weight_decay"], False)
    assert cli.recipe_text(args).startswith("AdamW lr 0.001, weight decay 0.01")


@pytest.mark.parametrize("options, shown", [
    (["--optimizer", "sgd", "--lr", "0.05", "--nesterov", "--weight-decay", "5e-4",
      "--scheduler", "onecycle", "--label-smoothing", "0.1", "--augment"],
     "SGD lr 0.05 momentum 0.9 nesterov, weight decay 0.0005, onecycle schedule, "
     "label smoothing 0.1, augmented (flip), batch 32"),
    (["--optimizer", "adamw", "--scheduler", "step"],
     "AdamW lr 0.001, weight decay 0.01, step schedule, batch 32"),
    (["--optimizer", "adam", "--scheduler", "cosine", "--seed", "3"],
     "Adam lr 0.001, cosine schedule, batch 32"),
])
def test_train_runs_with_each_option(options, shown, capsys):
    assert main(["train", "--epochs", "1", *QUICK, *options]) == 0
    out = capsys.readouterr().out
    assert shown in out.splitlines()[0]
    [line] = _epoch_lines(out)
    assert 0.0 <= float(line.split("test accuracy")[1].split()[0]) <= 1.0


@pytest.mark.parametrize("scheduler", ["step", "cosine", "onecycle"])
def test_schedules_match_torch_step_for_step(scheduler):
    torch = pytest.importorskip("torch")
    from fastconv.train import make_optimizer, make_scheduler
    ours_p = nn.Linear(2, 2)
    theirs_p = torch.nn.Linear(2, 2)
    ours = make_optimizer(fastconv.optim, ours_p.parameters(), "sgd", 0.1, nesterov=True,
                          weight_decay=5e-4)
    theirs = make_optimizer(torch.optim, theirs_p.parameters(), "sgd", 0.1, nesterov=True,
                            weight_decay=5e-4)
    s_ours = make_scheduler(fastconv.optim.lr_scheduler, ours, scheduler, 40)
    s_theirs = make_scheduler(torch.optim.lr_scheduler, theirs, scheduler, 40)
    lrs = []
    for _ in range(40):
        lrs.append((ours.param_groups[0]["lr"], theirs.param_groups[0]["lr"],
                    ours.param_groups[0]["momentum"], theirs.param_groups[0]["momentum"]))
        ours.step()
        theirs.step()
        s_ours.step()
        s_theirs.step()
    lrs = np.array(lrs)
    np.testing.assert_allclose(lrs[:, 0], lrs[:, 1], rtol=1e-12)
    np.testing.assert_allclose(lrs[:, 2], lrs[:, 3], rtol=1e-12)
    assert lrs[:, 0].max() <= 0.1 + 1e-12 and lrs[-1, 0] < 0.1 * (0.02 if scheduler != "step"
                                                                     else 0.011)


def test_augmentation_changes_the_batches_and_follows_the_seed():
    plain = cli.training_data(_args("--train-limit", "64", "--no-augment"), as_numpy=True)
    a = cli.training_data(_args("--train-limit", "64", "--augment"), as_numpy=True)
    b = cli.training_data(_args("--train-limit", "64", "--augment"), as_numpy=True)
    (x0, y0), (xa, ya), (xb, yb) = (next(iter(d.train_loader)) for d in (plain, a, b))
    np.testing.assert_array_equal(y0, ya)               # same shuffle
    assert not np.array_equal(x0, xa)
    np.testing.assert_array_equal(xa, xb)               # same seed, same augmentation
    flipped = np.array([np.array_equal(p[..., ::-1], q) for p, q in zip(x0, xa)])
    unchanged = np.array([np.array_equal(p, q) for p, q in zip(x0, xa)])
    assert np.all(flipped | unchanged) and 10 < flipped.sum() < 54   # each one, p = 0.5


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("argv", [
    ["--model", "resnet50"], ["--scheduler", "plateau"], ["--optimizer", "rmsprop"],
    ["--label-smoothing", "1"], ["--label-smoothing", "-0.1"], ["--weight-decay", "-1"],
    ["--weight-decay", "inf"], ["--momentum", "x"], ["--seed", "-1"], ["--epochs", "0"],
    ["--batch-size", "0"], ["--augment", "yes"]])
def test_bad_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, message", [
    (["--optimizer", "sgd", "--nesterov", "--momentum", "0"], "--nesterov needs"),
    (["--checkpoint", "/nonexistent/dir/ck.npz"], "does not exist"),
    (["--resume", "/nonexistent/ck.npz"], "no such file"),
])
def test_usage_errors_are_one_line(argv, message, capsys):
    assert main(["train", *QUICK, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_resume_from_weights_or_garbage_is_refused(tmp_path, capsys):
    weights = tmp_path / "w.npz"
    fastconv.save(fastconv.models.lenet5().state_dict(), str(weights))
    garbage = tmp_path / "g.npz"
    garbage.write_bytes(b"not a checkpoint at all")
    for path, message in ((weights, "not a checkpoint of `fastconv train`"),
                          (garbage, "cannot resume from it")):
        assert main(["train", *QUICK, "--resume", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def test_resume_refuses_options_of_another_run(tmp_path, capsys):
    ckpt = str(tmp_path / "ck.npz")
    assert main(["train", "--epochs", "1", *QUICK, "--checkpoint", ckpt]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", ckpt, "--lr", "0.5", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "that run used --lr 0.001; leave --lr out" in err
    assert main(["train", "--resume", ckpt, "--augment", "--no-progress"]) == 2
    assert "that run used --no-augment" in capsys.readouterr().err
    # the same values, or options that do not change the result, are fine
    assert main(["train", "--resume", ckpt, "--lr", "0.001", "--threads", "1",
                 "--no-progress"]) == 0
    assert "finished all 1 epochs: nothing to train" in capsys.readouterr().out


# ------------------------------------------------------------------ resume = never stopped

def _interrupt_in_epoch(monkeypatch, epoch, after_batches):
    """Make train_epoch raise KeyboardInterrupt (as Ctrl-C would) after a few batches of
    the given epoch, having trained on them."""
    real = fastconv.train.train_epoch

    def train_epoch(model, loader, optimizer, **kw):
        if kw.get("desc", "").startswith("epoch %d/" % epoch):
            def batches():
                for k, batch in enumerate(loader):
                    if k == after_batches:
                        raise KeyboardInterrupt
                    yield batch
            return real(model, batches(), optimizer, **kw)
        return real(model, loader, optimizer, **kw)
    monkeypatch.setattr(fastconv.train, "train_epoch", train_epoch)


@pytest.mark.parametrize("model", ["lenet5", "cnn_bn"])
def test_resuming_gives_the_same_result_as_not_stopping(model, tmp_path, monkeypatch,
                                                        capsys):
    run = ["train", "--model", model, "--epochs", "3", *QUICK, "--optimizer", "sgd",
           "--lr", "0.05", "--scheduler", "onecycle", "--augment", "--label-smoothing", "0.1",
           "--weight-decay", "1e-3"]
    a_ckpt, a_w = str(tmp_path / "a.ckpt"), str(tmp_path / "a.npz")
    assert main([*run, "--threads", "2", "--checkpoint", a_ckpt, "--save", a_w]) == 0
    uninterrupted = _epoch_lines(capsys.readouterr().out)

    b_ckpt, b_w = str(tmp_path / "b.ckpt"), str(tmp_path / "b.npz")
    with monkeypatch.context() as m:
        _interrupt_in_epoch(m, epoch=2, after_batches=3)
        assert main([*run, "--threads", "2", "--checkpoint", b_ckpt]) == 130
    captured = capsys.readouterr()
    assert [_results(s) for s in _epoch_lines(captured.out)] == [_results(uninterrupted[0])]
    assert captured.err.strip() == ("fastconv train: interrupted in epoch 2/3; %s holds "
                                    "epoch 1/3: continue with --resume %s" % (b_ckpt, b_ckpt))
    assert fastconv.load(b_ckpt)["epoch"] == 1

    assert main(["train", "--resume", b_ckpt, "--threads", "1", "--no-progress",
                 "--save", b_w]) == 0
    out = capsys.readouterr().out
    assert "resumed from %s after epoch 1/3" % b_ckpt in out
    resumed = _epoch_lines(out)
    assert [_results(s) for s in resumed] == [_results(s) for s in uninterrupted[1:]]
    a, b = fastconv.load(a_w), fastconv.load(b_w)
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
    a_state, b_state = fastconv.load(a_ckpt), fastconv.load(b_ckpt)
    assert a_state["rng"] == b_state["rng"] and a_state["scheduler"] == b_state["scheduler"]
    assert a_state["epoch"] == b_state["epoch"] == 3


def test_checkpoint_holds_the_whole_run(tmp_path, capsys):
    ckpt = str(tmp_path / "ck.npz")
    assert main(["train", "--epochs", "2", *QUICK, "--scheduler", "cosine", "--augment",
                 "--checkpoint", ckpt]) == 0
    state = fastconv.load(ckpt)
    assert state["epoch"] == 2 and state["settings"]["model"] == "lenet5"
    assert set(state["rng"]) == {"fastconv", "loader", "augment"}
    assert state["scheduler"]["last_epoch"] == 2 * 8   # stepped after every batch
    assert set(state["model"]) == set(fastconv.models.lenet5().state_dict())
    assert len(state["optimizer"]["state"]) == 10
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


# ------------------------------------------------------------------ Ctrl-C

CHILD = """
import sys, time
import fastconv.train as T
from fastconv import cli
real = T.train_epoch
def train_epoch(model, loader, optimizer, **kw):
    if kw.get("desc", "").startswith("epoch 2/"):
        print("READY", flush=True)
        time.sleep(120)
    return real(model, loader, optimizer, **kw)
T.train_epoch = train_epoch
sys.exit(cli.main(sys.argv[1:]))
"""


def test_ctrl_c_stops_cleanly_and_resume_continues(tmp_path):
    ckpt = str(tmp_path / "ck.npz")
    argv = ["train", "--epochs", "3", *QUICK, "--checkpoint", ckpt]
    child = subprocess.Popen([sys.executable, "-c", CHILD, *argv], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=_env())
    try:
        lines = []
        for line in child.stdout:
            lines.append(line)
            if line.strip() == "READY":
                break
        assert lines and lines[-1].strip() == "READY", "".join(lines) + child.stderr.read()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        "fastconv train: interrupted in epoch 2/3; %s holds epoch 1/3: continue with "
        "--resume %s" % (ckpt, ckpt)]
    assert fastconv.load(ckpt)["epoch"] == 1     # the last complete checkpoint, intact
    assert not [p for p in os.listdir(tmp_path) if p != "ck.npz"]

    done = subprocess.run([sys.executable, "-m", "fastconv", "train", "--resume", ckpt,
                           "--no-progress"], capture_output=True, text=True, env=_env(),
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resumed from %s after epoch 1/3" % ckpt in done.stdout
    assert [s.split()[1] for s in _epoch_lines(done.stdout)] == ["2/3", "3/3"]
    assert fastconv.load(ckpt)["epoch"] == 3


def test_ctrl_c_while_a_checkpoint_is_written_waits_for_it():
    with pytest.raises(KeyboardInterrupt):
        with cli.sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            finished = True      # the block runs to its end first
    assert finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
