"""The Python front end: a Python subset → the IR of :mod:`recursa.symbolic.ir`.

Supported: module-level functions over ``int`` and ``bool`` values, assignments (also augmented, tuple and
chained), if/elif/else, ``while`` and ``for i in range(...)`` (with ``else`` clauses), break, continue, return,
``assert e``, ``assume(e)``, nondeterministic values from ``recursa.nondet_int()`` (and the other ``nondet*`` /
``unknown*`` names), ``abs`` / ``min`` / ``max``, and module constants bound once to an integer literal. A
function's leading asserts on its parameters are its precondition (assumptions). ``print`` calls with inert
arguments are dropped with a note. The module's top-level statements, when they hold assertions, form a function
``<module>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from recursa.symbolic.frontend.builder import (
    ASSUME_NAMES,
    HELPER_NAMES,
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
    covered,
    innermost,
    is_nondet_name,
    ite,
    logic,
    merged_spans,
    neg,
    negate,
    node_loc,
)
from recursa.symbolic.ir import (
    FALSE,
    TRUE,
    Assign,
    Assume,
    Break,
    Const,
    Expr,
    Function,
    Havoc,
    If,
    Ite,
    Loc,
    Loop,
    Sort,
    Stmt,
    Unary,
    Var,
    drive,
    postorder,
)

if TYPE_CHECKING:
    from tree_sitter import Node

#: Python expression kinds that cannot raise or assign (allowed in the arguments of a dropped ``print``).
_PRINTABLE_NODES = frozenset({
    "identifier", "integer", "true", "false", "none", "string", "string_start", "string_content", "string_end",
    "escape_sequence", "interpolation", "format_specifier", "concatenated_string", "keyword_argument",
    "attribute", "binary_operator", "comparison_operator", "boolean_operator", "not_operator", "unary_operator",
    "parenthesized_expression", "expression_list", "call", "argument_list", "comment"})


class PythonFrontEnd(StatementWalker):
    """Converts one Python function (or a module's top-level statements) to the IR."""

    SKIP = frozenset({"comment", "pass_statement", "import_statement", "import_from_statement",
                      "future_import_statement", "global_statement", "nonlocal_statement"})
    STATEMENTS = {"expression_statement": "expression_stmt", "if_statement": "if_stmt",
                  "while_statement": "while_else_stmt", "for_statement": "for_stmt", "break_statement": "break_stmt",
                  "continue_statement": "jump_stmt", "return_statement": "jump_stmt",
                  "assert_statement": "assert_stmt", "block": "block_stmt"}
    UNSUPPORTED = {"function_definition": "nested function", "class_definition": "class",
                   "with_statement": "with", "try_statement": "try", "raise_statement": "raise",
                   "delete_statement": "del", "match_statement": "match", "decorated_definition": "decorator"}

    def __init__(self, b: Builder, constants: dict[str, int], assigned: set[str], func_node: Node) -> None:
        self.b = b
        self.module_constants = constants
        self.assigned = assigned
        self.func_node = func_node
        # per enclosing loop: the flag its ``break`` sets, when the loop has an ``else`` clause
        self.break_flags: list[str | None] = []

    def call_name(self, fn: Node) -> str:
        """The name a call is recognised by: ``f`` for ``f(...)`` and for ``recursa.f(...)``."""
        if fn.type == "identifier":
            return self.b.text(fn)
        if fn.type == "attribute":
            obj, attr = fn.child_by_field_name("object"), fn.child_by_field_name("attribute")
            if obj is not None and attr is not None and obj.type == "identifier" and self.b.text(obj) == "recursa":
                return self.b.text(attr)
        return ""

    def loop_with_else(self, node: Node, convert: Callable[[Node], Gen]) -> Gen:
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

    def function(self, node: Node | None, name: str, body_nodes: list[Node], params: list[tuple[str, Sort]],
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
                body.extend(drive(self.stmt(first)))
                continue
            kids = [c for c in first.named_children if c.type != "comment"]
            cond = drive(self.cond(kids[0]))
            body.extend([*b.take_pending(), Assume(cond, b.loc(kids[0]))])
        body.extend(drive(self.block(rest)))
        return Function(name, "python", tuple(p for p, _ in params), dict(b.variables), tuple(body), loc,
                        span[0], span[1], dict(b.display), frozenset(b.constants))

    def block(self, nodes: list[Node]) -> Gen:
        out: list[Stmt] = []
        for node in nodes:
            out.extend((yield self.stmt(node)))
        return out

    def body_of(self, node: Node) -> list[Node]:
        return [c for c in node.named_children if c.type != "comment"] if node is not None else []

    def branch(self, node: Node) -> Gen:
        return self.block(self.body_of(node))

    def orelse(self, node: Node) -> Gen:
        return self.elifs(node.children_by_field_name("alternative"))

    def expression_stmt(self, node: Node, loc: Loc) -> Gen:
        kids = [c for c in node.named_children if c.type != "comment"]
        if len(kids) != 1:
            raise UnsupportedError("tuple expression statement", loc)
        return (yield self.effect(kids[0]))

    def while_else_stmt(self, node: Node, loc: Loc) -> Gen:
        return (yield self.loop_with_else(node, lambda n: self.while_stmt(n, loc)))

    def for_stmt(self, node: Node, loc: Loc) -> Gen:
        return (yield self.loop_with_else(node, self.for_range))

    def break_stmt(self, node: Node, loc: Loc) -> Gen:
        """``break`` out of a loop with an ``else`` clause sets the loop's flag first."""
        if self.break_flags and self.break_flags[-1] is not None:
            return [Assign((self.break_flags[-1],), (TRUE,), loc), Break(loc)]
        return (yield self.jump_stmt(node, loc))

    def assert_stmt(self, node: Node, loc: Loc) -> Gen:
        b = self.b
        kids = [c for c in node.named_children if c.type != "comment"]
        cond = yield self.cond(kids[0])
        pre = b.take_pending()
        return [*pre, b.assertion(cond, loc, b.text(kids[0]))]

    def block_stmt(self, node: Node, loc: Loc) -> Gen:
        return (yield self.block(self.body_of(node)))

    def elifs(self, alts: list[Node]) -> Gen:
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

    def effect(self, node: Node) -> Gen:
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

    def assignment(self, node: Node) -> Gen:
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

    def for_range(self, node: Node) -> Gen:
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

    def pure_arguments(self, args: list[Node]) -> bool:
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

    def _only_used_in(self, name: str, loop_node: Node) -> bool:
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

    def cond(self, node: Node) -> Gen:
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

    def expr(self, node: Node, boolean: bool = False) -> Gen:  # noqa: C901 - dispatch over expression kinds
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


def _py_assigned_identifiers(node: Node, source: bytes) -> set[str]:
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


def _py_module_constants(root: Node, source: bytes) -> dict[str, int]:
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


def _py_precondition(body_nodes: list[Node], params: set[bytes], source: bytes) -> list[Node]:
    """The ``assert`` statements that open a function body (after its docstring and comments): like CrossHair
    and other Python tools, recursa reads them as the function's precondition, an assumption on its inputs,
    not as claims to prove. The block counts as a precondition only when code follows it (a body made of
    asserts alone, like a test function, is all claims), and an assert that reads no parameter constrains no
    input, so it ends the block."""
    out: list[Node] = []
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


def _reads_any(node: Node, names: set[bytes], source: bytes) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier" and source[n.start_byte:n.end_byte] in names:
            return True
        stack.extend(n.named_children)
    return False


def _py_params(fe: PythonFrontEnd, node: Node) -> list[tuple[str, Sort]]:
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


def load_python(prog: ProgramFile, scan: Scan) -> None:
    """Convert every module-level function of a Python file (``prog``), and its top-level statements when they
    hold assertions, into ``prog.units``; one outside the subset records an :class:`Unsupported`."""
    source = prog.source
    root = scan.root
    funcs = scan.functions
    loops, asserts, func_index, machine = scan.loops, scan.asserts, scan.function_index, scan.machine
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
        unit = FunctionUnit(name, node_loc(fnode, source), fnode.start_byte, fnode.end_byte,
                            [node_loc(a, source) for a in innermost(asserts, fnode, func_index)
                             if a.start_byte not in precondition],
                            len(innermost(loops, fnode, func_index)))
        try:
            b = Builder(source, "python", machine)
            _check_module_level(fnode, source)
            fe = PythonFrontEnd(b, constants, _py_assigned_identifiers(fnode, source), fnode)
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
    spans = merged_spans(funcs)
    outside = [a for a in asserts.nodes if not covered(spans, a.start_byte, a.start_byte + 1)]
    if stmts and outside:
        first = stmts[0]
        unit = FunctionUnit("<module>", node_loc(first, source), first.start_byte, stmts[-1].end_byte,
                            [node_loc(a, source) for a in outside],
                            len([lp for lp in loops.nodes
                                 if not covered(spans, lp.start_byte, lp.start_byte + 1)]))
        try:
            b = Builder(source, "python", machine)
            fe = PythonFrontEnd(b, {}, set(), root)
            unit.function = fe.function(None, "<module>", stmts, [], unit.loc,
                                        (first.start_byte, stmts[-1].end_byte))
            unit.notes = b.notes
        except UnsupportedError as exc:
            unit.unsupported = Unsupported(exc.construct, exc.loc, exc.message)
        prog.units.append(unit)


def _check_module_level(fnode: Node, source: bytes) -> None:
    """Only module-level functions are converted: a method, a nested function or a decorated one is not."""
    scope = fnode.parent.parent if fnode.parent.type == "decorated_definition" else fnode.parent
    while scope is not None and scope.type == "block":
        scope = scope.parent
    if scope is not None and scope.type == "class_definition":
        raise UnsupportedError("method", node_loc(fnode, source), "only module-level functions")
    if scope is not None and scope.type != "module":
        raise UnsupportedError("nested function", node_loc(fnode, source))
    if fnode.parent.type == "decorated_definition":
        raise UnsupportedError("decorator", node_loc(fnode.parent, source))
