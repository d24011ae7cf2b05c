"""Node-level labels: the value of every sub-expression of a parsed ListOps or arithmetic example.

A generated example knows the value of each of its sub-expressions, and so does any ListOps / arithmetic
source once parsed: these labels are computed from the tree itself, bottom-up over the pre-order arrays (no
recursion), for whatever data train reads (generated, JSONL or TSV). The reasoner is trained to read the
value of *every* operator node from its equilibrium state, not only the root's: the one weight-tied block
then has to compute each operator from its children's values, which is exactly what lets it keep working on
nestings deeper than it was trained on.

Labelled nodes: digits / integer literals (their value mod 10), ListOps operator nodes (Python ``call``,
s-expression ``list_lit``), arithmetic operator nodes (binary, unary, parenthesised). Every other node gets
``IGNORE`` (-100). A node whose operator is unknown, or one of whose arguments has no value, gets ``IGNORE``
too, and so does everything above it.
"""

from __future__ import annotations

import numpy as np

from recursa.tasks import arith, listops
from recursa.trees.flatten import FlatTree
from recursa.trees.languages import get_language

IGNORE = -100

# role of a node kind, per language
_ROLES: dict[str, dict[str, str]] = {
    "python": {"integer": "number", "call": "listops_call", "binary_operator": "binary",
               "unary_operator": "unary", "parenthesized_expression": "paren"},
    "smtlib": {"num_lit": "number", "list_lit": "listops_list"},
    "c": {"number_literal": "number", "binary_expression": "binary", "unary_expression": "unary",
          "parenthesized_expression": "paren"},
}
_role_tables: dict[str, dict[int, str]] = {}


def value_kinds() -> list[str]:
    """``language:kind`` names of the nodes that carry a value (the reasoner's ``snap_kinds`` for these tasks)."""
    return [f"{language}:{kind}" for language, roles in _ROLES.items() for kind in roles]


def _roles(language: str) -> dict[int, str]:
    table = _role_tables.get(language)
    if table is None:
        lang = get_language(language)
        table = {k: role for name, role in _ROLES.get(language, {}).items() for k in lang.global_kind_ids(name)}
        _role_tables[language] = table
    return table


def node_values(tree: FlatTree, source: bytes | str) -> np.ndarray:
    """Per-node values (``int16``, ``IGNORE`` where a node has none) of ``tree`` parsed from ``source``."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    n = tree.num_nodes
    out = np.full(n, IGNORE, np.int16)
    roles = _roles(tree.language)
    if n == 0 or not roles:
        return out
    parent = tree.parent
    kids: list[list[int]] = [[] for _ in range(n)]
    for i in range(1, n):
        p = int(parent[i])
        if p >= 0:
            kids[p].append(i)
    start, end, kind = tree.start_byte, tree.end_byte, tree.kind

    def text(i: int) -> str:
        return data[int(start[i]):int(end[i])].decode("utf-8", "replace")

    def value(i: int) -> int | None:
        v = int(out[i])
        return None if v == IGNORE else v

    for i in range(n - 1, -1, -1):  # reverse pre-order: children before their parent
        role = roles.get(int(kind[i]))
        if role is None:
            continue
        v: int | None = None
        if role == "number":
            t = text(i).strip()
            if t.lstrip("-").isdigit():
                v = int(t) % 10
        elif role == "listops_call":
            v = _listops_apply(text(kids[i][0]) if kids[i] else "",
                               [value(a) for k in kids[i][1:] for a in kids[k]])
        elif role == "listops_list":
            v = _listops_apply(text(kids[i][0]) if kids[i] else "", [value(k) for k in kids[i][1:]])
        else:
            v = _arith_node(role, [value(k) for k in kids[i]], [text(k).strip() for k in kids[i]])
        if v is not None:
            out[i] = v
    return out


def _listops_apply(name: str, args: list[int | None]) -> int | None:
    op = name.strip().upper()
    if op not in listops.ALL_OPS or not args or any(a is None for a in args):
        return None
    return listops.apply_op(op, [int(a) for a in args if a is not None])


def _arith_node(role: str, values: list[int | None], texts: list[str]) -> int | None:
    operands = [v for v in values if v is not None]
    if any(v is None and t not in ("+", "-", "*") for v, t in zip(values, texts)):
        return None
    if role == "paren":
        return operands[0] if len(operands) == 1 else None
    if role == "unary":
        if len(operands) != 1 or len(texts) != 2:
            return None
        return (-operands[0]) % 10 if texts[0] == "-" else operands[0] if texts[0] == "+" else None
    ops = [t for v, t in zip(values, texts) if v is None]
    if len(operands) != 2 or len(ops) != 1 or ops[0] not in arith.OPS:
        return None
    return arith.apply_op(ops[0], operands[0], operands[1])
