"""SMT-LIB's theory operators on concrete values: the one definition that :func:`recursa.symbolic.smtlib.evaluate`
and the synthesiser's evaluators (:mod:`recursa.synth.evaluate`) share.

Values are plain Python objects: ``bool`` for Bool, ``int`` for Int, and the unsigned ``int`` in ``[0, 2**w)`` for
a bit-vector of width ``w`` (the :class:`~recursa.symbolic.terms.Lit` convention). Integer ``div``/``mod`` are
Euclidean; by zero SMT-LIB leaves their value unspecified, and they raise :class:`UndefinedValue`. Bit-vector
division by zero is fully specified by SMT-LIB (``bvudiv`` gives all ones, ``bvurem`` the dividend) and is
computed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from recursa.symbolic.terms import App

Value = Any  # bool | int


class UndefinedValue(ArithmeticError):
    """An integer division or modulus by zero: SMT-LIB leaves its value unspecified (treat the point as
    unknown)."""


class EvalError(ValueError):
    """An operator without concrete semantics here, or a free variable without a value."""


# ---- scalar operators ----------------------------------------------------------------------------------


def int_div(a: int, b: int) -> int:
    # SMT-LIB div: a = b*q + r with 0 <= r < |b| (Euclidean), unlike Python's floor division for b < 0.
    if b == 0:
        raise UndefinedValue("division by zero")
    q = a // b if b > 0 else -(a // -b)
    return q


def int_mod(a: int, b: int) -> int:
    if b == 0:
        raise UndefinedValue("modulus by zero")
    return a - b * int_div(a, b)


def signed(v: int, w: int) -> int:
    """A ``w``-bit pattern read as two's complement."""
    return v - (1 << w) if v >> (w - 1) & 1 else v


def _bvudiv(a: int, b: int, w: int) -> int:
    return (1 << w) - 1 if b == 0 else a // b


def _bvurem(a: int, b: int, w: int) -> int:
    return a if b == 0 else a % b


def _bvsdiv(a: int, b: int, w: int) -> int:
    sa, sb = signed(a, w), signed(b, w)
    if sb == 0:
        return 1 if sa < 0 else (1 << w) - 1
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) % (1 << w)


def _bvsrem(a: int, b: int, w: int) -> int:
    sa, sb = signed(a, w), signed(b, w)
    if sb == 0:
        return a
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) % (1 << w)


def _bvsmod(a: int, b: int, w: int) -> int:
    sa, sb = signed(a, w), signed(b, w)
    if sb == 0:
        return a
    return (sa - sb * (sa // sb)) % (1 << w)  # sign follows the divisor, as Python's % does


def _shl(a: int, b: int, w: int) -> int:
    return 0 if b >= w else (a << b) & ((1 << w) - 1)


def _lshr(a: int, b: int, w: int) -> int:
    return 0 if b >= w else a >> b


def _ashr(a: int, b: int, w: int) -> int:
    return (signed(a, w) >> min(b, w)) % (1 << w)


#: Bit-vector binary operators: ``fn(a, b, width)`` on unsigned values, giving the unsigned result (a bool for
#: comparisons); n-ary uses fold them from the left.
BV_BINARY: dict[str, Callable[[int, int, int], Any]] = {
    "bvand": lambda a, b, w: a & b,
    "bvor": lambda a, b, w: a | b,
    "bvxor": lambda a, b, w: a ^ b,
    "bvnand": lambda a, b, w: ~(a & b) & ((1 << w) - 1),
    "bvnor": lambda a, b, w: ~(a | b) & ((1 << w) - 1),
    "bvxnor": lambda a, b, w: ~(a ^ b) & ((1 << w) - 1),
    "bvadd": lambda a, b, w: (a + b) & ((1 << w) - 1),
    "bvsub": lambda a, b, w: (a - b) & ((1 << w) - 1),
    "bvmul": lambda a, b, w: (a * b) & ((1 << w) - 1),
    "bvudiv": _bvudiv,
    "bvurem": _bvurem,
    "bvsdiv": _bvsdiv,
    "bvsrem": _bvsrem,
    "bvsmod": _bvsmod,
    "bvshl": _shl,
    "bvlshr": _lshr,
    "bvashr": _ashr,
    "bvult": lambda a, b, w: a < b,
    "bvule": lambda a, b, w: a <= b,
    "bvugt": lambda a, b, w: a > b,
    "bvuge": lambda a, b, w: a >= b,
    "bvslt": lambda a, b, w: signed(a, w) < signed(b, w),
    "bvsle": lambda a, b, w: signed(a, w) <= signed(b, w),
    "bvsgt": lambda a, b, w: signed(a, w) > signed(b, w),
    "bvsge": lambda a, b, w: signed(a, w) >= signed(b, w),
    "bvcomp": lambda a, b, w: 1 if a == b else 0,
}

_INT_BIN: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "div": int_div,
    "mod": int_mod,
    "=>": lambda a, b: (not a) or b,
}


def _width(node: App) -> int:
    s = node.args[0].sort
    return s.width


def apply(node: App, vals: Sequence[Value]) -> Value:
    """The value of ``node``'s operator (a theory operator) applied to ``vals``."""
    op = node.op
    if op in BV_BINARY:
        w = _width(node)
        if len(vals) == 2:
            return BV_BINARY[op](vals[0], vals[1], w)
        acc = vals[0]
        for v in vals[1:]:  # bvadd/bvand/... are left-associative when given more than two arguments
            acc = BV_BINARY[op](acc, v, w)
        return acc
    if op == "+":
        return sum(vals)
    if op == "-":
        if len(vals) == 1:
            return -vals[0]
        acc = vals[0]
        for v in vals[1:]:
            acc -= v
        return acc
    if op == "*":
        acc = 1
        for v in vals:
            acc *= v
        return acc
    if op == "ite":
        return vals[1] if vals[0] else vals[2]
    if op == "=":
        return all(v == vals[0] for v in vals[1:])
    if op == "distinct":
        return len(set(vals)) == len(vals)
    if op == "and":
        return all(vals)
    if op == "or":
        return any(vals)
    if op == "not":
        return not vals[0]
    if op == "xor":
        acc = False
        for v in vals:
            acc = acc != bool(v)
        return acc
    if op == "=>":
        acc = vals[-1]
        for v in reversed(vals[:-1]):  # right-associative
            acc = (not v) or acc
        return acc
    if op in ("<=", "<", ">=", ">"):
        fn = _INT_BIN[op]
        return all(fn(vals[i], vals[i + 1]) for i in range(len(vals) - 1))
    if op in ("div", "mod"):
        acc = vals[0]
        for v in vals[1:]:
            acc = _INT_BIN[op](acc, v)
        return acc
    if op == "abs":
        return abs(vals[0])
    if op == "bvnot":
        return ~vals[0] & ((1 << _width(node)) - 1)
    if op == "bvneg":
        return -vals[0] & ((1 << _width(node)) - 1)
    if op == "concat":
        acc = 0
        for arg, v in zip(node.args, vals):
            acc = (acc << arg.sort.width) | v
        return acc
    if op == "extract":
        i, j = node.indices
        return (vals[0] >> j) & ((1 << (i - j + 1)) - 1)
    if op == "zero_extend":
        return vals[0]
    if op == "sign_extend":
        w = _width(node)
        return signed(vals[0], w) % (1 << (w + node.indices[0]))
    if op in ("rotate_left", "rotate_right"):
        w = _width(node)
        k = node.indices[0] % w
        if op == "rotate_right":
            k = (w - k) % w
        v = vals[0]
        return ((v << k) | (v >> (w - k))) & ((1 << w) - 1)
    if op == "repeat":
        w = _width(node)
        acc = 0
        for _ in range(node.indices[0]):
            acc = (acc << w) | vals[0]
        return acc
    if op == "bv2nat":
        return vals[0]
    raise EvalError(f"operator {op!r} has no concrete semantics")
