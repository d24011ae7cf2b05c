"""Synthesised functions as Python or C source (``recursa synth --emit python|c``).

Semantics follow SMT-LIB, not the host language:
- ``div``/``mod`` are Euclidean (the remainder is never negative, whatever the signs), unlike Python's floor
  division and C's truncation; SMT-LIB leaves ``x div 0`` unspecified, and the code uses cvc5's total reading
  (``x div 0 = 0``, ``x mod 0 = x``) so that it never traps;
- bit-vectors are unsigned integers masked to their width after every operation; signed operations
  (``bvslt``, ``bvashr``, ``bvsdiv`` ...) read the top bit as the sign; shifts by the width or more give 0
  (or all sign bits), division by zero gives all ones and remainder by zero the dividend, as SMT-LIB defines;
- Python integers are unbounded like SMT-LIB's; C's ``long long`` is 64-bit, so C code can overflow where the
  mathematics does not (the header says so).

Terms are walked with :func:`recursa.symbolic.terms.fold` (explicit stack). A term nested deeper than
:data:`MAX_INLINE_HEIGHT` is written as one local per node instead of one expression, because compilers and
Python's parser limit the nesting of parentheses. That form evaluates both branches of every ``ite``, which is
safe since every operator here is total.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from recursa.symbolic.terms import App, Lit, Sort, Term, Var, fold

MAX_INLINE_HEIGHT = 60
LANGUAGES = ("c", "python")


class EmitError(ValueError):
    """The answer uses a sort or operator the chosen language backend cannot express."""


class FunctionLike(Protocol):
    """A :class:`~recursa.synth.problem.Solution` or a :class:`~recursa.synth.problem.DefineFun`."""

    @property
    def name(self) -> str: ...

    @property
    def params(self) -> tuple[tuple[str, Sort], ...]: ...

    @property
    def sort(self) -> Sort: ...

    @property
    def body(self) -> Term: ...


def identifier(name: str) -> str:
    """An SMT-LIB symbol (``x!1``, ``|a b|``, ``max-3``) as a Python/C identifier."""
    text = re.sub(r"\W", "_", name.strip("|")) or "_"
    if text[0].isdigit() or keyword.iskeyword(text) or text in _C_RESERVED:
        text = "_" + text
    return text


_C_RESERVED = {"int", "long", "unsigned", "signed", "char", "short", "float", "double", "void", "bool", "return",
               "if", "else", "while", "for", "do", "switch", "case", "default", "break", "continue", "static",
               "const", "struct", "union", "enum", "typedef", "sizeof", "goto", "auto", "register", "extern",
               "volatile", "inline", "restrict", "main"}


def _mask(width: int) -> int:
    return (1 << width) - 1


def _height(term: Term) -> int:
    return fold(term, lambda _node, kids: 1 + max(kids, default=0))


def _left(op: Callable[[str, str], str], kids: list[str]) -> str:
    out = kids[0]
    for k in kids[1:]:
        out = op(out, k)
    return out


def _right(op: Callable[[str, str], str], kids: list[str]) -> str:
    out = kids[-1]
    for k in reversed(kids[:-1]):
        out = op(k, out)
    return out


def _pairs(kids: list[str], op: str, joiner: str) -> str:
    return "(" + joiner.join(f"({a} {op} {b})" for a, b in zip(kids, kids[1:])) + ")"


@dataclass(frozen=True)
class _Syntax:
    """How one language writes the integer and boolean operators, which Python and C share in shape
    (format strings over the operands ``{0}``, ``{1}``, ``{2}``)."""

    name: str
    not_: str
    and_: str
    or_: str
    implies: str
    ite: str
    abs: str
    div: str  # the helper for SMT-LIB's Euclidean div, and for mod
    mod: str
    chained_comparisons: bool  # ``a < b < c`` means ``a < b and b < c`` (Python), or it does not (C)


def _shared_ops(syntax: _Syntax, kids: list[str], helper: Callable[..., str]) -> dict[str, Callable[[], str]]:
    """The integer and boolean operators, written in ``syntax`` over the operands' code ``kids``."""

    def compare(op: str) -> str:
        return "(" + f" {op} ".join(kids) + ")" if syntax.chained_comparisons else _pairs(kids, op, syntax.and_)

    ops: dict[str, Callable[[], str]] = {
        "+": lambda: "(" + " + ".join(kids) + ")",
        "*": lambda: "(" + " * ".join(kids) + ")",
        "-": lambda: f"(-{kids[0]})" if len(kids) == 1 else "(" + " - ".join(kids) + ")",
        "div": lambda: _left(lambda a, b: helper(syntax.div, a, b), kids),
        "mod": lambda: helper(syntax.mod, *kids),
        "abs": lambda: syntax.abs.format(*kids),
        "not": lambda: syntax.not_.format(*kids),
        "and": lambda: "(" + syntax.and_.join(kids) + ")",
        "or": lambda: "(" + syntax.or_.join(kids) + ")",
        "=>": lambda: _right(lambda a, b: syntax.implies.format(a, b), kids),
        "xor": lambda: _left(lambda a, b: f"({a} != {b})", kids),
        "ite": lambda: syntax.ite.format(*kids),
        "=": lambda: compare("=="),
        "distinct": lambda: "(" + syntax.and_.join(f"({a} != {b})" for i, a in enumerate(kids) for b in kids[i + 1:])
        + ")",
    }
    for cmp in ("<", "<=", ">", ">="):
        ops[cmp] = lambda cmp=cmp: compare(cmp)
    return ops


def _unsigned_comparisons(kids: list[str]) -> dict[str, Callable[[], str]]:
    """``bvult`` ... ``bvuge``: the same in both languages, whose bit-vector values are unsigned."""
    return {name: lambda cmp=cmp: f"({kids[0]} {cmp} {kids[1]})"
            for name, cmp in (("bvult", "<"), ("bvule", "<="), ("bvugt", ">"), ("bvuge", ">="))}


def _helper_call(used: set[str], deps: dict[str, set[str]]) -> Callable[..., str]:
    """A writer of calls to the named helper functions that records them (and the helpers they call) in
    ``used``."""

    def helper(name: str, *args: str) -> str:
        used.add(name)
        used.update(deps.get(name, ()))
        return f"{name}({', '.join(args)})"

    return helper


def _leaf_writer(params: dict[str, str], literal: Callable[[Lit], str]) -> Callable[[Term], str]:
    """Code for a variable (one of the function's ``params``) or a literal."""

    def leaf(node: Term) -> str:
        if isinstance(node, Var):
            if node.name not in params:
                raise EmitError(f"free variable {node.name}")
            return params[node.name]
        assert isinstance(node, Lit)
        return literal(node)

    return leaf


# ---- Python ---------------------------------------------------------------------------------------------

_PY_HELPERS = {
    "_div": '''def _div(a: int, b: int) -> int:
    """SMT-LIB div: Euclidean, so a == b * _div(a, b) + _mod(a, b) with 0 <= _mod(a, b) < |b|."""
    return (a - a % abs(b)) // b if b else 0''',
    "_mod": '''def _mod(a: int, b: int) -> int:
    """SMT-LIB mod: never negative (Python's % takes the sign of b)."""
    return a % abs(b) if b else a''',
    "_s": '''def _s(a: int, w: int) -> int:
    """A w-bit pattern read as two's complement."""
    return a - (1 << w) if a >> (w - 1) else a''',
    "_shl": '''def _shl(a: int, b: int, w: int) -> int:
    return (a << b) & ((1 << w) - 1) if b < w else 0''',
    "_ashr": '''def _ashr(a: int, b: int, w: int) -> int:
    return (_s(a, w) >> min(b, w)) & ((1 << w) - 1)''',
    "_udiv": '''def _udiv(a: int, b: int, w: int) -> int:
    return a // b if b else (1 << w) - 1''',
    "_urem": '''def _urem(a: int, b: int) -> int:
    return a % b if b else a''',
    "_sdiv": '''def _sdiv(a: int, b: int, w: int) -> int:
    """bvsdiv: division of the magnitudes, truncated, with the sign put back."""
    m = (1 << w) - 1
    na, nb = a >> (w - 1), b >> (w - 1)
    q = _udiv(-a & m if na else a, -b & m if nb else b, w)
    return -q & m if na != nb else q''',
    "_srem": '''def _srem(a: int, b: int, w: int) -> int:
    """bvsrem: the remainder takes the sign of the dividend."""
    m = (1 << w) - 1
    na, nb = a >> (w - 1), b >> (w - 1)
    r = _urem(-a & m if na else a, -b & m if nb else b)
    return -r & m if na else r''',
    "_smod": '''def _smod(a: int, b: int, w: int) -> int:
    """bvsmod: the remainder takes the sign of the divisor."""
    m = (1 << w) - 1
    na, nb = a >> (w - 1), b >> (w - 1)
    u = _urem(-a & m if na else a, -b & m if nb else b)
    if u == 0 or na == nb:
        return -u & m if na else u
    return (b - u) & m if na else (u + b) & m''',
    "_rotl": '''def _rotl(a: int, k: int, w: int) -> int:
    k %= w
    return ((a << k) | (a >> (w - k))) & ((1 << w) - 1)''',
}
_PY_DEPS = {"_ashr": {"_s"}, "_sdiv": {"_udiv"}, "_srem": {"_urem"}, "_smod": {"_urem"}}


_PY = _Syntax("Python", not_="(not {0})", and_=" and ", or_=" or ", implies="((not {0}) or {1})",
              ite="({1} if {0} else {2})", abs="abs({0})", div="_div", mod="_mod", chained_comparisons=True)


def _py_app(node: App, kids: list[str], used: set[str], names: dict[str, str]) -> str:
    op = node.op
    arg_sort = node.args[0].sort if node.args else node.sort
    w = arg_sort.width if arg_sort.is_bv else 0
    m = hex(_mask(w)) if w else ""
    helper = _helper_call(used, _PY_DEPS)

    def masked(expr: str) -> str:
        return f"(({expr}) & {m})"

    simple = _shared_ops(_PY, kids, helper)
    if op in simple:
        return simple[op]()
    if not w and op.startswith("bv"):
        raise EmitError(f"{op} applied to a non-bit-vector")
    bv: dict[str, Callable[[], str]] = {
        "bvadd": lambda: masked(" + ".join(kids)),
        "bvmul": lambda: masked(" * ".join(kids)),
        "bvsub": lambda: masked(f"{kids[0]} - {kids[1]}"),
        "bvneg": lambda: masked(f"-{kids[0]}"),
        "bvnot": lambda: f"({kids[0]} ^ {m})",
        "bvand": lambda: "(" + " & ".join(kids) + ")",
        "bvor": lambda: "(" + " | ".join(kids) + ")",
        "bvxor": lambda: "(" + " ^ ".join(kids) + ")",
        "bvnand": lambda: f"(({kids[0]} & {kids[1]}) ^ {m})",
        "bvnor": lambda: f"(({kids[0]} | {kids[1]}) ^ {m})",
        "bvxnor": lambda: f"(({kids[0]} ^ {kids[1]}) ^ {m})",
        "bvshl": lambda: helper("_shl", kids[0], kids[1], str(w)),
        "bvlshr": lambda: f"({kids[0]} >> {kids[1]})",  # Python shifts past the width to 0, as SMT-LIB does
        "bvashr": lambda: helper("_ashr", kids[0], kids[1], str(w)),
        "bvudiv": lambda: helper("_udiv", kids[0], kids[1], str(w)),
        "bvurem": lambda: helper("_urem", kids[0], kids[1]),
        "bvsdiv": lambda: helper("_sdiv", kids[0], kids[1], str(w)),
        "bvsrem": lambda: helper("_srem", kids[0], kids[1], str(w)),
        "bvsmod": lambda: helper("_smod", kids[0], kids[1], str(w)),
        **_unsigned_comparisons(kids),
        "bvcomp": lambda: f"(1 if {kids[0]} == {kids[1]} else 0)",
    }
    for name, cmp in (("bvslt", "<"), ("bvsle", "<="), ("bvsgt", ">"), ("bvsge", ">=")):
        bv[name] = lambda cmp=cmp: f"({helper('_s', kids[0], str(w))} {cmp} {helper('_s', kids[1], str(w))})"
    if op in bv:
        return bv[op]()
    if op == "concat":
        out, width = kids[0], node.args[0].sort.width
        for arg, k in zip(node.args[1:], kids[1:]):
            out, width = f"(({out} << {arg.sort.width}) | {k})", width + arg.sort.width
        return out
    if op == "extract":
        i, j = node.indices
        return f"(({kids[0]} >> {j}) & {hex(_mask(i - j + 1))})"
    if op == "zero_extend":
        return kids[0]
    if op == "sign_extend":
        return f"({helper('_s', kids[0], str(w))} & {hex(_mask(node.sort.width))})"
    if op in ("rotate_left", "rotate_right"):
        k = node.indices[0] % w
        return helper("_rotl", kids[0], str(k if op == "rotate_left" else (w - k) % w), str(w))
    if op == "repeat":
        return "(" + " | ".join(f"({kids[0]} << {w * i})" for i in range(node.indices[0])) + ")"
    if op in names:
        return f"{names[op]}({', '.join(kids)})"
    raise EmitError(f"cannot write {op} in {_PY.name}")


def _py_type(sort: Sort) -> str:
    return {"Int": "int", "Bool": "bool"}.get(sort.name, "int")


def _py_literal(node: Lit) -> str:
    if node.sort.name == "Bool":
        return "True" if node.value else "False"
    return hex(int(node.value)) if node.sort.is_bv else str(int(node.value))


# ---- C ----------------------------------------------------------------------------------------------------

_C_HELPERS = {
    "smt_div": """static inline long long smt_div(long long a, long long b) {
    /* Euclidean: the remainder is never negative (C truncates toward zero) */
    if (b == 0) return 0;
    long long q = a / b, r = a % b;
    if (r < 0) q += (b > 0) ? -1 : 1;
    return q;
}""",
    "smt_mod": """static inline long long smt_mod(long long a, long long b) {
    if (b == 0) return a;
    long long r = a % b;
    return r < 0 ? r + (b > 0 ? b : -b) : r;
}""",
    "smt_signed": """static inline int64_t smt_signed(uint64_t a, unsigned w) {
    return w == 64 ? (int64_t)a : ((a >> (w - 1)) & 1u) ? (int64_t)a - ((int64_t)1 << w) : (int64_t)a;
}""",
    "smt_shl": """static inline uint64_t smt_shl(uint64_t a, uint64_t b, unsigned w) {
    return b >= w ? 0 : a << b;
}""",
    "smt_lshr": """static inline uint64_t smt_lshr(uint64_t a, uint64_t b, unsigned w) {
    return b >= w ? 0 : a >> b;
}""",
    "smt_ashr": """static inline uint64_t smt_ashr(uint64_t a, uint64_t b, unsigned w) {
    int64_t s = smt_signed(a, w);
    return (uint64_t)(s >> (b >= w ? w - 1 : b));
}""",
    "smt_udiv": """static inline uint64_t smt_udiv(uint64_t a, uint64_t b, unsigned w) {
    return b == 0 ? (w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1)) : a / b;
}""",
    "smt_urem": """static inline uint64_t smt_urem(uint64_t a, uint64_t b) {
    return b == 0 ? a : a % b;
}""",
    "smt_sdiv": """static inline uint64_t smt_sdiv(uint64_t a, uint64_t b, unsigned w) {
    int na = (a >> (w - 1)) & 1, nb = (b >> (w - 1)) & 1;
    uint64_t m = w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
    uint64_t q = smt_udiv(na ? -a & m : a, nb ? -b & m : b, w);
    return na != nb ? -q : q;
}""",
    "smt_srem": """static inline uint64_t smt_srem(uint64_t a, uint64_t b, unsigned w) {
    int na = (a >> (w - 1)) & 1, nb = (b >> (w - 1)) & 1;
    uint64_t m = w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
    uint64_t r = smt_urem(na ? -a & m : a, nb ? -b & m : b);
    return na ? -r : r;
}""",
    "smt_smod": """static inline uint64_t smt_smod(uint64_t a, uint64_t b, unsigned w) {
    int na = (a >> (w - 1)) & 1, nb = (b >> (w - 1)) & 1;
    uint64_t m = w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
    uint64_t u = smt_urem(na ? -a & m : a, nb ? -b & m : b);
    if (u == 0 || na == nb) return na ? -u : u;
    return na ? b - u : u + b;
}""",
}
_C_DEPS = {"smt_ashr": {"smt_signed"}, "smt_sdiv": {"smt_udiv"}, "smt_srem": {"smt_urem"},
           "smt_smod": {"smt_urem"}}


def _c_type(sort: Sort) -> str:
    if sort.name == "Int":
        return "long long"
    if sort.name == "Bool":
        return "bool"
    if sort.width > 64:
        raise EmitError(f"C has no {sort.width}-bit unsigned type")
    return next(f"uint{n}_t" for n in (8, 16, 32, 64) if sort.width <= n)


def _c_literal(node: Lit) -> str:
    if node.sort.name == "Bool":
        return "true" if node.value else "false"
    if node.sort.is_bv:
        return f"UINT64_C({hex(int(node.value))})"
    v = int(node.value)
    return f"{v}LL" if v >= 0 else f"(-{-v}LL)"


_C = _Syntax("C", not_="(!{0})", and_=" && ", or_=" || ", implies="(!{0} || {1})", ite="({0} ? {1} : {2})",
             abs="({0} < 0 ? -{0} : {0})", div="smt_div", mod="smt_mod", chained_comparisons=False)


def _c_app(node: App, kids: list[str], used: set[str], names: dict[str, str]) -> str:
    op = node.op
    arg_sort = node.args[0].sort if node.args else node.sort
    w = arg_sort.width if arg_sort.is_bv else 0
    helper = _helper_call(used, _C_DEPS)

    def fit(expr: str, width: int) -> str:
        """A 64-bit computation cut to ``width`` bits, in the width's type (C promotes narrow types to int,
        whose overflow is undefined, so arithmetic is done in uint64_t first)."""
        # a cast to uint8/16/32/64_t already reduces modulo 2^width; other widths need the mask
        inner = f"({expr})" if width in (8, 16, 32, 64) else f"(({expr}) & {hex(_mask(width))}u)"
        return f"(({_c_type(Sort('BitVec', width))}){inner})"

    def u(k: str) -> str:
        return f"(uint64_t){k}"

    simple = _shared_ops(_C, kids, helper)
    if op in simple:
        return simple[op]()
    wide = str(w)
    bv: dict[str, Callable[[], str]] = {
        "bvadd": lambda: fit(" + ".join(map(u, kids)), w),
        "bvmul": lambda: fit(" * ".join(map(u, kids)), w),
        "bvsub": lambda: fit(f"{u(kids[0])} - {u(kids[1])}", w),
        "bvneg": lambda: fit(f"-{u(kids[0])}", w),
        "bvnot": lambda: fit(f"~{u(kids[0])}", w),
        "bvand": lambda: fit(" & ".join(map(u, kids)), w),
        "bvor": lambda: fit(" | ".join(map(u, kids)), w),
        "bvxor": lambda: fit(" ^ ".join(map(u, kids)), w),
        "bvnand": lambda: fit(f"~({u(kids[0])} & {u(kids[1])})", w),
        "bvnor": lambda: fit(f"~({u(kids[0])} | {u(kids[1])})", w),
        "bvxnor": lambda: fit(f"~({u(kids[0])} ^ {u(kids[1])})", w),
        "bvshl": lambda: fit(helper("smt_shl", kids[0], kids[1], wide), w),
        "bvlshr": lambda: fit(helper("smt_lshr", kids[0], kids[1], wide), w),
        "bvashr": lambda: fit(helper("smt_ashr", kids[0], kids[1], wide), w),
        "bvudiv": lambda: fit(helper("smt_udiv", kids[0], kids[1], wide), w),
        "bvurem": lambda: fit(helper("smt_urem", kids[0], kids[1]), w),
        "bvsdiv": lambda: fit(helper("smt_sdiv", kids[0], kids[1], wide), w),
        "bvsrem": lambda: fit(helper("smt_srem", kids[0], kids[1], wide), w),
        "bvsmod": lambda: fit(helper("smt_smod", kids[0], kids[1], wide), w),
        **_unsigned_comparisons(kids),
        "bvcomp": lambda: f"((uint8_t)({kids[0]} == {kids[1]}))",
    }
    for name, cmp in (("bvslt", "<"), ("bvsle", "<="), ("bvsgt", ">"), ("bvsge", ">=")):
        bv[name] = lambda cmp=cmp: (f"({helper('smt_signed', kids[0], wide)} {cmp} "
                                    f"{helper('smt_signed', kids[1], wide)})")
    if op in bv:
        return bv[op]()
    if op == "concat":
        out, width = kids[0], node.args[0].sort.width
        for arg, k in zip(node.args[1:], kids[1:]):
            out, width = fit(f"({u(out)} << {arg.sort.width}) | {u(k)}", width + arg.sort.width), width + arg.sort.width
        return out
    if op == "extract":
        i, j = node.indices
        return fit(f"{u(kids[0])} >> {j}", i - j + 1)
    if op == "zero_extend":
        return fit(u(kids[0]), node.sort.width)
    if op == "sign_extend":
        return fit(f"(uint64_t){helper('smt_signed', kids[0], wide)}", node.sort.width)
    if op in ("rotate_left", "rotate_right"):
        k = node.indices[0] % w
        k = k if op == "rotate_left" else (w - k) % w
        return kids[0] if k == 0 else fit(f"({u(kids[0])} << {k}) | ({u(kids[0])} >> {w - k})", w)
    if op == "repeat":
        return fit(" | ".join(f"({u(kids[0])} << {w * i})" for i in range(node.indices[0])), node.sort.width)
    if op in names:
        return f"{names[op]}({', '.join(kids)})"
    raise EmitError(f"cannot write {op} in {_C.name}")


# ---- both -------------------------------------------------------------------------------------------------


def _body_lines(term: Term, atom: Callable[[Term], str],
                app: Callable[[App, list[str], set[str], dict[str, str]], str], used: set[str],
                names: dict[str, str], declare: Callable[[str, Sort, str], str]) -> tuple[list[str], str]:
    """Statements and the result expression for ``term``: one expression when it is shallow, else one
    temporary per application node (``declare(name, sort, expr)`` writes its statement)."""
    if _height(term) <= MAX_INLINE_HEIGHT:
        return [], fold(term, lambda node, kids: app(node, kids, used, names) if isinstance(node, App)
                        else atom(node))
    lines: list[str] = []

    def step(node: Term, kids: list[str]) -> str:
        if not isinstance(node, App):
            return atom(node)
        name = f"t{len(lines)}"
        lines.append(declare(name, node.sort, app(node, kids, used, names)))
        return name

    return lines, fold(term, step)


class _DefinitionWriter(Protocol):
    """Writes one function's definition from its parameters (as identifiers), the statements of its body and
    its result expression."""

    def __call__(self, fn: FunctionLike, params: dict[str, str], lines: list[str], expr: str) -> str: ...


def _definitions(functions: Sequence[FunctionLike], literal: Callable[[Lit], str],
                 app: Callable[[App, list[str], set[str], dict[str, str]], str],
                 declare: Callable[[str, Sort, str], str], define: _DefinitionWriter) -> tuple[list[str], set[str]]:
    """The definitions of ``functions`` in order (a later one may call an earlier one by name), and the helpers
    they use."""
    used: set[str] = set()
    names: dict[str, str] = {}
    defs: list[str] = []
    for fn in functions:
        params = {p: identifier(p) for p, _ in fn.params}
        lines, expr = _body_lines(fn.body, _leaf_writer(params, literal), app, used, names, declare)
        defs.append(define(fn, params, lines, expr))
        names[fn.name] = identifier(fn.name)
    return defs, used


def _py_definition(fn: FunctionLike, params: dict[str, str], lines: list[str], expr: str) -> str:
    sig = ", ".join(f"{params[p]}: {_py_type(s)}" for p, s in fn.params)
    doc = ", ".join(f"{params[p]} < 2**{s.width}" for p, s in fn.params if s.is_bv)
    out = [f"def {identifier(fn.name)}({sig}) -> {_py_type(fn.sort)}:"]
    if doc or fn.sort.is_bv:
        width = f"; the result < 2**{fn.sort.width}" if fn.sort.is_bv else ""
        out.append(f'    """Unsigned bit-vectors: {doc or "no bit-vector arguments"}{width}."""')
    out += [f"    {line}" for line in lines] + [f"    return {expr}"]
    return "\n".join(out)


def _c_definition(fn: FunctionLike, params: dict[str, str], lines: list[str], expr: str) -> str:
    sig = ", ".join(f"{_c_type(s)} {params[p]}" for p, s in fn.params) or "void"
    body = [f"    {line}" for line in lines] + [f"    return {expr};"]
    return f"{_c_type(fn.sort)} {identifier(fn.name)}({sig}) {{\n" + "\n".join(body) + "\n}"


def emit_python(functions: Sequence[FunctionLike], source: str = "") -> str:
    """A Python module defining ``functions`` (helpers first, in the given order: definitions before use)."""
    defs, used = _definitions(functions, _py_literal, _py_app, lambda n, _s, e: f"{n} = {e}", _py_definition)
    helpers = [_PY_HELPERS[h] for h in _PY_HELPERS if h in used]
    header = f"# Generated by recursa synth{' from ' + source if source else ''}; SMT-LIB semantics" + (
        " (see the helpers below)." if helpers else ".")
    return "\n\n\n".join([header, *helpers, *defs]) + "\n"


def emit_c(functions: Sequence[FunctionLike], source: str = "") -> str:
    """C99 definitions of ``functions``: Int as ``long long`` (64-bit: may overflow where SMT-LIB's
    integers do not), bit-vectors as the smallest ``uintN_t`` holding them, masked to their width."""
    defs, used = _definitions(functions, _c_literal, _c_app, lambda n, s, e: f"{_c_type(s)} {n} = {e};",
                              _c_definition)
    helpers = [_C_HELPERS[h] for h in _C_HELPERS if h in used]
    header = (f"/* Generated by recursa synth{' from ' + source if source else ''}; SMT-LIB semantics.\n"
              " * Int is long long here: unlike SMT-LIB integers it overflows past 2^63. */\n"
              "#include <stdbool.h>\n#include <stdint.h>")
    return "\n\n".join([header, *helpers, *defs]) + "\n"


def emit(functions: Sequence[FunctionLike], language: str, source: str = "") -> str:
    if language == "python":
        return emit_python(functions, source)
    if language == "c":
        return emit_c(functions, source)
    raise EmitError(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")
