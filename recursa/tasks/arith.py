"""Nested integer arithmetic mod 10: ``+``, ``-``, ``*`` and parentheses, in Python or C syntax.

The label is the expression's integer value mod 10 (always 0-9, as Python's ``%`` gives). Depth is the
number of operators on the longest root-to-leaf path: ``3 + 4`` is depth 1, ``(3 + 4) * 2`` depth 2.

Exact depth control as in :mod:`recursa.tasks.listops`: a spine of ``K`` operators runs from the root to a
flat ``a op b``; at each level the sibling is chosen so the parent is fully sensitive to the spine child
mod 10 (``+`` and ``-`` always are; for ``*`` the sibling's value must be a unit mod 10: 1, 3, 7 or 9).

Sources: Python ``(3 + 4) * (7 - 2)``; C ``int r = (3 + 4) * (7 - 2);`` (a complete translation unit, so
tree-sitter parses it without errors). Parentheses appear only where precedence needs them, so the tree
tree-sitter builds is exactly the generated one.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from recursa.tasks.render import render_iteratively

OPS = ("+", "-", "*")
SYNTAXES = ("python", "c")
_PREC = {"+": 1, "-": 1, "*": 2}
_UNITS = (1, 3, 7, 9)


def apply_op(op: str, a: int, b: int) -> int:
    """``a op b`` mod 10."""
    if op == "+":
        return (a + b) % 10
    if op == "-":
        return (a - b) % 10
    if op == "*":
        return (a * b) % 10
    raise ValueError(f"unknown arithmetic operator {op!r}")


@dataclass
class BinOp:
    op: str
    left: BinOp | int
    right: BinOp | int
    value: int = 0  # mod 10
    depth: int = 1
    spine: int = -1  # 0: left operand is the spine, 1: right, -1: flat bottom operator


def value_of(node: BinOp | int) -> int:
    """The value mod 10 of a generated expression or digit."""
    return node % 10 if isinstance(node, int) else node.value


def fully_sensitive(op: str, a: int, b: int, position: int) -> bool:
    """Whether changing operand ``position`` (mod 10) to any other digit changes ``a op b`` mod 10."""
    base = apply_op(op, a, b)
    for v in range(10):
        if v == (a, b)[position]:
            continue
        trial = apply_op(op, v, b) if position == 0 else apply_op(op, a, v)
        if trial == base:
            return False
    return True


class ArithGenerator:
    """Random arithmetic expressions of an exact operator depth."""

    def __init__(self, ops: tuple[str, ...] = OPS, leaf_prob: float = 0.5, sibling_depth: int = 3) -> None:
        unknown = set(ops) - set(OPS)
        if unknown:
            raise ValueError(f"cannot generate operators {sorted(unknown)} (choose from {OPS})")
        self.ops = ops
        self.leaf_prob = leaf_prob
        self.sibling_depth = sibling_depth

    def expression(self, rng: random.Random, depth: int) -> BinOp | int:
        if depth < 0:
            raise ValueError("depth must be >= 0")
        if depth == 0:
            return rng.randint(0, 9)
        op = rng.choice(self.ops)
        a, b = rng.randint(0, 9), rng.randint(0, 9)
        node = BinOp(op, a, b, apply_op(op, a, b), 1)
        for _ in range(depth - 1):
            node = self._wrap(rng, node)
        return node

    def _wrap(self, rng: random.Random, child: BinOp) -> BinOp:
        while True:
            op = rng.choice(self.ops)
            pos = rng.randrange(2)
            sib = self._sibling(rng, op, child.depth)
            a, b = (value_of(child), value_of(sib)) if pos == 0 else (value_of(sib), value_of(child))
            if fully_sensitive(op, a, b, pos):
                left, right = (child, sib) if pos == 0 else (sib, child)
                return BinOp(op, left, right, apply_op(op, a, b), child.depth + 1, pos)

    def _sibling(self, rng: random.Random, op: str, max_depth: int) -> BinOp | int:
        allowed = _UNITS if op == "*" else tuple(range(10))
        cap = min(self.sibling_depth, max_depth)
        if cap >= 1 and rng.random() >= self.leaf_prob:
            d = rng.randint(1, cap)
            for _ in range(4):
                sub = self.expression(rng, d)
                if value_of(sub) in allowed:
                    return sub
        return rng.choice(allowed)


def render(node: BinOp | int, syntax: str) -> str:
    """Source text: a Python expression, or a C declaration ``int r = <expr>;``."""
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown arithmetic syntax {syntax!r} (choose from {', '.join(SYNTAXES)})")
    text = render_iteratively(node, _pieces)
    return f"int r = {text};" if syntax == "c" else text


def _pieces(item: BinOp) -> list[BinOp | int | str]:
    """``left op right``, an operand in parentheses where precedence (or a right operand of equal precedence)
    needs them."""
    parts: list[BinOp | int | str] = []
    for side, operand in ((0, item.left), (1, item.right)):
        if side:
            parts.append(f" {item.op} ")
        if isinstance(operand, BinOp) and (_PREC[operand.op] < _PREC[item.op] or (
                side == 1 and _PREC[operand.op] == _PREC[item.op])):
            parts += ["(", operand, ")"]
        else:
            parts.append(operand)
    return parts


_C_DECL = re.compile(r"^\s*int\s+[A-Za-z_]\w*\s*=\s*(.*?);?\s*$", re.S)
_TOKEN = re.compile(r"\s*(?:(\d+)|([-+*()]))")


def evaluate(source: str, language: str) -> int:
    """Reference value mod 10 of an arithmetic source (integers, ``+ - *``, unary ``-``, parentheses).

    Shunting-yard with explicit stacks, so arbitrarily deep nesting is fine.
    """
    text = source
    if language == "c":
        m = _C_DECL.match(source)
        text = m.group(1) if m else source.rstrip().rstrip(";")
    elif language != "python":
        raise ValueError(f"arithmetic is not written in {language!r}")
    values: list[int] = []
    ops: list[str] = []  # "(", binary "+ - *", unary "neg"
    prec = {"neg": 3, "*": 2, "+": 1, "-": 1}

    def reduce_top() -> None:
        op = ops.pop()
        if op == "neg":
            values.append(-values.pop())
            return
        b, a = values.pop(), values.pop()
        values.append(a + b if op == "+" else a - b if op == "-" else a * b)

    pos, expect_operand = 0, True
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unexpected text at column {pos + 1}: {text[pos:pos + 10]!r}")
        pos = m.end()
        num, sym = m.groups()
        if num is not None:
            if not expect_operand:
                raise ValueError(f"missing operator before {num!r}")
            values.append(int(num))
            expect_operand = False
        elif sym == "(":
            ops.append("(")
            expect_operand = True
        elif sym == ")":
            while ops and ops[-1] != "(":
                reduce_top()
            if not ops:
                raise ValueError("unbalanced ')'")
            ops.pop()
            expect_operand = False
        elif expect_operand:
            if sym != "-" and sym != "+":
                raise ValueError(f"unexpected {sym!r}")
            if sym == "-":
                ops.append("neg")
        else:
            while ops and ops[-1] != "(" and prec[ops[-1]] >= prec[sym]:
                reduce_top()
            ops.append(sym)
            expect_operand = True
    while ops:
        if ops[-1] == "(":
            raise ValueError("unbalanced '('")
        reduce_top()
    if len(values) != 1 or expect_operand:
        raise ValueError("incomplete expression")
    return values[0] % 10
