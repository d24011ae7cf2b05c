"""Labels from the search's own answers: a generated problem solved by the unguided engine, its answer read back
as a derivation of the problem's grammar.

A generated problem's target is a random derivation: ``(ite (<= y y) 1 x)`` teaches that ``(<= y y)`` goes
under ``ite``. The engine's answer to the same problem is the smallest term the spec admits — what a person
would write, and what the search has to find on a new problem. Training the guide on these derivations (as
DreamCoder and Probe learn from their own solutions) gives it the regularities of small answers: which
production sits under which parent. Only answers the enumeration or divide and conquer found count: a linear
fit's or a completion's answer shape says nothing about the enumeration order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from recursa.symbolic.terms import App, Lit, Term, Var, to_smtlib
from recursa.synth.generate import GeneratedProblem
from recursa.synth.grammar import UniformGuide, _number_holes, default_grammar, production_text
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, SynthOptions, SynthStatus

#: how the engine found an answer, for answers whose shape is the enumeration's (see the module docstring)
SEARCHED = ("enumeration", "divide-and-conquer")


def derivation(term: Term, grammar: Grammar) -> tuple[Counter, Counter] | None:
    """``(uses, contexts)`` of ``term`` as a derivation of ``grammar`` from its start symbol, in the form of
    :class:`GeneratedProblem` labels: ``(non-terminal, production text)`` and ``(parent non-terminal, parent
    production text, position, child non-terminal, child production text)``; None when a node matches no
    production (or only one nested inside a larger template: those are not read back)."""
    nts = {nt.name: nt for nt in grammar.nonterminals}
    uses: Counter = Counter()
    contexts: Counter = Counter()
    stack: list[tuple[Term, str, tuple[str, str, int] | None]] = [(term, grammar.start.name, None)]
    while stack:
        node, name, parent = stack.pop()
        found = _production(node, name, nts)
        if found is None:
            return None
        text, holes = found
        uses[(name, text)] += 1
        if parent is not None:
            contexts[(*parent, name, text)] += 1
        if holes:
            assert isinstance(node, App)
            stack.extend((arg, hole, (name, text, i)) for i, (arg, hole) in enumerate(zip(node.args, holes)))
    return uses, contexts


def _production(node: Term, name: str, nts: dict) -> tuple[str, tuple[str, ...]] | None:
    """The production of non-terminal ``name`` that derives ``node``'s root: its text and its holes' non-terminals
    (matching the holes' own productions is left to the caller)."""
    for prod in nts[name].productions:
        if isinstance(prod, AnyConstant):
            if isinstance(node, Lit) and node.sort == prod.sort:
                return production_text(prod), ()
            continue
        if isinstance(prod, AnyVariable):
            if isinstance(node, Var) and node.sort == prod.sort:
                return production_text(prod), ()
            continue
        if isinstance(prod, (Var, Lit)):
            if not isinstance(prod, Var) or prod.name not in nts:
                if to_smtlib(prod) == to_smtlib(node):
                    return to_smtlib(prod), ()
            continue
        if isinstance(prod, App) and isinstance(node, App) and prod.op == node.op and prod.indices == node.indices \
                and len(prod.args) == len(node.args):
            _, holes = _number_holes(prod, nts)
            if len(holes) == len(prod.args) and all(isinstance(a, Var) and a.name in nts for a in prod.args):
                return to_smtlib(prod), holes
    return None


def relabel(g: GeneratedProblem, timeout_s: float = 2.0) -> GeneratedProblem | None:
    """``g`` labelled with the unguided engine's answer (None when it was not searched for, or not found)."""
    from recursa.synth.engine import solve

    problem = g.problem()
    result = solve(problem, SynthOptions(timeout_s=timeout_s, guide="none"), guide=UniformGuide())
    if result.status is not SynthStatus.SOLVED or result.stats.get("method") not in SEARCHED \
            or result.stats.get("completed_from_top"):
        return None
    fn = problem.functions[0]
    found = derivation(result.solutions[0].body, fn.grammar or default_grammar(problem, fn))
    if found is None:
        return None
    uses, contexts = found
    return replace(g, target=to_smtlib(result.solutions[0].body),
                   labels=tuple(sorted((nt, t, c) for (nt, t), c in uses.items())),
                   contexts=tuple(sorted((*k, n) for k, n in contexts.items())))


__all__ = ["SEARCHED", "derivation", "relabel"]
