"""Divide and conquer for conditional answers (after EUSolver, Alur, Radhakrishna and Udupa, TACAS 2017).

Enumerate terms until every input point is covered by some term that is right on it, enumerate predicates,
and learn a decision tree over the predicates (split by information gain) whose leaves are terms covering
all points that reach them; the tree becomes nested ``ite`` built with the grammar's own ``ite`` production.
Needs a pointwise specification (:attr:`Examples.pointwise`): whether a term is right on a point must not
depend on the function's values elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from recursa.symbolic.terms import Term
from recursa.synth.enumerate import Budget, Enumerator
from recursa.synth.examples import Examples
from recursa.synth.grammar import CompiledGrammar, Rule


@dataclass
class DncOutcome:
    term: Term | None  # None: the search ended without an answer
    infeasible: bool  # proved: some point has no right output among all the grammar's behaviours
    terms: int = 0
    predicates: int = 0
    bank: int = 0  # terms kept by observational equivalence, all non-terminals


def _entropy(points: int, covers: list[int]) -> float:
    counts = [(points & c).bit_count() for c in covers]
    total = sum(counts)
    if total == 0:
        return 0.0
    h = 0.0
    for k in counts:
        if k:
            p = k / total
            h -= p * math.log2(p)
    return h


def _greedy_cover(terms: list[tuple[Term, int]], full: int) -> list[tuple[Term, int]]:
    """A small set of terms covering every point, largest cover first (EUSolver's term selection): terms
    that are right on a few points by coincidence then neither become leaves nor skew the entropy."""
    chosen: list[tuple[Term, int]] = []
    left = full
    while left:
        best = max(terms, key=lambda tc: (tc[1] & left).bit_count())
        if not best[1] & left:
            break
        chosen.append(best)
        left &= ~best[1]
    return chosen


def learn_tree(n: int, terms: list[tuple[Term, int]], preds: list[tuple[Term, int]], ite: Rule,
               budget: Budget | None = None) -> Term | None:
    """A decision tree choosing, for each of the ``n`` points, a term whose cover mask contains it.

    ``terms`` and ``preds`` are (term, bitmask) pairs, cheapest first. Returns None when two points that
    need different terms cannot be told apart by any predicate. Built with explicit stacks."""
    full = (1 << n) - 1
    terms = _greedy_cover(terms, full)
    covers = [c for _, c in terms]
    # Phase 1: split top-down. A node is ("leaf", term) or ("split", pred, then_id, else_id).
    nodes: list[tuple] = []
    work: list[tuple[int, int]] = [(full, 0)]
    nodes.append(())
    while work:
        if budget is not None:
            budget.check()
        pts, slot = work.pop()
        # Of the terms right on every point here, take the one right on most points overall: a term that is
        # right only by coincidence on a few points generalises worst.
        fits = [(c.bit_count(), -k, t) for k, (t, c) in enumerate(terms) if pts & c == pts]
        if fits:
            nodes[slot] = ("leaf", max(fits, key=lambda f: (f[0], f[1]))[2])
            continue
        h = _entropy(pts, covers)
        size = pts.bit_count()
        best: tuple[float, int] | None = None
        for j, (_, m) in enumerate(preds):
            yes, no = pts & m, pts & ~m
            if not yes or not no:
                continue
            gain = h - (yes.bit_count() * _entropy(yes, covers) + no.bit_count() * _entropy(no, covers)) / size
            if best is None or gain > best[0] + 1e-12:
                best = (gain, j)
        if best is None:
            return None
        pred, m = preds[best[1]]
        yes_slot, no_slot = len(nodes), len(nodes) + 1
        nodes.extend([(), ()])
        nodes[slot] = ("split", pred, yes_slot, no_slot)
        work.append((pts & ~m, no_slot))
        work.append((pts & m, yes_slot))
    # Phase 2: build terms bottom-up (children always have larger slot numbers than their parent).
    built: dict[int, Term] = {}
    for slot in range(len(nodes) - 1, -1, -1):
        node = nodes[slot]
        if node[0] == "leaf":
            built[slot] = node[1]
        else:
            _, pred, y, no = node
            built[slot] = ite.build((pred, built.pop(y), built.pop(no)))
    return built[0]


def _learn(n: int, terms: list[tuple[Term, int]], cover_count: int, preds: list[tuple[Term, int]], ite: Rule,
           budget: Budget) -> Term | None:
    """Learn with the terms that first covered every point (EUSolver stops growing terms there: later, larger
    terms are often right on a few clustered counterexamples by coincidence), then with all of them."""
    if 0 < cover_count < len(terms):
        tree = learn_tree(n, terms[:cover_count], preds, ite, budget)
        if tree is not None:
            return tree
    return learn_tree(n, terms, preds, ite, budget)


def divide_and_conquer(grammar: CompiledGrammar, ite: Rule, examples: Examples,
                       definitions: Mapping[str, Callable], budget: Budget, max_cost: int = 0) -> DncOutcome:
    """One CEGIS round of divide and conquer on the current points."""
    ite_index = grammar.rules[grammar.start].index(ite)
    pred_nt = grammar.base(ite.holes[0])  # a context copy is a view: its terms are made as its non-terminal's
    en = Enumerator(grammar, examples.input_envs(), definitions, budget,
                    skip=frozenset({(grammar.start, ite_index)}), max_cost=max_cost,
                    scorer=grammar.value_scorer(examples))
    try:
        out = _run(en, grammar, ite, examples, pred_nt)
        out.bank = en.bank_size()
        return out
    finally:
        en.release()


def _run(en: Enumerator, grammar: CompiledGrammar, ite: Rule, examples: Examples, pred_nt: str) -> DncOutcome:
    # Points where every output is right (a false premise) constrain nothing: leave them out of the tree.
    relevant = [i for i, free in enumerate(examples.dont_care()) if not free]
    n = len(relevant)
    full = (1 << n) - 1
    terms: list[tuple[Term, int]] = []
    term_masks: set[int] = set()
    preds: list[tuple[Term, int]] = []
    pred_masks: set[int] = set()
    covered = 0
    cover_count = 0  # how many terms it took to cover every point first
    level = 0
    dirty = False
    ok = examples.ok
    for nt, cost, term, vec in en.terms():
        if cost != level:
            # the previous cost level is complete: try a tree with what we have
            if covered == full and dirty:
                tree = _learn(n, terms, cover_count, preds, ite, en.budget)
                dirty = False
                if tree is not None:
                    return DncOutcome(tree, False, len(terms), len(preds))
            level = cost
        if nt == grammar.start:
            mask = 0
            for bit, i in enumerate(relevant):
                if ok(i, vec[i]):
                    mask |= 1 << bit
            if mask == full:
                return DncOutcome(term, False, len(terms), len(preds))
            if mask and mask not in term_masks:
                term_masks.add(mask)
                terms.append((term, mask))
                covered |= mask
                dirty = True
                if covered == full and not cover_count:
                    cover_count = len(terms)
        if nt == pred_nt:
            mask = 0
            for bit, i in enumerate(relevant):
                if vec[i]:
                    mask |= 1 << bit
            if mask not in pred_masks and mask not in (0, full):
                pred_masks.add(mask)
                preds.append((term, mask))
                dirty = True
    if covered == full:
        tree = _learn(n, terms, cover_count, preds, ite, en.budget)
        if tree is not None:
            return DncOutcome(tree, False, len(terms), len(preds))
    # Every term's value at one point is the value of an ite-free term there (take each ite's branch), so a
    # point that no ite-free behaviour covers, once the bank saturated, has no right output in the grammar.
    proved = en.exhausted and not en.undefined and covered != full
    return DncOutcome(None, proved, len(terms), len(preds))
