"""Generate the SyGuS suite under tasks/synthesis/ (all folders except inv/, which is written elsewhere).

Run once from the repository root: ``python tasks/synthesis/generate.py [--seed 2026]``. The output is a
pure function of the seed; the problems are committed as files and this script documents where they came from.

Two sources:
- hand-written classics (max/min, abs, clamp, sign, argmax, search in a sorted tuple, bit tricks in the style
  of Hacker's Delight, several functions at once, relational specifications);
- random target programs drawn from a grammar, turned into a specification either by examples (the target
  evaluated on random inputs, in Python) or by logic (``declare-var`` + a constraint relating ``f`` to the
  target written differently).
Infeasible problems come from finite grammars that cannot express any answer and from conflicting examples.
Every "solved" problem records a known answer, inside the problem's grammar; tests/test_synth_suite.py checks
each answer against its specification with Z3.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

Expr = object  # str (variable), int (literal) or tuple (op, *args)


# ---- printing and evaluation --------------------------------------------------------------------------


def int_lit(v: int) -> str:
    return str(v) if v >= 0 else f"(- {-v})"


def bv_lit(v: int, w: int) -> str:
    v %= 1 << w
    return "#x" + format(v, f"0{w // 4}x") if w % 4 == 0 else "#b" + format(v, f"0{w}b")


def show(e: Expr, w: int = 0) -> str:
    """SMT-LIB text; ``w`` > 0 prints integer literals as bit-vectors of that width."""
    if isinstance(e, bool):
        return "true" if e else "false"
    if isinstance(e, int):
        return bv_lit(e, w) if w else int_lit(e)
    if isinstance(e, str):
        return e
    op, *args = e
    return "(" + " ".join([op, *(show(a, w) for a in args)]) + ")"


def ev_int(e: Expr, env: dict[str, int]) -> int | bool:
    if isinstance(e, (bool, int)):
        return e
    if isinstance(e, str):
        return env[e]
    op, *args = e
    if op == "ite":
        return ev_int(args[1], env) if ev_int(args[0], env) else ev_int(args[2], env)
    v = [ev_int(a, env) for a in args]
    if op == "+":
        return sum(v)
    if op == "-":
        return -v[0] if len(v) == 1 else v[0] - sum(v[1:])
    if op == "*":
        out = 1
        for x in v:
            out *= x
        return out
    table: dict[str, Callable[..., bool]] = {
        "<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, ">": lambda a, b: a > b,
        "=": lambda a, b: a == b, "and": lambda *xs: all(xs), "or": lambda *xs: any(xs), "not": lambda a: not a,
    }
    return table[op](*v)


def ev_bv(e: Expr, env: dict[str, int], w: int) -> int:
    m = (1 << w) - 1
    if isinstance(e, int):
        return e & m
    if isinstance(e, str):
        return env[e]
    op, *args = e
    v = [ev_bv(a, env, w) for a in args]
    if op == "bvand":
        return v[0] & v[1]
    if op == "bvor":
        return v[0] | v[1]
    if op == "bvxor":
        return v[0] ^ v[1]
    if op == "bvnot":
        return ~v[0] & m
    if op == "bvneg":
        return -v[0] & m
    if op == "bvadd":
        return (v[0] + v[1]) & m
    if op == "bvsub":
        return (v[0] - v[1]) & m
    if op == "bvmul":
        return (v[0] * v[1]) & m
    if op == "bvshl":
        return (v[0] << v[1]) & m if v[1] < w else 0
    if op == "bvlshr":
        return v[0] >> v[1] if v[1] < w else 0
    if op == "bvashr":
        s = v[0] - (1 << w) if v[0] >> (w - 1) else v[0]
        return (s >> min(v[1], w)) & m
    raise ValueError(op)


# ---- problems -----------------------------------------------------------------------------------------


@dataclass
class Item:
    folder: str
    name: str
    text: str
    expected: str  # "solved" | "infeasible"
    answer: str | None


def params_text(params: list[tuple[str, str]]) -> str:
    return "(" + " ".join(f"({n} {s})" for n, s in params) + ")"


def problem(logic: str, funs: list[tuple[str, list[tuple[str, str]], str, str | None]], declared: list[tuple[str, str]],
            constraints: list[str], comment: str, defs: list[str] = ()) -> str:
    lines = [f"; {comment}", f"(set-logic {logic})"]
    lines += list(defs)
    for name, params, sort, grammar in funs:
        head = f"(synth-fun {name} {params_text(params)} {sort}"
        lines.append(head + (f"\n  {grammar})" if grammar else ")"))
    lines += [f"(declare-var {n} {s})" for n, s in declared]
    lines += [f"(constraint {c})" for c in constraints]
    lines.append("(check-synth)")
    return "\n".join(lines) + "\n"


def define(name: str, params: list[tuple[str, str]], sort: str, body: str) -> str:
    return f"(define-fun {name} {params_text(params)} {sort} {body})"


def call(name: str, args: list[str]) -> str:
    return f"({name} {' '.join(args)})"


INT_LINEAR = ("((S Int)) ((S Int ({vars} 0 1 (+ S S) (- S S))))")
INT_COND = ("((S Int) (B Bool)) ((S Int ({vars} 0 1 (+ S S) (- S S) (ite B S S))) "
            "(B Bool ((<= S S) (< S S) (= S S) (and B B) (not B))))")


def int_grammar(template: str, names: list[str]) -> str:
    return template.format(vars=" ".join(names))


def mul_by_adds(k: int, atom: Expr) -> Expr:
    """``k * atom`` with only +, - and 0 (so it lies in INT_LINEAR), by doubling to keep the term small."""
    if k == 0:
        return 0
    if k < 0:
        return ("-", 0, mul_by_adds(-k, atom))
    if k == 1:
        return atom
    half = mul_by_adds(k // 2, atom)
    doubled = ("+", half, half)
    return ("+", doubled, atom) if k % 2 else doubled


def linear_in_grammar(coeffs: dict[str, int], const: int) -> Expr:
    terms = [mul_by_adds(k, v) for v, k in coeffs.items() if k] + ([mul_by_adds(const, 1)] if const else [])
    if not terms:
        return 0
    out = terms[0]
    for t in terms[1:]:
        out = ("+", out, t)
    return out


def linear_plain(coeffs: dict[str, int], const: int) -> Expr:
    terms: list[Expr] = [v if k == 1 else ("*", k, v) for v, k in coeffs.items() if k]
    if const or not terms:
        terms.append(const)
    return terms[0] if len(terms) == 1 else ("+", *terms)


# ---- lia/ ---------------------------------------------------------------------------------------------


def lia(rng: random.Random) -> list[Item]:
    items: list[Item] = []
    xy = [("x", "Int"), ("y", "Int")]

    def add(name: str, text: str, answer: str | None, expected: str = "solved") -> None:
        items.append(Item("lia", name, text, expected, answer))

    # classics
    add("double.sl", problem("LIA", [("f", [("x", "Int")], "Int", None)], [("x", "Int")],
                             ["(= (f x) (+ x x))"], "twice x, no grammar"),
        define("f", [("x", "Int")], "Int", "(+ x x)"))
    add("successor_rel.sl", problem("LIA", [("f", [("x", "Int")], "Int", int_grammar(INT_LINEAR, ["x"]))],
                                    [("x", "Int")], ["(> (f x) x)", "(< (f x) (+ x 2))"],
                                    "relational: strictly above x and below x + 2"),
        define("f", [("x", "Int")], "Int", "(+ x 1)"))
    add("between_sum.sl", problem("LIA", [("f", xy, "Int", None)], xy,
                                  ["(> (f x y) (+ x y))", "(< (f x y) (+ x y 2))"], "relational: x + y + 1"),
        define("f", xy, "Int", "(+ x y 1)"))
    add("above_both_sum.sl", problem("LIA", [("f", xy, "Int", None)], xy,
                                     ["(>= (+ (f x y) (f x y)) (+ x y))", "(<= (+ (f x y) (f x y)) (+ x y 1))"],
                                     "relational: 2f(x,y) is x + y or x + y + 1 (a rounded half: needs div)"),
        define("f", xy, "Int", "(div (+ x y 1) 2)"))
    add("two_funs.sl", problem("LIA", [("f", [("x", "Int")], "Int", None), ("g", [("x", "Int")], "Int", None)],
                               [("x", "Int")], ["(= (+ (f x) (g x)) (* 3 x))", "(= (- (f x) (g x)) x)"],
                               "two functions: f + g = 3x and f - g = x"),
        define("f", [("x", "Int")], "Int", "(+ x x)") + "\n" + define("g", [("x", "Int")], "Int", "x"))
    add("three_funs.sl", problem(
        "LIA", [(n, xy, "Int", None) for n in ("f", "g", "h")], xy,
        ["(= (f x y) (+ (g x y) 1))", "(= (g x y) (+ (h x y) y))", "(= (+ (f x y) (h x y)) (+ x x y 1))"],
        "three functions linked by equations: h = x, g = x + y, f = x + y + 1"),
        "\n".join([define("f", xy, "Int", "(+ x y 1)"), define("g", xy, "Int", "(+ x y)"),
                   define("h", xy, "Int", "x")]))
    add("swap_sum.sl", problem("LIA", [("f", xy, "Int", int_grammar(INT_LINEAR, ["x", "y"]))], xy,
                               ["(= (f x y) (f y x))", "(= (f x 0) x)", "(= (f 0 y) y)", "(= (f x y) (+ (f x 0) y))"],
                               "symmetric, f(x,0) = x, additive in y: x + y"),
        define("f", xy, "Int", "(+ x y)"))
    add("fixpoint_shift.sl", problem("LIA", [("f", [("x", "Int")], "Int", None)], [("x", "Int")],
                                     ["(= (f (+ x 1)) (+ (f x) 3))", "(= (f 0) 7)"],
                                     "f(x+1) = f(x) + 3 and f(0) = 7: 3x + 7"),
        define("f", [("x", "Int")], "Int", "(+ (* 3 x) 7)"))
    add("half_sum.sl", problem("LIA", [("f", xy, "Int", None)], xy, ["(= (+ (f x y) (f x y)) (+ x y))"],
                               "infeasible: 2f = x + y has no integer solution when x + y is odd"),
        None, "infeasible")
    # random linear targets, spec by logic, with and without a grammar
    seen: set[str] = set()
    i = 0
    while i < 14:
        k = 2 if rng.random() < 0.6 else 3
        names = ["x", "y", "z"][:k]
        coeffs = {v: rng.randint(-3, 3) for v in names}
        const = rng.randint(-5, 5)
        if sum(1 for c in coeffs.values() if c) < 2:
            continue
        key = show(linear_plain(coeffs, const))
        if key in seen:
            continue
        seen.add(key)
        params = [(v, "Int") for v in names]
        target = linear_plain(coeffs, const)
        form = i % 3
        fx = call("f", names)
        if form == 0:
            cons = [f"(= {fx} {show(target)})"]
        elif form == 1:  # the target moved across the equation
            first = names[0]
            rest = dict(coeffs, **{first: coeffs[first] - 1})
            cons = [f"(= (- {fx} {first}) {show(linear_plain(rest, const))})"]
        else:  # twice f against twice the target, split in two inequalities
            cons = [f"(<= (+ {fx} {fx}) (* 2 {show(target)}))", f"(>= (+ {fx} {fx}) (* 2 {show(target)}))"]
        grammar = int_grammar(INT_LINEAR, names) if i % 2 else None
        body = show(linear_in_grammar(coeffs, const)) if grammar else show(target)
        add(f"linear_{i:02d}.sl", problem("LIA", [("f", params, "Int", grammar)], params, cons,
                                          f"random linear target {key}" + (", with a grammar" if grammar else "")),
            define("f", params, "Int", body))
        i += 1
    # hard: large constants with only 0, 1, +, - in the grammar
    for j, (a, c) in enumerate([(5, 37), (7, -23), (13, 101), (-9, 64)]):
        coeffs = {"x": a}
        add(f"hard_const_{j}.sl", problem("LIA", [("f", [("x", "Int")], "Int", int_grammar(INT_LINEAR, ["x"]))],
                                          [("x", "Int")], [f"(= (f x) {show(linear_plain(coeffs, c))})"],
                                          f"hard: {a}x + {c} built from 0, 1, + and -"),
            define("f", [("x", "Int")], "Int", show(linear_in_grammar(coeffs, c))))
    # infeasible: finite grammars
    add("finite_no_sum.sl", problem("LIA", [("f", xy, "Int", "((S Int)) ((S Int (x y 0 1)))")], xy,
                                    ["(= (f x y) (+ x y))"], "infeasible: a finite grammar without +"),
        None, "infeasible")
    add("finite_one_add.sl", problem("LIA", [("f", [("x", "Int")], "Int",
                                                 "((S Int) (A Int)) ((S Int (A (+ A A))) (A Int (x 1)))")],
                                     [("x", "Int")], ["(= (f x) (+ x x x))"], "infeasible: at most one addition"),
        None, "infeasible")
    add("conflict_rel.sl", problem("LIA", [("f", [("x", "Int")], "Int", None)], [("x", "Int")],
                                   ["(> (f x) x)", "(< (f x) (+ x 1))"], "infeasible: strictly between x and x + 1"),
        None, "infeasible")
    return items


# ---- clia/ --------------------------------------------------------------------------------------------


def nested_max(names: list[str], cmp: str) -> str:
    """An answer for max (cmp '>=') / min (cmp '<='): compare the head with the best of the rest. Only ``<=``
    is used, with the operands swapped for max, so the answer also lies in INT_COND."""
    def le(a: str, b: str) -> str:
        return f"(<= {b} {a})" if cmp == ">=" else f"(<= {a} {b})"

    if len(names) == 1:
        return names[0]
    rest = nested_max(names[1:], cmp)
    if len(names) == 2:
        return f"(ite {le(names[0], names[1])} {names[0]} {names[1]})"
    conds = " ".join(le(names[0], o) for o in names[1:])
    return f"(ite (and {conds}) {names[0]} {rest})"


def clia(rng: random.Random) -> list[Item]:
    items: list[Item] = []

    def add(name: str, text: str, answer: str | None, expected: str = "solved") -> None:
        items.append(Item("clia", name, text, expected, answer))

    for n in range(2, 6):
        names = [f"x{i}" for i in range(1, n + 1)]
        params = [(v, "Int") for v in names]
        fx = call("m", names)
        for kind, cmp in (("max", ">="), ("min", "<=")):
            cons = [f"({cmp} {fx} {v})" for v in names]
            cons.append("(or " + " ".join(f"(= {fx} {v})" for v in names) + ")")
            grammar = int_grammar(INT_COND, names) if n in (2, 3) and kind == "max" else None
            add(f"{kind}{n}.sl", problem("LIA", [("m", params, "Int", grammar)], params, cons,
                                         f"{kind} of {n}" + (", with a grammar" if grammar else "")
                                         + (" (hard)" if n == 5 else "")),
                define("m", params, "Int", nested_max(names, cmp)))
    x1 = [("x", "Int")]
    add("abs.sl", problem("LIA", [("f", x1, "Int", None)], x1,
                          ["(>= (f x) 0)", "(or (= (f x) x) (= (f x) (- x)))"], "absolute value"),
        define("f", x1, "Int", "(ite (>= x 0) x (- x))"))
    add("abs_grammar.sl", problem("LIA", [("f", x1, "Int", int_grammar(INT_COND, ["x"]))], x1,
                                  ["(>= (f x) 0)", "(or (= (f x) x) (= (+ (f x) x) 0))"],
                                  "absolute value in a grammar without unary minus"),
        define("f", x1, "Int", "(ite (<= 0 x) x (- 0 x))"))
    xy = [("x", "Int"), ("y", "Int")]
    add("absdiff.sl", problem("LIA", [("f", xy, "Int", None)], xy,
                              ["(>= (f x y) 0)", "(or (= (f x y) (- x y)) (= (f x y) (- y x)))"], "|x - y|"),
        define("f", xy, "Int", "(ite (>= x y) (- x y) (- y x))"))
    add("sign.sl", problem("LIA", [("f", x1, "Int", None)], x1,
                           ["(=> (> x 0) (= (f x) 1))", "(=> (< x 0) (= (f x) (- 1)))", "(=> (= x 0) (= (f x) 0))"],
                           "sign"),
        define("f", x1, "Int", "(ite (> x 0) 1 (ite (< x 0) (- 1) 0))"))
    add("relu.sl", problem("LIA", [("f", x1, "Int", int_grammar(INT_COND, ["x"]))], x1,
                           ["(>= (f x) 0)", "(>= (f x) x)", "(or (= (f x) 0) (= (f x) x))"], "max(x, 0)"),
        define("f", x1, "Int", "(ite (<= x 0) 0 x)"))
    clamp_p = [("x", "Int"), ("lo", "Int"), ("hi", "Int")]
    fc = "(f x lo hi)"
    add("clamp.sl", problem("LIA", [("f", clamp_p, "Int", None)], clamp_p,
                            [f"(=> (<= lo hi) (and (<= lo {fc}) (<= {fc} hi)))",
                             f"(=> (and (<= lo x) (<= x hi)) (= {fc} x))",
                             f"(=> (and (<= lo hi) (< x lo)) (= {fc} lo))",
                             f"(=> (and (<= lo hi) (> x hi)) (= {fc} hi))"], "clamp x into [lo, hi]"),
        define("f", clamp_p, "Int", "(ite (< x lo) lo (ite (> x hi) hi x))"))
    add("clamp_const.sl", problem("LIA", [("f", x1, "Int", None)], x1,
                                  ["(<= (- 100) (f x))", "(<= (f x) 250)",
                                   "(=> (and (<= (- 100) x) (<= x 250)) (= (f x) x))",
                                   "(=> (> x 250) (= (f x) 250))", "(=> (< x (- 100)) (= (f x) (- 100)))"],
                                  "clamp into [-100, 250] (hard: larger constants)"),
        define("f", x1, "Int", "(ite (< x (- 100)) (- 100) (ite (> x 250) 250 x))"))
    # argmax of n: an index whose value is at least every other
    for n in (2, 3, 4):
        names = [f"x{i}" for i in range(n)]
        params = [(v, "Int") for v in names]
        fx = call("arg", names)
        alts = []
        for i, v in enumerate(names):
            conds = " ".join(f"(>= {v} {o})" for o in names if o != v)
            alts.append(f"(and (= {fx} {i}) {conds})")
        answer = argmax_answer(n)
        add(f"argmax{n}.sl", problem("LIA", [("arg", params, "Int", None)], params, ["(or " + " ".join(alts) + ")"],
                                     f"an index of a largest of {n} values" + (" (hard)" if n == 4 else "")),
            define("arg", params, "Int", answer))
    # search in a sorted tuple: the number of elements below k
    for n in (2, 3, 4, 5):
        names = [f"x{i}" for i in range(1, n + 1)] + ["k"]
        params = [(v, "Int") for v in names]
        fx = call("pos", names)
        sorted_pre = "(and " + " ".join(f"(< x{i} x{i + 1})" for i in range(1, n)) + ")"
        cons = [f"(=> (and {sorted_pre} (< k x1)) (= {fx} 0))", f"(=> (and {sorted_pre} (> k x{n})) (= {fx} {n}))"]
        for i in range(1, n):
            cons.append(f"(=> (and {sorted_pre} (> k x{i}) (< k x{i + 1})) (= {fx} {i}))")
        answer = str(n)
        for i in range(n, 0, -1):
            answer = f"(ite (< k x{i}) {i - 1} {answer})"
        add(f"search{n}.sl", problem("LIA", [("pos", params, "Int", None)], params, cons,
                                     f"where k goes among {n} sorted values" + (" (hard)" if n == 5 else "")),
            define("pos", params, "Int", answer))
    # random piecewise-linear targets, spec by logic
    for i in range(6):
        c = rng.randint(-6, 6)
        a1, b1, a2, b2 = (rng.randint(-3, 3) for _ in range(4))
        if (a1, b1) == (a2, b2):
            a2 += 1
        lo = linear_plain({"x": a1}, b1) if a1 else b1
        hi = linear_plain({"x": a2}, b2) if a2 else b2
        target = ("ite", ("<", "x", c), lo, hi)
        add(f"piecewise_{i}.sl", problem("LIA", [("f", x1, "Int", None)], x1, [f"(= (f x) {show(target)})"],
                                         f"random piecewise-linear target {show(target)}"),
            define("f", x1, "Int", show(target)))
    # two-variable conditional targets from the grammar, spec by logic
    for i in range(3):
        target = rand_int_expr(rng, ["x", "y"], 3, [0, 1], need_ite=True)
        add(f"cond_{i}.sl", problem("LIA", [("f", xy, "Int", int_grammar(INT_COND, ["x", "y"]))], xy,
                                    [f"(= (f x y) {show(target)})"], "random conditional target from the grammar"),
            define("f", xy, "Int", show(target)))
    # infeasible
    add("max2_finite.sl", problem("LIA", [("m", xy, "Int", "((S Int)) ((S Int (x y 0 (+ x y))))")], xy,
                                  ["(>= (m x y) x)", "(>= (m x y) y)", "(or (= (m x y) x) (= (m x y) y))"],
                                  "infeasible: max of two without ite, finite grammar"),
        None, "infeasible")
    add("sign_finite.sl", problem("LIA", [("f", x1, "Int", "((S Int) (T Int) (B Bool)) ((S Int (0 1 (ite B T T))) "
                                                          "(T Int (0 1)) (B Bool ((< x 0) (> x 0))))")], x1,
                                  ["(=> (> x 0) (= (f x) 1))", "(=> (< x 0) (= (f x) (- 1)))"],
                                  "infeasible: sign without a way to write -1"),
        None, "infeasible")
    return items


def argmax_answer(n: int) -> str:
    """Index of the first largest: nested ites over 'xi is at least every other'."""
    answer = str(n - 1)
    for i in range(n - 2, -1, -1):
        conds = " ".join(f"(>= x{i} x{j})" for j in range(n) if j != i)
        answer = f"(ite (and {conds}) {i} {answer})" if n > 2 else f"(ite {conds} {i} {answer})"
    return answer


def rand_int_expr(rng: random.Random, names: list[str], depth: int, consts: list[int], need_ite: bool = False) -> Expr:
    """A random term of INT_COND (``need_ite``: the root is an ite)."""
    def term(d: int) -> Expr:
        if d == 0 or rng.random() < 0.3:
            return rng.choice(names + consts)
        op = rng.choice(["+", "-", "+", "-", "ite"])
        if op == "ite":
            return ("ite", cond(d - 1), term(d - 1), term(d - 1))
        return (op, term(d - 1), term(d - 1))

    def cond(d: int) -> Expr:
        op = rng.choice(["<=", "<", "=", "<=", "<"])
        a, b = term(max(d - 1, 0)), term(max(d - 1, 0))
        if a == b:
            b = rng.choice(names)
        return (op, a, b)

    while True:
        e = ("ite", cond(depth - 1), term(depth - 1), term(depth - 1)) if need_ite else term(depth)
        if isinstance(e, tuple) and e[-1] != e[-2]:
            return e


# ---- pbe_lia/ -----------------------------------------------------------------------------------------


def pbe_lia(rng: random.Random) -> list[Item]:
    items: list[Item] = []

    def add(name: str, text: str, answer: str | None, expected: str = "solved") -> None:
        items.append(Item("pbe_lia", name, text, expected, answer))

    def examples(target: Expr, names: list[str], count: int, span: int) -> list[str]:
        seen: set[tuple[int, ...]] = set()
        cons = []
        while len(cons) < count:
            point = tuple(rng.randint(-span, span) for _ in names)
            if point in seen:
                continue
            seen.add(point)
            out = ev_int(target, dict(zip(names, point)))
            cons.append(f"(= (f {' '.join(int_lit(v) for v in point)}) {int_lit(int(out))})")
        return cons

    seen_targets: set[str] = set()
    i = 0
    while i < 16:
        k = 1 if i % 4 == 0 else 2
        names = ["x", "y"][:k]
        target = rand_int_expr(rng, names, 3 if i < 10 else 4, [0, 1, 2, 3], need_ite=i % 3 == 0)
        key = show(target)
        if key in seen_targets or len(key) < 9:
            continue
        values = {ev_int(target, {"x": a, "y": b}) for a in range(-3, 4) for b in range(-3, 4)}
        if len(values) < 3:  # nearly constant: not an interesting example set
            continue
        seen_targets.add(key)
        params = [(v, "Int") for v in names]
        grammar = ("((S Int) (B Bool)) ((S Int (" + " ".join(names) + " 0 1 2 3 (+ S S) (- S S) (ite B S S))) "
                   "(B Bool ((<= S S) (< S S) (= S S) (and B B) (not B))))") if i % 2 == 0 else None
        add(f"pbe_{i:02d}.sl", problem("LIA", [("f", params, "Int", grammar)], [],
                                       examples(target, names, 10 if k == 1 else 14, 20),
                                       f"by examples; drawn target {key}" + (", with a grammar" if grammar else "")),
            define("f", params, "Int", key))
        i += 1
    # hard: large constants from small ones
    for j, (a, c) in enumerate([(3, 41), (-4, 77), (6, -55)]):
        target = linear_plain({"x": a}, c)
        add(f"pbe_hard_{j}.sl", problem("LIA", [("f", [("x", "Int")], "Int", int_grammar(INT_LINEAR, ["x"]))], [],
                                        examples(target, ["x"], 8, 50),
                                        f"hard, by examples: {show(target)} from 0, 1, + and -"),
            define("f", [("x", "Int")], "Int", show(linear_in_grammar({"x": a}, c))))
    # piecewise by examples: a step function
    target = ("ite", ("<", "x", 10), ("+", "x", 1), ("-", "x", 10))
    add("pbe_step.sl", problem("LIA", [("f", [("x", "Int")], "Int", None)], [],
                               [f"(= (f {int_lit(v)}) {int_lit(int(ev_int(target, {'x': v})))})"
                                for v in (-7, 0, 3, 9, 10, 11, 25, 40)], "by examples: a step at 10"),
        define("f", [("x", "Int")], "Int", show(target)))
    # infeasible: conflicting examples, and a finite grammar
    add("pbe_conflict.sl", problem("LIA", [("f", [("x", "Int"), ("y", "Int")], "Int", None)], [],
                                   ["(= (f 1 2) 3)", "(= (f 4 0) 4)", "(= (f 1 2) 4)"],
                                   "infeasible: two outputs for the input (1, 2)"),
        None, "infeasible")
    add("pbe_conflict_grammar.sl", problem("LIA", [("f", [("x", "Int")], "Int", int_grammar(INT_COND, ["x"]))], [],
                                           ["(= (f 0) 0)", "(= (f 5) 1)", "(= (f 0) 2)"],
                                           "infeasible: conflicting examples, with a grammar"),
        None, "infeasible")
    add("pbe_finite.sl", problem("LIA", [("f", [("x", "Int")], "Int", "((S Int)) ((S Int (x 1 (+ x 1))))")], [],
                                 ["(= (f 1) 2)", "(= (f 2) 4)", "(= (f 3) 6)"], "infeasible: 2x from a finite grammar"),
        None, "infeasible")
    return items


# ---- bv/ ----------------------------------------------------------------------------------------------


def bv_sort(w: int) -> str:
    return f"(_ BitVec {w})"


def bv_grammar(w: int, names: list[str], ops: list[str], consts: list[int]) -> str:
    s = bv_sort(w)
    unary = {"bvnot", "bvneg"}
    prods = names + [bv_lit(c, w) for c in consts] + [f"({op} S)" if op in unary else f"({op} S S)" for op in ops]
    return f"((S {s})) ((S {s} ({' '.join(prods)})))"


def bv(rng: random.Random) -> list[Item]:
    items: list[Item] = []

    def add(name: str, text: str, answer: str | None, expected: str = "solved") -> None:
        items.append(Item("bv", name, text, expected, answer))

    def edge_inputs(w: int, k: int, count: int) -> list[tuple[int, ...]]:
        m = (1 << w) - 1
        pool = [0, 1, 2, m, m - 1, 1 << (w - 1), (1 << (w - 1)) - 1]
        points: list[tuple[int, ...]] = []
        while len(points) < count:
            p = tuple(rng.choice(pool) if rng.random() < 0.25 else rng.getrandbits(w) for _ in range(k))
            if p not in points:
                points.append(p)
        return points

    def pbe(name: str, w: int, names: list[str], target: Expr, ops: list[str], consts: list[int], comment: str,
            count: int = 10, answer: Expr | None = None) -> None:
        params = [(v, bv_sort(w)) for v in names]
        cons = []
        for p in edge_inputs(w, len(names), count):
            out = ev_bv(target, dict(zip(names, p)), w)
            cons.append(f"(= (f {' '.join(bv_lit(v, w) for v in p)}) {bv_lit(out, w)})")
        grammar = bv_grammar(w, names, ops, consts)
        add(name, problem("BV", [("f", params, bv_sort(w), grammar)], [], cons, comment),
            define("f", params, bv_sort(w), show(answer if answer is not None else target, w)))

    def logic(name: str, w: int, names: list[str], spec: Expr, ops: list[str], consts: list[int], comment: str,
              answer: Expr, extra: list[str] = ()) -> None:
        params = [(v, bv_sort(w)) for v in names]
        grammar = bv_grammar(w, names, ops, consts)
        cons = [f"(= {call('f', names)} {show(spec, w)})", *extra]
        add(name, problem("BV", [("f", params, bv_sort(w), grammar)], params, cons, comment),
            define("f", params, bv_sort(w), show(answer, w)))

    basic = ["bvand", "bvor", "bvxor", "bvnot", "bvneg", "bvadd", "bvsub"]
    shifts = ["bvshl", "bvlshr"]
    # Hacker's-Delight-style classics, by examples, at several widths
    classics: list[tuple[str, Expr, str]] = [
        ("lowest_set_bit", ("bvand", "x", ("bvneg", "x")), "isolate the lowest set bit"),
        ("clear_lowest", ("bvand", "x", ("bvsub", "x", 1)), "clear the lowest set bit"),
        ("lowest_zero", ("bvand", ("bvnot", "x"), ("bvadd", "x", 1)), "isolate the lowest clear bit"),
        ("trailing_mask", ("bvxor", "x", ("bvsub", "x", 1)), "mask up to and including the lowest set bit"),
        ("fill_trailing", ("bvor", "x", ("bvsub", "x", 1)), "set the bits below the lowest set bit"),
        ("clear_trailing_ones", ("bvand", "x", ("bvadd", "x", 1)), "clear the trailing ones"),
    ]
    widths = [8, 16, 32, 64]
    for j, (name, target, comment) in enumerate(classics):
        for w in (widths[j % 4], widths[(j + 2) % 4]):
            pbe(f"{name}_{w}.sl", w, ["x"], target, basic, [0, 1], f"{comment}, {w} bits, by examples")
    # two-argument tricks
    avg = ("bvadd", ("bvand", "x", "y"), ("bvlshr", ("bvxor", "x", "y"), 1))
    pbe("avg_floor_8.sl", 8, ["x", "y"], avg, basic + shifts, [0, 1], "floor average without overflow, 8 bits",
        count=12)
    avg_ceil = ("bvsub", ("bvor", "x", "y"), ("bvlshr", ("bvxor", "x", "y"), 1))
    pbe("avg_ceil_16.sl", 16, ["x", "y"], avg_ceil, basic + shifts, [0, 1],
        "ceiling average without overflow, 16 bits (hard)", count=12)
    pbe("swap_nibbles_8.sl", 8, ["x"], ("bvor", ("bvshl", "x", 4), ("bvlshr", "x", 4)), basic + shifts, [0, 1, 4],
        "swap the two nibbles of a byte")
    round8 = ("bvand", ("bvadd", "x", 7), ("bvnot", 7))
    pbe("round_up8_32.sl", 32, ["x"], round8, basic, [0, 1, 7], "round up to a multiple of 8, 32 bits")
    # logic specs: the reference is written with operators the grammar lacks
    for w, hard in ((8, ""), (16, " (hard)")):
        p2 = [("x", bv_sort(w)), ("y", bv_sort(w))]
        wide = "(bvlshr (bvadd ((_ zero_extend 1) x) ((_ zero_extend 1) y)) " + bv_lit(1, w + 1) + ")"
        grammar = bv_grammar(w, ["x", "y"], basic + shifts, [0, 1])
        add(f"avg_widen_{w}.sl", problem("BV", [("f", p2, bv_sort(w), grammar)], p2,
                                         [f"(= ((_ zero_extend 1) (f x y)) {wide})"],
                                         f"floor average specified in {w + 1} bits, answer in {w}{hard}"),
            define("f", p2, bv_sort(w), show(avg, w)))
    logic("dec_no_sub_32.sl", 32, ["x"], ("bvand", "x", ("bvsub", "x", 1)), ["bvand", "bvor", "bvnot", "bvadd"],
          [0, 1], "clear the lowest set bit, 32 bits, without bvsub in the grammar",
          ("bvand", "x", ("bvadd", "x", ("bvnot", 0))))
    logic("neg_no_neg_16.sl", 16, ["x"], ("bvneg", "x"), ["bvnot", "bvadd", "bvand"], [0, 1],
          "two's complement negation from bvnot and bvadd", ("bvadd", ("bvnot", "x"), 1))
    logic("xor_from_andor_64.sl", 64, ["x", "y"], ("bvxor", "x", "y"), ["bvand", "bvor", "bvnot"], [],
          "xor from and, or, not, 64 bits", ("bvand", ("bvor", "x", "y"), ("bvnot", ("bvand", "x", "y"))))
    logic("times3_8.sl", 8, ["x"], ("bvmul", "x", 3), ["bvadd", "bvshl"], [1], "3x without bvmul, 8 bits",
          ("bvadd", ("bvshl", "x", 1), "x"))
    logic("times10_32.sl", 32, ["x"], ("bvmul", "x", 10), ["bvadd", "bvshl"], [1, 2],
          "10x from shifts and adds, 32 bits (hard)", ("bvadd", ("bvshl", "x", 1), ("bvshl", "x", ("bvadd", 2, 1))))
    logic("abs_diffsign_8.sl", 8, ["x"], ("bvsub", ("bvxor", "x", ("bvashr", "x", 7)), ("bvashr", "x", 7)),
          ["bvxor", "bvsub", "bvashr", "bvadd"], [0, 7], "absolute value without branches, 8 bits",
          ("bvsub", ("bvxor", "x", ("bvashr", "x", 7)), ("bvashr", "x", 7)))
    # random targets drawn from the grammar, by examples
    seen: set[str] = set()
    i = 0
    while i < 6:
        w = widths[i % 4]
        names = ["x"] if i % 2 == 0 else ["x", "y"]
        target = rand_bv_expr(rng, names, 3)
        key = show(target, w)
        outs = {ev_bv(target, {"x": a, "y": b}, w) for a in (0, 1, 5, 200) for b in (0, 3, 77)}
        if key in seen or len(outs) < 3:
            continue
        seen.add(key)
        pbe(f"random_{i}_{w}.sl", w, names, target, basic + shifts, [0, 1], f"drawn target {key}, by examples")
        i += 1
    # infeasible
    w = 16
    pbe_inf = [f"(= (f {bv_lit(v, w)}) {bv_lit(v & (v - 1), w)})" for v in (6, 12, 1, 0xFFFF, 0x8000)]
    add("finite_clear_lowest_16.sl", problem("BV", [("f", [("x", bv_sort(w))], bv_sort(w),
                                                    f"((S {bv_sort(w)})) ((S {bv_sort(w)} (x #x0000 (bvnot x) "
                                                    "(bvneg x))))")], [], pbe_inf,
                                             "infeasible: clear the lowest set bit from a finite grammar"),
        None, "infeasible")
    add("conflict_8.sl", problem("BV", [("f", [("x", bv_sort(8))], bv_sort(8), bv_grammar(8, ["x"], basic, [0, 1]))],
                                 [], ["(= (f #x03) #x01)", "(= (f #x10) #x10)", "(= (f #x03) #x02)"],
                                 "infeasible: conflicting examples"),
        None, "infeasible")
    add("no_odd_32.sl", problem("BV", [("f", [("x", bv_sort(32))], bv_sort(32),
                                         "((S (_ BitVec 32))) ((S (_ BitVec 32) (x (bvshl x #x00000001))))")],
                                [("x", bv_sort(32))], ["(= (f x) (bvor x #x00000001))"],
                                "infeasible: set the low bit from a finite grammar"),
        None, "infeasible")
    return items


def rand_bv_expr(rng: random.Random, names: list[str], depth: int) -> Expr:
    ops2 = ["bvand", "bvor", "bvxor", "bvadd", "bvsub", "bvshl", "bvlshr"]

    def term(d: int) -> Expr:
        if d == 0 or rng.random() < 0.25:
            return rng.choice(names + [1] + names)
        if rng.random() < 0.2:
            return (rng.choice(["bvnot", "bvneg"]), term(d - 1))
        op = rng.choice(ops2)
        if op in ("bvshl", "bvlshr"):
            return (op, term(d - 1), 1)
        return (op, term(d - 1), term(d - 1))

    while True:
        e = term(depth)
        if isinstance(e, tuple) and e[1] != e[-1]:
            return e


# ---- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the folders (default: beside this file)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    items = lia(rng) + clia(rng) + pbe_lia(rng) + bv(rng)
    by_folder: dict[str, list[Item]] = {}
    for item in items:
        by_folder.setdefault(item.folder, []).append(item)
    for folder, group in by_folder.items():
        out = args.out / folder
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.sl"):
            old.unlink()
        names = [it.name for it in group]
        assert len(names) == len(set(names)), f"duplicate names in {folder}"
        lines = []
        for it in group:
            (out / it.name).write_text(it.text)
            lines.append(json.dumps({"file": it.name, "kind": folder, "expected": it.expected, "answer": it.answer}))
        (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
        print(f"{folder}: {len(group)} problems")
    print(f"total: {len(items)}")


if __name__ == "__main__":
    main()
