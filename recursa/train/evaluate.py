"""Run a model over a prepared dataset and summarise accuracy and iterations by depth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from recursa.tasks.metrics import EvalReport, summarize
from recursa.train.models import TaskModel


@dataclass
class Predictions:
    """Per-example outputs, in dataset order."""

    predicted: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def _size_of(dataset: Any) -> np.ndarray:
    if hasattr(dataset, "trees"):
        return np.array([t.num_nodes for t in dataset.trees], np.int64)
    return np.asarray(dataset.lengths, np.int64)


def batches_by_size(dataset: Any, max_items: int, max_batch: int) -> list[np.ndarray]:
    """Index groups of similar size (sorted by height, then size), each under ``max_items`` nodes/tokens."""
    sizes = _size_of(dataset)
    order = np.lexsort((sizes, dataset.heights))
    out: list[np.ndarray] = []
    cur: list[int] = []
    budget = 0
    for i in order.tolist():
        s = int(sizes[i])
        if cur and (budget + s > max_items or len(cur) >= max_batch):
            out.append(np.array(cur, np.int64))
            cur, budget = [], 0
        cur.append(i)
        budget += s
    if cur:
        out.append(np.array(cur, np.int64))
    return out


@torch.no_grad()
def predict(model: TaskModel, dataset: Any, device: torch.device | str = "cpu", max_items: int = 16384,
            max_batch: int = 256, progress: Callable[[int], None] | None = None) -> Predictions:
    """Predictions, iteration counts and convergence flags for every example of ``dataset``."""
    n = len(dataset)
    pred = np.zeros(n, np.int64)
    iters = np.zeros(n, np.int64)
    conv = np.zeros(n, bool)
    was_training = model.module.training
    model.module.eval()
    dev = torch.device(device)
    use_bf16 = dev.type == "cuda"
    try:
        for idx in batches_by_size(dataset, max_items, max_batch):
            inputs, _ = model.inputs(dataset, idx)
            inputs = model.to_device(inputs, dev)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use_bf16):
                out = model.forward(inputs, None)
            pred[idx] = out.logits.float().argmax(-1).cpu().numpy()
            iters[idx] = out.iterations.cpu().numpy()
            conv[idx] = out.converged.cpu().numpy()
            if progress is not None:
                progress(len(idx))
    finally:
        model.module.train(was_training)
    return Predictions(pred, iters, conv)


def evaluate_dataset(model: TaskModel, dataset: Any, name: str, data: str, device: torch.device | str = "cpu",
                     progress: Callable[[int], None] | None = None, extra: dict[str, Any] | None = None
                     ) -> EvalReport:
    """An :class:`EvalReport` of ``model`` on ``dataset``."""
    p = predict(model, dataset, device, progress=progress)
    return summarize(name, data, dataset.depths, p.predicted == dataset.labels, p.iterations, dataset.heights,
                     p.converged, dataset.languages, extra)
