"""Depth KPIs: accuracy and solver iterations by depth, Spearman(iterations, tree height), failures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def rankdata(x: Sequence[float] | np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    a = np.asarray(x, dtype=np.float64)
    n = a.shape[0]
    order = np.argsort(a, kind="mergesort")
    sorted_a = a[order]
    ranks = np.empty(n, np.float64)
    # groups of equal values get the mean of the positions they span
    starts = np.r_[0, np.flatnonzero(sorted_a[1:] != sorted_a[:-1]) + 1] if n else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], n]
    avg = (starts + ends - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float | None:
    """Spearman's rank correlation (ties averaged); None when either side is constant or n < 2."""
    xa, ya = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if xa.shape != ya.shape:
        raise ValueError("spearman: x and y differ in length")
    if xa.shape[0] < 2:
        return None
    rx, ry = rankdata(xa), rankdata(ya)
    rx -= rx.mean()
    ry -= ry.mean()
    denom = math.sqrt(float((rx * rx).sum()) * float((ry * ry).sum()))
    if denom == 0.0:
        return None
    return float((rx * ry).sum() / denom)


@dataclass(frozen=True)
class DepthStats:
    """Accuracy and iteration statistics of the examples of one depth."""

    depth: int
    n: int
    accuracy: float
    iterations_mean: float
    iterations_p50: float
    iterations_p95: float
    iterations_max: int
    convergence_failure_rate: float
    height_mean: float

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "accuracy": self.accuracy, "iterations_mean": self.iterations_mean,
                "iterations_p50": self.iterations_p50, "iterations_p95": self.iterations_p95,
                "iterations_max": self.iterations_max,
                "convergence_failure_rate": self.convergence_failure_rate, "height_mean": self.height_mean}


@dataclass(frozen=True)
class EvalReport:
    """What ``recursa eval`` prints: per-depth rows, overall accuracy, Spearman, convergence failures.

    ``iterations`` are the reasoner's forward solver iterations per tree; for the transformer baseline they
    are its (fixed) number of layers, so Spearman is undefined (None) there.
    """

    model: str
    data: str
    n: int
    accuracy: float
    by_depth: tuple[DepthStats, ...]
    spearman_iterations_height: float | None
    convergence_failure_rate: float
    iterations_mean: float
    by_language: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self, depth: int) -> DepthStats | None:
        return next((r for r in self.by_depth if r.depth == depth), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "data": self.data,
            "n": self.n,
            "accuracy": self.accuracy,
            "by_depth": {str(r.depth): r.to_json() for r in self.by_depth},
            "spearman_iterations_height": self.spearman_iterations_height,
            "convergence_failure_rate": self.convergence_failure_rate,
            "iterations_mean": self.iterations_mean,
            "accuracy_by_language": self.by_language,
            **self.extra,
        }


def summarize(model: str, data: str, depths: np.ndarray, correct: np.ndarray, iterations: np.ndarray,
              heights: np.ndarray, converged: np.ndarray, languages: Sequence[str] | None = None,
              extra: dict[str, Any] | None = None) -> EvalReport:
    """Build an :class:`EvalReport` from per-example arrays (all of length n)."""
    depths = np.asarray(depths, np.int64)
    correct = np.asarray(correct, bool)
    iterations = np.asarray(iterations, np.int64)
    heights = np.asarray(heights, np.int64)
    converged = np.asarray(converged, bool)
    n = int(depths.shape[0])
    if not (correct.shape[0] == iterations.shape[0] == heights.shape[0] == converged.shape[0] == n):
        raise ValueError("summarize: arrays differ in length")
    rows = []
    for d in sorted(set(depths.tolist())):
        m = depths == d
        it = iterations[m]
        rows.append(DepthStats(
            depth=int(d), n=int(m.sum()), accuracy=float(correct[m].mean()),
            iterations_mean=float(it.mean()), iterations_p50=float(np.percentile(it, 50)),
            iterations_p95=float(np.percentile(it, 95)), iterations_max=int(it.max()),
            convergence_failure_rate=float(1.0 - converged[m].mean()), height_mean=float(heights[m].mean())))
    by_language: dict[str, float] = {}
    if languages is not None:
        langs = np.asarray(languages)
        for lang in sorted(set(langs.tolist())):
            by_language[str(lang)] = float(correct[langs == lang].mean())
    return EvalReport(
        model=model, data=data, n=n, accuracy=float(correct.mean()) if n else 0.0, by_depth=tuple(rows),
        spearman_iterations_height=spearman(iterations, heights),
        convergence_failure_rate=float(1.0 - converged.mean()) if n else 0.0,
        iterations_mean=float(iterations.mean()) if n else 0.0, by_language=by_language,
        extra=dict(extra or {}))


def format_table(report: EvalReport) -> str:
    """The per-depth table ``recursa eval`` prints."""
    lines = [f"{report.model} on {report.data}: {report.n} examples, accuracy {report.accuracy:.4f}",
             f"{'depth':>5} {'n':>6} {'accuracy':>9} {'height':>7} {'it.mean':>8} {'it.p50':>7} "
             f"{'it.p95':>7} {'it.max':>7} {'conv.fail':>9}"]
    for r in report.by_depth:
        lines.append(f"{r.depth:>5} {r.n:>6} {r.accuracy:>9.4f} {r.height_mean:>7.1f} "
                     f"{r.iterations_mean:>8.2f} "
                     f"{r.iterations_p50:>7.1f} {r.iterations_p95:>7.1f} {r.iterations_max:>7d} "
                     f"{r.convergence_failure_rate:>9.2%}")
    sp = report.spearman_iterations_height
    lines.append(f"Spearman(iterations, tree height) = {'n/a (constant)' if sp is None else f'{sp:.4f}'}")
    lines.append(f"convergence-failure rate = {report.convergence_failure_rate:.2%}")
    if len(report.by_language) > 1:
        per = ", ".join(f"{k} {v:.4f}" for k, v in report.by_language.items())
        lines.append(f"accuracy by language: {per}")
    return "\n".join(lines)
