"""``TreeBatch``: many trees as one set of flat integer tensors, ordered level by level.

Nodes are sorted by (height, tree, pre-order position). Height is 0 at leaves, so every level ``h`` is the
contiguous slice ``level_ptr[h]:level_ptr[h+1]``: all children of a node sit in earlier levels and its
parent in a later one. A bottom-up sweep walks levels upwards, a top-down sweep downwards; both are slices.

Everything is built with vectorised numpy (no recursion, no per-node Python work), so trees nested tens of
thousands of levels deep are fine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch

from recursa.trees.arrays import (
    _depth_from_parent,
    height_from_parent,
    level_order,
    lines_and_cols,
    rank_from_parent,
)

try:
    from recursa.trees import _fastflatten as _fast
except ImportError:  # pragma: no cover - depends on how the package was built
    _fast = None

# the order in which the C assembler takes and returns node fields (parent and height first)
_FAST_FIELDS = ("parent", "height", "kind", "token", "named", "start_byte", "end_byte", "depth", "rank",
                "start_line", "start_col", "end_line", "end_col")

_NODE_FIELDS = (
    "kind",
    "token",
    "parent",
    "rank",
    "height",
    "depth",
    "tree",
    "named",
    "start_byte",
    "end_byte",
    "start_line",
    "start_col",
    "end_line",
    "end_col",
)


@dataclass
class TreeBatch:
    """A batch of trees as flat tensors over all ``N`` nodes of all ``T`` trees.

    Per node (length ``N``): ``kind`` global grammar-symbol id (see :mod:`recursa.trees.languages`),
    ``token`` leaf-text id (0 for internal and anonymous nodes, see :func:`recursa.trees.flatten.token_id`),
    ``parent`` batch index of the parent (-1 at roots), ``rank`` position among the parent's kept children,
    ``height`` (0 at leaves), ``depth`` (0 at roots), ``tree`` segment id, ``named`` (tree-sitter named
    node), byte range, and 0-based start/end line and byte column.

    Per tree (length ``T``): ``tree_root`` node index of the root, ``tree_height``, ``tree_size``.
    ``level_ptr`` (length ``max_height + 2``) delimits the levels.
    """

    kind: torch.Tensor
    token: torch.Tensor
    parent: torch.Tensor
    rank: torch.Tensor
    height: torch.Tensor
    depth: torch.Tensor
    tree: torch.Tensor
    named: torch.Tensor
    start_byte: torch.Tensor
    end_byte: torch.Tensor
    start_line: torch.Tensor
    start_col: torch.Tensor
    end_line: torch.Tensor
    end_col: torch.Tensor
    level_ptr: torch.Tensor
    tree_root: torch.Tensor
    tree_height: torch.Tensor
    tree_size: torch.Tensor

    # ---- sizes -------------------------------------------------------------------------------------
    @property
    def num_nodes(self) -> int:
        return int(self.kind.shape[0])

    @property
    def num_trees(self) -> int:
        return int(self.tree_root.shape[0])

    @property
    def max_height(self) -> int:
        return int(self.level_ptr.shape[0]) - 2

    @property
    def device(self) -> torch.device:
        return self.kind.device

    def level(self, h: int) -> slice:
        """The slice of nodes whose height is ``h``."""
        ptr = self._level_ptr_host()
        return slice(int(ptr[h]), int(ptr[h + 1]))

    def levels(self) -> list[slice]:
        """Slices of all levels, leaves first."""
        ptr = self._level_ptr_host()
        return [slice(int(ptr[h]), int(ptr[h + 1])) for h in range(len(ptr) - 1)]

    def _level_ptr_host(self) -> list[int]:
        cached = self.__dict__.get("_ptr_cache")
        if cached is None:
            cached = self.level_ptr.tolist()
            self.__dict__["_ptr_cache"] = cached
        return cached

    # ---- moving ------------------------------------------------------------------------------------
    def to(self, device: torch.device | str) -> TreeBatch:
        """A copy on ``device`` (no-op when already there)."""
        moved = {f.name: getattr(self, f.name).to(device) for f in fields(self)}
        out = TreeBatch(**moved)
        if "_ptr_cache" in self.__dict__:
            out.__dict__["_ptr_cache"] = self.__dict__["_ptr_cache"]
        return out

    def pin_memory(self) -> TreeBatch:
        return TreeBatch(**{f.name: getattr(self, f.name).pin_memory() for f in fields(self)})

    # ---- derived structure -------------------------------------------------------------------------
    def num_children(self) -> torch.Tensor:
        """Number of kept children of every node."""
        counts = torch.zeros(self.num_nodes, dtype=torch.long, device=self.device)
        has_parent = self.parent >= 0
        counts.index_add_(0, self.parent[has_parent], torch.ones_like(self.parent[has_parent]))
        return counts

    def children_of(self, node: int) -> list[int]:
        """Batch indices of ``node``'s children in rank order (for inspection and tests; O(N))."""
        idx = torch.nonzero(self.parent == node).flatten()
        return idx[torch.argsort(self.rank[idx])].tolist()

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name).tolist() for name in (*_NODE_FIELDS, "level_ptr", "tree_root")}

    # ---- construction ------------------------------------------------------------------------------
    @classmethod
    def from_preorder(
        cls,
        parent: np.ndarray,
        kind: np.ndarray,
        token: np.ndarray | None = None,
        tree: np.ndarray | None = None,
        named: np.ndarray | None = None,
        start_byte: np.ndarray | None = None,
        end_byte: np.ndarray | None = None,
        depth: np.ndarray | None = None,
        line_starts: Sequence[np.ndarray] | None = None,
        height: np.ndarray | None = None,
        rank: np.ndarray | None = None,
        lines: Sequence[np.ndarray] | None = None,
    ) -> TreeBatch:
        """Build a batch from nodes listed in pre-order (every parent before its children).

        ``parent`` holds pre-order indices (-1 at roots); children of a node must appear in their
        left-to-right order. ``tree`` (segment ids, non-decreasing) defaults to one tree per root.
        ``line_starts[t]`` are the byte offsets at which each line of tree ``t``'s source starts; with it,
        lines and columns are derived from byte offsets. ``height``, ``rank`` and ``lines`` (start line,
        start column, end line, end column) may be passed when already known.
        """
        parent = np.asarray(parent, dtype=np.int64)
        n = parent.shape[0]
        kind = np.asarray(kind, dtype=np.int64)
        token = np.zeros(n, np.int64) if token is None else np.asarray(token, dtype=np.int64)
        roots = parent < 0
        if tree is None:
            tree = np.cumsum(roots) - 1
        tree = np.asarray(tree, dtype=np.int64)
        named = np.ones(n, bool) if named is None else np.asarray(named, dtype=bool)
        start_byte = np.zeros(n, np.int64) if start_byte is None else np.asarray(start_byte, np.int64)
        end_byte = np.zeros(n, np.int64) if end_byte is None else np.asarray(end_byte, np.int64)
        if n and np.any(parent >= np.arange(n)):
            raise ValueError("parent indices must precede their children (pre-order)")
        if depth is None:
            depth = _depth_from_parent(parent)
        depth = np.asarray(depth, dtype=np.int64)
        height = height_from_parent(parent, depth) if height is None else np.asarray(height, np.int64)
        rank = rank_from_parent(parent) if rank is None else np.asarray(rank, np.int64)

        num_trees = int(tree[-1]) + 1 if n else 0
        order = level_order(height)
        inverse = np.empty(n, np.int64)
        inverse[order] = np.arange(n)
        new_parent = parent[order]
        has_parent = new_parent >= 0
        new_parent[has_parent] = inverse[new_parent[has_parent]]

        max_h = int(height.max()) if n else -1
        level_ptr = np.zeros(max_h + 2, np.int64)
        if n:
            level_ptr[1:] = np.cumsum(np.bincount(height, minlength=max_h + 1))

        root_pre = np.flatnonzero(roots)
        tree_root = inverse[root_pre]
        tree_height = height[root_pre]
        tree_size = np.bincount(tree, minlength=num_trees)

        if lines is not None:
            s_line, s_col, e_line, e_col = (np.asarray(a, np.int64) for a in lines)
        elif line_starts is not None:
            s_line, s_col = lines_and_cols(start_byte, tree, line_starts)
            e_line, e_col = lines_and_cols(end_byte, tree, line_starts)
        else:
            s_line = s_col = e_line = e_col = np.zeros(n, np.int64)

        def t(a: np.ndarray, dtype: torch.dtype = torch.long) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a)).to(dtype)

        return cls(
            kind=t(kind[order]),
            token=t(token[order]),
            parent=t(new_parent),
            rank=t(rank[order]),
            height=t(height[order]),
            depth=t(depth[order]),
            tree=t(tree[order]),
            named=t(named[order], torch.bool),
            start_byte=t(start_byte[order]),
            end_byte=t(end_byte[order]),
            start_line=t(s_line[order]),
            start_col=t(s_col[order]),
            end_line=t(e_line[order]),
            end_col=t(e_col[order]),
            level_ptr=t(level_ptr),
            tree_root=t(tree_root),
            tree_height=t(tree_height),
            tree_size=t(tree_size),
        )

    @classmethod
    def from_trees(cls, trees: Sequence[Any]) -> TreeBatch:
        """One batch from :class:`recursa.trees.flatten.FlatTree` objects, in order (tree ``i`` = ``trees[i]``)."""
        if not trees:
            return cls.from_preorder(np.zeros(0, np.int64), np.zeros(0, np.int64))
        if _fast is not None:
            return cls._from_trees_fast(trees)
        sizes = np.array([t.num_nodes for t in trees], np.int64)
        offsets = np.r_[0, np.cumsum(sizes)[:-1]]
        parent = np.concatenate([t.parent for t in trees]).astype(np.int64)
        parent = np.where(parent >= 0, parent + np.repeat(offsets, sizes), -1)
        return cls.from_preorder(
            parent,
            np.concatenate([t.kind for t in trees]),
            token=np.concatenate([t.token for t in trees]),
            tree=np.repeat(np.arange(len(trees), dtype=np.int64), sizes),
            named=np.concatenate([t.named for t in trees]),
            start_byte=np.concatenate([t.start_byte for t in trees]),
            end_byte=np.concatenate([t.end_byte for t in trees]),
            depth=np.concatenate([t.depth for t in trees]),
            height=np.concatenate([t.height for t in trees]),
            rank=np.concatenate([t.rank for t in trees]),
            lines=[np.concatenate([t.lines[j] for t in trees]) for j in range(4)],
        )

    @classmethod
    def _from_trees_fast(cls, trees: Sequence[Any]) -> TreeBatch:
        """``from_trees`` through the C extension: one counting-sort pass writes every field in level order."""
        def i64(a: np.ndarray) -> np.ndarray:
            return a if a.dtype == np.int64 and a.flags.c_contiguous else np.ascontiguousarray(a, np.int64)

        per_field = [
            [i64(t.parent) for t in trees],
            [i64(t.height) for t in trees],
            *([i64(getattr(t, name)) for t in trees] for name in _FAST_FIELDS[2:9]),
            *([i64(t.lines[j]) for t in trees] for j in range(4)),
        ]
        n = sum(t.num_nodes for t in trees)
        outputs = [np.empty(n, np.int64) for _ in per_field]
        tree_ids = np.empty(n, np.int64)
        counts = np.zeros(max(int(t.height[0]) for t in trees if t.num_nodes) + 1, np.int64)
        _fast.assemble(per_field, outputs, tree_ids, counts)
        cols = dict(zip(_FAST_FIELDS, outputs))
        level_ptr = np.zeros(len(counts) + 1, np.int64)
        level_ptr[1:] = np.cumsum(counts)
        roots = np.flatnonzero(cols["parent"] < 0)  # one root per tree, in tree order within each level
        roots = roots[np.argsort(tree_ids[roots], kind="stable")]
        t = torch.from_numpy
        return cls(
            **{name: t(cols[name]) for name in _FAST_FIELDS if name != "named"},
            named=t(cols["named"]).bool(),
            tree=t(tree_ids),
            level_ptr=t(level_ptr),
            tree_root=t(roots),
            tree_height=t(cols["height"][roots]),
            tree_size=torch.tensor([tr.num_nodes for tr in trees], dtype=torch.long),
        )

    @classmethod
    def from_parent_lists(cls, parents: Sequence[Sequence[int]], kinds: Sequence[Sequence[int]] | None = None,
                          tokens: Sequence[Sequence[int]] | None = None) -> TreeBatch:
        """Build a batch from per-tree pre-order parent lists (local indices, -1 at the root).

        Handy for synthetic trees and tests: ``from_parent_lists([[-1, 0, 0], [-1]])``.
        """
        offs = 0
        par, kin, tok, tre = [], [], [], []
        for t_idx, p in enumerate(parents):
            p = np.asarray(p, np.int64)
            par.append(np.where(p >= 0, p + offs, -1))
            kin.append(np.asarray(kinds[t_idx], np.int64) if kinds is not None else np.ones(len(p), np.int64))
            tok.append(np.asarray(tokens[t_idx], np.int64) if tokens is not None else np.zeros(len(p), np.int64))
            tre.append(np.full(len(p), t_idx, np.int64))
            offs += len(p)
        cat = np.concatenate if parents else (lambda _: np.zeros(0, np.int64))
        return cls.from_preorder(cat(par), cat(kin), token=cat(tok), tree=cat(tre))
