"""ListOps: nested MAX / MIN / MED / SM over the digits 0-9, with exact depth control.

Semantics (as in the original ListOps release): ``MAX``, ``MIN``; ``MED`` the median, rounded down when the
number of arguments is even; ``SM`` the sum mod 10. ``FIRST`` / ``LAST`` (found in some releases) are read
and evaluated but never generated.

Depth is the operator nesting depth: a digit is 0, ``[MAX 1 2 ]`` is 1.

Exact depth control: a depth-``K`` example is built around a *spine*, a chain of ``K`` operators from the
root down to a flat operator over digits. At every level the siblings of the spine child are chosen so the
parent is *fully sensitive* to it: changing the spine child's value to any other digit changes the parent's
value (MAX: the spine child is the strict maximum; MIN: the strict minimum; MED: the strict middle of an odd
number of arguments; SM: always). Hence replacing the deepest operator by any other value changes the
label: no depth-``K`` example can be answered without all ``K`` levels. Siblings are random expressions of
smaller depth (often single digits), so trees stay small even at depth 20.

Three surface syntaxes render the same expression:

* ``python``: ``max(3, med(1, 9, 4), sm(7, 8))``
* ``brackets`` (the classic ListOps form): ``[MAX 3 [MED 1 9 4 ] [SM 7 8 ] ]``
* ``sexpr`` (how recursa parses the bracket form, smtlib grammar): ``(MAX 3 (MED 1 9 4) (SM 7 8))``
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from recursa.tasks.render import render_iteratively

GENERATED_OPS = ("MAX", "MIN", "MED", "SM")
ALL_OPS = ("MAX", "MIN", "MED", "SM", "FIRST", "LAST")
SYNTAXES = ("python", "brackets", "sexpr")
MIN_ARGS = 2
MAX_ARGS = 5


def apply_op(op: str, args: Sequence[int]) -> int:
    """The value of ``op`` applied to ``args`` (digits 0-9 in, digit out)."""
    if not args:
        raise ValueError(f"{op} needs at least one argument")
    if op == "MAX":
        return max(args)
    if op == "MIN":
        return min(args)
    if op == "MED":
        s = sorted(args)
        n = len(s)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2
    if op == "SM":
        return sum(args) % 10
    if op == "FIRST":
        return args[0]
    if op == "LAST":
        return args[-1]
    raise ValueError(f"unknown ListOps operator {op!r}")


@dataclass
class Expr:
    """An operator node of a generated expression (arguments are ``Expr`` or digits)."""

    op: str
    args: list[Expr | int]
    value: int = 0
    depth: int = 1
    spine: int = -1  # index of the argument on the sensitive spine (-1 at the flat bottom operator)


def value_of(node: Expr | int) -> int:
    """The value of a generated expression or digit."""
    return node if isinstance(node, int) else node.value


def fully_sensitive(op: str, values: Sequence[int], position: int) -> bool:
    """Whether changing ``values[position]`` to any other digit changes ``op``'s value."""
    base = apply_op(op, values)
    trial = list(values)
    for v in range(10):
        if v == values[position]:
            continue
        trial[position] = v
        if apply_op(op, trial) == base:
            return False
    return True


class ListOpsGenerator:
    """Random ListOps expressions of an exact depth (see the module docstring).

    ``leaf_prob`` is the chance that a sibling of the spine is a single digit; other siblings are
    expressions of depth 1..``sibling_depth`` (never deeper than the spine child beside them).
    """

    def __init__(self, ops: Sequence[str] = GENERATED_OPS, min_args: int = MIN_ARGS, max_args: int = MAX_ARGS,
                 leaf_prob: float = 0.7, sibling_depth: int = 3) -> None:
        unknown = set(ops) - set(GENERATED_OPS)
        if unknown:
            raise ValueError(f"cannot generate operators {sorted(unknown)} (choose from {GENERATED_OPS})")
        if not 2 <= min_args <= max_args:
            raise ValueError("need 2 <= min_args <= max_args")
        self.ops = tuple(ops)
        self.min_args = min_args
        self.max_args = max_args
        self.leaf_prob = leaf_prob
        self.sibling_depth = sibling_depth

    # -- building ---------------------------------------------------------------------------------
    def expression(self, rng: random.Random, depth: int) -> Expr | int:
        """One expression of operator depth exactly ``depth`` (a digit for depth 0)."""
        if depth < 0:
            raise ValueError("depth must be >= 0")
        if depth == 0:
            return rng.randint(0, 9)
        node = self._flat(rng)
        for _ in range(depth - 1):
            node = self._wrap(rng, node)
        return node

    def _flat(self, rng: random.Random) -> Expr:
        op = rng.choice(self.ops)
        args: list[Expr | int] = [rng.randint(0, 9) for _ in range(rng.randint(self.min_args, self.max_args))]
        return Expr(op, args, apply_op(op, [value_of(a) for a in args]), 1)

    def _allowed_ops(self, v: int) -> list[str]:
        allowed = []
        for op in self.ops:
            if (op == "MAX" and v == 0) or (op == "MIN" and v == 9):
                continue
            if op == "MED" and (v in (0, 9) or self._odd_counts() == []):
                continue
            allowed.append(op)
        return allowed

    def _odd_counts(self) -> list[int]:
        return [n for n in range(max(3, self.min_args), self.max_args + 1) if n % 2]

    def _wrap(self, rng: random.Random, child: Expr) -> Expr:
        """A new operator above ``child`` whose value is fully sensitive to ``child``'s value."""
        v = child.value
        while True:
            allowed = self._allowed_ops(v) or ["SM"]
            op = rng.choice(allowed)
            n = rng.choice(self._odd_counts()) if op == "MED" else rng.randint(self.min_args, self.max_args)
            pos = rng.randrange(n)
            ranges = self._sibling_ranges(rng, op, v, n - 1)
            siblings = [self._sibling(rng, lo, hi, child.depth) for lo, hi in ranges]
            args: list[Expr | int] = siblings[:pos] + [child] + siblings[pos:]
            values = [value_of(a) for a in args]
            if fully_sensitive(op, values, pos):
                return Expr(op, args, apply_op(op, values), child.depth + 1, pos)

    @staticmethod
    def _sibling_ranges(rng: random.Random, op: str, v: int, count: int) -> list[tuple[int, int]]:
        if op == "MAX":
            return [(0, v - 1)] * count
        if op == "MIN":
            return [(v + 1, 9)] * count
        if op == "MED":
            half = count // 2
            ranges = [(0, v - 1)] * half + [(v + 1, 9)] * half
            rng.shuffle(ranges)
            return ranges
        return [(0, 9)] * count

    def _sibling(self, rng: random.Random, lo: int, hi: int, max_depth: int) -> Expr | int:
        cap = min(self.sibling_depth, max_depth)
        if cap >= 1 and rng.random() >= self.leaf_prob:
            d = rng.randint(1, cap)
            for _ in range(4):
                sub = self.expression(rng, d)
                if lo <= value_of(sub) <= hi:
                    return sub
        return rng.randint(lo, hi)


# ---- rendering (iterative: expressions may be nested thousands deep) ---------------------------------

def render(node: Expr | int, syntax: str) -> str:
    """Text of ``node`` in ``syntax`` (``python``, ``brackets`` or ``sexpr``)."""
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown ListOps syntax {syntax!r} (choose from {', '.join(SYNTAXES)})")
    if syntax == "python":
        return render_iteratively(node, _python_pieces)
    opener, closer = ("[", " ]") if syntax == "brackets" else ("(", ")")

    def pieces(item: Expr) -> list[Expr | int | str]:
        return [opener + item.op, *(p for a in item.args for p in (" ", a)), closer]

    return render_iteratively(node, pieces)


def _python_pieces(item: Expr) -> list[Expr | int | str]:
    parts: list[Expr | int | str] = [f"{item.op.lower()}("]
    for i, a in enumerate(item.args):
        parts += [", ", a] if i else [a]
    return [*parts, ")"]


def render_binarised(node: Expr | int) -> str:
    """The original release's bracket form with its binarised parse: ``( ( ( [MAX 1 ) 7 ) ] )``.

    An operator with ``n`` arguments opens ``n + 1`` bare parentheses, closes one after each argument and
    the last after ``]``. The bare parentheses carry no meaning; readers drop them.
    """
    def pieces(item: Expr) -> list[Expr | int | str]:
        return ["( " * (len(item.args) + 1) + "[" + item.op, *(p for a in item.args for p in (" ", a, " )")),
                " ] )"]

    return render_iteratively(node, pieces)


# ---- reading ---------------------------------------------------------------------------------------

_SEXPR_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_PY_TOKEN = re.compile(r"\s*(?:([A-Za-z_]+)\s*\(|(\d+)|(\))|(,))")


def brackets_to_sexpr(text: str) -> str:
    """The classic bracket form as an s-expression: ``[MAX 1 [SM 2 3 ] ]`` -> ``(MAX 1 (SM 2 3))``.

    Bare ``(`` / ``)`` tokens (the binarised parse in the original release) carry no meaning and are dropped.
    Raises ``ValueError`` naming the offending token.
    """
    out: list[str] = []
    open_count = 0
    for tok in text.split():
        if tok in ("(", ")"):
            continue
        if tok.startswith("["):
            name = tok[1:]
            if name not in ALL_OPS:
                raise ValueError(f"unknown ListOps operator {tok!r}")
            out.append("(" + name)
            open_count += 1
        elif tok == "]":
            if open_count == 0:
                raise ValueError("unbalanced ']'")
            open_count -= 1
            out.append(")")
        elif tok.isdigit():
            out.append(tok)
        else:
            raise ValueError(f"unexpected token {tok!r}")
    if open_count:
        raise ValueError(f"{open_count} operator(s) not closed with ']'")
    if not out:
        raise ValueError("empty expression")
    return " ".join(out).replace(" )", ")")


def _evaluate_tokens(tokens: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """Evaluate ``("open", OP) / ("num", digits) / ("close", "")`` tokens; returns (value, depth)."""
    stack: list[tuple[str, list[int], list[int]]] = []
    result: tuple[int, int] | None = None
    for kind, text in tokens:
        if kind == "open":
            stack.append((text, [], []))
            continue
        if kind == "num":
            value, depth = int(text), 0
        else:
            if not stack:
                raise ValueError("unbalanced closing bracket")
            op, args, depths = stack.pop()
            value, depth = apply_op(op, args), 1 + max(depths, default=0)
        if stack:
            stack[-1][1].append(value)
            stack[-1][2].append(depth)
        elif result is None:
            result = (value, depth)
        else:
            raise ValueError("more than one expression")
    if stack:
        raise ValueError("operator not closed")
    if result is None:
        raise ValueError("empty expression")
    return result


def evaluate(source: str, language: str) -> tuple[int, int]:
    """Reference value and operator depth of a ListOps expression in any of its syntaxes.

    ``language``: ``python`` (calls), ``listops`` (bracket form) or ``smtlib`` (s-expression).
    """
    tokens: list[tuple[str, str]] = []
    if language == "python":
        pos = 0
        text = source.strip()
        while pos < len(text):
            m = _PY_TOKEN.match(text, pos)
            if not m:
                raise ValueError(f"unexpected text at column {pos + 1}: {text[pos:pos + 10]!r}")
            name, num, close, _comma = m.groups()
            if name is not None:
                if name.upper() not in ALL_OPS:
                    raise ValueError(f"unknown ListOps operator {name!r}")
                tokens.append(("open", name.upper()))
            elif num is not None:
                tokens.append(("num", num))
            elif close is not None:
                tokens.append(("close", ""))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return _evaluate_tokens(tokens)
    if language == "listops":
        source = brackets_to_sexpr(source)
    elif language != "smtlib":
        raise ValueError(f"ListOps is not written in {language!r}")
    pending_open = False
    for tok in _SEXPR_TOKEN.findall(source):
        if tok == "(":
            pending_open = True
        elif pending_open:
            if tok.upper() not in ALL_OPS:
                raise ValueError(f"unknown ListOps operator {tok!r}")
            tokens.append(("open", tok.upper()))
            pending_open = False
        elif tok == ")":
            tokens.append(("close", ""))
        elif tok.isdigit():
            tokens.append(("num", tok))
        else:
            raise ValueError(f"unexpected token {tok!r}")
    return _evaluate_tokens(tokens)


# syntax name -> (example language, renderer)
SYNTAX_LANGUAGE: dict[str, str] = {"python": "python", "brackets": "listops", "sexpr": "smtlib"}


# ---- fold-state labels (the partial results a chain fold of an operator's children carries) --------------

#: operators whose partial result over a prefix of the arguments is a digit (associative): class op * 10 + value
FOLD_VALUE_OPS = ("MAX", "MIN", "SM")
#: the class of every accumulator of a MED (its prefix has no digit value; classified, never snapped)
FOLD_MED_CLASS = 10 * len(FOLD_VALUE_OPS)
FOLD_STATE_CLASSES = FOLD_MED_CLASS + 1


def _op_tokens() -> dict[int, str]:
    from recursa.trees.flatten import token_id

    return {token_id(text): op for op in GENERATED_OPS for text in (op.encode(), op.lower().encode())}


def _operator_lists(parent: Sequence[int], rank: Sequence[int], token: Sequence[int],
                    node_labels: Sequence[int]) -> list[tuple[str, list[int], list[int]]]:
    """``(operator, argument nodes, argument values)`` of every ListOps operator node of a batch whose arguments
    all carry a value label (the operator is the child of rank 0, the arguments follow in rank order)."""
    ops = _op_tokens()
    children: dict[int, list[tuple[int, int]]] = {}
    for i, p in enumerate(parent):
        if p >= 0:
            children.setdefault(p, []).append((rank[i], i))
    out = []
    for kids in children.values():
        kids.sort()
        if len(kids) < 2 or kids[0][0] != 0:
            continue
        op = ops.get(token[kids[0][1]])
        nodes = [i for _, i in kids[1:]]
        values = [node_labels[i] for i in nodes]
        if op is not None and all(v >= 0 for v in values):
            out.append((op, nodes, values))
    return out


def fold_state_labels(parent: Sequence[int], rank: Sequence[int], token: Sequence[int],
                      node_labels: Sequence[int]) -> list[int]:
    """One label per node (batch order) for a chain fold of each operator's children (the operator first,
    then its arguments in order): the class of the parent's accumulator right after this node is combined.

    ``MAX`` / ``MIN`` / ``SM``: ``op_index * 10 + value`` of the operator over the arguments so far (they are
    associative: the partial result is a digit); ``MED``: :data:`FOLD_MED_CLASS`. ``-100`` for the operator
    itself, for nodes outside ListOps calls and where an argument has no value label."""
    out = [-100] * len(parent)
    for op, nodes, values in _operator_lists(parent, rank, token, node_labels):
        for k, i in enumerate(nodes, start=1):
            out[i] = FOLD_MED_CLASS if op == "MED" else FOLD_VALUE_OPS.index(op) * 10 + apply_op(op, values[:k])
    return out


#: a MED accumulator's factors: for every threshold t = 0..8 the balance #(args <= t) - #(args > t) of the
#: arguments so far, clipped to +-MED_BALANCE_CLIP at every step (class = balance + clip)
MED_THRESHOLDS = 9
MED_BALANCE_CLIP = 4
MED_BALANCE_VALUES = 2 * MED_BALANCE_CLIP + 1


def med_balances(values: Sequence[int], clip: int = MED_BALANCE_CLIP) -> list[list[int]]:
    """The clipped threshold balances after each prefix of ``values`` (see :data:`MED_BALANCE_CLIP`).

    Clipping keeps the state finite and every balance within what lists of five arguments reach, so a list of
    any width only visits trained states. The median stays exact while the list is at most ``2 * clip - 1``
    long (a balance that reaches the clip cannot change sign in the steps left); beyond, it is exact unless
    a balance first reaches the clip and then comes back across zero (:func:`median_of_balances`)."""
    r = [0] * MED_THRESHOLDS
    out = []
    for x in values:
        r = [max(-clip, min(clip, b + (1 if x <= t else -1))) for t, b in enumerate(r)]
        out.append(list(r))
    return out


def median_of_balances(balances: Sequence[int], count: int) -> int:
    """The MED of ``count`` arguments read from their (clipped) threshold balances."""
    r = list(balances) + [count]  # t = 9: every digit is <= 9
    if count % 2:
        return next(t for t in range(10) if r[t] > 0)
    lo = next(t for t in range(10) if r[t] >= 0)
    hi = next(t for t in range(10) if r[t] >= 2)
    return (lo + hi) // 2


def fold_factor_labels(parent: Sequence[int], rank: Sequence[int], token: Sequence[int],
                       node_labels: Sequence[int]) -> list[list[int]]:
    """Per node (batch order), the factor classes of its parent's accumulator right after it is combined, for
    ``MED`` parents: :func:`med_balances` as classes ``balance + MED_BALANCE_CLIP``; ``[-100] * 9`` elsewhere."""
    out = [[-100] * MED_THRESHOLDS for _ in parent]
    for op, nodes, values in _operator_lists(parent, rank, token, node_labels):
        if op == "MED":
            for i, bal in zip(nodes, med_balances(values)):
                out[i] = [b + MED_BALANCE_CLIP for b in bal]
    return out
