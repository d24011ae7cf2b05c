"""The training loop: AdamW, warm-up + cosine schedule, gradient clipping, bf16 autocast on CUDA, seeds,
atomic checkpoints and resume, JSONL / TensorBoard logs, an optional depth curriculum, and DDP (torchrun).

Training data is generated once from the task's ``train`` split (or read from a file), parsed once and kept in
memory. The batch of step ``s`` is a pure function of ``(seed, s)``, so a resumed run draws exactly the batches
the interrupted one would have drawn.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from recursa.tasks.annotate import value_kinds
from recursa.tasks.examples import Example
from recursa.tasks.io import read_examples
from recursa.tasks.registry import generate, get_task, parse_depths
from recursa.train import checkpoint as ckpt
from recursa.train.distributed import DistInfo, all_reduce_mean, barrier, cleanup, setup
from recursa.train.logging import MetricLogger
from recursa.train.models import (
    MODEL_KINDS,
    BaselineModel,
    ForwardResult,
    ReasonerModel,
    TaskModel,
    UniversalModel,
    load_model,
)

# options that may differ when a run is resumed (they do not change what is trained)
RESUMABLE_OPTIONS = {"steps", "checkpoint_every", "keep_checkpoints", "log_every", "eval_every", "device", "threads",
              "progress", "tensorboard", "output"}


#: Reasoner options ``recursa train`` starts from (``--set`` overrides any of them): read every tree's value
#: from its outermost expression, learn the value of every sub-expression (per-node loss on the values the
#: data's trees define, see :mod:`recursa.tasks.annotate`) and keep equal values in equal states, fold
#: children without normalising away their multiplicities, and put a Python call's operands beside its
#: name. ``RecursaConfig``'s own defaults stay the plain encoder that ``recursa analyze`` uses.
REASONER_DEFAULTS: dict[str, Any] = {"readout": "expression", "node_loss_weight": 1.0,
                                     "value_consistency_weight": 1.0, "aggregation": "fold", "child_norm": "none",
                                     "splice_kinds": ["python:argument_list"], "snap_kinds": value_kinds()}


class TrainError(Exception):
    """A training run that cannot start (bad options, an existing run without --resume, ...)."""


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved as ``RUN/train_config.json``)."""

    task: str
    output: str
    model: str = "recursa"
    steps: int = 2000
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup: int = 100
    min_lr_ratio: float = 0.05
    clip: float = 1.0
    seed: int = 0
    train_size: int = 20000
    depths: str = ""
    curriculum: bool = False
    curriculum_fraction: float = 0.3
    hidden_size: int = 64
    layers: int = 0
    max_positions: int = 2048
    reasoner: dict[str, Any] = field(default_factory=dict)
    checkpoint_every: int = 250
    keep_checkpoints: int = 2
    log_every: int = 10
    eval_every: int = 0
    eval_depths: str = "1-8"
    eval_per_depth: int = 50
    device: str = "auto"
    threads: int = 0
    bf16: bool = True
    progress: bool = True
    tensorboard: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise TrainError(f"unknown training option(s) in saved config: {', '.join(sorted(unknown))}")
        return cls(**data)

    def validate(self) -> None:
        if self.model not in MODEL_KINDS:
            raise TrainError(f"--model must be one of {', '.join(MODEL_KINDS)}, not {self.model!r}")
        for name in ("steps", "batch_size", "train_size", "hidden_size", "checkpoint_every", "log_every"):
            if getattr(self, name) <= 0:
                raise TrainError(f"{name.replace('_', '-')} must be positive")
        if self.lr <= 0 or self.clip <= 0:
            raise TrainError("lr and clip must be positive")
        for option, spec in (("--depths", self.depths), ("eval_depths", self.eval_depths)):
            if spec:
                check_depths(spec, option)
        if _is_data_file(self.task):
            if not Path(self.task).is_file():
                raise TrainError(f"{self.task}: no such file")
        else:
            try:
                get_task(self.task)
            except KeyError as exc:
                raise TrainError(f"{exc.args[0]}; or give a .jsonl / .tsv file") from None
        if self.model == "universal":
            from recursa.train.universal import UniversalConfig

            try:
                UniversalConfig(hidden_size=self.hidden_size, num_attention_heads=max(1, self.hidden_size // 16),
                                **self.reasoner)
            except (TypeError, ValueError) as exc:
                raise TrainError(f"bad option of the universal model: {exc}") from None
        elif self.model == "recursa" or self.layers <= 0:
            from recursa.equilibrium.model import RecursaConfig

            try:
                defaults = RecursaConfig(hidden_size=self.hidden_size)
                check_reasoner_types(self.reasoner, defaults)
                RecursaConfig(hidden_size=self.hidden_size, **self.reasoner)
            except (TypeError, ValueError) as exc:
                raise TrainError(f"bad reasoner option: {exc}") from None


#: Deeper than any task generates or any tree the reasoner is meant for; a bound keeps ``1-10**12`` from
#: building a trillion-element list.
MAX_DEPTH = 10_000


def check_depths(spec: str, option: str = "--depths") -> list[int]:
    """Parse a depth range such as ``1-5,8`` or raise :class:`TrainError` naming ``option``."""
    for part in spec.replace(" ", "").split(","):
        for bound in part.split("-", 1):
            if bound.isascii() and bound.isdigit() and int(bound) > MAX_DEPTH:
                raise TrainError(f"{option}: depth {bound} is beyond the largest supported ({MAX_DEPTH})")
    try:
        return parse_depths(spec)
    except ValueError as exc:
        raise TrainError(f"{option}: {exc}") from None


def check_reasoner_types(values: dict[str, Any], defaults: Any) -> None:
    """Each ``--set`` value must have the type of the config field's default (an int where a float is
    expected is fine); raises ``ValueError`` naming the field. Unknown keys are left to the config."""
    for key, value in values.items():
        if not hasattr(defaults, key):
            continue
        default = getattr(defaults, key)
        if default is None:
            continue
        if isinstance(default, bool):
            ok, want = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, want = isinstance(value, int) and not isinstance(value, bool), "an integer"
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            want = "a number"
        elif isinstance(default, str):
            ok, want = isinstance(value, str), "a string"
        elif isinstance(default, list | tuple):
            ok, want = isinstance(value, list), "a JSON list"
        elif isinstance(default, dict):
            ok, want = isinstance(value, dict), "a JSON object"
        else:
            continue
        if not ok:
            raise ValueError(f"{key} must be {want} (like its default {json.dumps(default)}), got {value!r}")


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    checkpoint: Path | None
    last_metrics: dict[str, Any]
    model: TaskModel | None = None


# ---- data ------------------------------------------------------------------------------------------

def _is_data_file(task: str) -> bool:
    """``task`` names a data file (.jsonl / .tsv) rather than a registered task."""
    return Path(task).suffix.lower() in (".jsonl", ".tsv")


def training_examples(config: TrainConfig) -> tuple[list[Example], int]:
    """The examples a run trains on, and the number of classes."""
    path = Path(config.task)
    if _is_data_file(config.task):
        examples = read_examples(path, config.depths or None)
        return examples, max(10, max(e.label for e in examples) + 1)
    spec = get_task(config.task)
    depths = parse_depths(config.depths) if config.depths else list(range(spec.train_depths[0],
                                                                             spec.train_depths[1] + 1))
    per = math.ceil(config.train_size / (len(depths) * len(spec.syntaxes)))
    return generate(spec, depths, per, seed=config.seed, split="train"), spec.num_labels


def heldout_examples(config: TrainConfig) -> list[Example]:
    """A small evaluation set from the task's ``eval`` split (empty for file data)."""
    if _is_data_file(config.task):
        return []
    return generate(config.task, parse_depths(config.eval_depths), config.eval_per_depth, seed=config.seed + 1,
                    split="eval")


class BatchSampler:
    """Batch ``s`` = ``batch_size`` indices drawn from ``default_rng([seed, s])``; curriculum by depth."""

    def __init__(self, depths: np.ndarray, batch_size: int, seed: int, steps: int, curriculum: bool,
                 curriculum_fraction: float) -> None:
        self.depths = depths
        self.batch_size = batch_size
        self.seed = seed
        self.levels = sorted(set(depths.tolist()))
        self.pools = {d: np.flatnonzero(depths <= d) for d in self.levels}
        self.all = np.arange(len(depths))
        self.curriculum = curriculum and len(self.levels) > 1
        self.ramp = max(1, int(steps * curriculum_fraction))

    def max_depth(self, step: int) -> int:
        if not self.curriculum:
            return self.levels[-1]
        k = min(len(self.levels) - 1, (step * len(self.levels)) // self.ramp)
        return self.levels[k]

    def indices(self, step: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, step])
        pool = self.pools[self.max_depth(step)] if self.curriculum else self.all
        return rng.choice(pool, size=self.batch_size, replace=True)


# ---- the loop --------------------------------------------------------------------------------------

def _device(name: str, dist: DistInfo) -> torch.device:
    from recursa.train.cli_support import resolve_device

    try:
        return resolve_device(name, dist.local_rank)
    except ValueError as exc:
        raise TrainError(str(exc)) from None


def build_model(config: TrainConfig, num_labels: int) -> TaskModel:
    if config.model == "recursa":
        try:
            return ReasonerModel.create(config.hidden_size, num_labels, dict(config.reasoner))
        except (TypeError, ValueError) as exc:
            raise TrainError(f"bad reasoner option: {exc}") from None
    if config.model == "universal":  # --layers: the most steps its halting may take (0: 24)
        return UniversalModel.create(config.hidden_size, num_labels, config.layers, options=config.reasoner)
    layers = config.layers
    if layers <= 0:
        from recursa.train.baseline import matched_layers

        ref = ReasonerModel.create(config.hidden_size, num_labels, dict(config.reasoner))
        layers = matched_layers(config.hidden_size, ref.parameter_counts()["core"], num_labels)
    return BaselineModel.create(config.hidden_size, num_labels, layers, config.max_positions)


def _optimizer(module: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for name, p in module.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.ndim >= 2 and "embed" not in name and "norm" not in name.lower() else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.98))


def lr_factor(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio``."""
    if step < config.warmup:
        return (step + 1) / config.warmup
    t = min(1.0, (step - config.warmup) / max(1, config.steps - config.warmup))
    return config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))


def _prepare_run(config: TrainConfig, resume: bool, dist: DistInfo) -> tuple[TrainConfig, Path | None]:
    run = Path(config.output)
    saved_path = run / "train_config.json"
    if resume:
        latest = ckpt.latest_checkpoint(run)
        if latest is None:
            raise TrainError(f"{run}: nothing to resume (no complete checkpoint); run without --resume to start "
                             "it again")
        saved = TrainConfig.from_json(json.loads(saved_path.read_text(encoding="utf-8")))
        merged = TrainConfig(**{**saved.to_json(), **{k: getattr(config, k) for k in RESUMABLE_OPTIONS}})
        return merged, latest
    occupied = bool(ckpt.list_checkpoints(run))
    # a run that failed before its first checkpoint left only its config (and logs): it may start over
    restart = not occupied and saved_path.is_file()
    foreign = not occupied and not restart and run.is_dir() and any(run.iterdir())
    # Every rank looks before rank 0 writes: a rank that looked after the write would refuse the run it
    # is part of. All ranks see the same directory here, so they all raise or none does.
    barrier(dist)
    if occupied:
        raise TrainError(f"{run} already holds a training run: pass --resume to continue it, "
                         "or choose another --output")
    if foreign:
        raise TrainError(f"{run} is not empty and holds no recursa run: choose a new or empty --output "
                         "(recursa does not mix its files with yours)")
    if run.exists() and not run.is_dir():
        raise TrainError(f"{run} exists and is not a directory")
    if dist.is_main:
        if restart:
            ckpt.remove_partial_checkpoints(run)
            print(f"note: {run} holds a run that stopped before its first checkpoint; starting it again",
                  file=sys.stderr)
        run.mkdir(parents=True, exist_ok=True)
        ckpt.atomic_write_text(saved_path, json.dumps(config.to_json(), indent=1) + "\n")
    barrier(dist)
    return config, None


def train(config: TrainConfig, resume: bool = False) -> TrainResult:
    """Run (or resume) training as ``config`` says; returns where the last checkpoint went."""
    config.validate()
    dist = setup()
    try:
        return _train(config, resume, dist)
    finally:
        cleanup(dist)


def _train(config: TrainConfig, resume: bool, dist: DistInfo) -> TrainResult:
    """Check what can fail before the run directory is written, prepare it, seed, read the data, train."""
    device = _device(config.device, dist)  # before the run directory is written: a bad --device leaves nothing
    from_file = None
    if not resume and _is_data_file(config.task):
        from_file = training_examples(config)  # likewise a bad data file (read once; no RNG involved)
    config, resume_from = _prepare_run(config, resume, dist)
    _seed(config)
    examples, num_labels = from_file or training_examples(config)  # data files: classes from their labels
    return _Session.open(config, dist, device, examples, num_labels, resume_from).run()


def _seed(config: TrainConfig) -> None:
    """Threads and seeds, before any data or weights are drawn."""
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)


def _restore(run: Path, resume_from: Path, device: torch.device, dist: DistInfo
             ) -> tuple[TaskModel, dict[str, Any], int]:
    """The model, optimiser/scheduler/RNG state and step of the checkpoint ``resume_from`` of ``run`` (the
    partial checkpoints an interrupted save left there are removed first)."""
    if dist.is_main:
        ckpt.remove_partial_checkpoints(run)
    model = load_model(resume_from, device)
    state = torch.load(resume_from / "training_state.pt", map_location="cpu", weights_only=True)
    step = int(json.loads((resume_from / "trainer_state.json").read_text())["step"])
    return model, state, step


def _distributed(module: torch.nn.Module, device: torch.device, dist: DistInfo) -> torch.nn.Module:
    """``module`` wrapped for DDP when there are several processes (itself otherwise)."""
    if dist.world_size == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)


class _Session:
    """A training run in progress: model, optimiser, data, logs, and the step it is at."""

    def __init__(self, config: TrainConfig, dist: DistInfo, device: torch.device, model: TaskModel,
                 examples: list[Example], state: dict[str, Any] | None, start_step: int,
                 resume_from: Path | None) -> None:
        self.config = config
        self.dist = dist
        self.device = device
        self.run_dir = Path(config.output)
        self.model = model
        self.module = model.module.to(device)
        self.module.train()
        self.dataset = model.dataset(examples, training=True)
        self.heldout = model.dataset(heldout_examples(config)) if config.eval_every > 0 else None
        self.optimizer = _optimizer(self.module, config)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: lr_factor(s, config))
        if state is not None:
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["torch_rng"])
        self.wrapped = _distributed(self.module, device, dist)
        self.sampler = BatchSampler(self.dataset.depths, config.batch_size, config.seed, config.steps,
                                    config.curriculum, config.curriculum_fraction)
        self.logger = MetricLogger(self.run_dir, enabled=dist.is_main, tensorboard=config.tensorboard)
        self.use_bf16 = config.bf16 and device.type == "cuda"
        self.info = {"model": model.describe(), "examples": len(self.dataset), "device": str(device),
                     "world_size": dist.world_size, "bf16": self.use_bf16}
        self.start_step = self.step = start_step
        self.resumed = resume_from is not None
        self.checkpoint_path = resume_from
        self.acc = _Accumulator()
        self.last: dict[str, Any] = {}
        self.bar: Any = None
        self.t0 = time.time()

    @classmethod
    def open(cls, config: TrainConfig, dist: DistInfo, device: torch.device, examples: list[Example],
             num_labels: int, resume_from: Path | None) -> _Session:
        """A new model, or the checkpoint ``resume_from`` with its optimiser state and step."""
        if resume_from is not None:
            model, state, start_step = _restore(Path(config.output), resume_from, device, dist)
            return cls(config, dist, device, model, examples, state, start_step, resume_from)
        return cls(config, dist, device, build_model(config, num_labels), examples, None, 0, None)

    def run(self) -> TrainResult:
        """Train up to ``config.steps``, logging, evaluating and checkpointing on schedule; an interrupt saves a
        checkpoint to resume from."""
        config = self.config
        if self.dist.is_main:
            self.logger.log(self.step, {"event": "resume" if self.resumed else "start", **_flat(self.info)})
        self.bar = self._progress_bar()
        self.t0 = time.time()
        try:
            while self.step < config.steps:
                self._train_step()
                if self.step % config.log_every == 0 or self.step == config.steps:
                    self._log_metrics()
                if self.heldout is not None and (self.step % config.eval_every == 0 or self.step == config.steps):
                    self._evaluate()
                if self.step % config.checkpoint_every == 0 and self.step < config.steps:
                    self.checkpoint_path = self._save()
        except KeyboardInterrupt:
            self._save_interrupted()
            raise
        finally:
            if self.bar is not None:
                self.bar.close()
        return self._finish()

    def _progress_bar(self) -> Any:
        if not (self.config.progress and self.dist.is_main):
            return None
        from tqdm import tqdm

        return tqdm(total=self.config.steps, initial=self.step, desc=f"train {self.model.kind}", unit="step",
                    dynamic_ncols=True, file=sys.stderr)

    def _train_step(self) -> None:
        """One optimiser step on the batch of the current step (skipped when the loss or gradient is not
        finite; the schedule advances either way)."""
        idx = self.sampler.indices(self.step)[self.dist.rank::self.dist.world_size]
        self.optimizer.zero_grad(set_to_none=True)
        out, labels, loss_value = _forward_backward(self.model, self.wrapped, self.dataset, idx, self.device,
                                                    self.use_bf16, self.dist)
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.config.clip))
        finite = math.isfinite(grad_norm) and math.isfinite(loss_value)
        if finite:
            self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        self.acc.add(out, labels, loss_value, grad_norm, finite, self.model.backward_iterations())
        if self.bar is not None:
            self.bar.update(1)

    def _log_metrics(self) -> None:
        """Log the statistics accumulated since the last log line (averaged over processes)."""
        metrics = self.acc.result(self.dist, self.device)
        metrics.update(lr=self.scheduler.get_last_lr()[0], max_depth=self.sampler.max_depth(self.step - 1),
                       elapsed_s=round(time.time() - self.t0, 2))
        self.acc = _Accumulator()
        self.last = metrics
        self.logger.log(self.step, metrics)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{metrics['loss']:.3f}", acc=f"{metrics['accuracy']:.3f}",
                                 it=f"{metrics['iterations_mean']:.1f}")

    def _evaluate(self) -> None:
        """Accuracy on the held-out examples (main process), logged."""
        if self.dist.is_main:
            from recursa.train.evaluate import evaluate_dataset

            assert self.heldout is not None
            rep = evaluate_dataset(self.model, self.heldout, self.model.kind, self.config.task, self.device)
            self.logger.log(self.step, {"eval_accuracy": rep.accuracy,
                                        **{f"eval_accuracy_d{r.depth}": r.accuracy for r in rep.by_depth},
                                        "eval_spearman": rep.spearman_iterations_height,
                                        "eval_convergence_failure_rate": rep.convergence_failure_rate})
            self.module.train()
        barrier(self.dist)

    def _save(self) -> Path | None:
        """A checkpoint of the current step (written by the main process; every process waits for it)."""
        path = None
        if self.dist.is_main:
            path = _save(self.run_dir, self.step, self.model, self.optimizer, self.scheduler, self.config, self.info,
                         time.time() - self.t0)
        barrier(self.dist)
        return path

    def _save_interrupted(self) -> None:
        if self.step > self.start_step:
            self.checkpoint_path = self._save()
            print(f"\ninterrupted: checkpoint at step {self.step} in {self.checkpoint_path}; continue with --resume",
                  file=sys.stderr)

    def _finish(self) -> TrainResult:
        """The final checkpoint (unless the run was already complete and checkpointed) and the end event."""
        if self.step > self.start_step or self.checkpoint_path is None:
            self.checkpoint_path = self._save()
        if self.dist.is_main:
            self.logger.log(self.step, {"event": "end", "elapsed_s": round(time.time() - self.t0, 2)})
        self.logger.close()
        return TrainResult(self.run_dir, self.step, self.checkpoint_path, self.last, self.model)


def _forward_backward(model: TaskModel, wrapped: torch.nn.Module, dataset: Any, idx: np.ndarray,
                      device: torch.device, use_bf16: bool, dist: DistInfo) -> tuple[ForwardResult, torch.Tensor,
                                                                                     float]:
    """Loss and gradients of one batch, in the micro-batches the model asks for (padding-heavy models split
    by length); the gradient is that of the mean loss over the whole batch either way."""
    chunks = model.micro_batches(dataset, idx)
    outs: list[ForwardResult] = []
    all_labels: list[torch.Tensor] = []
    loss_value = 0.0
    for i, chunk in enumerate(chunks):
        inputs, labels = model.inputs(dataset, chunk)
        inputs, labels = model.to_device(inputs, device), labels.to(device)
        last = i == len(chunks) - 1
        sync = contextlib.nullcontext() if last or dist.world_size == 1 else wrapped.no_sync()  # type: ignore
        with sync:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                out = model.forward(inputs, labels, module=wrapped)
            assert out.loss is not None
            loss = out.loss * (len(chunk) / len(idx))
            loss.backward()
        loss_value += float(loss.detach())
        outs.append(out)
        all_labels.append(labels)
    if len(outs) == 1:
        return outs[0], all_labels[0], loss_value
    merged = ForwardResult(
        loss=None, logits=torch.cat([o.logits.detach() for o in outs]),
        iterations=torch.cat([o.iterations for o in outs]), converged=torch.cat([o.converged for o in outs]),
        abs_residual=None if outs[0].abs_residual is None else torch.cat([o.abs_residual for o in outs]),
        rel_residual=None if outs[0].rel_residual is None else torch.cat([o.rel_residual for o in outs]))
    return merged, torch.cat(all_labels), loss_value


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _save(run: Path, step: int, model: TaskModel, optimizer: torch.optim.Optimizer, scheduler: Any,
          config: TrainConfig, info: dict[str, Any], elapsed: float) -> Path:
    def write(tmp: Path) -> None:
        model.save(tmp)
        state = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                 "torch_rng": torch.get_rng_state()}
        torch.save(state, tmp / "training_state.pt")

    return ckpt.save_checkpoint(run, step, write, {"config": config.to_json(), "info": info,
                                                   "elapsed_s": round(elapsed, 2), "pid": os.getpid()},
                                keep=config.keep_checkpoints)


class _Accumulator:
    """Sums per-step statistics between two log lines."""

    def __init__(self) -> None:
        self.steps = 0
        self.sums: dict[str, float] = {}
        self.max_iter = 0.0
        self.bwd: list[float] = []

    def _add(self, key: str, value: float) -> None:
        self.sums[key] = self.sums.get(key, 0.0) + value

    def add(self, out: Any, labels: torch.Tensor, loss: float, grad_norm: float, finite: bool,
            backward_iterations: float | None) -> None:
        self.steps += 1
        it = out.iterations.float()
        self._add("loss", loss if math.isfinite(loss) else 0.0)
        self._add("accuracy", float((out.logits.argmax(-1) == labels).float().mean()))
        self._add("iterations_mean", float(it.mean()))
        self.max_iter = max(self.max_iter, float(it.max()))
        self._add("convergence_failure_rate", float(1.0 - out.converged.float().mean()))
        if out.abs_residual is not None:
            self._add("abs_residual", float(out.abs_residual.float().mean()))
        if out.rel_residual is not None:
            self._add("rel_residual", float(out.rel_residual.float().mean()))
        self._add("grad_norm", grad_norm if math.isfinite(grad_norm) else 0.0)
        self._add("skipped_steps", 0.0 if finite else 1.0)
        if backward_iterations is not None:
            self.bwd.append(backward_iterations)

    def result(self, dist: DistInfo, device: torch.device) -> dict[str, Any]:
        keys = sorted(self.sums)
        vals = [self.sums[k] / max(1, self.steps) for k in keys]
        vals = all_reduce_mean(vals, dist, device)
        out: dict[str, Any] = dict(zip(keys, vals))
        out["skipped_steps"] = round(out.get("skipped_steps", 0.0) * self.steps)
        out["iterations_max"] = self.max_iter
        if self.bwd:
            out["backward_iterations_mean"] = sum(self.bwd) / len(self.bwd)
        return out
