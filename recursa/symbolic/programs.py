"""C functions and a Python subset → the IR of :mod:`recursa.symbolic.ir`, from tree-sitter trees.

Supported: integer and boolean variables, assignments (also compound, ``++``/``--``, Python tuple and chained
assignment), if/else, while / for / do-while (C), while / ``for i in range(...)`` (Python), break, continue, return,
``assume(e)`` / ``__VERIFIER_assume(e)`` / ``assume_abort_if_not(e)``, ``assert(e)`` / ``__VERIFIER_assert(e)`` /
``assert e`` / ``reach_error()``, and nondeterministic values from calls to ``unknown*()``, ``nondet*()``,
``__VERIFIER_nondet_*()`` (``recursa.nondet_int()`` in Python). Uninitialised variables and parameters hold
arbitrary values. C unsigned types are integers kept in ``[0, 2**width)`` by an explicit ``mod 2**width`` after each
operation that can leave the range (under machine integers: 32-bit ones are bit patterns read unsigned by division,
``>>`` and comparisons, narrower ones are masked, and signed ``+ - * / % <<`` and unary ``-`` get an implicit
overflow check, :class:`Assert` of kind ``overflow``); C calls to functions of the same file are inlined;
``++``/``--`` may sit inside expressions. A Python function's leading asserts on its parameters are its precondition
(assumptions). Output calls (``printf``, ``print``) with inert arguments are dropped with a note
(:attr:`FunctionUnit.notes`). C local arrays, floating-point variables and calls to unknown functions are sliced:
writes to them are dropped with a note and reads are arbitrary values (:attr:`Havoc.unmodelled`). Anything else
raises :class:`UnsupportedError` naming the construct and its line:col; functions are then reported as unsupported,
never crash the run.

Conversion walks the tree with generators driven by an explicit stack (:func:`_run`), so arbitrarily deep
nesting never reaches Python's recursion limit.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from recursa.symbolic.ir import (
    FALSE,
    TRUE,
    Assert,
    Assign,
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
    drive,
    postorder,
    render,
)
from recursa.trees.checks import statement_errors
from recursa.trees.flatten import SyntaxDiagnostic, syntax_errors
from recursa.trees.languages import get_language
from recursa.trees.queries import find


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
    tree: Any = None


NONDET_RE = re.compile(r"^(unknown|nondet|__VERIFIER_nondet)\w*$")
ASSUME_NAMES = frozenset({"assume", "__VERIFIER_assume", "assume_abort_if_not"})
ASSERT_NAMES = frozenset({"assert", "__VERIFIER_assert"})
ERROR_NAMES = frozenset({"reach_error", "__VERIFIER_error"})
HALT_NAMES = frozenset({"abort", "exit"})
#: Calls that only print: at statement level, with arguments that change nothing, they cannot affect any
#: assertion, so they are dropped (with a note) instead of making the function unsupported.
OUTPUT_NAMES = {"c": frozenset({"printf", "puts", "putchar", "fprintf", "fputs", "fflush", "perror"}),
                "python": frozenset({"print"})}
#: C expression kinds whose evaluation changes nothing (allowed in the arguments of a dropped ``printf``).
_C_PRINTABLE_NODES = frozenset({
    "identifier", "number_literal", "string_literal", "string_content", "escape_sequence", "concatenated_string",
    "char_literal", "character", "true", "false", "null", "binary_expression", "unary_expression",
    "parenthesized_expression", "conditional_expression", "comment", "subscript_expression", "initializer_list",
    "cast_expression", "type_descriptor", "primitive_type", "sized_type_specifier", "sizeof_expression"})
#: Python expression kinds that cannot raise or assign (allowed in the arguments of a dropped ``print``).
_PRINTABLE_NODES = frozenset({
    "identifier", "integer", "true", "false", "none", "string", "string_start", "string_content", "string_end",
    "escape_sequence", "interpolation", "format_specifier", "concatenated_string", "keyword_argument",
    "attribute", "binary_operator", "comparison_operator", "boolean_operator", "not_operator", "unary_operator",
    "parenthesized_expression", "expression_list", "call", "argument_list", "comment"})
HELPER_NAMES = ASSUME_NAMES | ASSERT_NAMES | ERROR_NAMES | HALT_NAMES
C_LIMITS = {"INT_MAX": 2**31 - 1, "INT_MIN": -(2**31), "SHRT_MAX": 2**15 - 1, "SHRT_MIN": -(2**15),
            "CHAR_MAX": 127, "CHAR_MIN": -128, "SCHAR_MAX": 127, "SCHAR_MIN": -128}
C_INT_TYPES = frozenset({"int", "long", "short", "char", "signed", "int32_t", "int64_t", "int16_t", "int8_t",
                         "ssize_t", "intmax_t", "ptrdiff_t", "long long", "long int", "short int",
                         "signed int", "signed char", "long long int", "signed long", "signed short"})
C_BOOL_TYPES = frozenset({"_Bool", "bool"})
#: Unsigned C types and their widths in bits (LP64, as on the Linux targets of SV-COMP's 64-bit tasks).
C_UNSIGNED_TYPES = {"unsigned": 32, "unsigned int": 32, "unsigned long": 64, "unsigned long int": 64,
                    "unsigned long long": 64, "unsigned long long int": 64, "unsigned short": 16,
                    "unsigned short int": 16, "unsigned char": 8, "uint8_t": 8, "uint16_t": 16, "uint32_t": 32,
                    "uint64_t": 64, "size_t": 64, "uintmax_t": 64, "uintptr_t": 64, "u_int": 32}
#: ``__VERIFIER_nondet_<kind>`` of an unsigned kind -> width.
_NONDET_UNSIGNED = {"uint": 32, "unsigned": 32, "u32": 32, "ulong": 64, "ulonglong": 64, "u64": 64,
                    "ushort": 16, "u16": 16, "uchar": 8, "u8": 8, "size_t": 64}

#: The width of ``int`` under ``--int-semantics machine``.
MACHINE_BITS = 32
INT_MIN, INT_MAX = -(1 << (MACHINE_BITS - 1)), (1 << (MACHINE_BITS - 1)) - 1


def _wrap32(v: int) -> int:
    """``v`` as a 32-bit two's-complement value (the bit pattern machine integers hold)."""
    return ((v - INT_MIN) % (1 << MACHINE_BITS)) + INT_MIN


_Gen = Generator[Any, Any, Any]
_JUMPS = ("break_statement", "continue_statement", "return_statement")


def _jump(front_end: Any, kind: str, node: Any, loc: Loc) -> _Gen:
    """``break`` / ``continue`` / ``return [expr]``, alike in C and Python: a returned expression contributes the
    statements it has pending (its effects and checks); its value is not modelled."""
    if kind == "break_statement":
        return [Break(loc)]
    if kind == "continue_statement":
        return [Continue(loc)]
    kids = [c for c in node.named_children if c.type != "comment"]
    pre: list[Stmt] = []
    if kids:
        yield front_end.expr(kids[0])
        pre = front_end.b.take_pending()
    return [*pre, Return(loc)]


_run = drive


def is_nondet_name(name: str) -> bool:
    return bool(NONDET_RE.match(name))


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


class _Builder:
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
            out: Expr = self.int_literal(_wrap32(value) if self.machine else value)
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

    def loc(self, node: Any) -> Loc:
        row, col = node.start_point
        start = node.start_byte - col
        return Loc(row + 1, len(self.source[start:node.start_byte].decode("utf-8", "replace")) + 1)

    def text(self, node: Any) -> str:
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


# ======================================================================================================
# C
# ======================================================================================================


#: Calls nested deeper than this while inlining are reported unsupported (the IR grows with every level).
MAX_INLINE_DEPTH = 16


class _CFrontEnd:
    def __init__(self, b: _Builder, defines: dict[str, int], globals_: dict[str, tuple[Sort, Any]],
                 is_main: bool, functions: dict[str, Any] | None = None) -> None:
        self.b = b
        self.defines = defines
        self.globals = globals_
        self.is_main = is_main
        self.scopes: list[dict[str, str]] = []
        self.used_globals: dict[str, str] = {}
        self.functions = functions or {}  # the file's function definitions, by name: the callees we inline
        self.inlining: list[str] = []  # the callees being inlined, outermost first (recursion check)
        self.return_var: list[str | None] = []  # per callee being inlined: the variable its result goes to
        self.early_return: list[bool] = []  # per callee being inlined: whether it returns before its end
        self.effect_calls: set[int] = set()  # start bytes of calls whose callee may have effects (statement level)
        self.lazy_depth = 0  # > 0 inside an operand that may not be evaluated (of &&, ||, ?:)
        self.guards: list[Expr] = []  # the conditions under which those operands are evaluated

    def inline(self, node: Any, name: str) -> _Gen:
        """Inline a call to a function of the file: its parameters and locals become fresh variables, its body
        runs in place (statements go to ``pending``), and its result is the returned value.

        Supported: non-recursive callees. A ``return`` before the end of the callee sets a flag that skips the
        rest of the body (:func:`_route_returns`); with only tail returns the body needs no jump. A call inside a larger
        expression (which may not be evaluated, as in ``a && f(x)``) must be to a callee without loops,
        assertions, assumptions or writes to globals: its statements then run unconditionally, harmlessly.
        """
        b = self.b
        loc = b.loc(node)
        fnode = self.functions[name]
        if name in self.inlining:
            raise UnsupportedError(f"recursive call to '{name}'", loc)
        if len(self.inlining) >= MAX_INLINE_DEPTH:
            raise UnsupportedError(f"call to '{name}'", loc, f"calls nested deeper than {MAX_INLINE_DEPTH}")
        early = _c_non_tail_return(fnode) is not None  # a return before the end: routed through a flag
        args = [c for c in node.child_by_field_name("arguments").named_children if c.type != "comment"]
        values = []
        for a in args:
            values.append((yield self.expr(a)))
        decl = fnode.child_by_field_name("declarator")
        while decl is not None and decl.type != "function_declarator":
            if decl.type == "pointer_declarator":
                raise UnsupportedError("function returning a pointer", b.loc(decl))
            decl = decl.child_by_field_name("declarator")
        plist = decl.child_by_field_name("parameters") if decl is not None else None
        params = [p for p in (plist.named_children if plist is not None else []) if p.type == "parameter_declaration"
                  and p.child_by_field_name("declarator") is not None]
        if len(params) != len(values) or plist is not None and any(
                p.type == "variadic_parameter" for p in plist.named_children):
            raise UnsupportedError(f"call to '{name}' with {len(values)} arguments", loc)
        out = b.take_pending()
        outer_scopes, self.scopes = self.scopes, [{}]
        self.inlining.append(name)
        try:
            for p, v in zip(params, values):
                sort, width = self.c_type(p)
                ir = self.declare(self.declarator_name(p.child_by_field_name("declarator")), sort, width)
                out.append(Assign((ir,), (self.store(Var(ir, sort), v),), loc))
            rtype = fnode.child_by_field_name("type")
            ret: str | None = None
            if rtype is not None and b.text(rtype) != "void":
                rsort, rwidth = self.c_type(fnode)
                # no havoc: a callee that ends without ``return`` leaves it arbitrary (its start value), and a
                # trace does not list it before the callee assigns it
                ret = self.declare(f"{name}_result", rsort, rwidth)
                b.display[ret] = f"{name}()"
            self.return_var.append(ret)
            self.early_return.append(early)
            body = yield self.block(fnode.child_by_field_name("body").named_children, new_scope=True)
            self.return_var.pop()
            self.early_return.pop()
            if early:
                flag = self.declare("__returned", Sort.BOOL)
                body = [Assign((flag,), (FALSE,), loc), *_route_returns(body, flag, loc)]
        finally:
            self.scopes = outer_scopes
            self.inlining.pop()
        if node.start_byte not in self.effect_calls and _has_effects(body, set(self.used_globals.values())):
            raise UnsupportedError(f"call to '{name}' inside an expression", loc,
                                   "its body has loops, checks or global writes; call it as a statement")
        b.pending.extend([*out, *body])
        return Var(ret, b.variables[ret]) if ret is not None else Const(0)

    # -- types and declarations --
    def c_type(self, decl: Any) -> tuple[Sort, int | None]:
        """The sort of a declaration's type, and its width when the type is unsigned."""
        b = self.b
        tnode = decl.child_by_field_name("type")
        if tnode is None:
            raise UnsupportedError("declaration without a type", b.loc(decl))
        text = " ".join(b.text(tnode).split())
        quals = [b.text(c) for c in decl.children if c.type in ("type_qualifier", "storage_class_specifier")]
        if "extern" in quals:
            raise UnsupportedError("extern declaration", b.loc(decl))
        if text in C_BOOL_TYPES:
            return Sort.BOOL, None
        if text in C_INT_TYPES:
            return Sort.INT, None
        if text in C_UNSIGNED_TYPES:
            b.check_unsigned(f"type '{text}'", b.loc(tnode), C_UNSIGNED_TYPES[text])
            return Sort.INT, C_UNSIGNED_TYPES[text]
        if "unsigned" in text or text.startswith("uint") or text == "size_t":
            raise UnsupportedError(f"unsigned type '{text}'", b.loc(tnode))
        if text in ("float", "double", "long double"):
            raise UnsupportedError(f"floating-point type '{text}'", b.loc(tnode))
        if tnode.type in ("struct_specifier", "union_specifier", "enum_specifier"):
            raise UnsupportedError(tnode.type.replace("_specifier", ""), b.loc(tnode))
        raise UnsupportedError(f"type '{text}'", b.loc(tnode))

    def declarator_name(self, d: Any) -> str:
        b = self.b
        if d.type == "identifier":
            return b.text(d)
        kinds = {"pointer_declarator": "pointer", "array_declarator": "array",
                 "function_declarator": "function declaration", "parenthesized_declarator": "declarator"}
        raise UnsupportedError(kinds.get(d.type, d.type), b.loc(d))

    def declare(self, name: str, sort: Sort, width: int | None = None) -> str:
        ir = self.b.fresh(name, sort)
        shown = f"{self.inlining[-1]}.{name}" if self.inlining else name  # an inlined callee's own variables
        if ir != shown:
            self.b.display[ir] = shown
        self.scopes[-1][name] = ir
        if width is not None:
            self.b.unsigned[ir] = width
        return ir

    def store(self, var: Var, value: Expr) -> Expr:
        """``value`` converted to ``var``'s type (wrapping modulo 2**width for an unsigned one)."""
        width = self.b.unsigned.get(var.name)
        if width is None:
            return coerce(value, var.sort)
        return value if self.b.width_of(value) == width else self.b.reduce(as_int(value), width)

    def lookup(self, node: Any) -> Expr:
        b = self.b
        name = b.text(node)
        for scope in reversed(self.scopes):
            if name in scope:
                ir = scope[name]
                if ir.startswith("#"):  # an unmodelled local (see unmodelled_declaration)
                    raise UnsupportedError(f"{ir[1:]} '{name}' in this position", b.loc(node))
                return Var(ir, b.variables[ir])
        if name in self.defines:
            return b.int_literal(self.defines[name])
        if name in self.used_globals:
            ir = self.used_globals[name]
            return Var(ir, b.variables[ir])
        if name in self.globals:
            sort, _ = self.globals[name]
            ir = b.fresh(name, sort)
            self.used_globals[name] = ir
            return Var(ir, sort)
        if name in ("true", "false"):
            return TRUE if name == "true" else FALSE
        if name in C_LIMITS:
            return b.int_literal(C_LIMITS[name])
        if name in ("UINT_MAX", "ULONG_MAX", "USHRT_MAX", "UCHAR_MAX"):
            width = {"UINT_MAX": 32, "ULONG_MAX": 64, "USHRT_MAX": 16, "UCHAR_MAX": 8}[name]
            b.check_unsigned(f"constant '{name}'", b.loc(node), width)
            value = (1 << width) - 1
            return b.tag(b.int_literal(_wrap32(value) if b.machine else value), width if width >= 32 else None)
        raise UnsupportedError(f"undeclared identifier '{name}'", b.loc(node))

    # -- functions --
    def function(self, node: Any, name: str) -> Function:
        b = self.b
        decl = node.child_by_field_name("declarator")
        while decl is not None and decl.type != "function_declarator":
            if decl.type == "pointer_declarator":
                raise UnsupportedError("function returning a pointer", b.loc(decl))
            decl = decl.child_by_field_name("declarator")
        self.scopes.append({})
        params: list[str] = []
        plist = decl.child_by_field_name("parameters") if decl is not None else None
        for p in plist.named_children if plist is not None else []:
            if p.type == "comment":
                continue
            if p.type == "variadic_parameter":
                raise UnsupportedError("variadic parameters", b.loc(p))
            if p.type != "parameter_declaration":
                raise UnsupportedError(p.type, b.loc(p))
            pd = p.child_by_field_name("declarator")
            if pd is None:
                if b.text(p.child_by_field_name("type")) == "void":
                    continue
                raise UnsupportedError("unnamed parameter", b.loc(p))
            sort, width = self.c_type(p)
            params.append(self.declare(self.declarator_name(pd), sort, width))
        body_node = node.child_by_field_name("body")
        body = _run(self.block(body_node.named_children, new_scope=True))
        prologue: list[Stmt] = [Assume(b.in_range(Var(v), b.unsigned[v]), b.loc(node))
                                for v in params if v in b.unsigned]
        if self.is_main:
            for src_name, ir in self.used_globals.items():
                sort, init = self.globals[src_name]
                prologue.append(Assign((ir,), (coerce(init, sort),), Loc(0, 0)))
        bit_patterns = frozenset(v for v, w in b.unsigned.items() if w >= MACHINE_BITS) if b.machine else frozenset()
        return Function(name, "c", tuple(params), dict(b.variables), tuple(prologue + body), b.loc(node),
                        node.start_byte, node.end_byte, dict(b.display), frozenset(b.constants), bit_patterns)

    # -- statements --
    def block(self, nodes: list[Any], new_scope: bool = False) -> _Gen:
        if new_scope:
            self.scopes.append({})
        out: list[Stmt] = []
        for node in nodes:
            stmts = yield self.stmt(node)
            out.extend(stmts)
        if new_scope:
            self.scopes.pop()
        return out

    def stmt(self, node: Any) -> _Gen:  # noqa: C901 - one dispatch over the statement kinds
        b = self.b
        kind = node.type
        loc = b.loc(node)
        if kind in ("comment", ";", "empty_statement"):
            return []
        if kind == "compound_statement":
            return (yield self.block(node.named_children, new_scope=True))
        if kind == "declaration":
            return (yield self.declaration(node))
        if kind == "expression_statement":
            kids = [c for c in node.named_children if c.type != "comment"]
            if not kids:
                return []
            return (yield self.effect(kids[0]))
        if kind == "if_statement":
            cond = yield self.cond(node.child_by_field_name("condition"))
            pre = b.take_pending()
            then = yield self.block([node.child_by_field_name("consequence")], new_scope=True)
            alt = node.child_by_field_name("alternative")
            orelse: list[Stmt] = []
            if alt is not None:
                orelse = yield self.block([c for c in alt.named_children if c.type != "comment"], new_scope=True)
            return [*pre, If(cond, tuple(then), tuple(orelse), loc)]
        if kind == "while_statement":
            b.loop_count += 1
            index = b.loop_count
            cond = yield self.cond(node.child_by_field_name("condition"))
            prelude = _prelude(b.take_pending(), loc)
            body = yield self.block([node.child_by_field_name("body")], new_scope=True)
            return [Loop(cond, tuple(body), loc, index, tuple(prelude), (), False, "while",
                         node.start_byte, node.end_byte)]
        if kind == "do_statement":
            b.loop_count += 1
            index = b.loop_count
            body = yield self.block([node.child_by_field_name("body")], new_scope=True)
            cond = yield self.cond(node.child_by_field_name("condition"))
            prelude = _prelude(b.take_pending(), loc)
            return [Loop(cond, tuple(body), loc, index, tuple(prelude), (), True, "do",
                         node.start_byte, node.end_byte)]
        if kind == "for_statement":
            return (yield self.for_loop(node))
        if kind == "return_statement" and self.return_var:
            kids = [c for c in node.named_children if c.type != "comment"]
            ret = self.return_var[-1]
            end: list[Stmt] = [Return(loc)] if self.early_return[-1] else []  # see _route_returns
            if not kids or ret is None:
                return end
            value = yield self.expr(kids[0])
            return [*b.take_pending(), Assign((ret,), (self.store(Var(ret, b.variables[ret]), value),), loc), *end]
        if kind in _JUMPS:
            return (yield from _jump(self, kind, node, loc))
        if kind == "labeled_statement":
            inner = [c for c in node.named_children if c.type not in ("statement_identifier", "comment")]
            return (yield self.block(inner))
        names = {"goto_statement": "goto", "switch_statement": "switch", "case_statement": "case",
                 "function_definition": "nested function"}
        raise UnsupportedError(names.get(kind, kind.replace("_", " ")), loc)

    def declaration(self, node: Any) -> _Gen:
        b = self.b
        tnode = node.child_by_field_name("type")
        floating = tnode is not None and " ".join(b.text(tnode).split()) in ("float", "double", "long double")
        declarators = node.children_by_field_name("declarator")
        if floating:
            self.unmodelled_declaration(node, declarators, True)
            return []
        sort, width = self.c_type(node)
        arrays = [d for d in declarators if _declared(d).type == "array_declarator"]
        if arrays:
            self.unmodelled_declaration(node, arrays, False)
        out: list[Stmt] = []
        for d in declarators:
            if any(d.id == a.id for a in arrays):
                continue
            loc = b.loc(d)
            if d.type == "init_declarator":
                name = self.declarator_name(d.child_by_field_name("declarator"))
                value_node = d.child_by_field_name("value")
                if value_node.type == "initializer_list":
                    raise UnsupportedError("initializer list", b.loc(value_node))
                if value_node.type == "call_expression":
                    self.effect_calls.add(value_node.start_byte)
                value = yield self.expr(value_node)
                out.extend(b.take_pending())
                ir = self.declare(name, sort, width)
                out.append(Assign((ir,), (self.store(Var(ir, sort), value),), loc))
            else:
                name = self.declarator_name(d)
                ir = self.declare(name, sort, width)
                out.append(b.havoc(ir, sort, loc, "uninitialised"))
                if width is not None:
                    out.append(Assume(b.in_range(Var(ir), width), loc))
        return out

    def unmodelled_declaration(self, node: Any, declarators: list[Any], floating: bool) -> None:
        """Local arrays and floating-point variables are not modelled: their declarations (``declarators`` of
        ``node``) are dropped, with inert initialisers only; writes to them are dropped too, and a read is an
        arbitrary value (:meth:`unmodelled_value`)."""
        b = self.b
        quals = [b.text(c) for c in node.children if c.type in ("type_qualifier", "storage_class_specifier")]
        if "extern" in quals or "static" in quals:
            raise UnsupportedError(f"{' '.join(quals)} declaration", b.loc(node))
        for d in declarators:
            inner = _declared(d)
            kind = "floating-point variable" if floating else "array"
            if floating and inner.type == "array_declarator":
                kind = "array"
            base = inner
            while base.type == "array_declarator":
                size = base.child_by_field_name("size")
                if size is not None and not self.pure(size):
                    raise UnsupportedError("array size with side effects", b.loc(size))
                base = base.child_by_field_name("declarator")
            if base.type != "identifier":
                self.declarator_name(base)  # names the construct (a pointer, ...)
            value = d.child_by_field_name("value") if d.type == "init_declarator" else None
            if value is not None and not self.pure(value):
                raise UnsupportedError(f"initialiser of {kind} '{b.text(base)}'", b.loc(value),
                                       "only initialisers without side effects")
            self.scopes[-1][b.text(base)] = "#" + kind
            b.notes.append(f"{b.loc(d)}: dropped the declaration '{_short(b.text(d))}': {kind}s are not modelled")

    def unmodelled_kind(self, name: str) -> str | None:
        """``array`` or ``floating-point variable`` when ``name`` is an unmodelled local in scope."""
        for scope in reversed(self.scopes):
            if name in scope:
                ir = scope[name]
                return ir[1:] if ir.startswith("#") else None
        return None

    def unmodelled_target(self, node: Any) -> str | None:
        """The name of the unmodelled array or floating-point variable ``node`` writes (``a[i]``, ``f``)."""
        while node.type in ("parenthesized_expression", "subscript_expression"):
            node = node.named_children[0] if node.type == "parenthesized_expression" else \
                node.child_by_field_name("argument")
        if node.type == "identifier" and self.unmodelled_kind(self.b.text(node)) is not None:
            return self.b.text(node)
        return None

    def drop_write(self, node: Any, name: str, parts: list[Any]) -> list[Stmt]:
        """A write to unmodelled state, whose operands (``parts``) must change nothing else."""
        b = self.b
        for p in parts:
            if p is not None and not self.pure(p):
                raise UnsupportedError(f"write to {self.unmodelled_kind(name)} '{name}' with side effects", b.loc(p))
        b.notes.append(f"{b.loc(node)}: dropped '{_short(b.text(node))}': writes only unmodelled state "
                       f"({self.unmodelled_kind(name)} '{name}')")
        return []

    def effect(self, node: Any) -> _Gen:
        """An expression evaluated for its side effects (statement level)."""
        b = self.b
        kind = node.type
        loc = b.loc(node)
        if kind in ("update_expression", "assignment_expression"):
            left = node.child_by_field_name("argument" if kind == "update_expression" else "left")
            name = self.unmodelled_target(left)
            if name is not None:
                return self.drop_write(node, name, [left, node.child_by_field_name("right")])
        if kind == "parenthesized_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            return (yield self.effect(inner[0]))
        if kind == "comma_expression":
            left = yield self.effect(node.child_by_field_name("left"))
            right = yield self.effect(node.child_by_field_name("right"))
            return [*left, *right]
        if kind == "assignment_expression":
            return (yield self.assignment(node))
        if kind == "update_expression":
            arg = node.child_by_field_name("argument")
            var = self.target(arg)
            op = b.text(node.child_by_field_name("operator"))
            value = self.binary("+" if op == "++" else "-", var, Const(1), loc)
            return [*b.take_pending(), Assign((var.name,), (self.store(var, value),), loc)]
        if kind == "call_expression":
            return (yield self.call_stmt(node))
        yield self.expr(node)
        return b.take_pending()

    def target(self, node: Any) -> Var:
        b = self.b
        while node.type == "parenthesized_expression":
            node = node.named_children[0]
        if node.type != "identifier":
            kinds = {"subscript_expression": "array access", "pointer_expression": "pointer dereference",
                     "field_expression": "struct field"}
            raise UnsupportedError(kinds.get(node.type, f"assignment to {node.type}"), b.loc(node))
        var = self.lookup(node)
        if not isinstance(var, Var):
            raise UnsupportedError(f"assignment to constant '{b.text(node)}'", b.loc(node))
        return var

    def assignment(self, node: Any) -> _Gen:
        b = self.b
        loc = b.loc(node)
        var = self.target(node.child_by_field_name("left"))
        right = node.child_by_field_name("right")
        out: list[Stmt] = []
        inner = right
        while inner.type == "parenthesized_expression":
            inner = inner.named_children[0]
        if inner.type == "assignment_expression":
            out.extend((yield self.assignment(inner)))
            value: Expr = self.target(inner.child_by_field_name("left"))
        else:
            if inner.type == "call_expression":
                self.effect_calls.add(inner.start_byte)
            value = yield self.expr(right)
            out.extend(b.take_pending())
        op = b.text(node.child_by_field_name("operator"))
        if op != "=":
            value = self.binary(op[:-1], var, value, loc)
            out.extend(b.take_pending())
        out.append(Assign((var.name,), (self.store(var, value),), loc))
        return out

    def call_stmt(self, node: Any) -> _Gen:
        b = self.b
        loc = b.loc(node)
        fn = node.child_by_field_name("function")
        name = b.text(fn) if fn.type == "identifier" else ""
        args = [c for c in node.child_by_field_name("arguments").named_children if c.type != "comment"]
        if name in ASSERT_NAMES or name in ASSUME_NAMES:
            if len(args) != 1:
                raise UnsupportedError(f"call to '{name}' with {len(args)} arguments", loc)
            cond = yield self.cond(args[0])
            pre = b.take_pending()
            if name in ASSERT_NAMES:
                return [*pre, b.assertion(cond, loc, render(cond, "c"))]
            return [*pre, Assume(cond, loc)]
        if name in ERROR_NAMES:
            return [b.assertion(FALSE, loc, f"{name}() is unreachable")]
        if name in HALT_NAMES:
            return [Assume(FALSE, loc)]
        if name and is_nondet_name(name):
            return []
        if name in self.functions and name not in HELPER_NAMES:
            self.effect_calls.add(node.start_byte)
            yield self.inline(node, name)
            return b.take_pending()
        if name in OUTPUT_NAMES["c"] and all(self.pure(a) for a in args):
            b.notes.append(f"{loc}: dropped '{name}(...)': output cannot affect an assertion")
            return []
        if name and self.sliceable(args):
            # an unknown function may not return: a violation after the call is reported unsupported
            b.temp_count += 1
            mark = b.fresh(f"__call{b.temp_count}", Sort.INT)
            b.notes.append(f"{loc}: dropped '{name}(...)': an unknown function, taken to change no modelled "
                           "variable; a violation that passes through it is reported unsupported")
            return [b.havoc(mark, Sort.INT, loc, f"{name}()", f"call to '{name}'")]
        raise UnsupportedError(f"call to '{name or b.text(fn)}'", loc)

    def sliceable(self, args: list[Any]) -> bool:
        """True if a call to a function not in the file can be modelled by an arbitrary result: its arguments
        change nothing and pass no address (``pure``), and the file has no global variable it could write."""
        return not self.globals and all(self.pure(a) for a in args)

    def pure(self, node: Any) -> bool:
        """True if evaluating ``node`` can change no variable and has no undefined behaviour that could end
        the run: names, literals, strings, and operators other than division (``x / 0`` is undefined)."""
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type not in _C_PRINTABLE_NODES:
                return False
            if n.type == "binary_expression" and self.b.text(n.child_by_field_name("operator")) in ("/", "%"):
                return False
            stack.extend(n.named_children)
        return True

    def for_loop(self, node: Any) -> _Gen:
        b = self.b
        loc = b.loc(node)
        self.scopes.append({})
        init_node = node.child_by_field_name("initializer")
        init: list[Stmt] = []
        if init_node is not None:
            if init_node.type == "declaration":
                init = yield self.declaration(init_node)
            else:
                init = yield self.effect(init_node)
        b.loop_count += 1
        index = b.loop_count
        cond_node = node.child_by_field_name("condition")
        cond: Expr = TRUE
        prelude: list[Stmt] = []
        if cond_node is not None:
            cond = yield self.cond(cond_node)
            prelude = _prelude(b.take_pending(), loc)
        update: list[Stmt] = []
        for u in node.children_by_field_name("update"):
            update.extend((yield self.effect(u)))
        body = yield self.block([node.child_by_field_name("body")], new_scope=True)
        self.scopes.pop()
        return [*init, Loop(cond, tuple(body), loc, index, tuple(prelude), tuple(update), False, "for",
                            node.start_byte, node.end_byte)]

    # -- expressions --
    def cond(self, node: Any) -> _Gen:
        e = yield self.expr(node)
        return as_bool(e)

    def binary(self, sym: str, a: Expr, c: Expr, loc: Loc) -> Expr:
        b = self.b
        width = b.common_width(a, c) if sym not in ("&&", "||") else None
        if width is not None:
            return self.unsigned_binary(sym, a, c, width, loc)
        shared = b.arith_or_bitwise(sym, a, c, loc)
        if shared is not None:
            if b.machine and sym in ("+", "-", "*", "<<"):
                self.overflow_check(shared, loc)
            return shared
        if sym in ("/", "%"):
            out = b.divide("cdiv" if sym == "/" else "cmod", a, c, sym, loc)
            if b.machine:
                self.overflow_check(out, loc)
            return out
        cmp = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
        if sym in cmp:
            return compare(cmp[sym], a, c)
        if sym in ("&&", "||"):
            return logic("and" if sym == "&&" else "or", a, c)
        raise UnsupportedError(f"operator '{sym}'", loc)

    def overflow_check(self, e: Expr, loc: Loc) -> None:
        """Under machine integers, signed overflow is undefined behaviour: before ``e`` (a signed ``+ - * / %
        <<`` or unary ``-``) is evaluated, an implicit check that its exact result fits in ``int``. The check's
        condition reads the operands only through operations that cannot overflow themselves. Inside an operand
        that may not be evaluated (of ``&&``, ``||``, ``?:``) the check holds only where it is."""
        ok = _fits(e)
        if ok is None:
            return
        for g in reversed(self.guards):
            ok = logic("or", negate(g), ok)
        # kept whole (``ok ? true : false``): the bounds of the range are no material for loop invariants, so the
        # candidate generator, which mines program conditions for comparisons, is not to take them apart
        ok = Ite(ok, TRUE, FALSE, Sort.BOOL)
        self.b.pending.append(Assert(ok, loc, self.b.next_check(), render(e, "c"), "overflow"))

    def update_value(self, node: Any, loc: Loc) -> Expr:
        """``x++`` / ``++x`` (and ``--``) inside an expression: the update goes to ``pending`` (it runs before the
        statement that holds the expression) and the value is a copy taken before (postfix) or after (prefix)
        it. C leaves ``x++ + x`` undefined, so reading ``x`` elsewhere in the same expression is not modelled."""
        b = self.b
        var = self.target(node.child_by_field_name("argument"))
        op = b.text(node.child_by_field_name("operator"))
        prefix = node.children[0].type in ("++", "--")
        b.temp_count += 1
        copy = b.fresh(f"__upd{b.temp_count}", var.sort)
        if var.name in b.unsigned:
            b.unsigned[copy] = b.unsigned[var.name]
        new = Assign((var.name,), (self.store(var, self.binary("+" if op == "++" else "-", var, Const(1), loc)),), loc)
        keep = Assign((copy,), (Var(var.name, var.sort),), loc)
        b.pending.extend([new, keep] if prefix else [keep, new])
        return Var(copy, var.sort)

    def unsigned_binary(self, sym: str, a: Expr, c: Expr, width: int, loc: Loc) -> Expr:
        """An operator whose operands convert to an unsigned type of ``width`` bits: both are brought into
        ``[0, 2**width)``, and ``+ - *`` wrap around."""
        b = self.b
        x = a if b.width_of(a) == width else b.reduce(as_int(a), width)
        y = c if b.width_of(c) == width else b.reduce(as_int(c), width)
        if sym in ("+", "-", "*"):
            return b.reduce(arith({"+": "add", "-": "sub", "*": "mul"}[sym], x, y), width)
        machine = b.machine  # 32-bit unsigned values are bit patterns: division, '>>' and order read them unsigned
        if sym in ("/", "%"):  # both operands are non-negative: truncation and floor agree
            op = ("udiv" if sym == "/" else "urem") if machine else ("cdiv" if sym == "/" else "cmod")
            return b.tag(b.divide(op, x, y, sym, loc), width)
        cmp = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
        if sym in cmp:
            op = cmp[sym]
            return compare("u" + op if machine and op not in ("eq", "ne") else op, x, y)
        if machine and sym in ("&", "|", "^", "<<", ">>"):
            if sym in ("<<", ">>") and not (isinstance(c, Const) and 0 <= c.value < 32):
                raise UnsupportedError(f"shift '{sym}' by a non-constant or out-of-range amount", loc)
            ops = {"&": "band", "|": "bor", "^": "bxor", "<<": "shl", ">>": "lshr"}
            return b.tag(arith(ops[sym], x, as_int(c) if sym in ("<<", ">>") else y), width)
        raise UnsupportedError(f"operator '{sym}' on unsigned values", loc)

    def expr(self, node: Any) -> _Gen:  # noqa: C901 - one dispatch over the expression kinds
        b = self.b
        kind = node.type
        loc = b.loc(node)
        if kind == "number_literal":
            value, width = self.number(node)
            return b.reduce(b.int_literal(value), width) if width is not None else b.int_literal(value)
        if kind == "identifier":
            unmodelled = self.unmodelled_kind(b.text(node))
            if unmodelled == "floating-point variable":
                return b.unmodelled_value(f"floating-point variable '{b.text(node)}'", loc)
            if unmodelled is not None:
                raise UnsupportedError(f"array '{b.text(node)}' used as a value", loc)
            return self.lookup(node)
        if kind in ("true", "false"):
            return TRUE if kind == "true" else FALSE
        if kind == "parenthesized_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            if len(inner) != 1:
                raise UnsupportedError("parenthesized expression", loc)
            return (yield self.expr(inner[0]))
        if kind == "binary_expression":
            sym = b.text(node.child_by_field_name("operator"))
            left = yield self.expr(node.child_by_field_name("left"))
            lazy = sym in ("&&", "||")  # the right operand may not be evaluated
            self.lazy_depth += lazy
            if lazy:
                self.guards.append(as_bool(left) if sym == "&&" else negate(left))
            right = yield self.expr(node.child_by_field_name("right"))
            if lazy:
                self.guards.pop()
            self.lazy_depth -= lazy
            return self.binary(sym, left, right, loc)
        if kind == "unary_expression":
            arg = yield self.expr(node.child_by_field_name("argument"))
            op = b.text(node.child_by_field_name("operator"))
            width = b.width_of(arg) if (b.width_of(arg) or 0) >= 32 else None
            if op == "-":
                if width is not None:
                    return b.reduce(neg(arg), width)
                out = neg(arg)
                if b.machine:
                    self.overflow_check(out, loc)
                return out
            if op == "+":
                return as_int(arg)
            if op == "!":
                return negate(arg)
            if op == "~":
                b.check_bitwise("~", loc)
                return Unary("bnot", as_int(arg), Sort.INT)
            raise UnsupportedError(f"operator '{op}'", loc)
        if kind == "conditional_expression":
            c = yield self.expr(node.child_by_field_name("condition"))
            self.lazy_depth += 1
            self.guards.append(as_bool(c))
            x = yield self.expr(node.child_by_field_name("consequence"))
            self.guards[-1] = negate(c)
            y = yield self.expr(node.child_by_field_name("alternative"))
            self.guards.pop()
            self.lazy_depth -= 1
            width = b.common_width(x, y)
            if width is not None:
                x = x if b.width_of(x) == width else b.reduce(as_int(x), width)
                y = y if b.width_of(y) == width else b.reduce(as_int(y), width)
            return b.tag(ite(c, x, y), width)
        if kind == "call_expression":
            fn = node.child_by_field_name("function")
            name = b.text(fn) if fn.type == "identifier" else ""
            if name and is_nondet_name(name):
                return b.nondet_value(name, loc)
            if name in self.functions and name not in HELPER_NAMES:
                return (yield self.inline(node, name))
            args = [c for c in node.child_by_field_name("arguments").named_children if c.type != "comment"]
            if name and name not in HELPER_NAMES and name not in OUTPUT_NAMES["c"] and self.sliceable(args):
                return b.unmodelled_value(f"call to '{name}'", loc)
            raise UnsupportedError(f"call to '{name or b.text(fn)}'", loc,
                                   "only nondet*/unknown* calls and functions defined in the file")
        if kind == "subscript_expression":
            name = self.unmodelled_target(node)
            index = node.child_by_field_name("index")
            if name is not None and self.unmodelled_kind(name) == "array" and (index is None or self.pure(index)):
                return b.unmodelled_value(f"array access '{_short(b.text(node))}'", loc)
        if kind == "cast_expression":
            tnode = node.child_by_field_name("type")
            text = " ".join(b.text(tnode).split())
            value = yield self.expr(node.child_by_field_name("value"))
            if text in C_BOOL_TYPES:
                return as_bool(value)
            if text in C_UNSIGNED_TYPES:
                b.check_unsigned(f"cast to '{text}'", loc, C_UNSIGNED_TYPES[text])
                return b.reduce(as_int(value), C_UNSIGNED_TYPES[text])
            if text in ("int", "long", "long long", "long int", "signed", "int32_t", "int64_t"):
                # a fresh node, so that a value cast from an unsigned type is no longer typed unsigned
                return arith("add", value, Const(0)) if b.width_of(value) is not None else as_int(value)
            raise UnsupportedError(f"cast to '{text}'", loc)
        if kind == "char_literal":
            text = b.text(node)
            if len(text) == 3:
                return b.int_literal(ord(text[1]))
            raise UnsupportedError("character escape", loc)
        if kind == "update_expression" and not self.lazy_depth:
            return self.update_value(node, loc)
        if kind in ("assignment_expression", "update_expression"):
            raise UnsupportedError("assignment inside an expression", loc,
                                   "'++'/'--' are supported outside '&&', '||' and '?:' operands")
        names = {"pointer_expression": "pointer", "subscript_expression": "array access",
                 "field_expression": "struct field", "string_literal": "string", "sizeof_expression": "sizeof",
                 "comma_expression": "comma expression", "null": "NULL"}
        raise UnsupportedError(names.get(kind, kind.replace("_", " ")), loc)

    def number(self, node: Any) -> tuple[int, int | None]:
        """The literal's value, and its width when it is unsigned (``10u``, ``10UL``)."""
        b = self.b
        text = b.text(node).lower().replace("'", "")
        if any(ch in text for ch in ".e") and not text.startswith("0x") or "p" in text and text.startswith("0x"):
            raise UnsupportedError("floating-point literal", b.loc(node))
        digits = text.rstrip("ul")
        suffix = text[len(digits):]
        width: int | None = None
        if "u" in suffix:
            width = 64 if "l" in suffix else 32
            b.check_unsigned("literal", b.loc(node), width)
        try:
            if digits.startswith(("0x", "0b")):
                return int(digits, 0), width
            if len(digits) > 1 and digits.startswith("0"):
                return int(digits, 8), width
            return int(digits), width
        except ValueError:
            raise UnsupportedError(f"number literal '{b.text(node)}'", b.loc(node)) from None


def _fits(e: Expr) -> Expr | None:
    """The condition, over machine integers, under which the signed operation ``e`` does not overflow (``None``
    when it never does). Each test is written so that evaluating it cannot overflow: for ``a + b``,
    ``b >= 0 ? a <= INT_MAX - b : a >= INT_MIN - b``."""
    lo, hi = Const(INT_MIN), Const(INT_MAX)
    if isinstance(e, Unary) and e.op == "neg":
        if isinstance(e.arg, Const):
            return None if e.arg.value != INT_MIN else FALSE
        return compare("ne", e.arg, lo)
    if not isinstance(e, Binary):
        return None
    a, c = e.left, e.right
    if e.op in ("add", "mul") and isinstance(a, Const) and not isinstance(c, Const):
        a, c = c, a  # commutative: the constant on the right gives the simpler test
    if isinstance(a, Const) and isinstance(c, Const) and e.op in ("add", "sub", "mul"):
        exact = {"add": a.value + c.value, "sub": a.value - c.value, "mul": a.value * c.value}[e.op]
        return None if INT_MIN <= exact <= INT_MAX else FALSE
    if e.op in ("add", "sub"):
        sign = 1 if e.op == "add" else -1
        if isinstance(c, Const):
            k = sign * c.value
            if k == 0:
                return None
            return compare("le", a, Const(INT_MAX - k)) if k > 0 else compare("ge", a, Const(INT_MIN - k))
        if e.op == "add":
            return ite(compare("ge", c, Const(0)), compare("le", a, arith("sub", hi, c)),
                       compare("ge", a, arith("sub", lo, c)))
        return ite(compare("ge", c, Const(0)), compare("ge", a, arith("add", lo, c)),
                   compare("le", a, arith("add", hi, c)))
    if e.op == "mul":
        if isinstance(c, Const) and c.value in (0, 1) or isinstance(a, Const) and a.value in (0, 1):
            return None
        return Binary("mul_fits", a, c, Sort.BOOL)
    if e.op in ("cdiv", "cmod"):  # the divisor is a constant; only INT_MIN / -1 overflows
        return compare("ne", a, lo) if isinstance(c, Const) and c.value == -1 else None
    if e.op == "shl" and isinstance(c, Const):  # C: a negative left operand, or bits shifted out, is undefined
        if c.value == 0:
            return None
        return logic("and", compare("ge", a, Const(0)), compare("le", a, Const(INT_MAX >> c.value)))
    return None


def _declared(d: Any) -> Any:
    """The declarator an (init-)declarator declares."""
    return d.child_by_field_name("declarator") if d.type == "init_declarator" else d


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _prelude(stmts: list[Stmt], loc: Loc) -> list[Stmt]:
    """A loop condition's pending statements, which run at every visit of the loop head: only arbitrary values,
    their assumptions and implicit overflow checks can go there (an inlined call in a loop condition cannot)."""
    for s in stmts:
        if isinstance(s, Assert) and s.kind == "overflow":
            continue
        if not isinstance(s, (Havoc, Assume)):
            raise UnsupportedError("side effect in a loop condition", loc,
                                   "an assignment, '++'/'--' or function call in the condition of a loop")
    return stmts


def _route_returns(body: list[Stmt], flag: str, loc: Loc) -> list[Stmt]:
    """An inlined callee's body with its ``Return`` statements (which would end the caller) turned into jumps to
    the end of the callee: a return sets ``flag`` (and leaves the loop it is in); whatever follows a statement that
    may have returned runs only while ``flag`` is clear, and a loop around such a statement is left too."""
    returns: dict[int, bool] = {}

    def has_return(s: Stmt) -> bool:
        if id(s) not in returns:
            found = False
            stack: list[Stmt] = [s]
            while stack and not found:
                t = stack.pop()
                found = isinstance(t, Return)
                if isinstance(t, If):
                    stack.extend((*t.then, *t.orelse))
                elif isinstance(t, Loop):
                    stack.extend(t.body)
            returns[id(s)] = found
        return returns[id(s)]

    returned = Var(flag, Sort.BOOL)

    def block(stmts: tuple[Stmt, ...] | list[Stmt], in_loop: bool) -> _Gen:
        out: list[Stmt] = []
        for i, s in enumerate(stmts):
            if isinstance(s, Return):  # what follows in this block is unreachable
                return [*out, Assign((flag,), (TRUE,), s.loc), *([Break(s.loc)] if in_loop else [])]
            if not has_return(s):
                out.append(s)
                continue
            if isinstance(s, If):
                then = yield block(s.then, in_loop)
                orelse = yield block(s.orelse, in_loop)
                out.append(If(s.cond, tuple(then), tuple(orelse), s.loc))
            else:
                assert isinstance(s, Loop)
                inner = yield block(s.body, True)
                out.append(dataclasses.replace(s, body=tuple(inner)))
            rest = yield block(stmts[i + 1:], in_loop)
            if in_loop:
                out.append(If(returned, (Break(s.loc),), tuple(rest), s.loc))
            elif rest:
                out.append(If(negate(returned), tuple(rest), (), s.loc))
            return out
        return out

    return drive(block(body, False))


def _c_non_tail_return(fnode: Any) -> Any | None:
    """The first ``return`` of a C function that is not in tail position (``None`` if all are): a tail return
    is the last statement of the body, or of a branch of an ``if`` that is itself in tail position."""
    body = fnode.child_by_field_name("body")
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type != "return_statement":
            stack.extend(n.named_children)
            continue
        cur = n
        while cur.id != body.id:
            parent = cur.parent
            if parent.type == "compound_statement":
                kids = [c for c in parent.named_children if c.type != "comment"]
                if kids[-1].id != cur.id:
                    return n
            elif parent.type not in ("if_statement", "else_clause"):
                return n
            elif parent.type == "if_statement" and parent.child_by_field_name("condition").id == cur.id:
                return n
            cur = parent
    return None


def _has_effects(stmts: list[Stmt], globals_: set[str]) -> bool:
    """True if running ``stmts`` could do more than compute values: a loop, an assertion or assumption, or a
    write to a global variable."""
    stack = list(stmts)
    while stack:
        s = stack.pop()
        if isinstance(s, Assert) and s.kind == "overflow":
            continue  # implicit checks carry the conditions under which the operands run
        if isinstance(s, (Loop, Assert, Assume, Return, Break, Continue)):
            return True
        if isinstance(s, Assign) and any(t in globals_ for t in s.targets):
            return True
        if isinstance(s, If):
            stack.extend((*s.then, *s.orelse))
    return False


def _c_defines(root: Any, source: bytes) -> dict[str, int]:
    out: dict[str, int] = {}
    for node in root.named_children:
        if node.type == "preproc_def":
            name = node.child_by_field_name("name")
            value = node.child_by_field_name("value")
            if name is None or value is None:
                continue
            text = source[value.start_byte:value.end_byte].decode("utf-8", "replace").strip()
            text = text.strip("()").strip()
            try:
                out[source[name.start_byte:name.end_byte].decode()] = int(text.rstrip("lL"), 0)
            except ValueError:
                continue
    return out


def _c_globals(root: Any, source: bytes, defines: dict[str, int]) -> dict[str, tuple[Sort, Any]]:
    """Top-level ``int g = <constant>;`` declarations (C globals start at 0 when not initialised)."""
    out: dict[str, tuple[Sort, Any]] = {}
    for node in root.named_children:
        if node.type != "declaration":
            continue
        t = node.child_by_field_name("type")
        text = " ".join(source[t.start_byte:t.end_byte].decode().split()) if t is not None else ""
        if text in C_BOOL_TYPES:
            sort = Sort.BOOL
        elif text in C_INT_TYPES:
            sort = Sort.INT
        else:
            continue
        if any(c.type == "storage_class_specifier" and source[c.start_byte:c.end_byte] == b"extern"
               for c in node.children):
            continue
        for d in node.children_by_field_name("declarator"):
            init: Expr = Const(0)
            if d.type == "init_declarator":
                v = d.child_by_field_name("value")
                d = d.child_by_field_name("declarator")
                vt = source[v.start_byte:v.end_byte].decode().strip()
                try:
                    init = Const(int(vt, 0))
                except ValueError:
                    if vt in defines:
                        init = Const(defines[vt])
                    elif vt.startswith("-") and vt[1:].strip().isdigit():
                        init = Const(-int(vt[1:]))
                    else:
                        continue
            if d.type == "identifier":
                out[source[d.start_byte:d.end_byte].decode()] = (sort, init)
    return out


def _c_function_name(node: Any, source: bytes) -> str:
    d = node.child_by_field_name("declarator")
    while d is not None and d.type not in ("identifier", "field_identifier"):
        d = d.child_by_field_name("declarator")
    return source[d.start_byte:d.end_byte].decode() if d is not None else "<anonymous>"


# ======================================================================================================
# Python
# ======================================================================================================


class _PyFrontEnd:
    def __init__(self, b: _Builder, constants: dict[str, int], assigned: set[str], func_node: Any) -> None:
        self.b = b
        self.module_constants = constants
        self.assigned = assigned
        self.func_node = func_node
        # per enclosing loop: the flag its ``break`` sets, when the loop has an ``else`` clause
        self.break_flags: list[str | None] = []

    def call_name(self, fn: Any) -> str:
        """The name a call is recognised by: ``f`` for ``f(...)`` and for ``recursa.f(...)``."""
        if fn.type == "identifier":
            return self.b.text(fn)
        if fn.type == "attribute":
            obj, attr = fn.child_by_field_name("object"), fn.child_by_field_name("attribute")
            if obj is not None and attr is not None and obj.type == "identifier" and self.b.text(obj) == "recursa":
                return self.b.text(attr)
        return ""

    def loop_with_else(self, node: Any, convert: Any) -> _Gen:
        """A ``while``/``for`` loop, with its ``else`` clause run when the loop ends without ``break``: a flag
        set just before each ``break`` of this loop says which way it ended."""
        alt = node.child_by_field_name("alternative")
        flag = self.b.fresh(f"__broke{self.b.loop_count + 1}", Sort.BOOL) if alt is not None else None
        self.break_flags.append(flag)
        stmts = yield convert(node)
        self.break_flags.pop()
        if alt is None or flag is None:
            return stmts
        orelse = yield self.block(self.body_of(alt.child_by_field_name("body")))
        loc = self.b.loc(alt)
        return [Assign((flag,), (FALSE,), self.b.loc(node)), *stmts,
                If(negate(Var(flag, Sort.BOOL)), tuple(orelse), (), loc)]

    def var(self, name: str) -> Var:
        b = self.b
        if name not in b.variables:
            b.variables[name] = Sort.INT
        return Var(name, b.variables[name])

    def function(self, node: Any | None, name: str, body_nodes: list[Any], params: list[tuple[str, Sort]],
                 loc: Loc, span: tuple[int, int], precondition: frozenset[int] = frozenset()) -> Function:
        """``precondition`` holds the start bytes of the leading ``assert`` statements, read as assumptions."""
        b = self.b
        for p, sort in params:
            b.variables[p] = sort
        body: list[Stmt] = []
        rest = list(body_nodes)
        while rest and (rest[0].start_byte in precondition or precondition and rest[0].type != "assert_statement"):
            first = rest.pop(0)  # a leading assert, or the docstring before it
            if first.start_byte not in precondition:
                body.extend(_run(self.stmt(first)))
                continue
            kids = [c for c in first.named_children if c.type != "comment"]
            cond = _run(self.cond(kids[0]))
            body.extend([*b.take_pending(), Assume(cond, b.loc(kids[0]))])
        body.extend(_run(self.block(rest)))
        return Function(name, "python", tuple(p for p, _ in params), dict(b.variables), tuple(body), loc,
                        span[0], span[1], dict(b.display), frozenset(b.constants))

    def block(self, nodes: list[Any]) -> _Gen:
        out: list[Stmt] = []
        for node in nodes:
            out.extend((yield self.stmt(node)))
        return out

    def body_of(self, node: Any) -> list[Any]:
        return [c for c in node.named_children if c.type != "comment"] if node is not None else []

    def stmt(self, node: Any) -> _Gen:  # noqa: C901 - one dispatch over the statement kinds
        b = self.b
        kind = node.type
        loc = b.loc(node)
        if kind in ("comment", "pass_statement", "import_statement", "import_from_statement",
                    "future_import_statement", "global_statement", "nonlocal_statement"):
            return []
        if kind == "expression_statement":
            kids = [c for c in node.named_children if c.type != "comment"]
            if len(kids) != 1:
                raise UnsupportedError("tuple expression statement", loc)
            return (yield self.effect(kids[0]))
        if kind == "if_statement":
            cond = yield self.cond(node.child_by_field_name("condition"))
            pre = b.take_pending()
            then = yield self.block(self.body_of(node.child_by_field_name("consequence")))
            alts = node.children_by_field_name("alternative")
            orelse = yield self.elifs(alts)
            return [*pre, If(cond, tuple(then), tuple(orelse), loc)]
        if kind == "while_statement":
            return (yield self.loop_with_else(node, self.while_loop))
        if kind == "for_statement":
            return (yield self.loop_with_else(node, self.for_range))
        if kind == "break_statement" and self.break_flags and self.break_flags[-1] is not None:
            return [Assign((self.break_flags[-1],), (TRUE,), loc), Break(loc)]
        if kind in _JUMPS:
            return (yield from _jump(self, kind, node, loc))
        if kind == "assert_statement":
            kids = [c for c in node.named_children if c.type != "comment"]
            cond = yield self.cond(kids[0])
            pre = b.take_pending()
            return [*pre, b.assertion(cond, loc, b.text(kids[0]))]
        if kind == "block":
            return (yield self.block(self.body_of(node)))
        names = {"function_definition": "nested function", "class_definition": "class",
                 "with_statement": "with", "try_statement": "try", "raise_statement": "raise",
                 "delete_statement": "del", "match_statement": "match", "decorated_definition": "decorator"}
        raise UnsupportedError(names.get(kind, kind.replace("_", " ")), loc)

    def while_loop(self, node: Any) -> _Gen:
        b = self.b
        b.loop_count += 1
        index = b.loop_count
        cond = yield self.cond(node.child_by_field_name("condition"))
        prelude = b.take_pending()
        body = yield self.block(self.body_of(node.child_by_field_name("body")))
        return [Loop(cond, tuple(body), b.loc(node), index, tuple(prelude), (), False, "while",
                     node.start_byte, node.end_byte)]

    def elifs(self, alts: list[Any]) -> _Gen:
        """The else-part of an if statement: a chain of elif clauses ending in an optional else."""
        if not alts:
            return []
        first, rest = alts[0], alts[1:]
        if first.type == "else_clause":
            return (yield self.block(self.body_of(first.child_by_field_name("body"))))
        cond = yield self.cond(first.child_by_field_name("condition"))
        pre = self.b.take_pending()
        then = yield self.block(self.body_of(first.child_by_field_name("consequence")))
        orelse = yield self.elifs(rest)
        return [*pre, If(cond, tuple(then), tuple(orelse), self.b.loc(first))]

    def effect(self, node: Any) -> _Gen:
        b = self.b
        kind = node.type
        loc = b.loc(node)
        if kind == "assignment":
            return (yield self.assignment(node))
        if kind == "augmented_assignment":
            left = node.child_by_field_name("left")
            if left.type != "identifier":
                raise UnsupportedError(f"assignment to {left.type.replace('_', ' ')}", b.loc(left))
            var = self.var(b.text(left))
            value = yield self.expr(node.child_by_field_name("right"))
            op = b.text(node.child_by_field_name("operator"))[:-1]
            result = self.binary(op, var, value, loc)
            return [*b.take_pending(), Assign((var.name,), (coerce(result, var.sort),), loc)]
        if kind == "call":
            fn = node.child_by_field_name("function")
            name = self.call_name(fn)
            args = [c for c in node.child_by_field_name("arguments").named_children if c.type != "comment"]
            if name in OUTPUT_NAMES["python"] and self.pure_arguments(args):
                b.notes.append(f"{loc}: dropped '{b.text(fn)}(...)': output cannot affect an assertion")
                return []
            if name in ASSUME_NAMES:
                if len(args) != 1:
                    raise UnsupportedError(f"call to '{name}' with {len(args)} arguments", loc)
                cond = yield self.cond(args[0])
                return [*b.take_pending(), Assume(cond, loc)]
            if name and is_nondet_name(name):
                return []
            raise UnsupportedError(f"call to '{name or b.text(fn)}'", loc)
        if kind == "string":
            return []
        yield self.expr(node)
        return b.take_pending()

    def assignment(self, node: Any) -> _Gen:
        b = self.b
        loc = b.loc(node)
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if right is None:
            return []  # a bare annotation ``x: int``
        out: list[Stmt] = []
        if right.type == "assignment":
            out.extend((yield self.assignment(right)))
            inner_left = right.child_by_field_name("left")
            if inner_left.type != "identifier":
                raise UnsupportedError("chained tuple assignment", loc)
            values: list[Expr] = [self.var(b.text(inner_left))]
        elif right.type in ("expression_list", "tuple"):
            values = []
            for c in right.named_children:
                if c.type != "comment":
                    values.append((yield self.expr(c)))
        else:
            values = [(yield self.expr(right))]
        out.extend(b.take_pending())
        targets = [left] if left.type == "identifier" else [c for c in left.named_children if c.type != "comment"]
        if left.type not in ("identifier", "pattern_list", "tuple_pattern"):
            raise UnsupportedError(f"assignment to {left.type.replace('_', ' ')}", b.loc(left))
        if any(t.type != "identifier" for t in targets):
            bad = next(t for t in targets if t.type != "identifier")
            raise UnsupportedError(f"assignment to {bad.type.replace('_', ' ')}", b.loc(bad))
        if len(targets) != len(values):
            raise UnsupportedError("unpacking a non-tuple", loc)
        names = [b.text(t) for t in targets]
        vars_ = [self.var(n) for n in names]
        out.append(Assign(tuple(names), tuple(coerce(v, var.sort) for v, var in zip(values, vars_)), loc))
        return out

    def for_range(self, node: Any) -> _Gen:
        b = self.b
        loc = b.loc(node)
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left.type != "identifier":
            raise UnsupportedError("for loop over a pattern", b.loc(left))
        fn = right.child_by_field_name("function") if right.type == "call" else None
        if fn is None or b.text(fn) != "range":
            raise UnsupportedError("for loop over something other than range(...)", b.loc(right))
        args = [c for c in right.child_by_field_name("arguments").named_children if c.type != "comment"]
        if not 1 <= len(args) <= 3 or any(a.type in ("keyword_argument", "list_splat") for a in args):
            raise UnsupportedError("range() arguments", b.loc(right))
        vals = []
        for a in args:
            vals.append((yield self.expr(a)))
        pre = b.take_pending()
        start, end, step = (Const(0), vals[0], Const(1)) if len(vals) == 1 else (
            vals[0], vals[1], vals[2] if len(vals) == 3 else Const(1))
        if not isinstance(step, Const) or step.value == 0:
            raise UnsupportedError("range() step that is not a non-zero constant", b.loc(args[-1]))
        name = b.text(left)
        var = self.var(name)
        b.loop_count += 1
        index = b.loop_count
        body_node = node.child_by_field_name("body")
        body = yield self.block(self.body_of(body_node))
        assigned_in_body = _assigned_names(body)
        out: list[Stmt] = list(pre)
        if not isinstance(end, Const) and (_names_in(end) & (assigned_in_body | {name})):
            end_name = b.fresh(f"{name}_end", Sort.INT)
            out.append(Assign((end_name,), (as_int(end),), loc))
            end = Var(end_name)
        cmp = "lt" if step.value > 0 else "gt"
        # an ``else`` clause belongs to the for statement's node but runs after the loop, reading the final value
        private = name not in assigned_in_body and node.child_by_field_name("alternative") is None \
            and self._only_used_in(name, node)
        if private:
            # The loop variable is not read outside this loop: count with it directly.
            out.append(Assign((name,), (as_int(start),), loc))
            cond = compare(cmp, var, end)
            update: tuple[Stmt, ...] = (Assign((name,), (arith("add", var, step),), loc),)
            out.append(Loop(cond, tuple(body), loc, index, (), update, False, "for",
                            node.start_byte, node.end_byte))
            return out
        counter = b.fresh(f"{name}_next", Sort.INT)
        out.append(Assign((counter,), (as_int(start),), loc))
        cvar = Var(counter)
        cond = compare(cmp, cvar, end)
        update = (Assign((counter,), (arith("add", cvar, step),), loc),)
        body = [Assign((name,), (coerce(cvar, var.sort),), loc), *body]
        out.append(Loop(cond, tuple(body), loc, index, (), update, False, "for", node.start_byte, node.end_byte))
        return out

    def pure_arguments(self, args: list[Any]) -> bool:
        """True if evaluating ``args`` can neither change a variable nor raise (which would end the run before a
        later assertion): names, literals, strings with such interpolations, ``+ - *``, comparisons, boolean
        operators, ``str``/``repr`` of those. Anything else keeps the call, and with it the function, unsupported."""
        stack = list(args)
        while stack:
            n = stack.pop()
            if n.type not in _PRINTABLE_NODES:
                return False
            if n.type == "binary_operator" and self.b.text(n.child_by_field_name("operator")) not in ("+", "-", "*"):
                return False
            if n.type == "call":
                fn = n.child_by_field_name("function")
                if fn is None or fn.type != "identifier" or self.b.text(fn) not in ("str", "repr"):
                    return False
            if n.type == "attribute":  # ``file=sys.stderr``: reading a module attribute
                continue
            stack.extend(n.named_children)
        return True

    def _only_used_in(self, name: str, loop_node: Any) -> bool:
        """True if ``name`` appears in the function only inside ``loop_node``."""
        if self.func_node is None:
            return False
        stack = [self.func_node]
        src = self.b.source
        target = name.encode()
        while stack:
            n = stack.pop()
            if n.start_byte >= loop_node.start_byte and n.end_byte <= loop_node.end_byte:
                continue
            if n.type == "identifier" and src[n.start_byte:n.end_byte] == target:
                return False
            stack.extend(n.children)
        return True

    def cond(self, node: Any) -> _Gen:
        e = yield self.expr(node, True)
        return as_bool(e)

    def binary(self, sym: str, a: Expr, c: Expr, loc: Loc) -> Expr:
        b = self.b
        shared = b.arith_or_bitwise(sym, a, c, loc)
        if shared is not None:
            return shared
        if sym == "//":
            return b.divide("fdiv", a, c, sym, loc)
        if sym == "%":
            return b.divide("fmod", a, c, sym, loc)
        if sym == "/":
            raise UnsupportedError("true division '/' (floats)", loc, "use '//'")
        raise UnsupportedError(f"operator '{sym}'", loc)

    def expr(self, node: Any, boolean: bool = False) -> _Gen:  # noqa: C901 - dispatch over expression kinds
        b = self.b
        kind = node.type
        loc = b.loc(node)
        if kind == "integer":
            text = b.text(node).replace("_", "").lower()
            if text.endswith(("j", "l")):
                raise UnsupportedError("complex literal", loc)
            return b.int_literal(int(text, 0) if not (len(text) > 1 and text[0] == "0" and text[1].isdigit())
                                 else int(text))
        if kind == "float":
            raise UnsupportedError("floating-point literal", loc)
        if kind in ("true", "false"):
            return TRUE if kind == "true" else FALSE
        if kind == "identifier":
            name = b.text(node)
            if name not in self.assigned and name in self.module_constants and name not in b.variables:
                return b.int_literal(self.module_constants[name])
            return self.var(name)
        if kind == "parenthesized_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            if len(inner) != 1:
                raise UnsupportedError("parenthesized expression", loc)
            return (yield self.expr(inner[0], boolean))
        if kind == "binary_operator":
            left = yield self.expr(node.child_by_field_name("left"))
            right = yield self.expr(node.child_by_field_name("right"))
            return self.binary(b.text(node.child_by_field_name("operator")), left, right, loc)
        if kind == "unary_operator":
            arg = yield self.expr(node.child_by_field_name("argument"))
            op = b.text(node.child_by_field_name("operator"))
            if op == "-":
                return neg(arg)
            if op == "+":
                return as_int(arg)
            b.check_bitwise(op, loc)
            return Unary("bnot", as_int(arg), Sort.INT)
        if kind == "not_operator":
            arg = yield self.expr(node.child_by_field_name("argument"), True)
            return negate(arg)
        if kind == "boolean_operator":
            op = b.text(node.child_by_field_name("operator"))
            left = yield self.expr(node.child_by_field_name("left"), boolean)
            right = yield self.expr(node.child_by_field_name("right"), boolean)
            name = "and" if op == "and" else "or"
            if boolean or (left.sort is Sort.BOOL and right.sort is Sort.BOOL):
                return logic(name, left, right)
            # Python's value semantics: `a and b` is a when a is falsy, else b (and the mirror for `or`).
            a, c = as_int(left), as_int(right)
            test = as_bool(a)
            return Ite(test, c, a, Sort.INT) if name == "and" else Ite(test, a, c, Sort.INT)
        if kind == "comparison_operator":
            operands = [c for c in node.named_children if c.type != "comment"]
            ops = [b.text(c) for c in node.children_by_field_name("operators")]
            if len(ops) != len(operands) - 1:
                raise UnsupportedError("comparison", loc)
            values = []
            for c in operands:
                values.append((yield self.expr(c)))
            table = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
            parts = []
            for op, x, y in zip(ops, values, values[1:]):
                if op not in table:
                    raise UnsupportedError(f"comparison '{op}'", loc)
                parts.append(compare(table[op], x, y))
            result = parts[0]
            for p in parts[1:]:
                result = logic("and", result, p)
            return result
        if kind == "conditional_expression":
            kids = [c for c in node.named_children if c.type != "comment"]
            x = yield self.expr(kids[0], boolean)
            c = yield self.expr(kids[1], True)
            y = yield self.expr(kids[2], boolean)
            return ite(c, x, y)
        if kind == "call":
            fn = node.child_by_field_name("function")
            name = self.call_name(fn)
            args = [c for c in node.child_by_field_name("arguments").named_children if c.type != "comment"]
            if name and is_nondet_name(name):
                return b.nondet_value(name, loc)
            if name in ("abs", "min", "max") and (len(args) == 1 if name == "abs" else len(args) == 2):
                vals = []
                for a in args:
                    vals.append(as_int((yield self.expr(a))))
                if name == "abs":
                    return Ite(compare("ge", vals[0], Const(0)), vals[0], neg(vals[0]), Sort.INT)
                test = compare("le" if name == "min" else "ge", vals[0], vals[1])
                return Ite(test, vals[0], vals[1], Sort.INT)
            raise UnsupportedError(f"call to '{name or b.text(fn)}'", loc, "only nondet*/unknown* calls")
        names = {"string": "string", "list": "list", "dictionary": "dict", "subscript": "subscript",
                 "attribute": "attribute access", "lambda": "lambda", "none": "None", "tuple": "tuple",
                 "list_comprehension": "list comprehension", "set": "set", "await": "await"}
        raise UnsupportedError(names.get(kind, kind.replace("_", " ")), loc)


def _assigned_names(stmts: list[Stmt]) -> set[str]:
    out: set[str] = set()
    stack: list[Stmt] = list(stmts)
    while stack:
        s = stack.pop()
        if isinstance(s, Assign):
            out.update(s.targets)
        elif isinstance(s, Havoc):
            out.add(s.var)
        elif isinstance(s, If):
            stack.extend(s.then)
            stack.extend(s.orelse)
        elif isinstance(s, Loop):
            stack.extend((*s.prelude, *s.body, *s.update))
    return out


def _names_in(e: Expr) -> set[str]:
    return {n.name for n in postorder(e) if isinstance(n, Var)}


def _py_assigned_identifiers(node: Any, source: bytes) -> set[str]:
    """Names a Python function assigns anywhere (these are locals, never module constants)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("assignment", "augmented_assignment", "for_statement"):
            left = n.child_by_field_name("left")
            if left is not None:
                targets = [left] if left.type == "identifier" else list(left.named_children)
                for t in targets:
                    if t.type == "identifier":
                        out.add(source[t.start_byte:t.end_byte].decode())
        stack.extend(n.named_children)
    return out


def _py_module_constants(root: Any, source: bytes) -> dict[str, int]:
    """Module-level names bound exactly once to an integer literal (``N = 100``)."""
    counts: dict[str, int] = {}
    values: dict[str, int] = {}
    for node in root.named_children:
        if node.type != "expression_statement" or not node.named_children:
            continue
        a = node.named_children[0]
        if a.type not in ("assignment", "augmented_assignment"):
            continue
        left = a.child_by_field_name("left")
        if left is None or left.type != "identifier":
            continue
        name = source[left.start_byte:left.end_byte].decode()
        counts[name] = counts.get(name, 0) + 1
        right = a.child_by_field_name("right")
        if a.type == "assignment" and right is not None:
            text = source[right.start_byte:right.end_byte].decode().replace("_", "")
            try:
                values[name] = int(text, 0)
            except ValueError:
                pass
    return {n: v for n, v in values.items() if counts[n] == 1}


def _py_precondition(body_nodes: list[Any], params: set[bytes], source: bytes) -> list[Any]:
    """The ``assert`` statements that open a function body (after its docstring and comments): like CrossHair
    and other Python tools, recursa reads them as the function's precondition, an assumption on its inputs,
    not as claims to prove. The block counts as a precondition only when code follows it (a body made of
    asserts alone, like a test function, is all claims), and an assert that reads no parameter constrains no
    input, so it ends the block."""
    out: list[Any] = []
    rest_follows = False
    for i, n in enumerate(body_nodes):
        if n.type == "comment" or i == 0 and n.type == "expression_statement" and n.named_children \
                and n.named_children[0].type == "string":
            continue
        if n.type != "assert_statement" or not _reads_any(n, params, source):
            rest_follows = True
            break
        out.append(n)
    return out if rest_follows else []


def _reads_any(node: Any, names: set[bytes], source: bytes) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier" and source[n.start_byte:n.end_byte] in names:
            return True
        stack.extend(n.named_children)
    return False


def _py_params(fe: _PyFrontEnd, node: Any) -> list[tuple[str, Sort]]:
    b = fe.b
    out: list[tuple[str, Sort]] = []
    params = node.child_by_field_name("parameters")
    for p in params.named_children if params is not None else []:
        if p.type == "comment":
            continue
        if p.type == "identifier":
            out.append((b.text(p), Sort.INT))
        elif p.type in ("typed_parameter", "typed_default_parameter", "default_parameter"):
            name_node = p.child_by_field_name("name") or next(
                (c for c in p.named_children if c.type == "identifier"), None)
            if name_node is None:
                raise UnsupportedError(f"parameter {b.text(p)!r}", b.loc(p))
            t = p.child_by_field_name("type")
            sort = Sort.BOOL if t is not None and b.text(t).strip() == "bool" else Sort.INT
            if t is not None and b.text(t).strip() not in ("int", "bool"):
                raise UnsupportedError(f"parameter type '{b.text(t)}'", b.loc(t))
            out.append((b.text(name_node), sort))
        else:
            raise UnsupportedError(f"parameter {b.text(p)!r}", b.loc(p))
    return out


# ======================================================================================================
# entry point
# ======================================================================================================


def _loc(node: Any, source: bytes) -> Loc:
    row, col = node.start_point
    start = node.start_byte - col
    return Loc(row + 1, len(source[start:node.start_byte].decode("utf-8", "replace")) + 1)


class _ByStart:
    """Nodes sorted by start byte, so that "the nodes inside this span" is a binary search plus the answer's
    length (a file with thousands of functions and assertions would otherwise compare every pair)."""

    def __init__(self, nodes: list[Any]) -> None:
        self.nodes = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
        self.starts = [n.start_byte for n in self.nodes]

    def within(self, start: int, end: int) -> list[Any]:
        """Nodes with ``start <= n.start_byte`` and ``n.end_byte <= end``, in source order."""
        lo = bisect.bisect_left(self.starts, start)
        hi = bisect.bisect_right(self.starts, end)
        return [n for n in self.nodes[lo:hi] if n.end_byte <= end]


def _count_within(nodes: _ByStart, outer: Any) -> list[Any]:
    return nodes.within(outer.start_byte, outer.end_byte)


def _innermost(nodes: _ByStart, outer: Any, funcs: _ByStart) -> list[Any]:
    """``nodes`` inside ``outer`` and not inside a function nested in it."""
    inner = [f for f in funcs.within(outer.start_byte, outer.end_byte)
             if f is not outer and (f.start_byte, f.end_byte) != (outer.start_byte, outer.end_byte)]
    found = _count_within(nodes, outer)
    if not inner:
        return found
    return [n for n in found if not _covered(_merged_spans(inner), n.start_byte, n.end_byte)]


def _merged_spans(nodes: list[Any]) -> list[tuple[int, int]]:
    """The union of the nodes' byte spans as disjoint sorted intervals."""
    out: list[tuple[int, int]] = []
    for n in sorted(nodes, key=lambda n: n.start_byte):
        if out and n.start_byte <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], n.end_byte))
        else:
            out.append((n.start_byte, n.end_byte))
    return out


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True if ``[start, end]`` lies inside one of the disjoint sorted ``spans``."""
    i = bisect.bisect_right(spans, (start, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= start and end <= spans[i][1]


def load_program(source: bytes, language: str, path: str = "<input>", int_semantics: str = "math") -> ProgramFile:
    """Parse ``source`` and convert every function that can be converted.

    Functions are found with the tree-sitter queries of :mod:`recursa.trees.queries`; a function whose
    conversion fails records an :class:`Unsupported` instead of raising. Syntax errors are listed in
    ``syntax_errors`` (the caller decides what to do with them; functions are still converted).
    """
    lang = get_language(language)
    tree = lang.parser().parse(source)
    root = tree.root_node
    prog = ProgramFile(path, lang.name, source, tree=tree)
    if root.has_error:
        prog.syntax_errors = syntax_errors(tree, source)
    # break/continue outside a loop, return outside a function: the compiler rejects them, so do we
    prog.syntax_errors = sorted(prog.syntax_errors + statement_errors(tree, source, lang.name),
                                key=lambda e: (e.line, e.column))
    machine = int_semantics == "machine"
    funcs = find(lang.name, tree, "function")
    loops = _ByStart(find(lang.name, tree, "loop"))
    asserts = _ByStart(find(lang.name, tree, "assertion"))
    func_index = _ByStart(funcs)
    if lang.name == "c":
        defines = _c_defines(root, source)
        globals_ = _c_globals(root, source, defines)
        definitions = {_c_function_name(f, source): f for f in funcs}
        for fnode in funcs:
            name = _c_function_name(fnode, source)
            if name in HELPER_NAMES or is_nondet_name(name):
                continue
            unit = FunctionUnit(name, _loc(fnode, source), fnode.start_byte, fnode.end_byte,
                                [_loc(a, source) for a in _count_within(asserts, fnode)],
                                len(_count_within(loops, fnode)))
            try:
                b = _Builder(source, "c", machine)
                unit.function = _CFrontEnd(b, defines, globals_, name == "main", definitions).function(fnode, name)
                unit.notes = b.notes
            except UnsupportedError as exc:
                unit.unsupported = Unsupported(exc.construct, exc.loc, exc.message)
            prog.units.append(unit)
    elif lang.name == "python":
        constants = _py_module_constants(root, source)
        for fnode in funcs:
            name_node = fnode.child_by_field_name("name")
            name = source[name_node.start_byte:name_node.end_byte].decode()
            if name in HELPER_NAMES or is_nondet_name(name):
                continue
            body_node = fnode.child_by_field_name("body")
            body_nodes = [c for c in body_node.named_children] if body_node is not None else []
            pnode = fnode.child_by_field_name("parameters")
            pnames = {source[c.start_byte:c.end_byte] for c in (pnode.named_children if pnode is not None else [])
                      for c in ([c] if c.type == "identifier" else c.named_children) if c.type == "identifier"}
            precondition = frozenset(n.start_byte for n in _py_precondition(body_nodes, pnames, source))
            unit = FunctionUnit(name, _loc(fnode, source), fnode.start_byte, fnode.end_byte,
                                [_loc(a, source) for a in _innermost(asserts, fnode, func_index)
                                 if a.start_byte not in precondition],
                                len(_innermost(loops, fnode, func_index)))
            try:
                b = _Builder(source, "python", machine)
                scope = fnode.parent.parent if fnode.parent.type == "decorated_definition" else fnode.parent
                while scope is not None and scope.type == "block":
                    scope = scope.parent
                if scope is not None and scope.type == "class_definition":
                    raise UnsupportedError("method", _loc(fnode, source), "only module-level functions")
                if scope is not None and scope.type != "module":
                    raise UnsupportedError("nested function", _loc(fnode, source))
                if fnode.parent.type == "decorated_definition":
                    raise UnsupportedError("decorator", _loc(fnode.parent, source))
                fe = _PyFrontEnd(b, constants, _py_assigned_identifiers(fnode, source), fnode)
                params = _py_params(fe, fnode)
                body = fe.body_of(fnode.child_by_field_name("body"))
                unit.function = fe.function(fnode, name, body, params, unit.loc,
                                            (fnode.start_byte, fnode.end_byte), precondition)
                unit.notes = b.notes
            except UnsupportedError as exc:
                unit.unsupported = Unsupported(exc.construct, exc.loc, exc.message)
            prog.units.append(unit)
        # top-level statements form the module's own "function"
        skip = ("function_definition", "decorated_definition", "class_definition", "import_statement",
                "import_from_statement", "future_import_statement", "comment")
        stmts = [n for n in root.named_children if n.type not in skip]
        stmts = [n for n in stmts if not (n.type == "expression_statement" and n.named_children
                                          and n.named_children[0].type == "string")]
        spans = _merged_spans(funcs)
        outside = [a for a in asserts.nodes if not _covered(spans, a.start_byte, a.start_byte + 1)]
        if stmts and outside:
            first = stmts[0]
            unit = FunctionUnit("<module>", _loc(first, source), first.start_byte, stmts[-1].end_byte,
                                [_loc(a, source) for a in outside],
                                len([lp for lp in loops.nodes
                                     if not _covered(spans, lp.start_byte, lp.start_byte + 1)]))
            try:
                b = _Builder(source, "python", machine)
                fe = _PyFrontEnd(b, {}, set(), root)
                unit.function = fe.function(None, "<module>", stmts, [], unit.loc,
                                            (first.start_byte, stmts[-1].end_byte))
                unit.notes = b.notes
            except UnsupportedError as exc:
                unit.unsupported = Unsupported(exc.construct, exc.loc, exc.message)
            prog.units.append(unit)
    else:
        raise ValueError(f"recursa verifies C and Python programs, not {lang.name}")
    return prog
