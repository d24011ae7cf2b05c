"""Ranking candidate invariants: the :class:`Ranker` protocol, the unguided baseline, model loading.

A ranker sees one loop (its tree-sitter subtree, the function around it) and the candidates generated for
its head, and returns one score per candidate (higher = try earlier). The refinement loop only uses the
order; soundness never depends on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from recursa.paths import INVARIANT_MODEL_DIR
from recursa.refine.candidates import Candidate
from recursa.refine.context import LoopContext

__all__ = ["INVARIANT_MODEL_DIR", "Ranker", "UnguidedRanker", "load_ranker", "rank"]


class Ranker(Protocol):
    """Scores candidates for one loop head; higher scores are tried first.

    A ranker may also have ``rescore(context, candidates, examples) -> scores``: scores given the
    counterexample states (variable -> value) seen at the head so far; the refinement loop calls it when
    ``Budget.rescore`` is on."""

    name: str

    def scores(self, context: LoopContext, candidates: Sequence[Candidate]) -> np.ndarray: ...


class UnguidedRanker:
    """The baseline: the grammar's own enumeration order."""

    name = "unguided"

    def scores(self, context: LoopContext, candidates: Sequence[Candidate]) -> np.ndarray:
        return -np.arange(len(candidates), dtype=np.float64)


def rank(ranker: Ranker, context: LoopContext, candidates: Sequence[Candidate]) -> list[int]:
    """Indices of ``candidates`` from best to worst (stable: ties keep grammar order)."""
    if not candidates:
        return []
    s = np.asarray(ranker.scores(context, candidates), dtype=np.float64)
    if s.shape != (len(candidates),):
        raise ValueError(f"ranker {ranker.name} returned {s.shape} scores for {len(candidates)} candidates")
    return [int(i) for i in np.argsort(-s, kind="stable")]


def load_ranker(name: str | Path | None = "default") -> Ranker:
    """``unguided``, ``default`` (the shipped model, falling back to unguided when absent), or a model dir.

    The neural ranker needs torch; it is imported only here.
    """
    if name in (None, "unguided", "none"):
        return UnguidedRanker()
    path = INVARIANT_MODEL_DIR if name == "default" else Path(name)
    if not (path / "config.json").is_file():
        if name == "default":
            return UnguidedRanker()
        raise FileNotFoundError(f"no invariant ranking model in {path} (expected config.json)")
    from recursa.refine.neural import ReasonerRanker

    return ReasonerRanker.from_pretrained(path)
