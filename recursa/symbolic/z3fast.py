"""Thin wrappers over Z3's C API for the hot paths (n-ary and/or, asserting, checking with assumptions).

z3py's ``And``/``Or``/``Solver.add`` coerce and re-check every argument in Python (about 25 µs each);
building a 200-way disjunction that way costs ~6 ms, the C call ~0.1 ms. Terms stay ordinary z3py objects.
"""

from __future__ import annotations

from collections.abc import Sequence

import z3
from z3 import z3core


def _array(terms: Sequence[z3.ExprRef]) -> object:
    return (z3.Ast * len(terms))(*[t.as_ast() for t in terms])


def mk_or(terms: Sequence[z3.BoolRef], ctx: z3.Context) -> z3.BoolRef:
    if not terms:
        return z3.BoolVal(False, ctx)
    if len(terms) == 1:
        return terms[0]
    return z3.BoolRef(z3core.Z3_mk_or(ctx.ref(), len(terms), _array(terms)), ctx)


def mk_not(term: z3.BoolRef, ctx: z3.Context) -> z3.BoolRef:
    return z3.BoolRef(z3core.Z3_mk_not(ctx.ref(), term.as_ast()), ctx)


def assert_all(solver: z3.Solver, terms: Sequence[z3.BoolRef]) -> None:
    ctx = solver.ctx
    for t in terms:
        z3core.Z3_solver_assert(ctx.ref(), solver.solver, t.as_ast())


def check(solver: z3.Solver, assumptions: Sequence[z3.BoolRef] = ()) -> z3.CheckSatResult:
    ctx = solver.ctx
    if assumptions:
        r = z3core.Z3_solver_check_assumptions(ctx.ref(), solver.solver, len(assumptions), _array(assumptions))
    else:
        r = z3core.Z3_solver_check(ctx.ref(), solver.solver)
    return z3.CheckSatResult(r)


def core_ids(solver: z3.Solver) -> set[int]:
    """AST ids of the unsat core's members (match them with ``term.get_id()``)."""
    ctx = solver.ctx
    vec = z3.AstVector(z3core.Z3_solver_get_unsat_core(ctx.ref(), solver.solver), ctx)
    return {vec[i].get_id() for i in range(len(vec))}


class Substitution:
    """A fixed substitution (pre-state constants → terms) applied through the C API."""

    def __init__(self, pairs: Sequence[tuple[z3.ExprRef, z3.ExprRef]], ctx: z3.Context) -> None:
        self.ctx = ctx
        self.n = len(pairs)
        self.src = _array([a for a, _ in pairs])
        self.dst = _array([b for _, b in pairs])

    def __call__(self, term: z3.ExprRef) -> z3.ExprRef:
        if not self.n:
            return term
        ast = z3core.Z3_substitute(self.ctx.ref(), term.as_ast(), self.n, self.src, self.dst)
        return z3.BoolRef(ast, self.ctx) if z3.is_bool(term) else z3.ExprRef(ast, self.ctx)
