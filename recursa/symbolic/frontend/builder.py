"""The state and helpers the C and Python front ends share while they convert one function to the IR.

A front end walks tree-sitter nodes with generators driven by an explicit stack (:func:`drive`), so arbitrarily
deep nesting never reaches Python's recursion limit. :class:`Builder` holds what one function's conversion
accumulates (variables, pending statements, notes, unsigned widths); :class:`StatementWalker` is the statement
dispatch both front ends use, driven by per-language node-kind tables, with the statements the two languages
share in shape (``if``, ``while``, ``break`` / ``continue`` / ``return``).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from recursa.symbolic.ir import (
    FALSE,
    TRUE,
    Assert,
    Assume,
    Binary,
    Break,
    Const,
    Continue,
    Expr,
    Function,
    Havoc,
    If,
    Ite,
    Loc,
    Loop,
    Return,
    Sort,
    Stmt,
    Unary,
    Var,
)
from recursa.trees.flatten import SyntaxDiagnostic

if TYPE_CHECKING:
    from tree_sitter import Node, Tree


class UnsupportedError(Exception):
    """A construct outside the supported subset, at a source location."""

    def __init__(self, construct: str, loc: Loc, detail: str = "") -> None:
        self.construct = construct
        self.loc = loc
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"unsupported {self.construct} at {self.loc}{extra}"


@dataclass(frozen=True)
class Unsupported:
    construct: str
    loc: Loc
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"construct": self.construct, "line": self.loc.line, "column": self.loc.col,
                "message": self.message}


@dataclass
class FunctionUnit:
    """One function of a file: converted (``function``) or not (``unsupported``), with its assertions."""

    name: str
    loc: Loc
    start_byte: int
    end_byte: int
    assertion_locs: list[Loc]
    loop_count: int
    function: Function | None = None
    unsupported: Unsupported | None = None
    #: what the front end left out of the function, and why (``"12:5: dropped 'printf(...)': ..."``)
    notes: list[str] = field(default_factory=list)


@dataclass
class ProgramFile:
    """A parsed source file: its functions, syntax errors and the tree-sitter tree."""

    path: str
    language: str
    source: bytes
    units: list[FunctionUnit] = field(default_factory=list)
    syntax_errors: list[SyntaxDiagnostic] = field(default_factory=list)
    tree: Tree | None = None


NONDET_RE = re.compile(r"^(unknown|nondet|__VERIFIER_nondet)\w*$")
ASSUME_NAMES = frozenset({"assume", "__VERIFIER_assume", "assume_abort_if_not"})
ASSERT_NAMES = frozenset({"assert", "__VERIFIER_assert"})
ERROR_NAMES = frozenset({"reach_error", "__VERIFIER_error"})
HALT_NAMES = frozenset({"abort", "exit"})
#: Calls that only print: at statement level, with arguments that change nothing, they cannot affect any
#: assertion, so they are dropped (with a note) instead of making the function unsupported.
OUTPUT_NAMES = {"c": frozenset({"printf", "puts", "putchar", "fprintf", "fputs", "fflush", "perror"}),
                "python": frozenset({"print"})}
HELPER_NAMES = ASSUME_NAMES | ASSERT_NAMES | ERROR_NAMES | HALT_NAMES
#: ``__VERIFIER_nondet_<kind>`` of an unsigned kind -> width.
_NONDET_UNSIGNED = {"uint": 32, "unsigned": 32, "u32": 32, "ulong": 64, "ulonglong": 64, "u64": 64,
                    "ushort": 16, "u16": 16, "uchar": 8, "u8": 8, "size_t": 64}

#: The width of ``int`` under ``--int-semantics machine``.
MACHINE_BITS = 32
INT_MIN, INT_MAX = -(1 << (MACHINE_BITS - 1)), (1 << (MACHINE_BITS - 1)) - 1


def wrap32(v: int) -> int:
    """``v`` as a 32-bit two's-complement value (the bit pattern machine integers hold)."""
    return ((v - INT_MIN) % (1 << MACHINE_BITS)) + INT_MIN


#: A conversion step: a generator that yields sub-steps (run by :func:`drive`) and returns their result.
Gen = Generator[Any, Any, Any]


def is_nondet_name(name: str) -> bool:
    return bool(NONDET_RE.match(name))


def node_loc(node: Node, source: bytes) -> Loc:
    """The 1-based line and column (in characters) where ``node`` starts."""
    row, col = node.start_point
    start = node.start_byte - col
    return Loc(row + 1, len(source[start:node.start_byte].decode("utf-8", "replace")) + 1)


# ---- typed expression helpers -------------------------------------------------------------------------


def as_bool(e: Expr) -> Expr:
    if e.sort is Sort.BOOL:
        return e
    if isinstance(e, Const):
        return TRUE if e.value else FALSE
    if isinstance(e, Unary) and e.op == "to_int":
        return e.arg
    return Unary("to_bool", e, Sort.BOOL)


def as_int(e: Expr) -> Expr:
    if e.sort is Sort.INT:
        return e
    if isinstance(e, Const):
        return Const(1 if e.value else 0)
    return Unary("to_int", e, Sort.INT)


def negate(e: Expr) -> Expr:
    e = as_bool(e)
    if isinstance(e, Const):
        return FALSE if e.value else TRUE
    if isinstance(e, Unary) and e.op == "not":
        return e.arg
    return Unary("not", e, Sort.BOOL)


def arith(op: str, a: Expr, b: Expr) -> Expr:
    return Binary(op, as_int(a), as_int(b), Sort.INT)


def compare(op: str, a: Expr, b: Expr) -> Expr:
    if op in ("eq", "ne") and a.sort is Sort.BOOL and b.sort is Sort.BOOL:
        return Binary(op, a, b, Sort.BOOL)
    return Binary(op, as_int(a), as_int(b), Sort.BOOL)


def logic(op: str, a: Expr, b: Expr) -> Expr:
    return Binary(op, as_bool(a), as_bool(b), Sort.BOOL)


def neg(e: Expr) -> Expr:
    e = as_int(e)
    if isinstance(e, Const):
        return Const(-e.value)
    return Unary("neg", e, Sort.INT)


def ite(c: Expr, a: Expr, b: Expr) -> Expr:
    c = as_bool(c)
    if a.sort is Sort.BOOL and b.sort is Sort.BOOL:
        return Ite(c, a, b, Sort.BOOL)
    return Ite(c, as_int(a), as_int(b), Sort.INT)


def coerce(e: Expr, sort: Sort) -> Expr:
    return as_bool(e) if sort is Sort.BOOL else as_int(e)


# ---- shared per-function state ------------------------------------------------------------------------


class Builder:
    """State shared by both front ends while one function is converted."""

    def __init__(self, source: bytes, language: str, machine: bool) -> None:
        self.source = source
        self.language = language
        self.machine = machine
        self.variables: dict[str, Sort] = {}
        self.display: dict[str, str] = {}
        self.pending: list[Stmt] = []
        self.constants: set[int] = set()
        self.havoc_sites = 0
        self.assert_count = 0
        self.loop_count = 0
        self.temp_count = 0
        self.notes: list[str] = []
        # C unsigned values: variable -> width, and expressions of an unsigned type (kept alive with their width)
        self.unsigned: dict[str, int] = {}
        self.unsigned_exprs: dict[int, tuple[Expr, int]] = {}

    def check_unsigned(self, what: str, loc: Loc, width: int) -> None:
        """Machine integers are 32 bits wide: a wider unsigned type cannot be modelled with them."""
        if self.machine and width > MACHINE_BITS:
            raise UnsupportedError(f"unsigned {what}", loc,
                                   f"{width}-bit unsigned types are supported with --int-semantics math")

    def in_range(self, e: Expr, width: int) -> Expr:
        """``0 <= e < 2**width``: the values of an unsigned type of that width. A 32-bit unsigned value under
        machine integers is any bit pattern (read as unsigned by the operators that care)."""
        if self.machine and width >= MACHINE_BITS:
            return TRUE
        return logic("and", compare("ge", e, Const(0)), compare("lt", e, self.int_literal(1 << width)))

    def width_of(self, e: Expr) -> int | None:
        """The width of ``e``'s unsigned C type, ``None`` for a signed (or boolean) value."""
        hit = self.unsigned_exprs.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        return self.unsigned.get(e.name) if isinstance(e, Var) else None

    def reduce(self, e: Expr, width: int) -> Expr:
        """``e mod 2**width``, typed unsigned: C's wrap-around for unsigned arithmetic and conversions. Under
        machine integers a 32-bit unsigned value keeps its bit pattern (arithmetic already wraps) and a narrower
        one is masked."""
        if isinstance(e, Const):  # a fresh node: the tag must not stick to a constant shared elsewhere
            value = e.value % (1 << width)
            out: Expr = self.int_literal(wrap32(value) if self.machine else value)
        elif self.machine and width >= MACHINE_BITS:
            out = dataclasses.replace(as_int(e))  # the same bits, in a fresh node that carries the unsigned tag
        elif self.machine:
            out = arith("band", e, self.int_literal((1 << width) - 1))
        else:
            out = arith("fmod", e, self.int_literal(1 << width))
        self.unsigned_exprs[id(out)] = (out, width)
        return out

    def tag(self, e: Expr, width: int | None) -> Expr:
        if width is not None:
            self.unsigned_exprs[id(e)] = (e, width)
        return e

    def common_width(self, a: Expr, c: Expr) -> int | None:
        """C's usual arithmetic conversions, reduced to what matters here: the result is unsigned when an
        operand is unsigned and at least as wide as ``int`` (narrower ones promote to signed ``int``); signed
        operands are taken to be ``int``-wide."""
        widths = [w for w in (self.width_of(a), self.width_of(c)) if w is not None and w >= 32]
        return max(widths) if widths else None

    def loc(self, node: Node) -> Loc:
        return node_loc(node, self.source)

    def text(self, node: Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def fresh(self, base: str, sort: Sort) -> str:
        name = base
        k = 2
        while name in self.variables:
            name = f"{base}_{k}"
            k += 1
        self.variables[name] = sort
        return name

    def havoc(self, var: str, sort: Sort, loc: Loc, reason: str, unmodelled: str = "") -> Havoc:
        self.havoc_sites += 1
        return Havoc(var, sort, loc, self.havoc_sites, reason, unmodelled)

    def unmodelled_value(self, construct: str, loc: Loc) -> Expr:
        """An arbitrary integer standing for the value of ``construct``, outside the subset (see
        :attr:`Havoc.unmodelled`)."""
        self.temp_count += 1
        tmp = self.fresh(f"__um{self.temp_count}", Sort.INT)
        self.pending.append(self.havoc(tmp, Sort.INT, loc, construct, construct))
        self.notes.append(f"{loc}: {construct} is not modelled: it is taken to be any value, and a violation that "
                          "passes through it is reported unsupported")
        return Var(tmp)

    def nondet_value(self, name: str, loc: Loc) -> Expr:
        low = name.lower()
        kind = low.rsplit("nondet", 1)[-1].lstrip("_") if "nondet" in low else ""
        width = _NONDET_UNSIGNED.get(kind)
        if width is not None:
            self.check_unsigned(f"nondeterministic value '{name}()'", loc, width)
            self.temp_count += 1
            tmp = self.fresh(f"__nd{self.temp_count}", Sort.INT)
            self.pending.append(self.havoc(tmp, Sort.INT, loc, f"{name}()"))
            if not (self.machine and width >= MACHINE_BITS):
                self.pending.append(Assume(self.in_range(Var(tmp), width), loc))
            self.unsigned[tmp] = width
            return Var(tmp)
        if "unsigned" in low or "size_t" in low:
            raise UnsupportedError(f"unsigned nondeterministic value '{name}()'", loc)
        if kind in ("float", "double", "pointer", "pchar"):
            raise UnsupportedError(f"nondeterministic {kind} '{name}()'", loc)
        sort = Sort.BOOL if "bool" in low else Sort.INT
        self.temp_count += 1
        tmp = self.fresh(f"__nd{self.temp_count}", sort)
        self.pending.append(self.havoc(tmp, sort, loc, f"{name}()"))
        ranges = {"char": 8, "schar": 8, "short": 16}
        if kind in ranges:
            bits = ranges[kind]
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
            var = Var(tmp, sort)
            self.pending.append(Assume(logic("and", compare("ge", var, Const(lo)), compare("le", var, Const(hi))),
                                       loc))
        return Var(tmp, sort)

    def take_pending(self) -> list[Stmt]:
        out, self.pending = self.pending, []
        return out

    def check_bitwise(self, op: str, loc: Loc) -> None:
        if not self.machine:
            raise UnsupportedError(f"bitwise operator '{op}'", loc,
                                   "supported only with --int-semantics machine")

    def arith_or_bitwise(self, sym: str, a: Expr, c: Expr, loc: Loc) -> Expr | None:
        """``+ - *`` and the bitwise operators, alike in C and Python; ``None`` for any other operator."""
        ops = {"+": "add", "-": "sub", "*": "mul"}
        if sym in ops:
            return arith(ops[sym], a, c)
        bit = {"&": "band", "|": "bor", "^": "bxor", "<<": "shl", ">>": "shr"}
        if sym in bit:
            self.check_bitwise(sym, loc)
            if sym in ("<<", ">>") and not (isinstance(c, Const) and 0 <= c.value < 32):
                raise UnsupportedError(f"shift '{sym}' by a non-constant or out-of-range amount", loc)
            return arith(bit[sym], a, c)
        return None

    def int_literal(self, value: int) -> Const:
        self.constants.add(value)
        return Const(value)

    def divide(self, op: str, a: Expr, b: Expr, sym: str, loc: Loc) -> Expr:
        if not isinstance(b, Const) or b.sort is not Sort.INT:
            raise UnsupportedError(f"'{sym}' by a non-constant", loc, "only constant divisors are supported")
        if b.value == 0:
            raise UnsupportedError(f"'{sym}' by zero", loc)
        return arith(op, a, b)

    def assertion(self, cond: Expr, loc: Loc, text: str) -> Assert:
        self.assert_count += 1
        return Assert(cond, loc, self.assert_count, text)

    def next_check(self) -> int:
        """The index of a new implicit check (numbered with the assertions)."""
        self.assert_count += 1
        return self.assert_count


def loop_prelude(stmts: list[Stmt], loc: Loc) -> list[Stmt]:
    """A loop condition's pending statements, which run at every visit of the loop head: only arbitrary values,
    their assumptions and implicit overflow checks can go there (an inlined call in a loop condition cannot)."""
    for s in stmts:
        if isinstance(s, Assert) and s.kind == "overflow":
            continue
        if not isinstance(s, (Havoc, Assume)):
            raise UnsupportedError("side effect in a loop condition", loc,
                                   "an assignment, '++'/'--' or function call in the condition of a loop")
    return stmts


# ---- the statement walker both front ends share ----------------------------------------------------------


class StatementWalker(ABC):
    """Statement dispatch driven by per-language node-kind tables.

    A front end sets :attr:`SKIP` (kinds that convert to nothing), :attr:`STATEMENTS` (kind -> the name of the
    method that converts it, called with the node and its location) and :attr:`UNSUPPORTED` (the construct an
    error names for a kind outside the subset; other kinds are named by their node type), and provides
    :meth:`expr`, :meth:`cond`, :meth:`branch` and :meth:`orelse`. The statements alike in both languages
    (``if``, ``while``, ``break`` / ``continue`` / ``return``) are converted here.
    """

    b: Builder
    SKIP: ClassVar[frozenset[str]] = frozenset()
    STATEMENTS: ClassVar[dict[str, str]] = {}
    UNSUPPORTED: ClassVar[dict[str, str]] = {}

    def stmt(self, node: Node) -> Gen:
        kind = node.type
        loc = self.b.loc(node)
        if kind in self.SKIP:
            return []
        method = self.STATEMENTS.get(kind)
        if method is None:
            raise UnsupportedError(self.UNSUPPORTED.get(kind, kind.replace("_", " ")), loc)
        return (yield getattr(self, method)(node, loc))

    # -- what each language provides --
    @abstractmethod
    def expr(self, node: Node) -> Gen:
        """An expression's value (a step returning an :class:`Expr`); its effects and checks go to ``pending``."""

    @abstractmethod
    def cond(self, node: Node) -> Gen:
        """A condition's value, as a boolean."""

    @abstractmethod
    def branch(self, node: Node) -> Gen:
        """The statements of a branch or loop body (the node of its ``consequence`` / ``body`` field)."""

    @abstractmethod
    def orelse(self, node: Node) -> Gen:
        """The statements of an ``if`` statement's else-part (empty without one)."""

    # -- statements alike in both languages --
    def if_stmt(self, node: Node, loc: Loc) -> Gen:
        cond = yield self.cond(node.child_by_field_name("condition"))
        pre = self.b.take_pending()
        then = yield self.branch(node.child_by_field_name("consequence"))
        orelse = yield self.orelse(node)
        return [*pre, If(cond, tuple(then), tuple(orelse), loc)]

    def while_stmt(self, node: Node, loc: Loc) -> Gen:
        b = self.b
        b.loop_count += 1
        index = b.loop_count
        cond = yield self.cond(node.child_by_field_name("condition"))
        prelude = loop_prelude(b.take_pending(), loc)
        body = yield self.branch(node.child_by_field_name("body"))
        return [Loop(cond, tuple(body), loc, index, tuple(prelude), (), False, "while",
                     node.start_byte, node.end_byte)]

    def jump_stmt(self, node: Node, loc: Loc) -> Gen:
        """``break`` / ``continue`` / ``return [expr]``: a returned expression contributes the statements it has
        pending (its effects and checks); its value is not modelled."""
        if node.type == "break_statement":
            return [Break(loc)]
        if node.type == "continue_statement":
            return [Continue(loc)]
        kids = [c for c in node.named_children if c.type != "comment"]
        pre: list[Stmt] = []
        if kids:
            yield self.expr(kids[0])
            pre = self.b.take_pending()
        return [*pre, Return(loc)]


# ---- finding a file's functions, loops and assertions --------------------------------------------------


class ByStart:
    """Nodes sorted by start byte, so that "the nodes inside this span" is a binary search plus the answer's
    length (a file with thousands of functions and assertions would otherwise compare every pair)."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
        self.starts = [n.start_byte for n in self.nodes]

    def within(self, start: int, end: int) -> list[Node]:
        """Nodes with ``start <= n.start_byte`` and ``n.end_byte <= end``, in source order."""
        lo = bisect.bisect_left(self.starts, start)
        hi = bisect.bisect_right(self.starts, end)
        return [n for n in self.nodes[lo:hi] if n.end_byte <= end]


def count_within(nodes: ByStart, outer: Node) -> list[Node]:
    return nodes.within(outer.start_byte, outer.end_byte)


def innermost(nodes: ByStart, outer: Node, funcs: ByStart) -> list[Node]:
    """``nodes`` inside ``outer`` and not inside a function nested in it."""
    inner = [f for f in funcs.within(outer.start_byte, outer.end_byte)
             if f is not outer and (f.start_byte, f.end_byte) != (outer.start_byte, outer.end_byte)]
    found = count_within(nodes, outer)
    if not inner:
        return found
    return [n for n in found if not covered(merged_spans(inner), n.start_byte, n.end_byte)]


def merged_spans(nodes: list[Node]) -> list[tuple[int, int]]:
    """The union of the nodes' byte spans as disjoint sorted intervals."""
    out: list[tuple[int, int]] = []
    for n in sorted(nodes, key=lambda n: n.start_byte):
        if out and n.start_byte <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], n.end_byte))
        else:
            out.append((n.start_byte, n.end_byte))
    return out


def covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True if ``[start, end]`` lies inside one of the disjoint sorted ``spans``."""
    i = bisect.bisect_right(spans, (start, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= start and end <= spans[i][1]


@dataclass(frozen=True)
class Scan:
    """What the tree-sitter queries found in a file, handed to a language's loader."""

    root: Node
    functions: list[Node]
    loops: ByStart
    asserts: ByStart
    function_index: ByStart
    machine: bool
