"""Linear fitting: when the spec fixes the output on every point, try ``c0 + c1*x1 + ... + ck*xk`` first.

Enumeration reaches ``(+ x (* (- 2) y) (* 3 z) (- 3))`` only after millions of terms; solving the examples as a
linear system (exact rational Gaussian elimination) finds it at once. Without a grammar the answer uses any
integer coefficient (the default grammar stands for every LIA term); with a grammar it is written with the
grammar's own ``+``, ``-``, parameters and ``1`` (``5x`` as doublings and additions). Either way the result
is an ordinary CEGIS candidate, verified by Z3 like any other.
"""

from __future__ import annotations

from fractions import Fraction

from recursa.symbolic.terms import INT, App, Lit, Term, Var
from recursa.synth.examples import Examples
from recursa.synth.grammar import CompiledGrammar


def reduce_rows(m: list[list[Fraction]], ncols: int) -> list[int]:
    """Bring ``m`` to reduced row echelon form in place (exact rational Gaussian elimination), pivoting on its
    first ``ncols`` columns; returns the pivot columns (row ``i`` holds the pivot of column ``pivots[i]``)."""
    pivots: list[int] = []
    for col in range(ncols):
        r = len(pivots)
        if r == len(m):
            break
        p = next((i for i in range(r, len(m)) if m[i][col] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        inv = 1 / m[r][col]
        m[r] = [v * inv for v in m[r]]
        for i in range(len(m)):
            if i != r and m[i][col] != 0:
                f = m[i][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(col)
    return pivots


def _solve(rows: list[list[Fraction]], rhs: list[Fraction], ncols: int) -> list[Fraction] | None:
    """One solution of ``rows @ c == rhs`` (free variables 0), or None when the system is inconsistent."""
    m = [r[:] + [b] for r, b in zip(rows, rhs)]
    pivots = reduce_rows(m, ncols)
    if any(m[i][ncols] != 0 for i in range(len(pivots), len(m))):
        return None
    sol = [Fraction(0)] * ncols
    for i, col in enumerate(pivots):
        sol[col] = m[i][ncols]
    return sol


def linear_coefficients(ex: Examples) -> list[int] | None:
    """Integer ``[c0, c1, ..., ck]`` with ``c0 + sum ci*xi`` equal to every demanded output, or None."""
    fn = ex.fn
    if fn.sort != INT or any(s != INT for _, s in fn.params) or not ex.pointwise:
        return None
    relevant = [i for i, free in enumerate(ex.dont_care()) if not free]
    if not relevant or any(i not in ex.targets for i in relevant):
        return None
    k = len(fn.params)
    rows = [[Fraction(1)] + [Fraction(v) for v in ex.inputs[i]] for i in relevant]
    rhs = [Fraction(ex.targets[i]) for i in relevant]
    sol = _solve(rows, rhs, k + 1)
    if sol is None or any(c.denominator != 1 for c in sol):
        return None
    return [int(c) for c in sol]


def fit_linear(ex: Examples) -> Term | None:
    """A linear term over the function's Int parameters matching every demanded output, in plain LIA."""
    coeffs = linear_coefficients(ex)
    if coeffs is None:
        return None
    parts: list[Term] = []
    for (name, _), c in zip(ex.fn.params, coeffs[1:]):
        if c == 0:
            continue
        x = Var(name, INT)
        parts.append(x if c == 1 else App("*", (Lit(c, INT), x), INT))
    if coeffs[0] != 0 or not parts:
        parts.append(Lit(coeffs[0], INT))
    term = parts[0]
    for p in parts[1:]:
        term = App("+", (term, p), INT)
    return term


def fit_linear_in_grammar(ex: Examples, grammar: CompiledGrammar, limit: int = 4096) -> Term | None:
    """The same fit written with the grammar's own ``(+ S S)``, ``(- S S)``, parameter and ``1`` (or ``0``)
    productions of the start symbol: ``c*x`` by doubling. None when the grammar lacks one of them or a
    coefficient exceeds ``limit`` (the printed answer grows with it)."""
    start = grammar.start
    rules = grammar.rules[start]
    plus = minus = None
    leaves: dict[tuple[str, object], Term] = {}
    for r in rules:
        if r.leaf is not None:
            if isinstance(r.leaf, Var):
                leaves[("v", r.leaf.name)] = r.leaf
            elif isinstance(r.leaf, Lit):
                leaves[("l", r.leaf.value)] = r.leaf
        elif tuple(map(grammar.base, r.holes)) == (start, start) and r.ref.text.startswith("(+ "):
            plus = r
        elif tuple(map(grammar.base, r.holes)) == (start, start) and r.ref.text.startswith("(- "):
            minus = r
    if plus is None or minus is None or ("l", 1) not in leaves:
        return None
    coeffs = linear_coefficients(ex)
    if coeffs is None or any(abs(c) > limit for c in coeffs):
        return None
    one = leaves[("l", 1)]

    def times(n: int, t: Term) -> Term:
        bits = bin(n)[3:]  # after the leading 1: double, then add t where the bit is set
        acc = t
        for b in bits:
            acc = plus.build((acc, acc))
            if b == "1":
                acc = plus.build((acc, t))
        return acc

    pos: list[Term] = []
    neg: list[Term] = []
    for key, c in [(("v", n), c) for (n, _), c in zip(ex.fn.params, coeffs[1:])] + [(None, coeffs[0])]:
        if c == 0:
            continue
        base = one if key is None else leaves.get(key)
        if base is None:
            return None
        (pos if c > 0 else neg).append(times(abs(c), base))
    if not pos:
        zero = leaves.get(("l", 0))
        if zero is None:
            return None
        pos.append(zero)
    acc = pos[0]
    for t in pos[1:]:
        acc = plus.build((acc, t))
    for t in neg:
        acc = minus.build((acc, t))
    return acc
