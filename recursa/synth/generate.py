"""Generated SyGuS problems for training the synthesis guide (never the suite in ``tasks/synthesis``).

A problem is made in three steps: a function signature and a grammar of one of the suite's kinds (LIA with the
default grammar, conditional LIA, LIA with a grammar given in the file, bit-vectors with a grammar); a random
target program drawn top-down from that grammar, recording every production it uses; and a specification,
either by examples (the target evaluated on random inputs) or by logic (``declare-var`` + constraints that pin
``f`` to the target, split on the target's top-level ``ite`` when it has one). The label of a problem is the
multiset of productions the target uses, per non-terminal, keyed by the production's SMT-LIB text (so it maps
onto the grammar the engine compiles for the finished problem, whose default grammar also takes the spec's
constants).

A logical spec also gets CEGIS-style points (:func:`draw_points`): none for 40 % of the problems, else 1 to
:data:`MAX_POINTS` random inputs, which a guide trained with them reads as the constraints instantiated at
them (what it reads in ``recursa synth`` after counterexamples). They are drawn from a generator seeded by the
problem's text, so the problems themselves are the ones the same seed always gave.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from recursa.symbolic.terms import BOOL, INT, App, Lit, Sort, Term, Var, postorder, to_smtlib
from recursa.synth.evaluate import evaluate
from recursa.synth.grammar import UndefinedValue, _number_holes, _substitute, default_grammar, production_text
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, NonTerminal, Problem
from recursa.synth.sygus import read_problem

KINDS = ("lia", "clia", "lia_grammar", "pbe_lia", "bv", "bv_pbe")
NAMES = ("x", "y", "z", "a", "b", "c", "x1", "x2", "x3", "n", "m", "k")
_BV_OPS1 = ("bvnot", "bvneg")
_BV_OPS2 = ("bvand", "bvor", "bvxor", "bvadd", "bvsub", "bvmul", "bvshl", "bvlshr", "bvashr", "bvudiv", "bvurem")


@dataclass(frozen=True)
class GeneratedProblem:
    """One generated problem: its SyGuS text, the target it was made from, and the target's productions."""

    text: str
    kind: str
    target: str
    labels: tuple[tuple[str, str, int], ...]  # (non-terminal, production text, uses)
    points: tuple[tuple[tuple[str, int | bool], ...], ...] = ()  # CEGIS-style points (logical specs only)
    # (parent non-terminal, parent production text, argument position, child non-terminal, child production
    # text, uses): the target's derivation, production by production in the context it is used in
    contexts: tuple[tuple[str, str, int, str, str, int], ...] = ()

    def label_counts(self) -> dict[tuple[str, str], int]:
        return {(nt, text): n for nt, text, n in self.labels}

    def context_counts(self) -> dict[tuple[str, str, int, str, str], int]:
        return {row[:5]: row[5] for row in self.contexts}

    def point_envs(self) -> list[dict[str, int | bool]]:
        """The points as ``{variable: value}`` (what :func:`recursa.synth.neural.spec_text` takes)."""
        return [dict(p) for p in self.points]

    def problem(self) -> Problem:
        return read_problem("<generated>", self.text)


class _Reject(Exception):
    """The drawn target is unusable (trivial, undefined on an input): draw again."""


def _bv_lit(v: int, w: int) -> str:
    v %= 1 << w
    return "#x" + format(v, f"0{w // 4}x")


def _int_lit(v: int) -> str:
    return str(v) if v >= 0 else f"(- {-v})"


def _lit_text(value: int | bool, sort: Sort) -> str:
    if sort == BOOL:
        return "true" if value else "false"
    if sort.is_bv:
        return _bv_lit(int(value), sort.width)
    return _int_lit(int(value))


def _grammar_text(rng: random.Random, kind: str, params: list[str], width: int) -> str:
    """A grammar block in the style of the suite's files, with a random subset of operators."""
    if kind.startswith("bv"):
        s = f"(_ BitVec {width})"
        consts = [_bv_lit(0, width), _bv_lit(1, width)] + [_bv_lit(rng.getrandbits(width), width)
                                                          for _ in range(rng.randint(0, 1))]
        ops1 = [o for o in _BV_OPS1 if rng.random() < 0.6]
        ops2 = rng.sample(_BV_OPS2, rng.randint(3, 8))
        prods = params + consts + [f"({o} S)" for o in ops1] + [f"({o} S S)" for o in ops2]
        if rng.random() < 0.3:
            prods.append("(ite B S S)")
            b = ["(bvult S S)", "(bvslt S S)", "(= S S)"]
            return f"((S {s}) (B Bool)) ((S {s} ({' '.join(prods)})) (B Bool ({' '.join(b)})))"
        return f"((S {s})) ((S {s} ({' '.join(prods)})))"
    leaves = ["(Variable Int)"] if rng.random() < 0.2 else list(params)
    leaves += ["(Constant Int)"] if rng.random() < 0.2 else ["0", "1"] + [str(rng.randint(2, 5))
                                                                          for _ in range(rng.randint(0, 1))]
    ops = [p for p in ("(+ S S)", "(- S S)") if rng.random() < 0.85] or ["(+ S S)"]
    if rng.random() < 0.6:
        ops.append("(ite B S S)")
        bops = [p for p in ("(<= S S)", "(< S S)", "(= S S)", "(>= S S)") if rng.random() < 0.6] or ["(<= S S)"]
        bops += [p for p in ("(and B B)", "(or B B)", "(not B)") if rng.random() < 0.4]
        return f"((S Int) (B Bool)) ((S Int ({' '.join(leaves + ops)})) (B Bool ({' '.join(bops)})))"
    return f"((S Int)) ((S Int ({' '.join(leaves + ops)})))"


def _draw(rng: random.Random, grammar: Grammar, params: list[tuple[str, Sort]], max_depth: int,
          need_ite: bool) -> tuple[Term, Counter, Counter, str]:
    """A random term of ``grammar`` (top-down, depth-bounded), the productions it used, the same by context
    ((parent non-terminal, parent production, position, child non-terminal, child production): uses) and the
    root's production."""
    nts = {nt.name: nt for nt in grammar.nonterminals}
    used: Counter = Counter()
    contexts: Counter = Counter()
    root: list[str] = []

    def note(name: str, text: str, parent: tuple[str, str, int] | None) -> None:
        used[(name, text)] += 1
        if parent is None:
            root.append(text)
        else:
            contexts[(*parent, name, text)] += 1

    def leafy(nt: NonTerminal) -> list[int]:
        return [i for i, p in enumerate(nt.productions) if not _number_holes(p, nts)[1]
                if not isinstance(p, (AnyConstant, AnyVariable))] + \
            [i for i, p in enumerate(nt.productions) if isinstance(p, (AnyConstant, AnyVariable))]

    def draw(name: str, depth: int, parent: tuple[str, str, int] | None = None) -> Term:  # depth <= 5
        nt = nts[name]
        choices = list(range(len(nt.productions)))
        leaves = leafy(nt)
        inner = [i for i in choices if i not in leaves]
        if depth >= max_depth and leaves:
            choices = leaves
        elif depth == 0 and inner:
            ites = [i for i in inner if isinstance(nt.productions[i], App) and nt.productions[i].op == "ite"]
            choices = ites if need_ite and ites else inner
        elif inner and rng.random() < 0.55:
            choices = inner
        i = rng.choice(choices)
        prod = nt.productions[i]
        if isinstance(prod, AnyConstant):
            note(name, production_text(prod), parent)
            if prod.sort == BOOL:
                return Lit(rng.random() < 0.5, BOOL)
            return Lit(rng.choice([0, 1, 2, 3, rng.randint(-5, 10)]) % ((1 << prod.sort.width) if prod.sort.is_bv
                                                                       else 1 << 62), prod.sort)
        if isinstance(prod, AnyVariable):
            note(name, production_text(prod), parent)
            names = [p for p, s in params if s == prod.sort]
            if not names:
                raise _Reject
            return Var(rng.choice(names), prod.sort)
        text = production_text(prod)
        note(name, text, parent)
        template, holes = _number_holes(prod, nts)
        if not holes:
            return prod
        if depth >= max_depth + 2:
            raise _Reject
        return _substitute(template, [draw(h, depth + 1, (name, text, i)) for i, h in enumerate(holes)])

    term = draw(grammar.start.name, 0)
    return term, used, contexts, root[0]


def _linear_form(target: Term, names: list[str]) -> tuple[dict[str, int], int] | None:
    """``(coefficients, constant)`` when ``target`` is an affine function of ``names`` (checked on points)."""
    try:
        const = int(evaluate(target, {n: 0 for n in names}))
        coeffs = {n: int(evaluate(target, {m: int(m == n) for m in names})) - const for n in names}
        probe = random.Random(len(names))
        for _ in range(4):
            env = {n: probe.randint(-30, 30) for n in names}
            if int(evaluate(target, env)) != const + sum(c * env[n] for n, c in coeffs.items()):
                return None
    except (UndefinedValue, ZeroDivisionError, ArithmeticError, TypeError, ValueError):
        return None
    return coeffs, const


def _linear_text(coeffs: dict[str, int], const: int) -> str:
    parts = [n if c == 1 else f"(* {_int_lit(c)} {n})" for n, c in coeffs.items() if c]
    if const or not parts:
        parts.append(_int_lit(const))
    return parts[0] if len(parts) == 1 else f"(+ {' '.join(parts)})"


def _header(logic: str, params: list[tuple[str, str]], sort: str, grammar: str) -> str:
    ps = " ".join(f"({n} {s})" for n, s in params)
    return f"(set-logic {logic})\n(synth-fun f ({ps}) {sort}{(' ' + grammar) if grammar else ''})\n"


def _value_text(v: int | bool, sort: Sort) -> str:
    return _lit_text(v, sort)


def generate_one(rng: random.Random, kind: str) -> GeneratedProblem:
    """One problem of ``kind`` (one of :data:`KINDS`); raises :class:`_Reject` for a trivial draw."""
    n = rng.randint(1, 3)
    names = rng.sample(NAMES, n)
    width = rng.choice((8, 16, 32))
    bv = kind.startswith("bv")
    sort_text = f"(_ BitVec {width})" if bv else "Int"
    sort = Sort("BitVec", width) if bv else INT
    params = [(nm, sort_text) for nm in names]
    grammar_text = _grammar_text(rng, kind, names, width) if kind in ("lia_grammar", "bv", "bv_pbe") or (
        kind == "pbe_lia" and rng.random() < 0.3) else ""
    logic = "BV" if bv else "LIA"
    head = _header(logic, params, sort_text, grammar_text)
    skeleton = read_problem("<generated>", head + "(check-synth)\n")
    fn = skeleton.functions[0]
    grammar = fn.grammar or default_grammar(skeleton, fn)
    typed = [(nm, sort) for nm in names]
    target, used, contexts, root = _draw(rng, grammar, typed, rng.randint(2, 4), need_ite=(kind == "clia"))
    if kind == "clia" and not (isinstance(target, App) and target.op == "ite"):
        raise _Reject
    if not grammar_text and kind in ("lia", "clia") and rng.random() < 0.4:
        # a constant outside {0, 1}: the default grammar of the finished problem takes it from the spec
        c = rng.choice([2, 3, 4, 5, 7, 10, -1, -2])
        target = App("+", (target, Lit(c, INT)), INT) if c > 0 else App("-", (target, Lit(-c, INT)), INT)
        top = "(+ S S)" if c > 0 else "(- S S)"
        used[("S", top)] += 1
        used[("S", _int_lit(abs(c)))] += 1
        contexts[("S", top, 0, "S", root)] += 1
        contexts[("S", top, 1, "S", _int_lit(abs(c)))] += 1
    call = f"(f {' '.join(names)})"
    body = to_smtlib(target)
    if kind in ("pbe_lia", "bv_pbe") or (kind == "bv" and rng.random() < 0.5):
        lines = []
        outs = set()
        for _ in range(rng.randint(4, 14)):
            env = {nm: (rng.getrandbits(width) if bv else rng.randint(-20, 20)) for nm in names}
            try:
                out = evaluate(target, env)
            except (UndefinedValue, ZeroDivisionError, ArithmeticError):
                raise _Reject from None
            outs.add(out)
            args = " ".join(_value_text(env[nm], sort) for nm in names)
            lines.append(f"(constraint (= (f {args}) {_value_text(out, sort)}))")
        if len(outs) < 2:
            raise _Reject
        spec = "\n".join(lines)
    else:
        decls = "\n".join(f"(declare-var {nm} {sort_text})" for nm in names)
        if isinstance(target, App) and target.op == "ite" and rng.random() < 0.7:
            c, a, b = (to_smtlib(t) for t in target.args)
            spec = (f"{decls}\n(constraint (=> {c} (= {call} {a})))\n"
                    f"(constraint (=> (not {c}) (= {call} {b})))")
        elif not bv and (linear := _linear_form(target, names)) is not None and rng.random() < 0.6:
            # the suite's style: f related to the target written differently (its linear normal form, shifted
            # by a parameter), so the spec does not spell out the target's operators and constants
            shift = rng.choice(names)
            coeffs, const = linear
            coeffs = {**coeffs, shift: coeffs.get(shift, 0) - 1}
            spec = f"{decls}\n(constraint (= (- {call} {shift}) {_linear_text(coeffs, const)}))"
        elif not bv and rng.random() < 0.4:
            spec = f"{decls}\n(constraint (>= {call} {body}))\n(constraint (<= {call} {body}))"
        else:
            spec = f"{decls}\n(constraint (= {call} {body}))"
    if not isinstance(target, App) or any(isinstance(node, App) and not any(isinstance(x, Var) for x in
                                                                           postorder(node))
                                          for node in postorder(target)):
        raise _Reject  # a bare leaf, or a variable-free subterm like (- 1 1): labels that teach nothing
    text = head + spec + "\n(check-synth)\n"
    labels = tuple(sorted((nt, t, c) for (nt, t), c in used.items()))
    points = draw_points(text, typed) if "(declare-var" in spec else ()
    return GeneratedProblem(text=text, kind=kind, target=body, labels=labels, points=points,
                            contexts=tuple(sorted((*k, n) for k, n in contexts.items())))


#: At most this many points per problem: ``recursa.synth.neural.MAX_POINTS``, the most the guide reads (a test checks).
MAX_POINTS = 10
#: Share of logical-spec problems drawn without points (the guide's first read, before any counterexample).
NO_POINTS_SHARE = 0.4


def draw_points(text: str, declared: list[tuple[str, Sort]], max_points: int | None = None
                ) -> tuple[tuple[tuple[str, int | bool], ...], ...]:
    """Random points for a logical spec, as CEGIS would add them: none (:data:`NO_POINTS_SHARE`), else 1 to
    ``max_points`` (default :data:`MAX_POINTS`). Values are small (counterexamples from
    the solver often are: 0, 1, -1, ...), or spread out like the engine's random starting points. Seeded by
    ``text``: adding points leaves the stream of problems unchanged."""
    rng = random.Random(zlib.crc32(text.encode()))
    if rng.random() < NO_POINTS_SHARE:
        return ()
    out = []
    for _ in range(rng.randint(1, max_points or MAX_POINTS)):
        point: list[tuple[str, int | bool]] = []
        for name, sort in declared:
            r = rng.random()
            if sort == BOOL:
                point.append((name, rng.random() < 0.5))
            elif sort.is_bv:
                w = sort.width
                v = (rng.choice([0, 1, 2, (1 << w) - 1, 1 << (w - 1)]) if r < 0.4 else rng.getrandbits(w))
                point.append((name, v))
            else:
                point.append((name, rng.randint(-3, 3) if r < 0.4 else rng.randint(-50, 50)))
        out.append(tuple(point))
    return tuple(out)


def suite_texts(root: str | Path | None = None) -> set[str]:
    """Whitespace-normalised texts of the suite's files (generated problems must differ from every one);
    ``root`` defaults to the installed or checked-out ``tasks/synthesis``, wherever the command runs from."""
    from recursa.paths import TASKS_DIR

    out: set[str] = set()
    base = Path(root) if root is not None else TASKS_DIR / "synthesis"
    if base.is_dir():
        for p in base.rglob("*.sl"):
            out.add(" ".join(p.read_text(encoding="utf-8", errors="replace").split()))
    return out


def generate(n: int, seed: int, kinds: tuple[str, ...] = KINDS, exclude: set[str] | None = None
             ) -> Iterator[GeneratedProblem]:
    """``n`` problems, kinds in turn, a pure function of ``seed``; none whose text is in ``exclude``."""
    rng = random.Random(f"recursa-synth-guide-{seed}")  # string seed: disjoint from the suite's integer seeds
    made = 0
    seen: set[str] = set()
    tries = 0
    while made < n:
        tries += 1
        if tries > 50 * n + 100:
            raise RuntimeError("the generator keeps rejecting its draws")
        kind = kinds[made % len(kinds)]
        try:
            g = generate_one(rng, kind)
        except (_Reject, RecursionError):
            continue
        norm = " ".join(g.text.split())
        if norm in seen or (exclude is not None and norm in exclude):
            continue
        seen.add(norm)
        made += 1
        yield g


__all__ = ["GeneratedProblem", "KINDS", "NO_POINTS_SHARE", "draw_points", "generate", "generate_one", "suite_texts"]
