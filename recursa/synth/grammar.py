"""Grammars compiled for bottom-up enumeration, the default grammar of a logic, and the guidance hook.

A SyGuS production is a term in which some variables name non-terminals ("holes"). Compiling it gives a
:class:`Rule`: the holes in left-to-right order, a vector function computing the production's value from its
children's value vectors, a builder that plugs child terms into the holes (so an answer keeps exactly the
shape the grammar gave it), and a cost. ``(Constant S)`` expands to one leaf rule per known constant of sort
``S`` (the spec's literals, the grammar's, 0 and 1) and ``(Variable S)`` to one per parameter of sort ``S``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from recursa.symbolic.concrete import UndefinedValue
from recursa.symbolic.terms import BOOL, INT, App, Lit, Sort, Term, Var, postorder, to_smtlib
from recursa.synth.evaluate import Vector, evaluate, vector_op
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, NonTerminal, Problem, SynthFun


class UnsupportedGrammar(ValueError):
    """The function's sort or grammar is outside what the enumerator handles (the message says what)."""


@dataclass(frozen=True)
class ProductionRef:
    """Names one production of one non-terminal: the guidance hook scores these."""

    nonterminal: str
    index: int  # position in the non-terminal's production list
    text: str  # the production as SMT-LIB text, e.g. "(+ S S)"


@dataclass(frozen=True)
class Context:
    """Where a production is used: as argument ``position`` of ``parent`` (a production of another rule)."""

    parent: ProductionRef
    position: int  # 0-based hole index in the parent production, left to right


class Guide(Protocol):
    """Orders the enumeration: a cost per production, conditioned on the problem (its spec) and, optionally,
    on the context the production is used in (parent production and argument position).

    The enumerator goes by total cost (a term costs its root production's cost plus its children's), so a
    cheaper production's terms come earlier. Costs are rounded to integers >= 1; productions a map leaves out
    keep their uniform cost (their size). ``weights`` gives context-free costs; ``context_weights`` gives
    costs for a production in one context, which the compiler honours by giving that argument position its
    own copy of the child non-terminal (its own bank), so it costs enumeration work only where it is used.
    The neural guide plugs in here: score productions given the spec and return ``-log p``-style costs."""

    name: str

    def weights(self, problem: Problem, function: SynthFun, grammar: Grammar) -> Mapping[ProductionRef, float]: ...

    def context_weights(self, problem: Problem, function: SynthFun, grammar: Grammar
                        ) -> Mapping[tuple[Context, ProductionRef], float]: ...


class UniformGuide:
    """Every production costs its own size: enumeration by term size."""

    name = "none"

    def weights(self, problem: Problem, function: SynthFun, grammar: Grammar) -> Mapping[ProductionRef, float]:
        return {}

    def context_weights(self, problem: Problem, function: SynthFun, grammar: Grammar
                        ) -> Mapping[tuple[Context, ProductionRef], float]:
        return {}


@dataclass
class Rule:
    """One compiled production of non-terminal ``nt``."""

    nt: str
    ref: ProductionRef
    holes: tuple[str, ...]  # the non-terminal of each hole, left to right
    cost: int
    vec: Callable[..., Vector] | None  # child vectors -> vector (None for a leaf: see ``leaf``)
    build: Callable[[Sequence[Term]], Term]
    leaf: Term | None = None  # hole-free production: its term
    commutative: bool = False  # two holes of the same non-terminal whose order does not matter
    is_ite: bool = False  # (ite B X X) with X == nt


@dataclass
class CompiledGrammar:
    function: SynthFun
    grammar: Grammar
    rules: dict[str, list[Rule]] = field(default_factory=dict)  # by non-terminal
    start: str = ""
    finite: bool = False  # no recursion among the reachable non-terminals and no (Constant S)
    sorts: dict[str, Sort] = field(default_factory=dict)
    value_model: Any = None  # the guide's recursa.synth.values.ValueModel (None: values are never delayed)
    copies: dict[str, str] = field(default_factory=dict)  # context copy of a non-terminal -> the non-terminal
    deltas: dict[str, list[int]] = field(default_factory=dict)  # copy -> extra cost of a term by its root rule

    def base(self, nt: str) -> str:
        """The grammar's own non-terminal ``nt`` stands for (itself, or what a context copy copies): a copy
        derives the same terms at other costs."""
        return self.copies.get(nt, nt)

    def value_scorer(self, examples: Any) -> Any:
        """The guide's value scorer bound to one round's ``examples`` (None without a model or demanded
        outputs); :mod:`recursa.synth.values`, and numpy with it, is imported only when a model is there."""
        if self.value_model is None:
            return None
        from recursa.synth.values import scorer_for

        return scorer_for(self, examples)

    def ite_rule(self) -> Rule | None:
        for r in self.rules[self.start]:
            if r.is_ite:
                return r
        return None


_COMMUTATIVE = frozenset({"+", "*", "and", "or", "=", "distinct", "xor", "bvand", "bvor", "bvxor", "bvadd",
                          "bvmul", "bvnand", "bvnor", "bvxnor", "bvcomp"})


def production_text(prod: Any) -> str:
    """A production as its :class:`ProductionRef` names it: SMT-LIB text, or ``(Constant S)`` / ``(Variable S)``."""
    if isinstance(prod, AnyConstant):
        return f"(Constant {prod.sort})"
    if isinstance(prod, AnyVariable):
        return f"(Variable {prod.sort})"
    return to_smtlib(prod)


def _hole_name(i: int) -> str:
    return f"\x00hole{i}"  # cannot clash with an SMT-LIB symbol


def _replace_vars(term: Term, replace: Callable[[Var], Term]) -> Term:
    """A copy of ``term`` with every variable occurrence replaced by ``replace(var)``, visited left to right
    (iteratively; a shared Var object is visited once per occurrence)."""
    stack: list[tuple[Term, list[Term]]] = [(term, [])]  # (node, rebuilt children so far)
    out: Term | None = None
    while stack:
        node, kids = stack[-1]
        if isinstance(node, App) and len(kids) < len(node.args):
            stack.append((node.args[len(kids)], []))
            continue
        stack.pop()
        if isinstance(node, Var):
            new = replace(node)
        elif isinstance(node, App):
            new = App(node.op, tuple(kids), node.sort, node.indices)
        else:
            new = node
        if stack:
            stack[-1][1].append(new)
        else:
            out = new
    assert out is not None
    return out


def _number_holes(template: Term, nts: Mapping[str, NonTerminal]) -> tuple[Term, tuple[str, ...]]:
    """Copy ``template`` with each non-terminal occurrence replaced by a distinct hole variable (a reader may
    share one Var object between occurrences, so occurrences are counted, not objects)."""
    holes: list[str] = []

    def hole(var: Var) -> Term:
        if var.name not in nts:
            return var
        holes.append(var.name)
        return Var(_hole_name(len(holes) - 1), var.sort)

    return _replace_vars(template, hole), tuple(holes)


def _substitute(template: Term, children: Sequence[Term]) -> Term:
    """``template`` with hole ``i`` replaced by ``children[i]`` (iterative)."""
    return _replace_vars(template, lambda v: children[int(v.name[5:])] if v.name.startswith("\x00hole") else v)


def _template_vector(template: Term, n_holes: int, definitions: Mapping[str, Callable]) -> Callable[..., Vector]:
    """Vector function of a nested template: evaluate it pointwise with the holes bound."""
    names = [_hole_name(i) for i in range(n_holes)]

    def vec(*children: Vector) -> Vector:
        out = []
        for vals in zip(*children):
            out.append(evaluate(template, dict(zip(names, vals)), definitions))
        return tuple(out)

    return vec


def spec_constants(problem: Problem, sort: Sort, examples: bool = True) -> list[int | bool]:
    """Literals of ``sort`` in the constraints and definitions (``(- 7)`` counts as -7), in first-seen order.

    ``examples`` False leaves out ground constraints (PBE examples): their literals are inputs and outputs,
    and as leaves of a default grammar they let the search fit each example with its own constant."""
    seen: dict[int | bool, None] = {}
    cons = [c for c in problem.constraints
            if examples or any(isinstance(n, Var) for n in postorder(c))]
    bodies = cons + [d.body for d in problem.definitions.values()]
    for body in bodies:
        for node in postorder(body):
            if isinstance(node, Lit) and node.sort == sort:
                seen.setdefault(node.value, None)
            elif (isinstance(node, App) and node.op == "-" and len(node.args) == 1
                  and isinstance(node.args[0], Lit) and sort == INT):
                seen.setdefault(-int(node.args[0].value), None)
    return list(seen)


def _literal(value: int | bool, sort: Sort) -> Term:
    return Lit(value, sort)


def default_grammar(problem: Problem, fn: SynthFun) -> Grammar:
    """The grammar used when a synth-fun gives none: the logic's usual operators over the parameters.

    LIA: parameters, the spec's constants (not a PBE file's example values) with 0 and 1, ``+ -``, and
    multiplication, ``div`` and ``mod`` by a non-zero constant, ``ite`` over comparisons joined by ``and or
    not``. BV: parameters, constants, the bit-vector operators, ``ite`` over unsigned/signed comparisons."""
    sort = fn.sort
    value_sort = sort
    if sort == BOOL:
        # A Bool function still compares values: take the sort of the first non-Bool parameter (Int if none).
        value_sort = next((s for _, s in fn.params if s != BOOL), INT)
    if value_sort != INT and not value_sort.is_bv:
        raise UnsupportedGrammar(f"no default grammar for a function of sort {sort} without a grammar")
    S = Var("S", value_sort)
    B = Var("B", BOOL)
    params = [Var(n, s) for n, s in fn.params]
    consts = spec_constants(problem, value_sort, examples=False)
    for c in (0, 1):
        if c not in consts:
            consts.append(c)
    consts = consts[:12]  # a spec with hundreds of literals would otherwise flood the leaves
    s_prods: list = [p for p in params if p.sort == value_sort] + [_literal(c, value_sort) for c in consts]
    b_prods: list = [p for p in params if p.sort == BOOL]
    nts: list[NonTerminal] = []
    if value_sort == INT:
        s_prods += [App("+", (S, S), INT), App("-", (S, S), INT)]
        # K: the non-trivial constants, and always 2 (halving and parity are the usual uses of div/mod)
        mult = [c for c in consts if c not in (0, 1)]
        if 2 not in mult:
            mult.append(2)
        K = Var("K", INT)
        s_prods += [App("*", (K, S), INT), App("div", (S, K), INT), App("mod", (S, K), INT)]
        nts.append(NonTerminal("K", INT, tuple(_literal(c, INT) for c in mult)))
        s_prods.append(App("ite", (B, S, S), INT))
        b_prods += [App("<=", (S, S), BOOL), App("<", (S, S), BOOL), App("=", (S, S), BOOL)]
    else:
        for op in ("bvnot", "bvneg"):
            s_prods.append(App(op, (S,), value_sort))
        for op in ("bvand", "bvor", "bvxor", "bvadd", "bvsub", "bvmul", "bvshl", "bvlshr", "bvashr", "bvudiv",
                   "bvurem"):
            s_prods.append(App(op, (S, S), value_sort))
        s_prods.append(App("ite", (B, S, S), value_sort))
        b_prods += [App("bvult", (S, S), BOOL), App("bvslt", (S, S), BOOL), App("=", (S, S), BOOL)]
    b_prods += [App("and", (B, B), BOOL), App("or", (B, B), BOOL), App("not", (B,), BOOL)]
    s_nt = NonTerminal("S", value_sort, tuple(s_prods))
    b_nt = NonTerminal("B", BOOL, tuple(b_prods))
    order = [b_nt, s_nt] if sort == BOOL else [s_nt, b_nt]
    return Grammar(tuple(order + nts))


def compile_grammar(problem: Problem, fn: SynthFun, guide: Guide | None = None,
                    definitions: Mapping[str, Callable] | None = None) -> CompiledGrammar:
    """Compile ``fn``'s grammar (or the default one) into :class:`Rule` lists, costed by ``guide``."""
    grammar = fn.grammar or default_grammar(problem, fn)
    definitions = definitions or {}
    nts = {nt.name: nt for nt in grammar.nonterminals}
    weights = dict((guide or UniformGuide()).weights(problem, fn, grammar))
    cg = CompiledGrammar(function=fn, grammar=grammar, start=grammar.start.name,
                         value_model=getattr(guide, "value_model", None))
    has_any_constant = False
    for nt in grammar.nonterminals:
        cg.sorts[nt.name] = nt.sort
        rules: list[Rule] = []
        for index, prod in enumerate(nt.productions):
            if isinstance(prod, AnyConstant):
                has_any_constant = True
                ref = ProductionRef(nt.name, index, production_text(prod))
                consts = _grammar_constants(problem, grammar, prod.sort)
                for c in consts:
                    lit = _literal(c, prod.sort)
                    rules.append(_leaf_rule(nt.name, ref, lit, weights))
                continue
            if isinstance(prod, AnyVariable):
                ref = ProductionRef(nt.name, index, production_text(prod))
                for name, s in fn.params:
                    if s == prod.sort:
                        rules.append(_leaf_rule(nt.name, ref, Var(name, s), weights))
                continue
            template, holes = _number_holes(prod, nts)
            ref = ProductionRef(nt.name, index, to_smtlib(prod))
            if not holes:
                rules.append(_leaf_rule(nt.name, ref, prod, weights))
                continue
            n_nodes = sum(1 for node in postorder(template)
                          if not (isinstance(node, Var) and node.name.startswith("\x00hole")))
            cost = _cost(ref, n_nodes, weights)
            direct = isinstance(template, App) and template.op not in definitions and all(
                isinstance(a, Var) and a.name.startswith("\x00hole") for a in template.args)
            if direct:
                assert isinstance(template, App)
                vec = vector_op(template)
                op, sort, indices = template.op, template.sort, template.indices

                def build(kids: Sequence[Term], _op: str = op, _s: Sort = sort, _ix: tuple = indices) -> Term:
                    return App(_op, tuple(kids), _s, _ix)
            else:
                vec = _template_vector(template, len(holes), definitions)

                def build(kids: Sequence[Term], _t: Term = template) -> Term:
                    return _substitute(_t, kids)
            commutative = (direct and len(holes) == 2 and holes[0] == holes[1]
                           and isinstance(template, App) and template.op in _COMMUTATIVE)
            is_ite = (direct and isinstance(template, App) and template.op == "ite" and len(holes) == 3
                      and holes[1] == nt.name and holes[2] == nt.name)
            rules.append(Rule(nt.name, ref, holes, cost, vec, build, commutative=commutative, is_ite=is_ite))
        cg.rules[nt.name] = rules
    ctx_weights = getattr(guide, "context_weights", None) if guide is not None else None
    if ctx_weights is not None:
        _specialise(cg, dict(ctx_weights(problem, fn, grammar)))
    cg.finite = not has_any_constant and not _recursive(cg)
    return cg


def _specialise(cg: CompiledGrammar, costs: Mapping[tuple[Context, ProductionRef], float]) -> None:
    """Context costs (a grammar annotated with its parent production, as in a parent-conditioned probabilistic
    grammar): each argument position of a non-terminal that has context costs anywhere gets its own copy of
    that non-terminal, with the costs of its context (a position without a table keeps the plain costs).

    A copy is not enumerated on its own: it derives the same terms as the non-terminal it copies, and only the
    cost of a term's root production depends on the context. So the non-terminal's rules cost the least they
    cost in any of its contexts, its one bank is built at those costs, and each copy is a view of that bank in
    which a term whose root is rule ``i`` costs ``deltas[copy][i]`` more (:class:`recursa.synth.enumerate.
    Enumerator`). A copy's rules keep their production refs, so their own argument positions find their
    contexts too."""
    if not costs:
        return
    by_context: dict[Context, dict[ProductionRef, float]] = {}
    for (context, child), w in costs.items():
        by_context.setdefault(context, {})[child] = w
    base = {nt: list(rules) for nt, rules in cg.rules.items()}
    copied = {child_nt for rules in base.values() for rule in rules for pos, child_nt in enumerate(rule.holes)
              if Context(rule.ref, pos) in by_context}
    # Pass 1: one copy of the child non-terminal per argument position, where that non-terminal has contexts.
    for rules in base.values():
        for rule in rules:
            for pos, child_nt in enumerate(rule.holes):
                if child_nt not in copied:
                    continue
                table = by_context.get(Context(rule.ref, pos), {})
                name = f"{child_nt}@{rule.ref.nonterminal}.{rule.ref.index}.{pos}"
                if name not in cg.rules:
                    cg.copies[name] = child_nt
                    cg.rules[name] = [replace(r, nt=name, cost=max(1, round(table[r.ref])) if r.ref in table
                                              else r.cost) for r in base[child_nt]]
                    cg.sorts[name] = cg.sorts[child_nt]
    # Pass 2: every rule (copies too, so nested uses keep their context) points its holes at the copies.
    for rules in cg.rules.values():
        for rule in rules:
            holes = tuple(f"{h}@{rule.ref.nonterminal}.{rule.ref.index}.{pos}" if h in copied else h
                          for pos, h in enumerate(rule.holes))
            rule.holes = holes
    # Pass 3: the shared bank at the least cost of each rule, and each copy's extra cost per rule.
    for nt in copied:
        views = [name for name, of in cg.copies.items() if of == nt]
        for i, rule in enumerate(cg.rules[nt]):
            rule.cost = min([rule.cost] + [cg.rules[v][i].cost for v in views])
        for v in views:
            cg.deltas[v] = [r.cost - b.cost for r, b in zip(cg.rules[v], cg.rules[nt])]
    # Two argument positions whose views price alike still build each unordered pair once.
    for rules in cg.rules.values():
        for rule in rules:
            if rule.commutative and rule.holes[0] != rule.holes[1]:
                a, b = rule.holes
                rule.commutative = cg.base(a) == cg.base(b) and cg.deltas.get(a) == cg.deltas.get(b)


def _grammar_constants(problem: Problem, grammar: Grammar, sort: Sort) -> list[int | bool]:
    if sort == BOOL:
        return [False, True]
    consts = spec_constants(problem, sort)
    for nt in grammar.nonterminals:
        for prod in nt.productions:
            if isinstance(prod, Lit) and prod.sort == sort and prod.value not in consts:
                consts.append(prod.value)
    for c in (0, 1):
        if c not in consts:
            consts.append(c)
    return consts


def _cost(ref: ProductionRef, size: int, weights: Mapping[ProductionRef, float]) -> int:
    w = weights.get(ref)
    return size if w is None else max(1, round(w))


def _leaf_rule(nt: str, ref: ProductionRef, term: Term, weights: Mapping[ProductionRef, float]) -> Rule:
    return Rule(nt, ref, (), _cost(ref, len(postorder(term)), weights), None, lambda kids, _t=term: _t, leaf=term)


def _recursive(cg: CompiledGrammar) -> bool:
    """Whether a non-terminal reachable from the start can derive itself (then the grammar is infinite)."""
    edges = {nt: {h for r in rules for h in r.holes} for nt, rules in cg.rules.items()}
    # DFS with colours, iteratively
    colour: dict[str, int] = {}
    stack: list[tuple[str, list[str]]] = [(cg.start, sorted(edges.get(cg.start, ())))]
    colour[cg.start] = 1
    while stack:
        node, todo = stack[-1]
        if not todo:
            colour[node] = 2
            stack.pop()
            continue
        nxt = todo.pop()
        c = colour.get(nxt, 0)
        if c == 1:
            return True
        if c == 0:
            colour[nxt] = 1
            stack.append((nxt, sorted(edges.get(nxt, ()))))
    return False


def leaf_vector(term: Term, inputs: Sequence[Mapping[str, object]], definitions: Mapping[str, Callable]) -> Vector:
    """A hole-free production's values on every input point (raises :class:`UndefinedValue`)."""
    return tuple(evaluate(term, env, definitions) for env in inputs)


__all__ = ["CompiledGrammar", "Context", "Guide", "ProductionRef", "Rule", "UndefinedValue", "UniformGuide",
           "UnsupportedGrammar", "compile_grammar", "default_grammar", "leaf_vector", "spec_constants"]
