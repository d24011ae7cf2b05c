"""Propositional logic: closed formulas over ``true`` / ``false`` and comparisons of digits, exact depth control.

Operators: ``and``, ``or``, ``xor``, ``=>`` (implication), all binary; ``not``; ``ite`` (if-then-else on
booleans); and the comparisons ``<``, ``<=``, ``=`` between two digits. The label is the formula's truth
value: 1 true, 0 false. Depth is the operator nesting depth, comparisons included: ``true`` is 0,
``(< 3 7)`` is 1, ``(not (< 3 7))`` 2.

Exact depth control as in :mod:`recursa.tasks.listops`: a depth-``K`` formula is built around a *spine* of
``K`` operators from the root down to a depth-1 formula (a comparison, or an operator over ``true`` /
``false``). At every level the siblings of the spine child are chosen so the parent is *fully sensitive* to
it: flipping the spine child flips the parent (``not`` and ``xor`` always are; ``and`` needs a true
sibling, ``or`` a false one; ``(=> a b)`` a true ``a`` when ``b`` is on the spine and a false ``b`` when
``a`` is; ``ite`` two different branches when the condition is on the spine, and a condition selecting the
spine branch otherwise). No depth-``K`` formula can be answered without all ``K`` levels. Since flipping the
bottom flips the root, labels are drawn balanced: half of the formulas of every depth are true.

Two surface syntaxes render the same formula, one tree-sitter node per operator in both:

* ``smtlib`` (SMT-LIB 2, parsed with the smtlib grammar):
  ``(and (< 3 7) (not (xor true (= 2 2))))``, ``(=> a b)``, ``(ite c a b)``;
* ``python``: ``(3 < 7) and (not (True != (2 == 2)))``. ``xor`` is ``!=`` between booleans, ``ite`` is
  ``a if c else b``, ``=`` is ``==``, and implication ``(=> a b)`` is ``a <= b``: on Python's booleans
  (``False < True``) ``a <= b`` is exactly ``not a or b``, and unlike ``(not a) or b`` it is one operator node,
  as in the SMT-LIB form. Every operand that is not a literal is parenthesised, so comparisons never chain.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from recursa.tasks.render import render_iteratively

BOOL_OPS = ("and", "or", "not", "xor", "=>", "ite")
COMPARISONS = ("<", "<=", "=")
GENERATED_OPS = BOOL_OPS + COMPARISONS
SYNTAXES = ("smtlib", "python")
_ARITY = {"and": 2, "or": 2, "xor": 2, "=>": 2, "not": 1, "ite": 3}
_PY_BINARY = {"and": "and", "or": "or", "xor": "!=", "=>": "<=", "<": "<", "<=": "<=", "=": "=="}


def apply_op(op: str, args: Sequence[int]) -> int:
    """Truth value (0/1) of a generated operator ``op`` on ``args`` (0/1 for the boolean operators, digits for
    comparisons): :func:`smtlib_apply` with the generator's fixed arities."""
    if op not in GENERATED_OPS:
        raise ValueError(f"unknown logic operator {op!r}")
    arity = _ARITY.get(op, 2)
    if len(args) != arity:
        raise ValueError(f"{op} takes {arity} argument(s), got {len(args)}")
    typed = [("int", int(a)) for a in args] if op in COMPARISONS else [("bool", int(bool(a))) for a in args]
    return smtlib_apply(op, typed)[1]


@dataclass
class Formula:
    """An operator node of a generated formula. Arguments: formulas or ``bool`` literals (boolean operators),
    digits (comparisons)."""

    op: str
    args: list[Formula | bool | int]
    value: int = 0
    depth: int = 1
    spine: int = -1  # index of the argument on the sensitive spine (-1 at the depth-1 bottom)


def value_of(node: Formula | bool | int) -> int:
    """Truth value (0/1) of a formula or literal (a digit's own value for comparison arguments)."""
    return node.value if isinstance(node, Formula) else int(node)


def _recompute(node: Formula) -> None:
    node.value = apply_op(node.op, [value_of(a) for a in node.args])


class LogicGenerator:
    """Random closed formulas of an exact depth with balanced labels (see the module docstring).

    ``leaf_prob``: chance that a sibling of the spine is a literal ``true`` / ``false``; other siblings are
    formulas of depth 1..``sibling_depth`` (never deeper than the spine child beside them).
    ``comparison_prob``: chance that a depth-1 formula is a comparison of digits rather than a boolean operator
    over literals.
    """

    def __init__(self, ops: Sequence[str] = BOOL_OPS, leaf_prob: float = 0.5, sibling_depth: int = 3,
                 comparison_prob: float = 0.5) -> None:
        unknown = set(ops) - set(BOOL_OPS)
        if unknown or not ops:
            raise ValueError(f"cannot generate operators {sorted(unknown)} (choose from {BOOL_OPS})")
        self.ops = tuple(ops)
        self.leaf_prob = leaf_prob
        self.sibling_depth = sibling_depth
        self.comparison_prob = comparison_prob

    def expression(self, rng: random.Random, depth: int, value: int | None = None) -> Formula | bool:
        """A formula of operator depth exactly ``depth`` (a literal for 0) whose truth value is ``value``
        (drawn 50/50 when ``None``)."""
        if depth < 0:
            raise ValueError("depth must be >= 0")
        target = rng.randint(0, 1) if value is None else int(bool(value))
        if depth == 0:
            return bool(target)
        spine = [self._bottom(rng, rng.randint(0, 1))]
        for _ in range(depth - 1):
            spine.append(self._wrap(rng, spine[-1]))
        if spine[-1].value != target:  # every level is fully sensitive: flipping the bottom flips the root
            spine[0] = self._bottom(rng, 1 - spine[0].value)
            for lower, upper in zip(spine, spine[1:]):
                upper.args[upper.spine] = lower
                _recompute(upper)
        return spine[-1]

    def _bottom(self, rng: random.Random, value: int) -> Formula:
        """A depth-1 formula of truth value ``value``."""
        while True:
            if rng.random() < self.comparison_prob:
                op = rng.choice(COMPARISONS)
                args: list[Formula | bool | int] = [rng.randint(0, 9), rng.randint(0, 9)]
            else:
                op = rng.choice(self.ops)
                args = [bool(rng.randint(0, 1)) for _ in range(_ARITY[op])]
            node = Formula(op, args, 0, 1)
            _recompute(node)
            if node.value == value:
                return node

    def _wrap(self, rng: random.Random, child: Formula) -> Formula:
        """A new operator above ``child`` whose value flips whenever ``child``'s does."""
        op = rng.choice(self.ops)
        n = _ARITY[op]
        pos = rng.randrange(n)
        need: list[int | None]  # required sibling values, by argument position (None: free)
        if op in ("not", "xor"):
            need = [None] * n
        elif op == "and":
            need = [1, 1]
        elif op == "or":
            need = [0, 0]
        elif op == "=>":
            need = [1, 0]  # b on the spine needs a true a; a on the spine needs a false b
        else:  # ite (c, a, b)
            if pos == 0:
                first = rng.randint(0, 1)
                need = [None, first, 1 - first]
            else:
                need = [1 if pos == 1 else 0, None, None]
        args: list[Formula | bool | int] = []
        for i in range(n):
            if i == pos:
                args.append(child)
            else:
                args.append(self._sibling(rng, need[i], child.depth))
        node = Formula(op, args, 0, child.depth + 1, pos)
        _recompute(node)
        return node

    def _sibling(self, rng: random.Random, value: int | None, max_depth: int) -> Formula | bool:
        cap = min(self.sibling_depth, max_depth)
        if cap >= 1 and rng.random() >= self.leaf_prob:
            return self.expression(rng, rng.randint(1, cap), value)
        return bool(rng.randint(0, 1)) if value is None else bool(value)


# ---- rendering (iterative: formulas may be nested thousands deep) -----------------------------------------

def render(node: Formula | bool, syntax: str) -> str:
    """Text of ``node`` in ``syntax`` (``smtlib`` or ``python``)."""
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown logic syntax {syntax!r} (choose from {', '.join(SYNTAXES)})")
    if not isinstance(node, Formula):
        return _literal(node, syntax)
    return render_iteratively(node, _smtlib_pieces if syntax == "smtlib" else _python_pieces)


def _literal(arg: bool | int, syntax: str) -> str:
    if isinstance(arg, bool):
        return ("True" if arg else "False") if syntax == "python" else ("true" if arg else "false")
    return str(arg)


def _smtlib_pieces(item: Formula) -> list[Formula | str]:
    parts: list[Formula | str] = ["(" + item.op]
    for a in item.args:
        parts += [" ", a if isinstance(a, Formula) else _literal(a, "smtlib")]
    return [*parts, ")"]


def _python_operand(arg: Formula | bool | int) -> list[Formula | str]:
    return ["(", arg, ")"] if isinstance(arg, Formula) else [_literal(arg, "python")]


def _python_pieces(item: Formula) -> list[Formula | str]:
    a = item.args
    if item.op == "not":
        return ["not ", *_python_operand(a[0])]
    if item.op == "ite":
        return [*_python_operand(a[1]), " if ", *_python_operand(a[0]), " else ", *_python_operand(a[2])]
    return [*_python_operand(a[0]), f" {_PY_BINARY[item.op]} ", *_python_operand(a[1])]


# ---- checking sources that claim to be closed formulas (data files) ----------------------------------------

SMTLIB_OPS = {"and": (1, None), "or": (1, None), "not": (1, 1), "xor": (2, None), "=>": (2, None),
              "ite": (3, 3), "<": (2, None), "<=": (2, None), ">": (2, None), ">=": (2, None),
              "=": (2, None), "distinct": (2, None)}
_SMT_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_PY_TOKEN = re.compile(r"\s*(?:([A-Za-z_]\w*)|(\d+)|(<=|>=|==|!=|<|>|\(|\))|(\S))")
_PY_WORDS = {"True", "False", "and", "or", "not", "if", "else"}


def check(source: str, language: str) -> int:
    """The truth value of a closed formula (``smtlib``) or a check that one uses only this task's vocabulary
    (``python``: returns -1); ``ValueError`` naming an unknown operator, a free variable or a malformed
    formula. Explicit stacks: any nesting depth is fine."""
    if language == "smtlib":
        return _smtlib_value(source)
    if language == "python":
        _python_vocabulary(source)
        return -1
    raise ValueError(f"logic formulas are written in smtlib or python, not {language!r}")


def _python_vocabulary(source: str) -> None:
    pos, text = 0, source.strip()
    while pos < len(text):
        m = _PY_TOKEN.match(text, pos)
        if m is None:
            break
        name, _num, _sym, other = m.groups()
        if name is not None and name not in _PY_WORDS:
            after = text[m.end():].lstrip()
            if after.startswith("("):
                raise ValueError(f"unknown operator {name!r} (logic formulas use and, or, not, !=, <=, "
                                 "a if c else b and comparisons of digits)")
            raise ValueError(f"free variable {name!r} (logic formulas are closed: True, False and digits only)")
        if other is not None:
            raise ValueError(f"unknown operator {other!r} (logic formulas use and, or, not, !=, <=, "
                             "a if c else b and comparisons of digits)")
        pos = m.end()


def _smtlib_value(source: str) -> int:
    # frames: [operator, argument values]; values are ("bool", 0/1) or ("int", n)
    stack: list[tuple[str, list[tuple[str, int]]]] = []
    result: tuple[str, int] | None = None
    pending_open = False
    for tok in _SMT_TOKEN.findall(source):
        if pending_open:
            pending_open = False
            if tok in ("(", ")"):
                raise ValueError("expected an operator after '('")
            if tok not in SMTLIB_OPS:
                raise ValueError(f"unknown operator {tok!r} (known: {', '.join(SMTLIB_OPS)})")
            stack.append((tok, []))
            continue
        value: tuple[str, int]
        if tok == "(":
            pending_open = True
            continue
        if tok == ")":
            if not stack:
                raise ValueError("unbalanced ')'")
            op, args = stack.pop()
            value = smtlib_apply(op, args)
        elif tok in ("true", "false"):
            value = ("bool", int(tok == "true"))
        elif tok.isascii() and tok.isdigit():
            value = ("int", int(tok))
        else:
            raise ValueError(f"free variable {tok!r} (logic formulas are closed: true, false and numerals only)")
        if stack:
            stack[-1][1].append(value)
        elif result is None:
            result = value
        else:
            raise ValueError("more than one formula")
    if stack or pending_open:
        raise ValueError("formula not closed")
    if result is None:
        raise ValueError("empty formula")
    if result[0] != "bool":
        raise ValueError("the formula is a number, not a truth value")
    return result[1]


def smtlib_apply(op: str, args: list[tuple[str, int]]) -> tuple[str, int]:
    """SMT-LIB's ``op`` on sorted values (``("bool", 0/1)`` or ``("int", n)``) -> ``(sort, value)``; raises
    ``ValueError`` on a wrong arity or sort."""
    lo, hi = SMTLIB_OPS[op]
    if len(args) < lo or (hi is not None and len(args) > hi):
        raise ValueError(f"{op} takes {lo if hi == lo else f'at least {lo}'} argument(s), got {len(args)}")
    kinds = {k for k, _ in args}
    vals = [v for _, v in args]
    if op in ("<", "<=", ">", ">="):
        if kinds != {"int"}:
            raise ValueError(f"{op} compares numbers, not truth values")
        cmp = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
               ">=": lambda a, b: a >= b}[op]
        return "bool", int(all(cmp(a, b) for a, b in zip(vals, vals[1:])))
    if op in ("=", "distinct"):
        if len(kinds) != 1:
            raise ValueError(f"{op} mixes numbers and truth values")
        if op == "=":
            return "bool", int(len(set(vals)) == 1)
        return "bool", int(len(set(vals)) == len(vals))
    if op == "ite":
        if args[0][0] != "bool" or args[1][0] != args[2][0]:
            raise ValueError("ite needs a truth value condition and two branches of one sort")
        return args[1] if vals[0] else args[2]
    if kinds != {"bool"}:
        raise ValueError(f"{op} takes truth values, not numbers")
    if op == "and":
        return "bool", int(all(vals))
    if op == "or":
        return "bool", int(any(vals))
    if op == "not":
        return "bool", 1 - vals[0]
    if op == "xor":
        return "bool", sum(vals) % 2
    out = vals[-1]  # => is right-associative: (=> a b c) is (=> a (=> b c))
    for v in reversed(vals[:-1]):
        out = int(not v or bool(out))
    return "bool", out
