"""Accuracy vs depth and iterations vs depth, one line per model (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recursa.tasks.metrics import EvalReport


def plot_depth_curves(reports: Sequence[EvalReport], path: str | Path,
                      train_depths: Sequence[int] | None = None) -> dict[str, Any]:
    """Draw the two panels into ``path`` (PNG); returns the plotted series (what the figure shows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_acc, ax_it) = plt.subplots(1, 2, figsize=(11, 4.2))
    series: dict[str, Any] = {}
    styles = [("tab:blue", "o", "-"), ("tab:orange", "s", "--"), ("tab:green", "^", ":")]
    for i, rep in enumerate(reports):
        color, marker, ls = styles[i % len(styles)]
        depths = [r.depth for r in rep.by_depth]
        acc = [r.accuracy for r in rep.by_depth]
        it_mean = [r.iterations_mean for r in rep.by_depth]
        it_p95 = [r.iterations_p95 for r in rep.by_depth]
        label = rep.extra.get("model_kind", rep.model)
        ax_acc.plot(depths, acc, color=color, marker=marker, linestyle=ls, label=label)
        ax_it.plot(depths, it_mean, color=color, marker=marker, linestyle=ls, label=f"{label} (mean)")
        if any(p != m for p, m in zip(it_p95, it_mean)):
            ax_it.plot(depths, it_p95, color=color, linestyle=":", alpha=0.6, label=f"{label} (p95)")
        series[label] = {"depth": depths, "accuracy": acc, "iterations_mean": it_mean, "iterations_p95": it_p95}
    for ax in (ax_acc, ax_it):
        if train_depths:
            ax.axvspan(min(train_depths) - 0.5, max(train_depths) + 0.5, color="grey", alpha=0.15,
                       label="training depths")
        ax.set_xlabel("operator nesting depth")
        ax.grid(alpha=0.3)
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_ylim(0, 1.02)
    ax_acc.set_title("accuracy vs depth")
    ax_it.set_ylabel("forward iterations per tree (baseline: layers)")
    ax_it.set_title("iterations vs depth")
    ax_acc.legend(loc="lower left", fontsize=8)
    ax_it.legend(loc="upper left", fontsize=8)
    data = reports[0].data if reports else ""
    fig.suptitle(f"depth extrapolation on {data}", fontsize=10)
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
    plt.close(fig)
    return series
