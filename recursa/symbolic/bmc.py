"""Bounded model checking over cut points, returning concrete traces that the interpreter replays.

Step ``i`` of the unrolling is a pair (cut point ``pc_i``, state ``X_i``); one step runs one segment of
:mod:`recursa.symbolic.transition` (from the entry or a loop head to the next loop head). Assertion ``k``
fails at depth ``i`` when some segment leaving ``pc_i`` reaches its error location. The unrolling is
incremental on one solver (transitions stay asserted, each error query is pushed and popped).

A model becomes a run: the initial values of all variables and the values of the havocs executed, in
execution order. :func:`recursa.symbolic.interp.replay` re-runs the structured program with them; a
violation is reported only when that replay really fails the same assertion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import z3

from recursa.symbolic.interp import Outcome, TraceStep, replay
from recursa.symbolic.transition import ENTRY, Segment, TransitionSystem


@dataclass(frozen=True)
class Violation:
    """A concrete run that fails assertion ``assertion``: replayable inputs and the recorded trace."""

    assertion: int
    depth: int
    initial: dict[str, int | bool]
    nondet: tuple[int | bool, ...]
    trace: tuple[TraceStep, ...]
    source: str  # "bmc" or "random run"

    def to_json(self) -> dict[str, Any]:
        return {"assertion": self.assertion, "depth": self.depth, "source": self.source,
                "initial": {k: v if isinstance(v, bool) else int(v) for k, v in self.initial.items()},
                "nondet": [v if isinstance(v, bool) else int(v) for v in self.nondet],
                "steps": [s.to_json() for s in self.trace]}


@dataclass
class BMCStats:
    solver_calls: int = 0
    depth_reached: int = -1
    timed_out: bool = False
    replay_mismatches: int = 0
    notes: list[str] = field(default_factory=list)


class _Step:
    """One instantiated segment at one depth."""

    def __init__(self, ts: TransitionSystem, seg: Segment, depth: int, state: dict[str, z3.ExprRef]) -> None:
        enc = ts.encoder
        self.segment = seg
        pairs = [(ts.pre[v], state[v]) for v in ts.pre]
        self.havoc_terms = []
        for h in seg.havocs:
            fresh = enc.const(f"{h.havoc.var}@{depth}!{seg.source}!{h.havoc.site}", h.havoc.sort)
            pairs.append((h.term, fresh))
            self.havoc_terms.append(fresh)
        self.pairs = pairs

    def inst(self, term: z3.ExprRef) -> z3.ExprRef:
        return z3.substitute(term, *self.pairs)


def bounded_check(ts: TransitionSystem, assertions: set[int], max_depth: int = 64,
                  deadline: float | None = None, query_timeout_ms: int = 5000,
                  stats: BMCStats | None = None) -> dict[int, Violation]:
    """Search runs of at most ``max_depth`` loop-head visits that fail one of ``assertions``."""
    stats = stats if stats is not None else BMCStats()
    enc = ts.encoder
    ctx = enc.ctx
    found: dict[int, Violation] = {}
    pending = set(assertions)
    if not pending:
        return found
    solver = z3.Solver(ctx=ctx)
    pc = [z3.Int("pc@0", ctx)]
    states = [{v: enc.const(f"{v}@0", s) for v, s in ts.function.variables.items()}]
    solver.add(pc[0] == ENTRY)
    steps: list[dict[int, _Step]] = []
    for depth in range(max_depth + 1):
        if deadline is not None and time.perf_counter() > deadline:
            stats.timed_out = True
            break
        step = {src: _Step(ts, seg, depth, states[depth]) for src, seg in ts.segments.items()}
        steps.append(step)
        for k in sorted(pending):
            err = []
            for src, st in step.items():
                for t in st.segment.targets:
                    if t.kind == "error" and t.id == k and not z3.is_false(t.reach):
                        err.append(z3.And(pc[depth] == src, st.inst(t.reach)))
            if not err:
                continue
            remaining = None if deadline is None else deadline - time.perf_counter()
            if remaining is not None and remaining <= 0:
                stats.timed_out = True
                break
            timeout = query_timeout_ms if remaining is None else max(1, min(query_timeout_ms, int(remaining * 1000)))
            solver.set("timeout", timeout)
            solver.push()
            solver.add(z3.Or(err))
            stats.solver_calls += 1
            result = solver.check()
            if result == z3.sat:
                violation = _extract(ts, solver.model(), k, depth, pc, states, steps, stats)
                if violation is not None:
                    found[k] = violation
            elif result == z3.unknown:
                stats.timed_out = True
            solver.pop()
        pending -= set(found)
        stats.depth_reached = depth
        if not pending or stats.timed_out:
            break
        # transition from depth to depth + 1
        nxt_pc = z3.Int(f"pc@{depth + 1}", ctx)
        nxt = {v: enc.const(f"{v}@{depth + 1}", s) for v, s in ts.function.variables.items()}
        options = []
        for src, st in step.items():
            for t in st.segment.targets:
                if t.kind != "head" or z3.is_false(t.reach):
                    continue
                eqs = [nxt[v] == st.inst(term) for v, term in t.state.items()]
                options.append(z3.And(pc[depth] == src, st.inst(t.reach), nxt_pc == t.id, *eqs))
        if not options:
            break
        solver.add(z3.Or(options))
        pc.append(nxt_pc)
        states.append(nxt)
    return found


def _extract(ts: TransitionSystem, model: z3.ModelRef, k: int, depth: int, pc: list[z3.ExprRef],
             states: list[dict[str, z3.ExprRef]], steps: list[dict[int, _Step]], stats: BMCStats
             ) -> Violation | None:
    enc = ts.encoder
    initial = {v: enc.value_of(term, model) for v, term in states[0].items()}
    nondet: list[int | bool] = []
    for i in range(depth + 1):
        src = model.eval(pc[i], model_completion=True).as_long()
        st = steps[i][src]
        executed = []
        for h, term in zip(st.segment.havocs, st.havoc_terms):
            if z3.is_true(model.eval(st.inst(h.reach), model_completion=True)):
                executed.append((h.order, enc.value_of(term, model)))
        executed.sort(key=lambda p: p[0])
        nondet.extend(v for _, v in executed)
    return confirm(ts, k, initial, nondet, depth, "bmc", stats)


def confirm(ts: TransitionSystem, k: int, initial: dict[str, int | bool], nondet: list[int | bool], depth: int,
            source: str, stats: BMCStats | None = None) -> Violation | None:
    """Replay a candidate run; return the violation only if the interpreter fails assertion ``k``."""
    run = replay(ts.function, initial, nondet, machine=ts.encoder.machine)
    if run.outcome is Outcome.VIOLATION and run.failed is not None and run.failed.index == k:
        return Violation(k, depth, dict(initial), tuple(nondet), tuple(run.trace), source)
    if stats is not None:
        stats.replay_mismatches += 1
        stats.notes.append(f"model for assertion {k} did not replay ({run.outcome.value})")
    return None
