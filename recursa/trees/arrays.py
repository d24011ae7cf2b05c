"""Per-node arrays of flat trees computed from parent pointers with numpy (no torch, so ``recursa parse``
does not pay for importing it)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def level_order(height: np.ndarray) -> np.ndarray:
    """Batch order of the nodes of pre-order trees concatenated in tree order, given their heights: batch
    position ``k`` holds node ``level_order(height)[k]``. Trees are concatenated in pre-order, so a stable sort
    by height alone gives (height, tree, pre-order). Per-node arrays of the trees (labels, masks) are put in
    batch order with it."""
    return np.argsort(height, kind="stable")


def _depth_from_parent(parent: np.ndarray) -> np.ndarray:
    """Depth of every node by pointer jumping: O(N log H) vectorised work, no recursion."""
    depth = (parent >= 0).astype(np.int64)  # distance from each node to anc[node]
    anc = parent.copy()
    live = anc >= 0
    while live.any():
        a = anc[live]
        depth[live] = depth[live] + depth[a]
        anc[live] = anc[a]
        live = anc >= 0
    return depth


def height_from_parent(parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Height (0 at leaves) by sweeping depth levels from the deepest up."""
    n = parent.shape[0]
    height = np.zeros(n, np.int64)
    if n == 0:
        return height
    order = np.argsort(depth, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(depth))]
    for d in range(len(bounds) - 2, 0, -1):
        idx = order[bounds[d]:bounds[d + 1]]
        np.maximum.at(height, parent[idx], height[idx] + 1)
    return height


def rank_from_parent(parent: np.ndarray) -> np.ndarray:
    """Position of every node among its parent's children (pre-order keeps sibling order)."""
    n = parent.shape[0]
    rank = np.zeros(n, np.int64)
    if n == 0:
        return rank
    order = np.argsort(parent, kind="stable")
    sp = parent[order]
    starts = np.r_[0, np.flatnonzero(sp[1:] != sp[:-1]) + 1]
    group_first = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank[order] = np.arange(n) - group_first
    rank[parent < 0] = 0
    return rank


def lines_and_cols(byte: np.ndarray, tree: np.ndarray, line_starts: Sequence[np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray]:
    line = np.zeros_like(byte)
    col = np.zeros_like(byte)
    if byte.shape[0] == 0:
        return line, col
    bounds = np.r_[0, np.cumsum(np.bincount(tree, minlength=len(line_starts)))]
    for t_idx, starts in enumerate(line_starts):
        lo, hi = bounds[t_idx], bounds[t_idx + 1]
        if lo == hi:
            continue
        seg = byte[lo:hi]
        ln = np.searchsorted(starts, seg, side="right") - 1
        line[lo:hi] = ln
        col[lo:hi] = seg - starts[ln]
    return line, col
