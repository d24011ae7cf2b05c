"""Verify-and-refine: ranked candidates, Z3 checks, counterexamples as examples (ICE), Houdini weakening.

For every loop head the grammar generates candidate clauses that hold on the states seen so far; the
ranker orders them and a *pool* of the best ones is admitted (it grows by stages). The conjecture at each
head is the conjunction of the pool candidates consistent with all examples:

- positive examples (reachable states) remove the candidates they falsify;
- implication examples (s at G, t at H with s → t one segment) remove candidates false at t whenever s
  satisfies G's conjecture (Houdini's weakening, replayed on data without a solver call);
- negative examples (states from which an assertion fails) do not remove anything, they steer which
  candidates enter the pool next (those that exclude them).

Z3 answers each check with a counterexample, which becomes an example; once every consecution holds the
conjecture is inductive, and each assertion whose safety conditions hold is proved. Unsat cores then keep
only the candidates the proof needs. One solver serves the whole problem (push/pop, per-query timeouts).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import z3

from recursa.refine.candidates import Atom, Candidate, TermBuilder, atom_truth, state_rows
from recursa.refine.grammar import Grammar, HeadData, generate
from recursa.refine.rank import LoopContext, Ranker, rank
from recursa.symbolic import z3fast
from recursa.symbolic.transition import ENTRY, Clause, TransitionSystem, clauses

State = dict[str, Any]


@dataclass
class Budget:
    """Limits of one refinement run (the same for every ranker in a comparison)."""

    max_solver_calls: int = 400
    initial_pool: int = 16
    pool_growth: float = 2.0
    max_pool: int = 4096
    query_timeout_ms: int = 2000
    minimise: bool = True


@dataclass
class RefineStats:
    candidates_generated: int = 0
    candidates_tried: int = 0
    solver_calls: int = 0
    rounds: int = 0
    stages: int = 0
    positives: int = 0
    implications: int = 0
    negatives: int = 0
    time_s: float = 0.0
    stopped: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RefineResult:
    proved: set[int]
    invariants: dict[int, list[Candidate]]
    stats: RefineStats
    unproved_reason: str = ""


@dataclass
class _Head:
    index: int
    variables: list[str]
    candidates: list[Candidate]
    ranking: list[int]
    truth_of: Any  # callable: states -> [n, n_cands] bool
    pos_ok: np.ndarray
    pool: np.ndarray
    admitted: int = 0
    pre_terms: dict[int, z3.BoolRef] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.candidates)


class Refiner:
    """One verify-and-refine run over a :class:`TransitionSystem` (all its loop heads at once)."""

    def __init__(self, ts: TransitionSystem, grammar: Grammar, ranker: Ranker, positives: dict[int, list[State]],
                 contexts: dict[int, LoopContext], budget: Budget | None = None, deadline: float | None = None,
                 solver: z3.Solver | None = None) -> None:
        self.ts = ts
        self.enc = ts.encoder
        self.grammar = grammar
        self.ranker = ranker
        self.budget = budget or Budget()
        self.deadline = deadline
        self.stats = RefineStats()
        self.solver = solver or z3.Solver(ctx=self.enc.ctx)
        self.clauses = clauses(ts)
        self.ind = [c for c in self.clauses if c.dst_kind == "head"]
        self.safety = [c for c in self.clauses if c.dst_kind == "error"]
        self.post_terms: dict[tuple[int, int], z3.BoolRef] = {}
        self.substitutions: dict[int, z3fast.Substitution] = {}
        self.pre_builder = TermBuilder(ts.pre, ts.encoder)
        self.implications: list[tuple[int, np.ndarray | None, int, np.ndarray]] = []
        self.negatives: list[tuple[int, np.ndarray]] = []
        self.validated: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
        self.safe: dict[int, frozenset[int]] = {}
        self.heads: dict[int, _Head] = {}
        for h in ts.heads:
            self.heads[h] = self._make_head(h, positives.get(h, []), contexts.get(h))

    # ---- set-up -------------------------------------------------------------------------------------
    def _make_head(self, h: int, positives: list[State], context: LoopContext | None) -> _Head:
        ts = self.ts
        live = ts.live.get(h, [])
        sorts = ts.function.variables
        int_vars = [v for v in live if sorts[v].value == "int"]
        bool_vars = [v for v in live if sorts[v].value == "bool"]
        data = state_rows(positives, live)
        order = {v: i for i, v in enumerate(live)}
        from recursa.refine.candidates import condition_atoms

        guards = []
        for cond in _conditions(ts):
            guards.extend(condition_atoms(cond, order, self.enc.machine))
        constants = sorted(set(ts.function.constants) | {0, 1} | {a.const for g in guards for a in [g]})
        head_data = HeadData(live, int_vars, bool_vars, data, constants, list(dict.fromkeys(guards)),
                             self.enc.machine)
        cands = generate(self.grammar, head_data) if live else []
        self.stats.candidates_generated += len(cands)
        if context is not None:
            context.variables = live
            context.constants = constants
        ranking = rank(self.ranker, context, cands) if (cands and context is not None) else list(range(len(cands)))
        truth_of = TruthTable(cands, live, self.enc.machine)

        n = len(cands)
        pos_ok = np.ones(n, bool)
        if data.shape[0]:
            pos_ok &= truth_of(data).all(axis=0)
        self.stats.positives += data.shape[0]
        return _Head(h, live, cands, ranking, truth_of, pos_ok, np.zeros(n, bool))

    # ---- the conjecture from examples ---------------------------------------------------------------
    def conjecture(self) -> dict[int, np.ndarray]:
        conj = {h: hd.pool & hd.pos_ok for h, hd in self.heads.items()}
        changed = True
        while changed:
            changed = False
            for src, s_truth, dst, t_truth in self.implications:
                if src != ENTRY and s_truth is not None and (conj[src] & ~s_truth).any():
                    continue  # s is outside src's conjecture: the implication does not apply
                new = conj[dst] & t_truth
                if (new != conj[dst]).any():
                    conj[dst] = new
                    changed = True
        return conj

    # ---- solver -------------------------------------------------------------------------------------
    def _out_of_budget(self) -> str:
        if self.stats.solver_calls >= self.budget.max_solver_calls:
            return "solver-call budget"
        if self.deadline is not None and time.perf_counter() > self.deadline:
            return "timeout"
        return ""

    def _check(self, *formulas: z3.BoolRef, assumptions: Sequence[z3.BoolRef] = ()) -> z3.CheckSatResult:
        """push, assert ``formulas``, check; the caller pops."""
        self.stats.solver_calls += 1
        self.solver.push()
        z3fast.assert_all(self.solver, formulas)
        return z3fast.check(self.solver, assumptions)

    def _pre(self, hd: _Head, i: int) -> z3.BoolRef:
        t = hd.pre_terms.get(i)
        if t is None:
            t = hd.pre_terms[i] = self.pre_builder.candidate(hd.candidates[i])
        return t

    def _not_post(self, ci: int, clause: Clause, i: int) -> z3.BoolRef:
        key = (ci, i)
        t = self.post_terms.get(key)
        if t is None:
            sub = self.substitutions.get(ci)
            if sub is None:
                pairs = [(self.ts.pre[v], clause.post[v]) for v in self.ts.pre
                         if not clause.post[v].eq(self.ts.pre[v])]
                sub = self.substitutions[ci] = z3fast.Substitution(pairs, self.enc.ctx)
            term = sub(self._pre(self.heads[clause.dst], i))
            t = self.post_terms[key] = z3fast.mk_not(term, self.enc.ctx)
        return t

    def _premise(self, src: int, conj: dict[int, np.ndarray]) -> list[z3.BoolRef]:
        if src == ENTRY:
            return []
        hd = self.heads[src]
        return [self._pre(hd, int(i)) for i in np.flatnonzero(conj[src])]

    def _state(self, model: z3.ModelRef, variables: list[str], terms: dict[str, z3.ExprRef]) -> np.ndarray:
        row = [int(self.enc.value_of(terms[v], model)) for v in variables]
        return state_rows([dict(zip(variables, row))], variables)

    # ---- one inductiveness pass ---------------------------------------------------------------------
    def _inductive_pass(self, conj: dict[int, np.ndarray]) -> bool | None:
        """Check every consecution/initiation clause that may have changed. True if a counterexample was
        found (the conjecture must be recomputed), False if all hold, None if out of budget / unknown."""
        found = False
        for ci, c in enumerate(self.ind):
            hd_dst = self.heads[c.dst]
            src_set = frozenset(np.flatnonzero(conj[c.src]).tolist()) if c.src != ENTRY else frozenset()
            dst_set = frozenset(np.flatnonzero(conj[c.dst]).tolist())
            old = self.validated.get(ci)
            if old is not None and src_set >= old[0]:
                todo = dst_set - old[1]
            else:
                todo = dst_set
            if not todo:
                self.validated[ci] = (src_set, dst_set)
                continue
            if self._out_of_budget():
                return None
            premise = self._premise(c.src, conj)
            goal = z3fast.mk_or([self._not_post(ci, c, i) for i in sorted(todo)], self.enc.ctx)
            result = self._check(*premise, c.reach, goal)
            try:
                if result == z3.sat:
                    model = self.solver.model()
                    t_rows = self._state(model, hd_dst.variables, c.post)
                    if t_rows.shape[0] == 0:
                        self.stats.stopped = "counterexample values out of range"
                        return None
                    t_truth = hd_dst.truth_of(t_rows)[0]
                    if c.src == ENTRY:
                        hd_dst.pos_ok &= t_truth
                        self.stats.positives += 1
                    else:
                        hd_src = self.heads[c.src]
                        s_rows = self._state(model, hd_src.variables, self.ts.pre)
                        s_truth = hd_src.truth_of(s_rows)[0] if s_rows.shape[0] else None
                        if s_truth is None:
                            self.stats.stopped = "counterexample values out of range"
                            return None
                        self.implications.append((c.src, s_truth, c.dst, t_truth))
                        self.stats.implications += 1
                    # keep the conjecture current for the remaining clauses of this pass
                    conj.update(self.conjecture())
                    found = True
                elif result == z3.unsat:
                    self.validated[ci] = (src_set, dst_set)
                else:
                    self.stats.stopped = f"solver {self.solver.reason_unknown()}"
                    return None
            finally:
                self.solver.pop()
        return found

    # ---- pools --------------------------------------------------------------------------------------
    def _grow(self, target: int) -> bool:
        """Admit candidates up to ``target`` per head; those excluding negative examples go first."""
        grew = False
        excluders: dict[int, np.ndarray] = {}
        for h, truth in self.negatives[-8:]:
            excluders[h] = excluders.get(h, np.zeros(self.heads[h].size, bool)) | ~truth
        for h, hd in self.heads.items():
            want = min(target, self.budget.max_pool) - int(hd.pool.sum())
            if want <= 0:
                continue
            order = [i for i in hd.ranking if not hd.pool[i] and hd.pos_ok[i]]
            if h in excluders:
                ex = excluders[h]
                order = [i for i in order if ex[i]] + [i for i in order if not ex[i]]
            for i in order[:want]:
                hd.pool[i] = True
                grew = True
        self.stats.candidates_tried = sum(int(hd.pool.sum()) for hd in self.heads.values())
        return grew

    # ---- main loop ----------------------------------------------------------------------------------
    def run(self, assertions: set[int]) -> RefineResult:
        start = time.perf_counter()
        timeout = self.budget.query_timeout_ms
        if self.deadline is not None:
            timeout = max(1, min(timeout, int((self.deadline - start) * 1000)))
        self.solver.set("timeout", timeout)
        pending = set(assertions)
        proved: set[int] = set()
        refuted: set[int] = set()
        size = self.budget.initial_pool
        self._grow(size)
        self.stats.stages = 1
        conj = self.conjecture()
        reason = ""
        while pending:
            self.stats.rounds += 1
            conj = self.conjecture()
            status = self._inductive_pass(conj)
            if status is None:
                reason = self.stats.stopped or self._out_of_budget()
                break
            if status:
                continue
            # the conjecture is inductive: check the assertions it should imply
            for k in sorted(pending):
                ok = True
                for c in (c for c in self.safety if c.dst == k):
                    src_set = frozenset(np.flatnonzero(conj[c.src]).tolist()) if c.src != ENTRY else frozenset()
                    key = id(c)
                    if key in self.safe and src_set >= self.safe[key]:
                        continue
                    if self._out_of_budget():
                        ok = False
                        reason = self._out_of_budget()
                        break
                    result = self._check(*self._premise(c.src, conj), c.reach)
                    try:
                        if result == z3.unsat:
                            self.safe[key] = src_set
                            continue
                        ok = False
                        if result == z3.sat and c.src == ENTRY:
                            refuted.add(k)  # a loop-free path fails it: no invariant can help
                        elif result == z3.sat:
                            hd = self.heads[c.src]
                            rows = self._state(self.solver.model(), hd.variables, self.ts.pre)
                            if rows.shape[0]:
                                self.negatives.append((c.src, hd.truth_of(rows)[0]))
                                self.stats.negatives += 1
                        elif result != z3.sat:
                            reason = f"solver {self.solver.reason_unknown()}"
                    finally:
                        self.solver.pop()
                    break
                if ok:
                    proved.add(k)
            pending -= proved | refuted
            if not pending or reason:
                break
            size = int(size * self.budget.pool_growth)
            if not self._grow(size):
                reason = "candidates exhausted"
                break
            self.stats.stages += 1
        invariants: dict[int, list[Candidate]] = {}
        if proved:
            keep = self._minimise(conj, proved) if self.budget.minimise else None
            for h, hd in self.heads.items():
                members = np.flatnonzero(conj[h]).tolist()
                chosen = keep[h] if keep is not None else [
                    i for i in members if i not in implied_members(hd.candidates, members)]
                invariants[h] = [hd.candidates[i] for i in sorted(chosen)]
        self.stats.time_s = time.perf_counter() - start
        self.stats.stopped = reason or ("proved" if not pending else self.stats.stopped)
        return RefineResult(proved, invariants, self.stats, reason)

    # ---- keep what the proof needs ------------------------------------------------------------------
    def _minimise(self, conj: dict[int, np.ndarray], proved: set[int]) -> dict[int, list[int]] | None:
        """Unsat cores over the conjecture's candidates: a smaller invariant that still proves ``proved``."""
        ctx = self.enc.ctx
        needed: dict[int, set[int]] = {h: set() for h in self.heads}
        redundant = {h: implied_members(self.heads[h].candidates, np.flatnonzero(conj[h]).tolist())
                     for h in self.heads}

        def core(src: int, *goal: z3.BoolRef) -> set[int] | None:
            hd = self.heads[src]
            members = [i for i in np.flatnonzero(conj[src]).tolist() if i not in redundant[src]]
            terms = [self._pre(hd, i) for i in members]
            if self._out_of_budget():
                return None
            result = self._check(*goal, assumptions=terms)
            try:
                if result != z3.unsat:
                    return None
                ids = z3fast.core_ids(self.solver)
                return {i for i, t in zip(members, terms) if t.get_id() in ids}
            finally:
                self.solver.pop()

        for c in self.safety:
            if c.dst in proved and c.src != ENTRY:
                got = core(c.src, c.reach)
                if got is None:
                    return None
                needed[c.src] |= got
        changed = True
        done: dict[int, frozenset[int]] = {}
        while changed:
            changed = False
            for ci, c in enumerate(self.ind):
                if c.src == ENTRY or not needed[c.dst]:
                    continue
                want = frozenset(needed[c.dst])
                if done.get(ci) == want:
                    continue
                done[ci] = want
                goal = z3fast.mk_or([self._not_post(ci, c, i) for i in sorted(want)], ctx)
                got = core(c.src, c.reach, goal)
                if got is None:
                    return None
                if not got <= needed[c.src]:
                    needed[c.src] |= got
                    changed = True
        return {h: sorted(v) for h, v in needed.items()}


def _conditions(ts: TransitionSystem) -> list[Any]:
    from recursa.symbolic.ir import Assert, Assume, If, Loop

    out = []
    for s in ts.function.statements():
        if isinstance(s, If | Loop | Assume | Assert):
            out.append(s.cond)
    return out


def refine(ts: TransitionSystem, grammar: Grammar, ranker: Ranker, positives: dict[int, list[State]],
           contexts: dict[int, LoopContext], assertions: set[int], budget: Budget | None = None,
           deadline: float | None = None, solver: z3.Solver | None = None) -> RefineResult:
    """Infer invariants for every loop head of ``ts`` that prove as many of ``assertions`` as possible."""
    return Refiner(ts, grammar, ranker, positives, contexts, budget, deadline, solver).run(assertions)


class TruthTable:
    """Evaluates a fixed candidate list on example states: ``table(rows) -> [n_rows, n_candidates]`` bools."""

    def __init__(self, cands: Sequence[Candidate], variables: list[str], machine: bool) -> None:
        atoms = list(dict.fromkeys(a for c in cands for a in c.atoms))
        index = {a: i for i, a in enumerate(atoms)}
        self.atoms = atoms
        self.variables = variables
        self.machine = machine
        self.first = np.array([index[c.atoms[0]] for c in cands], np.int64)
        self.two = np.array([i for i, c in enumerate(cands) if len(c.atoms) > 1], np.int64)
        self.second = np.array([index[cands[i].atoms[1]] for i in self.two], np.int64)
        self.n = len(cands)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        table = atom_truth(self.atoms, self.variables, rows, self.machine)
        out = table[:, self.first] if self.n else np.zeros((rows.shape[0], 0), bool)
        if self.two.size:
            out[:, self.two] |= table[:, self.second]
        return out


def atom_implies(a: Atom, b: Atom) -> bool:
    """``a ⟹ b`` for atoms over the same linear form (a syntactic check, no solver)."""
    if a.coeffs != b.coeffs or a.boolean != b.boolean:
        return False
    if a.boolean:
        return a.const == b.const
    if a.op == "eq":
        return (b.op == "eq" and b.const == a.const) or (b.op == "le" and a.const <= b.const) or (
            b.op == "ge" and a.const >= b.const)
    if a.op == b.op == "le":
        return a.const <= b.const
    if a.op == b.op == "ge":
        return a.const >= b.const
    return False


def clause_implies(a: Candidate, b: Candidate) -> bool:
    return all(any(atom_implies(x, y) for y in b.atoms) for x in a.atoms)


def implied_members(cands: Sequence[Candidate], members: list[int]) -> set[int]:
    """Members implied by another kept member (dropping them leaves the conjunction equivalent)."""
    by_forms: dict[frozenset[tuple[tuple[str, int], ...]], list[int]] = {}
    for j in members:
        by_forms.setdefault(frozenset(a.coeffs for a in cands[j].atoms), []).append(j)
    dropped: set[int] = set()
    for i in members:
        forms = [a.coeffs for a in cands[i].atoms]
        keys = {frozenset(forms[:1]), frozenset(forms[1:]), frozenset(forms)} - {frozenset()}
        for key in keys:
            if any(j != i and j not in dropped and clause_implies(cands[j], cands[i]) for j in by_forms.get(key, ())):
                dropped.add(i)
                break
    return dropped
