"""The C front end: C functions → the IR of :mod:`recursa.symbolic.ir`.

Supported: ``int``-like, ``_Bool`` and unsigned variables, assignments (also compound and ``++``/``--``, which may
sit inside expressions), if/else, while / for / do-while, break, continue, return, labels, the verifier helpers of
:mod:`recursa.symbolic.frontend.builder` and ``#define`` constants and global integer variables. Unsigned types are
integers kept in ``[0, 2**width)`` by an explicit ``mod 2**width`` after each operation that can leave the range
(under machine integers: 32-bit ones are bit patterns read unsigned by division, ``>>`` and comparisons, narrower
ones are masked, and signed ``+ - * / % <<`` and unary ``-`` get an implicit overflow check, :class:`Assert` of kind
``overflow``). Calls to functions of the same file are inlined. Local arrays, floating-point variables and calls to
unknown functions are sliced: writes to them are dropped with a note and reads are arbitrary values
(:attr:`Havoc.unmodelled`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from recursa.symbolic.frontend.builder import (
    ASSERT_NAMES,
    ASSUME_NAMES,
    ERROR_NAMES,
    HALT_NAMES,
    HELPER_NAMES,
    INT_MAX,
    INT_MIN,
    MACHINE_BITS,
    OUTPUT_NAMES,
    Builder,
    FunctionUnit,
    Gen,
    ProgramFile,
    Scan,
    StatementWalker,
    Unsupported,
    UnsupportedError,
    arith,
    as_bool,
    as_int,
    coerce,
    compare,
    count_within,
    is_nondet_name,
    ite,
    logic,
    loop_prelude,
    neg,
    negate,
    node_loc,
    wrap32,
)
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
    render,
)

if TYPE_CHECKING:
    from tree_sitter import Node

#: C's <limits.h> constants.
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
#: C expression kinds whose evaluation changes nothing (allowed in the arguments of a dropped ``printf``).
_C_PRINTABLE_NODES = frozenset({
    "identifier", "number_literal", "string_literal", "string_content", "escape_sequence", "concatenated_string",
    "char_literal", "character", "true", "false", "null", "binary_expression", "unary_expression",
    "parenthesized_expression", "conditional_expression", "comment", "subscript_expression", "initializer_list",
    "cast_expression", "type_descriptor", "primitive_type", "sized_type_specifier", "sizeof_expression"})

#: Calls nested deeper than this while inlining are reported unsupported (the IR grows with every level).
MAX_INLINE_DEPTH = 16


class CFrontEnd(StatementWalker):
    """Converts one C function (and the callees it inlines) to the IR."""

    SKIP = frozenset({"comment", ";", "empty_statement"})
    STATEMENTS = {"compound_statement": "compound_stmt", "declaration": "declaration_stmt",
                  "expression_statement": "expression_stmt", "if_statement": "if_stmt",
                  "while_statement": "while_stmt", "do_statement": "do_stmt", "for_statement": "for_stmt",
                  "return_statement": "return_stmt", "break_statement": "jump_stmt",
                  "continue_statement": "jump_stmt", "labeled_statement": "labeled_stmt"}
    UNSUPPORTED = {"goto_statement": "goto", "switch_statement": "switch", "case_statement": "case",
                   "function_definition": "nested function"}

    def __init__(self, b: Builder, defines: dict[str, int], globals_: dict[str, tuple[Sort, Expr]],
                 is_main: bool, functions: dict[str, Node] | None = None) -> None:
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

    def inline(self, node: Node, name: str) -> Gen:
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
    def c_type(self, decl: Node) -> tuple[Sort, int | None]:
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

    def declarator_name(self, d: Node) -> str:
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

    def lookup(self, node: Node) -> Expr:
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
            return b.tag(b.int_literal(wrap32(value) if b.machine else value), width if width >= 32 else None)
        raise UnsupportedError(f"undeclared identifier '{name}'", b.loc(node))

    # -- functions --
    def function(self, node: Node, name: str) -> Function:
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
        body = drive(self.block(body_node.named_children, new_scope=True))
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
    def block(self, nodes: list[Node], new_scope: bool = False) -> Gen:
        if new_scope:
            self.scopes.append({})
        out: list[Stmt] = []
        for node in nodes:
            stmts = yield self.stmt(node)
            out.extend(stmts)
        if new_scope:
            self.scopes.pop()
        return out

    def branch(self, node: Node) -> Gen:
        return self.block([node], new_scope=True)

    def orelse(self, node: Node) -> Gen:
        alt = node.child_by_field_name("alternative")
        if alt is None:
            return []
        return (yield self.block([c for c in alt.named_children if c.type != "comment"], new_scope=True))

    def compound_stmt(self, node: Node, loc: Loc) -> Gen:
        return (yield self.block(node.named_children, new_scope=True))

    def declaration_stmt(self, node: Node, loc: Loc) -> Gen:
        return (yield self.declaration(node))

    def expression_stmt(self, node: Node, loc: Loc) -> Gen:
        kids = [c for c in node.named_children if c.type != "comment"]
        if not kids:
            return []
        return (yield self.effect(kids[0]))

    def do_stmt(self, node: Node, loc: Loc) -> Gen:
        b = self.b
        b.loop_count += 1
        index = b.loop_count
        body = yield self.block([node.child_by_field_name("body")], new_scope=True)
        cond = yield self.cond(node.child_by_field_name("condition"))
        prelude = loop_prelude(b.take_pending(), loc)
        return [Loop(cond, tuple(body), loc, index, tuple(prelude), (), True, "do",
                     node.start_byte, node.end_byte)]

    def for_stmt(self, node: Node, loc: Loc) -> Gen:
        return (yield self.for_loop(node))

    def return_stmt(self, node: Node, loc: Loc) -> Gen:
        """``return`` in a callee being inlined assigns its result variable (and ends the callee); elsewhere it
        ends the function."""
        if not self.return_var:
            return (yield self.jump_stmt(node, loc))
        b = self.b
        kids = [c for c in node.named_children if c.type != "comment"]
        ret = self.return_var[-1]
        end: list[Stmt] = [Return(loc)] if self.early_return[-1] else []  # see _route_returns
        if not kids or ret is None:
            return end
        value = yield self.expr(kids[0])
        return [*b.take_pending(), Assign((ret,), (self.store(Var(ret, b.variables[ret]), value),), loc), *end]

    def labeled_stmt(self, node: Node, loc: Loc) -> Gen:
        inner = [c for c in node.named_children if c.type not in ("statement_identifier", "comment")]
        return (yield self.block(inner))

    def declaration(self, node: Node) -> Gen:
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

    def unmodelled_declaration(self, node: Node, declarators: list[Node], floating: bool) -> None:
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

    def unmodelled_target(self, node: Node) -> str | None:
        """The name of the unmodelled array or floating-point variable ``node`` writes (``a[i]``, ``f``)."""
        while node.type in ("parenthesized_expression", "subscript_expression"):
            node = node.named_children[0] if node.type == "parenthesized_expression" else \
                node.child_by_field_name("argument")
        if node.type == "identifier" and self.unmodelled_kind(self.b.text(node)) is not None:
            return self.b.text(node)
        return None

    def drop_write(self, node: Node, name: str, parts: list[Node]) -> list[Stmt]:
        """A write to unmodelled state, whose operands (``parts``) must change nothing else."""
        b = self.b
        for p in parts:
            if p is not None and not self.pure(p):
                raise UnsupportedError(f"write to {self.unmodelled_kind(name)} '{name}' with side effects", b.loc(p))
        b.notes.append(f"{b.loc(node)}: dropped '{_short(b.text(node))}': writes only unmodelled state "
                       f"({self.unmodelled_kind(name)} '{name}')")
        return []

    def effect(self, node: Node) -> Gen:
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

    def target(self, node: Node) -> Var:
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

    def assignment(self, node: Node) -> Gen:
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

    def call_stmt(self, node: Node) -> Gen:
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

    def sliceable(self, args: list[Node]) -> bool:
        """True if a call to a function not in the file can be modelled by an arbitrary result: its arguments
        change nothing and pass no address (``pure``), and the file has no global variable it could write."""
        return not self.globals and all(self.pure(a) for a in args)

    def pure(self, node: Node) -> bool:
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

    def for_loop(self, node: Node) -> Gen:
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
            prelude = loop_prelude(b.take_pending(), loc)
        update: list[Stmt] = []
        for u in node.children_by_field_name("update"):
            update.extend((yield self.effect(u)))
        body = yield self.block([node.child_by_field_name("body")], new_scope=True)
        self.scopes.pop()
        return [*init, Loop(cond, tuple(body), loc, index, tuple(prelude), tuple(update), False, "for",
                            node.start_byte, node.end_byte)]

    # -- expressions --
    def cond(self, node: Node) -> Gen:
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

    def update_value(self, node: Node, loc: Loc) -> Expr:
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

    def expr(self, node: Node) -> Gen:  # noqa: C901 - one dispatch over the expression kinds
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

    def number(self, node: Node) -> tuple[int, int | None]:
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


def _declared(d: Node) -> Node:
    """The declarator an (init-)declarator declares."""
    return d.child_by_field_name("declarator") if d.type == "init_declarator" else d


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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

    def block(stmts: tuple[Stmt, ...] | list[Stmt], in_loop: bool) -> Gen:
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


def _c_non_tail_return(fnode: Node) -> Node | None:
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


def _c_defines(root: Node, source: bytes) -> dict[str, int]:
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


def _c_globals(root: Node, source: bytes, defines: dict[str, int]) -> dict[str, tuple[Sort, Expr]]:
    """Top-level ``int g = <constant>;`` declarations (C globals start at 0 when not initialised)."""
    out: dict[str, tuple[Sort, Expr]] = {}
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


def _c_function_name(node: Node, source: bytes) -> str:
    d = node.child_by_field_name("declarator")
    while d is not None and d.type not in ("identifier", "field_identifier"):
        d = d.child_by_field_name("declarator")
    return source[d.start_byte:d.end_byte].decode() if d is not None else "<anonymous>"


def load_c(prog: ProgramFile, scan: Scan) -> None:
    """Convert every function of a C file (``prog``) into ``prog.units``; one outside the subset records an
    :class:`Unsupported`."""
    source = prog.source
    funcs = scan.functions
    defines = _c_defines(scan.root, source)
    globals_ = _c_globals(scan.root, source, defines)
    definitions = {_c_function_name(f, source): f for f in funcs}
    for fnode in funcs:
        name = _c_function_name(fnode, source)
        if name in HELPER_NAMES or is_nondet_name(name):
            continue
        unit = FunctionUnit(name, node_loc(fnode, source), fnode.start_byte, fnode.end_byte,
                            [node_loc(a, source) for a in count_within(scan.asserts, fnode)],
                            len(count_within(scan.loops, fnode)))
        try:
            b = Builder(source, "c", scan.machine)
            unit.function = CFrontEnd(b, defines, globals_, name == "main", definitions).function(fnode, name)
            unit.notes = b.notes
        except UnsupportedError as exc:
            unit.unsupported = Unsupported(exc.construct, exc.loc, exc.message)
        prog.units.append(unit)
