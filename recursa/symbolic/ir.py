"""The intermediate program representation shared by the symbolic and concrete sides.

Front ends (:mod:`recursa.symbolic.frontend`) turn C functions and a Python subset into :class:`Function`
values; the transition encoding (:mod:`recursa.symbolic.transition`), bounded model checking and the
concrete interpreter (:mod:`recursa.symbolic.interp`) all read this one form.

Expressions are typed (``int`` or ``bool``); front ends insert explicit conversions, so downstream code
never guesses. Expressions and statements compare by identity (``eq=False``): structural equality would
recurse, and user programs may nest arbitrarily deep. Every walk here uses an explicit stack.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar


class Sort(str, enum.Enum):
    INT = "int"
    BOOL = "bool"


@dataclass(frozen=True)
class Loc:
    """A 1-based line and column (characters) in the source file."""

    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


NO_LOC = Loc(0, 0)

# ---- expressions --------------------------------------------------------------------------------------

#: Binary operators. ``cdiv``/``cmod`` truncate towards zero (C); ``fdiv``/``fmod`` floor (Python).
#: Machine integers only: ``udiv``/``urem``/``lshr`` read their operands as unsigned 32-bit values.
ARITH_OPS = frozenset({"add", "sub", "mul", "cdiv", "cmod", "fdiv", "fmod", "band", "bor", "bxor", "shl", "shr",
                       "udiv", "urem", "lshr"})
#: ``ult``..``uge`` compare as unsigned 32-bit values (machine integers only).
COMPARE_OPS = frozenset({"lt", "le", "gt", "ge", "eq", "ne", "ult", "ule", "ugt", "uge"})
#: ``mul_fits`` (bool): the exact product of two machine integers is within the 32-bit signed range (the
#: overflow check of C's signed ``*``).
CHECK_OPS = frozenset({"mul_fits"})
LOGIC_OPS = frozenset({"and", "or"})
#: Unary operators: ``neg`` (int), ``bnot`` (int, bitwise), ``not`` (bool), ``to_int`` (bool -> 0/1),
#: ``to_bool`` (int -> ``!= 0``).
UNARY_OPS = frozenset({"neg", "bnot", "not", "to_int", "to_bool"})

OP_SYMBOL = {
    "add": "+", "sub": "-", "mul": "*", "cdiv": "/", "cmod": "%", "fdiv": "//", "fmod": "%",
    "band": "&", "bor": "|", "bxor": "^", "shl": "<<", "shr": ">>",
    "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=", "and": "&&", "or": "||",
    "udiv": "/", "urem": "%", "lshr": ">>", "ult": "<", "ule": "<=", "ugt": ">", "uge": ">=",
}
_PRECEDENCE = {"or": 1, "and": 2, "bor": 3, "bxor": 4, "band": 5, "eq": 6, "ne": 6, "lt": 7, "le": 7,
               "gt": 7, "ge": 7, "shl": 8, "shr": 8, "add": 9, "sub": 9, "mul": 10, "cdiv": 10, "cmod": 10,
               "fdiv": 10, "fmod": 10, "udiv": 10, "urem": 10, "lshr": 8, "ult": 7, "ule": 7, "ugt": 7, "uge": 7}


class Expr:
    """Base of the expression nodes (``sort`` is :class:`Sort`)."""

    sort: Sort
    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        return ()


@dataclass(eq=False, frozen=True, slots=True)
class Const(Expr):
    value: int
    sort: Sort = Sort.INT


@dataclass(eq=False, frozen=True, slots=True)
class Var(Expr):
    name: str
    sort: Sort = Sort.INT


@dataclass(eq=False, frozen=True, slots=True)
class Unary(Expr):
    op: str
    arg: Expr
    sort: Sort

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


@dataclass(eq=False, frozen=True, slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr
    sort: Sort

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(eq=False, frozen=True, slots=True)
class Ite(Expr):
    cond: Expr
    then: Expr
    other: Expr
    sort: Sort

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.then, self.other)


TRUE = Const(1, Sort.BOOL)
FALSE = Const(0, Sort.BOOL)

T = TypeVar("T")


def drive(gen: Generator[Any, Any, Any]) -> Any:
    """Run nested generators on an explicit stack: a generator yields a sub-generator to 'call' it and
    receives its return value. Lets recursive-descent code walk arbitrarily deep input without recursion."""
    stack: list[Generator[Any, Any, Any]] = [gen]
    value: Any = None
    while True:
        try:
            request = stack[-1].send(value)
        except StopIteration as stop:
            stack.pop()
            value = stop.value
            if not stack:
                return value
            continue
        stack.append(request)
        value = None


def postorder(expr: Expr) -> list[Expr]:
    """All nodes of ``expr`` children-first (an expression DAG is walked as a tree)."""
    out: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, done = stack.pop()
        if done:
            out.append(node)
            continue
        stack.append((node, True))
        for child in reversed(node.children()):
            stack.append((child, False))
    return out


def fold(expr: Expr, fn: Callable[[Expr, list[T]], T]) -> T:
    """Evaluate ``expr`` bottom-up: ``fn(node, child_values)`` (iterative, shares repeated sub-terms)."""
    memo: dict[int, T] = {}
    for node in postorder(expr):
        key = id(node)
        if key not in memo:
            memo[key] = fn(node, [memo[id(c)] for c in node.children()])
    return memo[id(expr)]


def variables(expr: Expr) -> set[str]:
    return {n.name for n in postorder(expr) if isinstance(n, Var)}


def render(expr: Expr, style: str = "c") -> str:
    """Source-like text of ``expr`` (``style`` ``c`` or ``python``), parenthesised only where needed."""
    py = style == "python"

    def fn(node: Expr, kids: list[tuple[str, int]]) -> tuple[str, int]:
        if isinstance(node, Const):
            if node.sort is Sort.BOOL:
                return ("True" if node.value else "False") if py else ("1" if node.value else "0"), 100
            return (str(node.value), 100) if node.value >= 0 else (f"-{-node.value}", 11)
        if isinstance(node, Var):
            return node.name, 100
        if isinstance(node, Unary):
            text, prec = kids[0]
            if node.op in ("to_int", "to_bool"):
                return text, prec
            sym = {"neg": "-", "bnot": "~", "not": "not " if py else "!"}[node.op]
            inner = text if prec >= 11 else f"({text})"
            return sym + inner, 11
        if isinstance(node, Binary) and node.op in CHECK_OPS:
            (lt, _), (rt, _) = kids
            return f"{node.op}({lt}, {rt})", 100
        if isinstance(node, Binary):
            prec = _PRECEDENCE[node.op]
            (lt, lp), (rt, rp) = kids
            sym = OP_SYMBOL[node.op]
            if py and node.op in ("and", "or"):
                sym = node.op
            left = lt if lp >= prec else f"({lt})"
            right = rt if rp > prec else f"({rt})"
            return f"{left} {sym} {right}", prec
        if isinstance(node, Ite):
            (ct, _), (at, _), (bt, _) = kids
            if py:
                return f"{at} if {ct} else {bt}", 0
            return f"{ct} ? {at} : {bt}", 0
        raise TypeError(node)

    return fold(expr, fn)[0]


# ---- statements ---------------------------------------------------------------------------------------


class Stmt:
    loc: Loc
    __slots__ = ()


@dataclass(eq=False, frozen=True)
class Assign(Stmt):
    """Simultaneous assignment ``targets := values`` (Python's ``a, b = b, a``; C has one target)."""

    targets: tuple[str, ...]
    values: tuple[Expr, ...]
    loc: Loc


@dataclass(eq=False, frozen=True)
class Havoc(Stmt):
    """``var`` takes an arbitrary value of its sort (nondet call, declaration without initialiser).

    ``unmodelled`` names a construct outside the subset whose value the havoc stands for (``"call to 'f'"``,
    ``"array access 'a[i]'"``): a proof holds for every value, but a violation that passes through it may not
    be real, so it is reported unsupported."""

    var: str
    sort: Sort
    loc: Loc
    site: int
    reason: str = "nondet"
    unmodelled: str = ""


@dataclass(eq=False, frozen=True)
class Assume(Stmt):
    cond: Expr
    loc: Loc


@dataclass(eq=False, frozen=True)
class Assert(Stmt):
    """A check: ``kind`` ``assert`` is one the program states; ``overflow`` is implicit, inserted by the C
    front end under machine integers before a signed operation that could overflow (``text`` names it)."""

    cond: Expr
    loc: Loc
    index: int
    text: str
    kind: str = "assert"


@dataclass(eq=False, frozen=True)
class If(Stmt):
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    loc: Loc


@dataclass(eq=False, frozen=True)
class Loop(Stmt):
    """``while (cond) body`` with extras.

    ``prelude`` runs before every evaluation of ``cond`` (havocs of nondet calls in the condition);
    ``update`` runs after the body and is where ``continue`` goes (C ``for`` updates, Python ``range``
    steps); ``do_while`` runs the body once before the first test.
    """

    cond: Expr
    body: tuple[Stmt, ...]
    loc: Loc
    index: int
    prelude: tuple[Stmt, ...] = ()
    update: tuple[Stmt, ...] = ()
    do_while: bool = False
    kind: str = "while"
    start_byte: int = 0
    end_byte: int = 0


@dataclass(eq=False, frozen=True)
class Break(Stmt):
    loc: Loc


@dataclass(eq=False, frozen=True)
class Continue(Stmt):
    loc: Loc


@dataclass(eq=False, frozen=True)
class Return(Stmt):
    loc: Loc


@dataclass(eq=False)
class Function:
    """One function (or a Python module's top-level code) ready for analysis."""

    name: str
    language: str
    params: tuple[str, ...]
    variables: dict[str, Sort]
    body: tuple[Stmt, ...]
    loc: Loc
    start_byte: int = 0
    end_byte: int = 0
    display: dict[str, str] = field(default_factory=dict)
    constants: frozenset[int] = frozenset()
    #: variables of a 32-bit unsigned C type under machine integers (held as bit patterns, shown unsigned)
    unsigned: frozenset[str] = frozenset()

    def statements(self) -> Iterator[Stmt]:
        """Every statement, in source order (pre-order), including those nested in ifs and loops."""
        stack: list[Iterator[Stmt]] = [iter(self.body)]
        while stack:
            stmt = next(stack[-1], None)
            if stmt is None:
                stack.pop()
                continue
            yield stmt
            if isinstance(stmt, If):
                stack.append(iter((*stmt.then, *stmt.orelse)))
            elif isinstance(stmt, Loop):
                stack.append(iter((*stmt.prelude, *stmt.body, *stmt.update)))

    @property
    def assertions(self) -> list[Assert]:
        return sorted((s for s in self.statements() if isinstance(s, Assert)), key=lambda a: a.index)

    @property
    def loops(self) -> list[Loop]:
        return sorted((s for s in self.statements() if isinstance(s, Loop)), key=lambda lp: lp.index)

    def loop_depth(self) -> int:
        """Deepest nesting of loops (0 without loops)."""
        best = 0
        stack: list[tuple[tuple[Stmt, ...], int]] = [(self.body, 0)]
        while stack:
            stmts, depth = stack.pop()
            for s in stmts:
                if isinstance(s, Loop):
                    best = max(best, depth + 1)
                    stack.append(((*s.prelude, *s.body, *s.update), depth + 1))
                elif isinstance(s, If):
                    stack.append(((*s.then, *s.orelse), depth))
        return best

    def show(self, name: str) -> str:
        """The source-level name of an IR variable (C block scopes may rename shadowed variables)."""
        return self.display.get(name, name)
