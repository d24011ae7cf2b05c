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

from recursa.deadline import Deadline
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


class Unroller:
    """The incremental unrolling: ``pc_i`` and ``X_i`` per depth, transitions asserted as depth grows."""

    def __init__(self, ts: TransitionSystem, query_timeout_ms: int = 5000) -> None:
        self.ts = ts
        enc = ts.encoder
        self.solver = z3.Solver(ctx=enc.ctx)
        self.solver.set("timeout", query_timeout_ms)
        self.pc = [z3.Int("pc@0", enc.ctx)]
        self.states = [{v: enc.const(f"{v}@0", s) for v, s in ts.function.variables.items()}]
        self.solver.add(self.pc[0] == ENTRY)
        self.steps: list[dict[int, _Step]] = []

    @property
    def depth(self) -> int:
        return len(self.steps) - 1

    def open_step(self) -> dict[int, _Step]:
        """Instantiate the segments leaving depth ``len(steps)`` (their havocs get fresh constants)."""
        d = len(self.steps)
        step = {src: _Step(self.ts, seg, d, self.states[d]) for src, seg in self.ts.segments.items()}
        self.steps.append(step)
        return step

    def error_goal(self, k: int) -> z3.BoolRef | None:
        d = self.depth
        err = []
        for src, st in self.steps[d].items():
            for t in st.segment.targets:
                if t.kind == "error" and t.id == k and not z3.is_false(t.reach):
                    err.append(z3.And(self.pc[d] == src, st.inst(t.reach)))
        return z3.Or(err) if err else None

    def head_goal(self, head: int, formula: z3.BoolRef) -> z3.BoolRef:
        """``formula`` (over the pre-state constants) holds at loop head ``head`` at the current depth."""
        d = self.depth
        pairs = [(self.ts.pre[v], self.states[d][v]) for v in self.ts.pre]
        return z3.And(self.pc[d] == head, z3.substitute(formula, *pairs))

    def check(self, goal: z3.BoolRef, stats: BMCStats) -> z3.CheckSatResult:
        self.solver.push()
        self.solver.add(goal)
        stats.solver_calls += 1
        return self.solver.check()

    def close_step(self) -> bool:
        """Assert the transition from the current depth to the next; False when no loop head follows."""
        ts, d = self.ts, self.depth
        enc = ts.encoder
        step = self.steps[d]
        nxt_pc = z3.Int(f"pc@{d + 1}", enc.ctx)
        nxt = {v: enc.const(f"{v}@{d + 1}", s) for v, s in ts.function.variables.items()}
        options = []
        for src, st in step.items():
            for t in st.segment.targets:
                if t.kind != "head" or z3.is_false(t.reach):
                    continue
                eqs = [nxt[v] == st.inst(term) for v, term in t.state.items()]
                options.append(z3.And(self.pc[d] == src, st.inst(t.reach), nxt_pc == t.id, *eqs))
        if not options:
            return False
        self.solver.add(z3.Or(options))
        self.pc.append(nxt_pc)
        self.states.append(nxt)
        return True

    def run_of(self, model: z3.ModelRef, steps: int) -> tuple[dict[str, int | bool], list[int | bool]]:
        """Initial values and havoc values (in execution order) of the model's run through ``steps`` steps."""
        enc = self.ts.encoder
        initial = {v: enc.value_of(term, model) for v, term in self.states[0].items()}
        nondet: list[int | bool] = []
        for i in range(steps):
            src = model.eval(self.pc[i], model_completion=True).as_long()
            st = self.steps[i][src]
            executed = []
            for h, term in zip(st.segment.havocs, st.havoc_terms):
                if z3.is_true(model.eval(st.inst(h.reach), model_completion=True)):
                    executed.append((h.order, enc.value_of(term, model)))
            executed.sort(key=lambda p: p[0])
            nondet.extend(v for _, v in executed)
        return initial, nondet


def bounded_check(ts: TransitionSystem, assertions: set[int], max_depth: int = 64,
                  deadline: Deadline | float | None = None, query_timeout_ms: int = 5000,
                  stats: BMCStats | None = None) -> dict[int, Violation]:
    """Search runs of at most ``max_depth`` loop-head visits that fail one of ``assertions``.

    ``deadline`` (a :class:`Deadline` or a ``time.perf_counter`` time) also bounds each Z3 check."""
    stats = stats if stats is not None else BMCStats()
    deadline = Deadline.of(deadline)
    found: dict[int, Violation] = {}
    if not assertions:
        return found
    try:
        _bounded_check(ts, set(assertions), max_depth, deadline, query_timeout_ms, stats, found)
    except z3.Z3Exception:
        if not deadline.expired():
            raise
        stats.timed_out = True  # Z3 was interrupted (a signal during a call) past the deadline
    return found


def _bounded_check(ts: TransitionSystem, pending: set[int], max_depth: int, deadline: Deadline,
                   query_timeout_ms: int, stats: BMCStats, found: dict[int, Violation]) -> None:
    un = Unroller(ts, query_timeout_ms)
    last = prev = 0.0
    for depth in range(max_depth + 1):
        # Z3's push and assert are not bounded by its check timeout (constants folded depth after depth can
        # double in size each step): a depth predicted not to finish before the deadline is not started
        growth = min(4.0, max(1.0, last / prev)) if prev > 0 else 1.0
        if deadline.remaining() < last * growth:
            stats.timed_out = True
            break
        began = time.perf_counter()
        un.open_step()
        for k in sorted(pending):
            if deadline.expired():
                stats.timed_out = True
                break
            goal = un.error_goal(k)
            if goal is None:
                continue
            if _tighten(un, deadline, query_timeout_ms, stats):
                break
            result = un.check(goal, stats)
            if result == z3.sat:
                initial, nondet = un.run_of(un.solver.model(), depth + 1)
                violation = confirm(ts, k, initial, nondet, depth, "bmc", stats, deadline)
                if violation is not None:
                    found[k] = violation
            elif result == z3.unknown:
                stats.timed_out = True
            un.solver.pop()
        pending -= set(found)
        stats.depth_reached = depth
        if not pending or stats.timed_out or not un.close_step():
            break
        prev, last = last, time.perf_counter() - began


def _tighten(un: Unroller, deadline: Deadline, query_timeout_ms: int, stats: BMCStats) -> bool:
    """Shrink the per-query timeout to what is left before ``deadline``; True when nothing is left."""
    remaining = deadline.remaining()
    if remaining <= 0:
        stats.timed_out = True
        return True
    if remaining * 1000 < query_timeout_ms:
        un.solver.set("timeout", max(1, int(remaining * 1000)))
    return False


def reach_heads(ts: TransitionSystem, goals: list[tuple[int, z3.BoolRef]], max_depth: int = 4,
                deadline: Deadline | float | None = None, query_timeout_ms: int = 1000,
                stats: BMCStats | None = None) -> list[tuple[dict[str, int | bool], list[int | bool]]]:
    """Runs that reach loop head ``h`` in a state satisfying ``formula`` (over the pre-state), one per goal
    found within ``max_depth`` loop-head visits. Used to sample reachable states the random runs missed."""
    stats = stats if stats is not None else BMCStats()
    deadline = Deadline.of(deadline)
    runs: list[tuple[dict[str, int | bool], list[int | bool]]] = []
    try:
        _reach_heads(ts, goals, max_depth, deadline, query_timeout_ms, stats, runs)
    except z3.Z3Exception:
        if not deadline.expired():
            raise
        stats.timed_out = True
    return runs


def _reach_heads(ts: TransitionSystem, goals: list[tuple[int, z3.BoolRef]], max_depth: int, deadline: Deadline,
                 query_timeout_ms: int, stats: BMCStats,
                 runs: list[tuple[dict[str, int | bool], list[int | bool]]]) -> None:
    pending = list(range(len(goals)))
    un = Unroller(ts, query_timeout_ms)
    for depth in range(max_depth + 1):
        if deadline.expired():
            break
        un.open_step()
        if depth > 0:
            for gi in list(pending):
                head, formula = goals[gi]
                if _tighten(un, deadline, query_timeout_ms, stats):
                    return
                result = un.check(un.head_goal(head, formula), stats)
                if result == z3.sat:
                    runs.append(un.run_of(un.solver.model(), depth))
                    pending.remove(gi)
                un.solver.pop()
        if not pending or not un.close_step():
            break


def confirm(ts: TransitionSystem, k: int, initial: dict[str, int | bool], nondet: list[int | bool], depth: int,
            source: str, stats: BMCStats | None = None, deadline: Deadline | None = None) -> Violation | None:
    """Replay a candidate run; return the violation only if the interpreter fails assertion ``k``
    (a replay cut short by ``deadline`` confirms nothing)."""
    run = replay(ts.function, initial, nondet, machine=ts.encoder.machine, deadline=deadline)
    if run.outcome is Outcome.VIOLATION and run.failed is not None and run.failed.index == k:
        return Violation(k, depth, dict(initial), tuple(nondet), tuple(run.trace), source)
    if stats is not None:
        stats.replay_mismatches += 1
        stats.notes.append(f"model for assertion {k} did not replay ({run.outcome.value})")
    return None
