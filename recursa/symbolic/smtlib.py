"""SMT-LIB2 formulas: text -> typed terms (:mod:`recursa.symbolic.terms`) -> Z3 or concrete values.

Supported (everything else is refused with a message naming ``file:line:col``):

- sorts ``Bool``, ``Int``, ``(_ BitVec n)`` for any ``n >= 1`` (and ``define-sort`` aliases without parameters);
- literals ``true``/``false``, numerals, ``(- 7)`` (read as the literal -7), ``#x00ff``, ``#b0101``,
  ``(_ bv5 8)``; ``|quoted|`` symbols;
- core: ``not and or xor => = distinct ite`` (n-ary ``and``/``or``, left-assoc ``xor``, right-assoc ``=>``,
  chained ``=``, pairwise ``distinct``);
- Ints: ``+ - * div mod abs < <= > >=`` (n-ary ``+ - *``, left-assoc ``div``, chained comparisons, unary minus);
- bit-vectors: ``concat``, ``(_ extract i j)``, ``(_ zero_extend k)``, ``(_ sign_extend k)``, ``(_ repeat k)``,
  ``(_ rotate_left k)``, ``(_ rotate_right k)``, ``bvnot bvand bvor bvxor bvnand bvnor bvxnor bvneg bvadd bvsub
  bvmul bvudiv bvurem bvsdiv bvsrem bvsmod bvshl bvlshr bvashr bvult bvule bvugt bvuge bvslt bvsle bvsgt bvsge
  bvcomp``;
- ``let`` (parallel binding, shadowing; expanded by sharing the bound term, so no ``let`` node exists; SyGuS
  v1's typed bindings ``(x Sort term)`` too),
  ``(! t :named n)`` annotations (ignored);
- scripts (:func:`read_script`): ``declare-fun``, ``declare-const``, ``define-fun``, ``define-sort`` without
  parameters, ``assert``; ``set-info``/``set-option``/``check-sat``/``get-*``/``exit`` are skipped. A name given
  with ``(! t :named n)`` is not defined for later use.

:func:`to_z3` (typed term -> Z3, given Z3 terms for the free variables and callables for user functions) and
:func:`evaluate` (typed term -> Python value, SMT-LIB semantics; integer division by zero raises
:class:`UndefinedValue`) are what the synthesis engine builds on; :func:`macro` and :func:`evaluator` turn a
``define-fun`` (or a candidate body) into the callable each of them expects.

Strings, reals, arrays, quantifiers, datatypes raise :class:`SmtlibUnsupported` (a subclass of
:class:`SmtlibError`, itself a ``ValueError``) so callers can say *unsupported* rather than *error*.

Text is parsed with tree-sitter (the ``smtlib`` language, the Common Lisp grammar). Where that grammar reports
an error on balanced text (it gives Lisp's ``(loop ...)``/``(defun ...)`` special shapes), a plain s-expression
scanner reads the text instead; unbalanced text is reported at the unmatched parenthesis. Nothing here recurses
on the depth of the input: the reader, :func:`to_z3` and :func:`evaluate` use explicit stacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from recursa.symbolic import concrete
from recursa.symbolic.concrete import UndefinedValue
from recursa.symbolic.terms import BOOL, INT, SIMPLE_SYMBOL, App, Lit, Sort, Span, Term, Var, bitvec

if TYPE_CHECKING:
    import z3

__all__ = [
    "SmtlibError",
    "SmtlibUnsupported",
    "UndefinedValue",
    "Atom",
    "SList",
    "SExpr",
    "FunSig",
    "FunDef",
    "Script",
    "Reader",
    "parse_sexprs",
    "read_script",
    "read_term",
    "to_z3",
    "z3_sort",
    "macro",
    "evaluate",
    "evaluator",
    "THEORY_OPS",
]


# ----------------------------------------------------------------------------------------------- errors


class SmtlibError(ValueError):
    """Bad SMT-LIB / SyGuS input; ``str()`` is ``file:line:col: message``."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        self.path = path
        self.line = line
        self.col = col
        self.message = message
        super().__init__(f"{path}:{line}:{col}: {message}")


class SmtlibUnsupported(SmtlibError):
    """Well-formed input that uses something recursa does not handle (strings, reals, quantifiers, ...)."""


# ----------------------------------------------------------------------------------------------- s-expressions


@dataclass(frozen=True, slots=True)
class Atom:
    """A leaf: ``kind`` is ``sym`` (symbol, bars stripped), ``num``, ``hex``, ``bin``, ``dec``, ``str``, ``kwd``
    or ``other``. ``line``/``col`` are 1-based."""

    kind: str
    text: str
    line: int
    col: int


@dataclass(eq=False, frozen=True, slots=True)
class SList:
    """A parenthesised list (compares by identity: structural equality would recurse on deep input)."""

    items: tuple[SExpr, ...]
    line: int
    col: int


SExpr = Atom | SList


_SIMPLE_SYMBOL = SIMPLE_SYMBOL


def _atom_kind(text: str, ts_kind: str) -> str:
    if ts_kind == "fancy_literal":
        return "sym"
    if ts_kind == "kwd_lit" or text.startswith(":"):
        return "kwd"
    if ts_kind == "str_lit" or text.startswith('"'):
        return "str"
    if text.startswith("#x") and len(text) > 2 and all(c in "0123456789abcdefABCDEF" for c in text[2:]):
        return "hex"
    if text.startswith("#b") and len(text) > 2 and all(c in "01" for c in text[2:]):
        return "bin"
    if text.isdigit() and text.isascii():
        return "num"
    head, dot, tail = text.partition(".")
    if dot and head.isdigit() and tail.isdigit():
        return "dec"
    if _SIMPLE_SYMBOL.fullmatch(text):
        return "sym"
    return "other"


def parse_sexprs(text: str, path: str = "<input>") -> list[SExpr]:
    """The top-level s-expressions of ``text`` (comments dropped). Syntax errors raise :class:`SmtlibError`."""
    # A byte-order mark is not SMT-LIB text (editors on Windows write one); columns count after it.
    data = text.removeprefix("\ufeff").encode("utf-8")
    from recursa.trees.languages import get_language

    tree = get_language("smtlib").parser().parse(data)
    if not tree.root_node.has_error:
        try:
            return _from_tree(tree.root_node, path)
        except _LispForm:
            pass
    # Either the text is broken (the scanner names the unmatched parenthesis) or it is balanced and the Common
    # Lisp grammar read a Lisp special form such as (lambda ...), (defun ...) or (loop ...) in its own way, or
    # tripped on one: the scanner reads the plain s-expressions.
    return _scan(data, path)


class _LispForm(Exception):
    """The tree holds a Common Lisp special form (defun, loop, quoting ...) instead of plain lists."""


def _from_tree(root: Any, path: str) -> list[SExpr]:
    """Convert an error-free tree with a cursor walk (no recursion; cheaper than reading ``Node.children``)."""
    top: list[SExpr] = []
    # One entry per open list: its items so far and where it starts.
    open_lists: list[tuple[list[SExpr], int, int]] = [(top, 0, 0)]
    cursor = root.walk()
    if not cursor.goto_first_child():
        return top
    while True:
        node = cursor.node
        kind = node.type
        if kind == "list_lit":
            row, col = node.start_point
            open_lists.append(([], row + 1, col + 1))
            if cursor.goto_first_child():
                continue
        elif kind not in _SKIPPED_KINDS:
            if kind not in _LEAF_KINDS:
                raise _LispForm(kind)
            row, col = node.start_point
            text = node.text.decode("utf-8")
            if kind == "fancy_literal" or (len(text) >= 2 and text[0] == "|" and text[-1] == "|"):
                open_lists[-1][0].append(Atom("sym", text[1:-1], row + 1, col + 1))
            else:
                open_lists[-1][0].append(Atom(_atom_kind(text, kind), text, row + 1, col + 1))
        while not cursor.goto_next_sibling():
            if len(open_lists) == 1:
                return top
            cursor.goto_parent()  # back to the list_lit whose items are done
            items, line, col = open_lists.pop()
            open_lists[-1][0].append(SList(tuple(items), line, col))


_SKIPPED_KINDS = frozenset({"comment", "block_comment", "(", ")"})
_LEAF_KINDS = frozenset({"sym_lit", "num_lit", "fancy_literal", "kwd_lit", "str_lit", "nil_lit", "char_lit"})


def _scan(data: bytes, path: str) -> list[SExpr]:
    """A plain s-expression scanner (used where tree-sitter reports an error) with precise error positions."""
    top: list[SExpr] = []
    stack: list[tuple[list[SExpr], int, int]] = []  # (items, line, col) of each open list
    items = top
    i, n, line, line_start = 0, len(data), 1, 0
    delims = b"()\t\n\r ;\""

    def pos(at: int) -> tuple[int, int]:
        return line, at - line_start + 1

    while i < n:
        c = data[i]
        if c == 0x0A:
            line += 1
            i += 1
            line_start = i
        elif c in b" \t\r":
            i += 1
        elif c == 0x3B:  # ; comment to end of line
            while i < n and data[i] != 0x0A:
                i += 1
        elif c == 0x28:
            ln, col = pos(i)
            stack.append((items, ln, col))
            items = []
            i += 1
        elif c == 0x29:
            if not stack:
                ln, col = pos(i)
                raise SmtlibError(path, ln, col, "unbalanced parentheses: ')' without a matching '('")
            parent, ln, col = stack.pop()
            parent.append(SList(tuple(items), ln, col))
            items = parent
            i += 1
        elif c in b'"|':
            ln, col = pos(i)
            j = i + 1
            while True:
                if j >= n:
                    what = "string literal" if c == 0x22 else "quoted symbol"
                    raise SmtlibError(path, ln, col, f"unterminated {what}")
                if data[j] == c:
                    if c == 0x22 and j + 1 < n and data[j + 1] == 0x22:  # "" is one quote inside a string
                        j += 2
                        continue
                    break
                if data[j] == 0x0A:
                    line += 1
                    line_start = j + 1
                j += 1
            text = data[i : j + 1].decode("utf-8")
            items.append(Atom("str", text, ln, col) if c == 0x22 else Atom("sym", text[1:-1], ln, col))
            i = j + 1
        else:
            ln, col = pos(i)
            j = i
            while j < n and data[j] not in delims:
                j += 1
            text = data[i:j].decode("utf-8")
            items.append(Atom(_atom_kind(text, ""), text, ln, col))
            i = j
    if stack:
        # The outermost unclosed list is usually the command whose ')' is missing.
        _, ln, col = stack[0]
        raise SmtlibError(path, ln, col, "unbalanced parentheses: '(' is never closed")
    return top


# ----------------------------------------------------------------------------------------------- sorts & operators


@dataclass(frozen=True, slots=True)
class FunSig:
    """A user function's signature (declared, defined, or to be synthesised)."""

    name: str
    params: tuple[Sort, ...]
    sort: Sort


@dataclass(frozen=True)
class FunDef:
    """``(define-fun name ((p S) ...) S body)``."""

    name: str
    params: tuple[tuple[str, Sort], ...]
    sort: Sort
    body: Term
    span: Span | None = None

    @property
    def sig(self) -> FunSig:
        return FunSig(self.name, tuple(s for _, s in self.params), self.sort)


_BOOL_NARY = {"and", "or"}  # >= 1 argument
_BOOL_LEFT = {"xor", "=>"}  # >= 2 arguments
_INT_NARY = {"+", "*"}
_INT_CMP = {"<", "<=", ">", ">="}
_BV_UNARY = {"bvnot", "bvneg"}
_BV_NARY = {"bvand", "bvor", "bvxor", "bvadd", "bvmul"}
_BV_BINARY = {
    "bvnand", "bvnor", "bvxnor", "bvsub", "bvudiv", "bvurem", "bvsdiv", "bvsrem", "bvsmod", "bvshl", "bvlshr",
    "bvashr",
}  # fmt: skip
_BV_CMP = {"bvult", "bvule", "bvugt", "bvuge", "bvslt", "bvsle", "bvsgt", "bvsge"}
_INDEXED = {"extract": 2, "zero_extend": 1, "sign_extend": 1, "rotate_left": 1, "rotate_right": 1, "repeat": 1}

THEORY_OPS: frozenset[str] = frozenset(
    {"not", "=", "distinct", "ite", "-", "div", "mod", "abs", "bvcomp", "concat"}
    | _BOOL_NARY | _BOOL_LEFT | _INT_NARY | _INT_CMP | _BV_UNARY | _BV_NARY | _BV_BINARY | _BV_CMP | set(_INDEXED)
)
"""Every operator name this module interprets (an ``App`` with another ``op`` is a user function)."""

_UNSUPPORTED_SORTS = {"Real": "reals", "String": "strings", "Enum": "enumerated sorts",
                      "RegLan": "regular expressions", "Array": "arrays",
                      "Seq": "sequences", "Float32": "floating point", "Float64": "floating point",
                      "FloatingPoint": "floating point", "RoundingMode": "floating point"}  # fmt: skip
_UNSUPPORTED_OPS = {
    "/": "reals", "to_real": "reals", "to_int": "reals", "is_int": "reals", "select": "arrays", "store": "arrays",
    "forall": "quantifiers", "exists": "quantifiers", "lambda": "lambda terms", "match": "datatypes",
    "bv2nat": "bv2nat/int2bv", "int2bv": "bv2nat/int2bv", "bv2int": "bv2nat/int2bv", "nat2bv": "bv2nat/int2bv",
    "as": "qualified terms", "_": "indexed terms",
}  # fmt: skip
_UNSUPPORTED_PREFIXES = {"str.": "strings", "re.": "regular expressions", "seq.": "sequences", "fp.": "floating point",
                         "int.": "strings"}  # fmt: skip


def _unsupported_op(name: str) -> str | None:
    if name in _UNSUPPORTED_OPS:
        return _UNSUPPORTED_OPS[name]
    for prefix, what in _UNSUPPORTED_PREFIXES.items():
        if name.startswith(prefix):
            return what
    return None


class _SortMismatch(Exception):
    """Raised by :func:`result_sort`: ``arg`` is the 0-based argument to blame, or -1 for the whole application."""

    def __init__(self, message: str, arg: int = -1) -> None:
        super().__init__(message)
        self.message = message
        self.arg = arg


def _arity(op: str, sorts: Sequence[Sort], lo: int, hi: int | None = None) -> None:
    n = len(sorts)
    if n < lo or (hi is not None and n > hi):
        want = f"{lo}" if hi == lo else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
        raise _SortMismatch(f"'{op}' takes {want} argument{'s' if (hi or lo) != 1 else ''}, got {n}")


def _all(op: str, sorts: Sequence[Sort], want: Sort) -> None:
    for k, s in enumerate(sorts):
        if s != want:
            raise _SortMismatch(f"'{op}' expects {want} arguments, argument {k + 1} is {s}", k)


def _same_bv(op: str, sorts: Sequence[Sort]) -> Sort:
    for k, s in enumerate(sorts):
        if not s.is_bv:
            raise _SortMismatch(f"'{op}' expects bit-vector arguments, argument {k + 1} is {s}", k)
        if s != sorts[0]:
            raise _SortMismatch(f"'{op}' expects arguments of one sort: argument 1 is {sorts[0]}, "
                                f"argument {k + 1} is {s}", k)  # fmt: skip
    return sorts[0]


def result_sort(op: str, sorts: Sequence[Sort], indices: Sequence[int] = ()) -> Sort:
    """The sort of theory operator ``op`` applied to arguments of ``sorts`` (raises ``_SortMismatch``)."""
    if op in _INDEXED:
        if len(indices) != _INDEXED[op]:
            raise _SortMismatch(f"'{op}' takes {_INDEXED[op]} index(es), got {len(indices)}")
        _arity(op, sorts, 1, 1)
        w = _same_bv(op, sorts).width
        if op == "extract":
            i, j = indices
            if not (w > i >= j >= 0):
                raise _SortMismatch(f"(_ extract {i} {j}) needs {w - 1} >= i >= j >= 0 on a {w}-bit argument")
            return bitvec(i - j + 1)
        (k,) = indices
        if op == "repeat":
            if k < 1:
                raise _SortMismatch("(_ repeat k) needs k >= 1")
            return bitvec(w * k)
        return bitvec(w + k) if op.endswith("_extend") else bitvec(w)
    if indices:
        raise _SortMismatch(f"'{op}' is not an indexed operator")
    if op == "not":
        _arity(op, sorts, 1, 1)
        _all(op, sorts, BOOL)
        return BOOL
    if op in _BOOL_NARY or op in _BOOL_LEFT:
        _arity(op, sorts, 1 if op in _BOOL_NARY else 2)
        _all(op, sorts, BOOL)
        return BOOL
    if op in ("=", "distinct"):
        _arity(op, sorts, 2)
        for k, s in enumerate(sorts):
            if s != sorts[0]:
                raise _SortMismatch(f"'{op}' expects arguments of one sort: argument 1 is {sorts[0]}, "
                                    f"argument {k + 1} is {s}", k)  # fmt: skip
        return BOOL
    if op == "ite":
        _arity(op, sorts, 3, 3)
        if sorts[0] != BOOL:
            raise _SortMismatch(f"'ite' expects a Bool condition, got {sorts[0]}", 0)
        if sorts[1] != sorts[2]:
            raise _SortMismatch(f"'ite' branches must have one sort: then is {sorts[1]}, else is {sorts[2]}", 2)
        return sorts[1]
    if op in _INT_NARY or op == "-":
        _arity(op, sorts, 1)
        _all(op, sorts, INT)
        return INT
    if op == "div":
        _arity(op, sorts, 2)
        _all(op, sorts, INT)
        return INT
    if op == "mod":
        _arity(op, sorts, 2, 2)
        _all(op, sorts, INT)
        return INT
    if op == "abs":
        _arity(op, sorts, 1, 1)
        _all(op, sorts, INT)
        return INT
    if op in _INT_CMP:
        _arity(op, sorts, 2)
        _all(op, sorts, INT)
        return BOOL
    if op in _BV_UNARY:
        _arity(op, sorts, 1, 1)
        return _same_bv(op, sorts)
    if op in _BV_NARY:
        _arity(op, sorts, 2)
        return _same_bv(op, sorts)
    if op in _BV_BINARY:
        _arity(op, sorts, 2, 2)
        return _same_bv(op, sorts)
    if op in _BV_CMP:
        _arity(op, sorts, 2, 2)
        _same_bv(op, sorts)
        return BOOL
    if op == "bvcomp":
        _arity(op, sorts, 2, 2)
        _same_bv(op, sorts)
        return bitvec(1)
    if op == "concat":
        _arity(op, sorts, 2)
        for k, s in enumerate(sorts):
            if not s.is_bv:
                raise _SortMismatch(f"'concat' expects bit-vector arguments, argument {k + 1} is {s}", k)
        return bitvec(sum(s.width for s in sorts))
    raise _SortMismatch(f"unknown operator '{op}'")


# ----------------------------------------------------------------------------------------------- the reader


class Reader:
    """Reads sorts and terms of one file: keeps the global symbols (declared constants, user functions, sort
    aliases) and reports errors at ``path:line:col``. :mod:`recursa.synth.sygus` builds on it."""

    def __init__(self, path: str = "<input>") -> None:
        self.path = path
        self.constants: dict[str, Term] = {}  # global names that read as terms (declared vars, 0-ary functions)
        self.functions: dict[str, FunSig] = {}  # user functions callable in terms
        self.sort_aliases: dict[str, Sort] = {}

    # -- errors
    def error(self, at: SExpr | None, message: str) -> SmtlibError:
        line, col = (at.line, at.col) if at is not None else (1, 1)
        return SmtlibError(self.path, line, col, message)

    def unsupported(self, at: SExpr | None, message: str) -> SmtlibUnsupported:
        line, col = (at.line, at.col) if at is not None else (1, 1)
        return SmtlibUnsupported(self.path, line, col, message)

    def span(self, at: SExpr) -> Span:
        return Span(self.path, at.line, at.col)

    # -- small shapes
    def symbol(self, sx: SExpr, what: str = "a symbol") -> str:
        if isinstance(sx, Atom) and sx.kind == "sym":
            return sx.text
        raise self.error(sx, f"expected {what}, got {_show(sx)}")

    def numeral(self, sx: SExpr, what: str = "a numeral") -> int:
        if isinstance(sx, Atom) and sx.kind == "num":
            return int(sx.text)
        raise self.error(sx, f"expected {what}, got {_show(sx)}")

    def slist(self, sx: SExpr, what: str) -> tuple[SExpr, ...]:
        if isinstance(sx, SList):
            return sx.items
        raise self.error(sx, f"expected {what}, got {_show(sx)}")

    def sort(self, sx: SExpr) -> Sort:
        if isinstance(sx, Atom):
            if sx.kind == "sym":
                if sx.text == "Bool":
                    return BOOL
                if sx.text == "Int":
                    return INT
                if sx.text in self.sort_aliases:
                    return self.sort_aliases[sx.text]
                if sx.text in _UNSUPPORTED_SORTS:
                    raise self.unsupported(sx, f"sort {sx.text} is not supported ({_UNSUPPORTED_SORTS[sx.text]})")
            raise self.error(sx, f"unknown sort {_show(sx)} (supported: Bool, Int, (_ BitVec n))")
        items = sx.items
        if len(items) == 3 and _is_sym(items[0], "_") and _is_sym(items[1], "BitVec"):
            w = self.numeral(items[2], "a bit-vector width")
            if w < 1:
                raise self.error(items[2], "bit-vector width must be at least 1")
            return bitvec(w)
        for head in items[:2]:  # (Array Int Int), (_ FloatingPoint 8 24)
            if isinstance(head, Atom) and head.text in _UNSUPPORTED_SORTS:
                raise self.unsupported(sx, f"sort {head.text} is not supported ({_UNSUPPORTED_SORTS[head.text]})")
        raise self.error(sx, f"unknown sort {_show(sx)} (supported: Bool, Int, (_ BitVec n))")

    def params(self, sx: SExpr, what: str = "a parameter list ((x Sort) ...)") -> tuple[tuple[str, Sort], ...]:
        out: list[tuple[str, Sort]] = []
        seen: set[str] = set()
        for p in self.slist(sx, what):
            items = self.slist(p, "a parameter (x Sort)")
            if len(items) != 2:
                raise self.error(p, f"expected a parameter (x Sort), got {_show(p)}")
            name = self.symbol(items[0], "a parameter name")
            if name in seen:
                raise self.error(items[0], f"duplicate parameter '{name}'")
            seen.add(name)
            out.append((name, self.sort(items[1])))
        return tuple(out)

    # -- literals
    def literal(self, sx: Atom) -> Term | None:
        """The literal ``sx`` stands for, or None when it is a symbol."""
        k = sx.kind
        if k == "num":
            return Lit(int(sx.text), INT, self.span(sx))
        if k == "hex":
            return Lit(int(sx.text[2:], 16), bitvec(4 * (len(sx.text) - 2)), self.span(sx))
        if k == "bin":
            return Lit(int(sx.text[2:], 2), bitvec(len(sx.text) - 2), self.span(sx))
        if k == "dec":
            raise self.unsupported(sx, f"decimal literal {sx.text} is not supported (reals)")
        if k == "str":
            raise self.unsupported(sx, "string literals are not supported (strings)")
        if k == "kwd":
            raise self.error(sx, f"unexpected keyword {sx.text}")
        if k == "other":
            if sx.text.startswith("-") and sx.text[1:].isdigit():
                raise self.error(sx, f"'{sx.text}' is not an SMT-LIB numeral; write (- {sx.text[1:]})")
            raise self.error(sx, f"unexpected token {sx.text!r}")
        if sx.text in ("true", "false"):
            return Lit(sx.text == "true", BOOL, self.span(sx))
        if sx.text.startswith("-") and sx.text[1:].isdigit():
            raise self.error(sx, f"'{sx.text}' is not an SMT-LIB numeral; write (- {sx.text[1:]})")
        return None

    def indexed_head(self, sx: SList) -> tuple[str, tuple[int, ...]]:
        """``(_ op i ...)`` -> (op, indices)."""
        items = sx.items
        if items and isinstance(items[0], Atom) and items[0].text != "_":
            what = _unsupported_op(items[0].text)
            if what:
                raise self.unsupported(sx, f"'{items[0].text}' is not supported ({what})")
        if len(items) < 3 or not _is_sym(items[0], "_"):
            raise self.error(sx, f"expected an operator, got {_show(sx)}")
        op = self.symbol(items[1], "an indexed operator name")
        if op not in _INDEXED:
            what = _unsupported_op(op)
            if what:
                raise self.unsupported(sx, f"'{op}' is not supported ({what})")
            raise self.error(items[1], f"unknown indexed operator '{op}'")
        return op, tuple(self.numeral(i, "an index") for i in items[2:])

    # -- terms
    def term(self, sx: SExpr, scope: Mapping[str, Term] | None = None) -> Term:
        """Read one term. ``scope`` maps local names (parameters, non-terminals) to terms; they shadow the
        reader's global constants. Iterative: an explicit stack of work items and one of values."""
        env: dict[str, Term] = dict(scope or {})
        values: list[Any] = []
        # Work items: ("t", sx) read a term; ("app", sx, op, indices, nargs) build an application from the top
        # nargs values; ("let", sx, names) bind the top values in env; ("unlet", saved) restore env.
        work: list[tuple] = [("t", sx)]
        while work:
            item = work.pop()
            tag = item[0]
            if tag == "t":
                self._term_step(item[1], env, work, values)
            elif tag == "app":
                _, at, op, indices, nargs = item
                args = tuple(values[len(values) - nargs :])
                del values[len(values) - nargs :]
                values.append(self._apply(at, op, indices, args))
            elif tag == "let":
                _, at, names, typed = item
                bound = values[len(values) - len(names) :]
                del values[len(values) - len(names) :]
                for name, t, check in zip(names, bound, typed):
                    if check is not None and t.sort != check[1]:
                        raise self.error(check[0], f"'{name}' is declared {check[1]} but bound to a {t.sort} term")
                saved = [(name, env.get(name)) for name in names]
                for name, t in zip(names, bound):
                    env[name] = t
                work.append(("unlet", saved))
                work.append(("t", at.items[2]))
            else:  # unlet
                for name, old in item[1]:
                    if old is None:
                        env.pop(name, None)
                    else:
                        env[name] = old
        (result,) = values
        return result

    def _term_step(self, sx: SExpr, env: dict[str, Term], work: list[tuple], values: list[Any]) -> None:
        if isinstance(sx, Atom):
            if sx.kind == "sym" and sx.text in env:
                values.append(env[sx.text])
                return
            lit = self.literal(sx)
            if lit is not None:
                values.append(lit)
                return
            values.append(self.name_term(sx))
            return
        items = sx.items
        if not items:
            raise self.error(sx, "empty application ()")
        head = items[0]
        if len(items) == 1:
            # SMT-LIB writes a constant without parentheses; "(f)" applies nothing.
            raise self.error(sx, f"{_show(sx)} applies no arguments; write {_show(head)} without parentheses")
        if isinstance(head, SList):
            if len(items) == 1:
                raise self.error(sx, f"expected a term, got {_show(sx)}")
            op, indices = self.indexed_head(head)
            work.append(("app", sx, op, indices, len(items) - 1))
            work.extend(("t", a) for a in reversed(items[1:]))
            return
        if head.kind != "sym":
            raise self.error(head, f"expected an operator, got {_show(head)}")
        name = head.text
        if name == "_":  # (_ bvN w) literal
            values.append(self.bv_literal(sx))
            return
        if name == "-" and len(items) == 2 and isinstance(items[1], Atom) and items[1].kind == "num":
            values.append(Lit(-int(items[1].text), INT, self.span(sx)))
            return
        what = _unsupported_op(name)
        if what and name not in self.functions and name not in env:
            raise self.unsupported(sx, f"'{name}' is not supported ({what})")
        if name == "let":
            if len(items) != 3:
                raise self.error(sx, "expected (let ((x term) ...) body)")
            names: list[str] = []
            bind_terms: list[SExpr] = []
            bindings = self.slist(items[1], "a binding list ((x term) ...)")
            if not bindings:
                raise self.error(items[1], "let needs at least one binding")
            typed: list[tuple[SExpr, Sort] | None] = []
            for b in bindings:
                pair = self.slist(b, "a binding (x term)")
                if len(pair) not in (2, 3):
                    raise self.error(b, f"expected a binding (x term), got {_show(b)}")
                bname = self.symbol(pair[0], "a variable name")
                if bname in names:
                    raise self.error(pair[0], f"'{bname}' is bound twice in one let")
                names.append(bname)
                bind_terms.append(pair[-1])
                # SyGuS v1 wrote typed bindings (x Sort term); the sort is checked once the term is read
                typed.append((pair[2], self.sort(pair[1])) if len(pair) == 3 else None)
            work.append(("let", sx, tuple(names), tuple(typed)))
            work.extend(("t", b) for b in reversed(bind_terms))
            return
        if name == "!":
            if len(items) < 2:
                raise self.error(sx, "expected (! term :attribute ...)")
            work.append(("t", items[1]))
            return
        if name in env:
            raise self.error(head, f"'{name}' is a variable, not a function")
        if name not in THEORY_OPS and name not in self.functions:  # say so before reading the arguments
            if name in self.constants:
                raise self.error(head, f"'{name}' is a constant, not a function")
            raise self.error(head, f"unknown function '{name}'")
        work.append(("app", sx, name, (), len(items) - 1))
        work.extend(("t", a) for a in reversed(items[1:]))

    def bv_literal(self, sx: SList) -> Lit:
        items = sx.items
        if len(items) == 3 and isinstance(items[1], Atom) and items[1].text.startswith("bv") \
                and items[1].text[2:].isdigit():  # fmt: skip
            value = int(items[1].text[2:])
            width = self.numeral(items[2], "a bit-vector width")
            if width < 1:
                raise self.error(items[2], "bit-vector width must be at least 1")
            if value >= 1 << width:
                raise self.error(sx, f"bit-vector literal {value} does not fit in {width} bits")
            return Lit(value, bitvec(width), self.span(sx))
        if len(items) >= 2 and isinstance(items[1], Atom) and items[1].kind == "sym":
            what = _unsupported_op(items[1].text)
            if what:
                raise self.unsupported(sx, f"'{items[1].text}' is not supported ({what})")
        raise self.error(sx, f"expected a term, got {_show(sx)}")

    def name_term(self, sx: Atom) -> Term:
        """A symbol standing alone: a global constant, or an error naming what it is instead."""
        name = sx.text
        if name in self.constants:
            t = self.constants[name]
            return Var(t.name, t.sort, self.span(sx)) if isinstance(t, Var) else t
        if name in self.functions:
            sig = self.functions[name]
            if sig.params:
                raise self.error(sx, f"'{name}' is a function of {len(sig.params)} argument(s); apply it")
            return App(name, (), sig.sort, (), self.span(sx))
        if name in THEORY_OPS:
            raise self.error(sx, f"'{name}' is an operator; apply it")
        what = _unsupported_op(name)
        if what:
            raise self.unsupported(sx, f"'{name}' is not supported ({what})")
        raise self.error(sx, f"unknown symbol '{name}'")

    def _apply(self, sx: SList, op: str, indices: tuple[int, ...], args: tuple[Term, ...]) -> Term:
        sorts = [a.sort for a in args]
        if op in THEORY_OPS:
            try:
                sort = result_sort(op, sorts, indices)
            except _SortMismatch as e:
                at = sx.items[1 + e.arg] if 0 <= e.arg < len(sx.items) - 1 else sx
                raise self.error(at, e.message) from None
            return App(op, args, sort, indices, self.span(sx))
        if op in self.functions:
            sig = self.functions[op]
            if len(args) != len(sig.params):
                raise self.error(sx, f"'{op}' takes {len(sig.params)} argument(s), got {len(args)}")
            for k, (want, got) in enumerate(zip(sig.params, sorts)):
                if want != got:
                    raise self.error(sx.items[1 + k], f"argument {k + 1} of '{op}' must be {want}, got {got}")
            return App(op, args, sig.sort, (), self.span(sx))
        what = _unsupported_op(op)
        if what:
            raise self.unsupported(sx, f"'{op}' is not supported ({what})")
        if op in self.constants:
            raise self.error(sx.items[0], f"'{op}' is a constant, not a function")
        raise self.error(sx.items[0], f"unknown function '{op}'")

    # -- declarations shared by SMT-LIB scripts and SyGuS files
    def check_fresh(self, at: SExpr, name: str) -> None:
        if name in THEORY_OPS or name in ("true", "false", "let", "!", "_"):
            raise self.error(at, f"'{name}' is a reserved SMT-LIB name")
        if name in self.constants or name in self.functions:
            raise self.error(at, f"'{name}' is already declared")

    def define_fun(self, sx: SList) -> FunDef:
        """``(define-fun f ((x S) ...) S body)``: read, sort-checked, registered as a function (or a constant
        when it has no parameters — it is still applied as ``App(f, ())``)."""
        items = sx.items
        if len(items) != 5:
            raise self.error(sx, "expected (define-fun name ((x Sort) ...) Sort body)")
        name = self.symbol(items[1], "a function name")
        self.check_fresh(items[1], name)
        params = self.params(items[2])
        sort = self.sort(items[3])
        body = self.term(items[4], {p: Var(p, s, self.span(items[2])) for p, s in params})
        if body.sort != sort:
            raise self.error(items[4], f"the body of '{name}' is {body.sort}, declared {sort}")
        fd = FunDef(name, params, sort, body, self.span(sx))
        self.functions[name] = fd.sig
        return fd

    def define_sort(self, sx: SList) -> None:
        items = sx.items
        # SMT-LIB: (define-sort Name () Sort); SyGuS v1 also wrote (define-sort Name Sort)
        if not (len(items) == 3 or len(items) == 4 and not self.slist(items[2], "a parameter list")):
            raise self.unsupported(sx, "only (define-sort Name () Sort) is supported")
        name = self.symbol(items[1], "a sort name")
        if name in self.sort_aliases or name in ("Bool", "Int"):
            raise self.error(items[1], f"sort '{name}' is already defined")
        self.sort_aliases[name] = self.sort(items[-1])


def _is_sym(sx: SExpr, text: str) -> bool:
    return isinstance(sx, Atom) and sx.kind == "sym" and sx.text == text


def _show(sx: SExpr, limit: int = 40) -> str:
    """Short text of an s-expression for messages (iterative; cut after ``limit`` characters)."""
    out: list[str] = []
    length = 0
    stack: list[Any] = [sx]
    while stack and length <= limit:
        x = stack.pop()
        if isinstance(x, str):
            piece = x
        elif isinstance(x, Atom):
            piece = x.text if x.kind != "sym" or _SIMPLE_SYMBOL.fullmatch(x.text) else f"|{x.text}|"
        else:
            stack.append(")")
            items = x.items
            for k in range(len(items) - 1, -1, -1):
                stack.append(items[k])
                if k > 0:
                    stack.append(" ")
            piece = "("
        out.append(piece)
        length += len(piece)
    text = "".join(out)
    return text if not stack and len(text) <= limit else text[:limit] + "..."


# ----------------------------------------------------------------------------------------------- scripts


@dataclass
class Script:
    """An SMT-LIB2 script's declarations, definitions and assertions."""

    path: str
    logic: str = ""
    constants: dict[str, Sort] = field(default_factory=dict)  # declare-const / 0-ary declare-fun
    functions: dict[str, FunSig] = field(default_factory=dict)  # declare-fun with parameters (uninterpreted)
    definitions: dict[str, FunDef] = field(default_factory=dict)
    assertions: list[Term] = field(default_factory=list)


_SCRIPT_SKIP = {"set-info", "set-option", "check-sat", "exit", "get-model", "get-value", "get-info", "get-option",
                "get-assertions", "get-unsat-core", "get-proof", "echo", "reset", "check-sat-assuming"}  # fmt: skip


def read_script(text: str, path: str = "<input>") -> Script:
    """Read an SMT-LIB2 script: ``declare-fun``/``declare-const``/``define-fun``/``define-sort``/``assert``."""
    reader = Reader(path)
    script = Script(path)
    for cmd in parse_sexprs(text, path):
        items = reader.slist(cmd, "a command (name ...)")
        if not items:
            raise reader.error(cmd, "empty command ()")
        name = reader.symbol(items[0], "a command name")
        if name == "set-logic":
            script.logic = reader.symbol(items[1], "a logic name") if len(items) == 2 else ""
        elif name in ("declare-fun", "declare-const"):
            if name == "declare-fun" and len(items) != 4 or name == "declare-const" and len(items) != 3:
                raise reader.error(cmd, f"malformed {name}")
            fname = reader.symbol(items[1], "a name")
            reader.check_fresh(items[1], fname)
            if name == "declare-fun":
                arg_sorts = tuple(reader.sort(s) for s in reader.slist(items[2], "a list of sorts"))
            else:
                arg_sorts = ()
            sort = reader.sort(items[-1])
            if arg_sorts:
                script.functions[fname] = reader.functions[fname] = FunSig(fname, arg_sorts, sort)
            else:
                script.constants[fname] = sort
                reader.constants[fname] = Var(fname, sort, reader.span(items[1]))
        elif name == "define-fun":
            fd = reader.define_fun(cmd)  # type: ignore[arg-type]
            script.definitions[fd.name] = fd
        elif name == "define-sort":
            reader.define_sort(cmd)  # type: ignore[arg-type]
        elif name == "assert":
            if len(items) != 2:
                raise reader.error(cmd, "expected (assert term)")
            t = reader.term(items[1])
            if t.sort != BOOL:
                raise reader.error(items[1], f"an assertion must be Bool, got {t.sort}")
            script.assertions.append(t)
        elif name in ("push", "pop", "declare-datatype", "declare-datatypes", "declare-sort", "define-fun-rec",
                      "define-funs-rec"):  # fmt: skip
            raise reader.unsupported(cmd, f"'{name}' is not supported")
        elif name in _SCRIPT_SKIP:
            continue
        else:
            raise reader.error(items[0], f"unknown command '{name}'")
    return script


def read_term(text: str, sorts: Mapping[str, Sort] | None = None, path: str = "<input>") -> Term:
    """Read one term whose free variables have the given ``sorts``."""
    reader = Reader(path)
    for name, sort in (sorts or {}).items():
        reader.constants[name] = Var(name, sort)
    forms = parse_sexprs(text, path)
    if len(forms) != 1:
        at = forms[1] if len(forms) > 1 else None
        raise reader.error(at, f"expected one term, got {len(forms)}")
    return reader.term(forms[0])


# ----------------------------------------------------------------------------------------------- walks


def _postorder_unique(term: Term) -> Iterator[Term]:
    """Each distinct node (by identity) once, children before parents, without recursion."""
    seen: set[int] = set()
    stack: list[tuple[Term, bool]] = [(term, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if key in seen:
            continue
        if expanded or not isinstance(node, App) or not node.args:
            seen.add(key)
            yield node
            continue
        stack.append((node, True))
        for child in reversed(node.args):
            if id(child) not in seen:
                stack.append((child, False))


# ----------------------------------------------------------------------------------------------- Z3


def z3_sort(sort: Sort, ctx: z3.Context | None = None) -> z3.SortRef:
    import z3

    if sort.name == "Bool":
        return z3.BoolSort(ctx)
    if sort.name == "Int":
        return z3.IntSort(ctx)
    return z3.BitVecSort(sort.width, ctx)


def _z3_context(env: Mapping[str, Any], ctx: Any) -> Any:
    if ctx is not None:
        return ctx
    for value in env.values():
        return value.ctx
    import z3

    return z3.main_ctx()


def to_z3(
    term: Term,
    env: Mapping[str, z3.ExprRef],
    functions: Mapping[str, Callable[[Sequence[z3.ExprRef]], z3.ExprRef]] | None = None,
    ctx: z3.Context | None = None,
) -> z3.ExprRef:
    """The Z3 expression of ``term``. ``env`` gives each free variable's Z3 term; an application of a
    non-theory operator calls ``functions[op](args)`` (a :func:`macro`, a candidate body, a ``z3.Function``).
    Iterative and memoised on shared sub-terms. A missing variable or function raises ``KeyError``."""
    import z3

    ctx = _z3_context(env, ctx)
    funcs = functions or {}
    memo: dict[int, Any] = {}
    for node in _postorder_unique(term):
        if isinstance(node, Var):
            if node.name not in env:
                raise KeyError(f"free variable '{node.name}' has no Z3 value")
            memo[id(node)] = env[node.name]
        elif isinstance(node, Lit):
            memo[id(node)] = _z3_lit(z3, node, ctx)
        else:
            assert isinstance(node, App)
            args = [memo[id(a)] for a in node.args]
            memo[id(node)] = _z3_app(z3, node, args, funcs, ctx)
    return memo[id(term)]


def _z3_lit(z3: Any, node: Lit, ctx: Any) -> Any:
    if node.sort.name == "Bool":
        return z3.BoolVal(bool(node.value), ctx)
    if node.sort.name == "Int":
        return z3.IntVal(int(node.value), ctx)
    return z3.BitVecVal(int(node.value), node.sort.width, ctx)


def _left(fn: Callable[[Any, Any], Any], args: Sequence[Any]) -> Any:
    acc = args[0]
    for a in args[1:]:
        acc = fn(acc, a)
    return acc


def _chain(z3: Any, fn: Callable[[Any, Any], Any], args: Sequence[Any]) -> Any:
    if len(args) == 2:
        return fn(args[0], args[1])
    return z3.And(*[fn(a, b) for a, b in zip(args, args[1:])])


def _z3_app(z3: Any, node: App, a: list[Any], funcs: Mapping[str, Callable], ctx: Any) -> Any:
    op = node.op
    if op not in THEORY_OPS:
        if op not in funcs:
            raise KeyError(f"function '{op}' has no Z3 interpretation (pass it in `functions`)")
        return funcs[op](a)
    if op == "not":
        return z3.Not(a[0])
    if op == "and":
        return a[0] if len(a) == 1 else z3.And(*a)
    if op == "or":
        return a[0] if len(a) == 1 else z3.Or(*a)
    if op == "xor":
        return _left(z3.Xor, a)
    if op == "=>":
        acc = a[-1]
        for x in reversed(a[:-1]):
            acc = z3.Implies(x, acc)
        return acc
    if op == "=":
        return _chain(z3, lambda x, y: x == y, a)
    if op == "distinct":
        return z3.Distinct(*a)
    if op == "ite":
        return z3.If(a[0], a[1], a[2])
    if op == "+":
        return a[0] if len(a) == 1 else z3.Sum(*a)
    if op == "*":
        return a[0] if len(a) == 1 else z3.Product(*a)
    if op == "-":
        return -a[0] if len(a) == 1 else _left(lambda x, y: x - y, a)
    if op == "div":
        return _left(lambda x, y: x / y, a)
    if op == "mod":
        return a[0] % a[1]
    if op == "abs":
        return z3.If(a[0] >= 0, a[0], -a[0])
    if op == "<":
        return _chain(z3, lambda x, y: x < y, a)
    if op == "<=":
        return _chain(z3, lambda x, y: x <= y, a)
    if op == ">":
        return _chain(z3, lambda x, y: x > y, a)
    if op == ">=":
        return _chain(z3, lambda x, y: x >= y, a)
    fn = _Z3_BV.get(op)
    if fn is not None:
        return _left(fn, a) if op in _BV_NARY else fn(*a)
    if op == "bvcomp":
        return z3.If(a[0] == a[1], z3.BitVecVal(1, 1, ctx), z3.BitVecVal(0, 1, ctx))
    if op == "concat":
        return z3.Concat(*a)
    if op == "extract":
        return z3.Extract(node.indices[0], node.indices[1], a[0])
    k = node.indices[0]
    if op == "zero_extend":
        return z3.ZeroExt(k, a[0]) if k else a[0]
    if op == "sign_extend":
        return z3.SignExt(k, a[0]) if k else a[0]
    if op == "repeat":
        return z3.RepeatBitVec(k, a[0])
    w = node.sort.width
    if op == "rotate_left":
        return z3.RotateLeft(a[0], z3.BitVecVal(k % w, w, ctx))
    if op == "rotate_right":
        return z3.RotateRight(a[0], z3.BitVecVal(k % w, w, ctx))
    raise AssertionError(f"operator {op} has no Z3 translation")


def _z3_bv_table() -> dict[str, Callable[..., Any]]:
    # Built lazily by name so this module imports without z3; the lambdas resolve z3 at call time.
    def z(name: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            import z3

            return getattr(z3, name)(*args)

        return call

    return {
        "bvnot": lambda x: ~x,
        "bvneg": lambda x: -x,
        "bvand": lambda x, y: x & y,
        "bvor": lambda x, y: x | y,
        "bvxor": lambda x, y: x ^ y,
        "bvadd": lambda x, y: x + y,
        "bvmul": lambda x, y: x * y,
        "bvnand": lambda x, y: ~(x & y),
        "bvnor": lambda x, y: ~(x | y),
        "bvxnor": lambda x, y: ~(x ^ y),
        "bvsub": lambda x, y: x - y,
        "bvudiv": z("UDiv"),
        "bvurem": z("URem"),
        "bvsdiv": lambda x, y: x / y,  # z3py: / on bit-vectors is bvsdiv
        "bvsrem": z("SRem"),
        "bvsmod": lambda x, y: x % y,  # z3py: % on bit-vectors is bvsmod
        "bvshl": lambda x, y: x << y,
        "bvlshr": z("LShR"),
        "bvashr": lambda x, y: x >> y,  # z3py: >> is arithmetic
        "bvult": z("ULT"),
        "bvule": z("ULE"),
        "bvugt": z("UGT"),
        "bvuge": z("UGE"),
        "bvslt": lambda x, y: x < y,
        "bvsle": lambda x, y: x <= y,
        "bvsgt": lambda x, y: x > y,
        "bvsge": lambda x, y: x >= y,
    }


_Z3_BV = _z3_bv_table()


def macro(
    params: Sequence[tuple[str, Sort]],
    body: Term,
    functions: Mapping[str, Callable[..., Any]] | None = None,
    ctx: z3.Context | None = None,
) -> Callable[[Sequence[z3.ExprRef]], z3.ExprRef]:
    """A ``define-fun`` (or a candidate body) as a callable on Z3 arguments: ``macro(ps, b)([x, y])`` is ``b``
    with the parameters replaced by ``x, y``. ``functions`` interprets the calls inside ``body``."""
    names = [p for p, _ in params]

    def apply(args: Sequence[z3.ExprRef]) -> z3.ExprRef:
        if len(args) != len(names):
            raise TypeError(f"expected {len(names)} argument(s), got {len(args)}")
        return to_z3(body, dict(zip(names, args)), functions, ctx)

    return apply


# ----------------------------------------------------------------------------------------------- concrete values


Value = bool | int


def evaluate(
    term: Term,
    env: Mapping[str, Value],
    functions: Mapping[str, Callable[[Sequence[Value]], Value]] | None = None,
) -> Value:
    """The value of ``term`` with SMT-LIB's semantics: unbounded Int, Euclidean ``div``/``mod``, bit-vectors as
    unsigned ints modulo ``2**w``. Integer division by zero raises :class:`UndefinedValue` (SMT-LIB leaves it
    unspecified). ``ite``, ``and``, ``or`` and ``=>`` evaluate only the arguments they need, so an undefined
    value in a branch not taken does not leak. Iterative; shared sub-terms are evaluated once."""
    funcs = functions or {}
    memo: dict[int, Value] = {}
    # Frames [node, next]: ``next`` counts the arguments already requested.
    stack: list[list[Any]] = [[term, 0]]
    while stack:
        frame = stack[-1]
        node = frame[0]
        key = id(node)
        if key in memo:
            stack.pop()
            continue
        if isinstance(node, Var):
            if node.name not in env:
                raise KeyError(f"free variable '{node.name}' has no value")
            memo[key] = env[node.name]
            stack.pop()
            continue
        if isinstance(node, Lit):
            memo[key] = node.value
            stack.pop()
            continue
        assert isinstance(node, App)
        args = node.args
        i = frame[1]
        op = node.op
        if op == "ite":
            if i == 0:
                frame[1] = 1
                stack.append([args[0], 0])
                continue
            branch = args[1] if memo[id(args[0])] else args[2]
            if i == 1:
                frame[1] = 2
                stack.append([branch, 0])
                continue
            memo[key] = memo[id(branch)]
            stack.pop()
            continue
        if op in ("and", "or", "=>") and i > 0:
            last = memo[id(args[i - 1])]
            if op == "and" and not last:
                memo[key] = False
            elif op == "or" and last:
                memo[key] = True
            elif op == "=>" and i < len(args) and not last:
                memo[key] = True  # a false premise makes the (right-associated) implication true
            if key in memo:
                stack.pop()
                continue
        if i < len(args):
            frame[1] = i + 1
            stack.append([args[i], 0])
            continue
        vals = [memo[id(a)] for a in args]
        if op in THEORY_OPS:
            memo[key] = concrete.apply(node, vals)
        else:
            if op not in funcs:
                raise KeyError(f"function '{op}' has no interpretation (pass it in `functions`)")
            memo[key] = funcs[op](vals)
        stack.pop()
    return memo[id(term)]


def evaluator(
    params: Sequence[tuple[str, Sort]],
    body: Term,
    functions: Mapping[str, Callable[[Sequence[Value]], Value]] | None = None,
) -> Callable[[Sequence[Value]], Value]:
    """A ``define-fun`` as a callable on concrete values (the :func:`evaluate` counterpart of :func:`macro`)."""
    names = [p for p, _ in params]

    def apply(args: Sequence[Value]) -> Value:
        return evaluate(body, dict(zip(names, args)), functions)

    return apply
