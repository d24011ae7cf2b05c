"""Bottom-up enumeration by cost with observational equivalence.

Terms of every non-terminal are built in order of total cost (a term costs its production's cost plus its
children's; with the uniform guide that is its size). Each term is evaluated on the current input points as
a whole vector at once, and a term whose vector a cheaper term of the same non-terminal already has is
dropped: no example can tell them apart, so it can never be needed before the examples change. When CEGIS
adds a point, the engine starts a fresh :class:`Enumerator` (terms merged on the old points may differ on
the new one, so the old bank is not reused as it stands).

A value scorer (:mod:`recursa.synth.values`) may *delay* values: a delayed value is checked against the
examples when it is made, like any other, but stored ``delay`` levels later, so the terms built on it wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recursa.symbolic.concrete import EvalError, UndefinedValue
from recursa.symbolic.terms import Term
from recursa.synth.evaluate import Vector
from recursa.synth.grammar import CompiledGrammar, Rule, leaf_vector


class SearchTimeout(Exception):
    """The deadline passed inside the enumeration."""


class BankFull(Exception):
    """The observational-equivalence bank reached its memory cap."""


@dataclass
class Budget:
    """The per-problem deadline and the counters every phase adds to."""

    deadline: float
    candidates: int = 0  # vectors computed (terms enumerated)
    solver_calls: int = 0
    max_values: int = 8_000_000  # bank cap: stored terms times points (~0.4 GB of vectors at most)
    check_every: int = 1024

    _ctx: Any = None

    def z3_context(self) -> Any:
        """One Z3 context per problem (making one costs milliseconds); every check still gets a fresh solver."""
        if self._ctx is None:
            import z3

            self._ctx = z3.Context()
        return self._ctx

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        if time.monotonic() >= self.deadline:
            raise SearchTimeout


Entry = tuple[Vector, Term]
SCORE_CHUNK = 32_768  # values scored at once (numpy arrays of this many rows)


class Enumerator:
    """Enumerates the terms of a compiled grammar on fixed input points, one cost level at a time.

    ``skip`` names rules to leave out (divide and conquer builds ``ite`` itself). After :meth:`terms` is
    exhausted, ``exhausted`` says whether every term of the grammar was produced (only for finite grammars),
    and ``undefined`` whether some term was dropped because it divides by zero on a point."""

    def __init__(self, grammar: CompiledGrammar, inputs: Sequence[Mapping[str, object]],
                 definitions: Mapping[str, Callable], budget: Budget, skip: frozenset[tuple[str, int]] = frozenset(),
                 max_cost: int = 0, scorer: Any = None) -> None:
        self.g = grammar
        self.inputs = list(inputs)
        self.definitions = definitions
        self.budget = budget
        self.skip = skip
        self.levels: dict[str, dict[int, list[Entry]]] = {nt: {} for nt in grammar.rules}
        self.seen: dict[str, set[Vector]] = {nt: set() for nt in grammar.rules}
        self.stored = 0
        self.undefined = False
        self.exhausted = False
        self.cost = 0
        self.max_cost = max_cost  # 0: unbounded
        self.max_arity = max((len(r.holes) for rs in grammar.rules.values() for r in rs), default=0)
        self.max_rule_cost = max((r.cost for rs in grammar.rules.values() for r in rs), default=1)
        self.top_cost = 0  # highest cost at which some non-terminal has a term
        self.scorer = scorer  # a recursa.synth.values.ValueScorer, or None
        self.pending: dict[str, dict[int, list[Entry]]] = {nt: {} for nt in grammar.rules}  # delayed entries
        # context copies are views of their non-terminal's bank: a term whose root is rule i costs deltas[i] more
        # (copies that price alike share one view; a copy with no extra cost is its non-terminal's own levels)
        self.views: dict[str, list[tuple[str, list[int]]]] = {}
        first: dict[tuple[str, tuple[int, ...]], str] = {}
        for copy, of in grammar.copies.items():
            deltas = grammar.deltas[copy]
            same = of if not any(deltas) else first.setdefault((of, tuple(deltas)), copy)
            if same != copy:
                self.levels[copy] = self.levels[same]
            else:
                self.views.setdefault(of, []).append((copy, deltas))
        self.max_delta = max((d for ds in grammar.deltas.values() for d in ds), default=0)

    def release(self) -> None:
        """Drop the bank without making the caller wait for it.

        Freeing millions of vectors took ~0.05 s per second of search on the development machine, all of it
        after the deadline; a daemon thread frees them in small slices instead (each slice is one short C call,
        so the GIL passes back to the caller between slices)."""
        levels, seen = self.levels, self.seen
        self.pending = {nt: {} for nt in self.g.rules}
        self.levels = {nt: {} for nt in self.g.rules}
        self.seen = {nt: set() for nt in self.g.rules}
        if self.stored < 50_000:
            return
        import threading

        threading.Thread(target=_free_slowly, args=(levels, seen), daemon=True).start()

    def bank_size(self) -> int:
        return sum(len(s) for s in self.seen.values())

    def entries(self, nt: str) -> Iterator[tuple[int, Entry]]:
        for cost in sorted(self.levels[nt]):
            for e in self.levels[nt][cost]:
                yield cost, e

    def terms(self) -> Iterator[tuple[str, int, Term, Vector]]:
        """Yield ``(non-terminal, cost, term, vector)`` for every new behaviour, cheapest first."""
        while True:
            self.cost += 1
            c = self.cost
            if self.max_cost and c > self.max_cost:
                return
            if (c > (self.top_cost + self.max_delta) * self.max_arity + self.max_rule_cost
                    and not any(self.pending.values())):
                # Saturated: every combination of the banked terms (a view's at most max_delta above its
                # non-terminal's) costs less than c and was tried, so the bank holds every behaviour the grammar
                # has on these points (finite grammars always end here).
                self.exhausted = True
                return
            for nt, rules in self.g.rules.items():
                if nt in self.g.copies:
                    continue  # a view, filled below as its non-terminal's terms are made
                bucket: list[Entry] = []
                views = self.views.get(nt, ())
                for idx, rule in enumerate(rules):
                    if (nt, idx) in self.skip or rule.cost > c:
                        continue
                    for term, vec in self._expand(rule, c):
                        bucket.append((vec, term))
                        for view, deltas in views:  # same level or later: parents read levels below c only
                            self.levels[view].setdefault(c + deltas[idx], []).append((vec, term))
                        yield nt, c, term, vec
                if self.scorer is not None:
                    bucket = self._delay(nt, bucket, c)
                if bucket:
                    self.levels[nt][c] = bucket
                    self.top_cost = c

    def _delay(self, nt: str, bucket: list[Entry], c: int) -> list[Entry]:
        """The entries stored at level ``c``: this level's undelayed ones and those delayed to it earlier."""
        late = self.pending[nt].pop(c, [])
        delays: list[int] = []
        for start in range(0, len(bucket), SCORE_CHUNK):  # bounded memory, and the deadline between chunks
            if start:
                self.budget.check()
            part = self.scorer.delays(nt, [v for v, _ in bucket[start:start + SCORE_CHUNK]], c)
            if part is None:
                return late + bucket
            delays += part
        keep = late
        for entry, d in zip(bucket, delays):
            if d:
                self.pending[nt].setdefault(c + d, []).append(entry)
            else:
                keep.append(entry)
        return keep

    def _admit(self, nt: str, vec: Vector) -> bool:
        seen = self.seen[nt]
        if vec in seen:
            return False
        seen.add(vec)
        self.stored += 1
        if self.stored * max(1, len(self.inputs)) > self.budget.max_values:
            raise BankFull
        return True

    def _tick(self) -> None:
        b = self.budget
        b.candidates += 1
        if b.candidates % b.check_every == 0:
            b.check()

    def _expand(self, rule: Rule, c: int) -> Iterator[tuple[Term, Vector]]:
        nt = rule.nt
        if not rule.holes:
            if rule.cost != c:
                return
            assert rule.leaf is not None
            self._tick()
            try:
                vec = leaf_vector(rule.leaf, self.inputs, self.definitions)
            except UndefinedValue:
                self.undefined = True
                return
            if self._admit(nt, vec):
                yield rule.leaf, vec
            return
        assert rule.vec is not None
        fn = rule.vec
        rest = c - rule.cost
        for costs in self._splits(rule.holes, rest):
            if rule.commutative and costs[0] > costs[1]:
                continue  # the mirrored split builds the same terms
            lists = [self.levels[h][k] for h, k in zip(rule.holes, costs)]
            if len(lists) == 1:
                for va, ta in lists[0]:
                    self._tick()
                    try:
                        v = fn(va)
                    except UndefinedValue:
                        self.undefined = True
                        continue
                    if self._admit(nt, v):
                        yield rule.build((ta,)), v
            elif len(lists) == 2:
                la, lb = lists
                same = rule.commutative and costs[0] == costs[1]
                for i, (va, ta) in enumerate(la):
                    for vb, tb in (lb[i:] if same else lb):
                        self._tick()
                        try:
                            v = fn(va, vb)
                        except UndefinedValue:
                            self.undefined = True
                            continue
                        if self._admit(nt, v):
                            yield rule.build((ta, tb)), v
            else:
                yield from self._expand_n(rule, lists)

    def _expand_n(self, rule: Rule, lists: list[list[Entry]]) -> Iterator[tuple[Term, Vector]]:
        import itertools

        fn = rule.vec
        assert fn is not None
        for combo in itertools.product(*lists):
            self._tick()
            try:
                v = fn(*(e[0] for e in combo))
            except UndefinedValue:
                self.undefined = True
                continue
            except EvalError:
                raise
            if self._admit(rule.nt, v):
                yield rule.build(tuple(e[1] for e in combo)), v

    def _splits(self, holes: tuple[str, ...], total: int) -> Iterator[tuple[int, ...]]:
        """Cost tuples, one per hole, summing to ``total``, using only costs the bank has terms at.
        """
        avail = [sorted(k for k, v in self.levels[h].items() if v) for h in holes]
        k = len(holes)
        # iterative composition search over the available costs
        stack: list[tuple[int, int, tuple[int, ...]]] = [(0, total, ())]
        while stack:
            i, left, acc = stack.pop()
            if i == k - 1:
                if left in self.levels[holes[i]] and self.levels[holes[i]][left]:
                    yield acc + (left,)
                continue
            for cost in reversed(avail[i]):
                if cost < left:
                    stack.append((i + 1, left - cost, acc + (cost,)))


def _free_slowly(levels: dict[str, dict[int, list[Entry]]], seen: dict[str, set[Vector]]) -> None:
    step = 5_000
    for buckets in levels.values():
        for bucket in buckets.values():
            while bucket:
                del bucket[-step:]
                time.sleep(0)
        buckets.clear()
    for vecs in seen.values():
        while vecs:
            for _ in range(min(step, len(vecs))):
                vecs.pop()
            time.sleep(0)
