"""Equalities from data: every linear and polynomial equality (up to degree 3) the loop-head states satisfy.

Guess-and-check in the style of Sharma et al.'s data-driven algebraic invariants: the states seen at a loop
head form the rows of a matrix whose columns are the monomials over the live integer variables (``1``,
``i``, ``i*i``, ``i*j``, ...); every vector of its null space is an equality ``Σ c_m·m == 0`` that holds on
all the data. The null space is computed exactly (integer, fraction-free Gauss-Jordan elimination, rows kept
gcd-reduced), so big values never round. Each basis vector becomes a candidate equality that the ICE loop
checks with Z3 like any other; a wrong guess (too little data) is refuted by a counterexample, and the next
generation round recomputes the null space with that state included.

A monomial is written as a "variable" of an :class:`~recursa.refine.candidates.Atom`: the names of its
factors joined by ``*`` (``"i*i"``); :mod:`recursa.refine.candidates` evaluates and encodes such names.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from math import comb, gcd

import numpy as np

from recursa.refine.candidates import Atom, Candidate

#: At most this many monomials (matrix columns): the degree is lowered until the count fits.
MAX_MONOMIALS = 60
MAX_DEGREE = 3
#: Distinct samples used per monomial (more rows than columns, so that a relation is not a fit to too
#: few points); the elimination cost grows with rows x columns^2.
ROWS_PER_MONOMIAL = 2
RULE = "algebraic"
#: A basis relation with a larger coefficient is taken for a fit to too little variety in the data (the
#: relation of a variable that took few values, mixed into others), not a program invariant; real loop
#: invariants have small coefficients (``6*s == 2*n*n*n + 3*n*n + n``).
MAX_COEFFICIENT = 64
#: At most this many equalities per head (lowest degree first).
MAX_EQUALITIES = 8

Monomial = tuple[int, ...]  # sorted variable indices; () is the constant 1


def degree_for(n_vars: int, n_rows: int, max_degree: int = MAX_DEGREE, max_monomials: int = MAX_MONOMIALS) -> int:
    """The highest degree whose monomial count fits the cap, with ``ROWS_PER_MONOMIAL`` distinct samples per
    monomial, one more for cubic terms (most fits to sparse data are cubic); 0 when not even linear
    equalities can be learned."""
    for d in range(max_degree, 0, -1):
        m = comb(n_vars + d, d)
        if m <= max_monomials and n_rows >= ROWS_PER_MONOMIAL * m + (m if d == 3 else 0):
            return d
    return 0


def monomials(n_vars: int, degree: int) -> list[Monomial]:
    """All monomials up to ``degree``, ascending by degree (1 first): elimination then expresses each
    higher monomial through lower ones, which keeps the basis relations small and separate."""
    out: list[Monomial] = []
    for d in range(degree + 1):
        out.extend(itertools.combinations_with_replacement(range(n_vars), d))
    return out


def _normalise(row: list[int]) -> list[int]:
    g = 0
    for x in row:
        if x:
            g = gcd(g, x)
    if g > 1:
        row = [x // g for x in row]
    return row


class _Echelon:
    """Integer rows in reduced echelon form (fraction-free: each row is gcd-reduced)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: dict[int, list[int]] = {}  # pivot column -> row (row[pivot] > 0)

    def reduce(self, row: list[int]) -> list[int]:
        row = list(row)
        for p, r in self.rows.items():
            a = row[p]
            if a:
                b = r[p]
                row = [x * b - y * a for x, y in zip(row, r)]
        return row

    def add(self, row: list[int]) -> bool:
        """Insert ``row`` (reduced first); False when it is already in the span."""
        row = self.reduce(row)
        pivot = next((j for j, x in enumerate(row) if x), None)
        if pivot is None:
            return False
        row = _normalise(row)
        if row[pivot] < 0:
            row = [-x for x in row]
        for p, r in list(self.rows.items()):  # keep the form reduced: clear the new pivot column elsewhere
            a = r[pivot]
            if a:
                self.rows[p] = _normalise([x * row[pivot] - y * a for x, y in zip(r, row)])
        self.rows[pivot] = row
        return True

    def null_space(self) -> list[list[int]]:
        """A basis of the vectors ``v`` with ``row · v == 0`` for every row; one per free column, which has
        the only entry among free columns."""
        free = [j for j in range(self.width) if j not in self.rows]
        out = []
        for f in free:
            # v[f] = L, v[p] = -r[f] * L / r[p] for each pivot row; L = lcm of the pivots makes it integral
            lcm = 1
            for p, r in self.rows.items():
                if r[f]:
                    lcm = lcm * r[p] // gcd(lcm, r[p])
            v = [0] * self.width
            v[f] = lcm
            for p, r in self.rows.items():
                if r[f]:
                    v[p] = -r[f] * lcm // r[p]
            out.append(_normalise(v))
        return out


def equalities(variables: Sequence[str], rows: np.ndarray, max_degree: int = MAX_DEGREE,
               max_monomials: int = MAX_MONOMIALS) -> list[Candidate]:
    """Candidate equalities holding on every row of ``rows`` (``[n, len(variables)]`` integer states).

    Relations implied by lower-degree ones (``i*k == 3*i*i`` when ``k == 3*i`` is already there) are left
    out: they add non-linear terms to the solver's queries without adding information."""
    n = len(variables)
    if n == 0 or rows.shape[0] == 0:
        return []
    distinct = list(dict.fromkeys(tuple(int(x) for x in r) for r in rows))
    degree = degree_for(n, len(distinct), max_degree, max_monomials)
    if degree == 0:
        return []
    # a variable that took k distinct values satisfies a univariate polynomial of degree k: allow it powers
    # below k - 1 only (the first power always), so that such fits do not become "invariants"
    values = [len({s[i] for s in distinct}) for i in range(n)]
    monos = [m for m in monomials(n, degree) if all(m.count(i) < max(values[i] - 1, 2) for i in set(m))]
    width = len(monos)
    limit = ROWS_PER_MONOMIAL * width
    if len(distinct) > limit:  # spread the kept samples over the data (early, late and in between)
        step = len(distinct) / limit
        distinct = [distinct[int(k * step)] for k in range(limit)]
    ech = _Echelon(width)
    for s in distinct:
        vals = []
        for m in monos:
            v = 1
            for i in m:
                v *= s[i]
            vals.append(v)
        ech.add(vals)
        if len(ech.rows) == width:
            return []  # full rank: no equality at all
    basis = ech.null_space()
    index = {m: j for j, m in enumerate(monos)}

    def deg(v: list[int]) -> int:
        return max((len(monos[j]) for j, x in enumerate(v) if x), default=0)

    implied = _Echelon(width)
    out: list[Candidate] = []
    for v in sorted(basis, key=deg):
        if deg(v) == 0 or not any(implied.reduce(v)):
            continue
        atom = _atom(v, monos, variables)
        if atom is not None and max(abs(c) for c in v) <= MAX_COEFFICIENT and len(out) < MAX_EQUALITIES:
            out.append(Candidate((atom,), RULE))
        d = deg(v)
        for extra in monomials(n, degree - d):  # v times every monomial that keeps the degree in range
            w = [0] * width
            for j, x in enumerate(v):
                if x:
                    k = index.get(tuple(sorted(monos[j] + extra)))
                    if k is None:  # a power left out above: this product is not representable
                        break
                    w[k] = x
            else:
                implied.add(w)
    return out


def monomial_name(m: Monomial, variables: Sequence[str]) -> str:
    return "*".join(variables[i] for i in m)


def _atom(v: list[int], monos: list[Monomial], variables: Sequence[str]) -> Atom | None:
    """``Σ v_m·m == 0`` as an atom ``Σ c·name == const``, first coefficient positive."""
    terms = [(monomial_name(m, variables), x) for m, x in zip(monos, v) if x and m]
    if not terms:
        return None
    const = -v[0]
    # higher degree first reads naturally (i*i == s); keep a stable order for equal atoms
    terms.sort(key=lambda t: (-t[0].count("*"), t[0]))
    if terms[0][1] < 0:
        terms = [(name, -c) for name, c in terms]
        const = -const
    return Atom(tuple(terms), "eq", const)


def is_polynomial(atom: Atom) -> bool:
    """True when the atom has a non-linear monomial (its solver queries are non-linear)."""
    return any("*" in v for v, _ in atom.coeffs)
