"""Operator nesting depth, the one definition of "depth" used by every task, reader and metric.

The depth of an expression is the largest number of *operator nodes* on any root-to-leaf path of its
tree-sitter tree: a lone digit is 0, ``[MAX 1 2 ]`` / ``max(1, 2)`` / ``1 + 2`` are 1, ``max(1, min(2, 3))``
is 2. Operator nodes are applications: calls, binary, unary, boolean and comparison operators, conditional
expressions, s-expression lists.

The tree the reasoner sees is taller (``call -> argument_list -> call`` is two levels per operator, and
the module / statement wrappers add a few); that *tree height* is what iteration counts are compared with.
"""

from __future__ import annotations

import numpy as np

from recursa.trees.flatten import FlatTree
from recursa.trees.languages import get_language

OPERATOR_KINDS: dict[str, tuple[str, ...]] = {
    "python": ("call", "binary_operator", "unary_operator", "boolean_operator", "comparison_operator",
               "not_operator", "conditional_expression"),
    "c": ("call_expression", "binary_expression", "unary_expression"),
    "smtlib": ("list_lit",),
}

_cache: dict[str, np.ndarray] = {}


def _operator_mask(language: str) -> np.ndarray:
    """Boolean table over global kind ids: True for ``language``'s operator kinds."""
    mask = _cache.get(language)
    if mask is None:
        lang = get_language(language)
        ids = lang.global_kind_ids(*OPERATOR_KINDS.get(language, ()))
        mask = np.zeros(1 + lang.offset + lang.kind_count, bool)
        mask[ids] = True
        _cache[language] = mask
    return mask


def operator_depth(tree: FlatTree) -> int:
    """Operator nesting depth of a parsed expression (see the module docstring)."""
    if tree.num_nodes == 0:
        return 0
    mask = _operator_mask(tree.language)
    is_op = mask[np.minimum(tree.kind, mask.shape[0] - 1)] & (tree.kind < mask.shape[0])
    count = is_op.astype(np.int64)
    # pre-order arrays: walk depth levels top-down, adding each parent's count (no recursion)
    order = np.argsort(tree.depth, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(tree.depth))]
    for d in range(1, len(bounds) - 1):
        idx = order[bounds[d]:bounds[d + 1]]
        count[idx] += count[tree.parent[idx]]
    return int(count.max())
