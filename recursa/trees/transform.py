"""Tree surgery on :class:`FlatTree` s: splicing out wrapper nodes.

``splice(tree, kinds)`` removes every non-root node whose kind is in ``kinds`` and hands its children, in
order, to its parent. The reasoner uses it for syntactic plumbing that separates an operator from its operands:
in Python ``max(3, sm(7, 8))`` the ``call`` node has two children, the name ``max`` and an ``argument_list``
holding the operands; with ``argument_list`` spliced out the call sees ``max``, ``3`` and ``sm(7, 8)`` side by
side, as the s-expression ``(MAX 3 (SM 7 8))`` does. Vectorised (pointer jumping), no recursion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recursa.trees.arrays import _depth_from_parent
from recursa.trees.flatten import FlatTree


def splice(tree: FlatTree, kinds: Sequence[int] | np.ndarray) -> tuple[FlatTree, np.ndarray]:
    """``tree`` without the non-root nodes whose global kind is in ``kinds`` (e.g.
    ``get_language("python").global_kind_ids("argument_list")``), and the kept-node mask."""
    n = tree.num_nodes
    keep = ~np.isin(tree.kind, kinds)
    if n:
        keep[tree.parent < 0] = True
    if keep.all():
        return tree, keep
    parent = tree.parent.astype(np.int64)
    anc = parent.copy()
    while True:  # climb past removed ancestors; one round per run of consecutive removed nodes
        has = anc >= 0
        removed = np.zeros(n, bool)
        removed[has] = ~keep[anc[has]]
        if not removed.any():
            break
        anc[removed] = parent[anc[removed]]
    new_index = np.cumsum(keep) - 1
    kept_anc = anc[keep]
    new_parent = np.where(kept_anc >= 0, new_index[np.maximum(kept_anc, 0)], -1)
    lines = None if tree.lines is None else tuple(a[keep] for a in tree.lines)
    out = FlatTree(tree.language, new_parent.astype(tree.parent.dtype), tree.kind[keep], tree.token[keep],
                   tree.named[keep], tree.start_byte[keep], tree.end_byte[keep],
                   _depth_from_parent(new_parent).astype(tree.depth.dtype), tree.line_starts, tree.errors,
                   lines=lines)  # type: ignore[arg-type]
    return out, keep
