"""One interface over the models train and eval drive: the equilibrium reasoner and the two baselines.

``TaskModel.dataset(examples)`` prepares examples once (trees for the reasoner, token sequences for the
baseline); ``TaskModel.inputs(dataset, indices)`` builds a batch on the CPU; ``TaskModel.forward(inputs,
labels)`` returns a :class:`ForwardResult` with per-tree iteration statistics (the BERT baseline's "iterations"
are its fixed number of layers, the Universal Transformer's the steps its halting took).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from recursa.tasks.examples import Example

MODEL_KINDS = ("recursa", "transformer", "universal")


class ModelLoadError(Exception):
    """A model directory that cannot be loaded (missing, not a model, unknown type)."""


@dataclass
class ForwardResult:
    loss: torch.Tensor | None
    logits: torch.Tensor
    iterations: torch.Tensor  # [T] long
    converged: torch.Tensor  # [T] bool
    abs_residual: torch.Tensor | None = None
    rel_residual: torch.Tensor | None = None


def quiet_transformers() -> None:
    """No progress bars or warnings from transformers while models load (recursa prints its own messages)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


class TaskModel(ABC):
    """Base class: a model with its data preparation (the reasoner and the BERT baseline implement it)."""

    kind: str = ""
    module: torch.nn.Module

    @property
    def num_labels(self) -> int:
        return int(self.module.config.num_labels)

    @abstractmethod
    def dataset(self, examples: Sequence[Example], training: bool = False) -> Any:
        """Prepare ``examples`` once (parse, tokenise) into what :meth:`inputs` indexes (``training``: also
        what only the training loss needs)."""

    @abstractmethod
    def inputs(self, dataset: Any, indices: np.ndarray) -> tuple[Any, torch.Tensor]:
        """Model inputs and labels for the examples at ``indices``."""

    @abstractmethod
    def to_device(self, inputs: Any, device: torch.device) -> Any:
        """``inputs`` moved to ``device``."""

    def micro_batches(self, dataset: Any, indices: np.ndarray) -> list[np.ndarray]:
        """How one training batch is split for the forward/backward passes (one piece by default)."""
        return [indices]

    @abstractmethod
    def forward(self, inputs: Any, labels: torch.Tensor | None, module: torch.nn.Module | None = None
                ) -> ForwardResult:
        """Run the model (``module`` overrides ``self.module``, e.g. a DDP wrapper) and compute the loss."""

    def save(self, directory: str | Path) -> None:
        quiet_transformers()
        self.module.save_pretrained(str(directory))

    def parameter_counts(self) -> dict[str, int]:
        from recursa.train.baseline import core_parameters

        return {"total": sum(p.numel() for p in self.module.parameters()),
                "core": core_parameters(self.module)}

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.parameter_counts()}

    @property
    def value_snap(self) -> bool:
        """Whether evaluation snaps value nodes (only a reasoner with ``snap_kinds`` does)."""
        return False

    def set_value_snap(self, on: bool) -> None:
        """Turn the reasoner's value snap on or off (nothing for models without one)."""
        return None


@dataclass
class ReasonerInputs:
    """A tree batch and, when the per-node loss is on, its per-node labels in batch order."""

    batch: Any  # TreeBatch
    node_labels: torch.Tensor | None = None
    fold_labels: torch.Tensor | None = None  # the chain fold's accumulator classes (fold_state_classes > 0)
    fold_factors: torch.Tensor | None = None  # and their factors (fold_factors > 0)


class ReasonerModel(TaskModel):
    """The equilibrium reasoner (``RecursaForTreeClassification``) on level-ordered tree batches."""

    kind = "recursa"

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module

    @classmethod
    def create(cls, hidden_size: int, num_labels: int, options: dict[str, Any]) -> ReasonerModel:
        from recursa.equilibrium.model import RecursaConfig, RecursaForTreeClassification

        config = RecursaConfig(hidden_size=hidden_size, num_labels=num_labels, **options)
        return cls(RecursaForTreeClassification(config))

    @property
    def value_snap(self) -> bool:
        """See ``RecursaForTreeClassification`` (the value snap)."""
        return bool(getattr(self.module.config, "snap_kinds", None)) and bool(getattr(self.module, "value_snap",
                                                                                     False))

    def set_value_snap(self, on: bool) -> None:
        if hasattr(self.module, "value_snap"):
            self.module.value_snap = on

    @property
    def node_loss(self) -> bool:
        """Whether training adds the per-node value loss (``config.node_loss_weight > 0``)."""
        return float(getattr(self.module.config, "node_loss_weight", 0.0)) > 0

    def dataset(self, examples: Sequence[Example], training: bool = False) -> Any:
        from recursa.tasks.dataset import TreeDataset

        splice_kinds = list(getattr(self.module.config, "splice_kinds", None) or [])
        return TreeDataset(examples, num_labels=self.num_labels, node_labels=training and self.node_loss,
                           splice_kinds=splice_kinds)

    def inputs(self, dataset: Any, indices: np.ndarray) -> tuple[Any, torch.Tensor]:
        batch, labels = dataset.batch(indices)
        node_labels = dataset.node_label_batch(indices)
        fold_labels = fold_factors = None
        cfg = self.module.config
        if node_labels is not None and getattr(cfg, "fold_state_classes", 0):
            from recursa.tasks import listops

            args = (batch.parent.tolist(), batch.rank.tolist(), batch.token.tolist(), node_labels.tolist())
            fold_labels = torch.tensor(listops.fold_state_labels(*args), dtype=torch.long)
            if getattr(cfg, "fold_factors", 0):
                fold_factors = torch.tensor(listops.fold_factor_labels(*args), dtype=torch.long)
        return ReasonerInputs(batch, node_labels, fold_labels, fold_factors), labels

    def to_device(self, inputs: Any, device: torch.device) -> Any:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return ReasonerInputs(inputs.batch.to(device), move(inputs.node_labels), move(inputs.fold_labels),
                              move(inputs.fold_factors))

    def forward(self, inputs: Any, labels: torch.Tensor | None, module: torch.nn.Module | None = None
                ) -> ForwardResult:
        node_labels = inputs.node_labels if labels is not None else None
        extra = {}
        if labels is not None and inputs.fold_labels is not None:  # only a chain-fold model with a fold head
            extra = {"fold_labels": inputs.fold_labels, "fold_factors": inputs.fold_factors}
        out = (module or self.module)(inputs.batch, labels=labels, node_labels=node_labels, **extra)
        stats = out.stats
        return ForwardResult(loss=out.loss, logits=out.logits, iterations=stats.iterations,
                             converged=stats.converged, abs_residual=stats.abs_residual,
                             rel_residual=stats.rel_residual)

    def backward_iterations(self) -> float | None:
        """Mean iterations of the last implicit backward solve (None for other backward modes)."""
        back = getattr(self.module, "last_backward_stats", None)
        if back is None or getattr(back, "iterations", None) is None:
            return None
        return float(back.iterations.float().mean())

    def describe(self) -> dict[str, Any]:
        cfg = self.module.config
        keys = ("hidden_size", "aggregation", "child_norm", "readout", "node_loss_weight",
                "value_consistency_weight", "splice_kinds", "snap_kinds", "solver", "max_iter", "tol", "backward")
        return {**super().describe(), **{k: getattr(cfg, k) for k in keys if hasattr(cfg, k)},
                "value_snap": self.value_snap}


class BaselineModel(TaskModel):
    """The transformer baseline (``BertForSequenceClassification``) on leaf-token sequences."""

    kind = "transformer"

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module

    @classmethod
    def create(cls, hidden_size: int, num_labels: int, num_layers: int, max_positions: int = 2048
               ) -> BaselineModel:
        from transformers import BertForSequenceClassification

        from recursa.train.baseline import bert_config

        return cls(BertForSequenceClassification(bert_config(hidden_size, num_layers, num_labels,
                                                             max_positions=max_positions)))

    @property
    def max_length(self) -> int:
        return int(self.module.config.max_position_embeddings)

    def dataset(self, examples: Sequence[Example], training: bool = False) -> Any:
        from recursa.train.baseline import SequenceDataset

        return SequenceDataset(examples, num_labels=self.num_labels)

    def inputs(self, dataset: Any, indices: np.ndarray) -> tuple[Any, torch.Tensor]:
        return dataset.batch(indices, self.max_length)

    def to_device(self, inputs: Any, device: torch.device) -> Any:
        return {k: v.to(device) for k, v in inputs.items()}

    def micro_batches(self, dataset: Any, indices: np.ndarray, pieces: int = 4) -> list[np.ndarray]:
        """Sorted by length and cut in ``pieces``: each piece is padded to its own longest sequence, which
        saves most of the padding (and the quadratic attention on it) of a batch of mixed depths."""
        if len(indices) < 2 * pieces:
            return [indices]
        order = indices[np.argsort(dataset.lengths[indices], kind="stable")]
        return [p for p in np.array_split(order, pieces) if len(p)]

    def forward(self, inputs: Any, labels: torch.Tensor | None, module: torch.nn.Module | None = None
                ) -> ForwardResult:
        out = (module or self.module)(**inputs, labels=labels)
        t = out.logits.shape[0]
        layers = int(self.module.config.num_hidden_layers)
        dev = out.logits.device
        return ForwardResult(loss=out.loss, logits=out.logits,
                             iterations=torch.full((t,), layers, dtype=torch.long, device=dev),
                             converged=torch.ones(t, dtype=torch.bool, device=dev))

    def backward_iterations(self) -> float | None:
        return None

    def describe(self) -> dict[str, Any]:
        cfg = self.module.config
        return {**super().describe(), "hidden_size": cfg.hidden_size, "layers": cfg.num_hidden_layers,
                "heads": cfg.num_attention_heads, "max_positions": cfg.max_position_embeddings}


class UniversalModel(BaselineModel):
    """The adaptive-depth baseline (:mod:`recursa.train.universal`) on the BERT baseline's leaf-token sequences."""

    kind = "universal"

    @classmethod
    def create(cls, hidden_size: int, num_labels: int, num_layers: int, max_positions: int = 2048,
               options: dict[str, Any] | None = None) -> UniversalModel:
        """``num_layers`` is the most steps the shared layer may take (0: the config's default);
        ``max_positions`` is unused (positions are sinusoidal, any length); ``options``: more
        :class:`~recursa.train.universal.UniversalConfig` keys."""
        from recursa.train.universal import UniversalConfig, UniversalTransformerForSequenceClassification

        settings: dict[str, Any] = {"num_attention_heads": max(1, hidden_size // 16),
                                    "intermediate_size": 4 * hidden_size, **(options or {})}
        if num_layers > 0:
            settings["max_steps"] = num_layers
        config = UniversalConfig(hidden_size=hidden_size, num_labels=num_labels, **settings)
        return cls(UniversalTransformerForSequenceClassification(config))

    @property
    def max_length(self) -> int:
        return 1 << 30

    def forward(self, inputs: Any, labels: torch.Tensor | None, module: torch.nn.Module | None = None
                ) -> ForwardResult:
        out = (module or self.module)(**inputs, labels=labels)
        return ForwardResult(loss=out.loss, logits=out.logits, iterations=out.iterations, converged=out.converged)

    def describe(self) -> dict[str, Any]:
        cfg = self.module.config
        return {**TaskModel.describe(self), "hidden_size": cfg.hidden_size, "max_steps": cfg.max_steps,
                "heads": cfg.num_attention_heads, "ponder_weight": cfg.ponder_weight}


def load_model(directory: str | Path, device: str | torch.device = "cpu") -> TaskModel:
    """Load a reasoner or baseline saved with ``save_pretrained`` (dispatch on ``config.json``)."""
    path = Path(directory)
    cfg_path = path / "config.json"
    if not cfg_path.is_file():
        raise ModelLoadError(f"{path}: no config.json (not a saved model)")
    try:
        model_type = json.loads(cfg_path.read_text(encoding="utf-8")).get("model_type")
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{cfg_path}: unreadable ({exc})") from None
    quiet_transformers()
    if model_type == "bert":
        from transformers import BertForSequenceClassification as cls
    elif model_type == "recursa":
        from recursa.equilibrium.model import RecursaForTreeClassification as cls  # type: ignore[assignment]
    elif model_type == "recursa-ut":
        from recursa.train.universal import (  # type: ignore[assignment]
            UniversalTransformerForSequenceClassification as cls,
        )
    else:
        raise ModelLoadError(f"{path}: unknown model type {model_type!r} (expected recursa, recursa-ut or bert)")
    for f in sorted(path.glob("*.safetensors")):
        _check_safetensors_file(f)
    try:
        module = cls.from_pretrained(str(path))
        _check_weights(path, module)
    except ModelLoadError:
        raise
    except Exception as exc:  # transformers / safetensors / torch each raise their own kinds on damaged files
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"{path}: cannot load the model ({detail})") from None
    kinds: dict[str, type[TaskModel]] = {"bert": BaselineModel, "recursa-ut": UniversalModel}
    model = kinds.get(model_type, ReasonerModel)(module)  # type: ignore[call-arg]
    model.module.to(device)
    model.module.eval()
    return model


def _check_safetensors_file(f: Path) -> None:
    """Refuse a truncated, empty or foreign ``.safetensors`` file with a message naming it.

    The format is an 8-byte little-endian header length, a JSON header mapping each tensor to its byte
    range, then the data; every range must lie inside the file.
    """
    try:
        size = f.stat().st_size
        with f.open("rb") as fh:
            head = fh.read(8)
            n = int.from_bytes(head, "little") if len(head) == 8 else -1
            if n < 2 or 8 + n > size:
                raise ModelLoadError(f"{f}: damaged weights file (not safetensors, or truncated)")
            header = json.loads(fh.read(n).decode("utf-8"))
    except OSError as exc:
        raise ModelLoadError(f"{f}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelLoadError(f"{f}: damaged weights file (unreadable header)") from None
    if not isinstance(header, dict):
        raise ModelLoadError(f"{f}: damaged weights file (unreadable header)")
    data = size - 8 - n
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and 0 <= o <= data for o in offsets) or offsets[0] > offsets[1]):
            raise ModelLoadError(f"{f}: damaged weights file (tensor {str(name)[:60]!r} lies outside the file)")


def _check_weights(path: Path, module: torch.nn.Module) -> None:
    """Refuse a model whose saved tensors do not match this version's parameters (instead of running with
    freshly initialised weights where names changed)."""
    from safetensors import safe_open

    files = sorted(path.glob("*.safetensors"))
    if not files:
        raise ModelLoadError(f"{path}: no .safetensors weights")
    saved: set[str] = set()
    for f in files:
        with safe_open(str(f), framework="pt") as fh:
            saved.update(fh.keys())
    expected = set(module.state_dict().keys())
    missing, unexpected = sorted(expected - saved), sorted(saved - expected)
    if missing or unexpected:
        detail = "; ".join(f"{what}: {', '.join(keys[:4])}{' ...' if len(keys) > 4 else ''}"
                           for what, keys in (("missing", missing), ("unexpected", unexpected)) if keys)
        raise ModelLoadError(f"{path}: the saved weights do not fit this version of the model ({detail})")
