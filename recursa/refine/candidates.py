"""Candidate invariants: linear atoms and their 2-clauses, evaluated on example states and built in Z3.

An :class:`Atom` is ``Σ coef·var  op  const`` with ``op`` one of ``==``, ``<=``, ``>=`` over integer
variables, or a boolean variable's literal (``b`` / ``!b``). Under machine integers an *unsigned* atom compares
two sides as unsigned 32-bit values: its positive terms on the left, its negated negative terms plus the
constant on the right (``i - n <= 0`` unsigned reads ``i <= n`` as C's ``unsigned`` comparison; it is not
``i - n <=u 0``), with the strict ``<`` and ``>`` as well so that every unsigned atom has a negation.
A :class:`Candidate` is a disjunction of one or two atoms; conjunctions arise from keeping many candidates at
once (Houdini). A "variable" of an atom may also be a monomial, the names of its factors joined by ``*``
(``i*i``, from :mod:`recursa.refine.algebraic`): it is evaluated exactly on Python integers and built in Z3 as the
product of its factors.

Evaluation on example states is vectorised (numpy); under machine integers the linear form wraps to 32
bits exactly as Z3's bit-vector arithmetic does, so data and solver agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd
from typing import Any

import numpy as np
import z3

from recursa.symbolic.interp import wrap
from recursa.symbolic.ir import Binary, Const, Expr, Sort, Unary, Var, fold
from recursa.symbolic.transition import Encoder

OPS = ("eq", "le", "ge")
#: Joins the factors of a monomial used as an atom's "variable" (``i*j``; identifiers never contain it).
MONOMIAL_SEP = "*"
OP_TEXT = {"eq": "==", "le": "<=", "ge": ">=", "lt": "<", "gt": ">"}
#: Comparisons of unsigned atoms (C's ``<= >= < >`` on ``unsigned`` values) and their negations.
UNSIGNED_OPS = ("le", "ge", "lt", "gt")
_UNSIGNED_NEGATION = {"le": "gt", "gt": "le", "ge": "lt", "lt": "ge"}
#: Unsigned 32-bit values: bit patterns are masked with this.
UNSIGNED_MASK = 0xFFFFFFFF
#: Example values beyond this magnitude are left out of the data (they would overflow int64 products).
VALUE_LIMIT = 1 << 40
#: Coefficients and constants up to this magnitude keep the int64 fast path (|Σ coef·value| stays far below
#: 2**63 for states within VALUE_LIMIT); anything larger (``x != 2**64`` in a program) is evaluated exactly
#: on Python integers (object arrays).
INT64_SAFE = 1 << 20


def linear_values(mat: list[list[int]], data: np.ndarray, machine: bool) -> np.ndarray:
    """``data @ mat.T`` for the coefficient rows ``mat``, exact for coefficients of any size.

    int64 when every coefficient is small (the usual case), an object array of Python ints otherwise."""
    small = all(-INT64_SAFE < c < INT64_SAFE for row in mat for c in row)
    dtype: Any = np.int64 if small else object
    m = np.array(mat, dtype=dtype).reshape(len(mat), data.shape[1])
    vals = (data if small else data.astype(object)) @ m.T
    if machine:
        vals = ((vals + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
    return vals


@dataclass(frozen=True)
class Atom:
    """``Σ coef·var op const``; a boolean literal is ``((b, 1),) eq 1`` (``b``) or ``eq 0`` (``!b``).

    With ``unsigned`` (machine integers only), ``L op R`` on unsigned 32-bit values, where ``L`` is the sum of
    the positive terms and ``R`` the negated negative terms plus ``const`` (``op`` in :data:`UNSIGNED_OPS`)."""

    coeffs: tuple[tuple[str, int], ...]
    op: str
    const: int
    boolean: bool = False
    unsigned: bool = False

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.coeffs)

    def negation(self) -> list[Atom]:
        """Atoms whose disjunction is the negation of this one."""
        if self.boolean:
            return [Atom(self.coeffs, "eq", 1 - self.const, True)]
        if self.unsigned:
            return [Atom(self.coeffs, _UNSIGNED_NEGATION[self.op], self.const, unsigned=True)]
        if self.op == "le":
            return [Atom(self.coeffs, "ge", self.const + 1)]
        if self.op == "ge":
            return [Atom(self.coeffs, "le", self.const - 1)]
        return [Atom(self.coeffs, "le", self.const - 1), Atom(self.coeffs, "ge", self.const + 1)]

    def text(self, show: dict[str, str] | None = None) -> str:
        name = (lambda v: show.get(v, v)) if show else (lambda v: v)
        if self.boolean:
            v = name(self.coeffs[0][0])
            return v if self.const else f"!{v}"
        if self.unsigned:
            return self._unsigned_text(name)
        pos = [(v, c) for v, c in self.coeffs if c > 0]
        negs = [(v, -c) for v, c in self.coeffs if c < 0]
        const, op = self.const, self.op
        if not pos:  # -x <= c reads better as x >= -c
            pos, negs, const = negs, [], -const
            op = {"eq": "eq", "le": "ge", "ge": "le"}[op]
        left = _terms(pos, name)
        if not negs:
            return f"{left} {OP_TEXT[op]} {const}"
        right = _terms(negs, name)
        if const:
            right = f"{right} {'+' if const > 0 else '-'} {abs(const)}"
        return f"{left} {OP_TEXT[op]} {right}"

    def _unsigned_text(self, name: object) -> str:
        """``L op R`` as written in C (the values are unsigned; a constant past 2**31 shows as ``- k``)."""
        left = _terms([(v, c) for v, c in self.coeffs if c > 0], name) or "0"
        right = _terms([(v, -c) for v, c in self.coeffs if c < 0], name)
        k = self.const & UNSIGNED_MASK
        signed_k = k - (1 << 32) if k >= 1 << 31 else k
        if not right:
            right = str(k)
        elif signed_k:
            right = f"{right} {'+' if signed_k > 0 else '-'} {abs(signed_k)}"
        return f"{left} {OP_TEXT[self.op]} {right}"


def _term(v: str, c: int, name: object) -> str:
    n = MONOMIAL_SEP.join(name(f) for f in v.split(MONOMIAL_SEP))  # type: ignore[operator]
    return n if c == 1 else f"{c}*{n}"


def _terms(terms: list[tuple[str, int]], name: object) -> str:
    return " + ".join(_term(v, c, name) for v, c in terms)


@dataclass(frozen=True)
class Candidate:
    """A clause: the disjunction of ``atoms`` (one or two)."""

    atoms: tuple[Atom, ...]
    rule: str = "atom"

    def text(self, show: dict[str, str] | None = None) -> str:
        return " || ".join(a.text(show) for a in self.atoms)

    @property
    def variables(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for a in self.atoms:
            for v in a.variables:
                seen[v] = None
        return tuple(seen)


def normalise(coeffs: dict[str, int], op: str, const: int, order: dict[str, int], machine: bool) -> Atom | None:
    """Canonical form (math semantics): gcd-reduced, first coefficient positive. None if vacuous/empty."""
    items = tuple(sorted(((v, c) for v, c in coeffs.items() if c), key=lambda p: order[p[0]]))
    if not items:
        return None
    if machine:
        return Atom(items, op, const)
    g = 0
    for _, c in items:
        g = gcd(g, abs(c))
    if items[0][1] < 0:
        items = tuple((v, -c) for v, c in items)
        const = -const
        op = {"eq": "eq", "le": "ge", "ge": "le"}[op]
    if g > 1:
        items = tuple((v, c // g) for v, c in items)
        if op == "eq":
            if const % g:
                return None
            const //= g
        elif op == "le":
            const = const // g
        else:
            const = -((-const) // g)
    return Atom(items, op, const)


# ---- evaluation on data -------------------------------------------------------------------------------


def atom_truth(atoms: Sequence[Atom], variables: Sequence[str], data: np.ndarray, machine: bool) -> np.ndarray:
    """``[n_examples, n_atoms]`` truth table of ``atoms`` on example states ``data[n_examples, n_vars]``."""
    n = data.shape[0]
    if not atoms:
        return np.zeros((n, 0), bool)
    if any(a.unsigned for a in atoms):
        return _mixed_truth(atoms, variables, data, machine)
    index = {v: i for i, v in enumerate(variables)}
    extra = list(dict.fromkeys(v for a in atoms for v, _ in a.coeffs if v not in index and MONOMIAL_SEP in v))
    if extra:  # monomial columns (``i*j``), exact on Python integers: products overflow int64
        cols = [data.astype(object)]
        for name in extra:
            col = np.ones(n, dtype=object)
            for factor in name.split(MONOMIAL_SEP):
                col = col * data[:, index[factor]].astype(object)
            cols.append(col.reshape(n, 1))
        data = np.hstack(cols) if n else np.zeros((0, len(variables) + len(extra)), dtype=object)
        variables = [*variables, *extra]
        index = {v: i for i, v in enumerate(variables)}
    mat = [[0] * len(variables) for _ in atoms]
    kind = np.zeros(len(atoms), np.int8)
    for j, a in enumerate(atoms):
        for v, c in a.coeffs:
            mat[j][index[v]] = c
        kind[j] = OPS.index(a.op)
    vals = linear_values(mat, data, machine) if not extra else _exact_values(mat, data, machine)
    # under machine integers a constant is a 32-bit value too (Z3 reads 4294967290 as -6)
    const_values = [wrap(a.const) if machine else a.const for a in atoms]
    big = vals.dtype == object or any(not -INT64_SAFE < k < INT64_SAFE for k in const_values)
    consts = np.array(const_values, dtype=object if big else np.int64)
    if big:
        vals = vals.astype(object)
    out = np.empty((n, len(atoms)), bool)
    eq, le, ge = kind == 0, kind == 1, kind == 2
    out[:, eq] = (vals[:, eq] == consts[eq]).astype(bool)
    out[:, le] = (vals[:, le] <= consts[le]).astype(bool)
    out[:, ge] = (vals[:, ge] >= consts[ge]).astype(bool)
    return out


def _mixed_truth(atoms: Sequence[Atom], variables: Sequence[str], data: np.ndarray, machine: bool) -> np.ndarray:
    """:func:`atom_truth` when some atoms are unsigned: those compare their two sides' 32-bit patterns."""
    out = np.empty((data.shape[0], len(atoms)), bool)
    plain = [j for j, a in enumerate(atoms) if not a.unsigned]
    if plain:
        out[:, plain] = atom_truth([atoms[j] for j in plain], variables, data, machine)
    uns = [j for j, a in enumerate(atoms) if a.unsigned]
    index = {v: i for i, v in enumerate(variables)}
    left = [[0] * len(variables) for _ in uns]
    right = [[0] * len(variables) for _ in uns]
    for row, j in enumerate(uns):
        for v, c in atoms[j].coeffs:
            if c > 0:
                left[row][index[v]] = c
            else:
                right[row][index[v]] = -c
    lv = linear_values(left, data, True).astype(object) & UNSIGNED_MASK
    rv = (linear_values(right, data, True).astype(object)
          + np.array([atoms[j].const for j in uns], dtype=object)) & UNSIGNED_MASK
    for row, j in enumerate(uns):
        lcol, rcol, op = lv[:, row], rv[:, row], atoms[j].op
        cmp = lcol <= rcol if op == "le" else lcol >= rcol if op == "ge" else lcol < rcol if op == "lt" else lcol > rcol
        out[:, j] = np.asarray(cmp, bool)
    return out


def _exact_values(mat: list[list[int]], data: np.ndarray, machine: bool) -> np.ndarray:
    m = np.array(mat, dtype=object).reshape(len(mat), data.shape[1])
    vals = data.astype(object) @ m.T if data.shape[0] else np.zeros((0, len(mat)), dtype=object)
    if machine:
        vals = np.array([[wrap(int(x)) for x in r] for r in vals], dtype=object).reshape(vals.shape)
    return vals


def candidate_truth(cands: Sequence[Candidate], variables: Sequence[str], data: np.ndarray, machine: bool
                    ) -> np.ndarray:
    """``[n_examples, n_candidates]`` truth of the clauses ``cands`` on example states ``data``.

    Each distinct atom is evaluated once (by :func:`atom_truth`, exact on Python integers where int64 would
    overflow); a two-atom clause is the disjunction of its atoms' columns."""
    atoms = list(dict.fromkeys(a for c in cands for a in c.atoms))
    index = {a: i for i, a in enumerate(atoms)}
    out = np.zeros((data.shape[0], len(cands)), bool)
    if not cands:
        return out
    table = atom_truth(atoms, variables, data, machine)
    out[:] = table[:, [index[c.atoms[0]] for c in cands]]
    two = [i for i, c in enumerate(cands) if len(c.atoms) > 1]
    if two:
        out[:, two] |= table[:, [index[cands[i].atoms[1]] for i in two]]
    return out


def state_rows(states: Sequence[dict[str, int | bool]], variables: Sequence[str]) -> np.ndarray:
    """Example states as an int64 matrix (booleans as 0/1); states with huge values are dropped."""
    rows = []
    for s in states:
        row = [int(s[v]) for v in variables]
        if all(-VALUE_LIMIT < x < VALUE_LIMIT for x in row):
            rows.append(row)
    return np.array(rows, np.int64).reshape(len(rows), len(variables))


# ---- Z3 -----------------------------------------------------------------------------------------------


def atom_z3(atom: Atom, state: dict[str, z3.ExprRef], enc: Encoder) -> z3.BoolRef:
    if atom.boolean:
        term = state[atom.coeffs[0][0]]
        return term if atom.const else z3.Not(term, enc.ctx)
    if atom.unsigned:
        return _unsigned_z3(atom, state, enc)
    lin = _linear(atom.coeffs, state, enc)
    k = enc.int_val(atom.const)
    if atom.op == "eq":
        return lin == k
    return lin <= k if atom.op == "le" else lin >= k


_UNSIGNED_Z3 = {"le": z3.ULE, "ge": z3.UGE, "lt": z3.ULT, "gt": z3.UGT}


def _unsigned_z3(atom: Atom, state: dict[str, z3.ExprRef], enc: Encoder) -> z3.BoolRef:
    """``L op R`` on bit-vectors, compared unsigned (see :class:`Atom`)."""
    if not enc.machine:
        raise ValueError("unsigned atoms need machine integers")
    pos = tuple((v, c) for v, c in atom.coeffs if c > 0)
    neg = tuple((v, -c) for v, c in atom.coeffs if c < 0)
    k = enc.int_val(atom.const & UNSIGNED_MASK)
    left = _linear(pos, state, enc) if pos else enc.int_val(0)
    right = k
    if neg:
        right = _linear(neg, state, enc) + k if atom.const & UNSIGNED_MASK else _linear(neg, state, enc)
    return _UNSIGNED_Z3[atom.op](left, right)


def _term_z3(v: str, state: dict[str, z3.ExprRef]) -> z3.ExprRef:
    """A variable's term, or the product of a monomial's factors (``i*j``)."""
    t = state.get(v)
    if t is not None or MONOMIAL_SEP not in v:
        return state[v]
    factors = [state[f] for f in v.split(MONOMIAL_SEP)]
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out


def candidate_z3(cand: Candidate, state: dict[str, z3.ExprRef], enc: Encoder) -> z3.BoolRef:
    parts = [atom_z3(a, state, enc) for a in cand.atoms]
    return parts[0] if len(parts) == 1 else z3.Or(parts)


class TermBuilder:
    """Builds candidate terms over one state, sharing linear forms and atoms between candidates."""

    def __init__(self, state: dict[str, z3.ExprRef], enc: Encoder) -> None:
        self.state = state
        self.enc = enc
        self.forms: dict[tuple[tuple[str, int], ...], z3.ExprRef] = {}
        self.atoms: dict[Atom, z3.BoolRef] = {}

    def atom(self, a: Atom) -> z3.BoolRef:
        t = self.atoms.get(a)
        if t is not None:
            return t
        if a.boolean or a.unsigned:
            t = atom_z3(a, self.state, self.enc)
        else:
            lin = self.forms.get(a.coeffs)
            if lin is None:
                lin = self.forms[a.coeffs] = _linear(a.coeffs, self.state, self.enc)
            k = self.enc.int_val(a.const)
            t = lin == k if a.op == "eq" else (lin <= k if a.op == "le" else lin >= k)
        self.atoms[a] = t
        return t

    def candidate(self, c: Candidate) -> z3.BoolRef:
        if len(c.atoms) == 1:
            return self.atom(c.atoms[0])
        from recursa.symbolic.z3fast import mk_or

        return mk_or([self.atom(a) for a in c.atoms], self.enc.ctx)


def _linear(coeffs: tuple[tuple[str, int], ...], state: dict[str, z3.ExprRef], enc: Encoder) -> z3.ExprRef:
    parts = []
    for v, c in coeffs:
        t = _term_z3(v, state)
        if z3.is_bool(t):
            t = z3.If(t, enc.int_val(1), enc.int_val(0), enc.ctx)
        parts.append(t if c == 1 else (-t if c == -1 else enc.int_val(c) * t))
    lin = parts[0]
    for p in parts[1:]:
        lin = lin + p
    return lin


# ---- linear views of program conditions ---------------------------------------------------------------

Linear = tuple[dict[str, int], int]  # coefficients, constant: Σ coef·var + const


def linearise(expr: Expr) -> Linear | None:
    """``expr`` (an integer expression) as a linear form, or None when it is not linear."""

    def fn(node: Expr, k: list[Linear | None]) -> Linear | None:
        if isinstance(node, Const):
            return ({}, int(node.value)) if node.sort is Sort.INT else None
        if isinstance(node, Var):
            return ({node.name: 1}, 0) if node.sort is Sort.INT else None
        if isinstance(node, Unary) and node.op == "neg" and k[0] is not None:
            return ({v: -c for v, c in k[0][0].items()}, -k[0][1])
        if isinstance(node, Binary) and node.op in ("add", "sub") and k[0] is not None and k[1] is not None:
            sign = 1 if node.op == "add" else -1
            co = dict(k[0][0])
            for v, c in k[1][0].items():
                co[v] = co.get(v, 0) + sign * c
            return co, k[0][1] + sign * k[1][1]
        if isinstance(node, Binary) and node.op == "mul" and k[0] is not None and k[1] is not None:
            (ca, ka), (cb, kb) = k
            if not ca:
                return {v: ka * c for v, c in cb.items()}, ka * kb
            if not cb:
                return {v: kb * c for v, c in ca.items()}, ka * kb
        return None

    return fold(expr, fn)


def condition_atoms(expr: Expr, order: dict[str, int], machine: bool) -> list[Atom]:
    """Atoms for the comparisons and boolean variables inside a condition (the guards of disjunctions)."""
    out: list[Atom] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Binary) and e.op in ("and", "or"):
            stack.extend((e.left, e.right))
        elif isinstance(e, Unary) and e.op == "not":
            stack.append(e.arg)
        elif isinstance(e, Var) and e.sort is Sort.BOOL and e.name in order:
            out.append(Atom(((e.name, 1),), "eq", 1, True))
        elif isinstance(e, Unary) and e.op == "to_bool":
            lin = linearise(e.arg)
            if lin is not None:
                out.extend(_compare_atoms(lin, ({}, 0), "ne", order, machine))
        elif isinstance(e, Binary) and e.op in ("lt", "le", "gt", "ge", "eq", "ne"):
            a, b = linearise(e.left), linearise(e.right)
            if a is not None and b is not None:
                out.extend(_compare_atoms(a, b, e.op, order, machine))
    return out


def _compare_atoms(a: Linear, b: Linear, op: str, order: dict[str, int], machine: bool) -> list[Atom]:
    co = dict(a[0])
    for v, c in b[0].items():
        co[v] = co.get(v, 0) - c
    if any(v not in order for v in co if co[v]):
        return []
    const = b[1] - a[1]  # Σ co·v  op  const
    table = {"le": [("le", const)], "lt": [("le", const - 1)], "ge": [("ge", const)], "gt": [("ge", const + 1)],
             "eq": [("eq", const)], "ne": [("le", const - 1), ("ge", const + 1)]}
    out = []
    for o, k in table[op]:
        atom = normalise(co, o, k, order, machine)
        if atom is not None:
            out.append(atom)
    return out
