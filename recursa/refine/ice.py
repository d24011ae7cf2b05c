"""Verify-and-refine: ranked candidates, Z3 checks, counterexamples as examples (ICE), Houdini weakening.

For every loop head the grammar generates candidate clauses that hold on the reachable states seen so
far; the ranker orders them and a *pool* of the best ones is admitted (it grows by stages). The
conjecture at each head is the conjunction of the pool candidates consistent with all examples:

- positive examples (reachable states) remove the candidates they falsify, and new ones make the grammar
  generate new candidates (constants are learned from the data);
- implication examples (s at G, t at H, s → t one segment) remove candidates false at t whenever s
  satisfies G's conjecture (Houdini's weakening, replayed on data without a solver call);
- negative examples (states from which an assertion fails) remove nothing: candidates that exclude them
  enter the pool first.

The linear and polynomial equalities of the head's data (:mod:`recursa.refine.algebraic`) are admitted ahead
of the grammar's candidates, outside the pool size and never shown to the ranker; a non-linear query the
solver cannot decide rejects them (``unknown`` is never a proof). With ``Budget.rescore`` a ranker that has
``rescore`` re-orders the candidates not yet admitted with the counterexamples seen so far.

Z3 answers each check with a counterexample, which becomes an example; once every consecution holds the
conjecture is inductive, and each assertion whose safety conditions hold is proved. When the candidates
run out, a sampler is asked for reachable states the data lacks (coverage of the program's conditions)
and generation resumes. Unsat cores finally keep only the candidates the proof needs. One solver serves
the whole problem (push/pop, one per-query timeout).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import z3

from recursa.deadline import Deadline
from recursa.refine.algebraic import is_polynomial
from recursa.refine.candidates import (
    MONOMIAL_SEP,
    Atom,
    Candidate,
    TermBuilder,
    atom_truth,
    candidate_truth,
    condition_atoms,
    normalise,
    state_rows,
)
from recursa.refine.context import LoopContext
from recursa.refine.grammar import Grammar, HeadData, generate
from recursa.refine.rank import Ranker, rank
from recursa.symbolic import z3fast
from recursa.symbolic.transition import ENTRY, Clause, TransitionSystem, clauses

State = dict[str, Any]
#: Counterexample states shown to a re-scoring ranker (the latest ones; its input grows with each).
RESCORE_EXAMPLES = 8
#: Asked for more reachable states when candidates run out: (heads -> guard atoms the data never
#: satisfied) -> new states per head.
Sampler = Callable[[dict[int, list[Atom]]], dict[int, list[State]]]


@dataclass
class Budget:
    """Limits of one refinement run (the same for every ranker in a comparison)."""

    max_solver_calls: int = 400
    calls_per_clause: int = 10  # the call budget is max(max_solver_calls, calls_per_clause * clauses)
    initial_pool: int = 16
    pool_growth: float = 2.0
    max_pool: int = 4096
    query_timeout_ms: int = 2000
    minimise: bool = True
    sampling_rounds: int = 2
    #: propose the linear and polynomial equalities of the loop-head data (math semantics) before the grammar's
    algebraic: bool = True
    #: re-rank the candidates not yet admitted after counterexamples (rankers with a ``rescore`` method)
    rescore: bool = False
    #: per-query timeout while the conjecture holds a non-linear equality (``unknown`` then drops them)
    nonlinear_timeout_ms: int = 500


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
    samplings: int = 0
    algebraic: int = 0
    algebraic_dropped: int = 0
    rescorings: int = 0
    rescore_s: float = 0.0
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
    """One loop head: its candidates and every example state seen there (rows), with their truth table."""

    index: int
    variables: list[str]
    int_vars: list[str]
    bool_vars: list[str]
    constants: list[int]
    guards: list[Atom]
    machine: bool
    context: LoopContext | None
    candidates: list[Candidate] = field(default_factory=list)
    known: dict[Candidate, int] = field(default_factory=dict)
    rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    row_index: dict[tuple[int, ...], int] = field(default_factory=dict)
    truth: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    positives: list[int] = field(default_factory=list)
    pos_ok: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    pool: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    ranking: list[int] = field(default_factory=list)
    generated_from: int = -1
    pre_terms: dict[int, z3.BoolRef] = field(default_factory=dict)
    algebraic: bool = False
    #: rows of the counterexamples seen at this head (for re-scoring), and the (count, size) last re-scored
    cex: list[int] = field(default_factory=list)
    rescored: tuple[int, int] = (0, 0)
    #: reachable states used only to find data equalities (short runs on small inputs)
    extra_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    #: indices of the candidates from data equalities (never shown to the ranker: it was not trained on
    #: polynomial terms; they are admitted ahead of the grammar's, outside the pool size)
    alg_idx: list[int] = field(default_factory=list)
    #: variables holding C ``unsigned`` values (machine integers only; they get unsigned atoms)
    unsigned: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.rows = np.zeros((0, len(self.variables)), np.int64)
        self.truth = np.zeros((0, 0), bool)

    @property
    def size(self) -> int:
        return len(self.candidates)

    def add_rows(self, rows: np.ndarray) -> list[int]:
        """Row indices of ``rows`` (new ones are appended and evaluated on every candidate)."""
        out = []
        fresh = []
        for r in rows:
            key = tuple(int(x) for x in r)
            idx = self.row_index.get(key)
            if idx is None:
                idx = self.row_index[key] = len(self.row_index)
                fresh.append(r)
            out.append(idx)
        if fresh:
            new = np.array(fresh, np.int64).reshape(len(fresh), len(self.variables))
            self.rows = np.vstack([self.rows, new])
            self.truth = np.vstack([self.truth, candidate_truth(self.candidates, self.variables, new, self.machine)])
        return out

    def add_positives(self, rows: np.ndarray) -> int:
        have = set(self.positives)
        idx = list(dict.fromkeys(i for i in self.add_rows(rows) if i not in have))
        self.positives.extend(idx)
        if idx and self.size:
            self.pos_ok &= self.truth[idx].all(axis=0)
        return len(idx)

    def append_candidates(self, cands: list[Candidate], ranker: Ranker, algebraic: list[Candidate] | None = None
                          ) -> int:
        new = [c for c in dict.fromkeys([*(algebraic or []), *cands]) if c not in self.known]
        if not new:
            return 0
        alg = set(algebraic or ())
        for c in new:
            self.known[c] = len(self.candidates)
            if c in alg:
                self.alg_idx.append(len(self.candidates))
            self.candidates.append(c)
        cols = candidate_truth(new, self.variables, self.rows, self.machine)
        self.truth = np.hstack([self.truth, cols])
        ok = cols[self.positives].all(axis=0) if self.positives else np.ones(len(new), bool)
        self.pos_ok = np.concatenate([self.pos_ok, ok])
        self.pool = np.concatenate([self.pool, np.zeros(len(new), bool)])
        self.rerank(ranker)
        return len(new)

    def grammar_indices(self) -> list[int]:
        if not self.alg_idx:
            return list(range(self.size))
        alg = set(self.alg_idx)
        return [i for i in range(self.size) if i not in alg]

    def rerank(self, ranker: Ranker, scores: np.ndarray | None = None) -> None:
        """Data equalities first, then the grammar's candidates in the ranker's order (or by ``scores``)."""
        idx = self.grammar_indices()
        if scores is not None:
            order = [int(i) for i in np.argsort(-scores, kind="stable")]
        elif self.context is not None:
            order = rank(ranker, self.context, [self.candidates[i] for i in idx])
        else:
            order = list(range(len(idx)))
        self.ranking = [*self.alg_idx, *(idx[j] for j in order)]

    def regenerate(self, grammar: Grammar, ranker: Ranker) -> int:
        """Generate from all positives seen so far; append what is new."""
        if len(self.positives) == self.generated_from or not self.variables:
            return 0
        self.generated_from = len(self.positives)
        data = HeadData(self.variables, self.int_vars, self.bool_vars, self.rows[self.positives],
                        self.constants, self.guards, self.machine, self.unsigned)
        return self.append_candidates(generate(grammar, data), ranker, self.data_equalities())

    def data_equalities(self) -> list[Candidate]:
        if not self.algebraic or not self.int_vars:
            return []
        from recursa.refine.algebraic import equalities

        cols = [self.variables.index(v) for v in self.int_vars]
        order = {v: i for i, v in enumerate(self.variables)}
        out = []
        rows = self.rows[self.positives]
        if self.extra_rows.shape[0]:
            rows = np.vstack([rows, self.extra_rows])
        for c in equalities(self.int_vars, rows[:, cols]):
            a = c.atoms[0]
            if all(MONOMIAL_SEP not in v for v, _ in a.coeffs):  # linear: the grammar's canonical form
                lin = normalise(dict(a.coeffs), "eq", a.const, order, self.machine)
                if lin is None:
                    continue
                c = Candidate((lin,), c.rule)
            out.append(c)
        return out


@dataclass
class _Progress:
    """Where a run stands: the assertions still open and those settled, the pool size per head, the sampling
    rounds spent, and why it stopped (empty while it goes on)."""

    pending: set[int]
    pool_size: int
    proved: set[int] = field(default_factory=set)
    refuted: set[int] = field(default_factory=set)
    samplings: int = 0
    reason: str = ""


class Refiner:
    """One verify-and-refine run over a :class:`TransitionSystem` (all its loop heads at once)."""

    def __init__(self, ts: TransitionSystem, grammar: Grammar, ranker: Ranker, positives: dict[int, list[State]],
                 contexts: dict[int, LoopContext], budget: Budget | None = None,
                 deadline: Deadline | float | None = None, solver: z3.Solver | None = None,
                 sampler: Sampler | None = None, equality_data: dict[int, list[State]] | None = None) -> None:
        self.ts = ts
        self.equality_data = equality_data or {}
        self.enc = ts.encoder
        self.grammar = grammar
        self.ranker = ranker
        self.budget = budget or Budget()
        self.deadline = Deadline.of(deadline)
        self._timeout_ms = self.budget.query_timeout_ms
        self._set_ms = -1
        self._nonlinear_ok = False
        self.sampler = sampler
        self.stats = RefineStats()
        # Machine integers are bit-vectors only: Z3's incremental bit-blasting solver answers their push/pop
        # queries in milliseconds where the general one took seconds (a consecution query with a few
        # multiplications by constants: 1.6 s against 0.04 s)
        self.solver = solver or (z3.SolverFor("QF_BV", ctx=self.enc.ctx) if self.enc.machine
                                 else z3.Solver(ctx=self.enc.ctx))
        self.clauses = clauses(ts)
        self.ind = [c for c in self.clauses if c.dst_kind == "head"]
        self.safety = [c for c in self.clauses if c.dst_kind == "error"]
        self.call_budget = max(self.budget.max_solver_calls, self.budget.calls_per_clause * len(self.clauses))
        self.post_terms: dict[tuple[int, int], z3.BoolRef] = {}
        self.substitutions: dict[int, z3fast.Substitution] = {}
        self.pre_builder = TermBuilder(ts.pre, ts.encoder)
        self.implications: list[tuple[int, int, int, int]] = []  # (src, s row, dst, t row)
        self.negatives: list[tuple[int, int]] = []  # (head, row)
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
        order = {v: i for i, v in enumerate(live)}
        guards: list[Atom] = []
        for cond in _conditions(ts):
            guards.extend(condition_atoms(cond, order, self.enc.machine))
        guards = list(dict.fromkeys(guards))
        constants = sorted(set(ts.function.constants) | {0, 1} | {g.const for g in guards if not g.boolean})
        if context is not None:
            context.variables = live
            context.constants = constants
            context.guards = guards
        hd = _Head(h, live, [v for v in live if sorts[v].value == "int"], [v for v in live if sorts[v].value == "bool"],
                   constants, guards, self.enc.machine, context)
        hd.algebraic = self.budget.algebraic and not self.enc.machine
        hd.unsigned = ts.function.unsigned if self.enc.machine else frozenset()
        hd.extra_rows = state_rows(self.equality_data.get(h, []), live)
        hd.add_positives(state_rows(positives, live))
        self.stats.positives += len(hd.positives)
        self.stats.candidates_generated += hd.regenerate(self.grammar, self.ranker)
        return hd

    def _add_samples(self, samples: dict[int, list[State]]) -> int:
        added = 0
        for h, states in samples.items():
            if h in self.heads and states:
                hd = self.heads[h]
                added += hd.add_positives(state_rows(states, hd.variables))
        self.stats.positives += added
        return added

    def _regenerate(self) -> int:
        if self.deadline.expired():  # generating and ranking candidates that will never be checked is waste
            return 0
        n = sum(hd.regenerate(self.grammar, self.ranker) for hd in self.heads.values())
        self.stats.candidates_generated += n
        return n

    # ---- the conjecture from examples ---------------------------------------------------------------
    def conjecture(self) -> dict[int, np.ndarray]:
        conj = {h: hd.pool & hd.pos_ok for h, hd in self.heads.items()}
        changed = True
        while changed:
            changed = False
            for src, s_row, dst, t_row in self.implications:
                if src != ENTRY and (conj[src] & ~self.heads[src].truth[s_row]).any():
                    continue  # s is outside src's conjecture: the implication does not apply
                new = conj[dst] & self.heads[dst].truth[t_row]
                if (new != conj[dst]).any():
                    conj[dst] = new
                    changed = True
        return conj

    # ---- solver -------------------------------------------------------------------------------------
    def _out_of_budget(self) -> str:
        if self.stats.solver_calls >= self.call_budget:
            return "solver-call budget"
        if self.deadline.expired():
            return "timeout"
        return ""

    def _check(self, *formulas: z3.BoolRef, assumptions: Sequence[z3.BoolRef] = (),
               conj: dict[int, np.ndarray] | None = None) -> z3.CheckSatResult:
        """push, assert ``formulas``, check; the caller pops. A conjecture ``conj`` with a non-linear
        equality gets the shorter non-linear timeout."""
        self.stats.solver_calls += 1
        left_ms = self.deadline.z3_timeout_ms(self.budget.query_timeout_ms)
        if left_ms < self._timeout_ms:  # near the deadline each check gets only the time that is left
            self._timeout_ms = left_ms
        want = self._timeout_ms
        if conj is not None and self._has_polynomial(conj):
            want = min(want, self.budget.nonlinear_timeout_ms)
        if want != self._set_ms:
            self._set_ms = want
            self.solver.set("timeout", want)
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

    def _has_polynomial(self, conj: dict[int, np.ndarray]) -> bool:
        return any(conj[h][i] and is_polynomial(hd.candidates[i].atoms[0])
                   for h, hd in self.heads.items() for i in hd.alg_idx)

    def _drop_polynomial(self, conj: dict[int, np.ndarray]) -> bool:
        """Reject the most complex non-linear data equalities in the conjecture (after an ``unknown``): ``unknown``
        is never a proof, and the rest may still be. False when there was none (the unknown stands)."""
        # the most complex first (highest degree, then most terms): a cubic fitted to too little variety
        # is the usual culprit, and the simpler equality the proof needs may survive it
        poly = [(h, i, _complexity(hd.candidates[i].atoms[0])) for h, hd in self.heads.items() for i in hd.alg_idx
                if conj[h][i] and is_polynomial(hd.candidates[i].atoms[0])]
        worst = max((c for _, _, c in poly), default=None)
        dropped = 0
        for h, i, c in poly:
            if c == worst:
                hd = self.heads[h]
                hd.pos_ok[i] = False
                hd.pool[i] = False
                dropped += 1
        if dropped:
            self.stats.algebraic_dropped += dropped
            self.validated.clear()
            conj.update(self.conjecture())
        return bool(dropped)

    def _premise(self, src: int, conj: dict[int, np.ndarray]) -> list[z3.BoolRef]:
        if src == ENTRY:
            return []
        hd = self.heads[src]
        return [self._pre(hd, int(i)) for i in np.flatnonzero(conj[src])]

    def _row(self, model: z3.ModelRef, variables: list[str], terms: dict[str, z3.ExprRef]) -> np.ndarray:
        row = [int(self.enc.value_of(terms[v], model)) for v in variables]
        return state_rows([dict(zip(variables, row))], variables)

    # ---- one inductiveness pass ---------------------------------------------------------------------
    def _inductive_pass(self, conj: dict[int, np.ndarray]) -> bool | None:
        """Check every initiation/consecution clause that may have changed. True if a counterexample was
        found (the conjecture must be recomputed), False if all hold, None if out of budget / unknown."""
        found = False
        for ci, c in enumerate(self.ind):
            src_set = _members(conj, c.src)
            dst_set = _members(conj, c.dst)
            old = self.validated.get(ci)
            todo = dst_set - old[1] if old is not None and src_set >= old[0] else dst_set
            if not todo:
                self.validated[ci] = (src_set, dst_set)
                continue
            if self._out_of_budget():
                return None
            # goal and model stay locals of the pass, alive until the next clause replaces them: Z3 reuses the
            # ids of freed terms, and the ids decide which model it returns (so the examples learned and the
            # number of solver calls would change with their lifetimes)
            goal = z3fast.mk_or([self._not_post(ci, c, i) for i in sorted(todo)], self.enc.ctx)
            result = self._check(*self._premise(c.src, conj), c.reach, goal, conj=conj)
            try:
                if result == z3.sat:
                    model = self.solver.model()
                    learned = self._learn_counterexample(c, model, conj)
                elif result == z3.unsat:
                    self.validated[ci] = (src_set, dst_set)
                    learned = False
                elif self._drop_polynomial(conj):
                    learned = True  # non-linear query the solver could not decide: go on without those guesses
                else:
                    self.stats.stopped = f"solver {self.solver.reason_unknown()}"
                    learned = None
            finally:
                self.solver.pop()
            if learned is None:
                return None
            found = found or learned
        return found

    def _learn_counterexample(self, c: Clause, model: z3.ModelRef, conj: dict[int, np.ndarray]) -> bool | None:
        """``model`` of a failed clause as an example: a positive one (from the entry) or an implication, then
        the conjecture recomputed into ``conj``; True. None (the run stops) when a value is out of range."""
        hd_dst = self.heads[c.dst]
        t_rows = self._row(model, hd_dst.variables, c.post)
        s_rows = self._row(model, self.heads[c.src].variables, self.ts.pre) if c.src != ENTRY else None
        if t_rows.shape[0] == 0 or (s_rows is not None and s_rows.shape[0] == 0):
            self.stats.stopped = "counterexample values out of range"
            return None
        if s_rows is None:
            self.stats.positives += hd_dst.add_positives(t_rows)
            hd_dst.cex.append(hd_dst.row_index[tuple(int(x) for x in t_rows[0])])
        else:
            s_idx = self.heads[c.src].add_rows(s_rows)[0]
            t_idx = hd_dst.add_rows(t_rows)[0]
            self.implications.append((c.src, s_idx, c.dst, t_idx))
            self.stats.implications += 1
            self.heads[c.src].cex.append(s_idx)
            hd_dst.cex.append(t_idx)
        conj.update(self.conjecture())
        return True

    # ---- pools --------------------------------------------------------------------------------------
    def _grow(self, target: int) -> bool:
        """Admit candidates up to ``target`` per head; those excluding negative examples go first."""
        grew = False
        if self.budget.rescore:
            self._rescore()
        excluders: dict[int, np.ndarray] = {}
        for h, row in self.negatives[-8:]:
            hd = self.heads[h]
            excluders[h] = excluders.get(h, np.zeros(hd.size, bool)) | ~hd.truth[row]
        for h, hd in self.heads.items():
            for i in hd.alg_idx:  # data equalities: few, and each one is a strong guess; outside the pool size
                # non-linear ones from the second admission on: their queries are slow (and may be
                # undecided), so loops that linear invariants prove never pay for them
                if not hd.pool[i] and hd.pos_ok[i] and (self._nonlinear_ok or not is_polynomial(
                        hd.candidates[i].atoms[0])):
                    hd.pool[i] = True
                    grew = True
            alg = set(hd.alg_idx)
            want = min(target, self.budget.max_pool) - int(hd.pool.sum()) + int(hd.pool[hd.alg_idx].sum())
            if want <= 0:
                continue
            order = [i for i in hd.ranking if not hd.pool[i] and hd.pos_ok[i] and i not in alg]
            if h in excluders:
                ex = excluders[h]
                order = [i for i in order if ex[i]] + [i for i in order if not ex[i]]
            for i in order[:want]:
                hd.pool[i] = True
                grew = True
        self.stats.candidates_tried = sum(int(hd.pool.sum()) for hd in self.heads.values())
        self._nonlinear_ok = True
        return grew

    def _rescore(self) -> None:
        """Re-rank each head's grammar candidates with the counterexamples seen there (the latest
        ``RESCORE_EXAMPLES``), when the ranker can (``rescore``) and something changed since the last time.
        Done where the order is used (before admitting candidates), which sees every counterexample so far."""
        rescore = getattr(self.ranker, "rescore", None)
        if rescore is None or self.deadline.expired():
            return
        for hd in self.heads.values():
            key = (len(hd.cex), hd.size)
            if hd.context is None or not hd.cex or key == hd.rescored:
                continue
            hd.rescored = key
            start = time.perf_counter()
            examples = [{v: int(x) for v, x in zip(hd.variables, hd.rows[r])}
                        for r in dict.fromkeys(hd.cex[-RESCORE_EXAMPLES:])]
            idx = hd.grammar_indices()
            scores = np.asarray(rescore(hd.context, [hd.candidates[i] for i in idx], examples), np.float64)
            hd.rerank(self.ranker, scores)
            self.stats.rescorings += 1
            self.stats.rescore_s += time.perf_counter() - start

    def _uncovered(self) -> dict[int, list[Atom]]:
        """Per head, the guard atoms (and negations) that no positive example satisfies."""
        out: dict[int, list[Atom]] = {}
        for h, hd in self.heads.items():
            atoms = list(dict.fromkeys([a for g in hd.guards for a in (g, *g.negation())]))
            if not atoms:
                continue
            rows = hd.rows[hd.positives]
            truth = atom_truth(atoms, hd.variables, rows, self.enc.machine)
            missing = [a for a, hit in zip(atoms, truth.any(axis=0)) if not hit]
            if missing:
                out[h] = missing
        return out

    # ---- main loop ----------------------------------------------------------------------------------
    def run(self, assertions: set[int]) -> RefineResult:
        """Refine until every assertion is proved or refuted, or the budget, the deadline or the candidates
        run out. Each round makes the conjecture inductive, checks the assertions under it and, if some are
        still open, admits more candidates."""
        start = time.perf_counter()
        self._start_solver()
        progress = _Progress(set(assertions), pool_size=self.budget.initial_pool)
        self._grow(progress.pool_size)
        self.stats.stages = 1
        conj = self.conjecture()
        while progress.pending:
            if self.deadline.expired():
                progress.reason = "timeout"
                break
            self.stats.rounds += 1
            conj = self.conjecture()
            status = self._inductive_pass(conj)
            if status is None:
                progress.reason = self.stats.stopped or self._out_of_budget()
                break
            if status:
                continue
            self._check_assertions(conj, progress)
            if not progress.pending or progress.reason:
                break
            if not self._next_stage(progress):
                progress.reason = "candidates exhausted"
                break
            self.stats.stages += 1
        invariants = self._invariants(conj, progress.proved) if progress.proved else {}
        self.stats.algebraic = sum(len(hd.alg_idx) for hd in self.heads.values())
        self.stats.time_s = time.perf_counter() - start
        self.stats.stopped = progress.reason or ("proved" if not progress.pending else self.stats.stopped)
        return RefineResult(progress.proved, invariants, self.stats, progress.reason)

    def _start_solver(self) -> None:
        """The per-query timeout: the budget's, or what is left before the deadline if that is less."""
        self._timeout_ms = self.deadline.z3_timeout_ms(self.budget.query_timeout_ms)
        self._set_ms = self._timeout_ms
        self.solver.set("timeout", self._timeout_ms)

    def _check_assertions(self, conj: dict[int, np.ndarray], progress: _Progress) -> None:
        """With an inductive conjecture: prove the pending assertions it implies, refute those that a loop-free
        path violates; the others stay pending (their counterexamples become negative examples)."""
        for k in sorted(progress.pending):
            if self._assertion_holds(k, conj, progress):
                progress.proved.add(k)
        progress.pending -= progress.proved | progress.refuted

    def _assertion_holds(self, k: int, conj: dict[int, np.ndarray], progress: _Progress) -> bool:
        """Every safety clause of assertion ``k`` holds under ``conj`` (those that held under a subset of it
        before are not checked again)."""
        for c in (c for c in self.safety if c.dst == k):
            src_set = _members(conj, c.src)
            if id(c) in self.safe and src_set >= self.safe[id(c)]:
                continue
            out_of_budget = self._out_of_budget()
            if out_of_budget:
                progress.reason = out_of_budget
                return False
            if not self._safety_holds(c, k, src_set, conj, progress):
                return False
        return True

    def _safety_holds(self, c: Clause, k: int, src_set: frozenset[int], conj: dict[int, np.ndarray],
                      progress: _Progress) -> bool:
        """One safety clause of assertion ``k`` under ``conj``. When it fails, a loop-free path refutes ``k``,
        a state at the loop head becomes a negative example, or an undecided query drops non-linear guesses
        (or, if there are none, stops the run)."""
        result = self._check(*self._premise(c.src, conj), c.reach, conj=conj)
        try:
            if result == z3.unsat:
                self.safe[id(c)] = src_set
                return True
            if result == z3.sat and c.src == ENTRY:
                progress.refuted.add(k)  # a loop-free path fails it: no invariant can help
            elif result == z3.sat:
                self._add_negative(c.src)
            elif not self._drop_polynomial(conj):
                progress.reason = f"solver {self.solver.reason_unknown()}"
            return False
        finally:
            self.solver.pop()

    def _add_negative(self, h: int) -> None:
        """The solver's model, a state at head ``h`` from which an assertion fails, as a negative example."""
        hd = self.heads[h]
        rows = self._row(self.solver.model(), hd.variables, self.ts.pre)
        if rows.shape[0]:
            row = hd.add_rows(rows)[0]
            self.negatives.append((h, row))
            hd.cex.append(row)
            self.stats.negatives += 1

    def _next_stage(self, progress: _Progress) -> bool:
        """Regenerate from the new examples and grow the pools; when nothing new is admitted, sample more
        reachable states. False when the candidates are exhausted."""
        self._regenerate()
        progress.pool_size = int(progress.pool_size * self.budget.pool_growth)
        if self._grow(progress.pool_size):
            return True
        if self.sampler is None or progress.samplings >= self.budget.sampling_rounds:
            return False
        progress.samplings += 1
        self.stats.samplings += 1
        uncovered = self._uncovered()
        added = self._add_samples(self.sampler(uncovered)) if uncovered else 0
        if not added or not self._regenerate():
            return False
        self._grow(progress.pool_size)
        return True

    def _invariants(self, conj: dict[int, np.ndarray], proved: set[int]) -> dict[int, list[Candidate]]:
        """Per head, the candidates of ``conj`` that the proof of ``proved`` keeps: the unsat cores when
        minimising (and they prove it), else the members no other member implies."""
        keep = self._minimise(conj, proved) if self.budget.minimise else None
        invariants: dict[int, list[Candidate]] = {}
        for h, hd in self.heads.items():
            members = np.flatnonzero(conj[h]).tolist()
            chosen = keep[h] if keep is not None else [
                i for i in members if i not in implied_members(hd.candidates, members)]
            invariants[h] = [hd.candidates[i] for i in sorted(chosen)]
        return invariants

    # ---- labels for training a ranker ---------------------------------------------------------------
    def label(self, assertions: set[int]) -> dict[int, tuple[list[Candidate], np.ndarray, np.ndarray]] | None:
        """Run, then put *every* candidate in the pool and weaken to the largest inductive subset (Houdini).

        Returns per head: the candidates, which of them Z3 proved jointly inductive, and which the minimised
        proof of ``assertions`` uses. None when the solver budget or a timeout cut the labelling short.
        """
        result = self.run(assertions)
        for hd in self.heads.values():
            hd.pool[:] = True
        while True:
            conj = self.conjecture()
            status = self._inductive_pass(conj)
            if status is None:
                return None
            if not status:
                break
        out = {}
        for h, hd in self.heads.items():
            needed = np.zeros(hd.size, bool)
            for c in result.invariants.get(h, []):
                needed[hd.known[c]] = True
            out[h] = (list(hd.candidates), conj[h].copy(), needed)
        return out

    # ---- keep what the proof needs ------------------------------------------------------------------
    def _minimise(self, conj: dict[int, np.ndarray], proved: set[int]) -> dict[int, list[int]] | None:
        """A smaller invariant that still proves ``proved``, preferring plain atoms over 2-clauses."""
        atoms_only = {h: conj[h] & np.array([len(c.atoms) == 1 for c in hd.candidates], bool)
                      for h, hd in self.heads.items()}
        self.solver.set("core.minimize", True)
        try:
            if any((atoms_only[h] != conj[h]).any() for h in self.heads):
                simple = self._cores(atoms_only, proved)
                if simple is not None:
                    return simple
            return self._cores(conj, proved)
        finally:
            self.solver.set("core.minimize", False)

    def _cores(self, conj: dict[int, np.ndarray], proved: set[int]) -> dict[int, list[int]] | None:
        """Unsat cores over the conjecture's candidates (None when ``conj`` does not prove ``proved``)."""
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
            result = self._check(*goal, assumptions=terms, conj=conj)
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


def _members(conj: dict[int, np.ndarray], h: int) -> frozenset[int]:
    """The candidates in head ``h``'s conjecture (none at the entry)."""
    return frozenset(np.flatnonzero(conj[h]).tolist()) if h != ENTRY else frozenset()


def _complexity(atom: Atom) -> tuple[int, int]:
    return max(v.count(MONOMIAL_SEP) + 1 for v, _ in atom.coeffs), len(atom.coeffs)


def _conditions(ts: TransitionSystem) -> list[Any]:
    from recursa.symbolic.ir import Assert, Assume, If, Loop

    out = []
    for s in ts.function.statements():
        if isinstance(s, If | Loop | Assume | Assert):
            out.append(s.cond)
    return out


def refine(ts: TransitionSystem, grammar: Grammar, ranker: Ranker, positives: dict[int, list[State]],
           contexts: dict[int, LoopContext], assertions: set[int], budget: Budget | None = None,
           deadline: Deadline | float | None = None, solver: z3.Solver | None = None,
           sampler: Sampler | None = None, equality_data: dict[int, list[State]] | None = None) -> RefineResult:
    """Infer invariants for every loop head of ``ts`` that prove as many of ``assertions`` as possible;
    ``equality_data`` are extra reachable states per head for the data equalities only."""
    return Refiner(ts, grammar, ranker, positives, contexts, budget, deadline, solver, sampler,
                   equality_data).run(assertions)


def atom_implies(a: Atom, b: Atom) -> bool:
    """``a ⟹ b`` for atoms over the same linear form (a syntactic check, no solver)."""
    if a.coeffs != b.coeffs or a.boolean != b.boolean or a.unsigned != b.unsigned:
        return False
    if a.unsigned:  # the right side may wrap: only the same atom is certain
        return a == b
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
