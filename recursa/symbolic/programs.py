"""C functions and a Python subset → the IR of :mod:`recursa.symbolic.ir`, from tree-sitter trees.

Supported: integer and boolean variables, assignments (also compound, ``++``/``--``, Python tuple and chained
assignment), if/else, while / for / do-while (C), while / ``for i in range(...)`` (Python), break,
continue, return, ``assume(e)`` / ``__VERIFIER_assume(e)`` / ``assume_abort_if_not(e)``, ``assert(e)`` /
``__VERIFIER_assert(e)`` / ``assert e`` / ``reach_error()``, and nondeterministic values from calls to
``unknown*()``, ``nondet*()``, ``__VERIFIER_nondet_*()``. Uninitialised variables and parameters hold
arbitrary values. Anything else raises :class:`UnsupportedError` naming the construct and its line:col;
functions are then reported as unsupported, never crash the run.

Conversion walks the tree with generators driven by an explicit stack (:func:`_run`), so arbitrarily deep
nesting never reaches Python's recursion limit.
"""

from __future__ import annotations

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
HELPER_NAMES = ASSUME_NAMES | ASSERT_NAMES | ERROR_NAMES | HALT_NAMES
C_LIMITS = {"INT_MAX": 2**31 - 1, "INT_MIN": -(2**31), "SHRT_MAX": 2**15 - 1, "SHRT_MIN": -(2**15),
            "CHAR_MAX": 127, "CHAR_MIN": -128, "SCHAR_MAX": 127, "SCHAR_MIN": -128}
C_INT_TYPES = frozenset({"int", "long", "short", "char", "signed", "int32_t", "int64_t", "int16_t", "int8_t",
                         "ssize_t", "intmax_t", "ptrdiff_t", "long long", "long int", "short int",
                         "signed int", "signed char", "long long int", "signed long", "signed short"})
C_BOOL_TYPES = frozenset({"_Bool", "bool"})

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

    def havoc(self, var: str, sort: Sort, loc: Loc, reason: str) -> Havoc:
        self.havoc_sites += 1
        return Havoc(var, sort, loc, self.havoc_sites, reason)

    def nondet_value(self, name: str, loc: Loc) -> Expr:
        low = name.lower()
        kind = low.rsplit("nondet", 1)[-1].lstrip("_") if "nondet" in low else ""
        if kind.startswith("u") and kind[1:] in ("int", "long", "short", "char", "longlong") or "unsigned" in low \
                or "size_t" in low:
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


# ======================================================================================================
# C
# ======================================================================================================


class _CFrontEnd:
    def __init__(self, b: _Builder, defines: dict[str, int], globals_: dict[str, tuple[Sort, Any]],
                 is_main: bool) -> None:
        self.b = b
        self.defines = defines
        self.globals = globals_
        self.is_main = is_main
        self.scopes: list[dict[str, str]] = []
        self.used_globals: dict[str, str] = {}

    # -- types and declarations --
    def sort_of_type(self, decl: Any) -> Sort:
        b = self.b
        tnode = decl.child_by_field_name("type")
        if tnode is None:
            raise UnsupportedError("declaration without a type", b.loc(decl))
        text = " ".join(b.text(tnode).split())
        quals = [b.text(c) for c in decl.children if c.type in ("type_qualifier", "storage_class_specifier")]
        if "extern" in quals:
            raise UnsupportedError("extern declaration", b.loc(decl))
        if text in C_BOOL_TYPES:
            return Sort.BOOL
        if text in C_INT_TYPES:
            return Sort.INT
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

    def declare(self, name: str, sort: Sort) -> str:
        ir = self.b.fresh(name, sort)
        if ir != name:
            self.b.display[ir] = name
        self.scopes[-1][name] = ir
        return ir

    def lookup(self, node: Any) -> Expr:
        b = self.b
        name = b.text(node)
        for scope in reversed(self.scopes):
            if name in scope:
                ir = scope[name]
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
            sort = self.sort_of_type(p)
            params.append(self.declare(self.declarator_name(pd), sort))
        body_node = node.child_by_field_name("body")
        body = _run(self.block(body_node.named_children, new_scope=True))
        prologue: list[Stmt] = []
        if self.is_main:
            for src_name, ir in self.used_globals.items():
                sort, init = self.globals[src_name]
                prologue.append(Assign((ir,), (coerce(init, sort),), Loc(0, 0)))
        return Function(name, "c", tuple(params), dict(b.variables), tuple(prologue + body), b.loc(node),
                        node.start_byte, node.end_byte, dict(b.display), frozenset(b.constants))

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
            prelude = b.take_pending()
            body = yield self.block([node.child_by_field_name("body")], new_scope=True)
            return [Loop(cond, tuple(body), loc, index, tuple(prelude), (), False, "while",
                         node.start_byte, node.end_byte)]
        if kind == "do_statement":
            b.loop_count += 1
            index = b.loop_count
            body = yield self.block([node.child_by_field_name("body")], new_scope=True)
            cond = yield self.cond(node.child_by_field_name("condition"))
            prelude = b.take_pending()
            return [Loop(cond, tuple(body), loc, index, tuple(prelude), (), True, "do",
                         node.start_byte, node.end_byte)]
        if kind == "for_statement":
            return (yield self.for_loop(node))
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
        sort = self.sort_of_type(node)
        out: list[Stmt] = []
        for d in node.children_by_field_name("declarator"):
            loc = b.loc(d)
            if d.type == "init_declarator":
                name = self.declarator_name(d.child_by_field_name("declarator"))
                value_node = d.child_by_field_name("value")
                if value_node.type == "initializer_list":
                    raise UnsupportedError("initializer list", b.loc(value_node))
                value = yield self.expr(value_node)
                out.extend(b.take_pending())
                ir = self.declare(name, sort)
                out.append(Assign((ir,), (coerce(value, sort),), loc))
            else:
                name = self.declarator_name(d)
                ir = self.declare(name, sort)
                out.append(b.havoc(ir, sort, loc, "uninitialised"))
        return out

    def effect(self, node: Any) -> _Gen:
        """An expression evaluated for its side effects (statement level)."""
        b = self.b
        kind = node.type
        loc = b.loc(node)
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
            value = arith("add" if op == "++" else "sub", var, Const(1))
            return [Assign((var.name,), (coerce(value, var.sort),), loc)]
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
            value = yield self.expr(right)
            out.extend(b.take_pending())
        op = b.text(node.child_by_field_name("operator"))
        if op != "=":
            value = self.binary(op[:-1], var, value, loc)
        out.append(Assign((var.name,), (coerce(value, var.sort),), loc))
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
        raise UnsupportedError(f"call to '{name or b.text(fn)}'", loc)

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
            prelude = b.take_pending()
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
        shared = b.arith_or_bitwise(sym, a, c, loc)
        if shared is not None:
            return shared
        if sym == "/":
            return b.divide("cdiv", a, c, sym, loc)
        if sym == "%":
            return b.divide("cmod", a, c, sym, loc)
        cmp = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
        if sym in cmp:
            return compare(cmp[sym], a, c)
        if sym in ("&&", "||"):
            return logic("and" if sym == "&&" else "or", a, c)
        raise UnsupportedError(f"operator '{sym}'", loc)

    def expr(self, node: Any) -> _Gen:  # noqa: C901 - one dispatch over the expression kinds
        b = self.b
        kind = node.type
        loc = b.loc(node)
        if kind == "number_literal":
            return b.int_literal(self.number(node))
        if kind == "identifier":
            return self.lookup(node)
        if kind in ("true", "false"):
            return TRUE if kind == "true" else FALSE
        if kind == "parenthesized_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            if len(inner) != 1:
                raise UnsupportedError("parenthesized expression", loc)
            return (yield self.expr(inner[0]))
        if kind == "binary_expression":
            left = yield self.expr(node.child_by_field_name("left"))
            right = yield self.expr(node.child_by_field_name("right"))
            return self.binary(b.text(node.child_by_field_name("operator")), left, right, loc)
        if kind == "unary_expression":
            arg = yield self.expr(node.child_by_field_name("argument"))
            op = b.text(node.child_by_field_name("operator"))
            if op == "-":
                return neg(arg)
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
            x = yield self.expr(node.child_by_field_name("consequence"))
            y = yield self.expr(node.child_by_field_name("alternative"))
            return ite(c, x, y)
        if kind == "call_expression":
            fn = node.child_by_field_name("function")
            name = b.text(fn) if fn.type == "identifier" else ""
            if name and is_nondet_name(name):
                return b.nondet_value(name, loc)
            raise UnsupportedError(f"call to '{name or b.text(fn)}'", loc, "only nondet*/unknown* calls")
        if kind == "cast_expression":
            tnode = node.child_by_field_name("type")
            text = " ".join(b.text(tnode).split())
            value = yield self.expr(node.child_by_field_name("value"))
            if text in C_BOOL_TYPES:
                return as_bool(value)
            if text in ("int", "long", "long long", "long int", "signed", "int32_t", "int64_t"):
                return as_int(value)
            raise UnsupportedError(f"cast to '{text}'", loc)
        if kind == "char_literal":
            text = b.text(node)
            if len(text) == 3:
                return b.int_literal(ord(text[1]))
            raise UnsupportedError("character escape", loc)
        if kind in ("assignment_expression", "update_expression"):
            raise UnsupportedError("assignment inside an expression", loc)
        names = {"pointer_expression": "pointer", "subscript_expression": "array access",
                 "field_expression": "struct field", "string_literal": "string", "sizeof_expression": "sizeof",
                 "comma_expression": "comma expression", "null": "NULL"}
        raise UnsupportedError(names.get(kind, kind.replace("_", " ")), loc)

    def number(self, node: Any) -> int:
        b = self.b
        text = b.text(node).lower().replace("'", "")
        if any(ch in text for ch in ".e") and not text.startswith("0x") or "p" in text and text.startswith("0x"):
            raise UnsupportedError("floating-point literal", b.loc(node))
        digits = text.rstrip("ul")
        if "u" in text[len(digits):]:
            raise UnsupportedError("unsigned literal", b.loc(node))
        try:
            if digits.startswith(("0x", "0b")):
                return int(digits, 0)
            if len(digits) > 1 and digits.startswith("0"):
                return int(digits, 8)
            return int(digits)
        except ValueError:
            raise UnsupportedError(f"number literal '{b.text(node)}'", b.loc(node)) from None


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

    def var(self, name: str) -> Var:
        b = self.b
        if name not in b.variables:
            b.variables[name] = Sort.INT
        return Var(name, b.variables[name])

    def function(self, node: Any | None, name: str, body_nodes: list[Any], params: list[tuple[str, Sort]],
                 loc: Loc, span: tuple[int, int]) -> Function:
        b = self.b
        for p, sort in params:
            b.variables[p] = sort
        body = _run(self.block(body_nodes))
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
            if node.child_by_field_name("alternative") is not None:
                raise UnsupportedError("while-else", loc)
            b.loop_count += 1
            index = b.loop_count
            cond = yield self.cond(node.child_by_field_name("condition"))
            prelude = b.take_pending()
            body = yield self.block(self.body_of(node.child_by_field_name("body")))
            return [Loop(cond, tuple(body), loc, index, tuple(prelude), (), False, "while",
                         node.start_byte, node.end_byte)]
        if kind == "for_statement":
            return (yield self.for_range(node))
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
            name = b.text(fn) if fn.type == "identifier" else ""
            args = [c for c in node.child_by_field_name("arguments").named_children if c.type != "comment"]
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
        if node.child_by_field_name("alternative") is not None:
            raise UnsupportedError("for-else", loc)
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
        private = name not in assigned_in_body and self._only_used_in(name, node)
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
            name = b.text(fn) if fn.type == "identifier" else ""
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


def _count_within(nodes: list[Any], outer: Any) -> list[Any]:
    return [n for n in nodes if n.start_byte >= outer.start_byte and n.end_byte <= outer.end_byte]


def _innermost(nodes: list[Any], outer: Any, funcs: list[Any]) -> list[Any]:
    """``nodes`` inside ``outer`` and not inside a function nested in it."""
    inner = [f for f in funcs if f is not outer and f.start_byte >= outer.start_byte and f.end_byte <= outer.end_byte
             and (f.start_byte, f.end_byte) != (outer.start_byte, outer.end_byte)]
    return [n for n in _count_within(nodes, outer)
            if not any(f.start_byte <= n.start_byte and n.end_byte <= f.end_byte for f in inner)]


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
    loops = find(lang.name, tree, "loop")
    asserts = find(lang.name, tree, "assertion")
    if lang.name == "c":
        defines = _c_defines(root, source)
        globals_ = _c_globals(root, source, defines)
        for fnode in funcs:
            name = _c_function_name(fnode, source)
            if name in HELPER_NAMES or is_nondet_name(name):
                continue
            unit = FunctionUnit(name, _loc(fnode, source), fnode.start_byte, fnode.end_byte,
                                [_loc(a, source) for a in _count_within(asserts, fnode)],
                                len(_count_within(loops, fnode)))
            try:
                b = _Builder(source, "c", machine)
                unit.function = _CFrontEnd(b, defines, globals_, name == "main").function(fnode, name)
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
            unit = FunctionUnit(name, _loc(fnode, source), fnode.start_byte, fnode.end_byte,
                                [_loc(a, source) for a in _innermost(asserts, fnode, funcs)],
                                len(_innermost(loops, fnode, funcs)))
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
                                            (fnode.start_byte, fnode.end_byte))
            except UnsupportedError as exc:
                unit.unsupported = Unsupported(exc.construct, exc.loc, exc.message)
            prog.units.append(unit)
        # top-level statements form the module's own "function"
        skip = ("function_definition", "decorated_definition", "class_definition", "import_statement",
                "import_from_statement", "future_import_statement", "comment")
        stmts = [n for n in root.named_children if n.type not in skip]
        stmts = [n for n in stmts if not (n.type == "expression_statement" and n.named_children
                                          and n.named_children[0].type == "string")]
        outside = [a for a in asserts if not any(f.start_byte <= a.start_byte < f.end_byte for f in funcs)]
        if stmts and outside:
            first = stmts[0]
            unit = FunctionUnit("<module>", _loc(first, source), first.start_byte, stmts[-1].end_byte,
                                [_loc(a, source) for a in outside],
                                len([lp for lp in loops if not any(
                                    f.start_byte <= lp.start_byte < f.end_byte for f in funcs)]))
            try:
                b = _Builder(source, "python", machine)
                fe = _PyFrontEnd(b, {}, set(), root)
                unit.function = fe.function(None, "<module>", stmts, [], unit.loc,
                                            (first.start_byte, stmts[-1].end_byte))
            except UnsupportedError as exc:
                unit.unsupported = Unsupported(exc.construct, exc.loc, exc.message)
            prog.units.append(unit)
    else:
        raise ValueError(f"recursa verifies C and Python programs, not {lang.name}")
    return prog
