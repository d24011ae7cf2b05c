"""Several synth-funs constrained together: enumerate them jointly by total cost.

Each function gets its own bottom-up enumerator (with observational equivalence on the inputs its calls
receive at the current points); tuples of bodies are tried in order of their summed cost, each judged by
evaluating every constraint instance with all the candidate tables plugged in. CEGIS verifies the tuple with
Z3 and adds counterexamples as points, as for one function. Infeasibility is never claimed here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from recursa.symbolic.concrete import UndefinedValue
from recursa.symbolic.terms import App, Term, postorder
from recursa.synth.enumerate import Budget, Enumerator
from recursa.synth.evaluate import Vector, compile_term
from recursa.synth.examples import MissingInput
from recursa.synth.grammar import CompiledGrammar
from recursa.synth.problem import Problem, SynthFun
from recursa.synth.verify import Verdict, check


class _Stream:
    """The start symbol's terms of one enumerator, grouped by cost, pulled on demand."""

    def __init__(self, en: Enumerator, start: str) -> None:
        self.levels: dict[int, list[tuple[Term, Vector]]] = {}
        self.ended = False
        self._it = en.terms()
        self._start = start
        self._frontier = 0  # the enumerator's current cost: every level below it is complete

    def upto(self, cost: int) -> None:
        """Pull terms until every level up to ``cost`` is complete (or the enumerator ends)."""
        while not self.ended and self._frontier <= cost:
            try:
                nt, c, t, v = next(self._it)
            except StopIteration:
                self.ended = True
                return
            self._frontier = c
            if nt == self._start:
                self.levels.setdefault(c, []).append((t, v))


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    for cut in itertools.combinations(range(1, total), parts - 1):
        bounds = (0, *cut, total)
        yield tuple(bounds[i + 1] - bounds[i] for i in range(parts))


def solve_jointly(problem: Problem, grammars: Sequence[CompiledGrammar], points: list[dict[str, Any]],
                  definitions: Mapping[str, Callable], budget: Budget, stats: dict[str, Any],
                  max_cost: int = 0) -> tuple[dict[str, Term] | None, str]:
    """CEGIS over all functions at once: (bodies, "") when Z3 confirmed a tuple, else (None, why)."""
    fns = [g.function for g in grammars]
    names = {f.name for f in fns}
    compiled = [(compile_term(c), c) for c in problem.constraints]
    extra: dict[str, list[tuple]] = {f.name: [] for f in fns}
    stats.update({"rounds": 0, "method": "joint enumeration"})
    while True:
        budget.check()
        stats["rounds"] += 1
        stats["points"] = len(points)
        instances = [(fn_, env) for env in points for fn_, _ in compiled]
        inputs = _inputs(problem, fns, points, definitions, names, extra)
        try:
            bodies = _round(grammars, inputs, instances, definitions, budget, max_cost)
        except MissingInput as miss:
            extra[miss.function].append(miss.args)
            continue
        if bodies is None:
            return None, f"joint search ended without an answer after {budget.candidates} candidates"
        res = check(problem, bodies, budget, diverse=True)
        if res.verdict is Verdict.VALID:
            return bodies, ""
        if res.verdict is Verdict.UNKNOWN:
            return None, f"Z3 could not check a candidate ({res.reason})"
        if res.point in points:
            return None, "counterexample repeats an example point (evaluator and Z3 disagree)"
        points.append(res.point)


def _inputs(problem: Problem, fns: Sequence[SynthFun], points: Sequence[Mapping[str, Any]],
            definitions: Mapping[str, Callable], names: set[str], extra: Mapping[str, list[tuple]]
            ) -> dict[str, list[tuple]]:
    out: dict[str, dict[tuple, None]] = {f.name: {} for f in fns}
    for c in problem.constraints:
        for node in postorder(c):
            if not (isinstance(node, App) and node.op in names):
                continue
            if any(isinstance(n, App) and n.op in names for a in node.args for n in postorder(a)):
                continue  # nested: its arguments depend on the candidate, found by MissingInput
            arg_fns = [compile_term(a) for a in node.args]
            for env in points:
                try:
                    out[node.op].setdefault(tuple(f(env, definitions) for f in arg_fns), None)
                except UndefinedValue:
                    continue
    for name, args in extra.items():
        for a in args:
            out[name].setdefault(a, None)
    return {name: list(d) for name, d in out.items()}


def _round(grammars: Sequence[CompiledGrammar], inputs: Mapping[str, list[tuple]],
           instances: list[tuple[Callable, Mapping[str, Any]]], definitions: Mapping[str, Callable],
           budget: Budget, max_cost: int) -> dict[str, Term] | None:
    streams = []
    for g in grammars:
        pnames = [n for n, _ in g.function.params]
        envs = [dict(zip(pnames, a)) for a in inputs[g.function.name]]
        streams.append(_Stream(Enumerator(g, envs, definitions, budget, max_cost=max_cost), g.start))
    k = len(grammars)
    total = k
    while True:
        budget.check()
        if max_cost and total > max_cost * k:
            return None
        for split in _compositions(total, k):
            for s, c in zip(streams, split):
                s.upto(c)
            lists = [s.levels.get(c, []) for s, c in zip(streams, split)]
            if not all(lists):
                continue
            for combo in itertools.product(*lists):
                budget.candidates += 1
                if budget.candidates % 1024 == 0:
                    budget.check()
                if _consistent(grammars, inputs, combo, instances, definitions):
                    return {g.function.name: t for g, (t, _) in zip(grammars, combo)}
        if all(s.ended for s in streams) and total > sum(max(s.levels, default=0) for s in streams):
            return None
        total += 1


def _consistent(grammars: Sequence[CompiledGrammar], inputs: Mapping[str, list[tuple]],
                combo: Sequence[tuple[Term, Vector]], instances: list[tuple[Callable, Mapping[str, Any]]],
                definitions: Mapping[str, Callable]) -> bool:
    funcs: dict[str, Callable] = dict(definitions)
    for g, (_, vec) in zip(grammars, combo):
        name = g.function.name
        table = dict(zip(inputs[name], vec))

        def call(args: Sequence[Any], _t: dict = table, _n: str = name) -> Any:
            key = tuple(args)
            try:
                return _t[key]
            except KeyError:
                raise MissingInput(key, _n) from None

        funcs[name] = call
    for fn_, env in instances:
        try:
            if not fn_(env, funcs):
                return False
        except UndefinedValue:
            return False
    return True
