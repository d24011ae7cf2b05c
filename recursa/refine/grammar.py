"""Candidate grammars (``grammars/invariants/*.grammar``) and the candidates they generate for a loop head.

A grammar file is a list of ``keyword arguments`` lines (``#`` starts a comment):

``form T``            a linear form template, e.g. ``x``, ``x - y``, ``a*x + b*y``; x, y, z, w are distinct
                      integer variables, a, b, c, d range over ``coefficients``; literal coefficients allowed
``coefficients N..``  the coefficient values
``max-vars K V``      forms over K or more variables only when the head has at most V integer variables
``compare OPS``       any of ``== <= >=``
``constants S..``     any of ``mined`` (program literals), ``neighbours`` (c-1, c+1), ``observed``
``bounds N``          keep the N tightest constants per form and direction
``guards S..``        any of ``conditions`` (program conditions and negations), ``bools``, ``thresholds``
``disjunction guard || atom``   also generate 2-clauses
``disjunct-form T``   the form templates allowed inside 2-clauses

Generation is data-driven: the states seen at the loop head (positive examples) choose the constants of
equalities and prune every candidate they falsify, before any solver call. Under machine integers, the
variables of C ``unsigned`` types also get unsigned atoms (``i <= n``, ``i >= 1`` compared as unsigned 32-bit
values: the grammar's signed forms do not hold across 2**31), whatever the grammar file says; their signed
inequalities are left out (equalities of bit patterns mean the same either way).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recursa.paths import GRAMMARS_DIR
from recursa.refine.candidates import UNSIGNED_MASK, Atom, Candidate, atom_truth, linear_values, normalise

PLACEHOLDER_VARS = "xyzw"
PLACEHOLDER_COEFS = "abcd"


class GrammarError(ValueError):
    """A malformed grammar file (names the file and line)."""


@dataclass(frozen=True)
class FormTemplate:
    """``Σ coef_i · var_i``: coef is an int or a coefficient placeholder; var a variable placeholder."""

    terms: tuple[tuple[int | str, str], ...]
    text: str

    @property
    def arity(self) -> int:
        return len({v for _, v in self.terms})


@dataclass(frozen=True)
class Grammar:
    name: str
    forms: tuple[FormTemplate, ...]
    coefficients: tuple[int, ...] = (1, -1)
    max_vars: tuple[tuple[int, int], ...] = ()
    compare: tuple[str, ...] = ("eq", "le", "ge")
    constants: frozenset[str] = frozenset({"mined", "neighbours", "observed"})
    bounds: int = 2
    guards: frozenset[str] = frozenset()
    disjunction: bool = False
    disjunct_forms: tuple[FormTemplate, ...] = ()
    path: str = ""


_TERM = re.compile(r"^(?:(-?\d+|[a-d])\s*\*\s*)?([x-zw])$")


def _parse_form(text: str, where: str) -> FormTemplate:
    tokens = re.findall(r"[+-]|[^+-]+", text.replace(" ", ""))
    terms: list[tuple[int | str, str]] = []
    sign = 1
    expect_term = True
    for tok in tokens:
        if tok in "+-":
            if not expect_term:
                sign = 1 if tok == "+" else -1
                expect_term = True
                continue
            if tok == "-":
                sign = -sign
            continue
        m = _TERM.match(tok)
        if m is None:
            raise GrammarError(f"{where}: cannot read term {tok!r} in form {text!r}")
        coef_text, var = m.groups()
        coef: int | str = 1 if coef_text is None else (coef_text if coef_text in PLACEHOLDER_COEFS
                                                       else int(coef_text))
        if isinstance(coef, int):
            coef *= sign
        elif sign < 0:
            raise GrammarError(f"{where}: write '+ {coef}*{var}' (coefficient placeholders carry the sign)")
        terms.append((coef, var))
        sign = 1
        expect_term = False
    if not terms or expect_term:
        raise GrammarError(f"{where}: empty or incomplete form {text!r}")
    if len({v for _, v in terms}) != len(terms):
        raise GrammarError(f"{where}: a variable appears twice in form {text!r}")
    return FormTemplate(tuple(terms), text.strip())


def parse_grammar(text: str, name: str = "<grammar>", path: str = "") -> Grammar:
    forms: list[FormTemplate] = []
    dforms: list[FormTemplate] = []
    opts: dict[str, object] = {}
    ops_map = {"==": "eq", "<=": "le", ">=": "ge"}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path or name}:{lineno}"
        key, _, rest = line.partition(" ")
        rest = rest.strip()
        if key == "form":
            forms.append(_parse_form(rest, where))
        elif key == "disjunct-form":
            dforms.append(_parse_form(rest, where))
        elif key == "coefficients":
            try:
                opts["coefficients"] = tuple(int(t) for t in rest.split())
            except ValueError:
                raise GrammarError(f"{where}: coefficients must be integers") from None
        elif key == "max-vars":
            parts = rest.split()
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise GrammarError(f"{where}: max-vars takes two numbers (arity, variables)")
            opts.setdefault("max_vars", [])
            opts["max_vars"].append((int(parts[0]), int(parts[1])))  # type: ignore[attr-defined]
        elif key == "compare":
            bad = [t for t in rest.split() if t not in ops_map]
            if bad:
                raise GrammarError(f"{where}: unknown comparison {bad[0]!r} (use == <= >=)")
            opts["compare"] = tuple(ops_map[t] for t in rest.split())
        elif key == "constants":
            known = {"mined", "neighbours", "observed"}
            bad = [t for t in rest.split() if t not in known]
            if bad:
                raise GrammarError(f"{where}: unknown constant source {bad[0]!r}")
            opts["constants"] = frozenset(rest.split())
        elif key == "bounds":
            if not rest.isdigit():
                raise GrammarError(f"{where}: bounds takes a number")
            opts["bounds"] = int(rest)
        elif key == "guards":
            known = {"conditions", "bools", "thresholds"}
            bad = [t for t in rest.split() if t not in known]
            if bad:
                raise GrammarError(f"{where}: unknown guard source {bad[0]!r}")
            opts["guards"] = frozenset(rest.split())
        elif key == "disjunction":
            if " ".join(rest.split()) != "guard || atom":
                raise GrammarError(f"{where}: only 'disjunction guard || atom' is supported")
            opts["disjunction"] = True
        else:
            raise GrammarError(f"{where}: unknown keyword {key!r}")
    if not forms:
        raise GrammarError(f"{path or name}: no 'form' lines")
    if "max_vars" in opts:
        opts["max_vars"] = tuple(opts["max_vars"])  # type: ignore[arg-type]
    return Grammar(name, tuple(forms), disjunct_forms=tuple(dforms), path=path, **opts)  # type: ignore[arg-type]


def grammar_path(name_or_path: str) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".grammar" or p.exists():
        return p
    return GRAMMARS_DIR / "invariants" / f"{name_or_path}.grammar"


def load_grammar(name_or_path: str = "linear") -> Grammar:
    """A grammar by name (``grammars/invariants/<name>.grammar``) or by path."""
    path = grammar_path(name_or_path)
    if not path.is_file():
        known = sorted(q.stem for q in (GRAMMARS_DIR / "invariants").glob("*.grammar"))
        raise GrammarError(f"no invariant grammar {name_or_path!r} (known: {', '.join(known) or 'none'})")
    return parse_grammar(path.read_text(encoding="utf-8"), path.stem, str(path))


# ---- generation ---------------------------------------------------------------------------------------


@dataclass
class HeadData:
    """What candidate generation knows about one loop head."""

    variables: list[str]  # live variables (ints and bools), in declaration order
    int_vars: list[str]
    bool_vars: list[str]
    positives: np.ndarray  # [n, len(variables)] reachable states seen so far
    constants: list[int]
    guards: list[Atom] = field(default_factory=list)
    machine: bool = False
    #: integer variables holding C ``unsigned`` values (machine integers only)
    unsigned: frozenset[str] = frozenset()


def expand_forms(templates: Sequence[FormTemplate], grammar: Grammar, int_vars: Sequence[str],
                 order: dict[str, int], machine: bool) -> list[dict[str, int]]:
    """All linear forms from ``templates`` over ``int_vars``, deduplicated, in enumeration order."""
    shapes = _forms_by_position(tuple(templates), grammar, len(int_vars), machine)
    return [{int_vars[p]: c for p, c in shape} for shape in shapes]


@functools.lru_cache(maxsize=256)
def _forms_by_position(templates: tuple[FormTemplate, ...], grammar: Grammar, n: int, machine: bool
                       ) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The forms over variables 0..n-1 (cached: forms depend only on how many variables there are)."""
    out: list[tuple[tuple[int, int], ...]] = []
    seen: set[tuple[tuple[int, int], ...]] = set()
    positions = list(range(n))
    order = {p: p for p in positions}
    for tpl in templates:
        arity = tpl.arity
        if arity > n or any(arity >= k and n > v for k, v in grammar.max_vars):
            continue
        coef_names = sorted({c for c, _ in tpl.terms if isinstance(c, str)})
        var_names = [v for _, v in tpl.terms]
        for combo in itertools.permutations(positions, arity):
            binding = dict(zip(var_names, combo))
            for values in itertools.product(grammar.coefficients, repeat=len(coef_names)):
                cb = dict(zip(coef_names, values))
                co: dict[Any, int] = {}
                for c, v in tpl.terms:
                    co[binding[v]] = cb[c] if isinstance(c, str) else c
                atom = normalise(co, "eq", 0, order, machine)
                if atom is None:
                    continue
                key = atom.coeffs if machine else _sign_key(atom.coeffs)
                if key in seen:
                    continue
                seen.add(key)
                out.append(atom.coeffs)  # type: ignore[arg-type]
    return tuple(out)


def _sign_key(coeffs: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    return coeffs if coeffs[0][1] > 0 else tuple((v, -c) for v, c in coeffs)


def _form_values(forms: list[dict[str, int]], variables: Sequence[str], data: np.ndarray,
                 machine: bool) -> np.ndarray:
    index = {v: i for i, v in enumerate(variables)}
    mat = [[0] * len(variables) for _ in forms]
    for j, f in enumerate(forms):
        for v, c in f.items():
            mat[j][index[v]] = c
    return linear_values(mat, data, machine)


def _bound_constants(grammar: Grammar, constants: Sequence[int], observed: int | None, upper: bool) -> list[int]:
    """Constants c for ``form <= c`` (``upper``) or ``form >= c``: the observed bound, then the ``bounds``
    nearest mined constants beyond it, each with its neighbours (loop exits often land one past a literal)."""
    mined = sorted(set(constants)) if "mined" in grammar.constants else []
    if observed is not None:
        mined = [c for c in mined if (c >= observed if upper else c <= observed)]
    mined.sort(key=lambda c: c if upper else -c)
    chosen: list[int] = []
    if observed is not None and "observed" in grammar.constants:
        chosen.append(observed)
    for c in mined[: grammar.bounds]:
        near = [c - 1, c, c + 1] if "neighbours" in grammar.constants else [c]
        for k in near:
            if observed is None or (k >= observed if upper else k <= observed):
                chosen.append(k)
    return list(dict.fromkeys(chosen))


def _atoms_for_forms(grammar: Grammar, forms: list[dict[str, int]], data: HeadData, mask: np.ndarray | None,
                     order: dict[str, int]) -> list[Atom]:
    """Atoms for each form that hold on the positive states selected by ``mask`` (all when None)."""
    rows = data.positives if mask is None else data.positives[mask]
    out: list[Atom] = []
    seen: set[Atom] = set()
    vals = _form_values(forms, data.variables, rows, data.machine) if forms else np.zeros((0, 0), np.int64)
    have = rows.shape[0] > 0
    for j, f in enumerate(forms):
        col = vals[:, j] if have else None
        lo = int(col.min()) if have else None
        hi = int(col.max()) if have else None
        cands: list[tuple[str, int]] = []
        if "eq" in grammar.compare:
            if have and lo == hi:
                cands.append(("eq", lo))
            elif not have and len(f) == 1:
                cands.extend(("eq", c) for c in sorted(set(data.constants))[:3])
        if "le" in grammar.compare:
            cands.extend(("le", c) for c in _bound_constants(grammar, data.constants, hi, True))
        if "ge" in grammar.compare:
            cands.extend(("ge", c) for c in _bound_constants(grammar, data.constants, lo, False))
        if data.unsigned and data.machine and all(v in data.unsigned for v in f):
            cands = [(op, c) for op, c in cands if op == "eq"]  # unsigned_atoms() has their inequalities
        for op, c in cands:
            atom = normalise(f, op, c, order, data.machine)
            if atom is not None and atom not in seen:
                seen.add(atom)
                out.append(atom)
    return out


def unsigned_atoms(grammar: Grammar, data: HeadData) -> list[Atom]:
    """Unsigned atoms over the head's unsigned variables: ``x <= y`` / ``x >= y`` for each pair and bounds
    ``x <= k`` / ``x >= k`` from the observed range and the mined constants (all as unsigned values); the
    caller keeps those the positive states satisfy."""
    uvars = [v for v in data.int_vars if v in data.unsigned] if data.machine else []
    if not uvars:
        return []
    out: list[Atom] = []
    index = {v: i for i, v in enumerate(data.variables)}
    have = data.positives.shape[0] > 0
    constants = sorted({c & UNSIGNED_MASK for c in data.constants if c >= 0})
    for x in uvars:
        col = data.positives[:, index[x]] & UNSIGNED_MASK if have else None
        lo = int(col.min()) if col is not None else None
        hi = int(col.max()) if col is not None else None
        ks = [("le", k) for k in _bound_constants(grammar, constants, hi, True) if k < UNSIGNED_MASK]
        ks += [("ge", k) for k in _bound_constants(grammar, constants, lo, False) if k > 0]
        out.extend(Atom(((x, 1),), op, k, unsigned=True) for op, k in ks if 0 <= k <= UNSIGNED_MASK)
    for i, x in enumerate(uvars):
        for y in uvars[i + 1:]:
            out.extend(Atom(((x, 1), (y, -1)), op, 0, unsigned=True) for op in ("le", "ge"))
    return list(dict.fromkeys(out))


def _tautology(g: Atom, a: Atom) -> bool:
    """``g || a`` holds for every integer value of their common form (f <= c1 || f >= c2 with c2 <= c1+1)."""
    if g.boolean or a.boolean or g.unsigned or a.unsigned or g.coeffs != a.coeffs:
        return False
    if g.op == "le" and a.op == "ge":
        return a.const <= g.const + 1
    if g.op == "ge" and a.op == "le":
        return g.const <= a.const + 1
    return False


def generate(grammar: Grammar, data: HeadData) -> list[Candidate]:
    """Candidates for one loop head, in grammar enumeration order, all consistent with ``data.positives``."""
    order = {v: i for i, v in enumerate(data.variables)}
    forms = expand_forms(grammar.forms, grammar, data.int_vars, order, data.machine)
    atoms = _atoms_for_forms(grammar, forms, data, None, order)
    atoms += unsigned_atoms(grammar, data)
    # guards (program conditions, booleans, thresholds) are candidates too when the data allows
    guards: list[Atom] = []
    if "conditions" in grammar.guards:
        for g in data.guards:
            guards.append(g)
            guards.extend(g.negation())
    if "bools" in grammar.guards:
        for b in data.bool_vars:
            guards.extend((Atom(((b, 1),), "eq", 1, True), Atom(((b, 1),), "eq", 0, True)))
    if "thresholds" in grammar.guards:
        for v in data.int_vars:
            for c in sorted(set(data.constants)):
                guards.extend((Atom(((v, 1),), "le", c), Atom(((v, 1),), "ge", c)))
    guards = list(dict.fromkeys(g for g in guards if all(x in order for x in g.variables)))
    atom_set = set(atoms)
    extra_atoms = [g for g in guards if g not in atom_set]
    all_atoms = atoms + extra_atoms
    have = data.positives.shape[0] > 0
    truth = atom_truth(all_atoms, data.variables, data.positives, data.machine)
    holds = truth.all(axis=0) if have else np.ones(len(all_atoms), bool)
    out = [Candidate((a,), "atom") for a, ok in zip(all_atoms, holds) if ok]
    if not (grammar.disjunction and have and guards):
        return out
    dforms = expand_forms(grammar.disjunct_forms or grammar.forms, grammar, data.int_vars, order, data.machine)
    index = {a: i for i, a in enumerate(all_atoms)}
    seen: set[tuple[Atom, Atom]] = set()
    for g in guards:
        g_truth = atom_truth([g], data.variables, data.positives, data.machine)[:, 0]
        rest = ~g_truth
        if not rest.any() or g_truth.all():
            continue
        negations = set(g.negation())
        for a in _atoms_for_forms(grammar, dforms, data, rest, order):
            if a == g or a in negations or _tautology(g, a):
                continue
            if a in index and holds[index[a]]:
                continue  # the atom alone already holds: the clause adds nothing
            key = (g, a)
            if key in seen:
                continue
            seen.add(key)
            out.append(Candidate((g, a), "guard || atom"))
    return out
