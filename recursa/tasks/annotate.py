"""Node-level labels: the value of every sub-expression of a parsed ListOps, arithmetic or logic example.

A generated example knows the value of each of its sub-expressions, and so does any ListOps / arithmetic /
logic source once parsed: these labels are computed from the tree itself, bottom-up over the pre-order arrays
(no recursion), for whatever data train reads (generated, JSONL or TSV). The reasoner is trained to read the
value of *every* operator node from its equilibrium state, not only the root's: the one weight-tied block
then has to compute each operator from its children's values, which is exactly what lets it keep working on
nestings deeper than it was trained on.

Labelled nodes: digits / integer literals (their value mod 10), ListOps operator nodes (Python ``call``,
s-expression ``list_lit``), arithmetic operator nodes (binary, unary, parenthesised), and logic nodes
(truth values 0 / 1: ``True`` / ``False`` and SMT-LIB ``true`` / ``false``; Python ``and`` / ``or`` /
``not``, comparisons and ``a if c else b``; SMT-LIB ``and``, ``or``, ``not``, ``xor``, ``=>``, ``ite``,
``<``, ``<=``, ``>``, ``>=``, ``=``, ``distinct``). Python nodes follow Python's semantics (``3 and 5`` is 5,
``True <= False`` is 0), SMT-LIB nodes SMT-LIB's (sorts checked: ``(and 3 true)`` has no value). A comparison
has a value only when its operands are exact (digits 0-9 or truth values, not arithmetic taken mod 10).
Every other node gets ``IGNORE`` (-100). A node whose operator is unknown, or one of whose arguments has no
value, gets ``IGNORE`` too, and so does everything above it.
"""

from __future__ import annotations

import numpy as np

from recursa.tasks import arith, listops, logic
from recursa.trees.flatten import FlatTree
from recursa.trees.languages import get_language

IGNORE = -100

# role of a node kind, per language
_ROLES: dict[str, dict[str, str]] = {
    "python": {"integer": "number", "call": "listops_call", "binary_operator": "binary",
               "unary_operator": "unary", "parenthesized_expression": "paren", "true": "bool_literal",
               "false": "bool_literal", "boolean_operator": "py_bool_op", "not_operator": "py_not",
               "comparison_operator": "py_compare", "conditional_expression": "py_ite"},
    "smtlib": {"num_lit": "number", "list_lit": "list", "sym_lit": "symbol"},
    "c": {"number_literal": "number", "binary_expression": "binary", "unary_expression": "unary",
          "parenthesized_expression": "paren"},
}
_role_tables: dict[str, dict[int, str]] = {}
#: Kinds labelled only for some of their nodes and never snapped: an s-expression symbol is a value
#: (``true``) or an operator's name (``and``, ``MAX``), whose state must keep saying which operator it is.
_NOT_SNAPPED = {"smtlib:sym_lit"}
_PY_COMPARE = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
               ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}

# sort of a node's value: an exact number (0-9), a number known mod 10 only, a truth value
_EXACT, _MOD10, _BOOL = 1, 2, 3


def value_kinds() -> list[str]:
    """``language:kind`` names of the nodes that carry a value and may be snapped: the reasoner's
    ``snap_kinds`` for these tasks (ListOps, arithmetic, logic). ``smtlib:sym_lit`` is labelled where it is
    ``true`` / ``false`` but not listed (see ``_NOT_SNAPPED``)."""
    return [name for language, roles in _ROLES.items() for kind in roles
            if (name := f"{language}:{kind}") not in _NOT_SNAPPED]


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
    sort = np.zeros(n, np.int8)

    def text(i: int) -> str:
        return data[int(start[i]):int(end[i])].decode("utf-8", "replace")

    def value(i: int) -> int | None:
        v = int(out[i])
        return None if v == IGNORE else v

    for i in range(n - 1, -1, -1):  # reverse pre-order: children before their parent
        role = roles.get(int(kind[i]))
        if role is None:
            continue
        got: tuple[int, int] | None = None
        if role == "number":
            t = text(i).strip()
            if t.lstrip("-").isdigit():
                got = int(t) % 10, _EXACT if 0 <= int(t) <= 9 else _MOD10
        elif role == "bool_literal":
            got = int(text(i).strip() == "True"), _BOOL
        elif role == "symbol":
            t = text(i).strip()
            got = (int(t == "true"), _BOOL) if t in ("true", "false") else None
        elif role == "listops_call":
            v = _listops_apply(text(kids[i][0]) if kids[i] else "",
                               [value(a) for k in kids[i][1:] for a in kids[k]])
            got = None if v is None else (v, _EXACT)
        elif role == "list":
            got = _list_node(text(kids[i][0]) if kids[i] else "",
                             [(value(k), int(sort[k])) for k in kids[i][1:]])
        elif role.startswith("py_"):
            got = _python_logic(role, [(value(k), int(sort[k])) for k in kids[i]], [text(k).strip() for k in kids[i]])
        elif role == "paren":
            vals = [value(k) for k in kids[i]]
            got = (vals[0], int(sort[kids[i][0]])) if len(vals) == 1 and vals[0] is not None else None
        else:
            v = _arith_node(role, [value(k) for k in kids[i]], [text(k).strip() for k in kids[i]])
            got = None if v is None else (v, _MOD10)
        if got is not None:
            out[i], sort[i] = got
    return out


def _list_node(name: str, args: list[tuple[int | None, int]]) -> tuple[int, int] | None:
    """An s-expression operator: ListOps (over numbers) or SMT-LIB logic (sorts checked)."""
    if any(v is None for v, _ in args):
        return None
    op = name.strip()
    if op.upper() in listops.ALL_OPS:
        if any(s == _BOOL for _, s in args):
            return None
        v = _listops_apply(op, [v for v, _ in args])
        return None if v is None else (v, _EXACT)
    if op not in logic.SMTLIB_OPS:
        return None
    if any(s == _MOD10 for _, s in args):
        return None
    try:
        sort_name, v = logic.smtlib_apply(op, [("bool" if s == _BOOL else "int", int(v or 0)) for v, s in args])
    except ValueError:
        return None
    return v, _BOOL if sort_name == "bool" else _EXACT


def _python_logic(role: str, operands: list[tuple[int | None, int]], texts: list[str]) -> tuple[int, int] | None:
    """Python's ``and`` / ``or`` / ``not``, comparisons and conditional expressions."""
    vals = [(v, s) for v, s in operands if s]  # value-carrying children (keyword / operator tokens have sort 0)
    words = [t for (v, s), t in zip(operands, texts) if not s and v is None]
    if role == "py_not":
        return (1 - int(bool(vals[0][0])), _BOOL) if len(vals) == 1 and words == ["not"] else None
    if role == "py_bool_op":
        if len(vals) != 2 or words not in (["and"], ["or"]):
            return None
        a, b = vals
        truthy = bool(a[0])
        picked = (b if truthy else a) if words == ["and"] else (a if truthy else b)
        return (int(picked[0] or 0), picked[1])
    if role == "py_ite":
        if len(vals) != 3 or words != ["if", "else"]:
            return None
        a, c, b = vals
        picked = a if c[0] else b
        return (int(picked[0] or 0), picked[1])
    # comparison: a op b [op c ...], operands exact (digits or truth values)
    if len(vals) != len(words) + 1 or any(s == _MOD10 for _, s in vals) or any(w not in _PY_COMPARE for w in words):
        return None
    nums = [int(v or 0) for v, _ in vals]
    return int(all(_PY_COMPARE[w](a, b) for w, a, b in zip(words, nums, nums[1:]))), _BOOL


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
