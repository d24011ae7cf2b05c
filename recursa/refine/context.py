"""What a ranker may condition on for one loop head (:class:`LoopContext`), and cutting a function's subtree.

Kept apart from :mod:`recursa.refine.rank` so that rankers (the neural one in :mod:`recursa.refine.neural`)
import the context without importing the module that loads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from recursa.refine.candidates import Atom, Candidate
from recursa.symbolic.ir import Function, Loop
from recursa.trees.flatten import FlatTree


@dataclass
class SharedEncoding:
    """A ranker's encoding of one function's tree, computed once for all of the function's loops (their
    contexts cut the same subtree out of the file)."""

    value: Any = None


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
    #: the guard atoms of the function's conditions, set by the refinement loop (rankers condition on them)
    guards: list[Atom] = field(default_factory=list)
    #: a ranker's scores of candidates already seen at this head (a candidate is scored once per head)
    score_cache: dict[Candidate, float] = field(default_factory=dict)
    #: a ranker's encoding of :attr:`tree`, shared by the contexts of all loops of one function (see
    #: :attr:`encoding`); pass one :class:`SharedEncoding` to every loop of a function
    shared: SharedEncoding = field(default_factory=lambda: SharedEncoding())
    #: the ranker's input and fixed point after its last re-scoring with counterexamples (a warm start)
    rescore_state: Any = None

    @property
    def encoding(self) -> Any:
        """The ranker's encoding of the function's tree (e.g. the reasoner's batch and fixed point), or None."""
        return self.shared.value

    @encoding.setter
    def encoding(self, value: Any) -> None:
        self.shared.value = value

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
