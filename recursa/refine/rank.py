"""Ranking candidate invariants: the :class:`Ranker` protocol, the unguided baseline, model loading.

A ranker sees one loop (its tree-sitter subtree, the function around it) and the candidates generated for
its head, and returns one score per candidate (higher = try earlier). The refinement loop only uses the
order; soundness never depends on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from recursa.paths import PACKAGE_DIR
from recursa.refine.candidates import Candidate
from recursa.symbolic.ir import Function, Loop
from recursa.trees.flatten import FlatTree

INVARIANT_MODEL_DIR = PACKAGE_DIR / "models" / "invariants"


@dataclass
class LoopContext:
    """Everything a ranker may condition on for one loop head."""

    function: Function
    loop: Loop
    source: bytes
    language: str
    variables: list[str]
    constants: list[int]
    file_tree: FlatTree | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def tree(self) -> FlatTree:
        """The function's subtree (tree-sitter, punctuation dropped), cut out of the file's tree; the loop is
        the node spanning ``loop_span`` inside it."""
        from recursa.trees.flatten import parse

        ft = self.file_tree if self.file_tree is not None else parse(self.source, self.language,
                                                                     drop_punctuation=True)
        return subtree(ft, self.function.start_byte, self.function.end_byte)

    @property
    def loop_span(self) -> tuple[int, int]:
        return self.loop.start_byte, self.loop.end_byte


def subtree(ft: FlatTree, start_byte: int, end_byte: int) -> FlatTree:
    """The pre-order slice of ``ft`` rooted at the outermost node spanning exactly [start_byte, end_byte)."""
    hits = np.flatnonzero((ft.start_byte == start_byte) & (ft.end_byte == end_byte))
    if hits.size == 0:
        # no single node (e.g. a Python module's top-level statements): the smallest node around the span
        around = np.flatnonzero((ft.start_byte <= start_byte) & (ft.end_byte >= end_byte))
        if around.size == 0:
            raise ValueError(f"no node spans bytes {start_byte}..{end_byte}")
        root = int(around[-1])
    else:
        root = int(hits[0])
    d = ft.depth[root]
    after = np.flatnonzero(ft.depth[root + 1:] <= d)
    stop = root + 1 + int(after[0]) if after.size else ft.num_nodes
    sl = slice(root, stop)
    parent = ft.parent[sl] - root
    parent[0] = -1
    return FlatTree(ft.language, parent, ft.kind[sl].copy(), ft.token[sl].copy(), ft.named[sl].copy(),
                    ft.start_byte[sl].copy(), ft.end_byte[sl].copy(), ft.depth[sl] - d, ft.line_starts, [])


class Ranker(Protocol):
    """Scores candidates for one loop head; higher scores are tried first."""

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
