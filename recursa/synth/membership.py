"""Grammar membership: can a synth-fun's grammar derive a given term?

A SyGuS answer must be a term of the function's grammar. The engine's enumerators only build such terms, but an
answer found another way (the invariant pipeline, a cached or learned answer) has to be checked: an answer
outside the grammar is wrong even when it meets the logical specification.

:func:`derives` computes, bottom-up over the answer, the set of non-terminals that derive each node (a
production matches a node when its operators, literals and parameters coincide and every non-terminal in it
derives the node's sub-term in that position; chain rules ``N -> M`` are closed over). No recursion: the answer
is walked in post-order and each production is matched with an explicit stack.
"""

from __future__ import annotations

from recursa.symbolic.terms import App, Lit, Term, Var, postorder
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, Param, Production


def derives(grammar: Grammar, params: tuple[Param, ...], term: Term) -> set[str]:
    """The non-terminals of ``grammar`` that derive ``term`` (a term over ``params``).

    >>> from recursa.symbolic.terms import INT, BOOL
    >>> from recursa.synth.problem import NonTerminal
    >>> x = Var("x", INT)
    >>> g = Grammar((NonTerminal("B", BOOL, (App("<=", (Var("I", INT), Var("I", INT)), BOOL),)),
    ...              NonTerminal("I", INT, (x, Lit(0, INT)))))
    >>> sorted(derives(g, (("x", INT),), App("<=", (x, Lit(0, INT)), BOOL)))
    ['B']
    >>> derives(g, (("x", INT),), App("<", (x, Lit(0, INT)), BOOL))
    set()
    """
    nts = {nt.name for nt in grammar.nonterminals}
    param_names = {name for name, _ in params}
    of: dict[int, set[str]] = {}
    for node in postorder(term):
        if id(node) in of:
            continue
        found: set[str] = set()
        for nt in grammar.nonterminals:
            if nt.sort != node.sort:
                continue
            if any(_matches(p, node, nts, param_names, of) for p in nt.productions):
                found.add(nt.name)
        # chain rules N -> M: N derives whatever M derives
        changed = True
        while changed:
            changed = False
            for nt in grammar.nonterminals:
                if nt.name in found or nt.sort != node.sort:
                    continue
                if any(isinstance(p, Var) and p.name in nts and p.name in found for p in nt.productions):
                    found.add(nt.name)
                    changed = True
        of[id(node)] = found
    return of[id(term)]


def in_grammar(grammar: Grammar, params: tuple[Param, ...], term: Term) -> bool:
    """Whether the start symbol of ``grammar`` derives ``term``."""
    return grammar.start.name in derives(grammar, params, term)


def _matches(production: Production, node: Term, nts: set[str], params: set[str], of: dict[int, set[str]]) -> bool:
    if isinstance(production, AnyConstant):
        return isinstance(node, Lit) and node.sort == production.sort
    if isinstance(production, AnyVariable):
        return isinstance(node, Var) and node.name in params and node.sort == production.sort
    stack: list[tuple[Term, Term]] = [(production, node)]
    top = True
    while stack:
        p, t = stack.pop()
        if isinstance(p, Var) and p.name in nts:
            if top:  # a chain rule: handled by the closure in :func:`derives`
                return False
            if p.name not in of.get(id(t), set()):
                return False
        elif isinstance(p, Var):
            if not (isinstance(t, Var) and t.name == p.name and t.name in params):
                return False
        elif isinstance(p, Lit):
            if not (isinstance(t, Lit) and t.sort == p.sort and t.value == p.value):
                return False
        elif isinstance(p, App):
            if not (isinstance(t, App) and t.op == p.op and t.indices == p.indices and len(t.args) == len(p.args)):
                return False
            stack.extend(zip(p.args, t.args))
        else:
            return False
        top = False
    return True
