"""Certificates: an invariant map plus every verification condition re-checked unsat by a fresh solver.

A "proved" verdict is only ever issued from a :class:`Certificate` whose ``valid`` is true: each
initiation, consecution and safety condition is rebuilt from the transition system and checked by a new
Z3 solver (not the one the search used). ``cross_check`` additionally sends each condition, as SMT-LIB2,
to cvc5 (optional dependency) and requires it to agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from recursa.symbolic.transition import Invariants, TransitionSystem, clauses, vc_formula


class CrossCheckUnavailable(RuntimeError):
    """cvc5 is not installed (``pip install cvc5``)."""


@dataclass(frozen=True)
class VCResult:
    name: str
    status: str  # "unsat" (holds), "sat" (fails), "unknown"
    solver: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "solver": self.solver}


@dataclass(frozen=True)
class Certificate:
    """The invariant per loop head (as text) and the verdict of every verification condition."""

    invariants: dict[int, str]
    vcs: tuple[VCResult, ...]
    assertions: frozenset[int]

    @property
    def valid(self) -> bool:
        return bool(self.vcs) and all(v.status == "unsat" for v in self.vcs)

    def to_json(self) -> dict[str, Any]:
        return {"invariants": {str(k): v for k, v in self.invariants.items()}, "valid": self.valid,
                "vcs": [v.to_json() for v in self.vcs]}


def certify(ts: TransitionSystem, invariants: Invariants, texts: dict[int, str], assertions: set[int],
            timeout_ms: int = 10_000, cross_check: bool = False) -> Certificate:
    """Re-check every VC needed for ``assertions`` under ``invariants`` with fresh solvers."""
    ctx = ts.encoder.ctx
    results: list[VCResult] = []
    cvc5_check = _cvc5_checker(timeout_ms) if cross_check else None
    for c in clauses(ts):
        if c.dst_kind == "error" and c.dst not in assertions:
            continue
        formula = vc_formula(ts, c, invariants)
        solver = z3.Solver(ctx=ctx)
        solver.set("timeout", timeout_ms)
        solver.add(formula)
        r = solver.check()
        status = "unsat" if r == z3.unsat else "sat" if r == z3.sat else "unknown"
        results.append(VCResult(c.name, status, "z3"))
        if cvc5_check is not None:
            results.append(VCResult(c.name, cvc5_check(solver.to_smt2()), "cvc5"))
    if not any(c.dst_kind == "error" and c.dst in assertions for c in clauses(ts)):
        # assertions with no path to their failure (e.g. after an infinite loop) hold vacuously
        results.append(VCResult("safety: no path reaches the assertions", "unsat", "z3"))
    return Certificate(dict(texts), tuple(results), frozenset(assertions))


def _cvc5_checker(timeout_ms: int) -> Any:
    try:
        import cvc5
    except ImportError:
        raise CrossCheckUnavailable("--cross-check needs cvc5: pip install cvc5") from None

    def check(smt2: str) -> str:
        tm = cvc5.TermManager()
        solver = cvc5.Solver(tm)
        solver.setOption("tlimit-per", str(timeout_ms))
        solver.setLogic("ALL")
        symbols = cvc5.SymbolManager(tm)
        parser = cvc5.InputParser(solver, symbols)
        parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, smt2, "vc")
        answer = ""
        while True:
            cmd = parser.nextCommand()
            if cmd.isNull():
                break
            out = cmd.invoke(solver, symbols)
            if out.strip():
                answer = out.strip()
        return answer if answer in ("sat", "unsat") else "unknown"

    return check
