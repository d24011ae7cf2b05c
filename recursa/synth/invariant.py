"""Invariant synthesis (``synth-inv`` / ``inv-constraint``) through recursa's loop verifier.

A SyGuS invariant problem *is* a loop: havoc every variable, ``assume(pre)``, then repeat ``trans`` forever
while ``post`` must hold at every visit of the loop head. :func:`solve_invariant` writes that loop as a small
C function, hands it to :class:`recursa.refine.verify.Verifier` (random runs, grammar candidates ranked by the
reasoner, ICE examples from Z3 counterexamples, Houdini, a re-checked certificate, BMC) and turns the verdict
back into a SyGuS answer:

- *proved* -> the loop-head invariant becomes ``(define-fun inv ...)``; a fresh Z3 solver re-checks the three
  ``inv-constraint`` conditions on the *original* problem before ``solved`` is returned;
- *violated* -> the run's loop-head states are replayed against the original ``pre``/``trans``/``post`` by a
  fresh solver; only then ``infeasible`` (no invariant exists), with the trace in the message;
- anything else -> ``unknown``.

Around the verifier: a shallow bounded unrolling of the problem's own terms first (a violation within a few
steps is found in milliseconds), and after it, with the time left, a Houdini search over atoms drawn from the
problem plus linear equalities learned from sampled reachable states; bit-vector problems, which the C
translation does not take, get only these. Their answers pass the same fresh re-check.

Why C text rather than an IR :class:`~recursa.symbolic.ir.Function` built directly: the reasoner ranks
candidates from the tree-sitter tree of the loop's source, so the loop needs a source; the C front end then
gives the IR with byte spans that match it. The generated C is also what a user would write by hand, which
keeps ``recursa verify`` and ``recursa synth`` on one code path (the tests compare their verdicts).

Benchmarks carry SSA copies (``x_0 x_1 ...``) and unused variables. Unprimed variables that a disjunct of
``trans`` defines by an equality (``(= x_1 x)``) are substituted away in that disjunct, and variables that
cannot influence ``post`` through ``trans`` (nor guard a transition) are left out of the loop, so the
candidate space is over the variables that matter. This projection is only a search heuristic: soundness comes
from the final re-check against the unsliced problem.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from recursa.symbolic.terms import BOOL, INT, App, Lit, Term, Var, fold, free_vars
from recursa.synth.problem import (
    DefineFun,
    Problem,
    Solution,
    SynthFun,
    SynthOptions,
    SynthResult,
    SynthStatus,
)

#: Time kept back from the verifier's budget for the final re-check and the answer.
_RECHECK_RESERVE_S = 0.25
#: A disjunctive normal form of ``trans`` larger than this keeps the rest as one constraint.
_MAX_BRANCHES = 64
_SSA_NAME = re.compile(r"_\d+$")
_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while "
    "_Bool bool true false assert assume main inv_loop inv_text".split())

#: Loaded rankers, by guide: the neural one costs seconds to load and is reused for every problem.
_RANKERS: dict[str, Any] = {}


class Unsupported(Exception):
    """A term or problem shape this engine cannot translate (the message names it)."""


# ---- terms ------------------------------------------------------------------------------------------------


def substitute(term: Term, mapping: dict[str, Term]) -> Term:
    """``term`` with free variables replaced (no binders exist in inlined terms)."""

    def fn(node: Term, kids: list[Term]) -> Term:
        if isinstance(node, Var):
            return mapping.get(node.name, node)
        if isinstance(node, App):
            if all(k is c for k, c in zip(kids, node.args)):
                return node
            return App(node.op, tuple(kids), node.sort, node.indices, node.span)
        return node

    return fold(term, fn)


def inline(term: Term, definitions: dict[str, DefineFun]) -> Term:
    """Expand every call of a ``define-fun`` (their bodies are inlined once each, then reused)."""
    bodies: dict[str, Term] = {}

    def body_of(name: str) -> Term:
        # define-funs may only call earlier ones, so a chain of bodies is finite; an explicit worklist keeps a
        # long chain off Python's stack
        pending = [name]
        while pending:
            top = pending[-1]
            if top in bodies:
                pending.pop()
                continue
            callees = [a.op for a in _apps(definitions[top].body) if a.op in definitions and a.op not in bodies]
            callees = [c for c in callees if c not in pending]
            if callees:
                pending.extend(callees)
                continue
            bodies[top] = _expand(definitions[top].body, definitions, bodies)
            pending.pop()
        return bodies[name]

    for app in _apps(term):
        if app.op in definitions:
            body_of(app.op)
    return _expand(term, definitions, bodies)


def _apps(term: Term) -> list[App]:
    return [n for n in _nodes(term) if isinstance(n, App)]


def _nodes(term: Term) -> list[Term]:
    out: list[Term] = []
    seen: set[int] = set()
    stack = [term]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(node.children())
    return out


def _expand(term: Term, definitions: dict[str, DefineFun], bodies: dict[str, Term]) -> Term:
    def fn(node: Term, kids: list[Term]) -> Term:
        if isinstance(node, App):
            if node.op in definitions and node.op in bodies:
                d = definitions[node.op]
                return substitute(bodies[node.op], {p: k for (p, _), k in zip(d.params, kids)})
            if all(k is c for k, c in zip(kids, node.args)):
                return node
            return App(node.op, tuple(kids), node.sort, node.indices, node.span)
        return node

    return fold(term, fn)


def _conjuncts(term: Term) -> list[Term]:
    out: list[Term] = []
    stack = [term]
    while stack:
        t = stack.pop()
        if isinstance(t, App) and t.op == "and":
            stack.extend(reversed(t.args))
        elif isinstance(t, Lit) and t.value is True:
            continue
        else:
            out.append(t)
    return out


def _dnf(term: Term) -> list[list[Term]]:
    """Disjuncts of ``term``, each a list of conjuncts (``or``/``and``/Boolean ``ite`` distributed while the
    result stays small; larger parts stay as single conjuncts)."""

    def fn(node: Term, kids: list[list[list[Term]]]) -> list[list[Term]]:
        if isinstance(node, App) and node.op == "or":
            out = [b for k in kids for b in k]
            return out if len(out) <= _MAX_BRANCHES else [[node]]
        if isinstance(node, App) and node.op == "and":
            acc: list[list[Term]] = [[]]
            for k in kids:
                if len(acc) * len(k) > _MAX_BRANCHES:
                    k = [_flat(k)]
                acc = [a + b for a in acc for b in k]
            return acc
        if isinstance(node, App) and node.op == "ite" and node.sort == BOOL:
            c = node.args[0]
            then = [[c, *b] for b in kids[1]]
            other = [[App("not", (c,), BOOL), *b] for b in kids[2]]
            out = then + other
            return out if len(out) <= _MAX_BRANCHES else [[node]]
        if isinstance(node, Lit) and node.sort == BOOL:
            return [[]] if node.value else []
        return [[node]]

    return fold(term, fn)


def _flat(branches: list[list[Term]]) -> list[Term]:
    """One conjunct equivalent to the disjunction ``branches`` (used when distributing would blow up)."""
    disj = [_and(b) for b in branches]
    if not disj:
        return [Lit(False, BOOL)]
    return [disj[0] if len(disj) == 1 else App("or", tuple(disj), BOOL)]


def _and(parts: Sequence[Term]) -> Term:
    if not parts:
        return Lit(True, BOOL)
    return parts[0] if len(parts) == 1 else App("and", tuple(parts), BOOL)


def _equality_sides(t: Term) -> tuple[Term, Term] | None:
    if isinstance(t, App) and t.op == "=" and len(t.args) == 2:
        return t.args[0], t.args[1]
    return None


# ---- the problem, normalised ----------------------------------------------------------------------------


def _cur(k: int) -> str:
    return f"c{k}"


def _nxt(k: int) -> str:
    return f"n{k}"


def _index(name: str) -> tuple[bool, int]:
    return name[0] == "n", int(name[1:])


@dataclass
class _Inv:
    """pre/trans/post over canonical names ``c<k>`` (state) and ``n<k>`` (next state)."""

    fun: SynthFun
    pre: Term
    trans: Term
    post: Term

    @property
    def n(self) -> int:
        return len(self.fun.params)

    def var(self, k: int, primed: bool = False) -> Var:
        return Var(_nxt(k) if primed else _cur(k), self.fun.params[k][1])


def _normalise(problem: Problem) -> _Inv:
    if len(problem.inv_constraints) != 1:
        raise Unsupported(f"{len(problem.inv_constraints)} inv-constraints (the loop verifier takes one; "
                          "recursa.synth.engine.solve splits or gives them to CEGIS)")
    ic = problem.inv_constraints[0]
    fun = problem.function(ic.inv)
    # the reader expands the inv-constraint into three constraints; anything more would be ignored here
    if len(problem.functions) != 1 or len(problem.constraints) > 3:
        raise Unsupported("an inv-constraint together with other synth-funs or constraints")
    if fun.grammar is not None:
        raise Unsupported(f"synth-inv {fun.name} has a grammar (the loop verifier takes unrestricted invariants "
                          "only; recursa.synth.engine.solve gives grammars to CEGIS)")
    for name, sort in fun.params:
        if sort not in (INT, BOOL) and not sort.is_bv:
            raise Unsupported(f"variable {name} has sort {sort} (Int, Bool and bit-vectors are supported)")
    n = len(fun.params)
    defs = problem.definitions
    parts: dict[str, Term] = {}
    for role, name, arity in (("pre", ic.pre, n), ("trans", ic.trans, 2 * n), ("post", ic.post, n)):
        d = defs.get(name)
        if d is None:
            raise Unsupported(f"{role} function {name} is not a define-fun")
        if len(d.params) != arity or d.sort != BOOL:
            raise Unsupported(f"{role} function {name} takes {len(d.params)} arguments, expected {arity}")
        names = [_cur(k) for k in range(n)] + ([_nxt(k) for k in range(n)] if role == "trans" else [])
        sorts = [s for _, s in fun.params] * (2 if role == "trans" else 1)
        stray = free_vars(d.body) - {p for p, _ in d.params}
        if stray:
            raise Unsupported(f"{role} function {name} reads {sorted(stray)[0]}, which is not one of its parameters")
        body = inline(d.body, defs)
        parts[role] = substitute(body, {p: Var(c, s) for (p, _), c, s in zip(d.params, names, sorts)})
    return _Inv(fun, parts["pre"], parts["trans"], parts["post"])


# ---- Z3 encoding (the re-checks) ---------------------------------------------------------------------------


def to_z3(term: Term, env: dict[str, Any], ctx: Any) -> Any:
    """Z3 expression of an inlined ``term`` (any theory :mod:`recursa.symbolic.smtlib` encodes); ``env`` maps
    the free variable names to Z3 constants. An operator Z3 cannot take raises :class:`Unsupported`."""
    from recursa.symbolic.smtlib import to_z3 as smt_to_z3

    try:
        return smt_to_z3(term, env, None, ctx)
    except KeyError as exc:
        raise Unsupported(str(exc).strip("'\"")) from None


# ---- translation to C ---------------------------------------------------------------------------------------


@dataclass
class _Branch:
    """One disjunct of ``trans`` after temporaries are substituted: defined next values and the rest."""

    defs: dict[int, Term]  # k -> value of n<k> (over c<j> and defined n<j> earlier in ``order``)
    order: list[int]
    constraints: list[Term]  # guards and undetermined conditions (over c<j>, n<j>)


@dataclass
class _Loop:
    """The sliced loop: the variables it keeps and its branches."""

    relevant: list[int]
    temps: set[int]
    branches: list[_Branch]


def _plan(inv: _Inv) -> _Loop:
    """Substitute temporaries, orient next-state equalities, and slice (see the module docstring)."""
    post_vars = {_index(v)[1] for v in free_vars(inv.post)}
    names = [p for p, _ in inv.fun.params]
    # SSA copies first: ``(= x_1 x)`` should eliminate ``x_1``, not ``x``
    candidates = sorted((k for k in range(inv.n) if k not in post_vars),
                        key=lambda k: (not _SSA_NAME.search(names[k]), k))
    raw = _dnf(inv.trans)
    banned: set[int] = set()
    for _ in range(inv.n + 1):
        temps: set[int] = set()
        branches = []
        for conj in raw:
            rest, used = _eliminate_temps(conj, [k for k in candidates if k not in banned])
            temps |= used
            branches.append(_orient(rest, inv.n))
        relevant = _relevant(post_vars, branches)
        clash = temps & relevant
        if not clash:
            return _Loop(sorted(relevant), temps, branches)
        banned |= clash
    raise Unsupported("could not separate temporaries from state variables")  # pragma: no cover


def _eliminate_temps(conj: list[Term], candidates: list[int]) -> tuple[list[Term], set[int]]:
    conj = list(conj)
    used: set[int] = set()
    changed = True
    while changed:
        changed = False
        for k in candidates:
            if k in used:
                continue
            name = _cur(k)
            for i, t in enumerate(conj):
                sides = _equality_sides(t)
                if sides is None:
                    continue
                a, b = sides
                value = b if isinstance(a, Var) and a.name == name else a if isinstance(b, Var) and b.name == name \
                    else None
                if value is None or name in free_vars(value):
                    continue
                conj = [substitute(c, {name: value}) for j, c in enumerate(conj) if j != i]
                used.add(k)
                changed = True
                break
    return conj, used


def _orient(conj: list[Term], n: int) -> _Branch:
    """Pick ``n<k> = e`` equalities as assignments, in an order where each value only reads earlier ones."""
    defs: dict[int, Term] = {}
    rest: list[Term] = []
    for t in conj:
        sides = _equality_sides(t)
        picked = False
        if sides is not None:
            for a, b in (sides, sides[::-1]):
                if isinstance(a, Var) and a.name[0] == "n":
                    k = _index(a.name)[1]
                    if k not in defs and a.name not in free_vars(b):
                        defs[k] = b
                        picked = True
                        break
        if not picked:
            rest.append(t)
    order: list[int] = []
    placed: set[int] = set()
    progress = True
    while progress:
        progress = False
        for k, e in defs.items():
            if k in placed:
                continue
            needs = {_index(v)[1] for v in free_vars(e) if v[0] == "n"}
            if needs <= placed:
                order.append(k)
                placed.add(k)
                progress = True
    for k in [k for k in defs if k not in placed]:  # a cycle: keep it as a constraint on havocked values
        rest.append(App("=", (Var(_nxt(k), defs[k].sort), defs.pop(k)), BOOL))
    return _Branch(defs, order, rest)


def _relevant(post_vars: set[int], branches: list[_Branch]) -> set[int]:
    rel = set(post_vars)
    for b in branches:
        for t in b.constraints:
            rel |= {_index(v)[1] for v in free_vars(t)}
    changed = True
    while changed:
        changed = False
        for b in branches:
            for k, e in b.defs.items():
                if k in rel:
                    new = {_index(v)[1] for v in free_vars(e)} - rel
                    if new:
                        rel |= new
                        changed = True
    return rel


def _c_names(params: Sequence[tuple[str, Any]]) -> list[str]:
    out: list[str] = []
    taken: set[str] = set()
    for name, _ in params:
        base = re.sub(r"\W", "_", name, flags=re.ASCII) or "v"
        if base[0].isdigit() or base in _C_KEYWORDS or base.startswith("__") or base.endswith("__n"):
            base = "v_" + base
        cand, i = base, 1
        while cand in taken:
            i += 1
            cand = f"{base}_{i}"
        taken.add(cand)
        out.append(cand)
    return out


def c_expr(term: Term, names: Callable[[str], str]) -> str:
    """C text of an Int/Bool term (mathematical integers; Euclidean ``div``/``mod`` by a constant)."""

    def fn(node: Term, k: list[str]) -> str:
        if isinstance(node, Var):
            return names(node.name)
        if isinstance(node, Lit):
            if node.sort == BOOL:
                return "1" if node.value else "0"
            v = int(node.value)
            return str(v) if v >= 0 else f"(-{-v})"
        assert isinstance(node, App)
        op = node.op
        if op in ("and", "or"):
            if not k:
                return "1" if op == "and" else "0"
            return "(" + (" && " if op == "and" else " || ").join(k) + ")"
        if op == "not":
            return f"(!{k[0]})"
        if op == "=>":
            out = k[-1]
            for a in reversed(k[:-1]):
                out = f"(!{a} || {out})"
            return out
        if op == "xor":
            out = k[0]
            for a in k[1:]:
                out = f"(!{out} != !{a})"
            return out
        if op == "ite":
            return f"({k[0]} ? {k[1]} : {k[2]})"
        if op in ("=", "<", "<=", ">", ">="):
            sym = "==" if op == "=" else op
            pairs = [f"({a} {sym} {b})" for a, b in zip(k, k[1:])]
            return pairs[0] if len(pairs) == 1 else "(" + " && ".join(pairs) + ")"
        if op == "distinct":
            pairs = [f"({k[i]} != {k[j]})" for i in range(len(k)) for j in range(i + 1, len(k))]
            return pairs[0] if len(pairs) == 1 else "(" + " && ".join(pairs) + ")"
        if op in ("+", "*"):
            return "(" + f" {op} ".join(k) + ")"
        if op == "-":
            return f"(-{k[0]})" if len(k) == 1 else "(" + " - ".join(k) + ")"
        if op == "abs":
            return f"({k[0]} < 0 ? -{k[0]} : {k[0]})"
        if op in ("div", "mod"):
            d = node.args[1]
            if not isinstance(d, Lit) or int(d.value) == 0:
                raise Unsupported(f"({op} ...) by a non-constant divisor (non-linear)")
            m = abs(int(d.value))
            # C's % truncates towards zero; SMT-LIB's mod is Euclidean (never negative)
            mod = f"((({k[0]} % {m}) + {m}) % {m})"
            if op == "mod":
                return mod
            q = f"(({k[0]} - {mod}) / {m})"
            return q if int(d.value) > 0 else f"(-{q})"
        raise Unsupported(f"operator {op}" + (f" (indexed {node.indices})" if node.indices else ""))

    return fold(term, fn)


@dataclass
class Translation:
    """The generated C function and how its names map back to the invariant's parameters."""

    source: str
    c_names: list[str]  # per parameter
    relevant: list[int]  # parameters the loop keeps
    temps: list[int]  # parameters substituted away as temporaries


def _initialisers(pre: Term, declared: set[int]) -> tuple[dict[int, Term], list[Term]]:
    """``pre``'s equalities ``x = e`` as initial values (in dependency order), and the conjuncts left to assume.

    Why: random runs draw havocked values, and almost none would pass ``assume(i == 0 && s == 0)``. A
    variable no equality defines stays havocked; when the rest only define each other (``n == n_0``), the
    right-hand variable of the first such equality is havocked and the others follow from it. Equivalent to
    havocking all and assuming ``pre``: each variable is set once, from variables already set.
    """
    inits: dict[int, Term] = {}
    rest = _conjuncts(pre)
    free = declared - _defined_somewhere(rest, declared)
    while True:
        progress = False
        for t in list(rest):
            sides = _equality_sides(t)
            for a, b in (sides, sides[::-1]) if sides is not None else ():
                k = _index(a.name)[1] if isinstance(a, Var) else -1
                if k not in declared or k in inits or k in free:
                    continue
                needs = {_index(v)[1] for v in free_vars(b)}
                if k not in needs and needs <= set(inits) | free:
                    inits[k] = b
                    rest.remove(t)
                    progress = True
                    break
        if progress:
            continue
        pick = next((_index(b.name)[1] for t in rest if (sd := _equality_sides(t)) is not None
                     for b in sd[::-1] if isinstance(b, Var) and _index(b.name)[1] not in set(inits) | free), None)
        if pick is None:
            return inits, rest
        free.add(pick)


def _defined_somewhere(conj: list[Term], declared: set[int]) -> set[int]:
    """Variables that appear as a side of an equality in ``conj``."""
    out: set[int] = set()
    for t in conj:
        sides = _equality_sides(t)
        if sides is not None:
            out |= {_index(x.name)[1] for x in sides if isinstance(x, Var)}
    return out & declared


def translate(inv: _Inv, function_name: str = "inv_loop") -> Translation:
    """The loop as C source (raises :class:`Unsupported` for what C over mathematical integers cannot say)."""
    for name, sort in inv.fun.params:
        if sort not in (INT, BOOL):
            raise Unsupported(f"variable {name} is a {sort}; the loop verifier reasons over Int and Bool")
    loop = _plan(inv)
    names = _c_names(inv.fun.params)
    sorts = [s for _, s in inv.fun.params]
    declared = sorted(set(loop.relevant) | {_index(v)[1] for v in free_vars(inv.pre)})

    def cur(v: str) -> str:
        primed, k = _index(v)
        if primed:
            raise Unsupported("a primed variable outside trans")
        return names[k]

    def ctype(k: int) -> tuple[str, str]:
        return ("_Bool", "__VERIFIER_nondet_bool()") if sorts[k] == BOOL else ("int", "__VERIFIER_nondet_int()")

    lines = ["extern int __VERIFIER_nondet_int(void);", "extern _Bool __VERIFIER_nondet_bool(void);",
             "extern void __VERIFIER_assume(int);", "extern void __VERIFIER_assert(int);", "",
             f"void {function_name}(void) {{"]
    inits, rest = _initialisers(inv.pre, set(declared))
    for k in declared:
        if k not in inits:
            t, nd = ctype(k)
            lines.append(f"  {t} {names[k]} = {nd};")
    for k, e in inits.items():  # in dependency order
        lines.append(f"  {ctype(k)[0]} {names[k]} = {c_expr(e, cur)};")
    if rest:
        lines.append(f"  __VERIFIER_assume({c_expr(_and(rest), cur)});")
    lines.append("  while (1) {")
    lines.append(f"    __VERIFIER_assert({c_expr(inv.post, cur)});")
    rel = set(loop.relevant)
    if not loop.branches:
        lines.append("    __VERIFIER_assume(0);")
    for i, b in enumerate(loop.branches):
        last = i == len(loop.branches) - 1
        if i == 0:
            lines.append("    {" if last else "    if (__VERIFIER_nondet_int()) {")
        else:
            lines.append("    } else {" if last else "    } else if (__VERIFIER_nondet_int()) {")

        def both(v: str) -> str:
            primed, k = _index(v)
            return f"{names[k]}__n" if primed else names[k]

        updated = [k for k in loop.relevant if k not in loop.temps]
        for k in b.order:
            if k in rel:
                t, _ = ctype(k)
                lines.append(f"      {t} {names[k]}__n = {c_expr(b.defs[k], both)};")
        for k in updated:
            if k not in b.defs:
                t, nd = ctype(k)
                lines.append(f"      {t} {names[k]}__n = {nd};")
        if b.constraints:
            lines.append(f"      __VERIFIER_assume({c_expr(_and(b.constraints), both)});")
        for k in updated:
            lines.append(f"      {names[k]} = {names[k]}__n;")
    if loop.branches:
        lines.append("    }")
    lines += ["  }", "}", ""]
    return Translation("\n".join(lines), names, loop.relevant, sorted(loop.temps))


# ---- back from the verifier ---------------------------------------------------------------------------------


def _ir_to_term(expr: Any, var_of: Callable[[str], Var]) -> Term:
    """An IR expression (integer and Boolean operators only) as a SyGuS term."""
    from recursa.symbolic import ir

    binary = {"add": "+", "sub": "-", "mul": "*", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "=",
              "and": "and", "or": "or"}

    def fn(node: Any, k: list[Term]) -> Term:
        if isinstance(node, ir.Const):
            return Lit(bool(node.value), BOOL) if node.sort is ir.Sort.BOOL else Lit(int(node.value), INT)
        if isinstance(node, ir.Var):
            return var_of(node.name)
        if isinstance(node, ir.Unary):
            if node.op == "neg":
                a = k[0]
                return Lit(-int(a.value), INT) if isinstance(a, Lit) else App("-", (a,), INT)
            if node.op == "not":
                return App("not", (k[0],), BOOL)
            if node.op == "to_int":
                return App("ite", (k[0], Lit(1, INT), Lit(0, INT)), INT)
            if node.op == "to_bool":
                return App("not", (App("=", (k[0], Lit(0, INT)), BOOL),), BOOL)
        if isinstance(node, ir.Binary):
            if node.op == "ne":
                return App("not", (App("=", (k[0], k[1]), BOOL),), BOOL)
            if node.op in binary:
                sort = INT if node.op in ("add", "sub", "mul") else BOOL
                return App(binary[node.op], (k[0], k[1]), sort)
        if isinstance(node, ir.Ite):
            return App("ite", (k[0], k[1], k[2]), k[1].sort)
        raise Unsupported(f"invariant operator {getattr(node, 'op', type(node).__name__)}")

    return ir.fold(expr, fn)


def _flatten_and(term: Term) -> Term:
    parts = _conjuncts(term)
    return _and(parts)


def parse_invariant(text: str, tr: Translation, inv: _Inv) -> Term:
    """The verifier's loop-head invariant (C expression text over the C names) as a term over ``c<k>``."""
    from recursa.symbolic.frontend import load_program

    if text.strip() in ("true", ""):
        return Lit(True, BOOL)
    sorts = [s for _, s in inv.fun.params]
    params = ", ".join(f"{'_Bool' if sorts[k] == BOOL else 'int'} {tr.c_names[k]}" for k in range(inv.n))
    src = (f"extern void __VERIFIER_assert(int);\nvoid inv_text({params or 'void'}) {{\n"
           f"  __VERIFIER_assert({text});\n}}\n")
    prog = load_program(src.encode(), "c", "<invariant>")
    unit = prog.units[0] if prog.units else None
    if prog.syntax_errors or unit is None or unit.function is None or not unit.function.assertions:
        raise Unsupported(f"cannot read back the invariant {text!r}")
    f = unit.function
    by_name = {c: k for k, c in enumerate(tr.c_names)}

    def var_of(name: str) -> Var:
        k = by_name.get(f.show(name), by_name.get(name))
        if k is None:
            raise Unsupported(f"invariant mentions unknown variable {name}")
        return inv.var(k)

    return _flatten_and(_ir_to_term(f.assertions[0].cond, var_of))


def _z3_env(inv: _Inv, ctx: Any, suffix: str = "") -> dict[str, Any]:
    import z3

    from recursa.symbolic.smtlib import z3_sort

    env: dict[str, Any] = {}
    for k, (name, sort) in enumerate(inv.fun.params):
        for canon in (_cur(k), _nxt(k)):
            label = f"{name}{'!' if canon[0] == 'n' else ''}{suffix}"
            env[canon] = z3.Const(label, z3_sort(sort, ctx))
    return env


@dataclass(frozen=True)
class RecheckResult:
    """The three inv-constraint conditions, each ``unsat`` (holds), ``sat`` (fails) or ``unknown``."""

    initiation: str
    consecution: str
    safety: str

    @property
    def valid(self) -> bool:
        return self.initiation == self.consecution == self.safety == "unsat"

    def failed(self) -> str:
        return ", ".join(n for n in ("initiation", "consecution", "safety") if getattr(self, n) != "unsat")


def recheck(inv: _Inv, body: Term, timeout_ms: int) -> RecheckResult:
    """Check ``pre => inv``, ``inv /\\ trans => inv'`` and ``inv => post`` with fresh Z3 solvers."""
    import z3

    ctx = z3.Context()
    env = _z3_env(inv, ctx)
    now = to_z3(body, env, ctx)
    nxt = to_z3(substitute(body, {_cur(k): inv.var(k, True) for k in range(inv.n)}), env, ctx)
    pre, trans, post = (to_z3(t, env, ctx) for t in (inv.pre, inv.trans, inv.post))

    end = time.monotonic() + timeout_ms / 1000  # one budget for the three checks together

    def check(*formulas: Any) -> str:
        s = z3.Solver(ctx=ctx)
        s.set("timeout", max(1, int((end - time.monotonic()) * 1000)))
        s.add(*formulas)
        r = s.check()
        return "unsat" if r == z3.unsat else "sat" if r == z3.sat else "unknown"

    return RecheckResult(check(pre, z3.Not(now)), check(now, trans, z3.Not(nxt)), check(now, z3.Not(post)))


def replay_counterexample(inv: _Inv, states: list[dict[int, int | bool]], timeout_ms: int
                          ) -> list[dict[str, int | bool]] | None:
    """A run of the original system through the given loop-head states (partial: the sliced variables) that
    starts in ``pre``, follows ``trans`` at every step and fails ``post`` at the end, checked by a fresh
    solver; the full states of that run, or None if there is none."""
    import z3

    if not states:
        return None
    ctx = z3.Context()
    envs = [_z3_env(inv, ctx, f"@{i}") for i in range(len(states))]
    s = z3.Solver(ctx=ctx)
    s.set("timeout", max(1, timeout_ms))
    s.add(to_z3(inv.pre, envs[0], ctx))
    for i in range(len(states) - 1):
        step = {**{_cur(k): envs[i][_cur(k)] for k in range(inv.n)},
                **{_nxt(k): envs[i + 1][_cur(k)] for k in range(inv.n)}}
        s.add(to_z3(inv.trans, step, ctx))
    s.add(z3.Not(to_z3(inv.post, envs[-1], ctx)))
    for i, st in enumerate(states):
        for k, v in st.items():
            var = envs[i][_cur(k)]
            s.add(var == _z3_value(v, inv.fun.params[k][1], ctx))
    if s.check() != z3.sat:
        return None
    m = s.model()
    out = []
    for env in envs:
        row: dict[str, int | bool] = {}
        for k, (name, sort) in enumerate(inv.fun.params):
            val = m.eval(env[_cur(k)], model_completion=True)
            row[name] = z3.is_true(val) if sort == BOOL else val.as_long()
        out.append(row)
    return out


def _z3_value(v: int | bool, sort: Any, ctx: Any) -> Any:
    import z3

    if sort == BOOL:
        return z3.BoolVal(bool(v), ctx)
    if sort.is_bv:
        return z3.BitVecVal(int(v), sort.width, ctx)
    return z3.IntVal(int(v), ctx)


def _trace_states(violation: Any, tr: Translation) -> list[dict[int, int | bool]]:
    by_name = {c: k for k, c in enumerate(tr.c_names)}
    states = []
    for step in violation.trace:
        if step.kind != "loop":
            continue
        states.append({by_name[n]: v for n, v in step.values.items() if n in by_name})
    return states


def _trace_text(rows: list[dict[str, int | bool]], limit: int = 12) -> str:
    def one(row: dict[str, int | bool]) -> str:
        return "(" + " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in row.items()) + ")"

    shown = [one(r) for r in rows]
    if len(shown) > limit:
        shown = shown[: limit // 2] + [f"... {len(shown) - limit} more ..."] + shown[-limit // 2:]
    return " -> ".join(shown)


# ---- the fallback: Houdini and BMC over the problem's own terms -------------------------------------------

_COMPARISONS = frozenset({"<", "<=", ">", ">=", "=", "distinct"})
_BV_COMPARISONS = frozenset({"bvult", "bvule", "bvugt", "bvuge", "bvslt", "bvsle", "bvsgt", "bvsge"})
#: The pool is quadratic in the variables; these caps keep one Houdini round a few hundred small atoms.
_POOL_LIMIT = 400
_PAIR_VARS = 8


@dataclass
class _Counters:
    candidates: int = 0
    solver_calls: int = 0


def _as_state(inv: _Inv, t: Term) -> Term | None:
    """``t`` as a predicate on one state: itself over current variables, or its unprimed copy."""
    fv = free_vars(t)
    if all(v[0] == "c" for v in fv):
        return t
    if all(v[0] == "n" for v in fv):
        return substitute(t, {v: inv.var(_index(v)[1]) for v in fv})
    return None


def atom_pool(inv: _Inv) -> list[Term]:
    """Candidate conjuncts drawn from the problem itself: ``post`` and its conjuncts, ``pre``'s conjuncts,
    every comparison in the three functions (with ``<=``/``>=``/``=`` variants), bounds and order between
    pairs of variables, residues for each ``mod`` seen, Boolean literals and implications guarded by them."""
    from recursa.symbolic.terms import structural_key

    pool: dict[tuple, Term] = {}

    def add(t: Term) -> None:
        if len(pool) < _POOL_LIMIT:
            pool.setdefault(structural_key(t), t)

    add(inv.post)
    for c in (*_conjuncts(inv.post), *_conjuncts(inv.pre)):
        st = _as_state(inv, c)
        if st is not None:
            add(st)
    moduli: set[int] = set()
    mod_terms: list[tuple[Term, int]] = []
    for whole in (inv.post, inv.trans, inv.pre):
        for node in _nodes(whole):
            if not isinstance(node, App):
                continue
            if node.op == "mod" and isinstance(node.args[1], Lit) and 2 <= int(node.args[1].value) <= 8:
                e = _as_state(inv, node.args[0])
                if e is not None:
                    moduli.add(int(node.args[1].value))
                    mod_terms.append((e, int(node.args[1].value)))
            if len(node.args) != 2 or node.args[0].sort == BOOL:
                continue
            st = _as_state(inv, node)
            if st is None or not isinstance(st, App):
                continue
            a, b = st.args
            if node.op in _COMPARISONS and a.sort == INT:
                for op in ("<=", ">=", "="):
                    add(App(op, (a, b), BOOL))
            elif node.op in _BV_COMPARISONS or node.op in _COMPARISONS:
                add(st)
                add(App("=", (a, b), BOOL))
    used = [_index(v)[1] for v in sorted(free_vars(inv.post)) + sorted(free_vars(inv.trans))]
    order = list(dict.fromkeys(used)) or list(range(inv.n))
    ints = [k for k in order if inv.fun.params[k][1] == INT][:_PAIR_VARS]
    bvs = [k for k in order if inv.fun.params[k][1].is_bv][:_PAIR_VARS]
    bools = [k for k in order if inv.fun.params[k][1] == BOOL][:_PAIR_VARS]
    for e, m in mod_terms:
        for r in range(m):
            add(App("=", (App("mod", (e, Lit(m, INT)), INT), Lit(r, INT)), BOOL))
    for k in ints:
        x = inv.var(k)
        add(App(">=", (x, Lit(0, INT)), BOOL))
        add(App("<=", (x, Lit(0, INT)), BOOL))
        for m in sorted(moduli | {2}):
            for r in range(m):
                add(App("=", (App("mod", (x, Lit(m, INT)), INT), Lit(r, INT)), BOOL))
    for group, ops in ((ints, ("<=", ">=", "=")), (bvs, ("bvule", "bvuge", "bvsle", "bvsge", "="))):
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if inv.fun.params[a][1] == inv.fun.params[b][1]:
                    for op in ops:
                        add(App(op, (inv.var(a), inv.var(b)), BOOL))
    base = list(pool.values())[:60]
    for k in bools:
        b = inv.var(k)
        add(b)
        add(App("not", (b,), BOOL))
        for a in base:
            add(App("=>", (b, a), BOOL))
            add(App("=>", (App("not", (b,), BOOL), a), BOOL))
    return list(pool.values())


def _z3_python(val: Any) -> int | bool:
    import z3

    return z3.is_true(val) if z3.is_bool(val) else val.as_long()


#: Sampling reachable states for the equality learner: runs, steps per run, share of the time left.
_SAMPLE_RUNS = 4
_SAMPLE_STEPS = 10
_SAMPLE_SHARE = 0.2


def _sample_states(inv: _Inv, env: dict[str, Any], pre: Any, trans: Any, deadline: float, counters: _Counters,
                   allowed: set[int]) -> list[dict[int, int]]:
    """Integer values of reachable states: initial states from ``pre`` pushed towards random values (Z3's
    first models are degenerate, all zeros, and would suggest equalities that hold only there), then a few
    ``trans`` steps from each."""
    import random

    import z3

    ints = [k for k in range(inv.n) if inv.fun.params[k][1] == INT and k in allowed]
    if not ints:
        return []
    ctx = pre.ctx
    rng = random.Random(len(ints) * 7919 + inv.n)
    out: list[dict[int, int]] = []

    def check(s: Any) -> Any:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            return None
        s.set("timeout", left_ms)
        counters.solver_calls += 1
        return s.check()

    def model_state(m: Any, prefix: str) -> dict[int, int]:
        return {k: m.eval(env[prefix + str(k)], model_completion=True).as_long() for k in ints}

    start = z3.Solver(ctx=ctx)
    start.add(pre)
    for _ in range(_SAMPLE_RUNS):
        for k in rng.sample(ints, len(ints)):  # greedy random values, kept where pre allows them
            start.push()
            start.add(env[_cur(k)] == rng.randint(-8, 24))
            if check(start) != z3.sat:
                start.pop()
        if check(start) != z3.sat:
            break
        state = model_state(start.model(), "c")
        while len(start.assertions()) > 1:  # back to pre alone for the next run
            start.pop()
        for _ in range(_SAMPLE_STEPS):
            out.append(state)
            step = z3.Solver(ctx=ctx)
            step.add(trans, *[env[_cur(k)] == v for k, v in state.items()])
            if check(step) != z3.sat:
                break
            state = model_state(step.model(), "n")
    return out


def linear_equalities(inv: _Inv, states: list[dict[int, int]]) -> list[Term]:
    """Equalities ``Σ c·x = d`` that hold on every sampled state: a basis of the null space of the states
    (with a constant column), computed exactly over the rationals."""
    from fractions import Fraction
    from math import gcd, lcm

    from recursa.synth.linear import reduce_rows

    if len(states) < 2:
        return []
    ks = sorted(states[0])
    rows = [[Fraction(st[k]) for k in ks] + [Fraction(1)] for st in states]
    cols = len(ks) + 1
    pivots = reduce_rows(rows, cols)
    out: list[Term] = []
    for free in (c for c in range(cols) if c not in pivots):
        vec = [Fraction(0)] * cols
        vec[free] = Fraction(1)
        for i, pc in enumerate(pivots):
            vec[pc] = -rows[i][free]
        scale = lcm(*(v.denominator for v in vec))
        ints = [int(v * scale) for v in vec]
        g = 0
        for v in ints:
            g = gcd(g, v)
        ints = [v // g for v in ints] if g else ints
        terms = [App("*", (Lit(c, INT), inv.var(k)), INT) if c != 1 else inv.var(k)
                 for c, k in zip(ints[:-1], ks) if c]
        if not terms:
            continue
        lhs = terms[0] if len(terms) == 1 else App("+", tuple(terms), INT)
        out.append(App("=", (lhs, Lit(-ints[-1], INT)), BOOL))
    return out


def houdini(inv: _Inv, deadline: float, counters: _Counters, keep: Sequence[int] | None = None) -> Term | None:
    """The largest inductive conjunction of :func:`atom_pool` that holds initially; the conjunction (greedily
    minimised) if it implies ``post``, else None. Each round asks for one state that breaks the current
    conjunction and drops every atom that state falsifies (so a round always drops at least one). ``keep``
    limits the atoms to those variables (the sliced loop's), so SSA copies do not clutter the pool."""
    import z3

    ctx = z3.Context()
    env = _z3_env(inv, ctx)
    primes = {_cur(k): inv.var(k, True) for k in range(inv.n)}
    atoms, now, nxt = [], [], []
    pre, trans, post = (to_z3(t, env, ctx) for t in (inv.pre, inv.trans, inv.post))
    sample_until = time.monotonic() + _SAMPLE_SHARE * max(0.0, deadline - time.monotonic())
    allowed = set(range(inv.n) if keep is None else keep)
    learned = linear_equalities(inv, _sample_states(inv, env, pre, trans, sample_until, counters, allowed))
    for a in [*learned, *atom_pool(inv)]:
        if any(_index(v)[1] not in allowed for v in free_vars(a)):
            continue
        try:
            now.append(to_z3(a, env, ctx))
            nxt.append(to_z3(substitute(a, primes), env, ctx))
            atoms.append(a)
        except Unsupported:
            continue
    counters.candidates += len(atoms)

    def query(background: list[Any], goal: Any) -> Any:
        """A model of background and goal, False when unsat, None when unknown or out of time."""
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            return None
        s = z3.Solver(ctx=ctx)
        s.set("timeout", left_ms)
        s.add(*background, goal)
        counters.solver_calls += 1
        r = s.check()
        return s.model() if r == z3.sat else False if r == z3.unsat else None

    def conj(xs: list[Any], keep: set[int]) -> Any:
        return z3.And(*[xs[i] for i in sorted(keep)]) if keep else z3.BoolVal(True, ctx)

    def inductive(keep: set[int]) -> set[int] | None:
        """Weaken ``keep`` until initiated, then until inductive (None when a query gave no answer); dropping
        conjuncts for consecution never breaks initiation."""
        for hyp, xs in (([pre], now), ([trans], nxt)):
            while keep:
                m = query(hyp + ([conj(now, keep)] if xs is nxt else []), z3.Not(conj(xs, keep)))
                if m is None:
                    return None
                if m is False:
                    break
                keep = {i for i in keep if not z3.is_false(m.eval(xs[i], model_completion=True))}
        return keep

    keep = inductive(set(range(len(atoms))))
    if keep is None or query([conj(now, keep)], z3.Not(post)) is not False:
        return None
    # Greedy minimisation, latest atoms first (the pool lists post and pre's own conjuncts first): an answer
    # a reader can check, not the whole surviving pool.
    for i in sorted(keep, reverse=True):
        if time.monotonic() >= deadline:
            break
        trial = keep - {i}
        if (query([pre], z3.Not(conj(now, trial))) is False
                and query([conj(now, trial), trans], z3.Not(conj(nxt, trial))) is False
                and query([conj(now, trial)], z3.Not(post)) is False):
            keep = trial
    return _and([atoms[i] for i in sorted(keep)])


def bmc(inv: _Inv, deadline: float, counters: _Counters, max_depth: int = 64) -> list[dict[int, int | bool]] | None:
    """Loop-head states of a run from ``pre`` that fails ``post`` within ``max_depth`` transitions."""
    import z3

    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    envs = [_z3_env(inv, ctx, "@0")]
    s.add(to_z3(inv.pre, envs[0], ctx))
    for depth in range(max_depth + 1):
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            return None
        s.set("timeout", left_ms)
        s.push()
        s.add(z3.Not(to_z3(inv.post, envs[depth], ctx)))
        counters.solver_calls += 1
        r = s.check()
        if r == z3.sat:
            m = s.model()
            return [{k: _z3_python(m.eval(env[_cur(k)], model_completion=True)) for k in range(inv.n)}
                    for env in envs]
        s.pop()
        if r != z3.unsat:
            return None
        envs.append(_z3_env(inv, ctx, f"@{depth + 1}"))
        step = {**{_cur(k): envs[depth][_cur(k)] for k in range(inv.n)},
                **{_nxt(k): envs[depth + 1][_cur(k)] for k in range(inv.n)}}
        s.add(to_z3(inv.trans, step, ctx))
    return None


# ---- the entry point ---------------------------------------------------------------------------------------


def prepare(guide: str = "none") -> None:
    """Import the verifier and load the ranker for ``guide`` now (seconds, once per process), so that a caller
    timing problems can keep that out of the first problem's budget: :func:`solve_invariant` pays it before
    it measures the time left, so an unprepared first call can end that much past its deadline."""
    _ranker("reasoner" if guide == "reasoner" else "none")


def _ranker(guide: str) -> Any:
    import recursa.refine.verify  # noqa: F401  (imports torch; see solve_invariant)
    from recursa.refine.rank import load_ranker

    key = "default" if guide == "reasoner" else "unguided"
    if key not in _RANKERS:
        _RANKERS[key] = load_ranker(key)
    return _RANKERS[key]


def solve_invariant(problem: Problem, options: SynthOptions, deadline: float) -> SynthResult:
    """Find an invariant for ``problem``'s ``inv-constraint`` by ``deadline`` (a ``time.monotonic()`` value).

    The loop verifier gets most of the time; when it gives up (or the problem is over bit-vectors, which the
    loop translation does not take) a Houdini search over the problem's own atoms, and for bit-vectors a
    bounded unrolling, use what is left.

    Args:
        problem: a problem with exactly one ``inv-constraint``.
        options: ``guide`` "reasoner" ranks the verifier's candidates with the shipped reasoner, "none" keeps
            the grammar's order; ``seed`` seeds the random runs.
        deadline: when to give up; the result comes back at most a fraction of a second later.

    Returns:
        ``solved`` with the answer re-checked by a fresh solver, ``infeasible`` with a run (replayed by a fresh
        solver) that fails ``post``, ``unknown`` (time, or nothing found), or ``unsupported`` naming the
        construct.

    >>> # solve_invariant(read_problem("sum.sl"), SynthOptions(), time.monotonic() + 10).solutions[0].text()
    """
    start = time.monotonic()
    guide = "reasoner" if options.guide == "reasoner" else "none"
    res = SynthResult(problem.path, SynthStatus.UNKNOWN, guide=guide)
    counters = _Counters()

    def done(status: SynthStatus, message: str = "") -> SynthResult:
        res.status = status
        res.message = message
        res.candidates += counters.candidates
        res.solver_calls += counters.solver_calls
        res.time_s = time.monotonic() - start
        return res

    try:
        inv = _normalise(problem)
    except Unsupported as exc:
        return done(SynthStatus.UNSUPPORTED, str(exc))
    except KeyError as exc:
        return done(SynthStatus.ERROR, f"inv-constraint names an undeclared function {exc}")
    tr: Translation | None = None
    why = ""
    try:
        tr = translate(inv)
    except Unsupported as exc:
        why = str(exc)
    res.stats = {"variables": inv.n, "kept": len(tr.relevant) if tr else inv.n,
                 "temporaries": len(tr.temps) if tr else 0, "engine": "loop verifier" if tr else "houdini"}
    verdict = ""
    try:
        # Triage: a shallow violation costs a few small queries to find here, while the verifier may spend its
        # whole budget refining before its own BMC starts.
        triage = min(deadline, time.monotonic() + _TRIAGE_SHARE * (deadline - time.monotonic()))
        outcome = _violation(inv, bmc(inv, triage, counters, _TRIAGE_DEPTH), deadline, counters)
        if outcome is not None:
            res.stats["engine"] = "bmc"
            return done(*outcome)
    except Unsupported as exc:
        return done(SynthStatus.UNSUPPORTED, str(exc))
    if tr is not None:
        # The verifier's modules import torch and the reasoner loads its weights (seconds, once per process):
        # pay that before measuring the budget so the verifier is not handed time already spent.
        ranker = _ranker(guide)
        left = (deadline - time.monotonic()) * _VERIFIER_SHARE - _RECHECK_RESERVE_S
        if left > 0.05:
            fr = _verify(tr, problem.path, left, options, ranker)
            outcome = _from_verifier(inv, tr, fr, deadline, res)
            if outcome is not None:
                return done(*outcome)
            verdict = res.message
    try:
        if time.monotonic() < deadline:
            body = houdini(inv, deadline, counters, tr.relevant if tr is not None else None)
            if body is not None:
                res.stats["engine"] = "houdini"
                return done(*_accept(inv, body, deadline, res))
        # deeper violations: the verifier's BMC covers them unless there was no verifier or it failed
        if (tr is None or verdict.startswith("internal error")) and time.monotonic() < deadline:
            outcome = _violation(inv, bmc(inv, deadline, counters, _DEEP_DEPTH), deadline, counters)
            if outcome is not None:
                res.stats["engine"] = "bmc"
                return done(*outcome)
    except Unsupported as exc:
        return done(SynthStatus.UNSUPPORTED, str(exc))
    if time.monotonic() >= deadline:
        return done(SynthStatus.UNKNOWN, f"timeout after {time.monotonic() - start:.1f} s"
                                         + (f"; loop verifier: {verdict}" if verdict else ""))
    if tr is None:
        return done(SynthStatus.UNKNOWN, f"{why}; the search over the problem's own atoms found no invariant")
    return done(SynthStatus.UNKNOWN, verdict or "no invariant found")


#: The loop verifier's share of the time; the rest is for the Houdini fallback and the re-checks.
_VERIFIER_SHARE = 0.8
#: The first, shallow BMC pass: at most this many transitions and this share of the time.
_TRIAGE_DEPTH = 8
_TRIAGE_SHARE = 0.1
#: The last BMC pass (no verifier, or the verifier failed) unrolls until this depth or the deadline.
_DEEP_DEPTH = 1000


def _violation(inv: _Inv, states: list[dict[int, int | bool]] | None, deadline: float, counters: _Counters
               ) -> tuple[SynthStatus, str] | None:
    """``infeasible`` with the run when ``states`` replay on the original problem with a fresh solver."""
    if not states:
        return None
    counters.solver_calls += 1
    rows = replay_counterexample(inv, states, _ms_left(deadline))
    return None if rows is None else (SynthStatus.INFEASIBLE, _infeasible_text(rows))


def _ms_left(deadline: float) -> int:
    return max(50, int((deadline - time.monotonic()) * 1000) + int(_RECHECK_RESERVE_S * 1000))


def _infeasible_text(rows: list[dict[str, int | bool]]) -> str:
    return f"post fails after {len(rows) - 1} transition(s): {_trace_text(rows)}"


def _from_verifier(inv: _Inv, tr: Translation, fr: Any, deadline: float, res: SynthResult
                   ) -> tuple[SynthStatus, str] | None:
    """The verifier's verdict as a final status, or None to go on (``res.message`` says why)."""
    from recursa.refine.verify import Verdict

    if fr.error is not None or len(fr.results) != 1:
        why = fr.error.message if fr.error is not None else f"{len(fr.results)} verdicts"
        res.message = f"internal error translating the loop: {why}"
        return None
    r = fr.results[0]
    refine_stats = r.stats.get("refine", {}) if isinstance(r.stats, dict) else {}
    res.candidates += int(refine_stats.get("candidates_tried", 0))
    res.solver_calls += r.solver_calls + r.check_calls
    if r.verdict is Verdict.PROVED:
        try:
            body = parse_invariant(r.invariant or "true", tr, inv)
        except Unsupported as exc:
            res.message = str(exc)
            return None
        status, message = _accept(inv, body, deadline, res)
        if status is SynthStatus.SOLVED:
            return status, message
        res.message = message
        return None
    if r.verdict is Verdict.VIOLATED and r.trace is not None:
        rows = replay_counterexample(inv, _trace_states(r.trace, tr), _ms_left(deadline))
        res.solver_calls += 1
        if rows is not None:
            return SynthStatus.INFEASIBLE, _infeasible_text(rows)
        res.message = "a violating run was found but did not replay on the original problem"
        return None
    res.message = r.message or "not proved"
    return None


def _accept(inv: _Inv, body: Term, deadline: float, res: SynthResult) -> tuple[SynthStatus, str]:
    """``solved`` (with the answer in ``res``) when a fresh solver re-checks ``body`` on the whole problem."""
    check = recheck(inv, body, _ms_left(deadline))
    res.solver_calls += 3
    if not check.valid:
        return SynthStatus.UNKNOWN, f"an invariant failed the re-check ({check.failed()})"
    names = {_cur(k): Var(p, s) for k, (p, s) in enumerate(inv.fun.params)}
    res.solutions = (Solution(inv.fun.name, inv.fun.params, BOOL, substitute(body, names)),)
    return SynthStatus.SOLVED, ""


def _verify(tr: Translation, path: str, timeout_s: float, options: SynthOptions, ranker: Any) -> Any:
    from recursa.refine.verify import Verifier, VerifyOptions

    verifier = Verifier(VerifyOptions(timeout_s=timeout_s, seed=options.seed), ranker=ranker)
    return verifier.verify_file(f"{path}.inv.c", source=tr.source.encode())
