"""Training: checkpoints, kill -9 and --resume, exact continuation, DDP on two CPU processes, baseline."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from recursa.tasks.registry import generate
from recursa.train import checkpoint as ckpt
from recursa.train.logging import MetricLogger, read_log
from recursa.train.models import BaselineModel, load_model
from recursa.train.trainer import REASONER_DEFAULTS, TrainConfig, TrainError, train
from recursa.trees.languages import kind_name

TINY = dict(hidden_size=8, batch_size=8, train_size=120, threads=1, progress=False, tensorboard=False,
            log_every=5, warmup=2, reasoner={"ffn_mult": 1.0})


# the options `recursa train` starts from (DDP must cope with their unused parameters)
RECIPE = {**TINY, "reasoner": {**REASONER_DEFAULTS, "ffn_mult": 1.0}}


def _state(model_dir: Path) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in load_model(model_dir).module.state_dict().items()}


def test_training_writes_checkpoints_logs_and_a_loadable_model(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = train(TrainConfig(task="listops", output=str(run), steps=12, checkpoint_every=5, **TINY))
    assert result.step == 12
    names = [p.name for p in ckpt.list_checkpoints(run)]
    assert names == ["step-0000010", "step-0000012"]  # keep=2: step 5 was deleted
    assert (run / "latest").read_text().strip() == "checkpoints/step-0000012"
    for f in ("config.json", "model.safetensors", "training_state.pt", "trainer_state.json"):
        assert (result.checkpoint / f).is_file()
    entries = read_log(run)
    steps = [e for e in entries if "loss" in e]
    assert [e["step"] for e in steps] == [5, 10, 12]
    for key in ("loss", "accuracy", "iterations_mean", "iterations_max", "backward_iterations_mean",
                "abs_residual", "rel_residual", "grad_norm", "convergence_failure_rate", "lr"):
        assert key in steps[-1], key
    assert load_model(result.checkpoint).kind == "recursa"


def test_the_recipe_trains_on_per_node_values_and_reads_the_expression(tmp_path: Path) -> None:
    result = train(TrainConfig(task="listops", output=str(tmp_path / "run"), steps=4, checkpoint_every=4,
                               **RECIPE))
    model = load_model(result.checkpoint)
    config = model.module.config
    assert (config.readout, config.aggregation, config.child_norm) == ("expression", "fold", "none")
    assert config.node_loss_weight == 1.0 and config.splice_kinds == ["python:argument_list"]
    examples = generate("listops", [2], 3, seed=0, syntaxes=["python"])
    train_set, eval_set = model.dataset(examples, training=True), model.dataset(examples)
    assert train_set.node_labels is not None and eval_set.node_labels is None
    # the saved model is fed spliced trees: no argument_list nodes
    names = {kind_name(int(k)) for t in eval_set.trees for k in t.kind}
    assert "python:call" in names and "python:argument_list" not in names
    inputs, labels = model.inputs(train_set, np.arange(3))
    assert model.forward(inputs, labels).loss is not None


def test_resume_continues_exactly_where_the_run_stopped(tmp_path: Path) -> None:
    full = tmp_path / "full"
    cfg = dict(task="listops", steps=10, checkpoint_every=5, keep_checkpoints=0, **TINY)
    train(TrainConfig(output=str(full), **cfg))
    cut = tmp_path / "cut"  # the same run, as if it had died right after its step-5 checkpoint
    shutil.copytree(full, cut)
    shutil.rmtree(cut / "checkpoints" / "step-0000010")
    (cut / "latest").write_text("checkpoints/step-0000005\n")
    result = train(TrainConfig(output=str(cut), **cfg), resume=True)
    assert result.step == 10
    a, b = _state(full / "checkpoints" / "step-0000010"), _state(result.checkpoint)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


def test_a_second_run_into_the_same_directory_needs_resume(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(TrainConfig(task="arith", output=str(run), steps=3, **TINY))
    with pytest.raises(TrainError, match="already holds a training run"):
        train(TrainConfig(task="arith", output=str(run), steps=3, **TINY))
    with pytest.raises(TrainError, match="nothing to resume"):
        train(TrainConfig(task="arith", output=str(tmp_path / "empty"), steps=3, **TINY), resume=True)


def test_a_crash_while_writing_a_checkpoint_leaves_the_previous_one_in_use(tmp_path: Path) -> None:
    def good(d: Path) -> None:
        (d / "config.json").write_text("{}")

    def dies(d: Path) -> None:
        (d / "config.json").write_text("{")
        raise OSError("disk gone")

    ckpt.save_checkpoint(tmp_path, 5, good, {})
    with pytest.raises(OSError):
        ckpt.save_checkpoint(tmp_path, 10, dies, {})
    assert ckpt.latest_checkpoint(tmp_path).name == "step-0000005"
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step-0000005"]
    assert len(ckpt.remove_partial_checkpoints(tmp_path)) == 1
    assert ckpt.resolve_model_dir(tmp_path) == tmp_path / "checkpoints" / "step-0000005"


def test_a_kill_while_old_checkpoints_are_deleted_never_leaves_a_listed_incomplete_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(d: Path) -> None:
        (d / "config.json").write_text("{}")
        (d / "model.safetensors").write_bytes(b"weights")

    class Killed(BaseException):
        pass

    def dies_midway(path: Path, ignore_errors: bool = False) -> None:
        next(Path(path).glob("*.safetensors")).unlink()  # the first file is gone, then the process is killed
        raise Killed

    ckpt.save_checkpoint(tmp_path, 1, write, {}, keep=1)
    ckpt.save_checkpoint(tmp_path, 2, write, {}, keep=0)
    monkeypatch.setattr(ckpt.shutil, "rmtree", dies_midway)
    with pytest.raises(Killed):
        ckpt.save_checkpoint(tmp_path, 3, write, {}, keep=1)  # prunes step 1 and 2
    listed = ckpt.list_checkpoints(tmp_path)
    assert listed and all((c / "model.safetensors").is_file() and (c / "trainer_state.json").is_file()
                          for c in listed)
    monkeypatch.undo()
    assert ckpt.remove_partial_checkpoints(tmp_path)  # the half-deleted one is a leftover, removed on resume
    with pytest.raises(Killed):  # and a checkpoint saved again at its own step is replaced the same way
        monkeypatch.setattr(ckpt.shutil, "rmtree", dies_midway)
        ckpt.save_checkpoint(tmp_path, 3, write, {}, keep=0)
    assert all((c / "model.safetensors").is_file() for c in ckpt.list_checkpoints(tmp_path))
    assert ckpt.latest_checkpoint(tmp_path).name == "step-0000003"


def test_a_log_line_cut_by_a_kill_does_not_swallow_the_next_runs_first_entry(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "lo')  # killed mid-line
    logger = MetricLogger(tmp_path, tensorboard=False)
    logger.log(2, {"event": "resume"})
    logger.close()
    assert read_log(tmp_path) == [{"step": 1, "loss": 2.0}, {"step": 2, "event": "resume"}]


def _latest_step(run: Path) -> int:
    latest = ckpt.latest_checkpoint(run)
    try:
        return int(json.loads((latest / "trainer_state.json").read_text())["step"]) if latest else 0
    except FileNotFoundError:  # a live run retired it (two newer checkpoints) between the two reads
        return 0


def test_kill_9_during_training_then_resume(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "recursa.cli", "train", "listops", "-o", str(run), "--hidden", "8",
           "--batch-size", "8", "--train-size", "120", "--threads", "1", "--checkpoint-every", "1",
           "--log-every", "1", "--no-progress", "--set", "ffn_mult=1.0"]
    proc = subprocess.Popen([*cmd, "--steps", "100000"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while _latest_step(run) < 3:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    time.sleep(0.3)  # let it get into further checkpoint writes before the kill
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    killed_at = _latest_step(run)
    assert killed_at >= 3
    saved = json.loads((run / "train_config.json").read_text())["reasoner"]
    assert saved == {**REASONER_DEFAULTS, "ffn_mult": 1.0}  # the CLI starts from the recipe, --set on top
    for c in ckpt.list_checkpoints(run):  # every published checkpoint is complete and loads
        assert int(load_model(c).module.value_counts.min()) > 0  # with the value snap's centroids
        torch.load(c / "training_state.pt", weights_only=True)

    target = killed_at + 4
    done = subprocess.run([*cmd, "--steps", str(target), "--resume"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["step"] == target
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".tmp-")]
    events = [e for e in read_log(run) if e.get("event") == "resume"]
    assert events and events[-1]["step"] == killed_at
    assert _latest_step(run) == target
    load_model(ckpt.latest_checkpoint(run))


def _ddp_worker(rank: int, world: int, port: int, out: str, extra: dict | None = None) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    if rank == 1:  # rank 1 looks at the run directory late, after rank 0 could have written into it
        looked = ckpt.list_checkpoints

        def late(run: Path) -> list[Path]:
            time.sleep(1.0)
            return looked(run)

        ckpt.list_checkpoints = late  # type: ignore[assignment]
    options = {**RECIPE, **(extra or {})}
    cfg = TrainConfig(task="listops", output=os.path.join(out, "run"), steps=6, checkpoint_every=3,
                      device="cpu", **options)
    result = train(cfg)
    torch.save(result.model.module.state_dict(), os.path.join(out, f"rank{rank}.pt"))


def test_ddp_two_cpu_processes_keep_identical_parameters(tmp_path: Path) -> None:
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    s0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    s1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    initial = _state_after_zero_steps(tmp_path)
    assert s0.keys() == s1.keys()
    changed = 0
    for k in s0:
        if k.startswith("value_"):
            # the value snap's running statistics: DDP hands every rank rank 0's at each forward, then each
            # rank folds in its own batch; what is saved is rank 0's. Both ranks tracked something.
            assert int(s0[k].abs().sum()) > 0 and int(s1[k].abs().sum()) > 0, k
            continue
        torch.testing.assert_close(s0[k], s1[k], rtol=0, atol=0, msg=k)
        changed += int(not torch.equal(s0[k], initial[k]))
    assert changed > 0  # they trained, and stayed equal
    log = read_log(tmp_path / "run")
    assert any(e.get("world_size") == 2 for e in log)


def test_ddp_trains_the_fold_state_heads_when_a_rank_has_no_labelled_accumulator(tmp_path: Path) -> None:
    """The width model's fold-state and MED-balance heads get gradient only from batches with such operators;
    with two trees per rank one rank often has no MED, and DDP must still reduce every parameter."""
    import socket

    import torch.multiprocessing as mp

    from recursa.tasks import listops

    fold = {"fold_shape": "chain", "fold_state_classes": listops.FOLD_STATE_CLASSES,
            "fold_state_snapped": listops.FOLD_MED_CLASS, "fold_factor_class": listops.FOLD_MED_CLASS,
            "fold_factors": listops.MED_THRESHOLDS, "fold_factor_values": listops.MED_BALANCE_VALUES}
    extra = {"batch_size": 2, "reasoner": {**RECIPE["reasoner"], **fold}}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path), extra), nprocs=2, join=True)
    s0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    s1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert any(k.startswith("fold_factor_head") for k in s0)
    for k in s0:
        if k.startswith(("value_", "fold_centroids", "fold_counts")):
            continue  # running statistics, per rank (see above)
        torch.testing.assert_close(s0[k], s1[k], rtol=0, atol=0, msg=k)


def _state_after_zero_steps(tmp_path: Path) -> dict[str, torch.Tensor]:
    from recursa.train.trainer import build_model

    torch.manual_seed(0)
    cfg = TrainConfig(task="listops", output=str(tmp_path / "unused"), **RECIPE)
    return {k: v.clone() for k, v in build_model(cfg, 10).module.state_dict().items()}


def test_transformer_baseline_trains_on_the_same_data(tmp_path: Path) -> None:
    run = tmp_path / "bert"
    result = train(TrainConfig(task="listops", output=str(run), model="transformer", steps=4, layers=2,
                               **{**TINY, "hidden_size": 16}))
    model = load_model(result.checkpoint)
    assert isinstance(model, BaselineModel)
    assert model.module.config.num_hidden_layers == 2 and model.module.config.hidden_size == 16
    start = next(e for e in read_log(run) if e.get("event") == "start")
    assert start["model.kind"] == "transformer" and start["examples"] >= 120


def test_train_invariants_is_handed_to_the_ranker_trainer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    import recursa.refine.train_ranker as ranker
    from recursa.cli import main

    seen: dict[str, object] = {}

    def fake_train(output: str | None = None, resume: bool = False, train_size: int = 1500, lr: float = 3e-3,
                   hidden_size: int = 32, seed: int = 0) -> dict[str, object]:
        seen.update(output=output, resume=resume, train_size=train_size, lr=lr, hidden_size=hidden_size, seed=seed)
        return {"ok": True}

    monkeypatch.setattr(ranker, "train", fake_train)
    result = CliRunner().invoke(main, ["train", "invariants", "-o", str(tmp_path / "inv"), "--train-size", "7",
                                       "--hidden", "16", "--steps", "5"])
    assert result.exit_code == 0, result.output
    # options the ranker takes are passed when given; defaults of `recursa train` are not forced on it
    assert seen == {"output": str(tmp_path / "inv"), "resume": False, "train_size": 7, "lr": 3e-3,
                    "hidden_size": 16, "seed": 0}
    assert json.loads(result.output.strip().splitlines()[-1]) == {"ok": True}


def test_weights_that_do_not_fit_the_model_are_refused(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    from recursa.train.models import ModelLoadError

    result = train(TrainConfig(task="arith", output=str(tmp_path / "run"), steps=1, **TINY))
    bad = tmp_path / "bad"
    shutil.copytree(result.checkpoint, bad)
    tensors = load_file(str(bad / "model.safetensors"))
    name = next(iter(tensors))
    tensors["renamed." + name] = tensors.pop(name)
    save_file(tensors, str(bad / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match="do not fit this version"):
        load_model(bad)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_uses_bf16_autocast(tmp_path: Path) -> None:
    result = train(TrainConfig(task="listops", output=str(tmp_path / "gpu"), steps=3, device="cuda", **TINY))
    start = next(e for e in read_log(tmp_path / "gpu") if e.get("event") == "start")
    assert start["bf16"] is True and start["device"].startswith("cuda")
    assert load_model(result.checkpoint).kind == "recursa"
