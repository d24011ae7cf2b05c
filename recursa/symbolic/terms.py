"""Typed SMT-LIB terms: the one representation of logical formulas in recursa.

SMT-LIB2 and SyGuS-IF text is read into these values by :mod:`recursa.symbolic.smtlib` (through the
tree-sitter s-expression grammar); the synthesiser builds candidate programs out of them; they become Z3
expressions with :func:`recursa.symbolic.smtlib.to_z3` and SMT-LIB text again with :func:`to_smtlib`.

Three node classes: :class:`Var` (a declared variable, a function parameter, a ``let`` binder, or a grammar
non-terminal), :class:`Lit` (a Bool, Int or bit-vector literal) and :class:`App` (an operator or a
user-defined function applied to arguments). Operator names are SMT-LIB's own (``+``, ``bvadd``, ``ite``,
``extract`` with ``indices=(i, j)``, ...); a user function keeps its name (``f``, ``inv``, a ``define-fun``).

Terms compare by identity (``eq=False``): structural equality on dataclasses recurses, and formulas may
nest arbitrarily deep. :func:`structural_key` gives a hashable structural key, iteratively. Every walk in
this module uses an explicit stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from recursa.symbolic.ir import fold as _fold
from recursa.symbolic.ir import postorder as _postorder


@dataclass(frozen=True, slots=True)
class Sort:
    """``Bool``, ``Int`` or ``(_ BitVec width)``."""

    name: str  # "Bool" | "Int" | "BitVec"
    width: int = 0  # bit-vectors only

    def __str__(self) -> str:
        return f"(_ BitVec {self.width})" if self.name == "BitVec" else self.name

    @property
    def is_bv(self) -> bool:
        return self.name == "BitVec"


BOOL = Sort("Bool")
INT = Sort("Int")


def bitvec(width: int) -> Sort:
    if width <= 0:
        raise ValueError(f"bit-vector width must be positive, got {width}")
    return Sort("BitVec", width)


@dataclass(frozen=True, slots=True)
class Span:
    """Where a term came from: 1-based line and column in ``path``."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class Term:
    """Base of the term nodes; ``sort`` is a :class:`Sort`."""

    sort: Sort
    __slots__ = ()

    def children(self) -> tuple[Term, ...]:
        return ()


@dataclass(eq=False, frozen=True, slots=True)
class Var(Term):
    name: str
    sort: Sort
    span: Span | None = None


@dataclass(eq=False, frozen=True, slots=True)
class Lit(Term):
    """A literal: ``bool`` for Bool, ``int`` for Int, and for bit-vectors the unsigned value ``0 <= v < 2**w``."""

    value: bool | int
    sort: Sort
    span: Span | None = None


@dataclass(eq=False, frozen=True, slots=True)
class App(Term):
    op: str
    args: tuple[Term, ...]
    sort: Sort
    indices: tuple[int, ...] = ()  # (_ extract i j) -> (i, j); (_ zero_extend k) -> (k,) ...
    span: Span | None = None

    def children(self) -> tuple[Term, ...]:
        return self.args


TermLike = Var | Lit | App
T = TypeVar("T")


def postorder(term: Term) -> list[Term]:
    """All nodes of ``term`` children first (a shared sub-term is listed once per occurrence)."""
    return _postorder(term)  # type: ignore[arg-type,return-value]


def fold(term: Term, fn: Callable[[Term, list[T]], T]) -> T:
    """Evaluate ``term`` bottom-up with ``fn(node, child_values)``; shared sub-terms are computed once."""
    return _fold(term, fn)  # type: ignore[arg-type]


def size(term: Term) -> int:
    return len(postorder(term))


def free_vars(term: Term) -> set[str]:
    return {n.name for n in postorder(term) if isinstance(n, Var)}


def applications(term: Term) -> Iterator[App]:
    for n in postorder(term):
        if isinstance(n, App):
            yield n


def structural_key(term: Term) -> tuple:
    """A hashable key equal for structurally equal terms (computed without recursion)."""

    def fn(node: Term, kids: list[tuple]) -> tuple:
        if isinstance(node, Var):
            return ("v", node.name, node.sort)
        if isinstance(node, Lit):
            return ("l", node.value, node.sort)
        assert isinstance(node, App)
        return ("a", node.op, node.indices, node.sort, *kids)

    return fold(term, fn)


def literal_text(value: bool | int, sort: Sort) -> str:
    """SMT-LIB text of a literal: ``true``, ``7``, ``(- 7)``, ``#x00ff`` (``#b...`` when the width is not a
    multiple of 4)."""
    if sort.name == "Bool":
        return "true" if value else "false"
    if sort.name == "Int":
        v = int(value)
        return str(v) if v >= 0 else f"(- {-v})"
    v = int(value) % (1 << sort.width)
    if sort.width % 4 == 0:
        return "#x" + format(v, f"0{sort.width // 4}x")
    return "#b" + format(v, f"0{sort.width}b")


# SMT-LIB's simple symbols: letters, digits and ~!@$%^&*_-+=<>.?/, not starting with a digit.
SIMPLE_SYMBOL = re.compile(r"[A-Za-z~!@$%^&*_\-+=<>.?/][A-Za-z0-9~!@$%^&*_\-+=<>.?/]*")


def symbol_text(name: str) -> str:
    """``name`` as SMT-LIB writes it: bare when it is a simple symbol, else ``|quoted|``."""
    return name if SIMPLE_SYMBOL.fullmatch(name) else f"|{name}|"


def to_smtlib(term: Term) -> str:
    """SMT-LIB text of ``term`` (iterative; indexed operators print as ``((_ extract 7 0) x)``).

    Pieces are emitted into one list and joined once, so the time is linear in the length of the text (building
    each sub-term's string and concatenating them is quadratic on deep terms: 15 s at depth 10,000)."""
    out: list[str] = []
    stack: list[Term | str] = [term]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Var):
            out.append(symbol_text(node.name))
        elif isinstance(node, Lit):
            out.append(literal_text(node.value, node.sort))
        else:
            assert isinstance(node, App)
            op = symbol_text(node.op)
            head = op if not node.indices else f"(_ {op} {' '.join(map(str, node.indices))})"
            if not node.args:
                out.append(head)
                continue
            out.append("(" + head)
            stack.append(")")
            for child in reversed(node.args):
                stack.append(child)
                stack.append(" ")
    return "".join(out)
