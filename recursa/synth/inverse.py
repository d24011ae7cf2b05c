"""Finishing a term from the top: when every example has a demanded output ``o``, a new value ``v`` of the
start symbol and an invertible operator of the grammar name the one partner value that would complete it
(``o - v`` for ``(+ S S)``, ``o xor v`` for ``(bvxor S S)``, ...). If the search already holds a term with that
value, ``(op v partner)`` is an answer on the examples, found as soon as its larger half is built instead of
after every term up to the size of the whole (a meet-in-the-middle step, as in bidirectional enumeration).

Each partner computed counts as a candidate. The answer still goes through the examples check, the Z3 check
and the final re-check like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from recursa.symbolic.concrete import UndefinedValue
from recursa.symbolic.terms import App, Term, Var
from recursa.synth.enumerate import Budget
from recursa.synth.evaluate import Vector
from recursa.synth.examples import Examples
from recursa.synth.grammar import CompiledGrammar, Rule

# op -> (partner when v is the left argument, partner when v is the right one), as a function of the demanded
# outputs ``o``, the value ``v`` and the bit mask (None for Int); None: that side is not used
Partner = Callable[[Sequence[int], Vector, "int | None"], Vector]


def _sub_left(o: Sequence[int], v: Vector, m: int | None) -> Vector:  # (op v w) = o with op = -: w = v - o
    return tuple([b - a for a, b in zip(o, v)]) if m is None else tuple([(b - a) & m for a, b in zip(o, v)])


def _add(o: Sequence[int], v: Vector, m: int | None) -> Vector:  # (+ v w) = o: w = o - v
    return tuple([a - b for a, b in zip(o, v)]) if m is None else tuple([(a - b) & m for a, b in zip(o, v)])


def _sub_right(o: Sequence[int], v: Vector, m: int | None) -> Vector:  # (- w v) = o: w = o + v
    return tuple([a + b for a, b in zip(o, v)]) if m is None else tuple([(a + b) & m for a, b in zip(o, v)])


def _xor(o: Sequence[int], v: Vector, m: int | None) -> Vector:
    return tuple([a ^ b for a, b in zip(o, v)])


_SIDES: dict[str, tuple[Partner | None, Partner | None]] = {
    "+": (_add, None),  # commutative: one side is enough
    "-": (_sub_left, _sub_right),
    "bvadd": (_add, None),
    "bvsub": (_sub_left, _sub_right),
    "bvxor": (_xor, None),
}


MAX_BANK = 1_000_000  # values kept as partners (a dict entry each, beside the enumerator's own bank)


class Completer:
    """Completes start-symbol values into answers through the grammar's invertible binary operators."""

    def __init__(self, grammar: CompiledGrammar, outputs: Sequence[Any], budget: Budget) -> None:
        self.outputs = tuple(outputs)
        self.budget = budget
        self.bank: dict[Vector, Term] = {}
        sort = grammar.function.sort
        self.mask = (1 << sort.width) - 1 if sort.is_bv else None
        nts = {nt.name: nt for nt in grammar.grammar.nonterminals}
        self.moves: list[tuple[Rule, Partner, bool]] = []
        for rule in grammar.rules[grammar.start]:
            prod = nts[rule.nt].productions[rule.ref.index]
            if not (isinstance(prod, App) and len(rule.holes) == 2 and rule.vec is not None
                    and all(grammar.base(h) == grammar.start for h in rule.holes)
                    and all(isinstance(a, Var) and a.name == grammar.start for a in prod.args)):
                continue
            sides = _SIDES.get(prod.op)
            if sides is None or (prod.op.startswith("bv") != sort.is_bv):
                continue
            for left, fn in zip((True, False), sides):
                if fn is not None:
                    self.moves.append((rule, fn, left))

    def complete(self, term: Term, vec: Vector) -> tuple[Term, Vector] | None:
        """An answer ``(op term partner)`` or ``(op partner term)`` on the examples, if the bank has the partner;
        then ``term`` joins the bank (call this once per new start-symbol value)."""
        out, mask = self.outputs, self.mask
        for rule, fn, left in self.moves:
            self.budget.candidates += 1
            want = fn(out, vec, mask)
            other = term if want == vec else self.bank.get(want)
            if other is None:
                continue
            kids = (term, other) if left else (other, term)
            vecs = (vec, want) if left else (want, vec)
            assert rule.vec is not None
            try:
                got = rule.vec(*vecs)
            except UndefinedValue:
                continue
            if got == self.outputs:
                return rule.build(kids), got
        if len(self.bank) < MAX_BANK:
            self.bank.setdefault(vec, term)
        return None


def completer_for(grammar: CompiledGrammar, examples: Examples, budget: Budget) -> Completer | None:
    """A completer when every input has a demanded output and the grammar has an invertible operator."""
    sort = grammar.function.sort
    outputs = examples.outputs()
    if outputs is None or not (sort.is_bv or sort.name == "Int"):
        return None
    c = Completer(grammar, outputs, budget)
    return c if c.moves else None


__all__ = ["Completer", "completer_for"]
