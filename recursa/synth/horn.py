"""Unrestricted invariants as constrained Horn clauses, solved by Z3's Spacer engine.

When every function of a problem is a predicate without a grammar (``synth-inv``s, or Bool ``synth-fun``s
with no grammar), each constraint, universally quantified over the declared variables, is a Horn clause as
soon as at most one predicate application occurs positively in it. That covers invariant problems the loop
verifier does not take: several loops whose invariants are linked by ordinary constraints (one loop's exit
states are the next loop's entry states), or an invariant with extra facts. Spacer either returns an
interpretation of every predicate, which :func:`solve_horn` reads back as recursa terms, or gives up.

Nothing here is trusted: the caller re-checks the answer with a fresh solver before reporting it, and a
refutation (``unsat``) is not turned into ``infeasible`` (it would need its own independent check).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from recursa.symbolic.terms import BOOL, Lit, Term, free_vars
from recursa.synth.problem import Problem


@dataclass
class HornOutcome:
    """Spacer's answer: ``bodies`` (function name -> body over its parameters), or None with ``reason``."""

    bodies: dict[str, Term] | None
    reason: str = ""
    stats: dict[str, str] = field(default_factory=dict)


def applies(problem: Problem) -> bool:
    """Whether every function is a predicate without a grammar (the only shape given to Spacer)."""
    return bool(problem.functions) and all(f.grammar is None and f.sort == BOOL for f in problem.functions)


def solve_horn(problem: Problem, deadline: float) -> HornOutcome:
    """Interpretations of the problem's predicates meeting every constraint, found by Spacer by ``deadline``."""
    import z3

    from recursa.symbolic.smtlib import SmtlibError, macro, read_term, to_z3, z3_sort

    ms = int((deadline - time.monotonic()) * 1000)
    if ms < 50:
        return HornOutcome(None, "no time left")
    ctx = z3.Context()
    funcs: dict = {}
    for name, d in problem.definitions.items():
        funcs[name] = macro(d.params, d.body, funcs, ctx)
    preds = {}
    for fn in problem.functions:
        pred = z3.Function(fn.name, *[z3_sort(s, ctx) for _, s in fn.params], z3.BoolSort(ctx))
        preds[fn.name] = pred
        funcs[fn.name] = lambda args, pred=pred: pred(*args)
    env = {name: z3.Const(name, z3_sort(sort, ctx)) for name, sort in problem.declared}
    solver = z3.SolverFor("HORN", ctx=ctx)
    solver.set("timeout", ms)
    try:
        for c in problem.constraints:
            e = to_z3(c, env, funcs, ctx)
            bound = [env[n] for n in sorted(free_vars(c)) if n in env]
            solver.add(z3.ForAll(bound, e) if bound else e)
        verdict = solver.check()
    except (z3.Z3Exception, KeyError) as exc:  # not Horn, or an operator the encoding lacks
        return HornOutcome(None, f"not a Horn problem for Spacer ({exc})")
    if verdict != z3.sat:
        return HornOutcome(None, f"Spacer: {verdict}")
    model = solver.model()
    bodies: dict[str, Term] = {}
    for fn in problem.functions:
        interp = model[preds[fn.name]]
        if interp is None:  # the clauses never force the predicate: false is as good as anything
            bodies[fn.name] = Lit(False, BOOL)
            continue
        if interp.num_entries():
            return HornOutcome(None, f"Spacer's interpretation of {fn.name} is a table, not a formula")
        consts = [z3.Const(p, z3_sort(s, ctx)) for p, s in fn.params]
        text = z3.substitute_vars(interp.else_value(), *consts).sexpr()
        try:
            bodies[fn.name] = read_term(text, dict(fn.params), path=f"<Spacer answer for {fn.name}>")
        except SmtlibError as exc:
            return HornOutcome(None, f"Spacer's answer for {fn.name} could not be read back ({exc})")
    return HornOutcome(bodies)
