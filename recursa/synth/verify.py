"""Checking candidates against the whole specification with Z3.

The check asks Z3 for values of the declared variables that falsify the conjunction of the constraints with
every synth-fun replaced by its candidate body (a macro, via :func:`recursa.symbolic.smtlib.to_z3`). ``unsat``
means the candidate is correct; a model is a counterexample point; ``unknown`` (a timeout, or nonlinear
arithmetic) is never taken as success.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recursa.symbolic.terms import Term
from recursa.synth.enumerate import Budget
from recursa.synth.problem import Problem


class Verdict(enum.Enum):
    VALID = "valid"
    COUNTEREXAMPLE = "counterexample"
    UNKNOWN = "unknown"


@dataclass
class Check:
    verdict: Verdict
    point: dict[str, Any] = field(default_factory=dict)  # declared variable -> Python value (counterexample)
    reason: str = ""


def check(problem: Problem, bodies: Mapping[str, Term], budget: Budget, constraints: tuple[Term, ...] | None = None,
          min_timeout_s: float = 0.05, diverse: bool = False, fresh_context: bool = False) -> Check:
    """Check ``bodies`` (synth-fun name -> candidate body over its parameters) with a *fresh* Z3 solver.

    ``constraints`` defaults to all of the problem's; ``diverse`` first asks for a counterexample with
    pairwise distinct values; ``fresh_context`` builds everything in a new Z3 context (the final re-check
    shares nothing with the search). Z3 gets the time left to the deadline (at least
    ``min_timeout_s``, so the final re-check of an answer found just before the deadline can still run)."""
    import z3

    from recursa.symbolic.smtlib import macro, to_z3, z3_sort

    budget.solver_calls += 1
    cons = problem.constraints if constraints is None else constraints
    ctx = z3.Context() if fresh_context else budget.z3_context()
    env = {name: z3.Const(name, z3_sort(sort, ctx)) for name, sort in problem.declared}
    funcs: dict[str, Any] = {}
    for name, d in problem.definitions.items():
        funcs[name] = macro(d.params, d.body, funcs, ctx)
    for name, body in bodies.items():
        fn = problem.function(name)
        funcs[name] = macro(fn.params, body, funcs, ctx)
    solver = z3.Solver(ctx=ctx)
    ms = max(int(min_timeout_s * 1000), int(budget.left() * 1000))
    solver.set("timeout", ms)
    solver.add(z3.Not(z3.And([to_z3(c, env, funcs, ctx) for c in cons] or [z3.BoolVal(True, ctx)], ctx)))
    res = z3.unknown
    ints = [env[name] for name, sort in problem.declared if sort.name != "Bool"]
    if diverse and len(ints) > 1:
        # Prefer a counterexample whose values are pairwise distinct: solver models are small and full of ties,
        # on which wrong terms are right by coincidence. Fall back to any counterexample.
        budget.solver_calls += 1
        solver.push()
        for i in range(len(ints)):
            for j in range(i):
                if ints[i].sort() == ints[j].sort():
                    solver.add(ints[i] != ints[j])
        res = solver.check()
        if res != z3.sat:
            solver.pop()
            res = z3.unknown
    if res != z3.sat:
        res = solver.check()
    if res == z3.unsat:
        return Check(Verdict.VALID)
    if res == z3.sat:
        model = solver.model()
        point: dict[str, Any] = {}
        for name, sort in problem.declared:
            v = model.eval(env[name], model_completion=True)
            if sort.name == "Bool":
                point[name] = z3.is_true(v)
            else:
                point[name] = v.as_long()
        return Check(Verdict.COUNTEREXAMPLE, point)
    return Check(Verdict.UNKNOWN, reason=solver.reason_unknown())


def output_at(problem: Problem, fn_name: str, instances: list[tuple[Term, Mapping[str, Any]]], budget: Budget,
              unique: bool = True) -> tuple[bool | None, Any]:
    """``(exists, value)``: whether some single output value of ``fn_name`` satisfies every instance (all call
    the function on the same arguments), and, with ``unique``, that output when it is the only one (a second
    solver call shows that no other value works), else None.

    ``exists`` False proves the problem infeasible whatever the grammar: no function at all has a right value
    on that input; None when Z3 cannot tell in the time left. A unique output is what every answer must return
    there, so it serves as the example's demanded output (for a linear fit, completion and the value scorer)."""
    import z3

    from recursa.symbolic.smtlib import macro, to_z3, z3_sort

    budget.solver_calls += 1
    ctx = budget.z3_context()
    fn = problem.function(fn_name)
    out = z3.Const("\x00out", z3_sort(fn.sort, ctx))
    funcs: dict[str, Any] = {}
    for name, d in problem.definitions.items():
        funcs[name] = macro(d.params, d.body, funcs, ctx)
    funcs[fn_name] = lambda _args: out
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", max(10, min(1000, int(budget.left() * 1000))))
    for term, env in instances:
        zenv = {name: _z3_value(z3, value, sort, ctx) for (name, sort) in problem.declared
                for value in [env.get(name)] if value is not None}
        solver.add(to_z3(term, zenv, funcs, ctx))
    res = solver.check()
    if res == z3.unsat:
        return False, None
    if res != z3.sat:
        return None, None
    if not unique or fn.sort.name not in ("Int", "BitVec"):
        return True, None
    value = solver.model().eval(out, model_completion=True)
    if budget.left() < 0.02:
        return True, None  # no time to ask whether it is the only one
    budget.solver_calls += 1
    solver.set("timeout", max(10, min(1000, int(budget.left() * 1000))))
    solver.add(out != value)
    if solver.check() != z3.unsat:
        return True, None
    return True, value.as_long()


def _z3_value(z3: Any, value: Any, sort: Any, ctx: Any) -> Any:
    if sort.name == "Bool":
        return z3.BoolVal(bool(value), ctx)
    if sort.name == "Int":
        return z3.IntVal(int(value), ctx)
    return z3.BitVecVal(int(value), sort.width, ctx)
