"""SMT-LIB reader, Z3 translation and concrete semantics (recursa.symbolic.smtlib), checked against Z3's own
reader and evaluator."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recursa.symbolic.smtlib import (
    SmtlibError,
    SmtlibUnsupported,
    UndefinedValue,
    evaluate,
    evaluator,
    macro,
    parse_sexprs,
    read_script,
    read_term,
    to_z3,
    z3_sort,
)
from recursa.symbolic.terms import BOOL, INT, App, Lit, Sort, Var, bitvec, to_smtlib

SUITE = Path(__file__).resolve().parent.parent / "tasks" / "synthesis"


def _equivalent(a: z3.ExprRef, b: z3.ExprRef) -> bool:
    if a.eq(b):
        return True
    s = z3.Solver()
    s.set("timeout", 20000)
    s.add(a != b)
    return s.check() == z3.unsat


def _z3_env(sorts: dict[str, Sort]) -> dict[str, z3.ExprRef]:
    return {n: z3.Const(n, z3_sort(s)) for n, s in sorts.items()}


# ------------------------------------------------------------------------------------------------ generated corpus

VARS: dict[str, Sort] = {"x": INT, "y": INT, "z": INT, "p": BOOL, "q": BOOL, "a": bitvec(8), "b": bitvec(8),
                         "c": bitvec(5)}  # fmt: skip
DEFS = """
(define-fun h ((u Int) (v (_ BitVec 8))) Int (ite (bvult v #x80) (+ u 1) (- u (abs u))))
(define-fun k ((r Bool) (s (_ BitVec 5))) (_ BitVec 5) (ite r (bvadd s #b00001) (bvnot s)))
(define-fun one () Int 1)
"""
BV_BIN = ["bvand", "bvor", "bvxor", "bvnand", "bvnor", "bvxnor", "bvadd", "bvsub", "bvmul", "bvudiv", "bvurem",
          "bvsdiv", "bvsrem", "bvsmod", "bvshl", "bvlshr", "bvashr"]  # fmt: skip
BV_CMP = ["bvult", "bvule", "bvugt", "bvuge", "bvslt", "bvsle", "bvsgt", "bvsge"]


class Gen:
    """Random well-sorted SMT-LIB text over VARS and DEFS; ``scope`` holds let binders (they may shadow)."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.fresh = 0

    def vars_of(self, sort: Sort, scope: dict[str, Sort]) -> list[str]:
        return [n for n, s in {**VARS, **scope}.items() if s == sort and scope.get(n, s) == sort]

    def term(self, sort: Sort, depth: int, scope: dict[str, Sort]) -> str:
        r = self.r
        names = [n for n, s in {**VARS, **scope}.items() if s == sort]
        if depth <= 0 or r.random() < 0.15:
            if names and r.random() < 0.6:
                return r.choice(names)
            return self.literal(sort)
        if r.random() < 0.08:
            return self.let(sort, depth, scope)
        if r.random() < 0.1:
            return f"(ite {self.term(BOOL, depth - 1, scope)} {self.term(sort, depth - 1, scope)} " \
                   f"{self.term(sort, depth - 1, scope)})"  # fmt: skip
        if sort == BOOL:
            return self.boolean(depth, scope)
        if sort == INT:
            return self.integer(depth, scope)
        return self.bv(sort.width, depth, scope)

    def literal(self, sort: Sort) -> str:
        r = self.r
        if sort == BOOL:
            return r.choice(["true", "false"])
        if sort == INT:
            v = r.choice([0, 1, 2, 3, 7, 100, r.randrange(10**6)])
            return str(v) if r.random() < 0.7 else f"(- {v})"
        w = sort.width
        v = r.randrange(1 << w)
        form = r.random()
        if form < 0.3 and w % 4 == 0:
            return "#x" + format(v, f"0{w // 4}x")
        if form < 0.6:
            return "#b" + format(v, f"0{w}b")
        return f"(_ bv{v} {w})"

    def let(self, sort: Sort, depth: int, scope: dict[str, Sort]) -> str:
        r = self.r
        binds = []
        inner = dict(scope)
        for _ in range(r.randint(1, 2)):
            bsort = r.choice([INT, BOOL, bitvec(8), sort])
            # reuse a name now and then, to exercise shadowing (the bound term is read in the outer scope)
            name = r.choice(list(VARS)) if r.random() < 0.3 else f"t{self.fresh}"
            self.fresh += 1
            if any(b[0] == name for b in binds):
                continue
            binds.append((name, bsort, self.term(bsort, depth - 1, scope)))
        for name, bsort, _ in binds:
            inner[name] = bsort
        text = " ".join(f"({n} {t})" for n, _, t in binds)
        return f"(let ({text}) {self.term(sort, depth - 1, inner)})"

    def boolean(self, depth: int, scope: dict[str, Sort]) -> str:
        r = self.r
        d = depth - 1
        choice = r.randrange(9)
        if choice == 0:
            return f"(not {self.term(BOOL, d, scope)})"
        if choice == 1:
            op = r.choice(["and", "or", "xor", "=>"])
            return f"({op} {' '.join(self.term(BOOL, d, scope) for _ in range(r.randint(2, 3)))})"
        if choice == 2:
            s = r.choice([INT, BOOL, bitvec(8), bitvec(3)])
            op = r.choice(["=", "distinct"])
            return f"({op} {' '.join(self.term(s, d, scope) for _ in range(r.randint(2, 3)))})"
        if choice in (3, 4):
            op = r.choice(["<", "<=", ">", ">="])
            return f"({op} {' '.join(self.term(INT, d, scope) for _ in range(r.randint(2, 3)))})"
        if choice in (5, 6):
            w = r.choice([8, 5, 1])
            return f"({r.choice(BV_CMP)} {self.term(bitvec(w), d, scope)} {self.term(bitvec(w), d, scope)})"
        if choice == 7:
            return f"(! {self.term(BOOL, d, scope)} :named n{self.fresh_id()})"
        return f"(= (k {self.term(BOOL, d, scope)} {self.term(bitvec(5), d, scope)}) {self.term(bitvec(5), d, scope)})"

    def fresh_id(self) -> int:
        self.fresh += 1
        return self.fresh

    def integer(self, depth: int, scope: dict[str, Sort]) -> str:
        r = self.r
        d = depth - 1
        choice = r.randrange(8)
        if choice == 0:
            op = r.choice(["+", "-", "*"])
            n = r.randint(1 if op == "-" else 2, 3)
            args = [self.term(INT, d, scope) for _ in range(n)]
            if op == "*":  # keep products mostly linear so the equivalence proofs stay easy
                args[0] = self.literal(INT)
            return f"({op} {' '.join(args)})"
        if choice == 1:
            return f"({r.choice(['div', 'mod'])} {self.term(INT, d, scope)} {self.literal(INT)})"
        if choice == 2:
            return f"(abs {self.term(INT, d, scope)})"
        if choice == 3:
            return f"(h {self.term(INT, d, scope)} {self.term(bitvec(8), d, scope)})"
        if choice == 4:
            return "one"
        op = r.choice(["+", "-"])
        return f"({op} {self.term(INT, d, scope)} {self.term(INT, d, scope)})"

    def bv(self, w: int, depth: int, scope: dict[str, Sort]) -> str:
        r = self.r
        d = depth - 1
        choice = r.randrange(11)
        if choice <= 3:
            return f"({r.choice(BV_BIN)} {self.term(bitvec(w), d, scope)} {self.term(bitvec(w), d, scope)})"
        if choice == 4:
            return f"({r.choice(['bvnot', 'bvneg'])} {self.term(bitvec(w), d, scope)})"
        if choice == 5:
            src = r.choice([w, w + 3, 8 if w <= 8 else w])
            j = r.randint(0, src - w)
            return f"((_ extract {j + w - 1} {j}) {self.term(bitvec(src), d, scope)})"
        if choice == 6 and w >= 2:
            w1 = r.randint(1, w - 1)
            return f"(concat {self.term(bitvec(w1), d, scope)} {self.term(bitvec(w - w1), d, scope)})"
        if choice == 7:
            k = r.randint(0, w - 1)
            op = r.choice(["zero_extend", "sign_extend"])
            return f"((_ {op} {k}) {self.term(bitvec(w - k), d, scope)})"
        if choice == 8:
            op = r.choice(["rotate_left", "rotate_right"])
            return f"((_ {op} {r.randint(0, 2 * w)}) {self.term(bitvec(w), d, scope)})"
        if choice == 9 and w == 1:
            return f"(bvcomp {self.term(bitvec(3), d, scope)} {self.term(bitvec(3), d, scope)})"
        if choice == 9 and w % 2 == 0:
            return f"((_ repeat 2) {self.term(bitvec(w // 2), d, scope)})"
        if choice == 10 and w == 5:
            return f"(k {self.term(BOOL, d, scope)} {self.term(bitvec(5), d, scope)})"
        op = r.choice(["bvadd", "bvmul", "bvand", "bvor", "bvxor"])
        return f"({op} {' '.join(self.term(bitvec(w), d, scope) for _ in range(3))})"


def _declarations() -> str:
    return "".join(f"(declare-fun {n} () {s})\n" for n, s in VARS.items()) + DEFS


def _check_script(text: str) -> int:
    script = read_script(text, "gen.smt2")
    env = _z3_env(script.constants)
    functions = {}
    for name, d in script.definitions.items():
        functions[name] = macro(d.params, d.body, functions)
    reference = z3.parse_smt2_string(text)
    assert len(reference) == len(script.assertions)
    for mine, ref in zip(script.assertions, reference):
        assert _equivalent(to_z3(mine, env, functions), ref), to_smtlib(mine)
    return len(script.assertions)


def test_generated_formulas_read_like_z3_reads_them() -> None:
    gen = Gen(2026)
    asserts = [f"(assert {gen.term(BOOL, gen.r.randint(2, 6), {})})" for _ in range(300)]
    assert _check_script(_declarations() + "\n".join(asserts)) == 300


def test_printed_terms_read_back_to_the_same_formula() -> None:
    gen = Gen(7)
    text = _declarations() + "\n".join(f"(assert {gen.term(BOOL, 5, {})})" for _ in range(100))
    script = read_script(text)
    printed = _declarations() + "\n".join(f"(assert {to_smtlib(t)})" for t in script.assertions)
    again = read_script(printed)
    env = _z3_env(script.constants)
    functions = {n: macro(d.params, d.body) for n, d in script.definitions.items()}
    for a, b in zip(script.assertions, again.assertions):
        assert _equivalent(to_z3(a, env, functions), to_z3(b, env, functions))


def _sl_as_smt2(path: Path) -> str | None:
    """The SyGuS file as an SMT-LIB script that Z3 can read (synth-funs become uninterpreted functions,
    declare-var declare-fun, constraint assert), or None when it has an inv-constraint or an assume (their
    expansion has no source text of its own)."""
    from recursa.synth.sygus import read_problem

    problem = read_problem(str(path))
    out = [f"(declare-fun {f.name} ({' '.join(str(s) for _, s in f.params)}) {f.sort})" for f in problem.functions]
    out += [f"(declare-fun {name} () {sort})" for name, sort in problem.declared]
    for cmd in _top_level_commands(path.read_text()):
        head = cmd[1:].split(None, 1)[0]
        if head in ("inv-constraint", "assume"):
            return None
        if head == "check-synth":
            break
        if head == "define-fun":
            out.append(cmd)
        elif head == "constraint":
            out.append("(assert" + cmd[len("(constraint") :])
    return "\n".join(out)


def _top_level_commands(text: str) -> list[str]:
    """The text of each top-level s-expression (comments and strings respected)."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c == ";":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        if c == "|":
            i = text.index("|", i + 1)
        elif c == "(":
            if depth == 0:
                start = i
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                out.append(text[start : i + 1])
        i += 1
    return out


@pytest.mark.skipif(not SUITE.is_dir(), reason="tasks/synthesis is not there")
def test_every_constraint_of_the_suite_reads_like_z3_reads_it() -> None:
    from recursa.synth.sygus import read_problem

    checked = 0
    for path in sorted(SUITE.rglob("*.sl")):
        text = _sl_as_smt2(path)
        if text is None:
            continue
        problem = read_problem(str(path))
        reference = z3.parse_smt2_string(text)
        env = _z3_env(dict(problem.declared))
        functions: dict = {f.name: z3.Function(f.name, *[z3_sort(s) for _, s in f.params], z3_sort(f.sort))
                           for f in problem.functions}  # fmt: skip
        for name, d in problem.definitions.items():
            functions[name] = macro(d.params, d.body, functions)
        assert len(reference) == len(problem.constraints), path
        for mine, ref in zip(problem.constraints, reference):
            assert _equivalent(to_z3(mine, env, functions), ref), (path, to_smtlib(mine))
            checked += 1
    assert checked > 100


# ------------------------------------------------------------------------------------------------ concrete semantics

WIDTHS = [1, 2, 3, 7, 8, 16, 33, 64]
# The same examples on every run, and no example database left in the checkout.
DETERMINISTIC = {"derandomize": True, "database": None}
BV_UNARY_OPS = ["bvnot", "bvneg"]


def _z3_value(term: App) -> bool | int:
    value = z3.simplify(to_z3(term, {}))
    if z3.is_true(value) or z3.is_false(value):
        return z3.is_true(value)
    assert z3.is_int_value(value) or z3.is_bv_value(value), value
    return value.as_long()


@st.composite
def bv_values(draw: st.DrawFn, w: int) -> int:
    mask = (1 << w) - 1
    corners = [0, 1, mask, 1 << (w - 1), (1 << (w - 1)) - 1, w, w - 1]
    return draw(st.one_of(st.sampled_from([c & mask for c in corners]), st.integers(0, mask)))


@st.composite
def bv_applications(draw: st.DrawFn) -> App:
    w = draw(st.sampled_from(WIDTHS))
    s = bitvec(w)
    kind = draw(st.sampled_from(["bin", "cmp", "un", "extract", "extend", "rotate", "repeat", "concat", "bvcomp"]))
    x = Lit(draw(bv_values(w)), s)
    y = Lit(draw(bv_values(w)), s)
    if kind == "bin":
        return App(draw(st.sampled_from(BV_BIN)), (x, y), s)
    if kind == "cmp":
        return App(draw(st.sampled_from(BV_CMP)), (x, y), BOOL)
    if kind == "bvcomp":
        return App("bvcomp", (x, x if draw(st.booleans()) else y), bitvec(1))
    if kind == "un":
        return App(draw(st.sampled_from(BV_UNARY_OPS)), (x,), s)
    if kind == "extract":
        i = draw(st.integers(0, w - 1))
        j = draw(st.integers(0, i))
        return App("extract", (x,), bitvec(i - j + 1), (i, j))
    if kind == "extend":
        k = draw(st.integers(0, 9))
        return App(draw(st.sampled_from(["zero_extend", "sign_extend"])), (x,), bitvec(w + k), (k,))
    if kind == "rotate":
        k = draw(st.integers(0, 3 * w))
        return App(draw(st.sampled_from(["rotate_left", "rotate_right"])), (x,), s, (k,))
    if kind == "repeat":
        k = draw(st.integers(1, 4))
        return App("repeat", (x,), bitvec(w * k), (k,))
    z = Lit(draw(bv_values(3)), bitvec(3))
    return App("concat", (x, z, y), bitvec(2 * w + 3))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow], **DETERMINISTIC)
@given(bv_applications())
def test_bit_vector_operators_compute_what_z3_computes(term: App) -> None:
    assert evaluate(term, {}) == _z3_value(term), to_smtlib(term)


INT_OPS = {"+": 3, "-": 2, "*": 2, "div": 2, "mod": 2, "abs": 1, "<": 3, "<=": 2, ">": 2, ">=": 3, "=": 3,
           "distinct": 3}  # fmt: skip


@settings(max_examples=400, deadline=None, **DETERMINISTIC)
@given(st.sampled_from(sorted(INT_OPS)), st.lists(st.integers(-(10**20), 10**20) | st.integers(-5, 5), min_size=3))
def test_integer_operators_compute_what_z3_computes(op: str, values: list[int]) -> None:
    args = tuple(Lit(v, INT) for v in values[: INT_OPS[op]])
    sort = BOOL if op in ("<", "<=", ">", ">=", "=", "distinct") else INT
    term = App(op, args, sort)
    if op in ("div", "mod") and values[1] == 0:
        with pytest.raises(UndefinedValue):
            evaluate(term, {})
        return
    assert evaluate(term, {}) == _z3_value(term), to_smtlib(term)


@settings(max_examples=200, deadline=None, **DETERMINISTIC)
@given(st.sampled_from(["and", "or", "xor", "=>", "=", "distinct", "not"]), st.lists(st.booleans(), min_size=3))
def test_boolean_operators_compute_what_z3_computes(op: str, values: list[bool]) -> None:
    args = tuple(Lit(v, BOOL) for v in (values[:1] if op == "not" else values[:3]))
    term = App(op, args, BOOL)
    assert evaluate(term, {}) == _z3_value(term)


def test_generated_formulas_evaluate_like_z3() -> None:
    gen = Gen(99)
    script = read_script(_declarations() + "\n".join(f"(assert {gen.term(BOOL, 5, {})})" for _ in range(150)))
    concrete: dict = {}
    for name, d in script.definitions.items():
        concrete[name] = evaluator(d.params, d.body, concrete)
    symbolic = {n: macro(d.params, d.body) for n, d in script.definitions.items()}
    rng = random.Random(5)
    compared = 0
    for term in script.assertions:
        for _ in range(3):
            values = {n: (rng.random() < 0.5 if s == BOOL else rng.randrange(1 << s.width) if s.is_bv
                          else rng.randint(-50, 50)) for n, s in VARS.items()}  # fmt: skip
            z3_env = {n: (z3.BoolVal(v) if VARS[n] == BOOL else z3.IntVal(v) if VARS[n] == INT
                          else z3.BitVecVal(v, VARS[n].width)) for n, v in values.items()}  # fmt: skip
            try:
                mine = evaluate(term, values, concrete)
            except UndefinedValue:
                continue
            assert mine == z3.is_true(z3.simplify(to_z3(term, z3_env, symbolic))), to_smtlib(term)
            compared += 1
    assert compared > 300


def test_bit_vector_corner_cases() -> None:
    def ev(text: str) -> bool | int:
        return evaluate(read_term(text), {})

    assert ev("(bvudiv #x07 #x00)") == 0xFF  # division by zero: all ones
    assert ev("(bvurem #x07 #x00)") == 0x07  # remainder by zero: the dividend
    assert ev("(bvsdiv #xf9 #x00)") == 0x01  # -7 / 0 = bvneg(bvudiv 7 0) = 1
    assert ev("(bvsdiv #x80 #xff)") == 0x80  # -128 / -1 overflows back to -128
    assert ev("(bvsrem #xf9 #x02)") == 0xFF  # -7 rem 2 = -1 (sign of the dividend)
    assert ev("(bvsmod #xf9 #x02)") == 0x01  # -7 mod 2 = 1 (sign of the divisor)
    assert ev("(bvsmod #x07 #xfe)") == 0xFF  # 7 mod -2 = -1
    assert ev("(bvshl #x01 #x08)") == 0 and ev("(bvlshr #x80 #xff)") == 0
    assert ev("(bvashr #x80 #x09)") == 0xFF and ev("(bvashr #x40 #x09)") == 0
    assert ev("((_ rotate_left 9) #x81)") == 0x03
    assert ev("((_ sign_extend 4) #b1010)") == 0b11111010
    assert ev("(bvcomp #b101 #b101)") == 1
    assert ev("(div (- 7) 2)") == -4 and ev("(mod (- 7) 2)") == 1  # Euclidean
    assert ev("(div 7 (- 2))") == -3 and ev("(mod (- 7) (- 2))") == 1
    assert read_term("(_ bv255 8)").sort == bitvec(8)


def test_integer_division_by_zero_is_undefined_but_branches_not_taken_do_not_matter() -> None:
    x = {"x": INT}
    with pytest.raises(UndefinedValue):
        evaluate(read_term("(+ 1 (div x 0))", x), {"x": 3})
    assert evaluate(read_term("(ite (> x 0) x (div x 0))", x), {"x": 3}) == 3
    assert evaluate(read_term("(and (< x 0) (= (mod x 0) 1))", x), {"x": 3}) is False
    assert evaluate(read_term("(=> (< x 0) (= (mod x 0) 1))", x), {"x": 3}) is True


# ------------------------------------------------------------------------------------------------ errors


ERRORS = [
    # (text, exception, line, col, fragment)
    ("(assert (+ 1\n   true))", SmtlibError, 2, 4, "'+' expects Int arguments, argument 2 is Bool"),
    ("(declare-fun x () Int)\n(assert (> x 1)", SmtlibError, 2, 1, "unbalanced parentheses: '(' is never closed"),
    ("(assert true))", SmtlibError, 1, 14, "')' without a matching '('"),
    ("(assert (and true nope))", SmtlibError, 1, 19, "unknown symbol 'nope'"),
    ("(assert (frob 1))", SmtlibError, 1, 10, "unknown function 'frob'"),
    ("(assert (not true false))", SmtlibError, 1, 9, "'not' takes 1 argument, got 2"),
    ("(assert (ite true 1 false))", SmtlibError, 1, 21, "then is Int, else is Bool"),
    ("(assert (= #xf #b1111 #b111))", SmtlibError, 1, 23, "argument 1 is (_ BitVec 4), argument 3 is (_ BitVec 3)"),
    ("(assert (= ((_ extract 3 5) #xff) #x0))", SmtlibError, 1, 12, "(_ extract 3 5) needs"),
    ("(assert (= ((_ frob 1) #xff) #x0))", SmtlibError, 1, 16, "unknown indexed operator 'frob'"),
    ("(assert (= (_ bv256 8) #x00))", SmtlibError, 1, 12, "does not fit in 8 bits"),
    ("(assert (= -3 (- 3)))", SmtlibError, 1, 12, "write (- 3)"),
    ("(declare-fun s () String)", SmtlibUnsupported, 1, 19, "strings"),
    ("(assert (= (str.len \"ab\") 2))", SmtlibUnsupported, 1, 12, "strings"),
    ("(declare-fun r () Real)", SmtlibUnsupported, 1, 19, "reals"),
    ("(assert (> 1.5 1))", SmtlibUnsupported, 1, 12, "reals"),
    ("(assert (forall ((z Int)) (> z 0)))", SmtlibUnsupported, 1, 9, "quantifiers"),
    ("(assert (exists ((z Int)) (> z 0)))", SmtlibUnsupported, 1, 9, "quantifiers"),
    ("(declare-fun a () (Array Int Int))", SmtlibUnsupported, 1, 19, "arrays"),
    ("(declare-fun x () Int)\n(declare-fun x () Int)", SmtlibError, 2, 14, "'x' is already declared"),
    ("(assert 1)", SmtlibError, 1, 9, "an assertion must be Bool, got Int"),
    ("(frobnicate)", SmtlibError, 1, 2, "unknown command 'frobnicate'"),
    ("(assert (let ((x 1) (x 2)) true))", SmtlibError, 1, 22, "bound twice"),
    ("(declare-fun x () (_ BitVec 0))", SmtlibError, 1, 29, "width must be at least 1"),
    ("(define-fun f ((x Int)) Bool x)", SmtlibError, 1, 30, "the body of 'f' is Int, declared Bool"),
    ("(define-fun f ((x Int)) Int x)\n(assert (= (f 1 2) 1))", SmtlibError, 2, 12, "'f' takes 1 argument(s), got 2"),
    ("(define-fun f ((x Int)) Int x)\n(assert (= (f true) 1))", SmtlibError, 2, 15, "argument 1 of 'f' must be Int"),
    ("(define-fun c () Int 1)\n(assert (= (c) 1))", SmtlibError, 2, 12, "write c without parentheses"),
    ("(assert (bvadd #x1 #x2))", SmtlibError, 1, 9, "an assertion must be Bool"),
]


@pytest.mark.parametrize(("text", "exc", "line", "col", "fragment"), ERRORS)
def test_errors_name_the_place_and_the_problem(text: str, exc: type, line: int, col: int, fragment: str) -> None:
    with pytest.raises(SmtlibError) as info:
        read_script(text, "bad.smt2")
    err = info.value
    assert type(err) is exc, err
    assert (err.path, err.line, err.col) == ("bad.smt2", line, col), str(err)
    assert fragment in err.message
    assert str(err) == f"bad.smt2:{line}:{col}: {err.message}"
    assert isinstance(err, ValueError)


def test_lisp_special_forms_are_ordinary_symbols_here() -> None:
    # The Common Lisp grammar gives (loop ...) and (defun ...) special shapes; SMT-LIB does not.
    script = read_script("(define-fun loop ((x Int)) Int x)(define-fun defun ((x Int)) Int x)"
                         "(assert (= (loop 1) (defun 1)))")  # fmt: skip
    assert to_smtlib(script.assertions[0]) == "(= (loop 1) (defun 1))"
    # ... and a well-formed Lisp form that SMT-LIB does not have is reported as such
    with pytest.raises(SmtlibUnsupported, match="lambda"):
        read_script("(declare-fun x () Int)\n(assert (= x ((lambda ((y Int)) y) 1)))")
    with pytest.raises(SmtlibError, match="unknown function 'defun'"):
        read_script("(assert (defun f (x) x))")
    with pytest.raises(SmtlibError, match="unexpected token \"'x\""):
        read_script("(declare-fun x () Int)(assert (= 'x 1))")


def test_quoted_symbols_keywords_comments_and_annotations() -> None:
    forms = parse_sexprs("; a comment\n(f |a b| :named #x0F #b01) ; tail\n")
    assert len(forms) == 1
    script = read_script("(declare-fun |x y| () Int)\n(assert (! (> |x y| 0) :named pos)) ; done")
    (t,) = script.assertions
    assert isinstance(t, App) and isinstance(t.args[0], Var) and t.args[0].name == "x y"
    assert to_smtlib(t) == "(> |x y| 0)"  # printed so that it reads back


# ------------------------------------------------------------------------------------------------ depth


DEPTH = 10_000


def test_a_formula_nested_ten_thousand_deep_reads_prints_and_converts() -> None:
    text = "(declare-fun x () Int)(declare-fun p () Bool)\n(assert (= x " + "(+ 1 " * DEPTH + "x" + ")" * DEPTH + "))"
    text += "\n(assert " + "(not " * DEPTH + "p" + ")" * DEPTH + ")"
    text += "\n(assert " + "(let ((x (+ x 1))) " * DEPTH + "(> x 0)" + ")" * DEPTH + ")"
    script = read_script(text, "deep.smt2")
    plus, nots, lets = script.assertions
    assert to_smtlib(nots).count("(not ") == DEPTH
    env = {"x": z3.Int("x"), "p": z3.Bool("p")}
    assert evaluate(plus, {"x": 5, "p": True}) is False
    assert evaluate(nots, {"x": 5, "p": True}) is True  # an even number of negations
    assert evaluate(lets, {"x": -DEPTH + 1, "p": True}) is True
    assert evaluate(lets, {"x": -DEPTH, "p": True}) is False
    z = to_z3(lets, env)
    s = z3.Solver()
    s.add(z != (env["x"] + DEPTH > 0))
    assert s.check() == z3.unsat


def test_shared_sub_terms_are_converted_once() -> None:
    # 60 nested lets, each doubling the term: a tree of 2**60 nodes that is a DAG of 60.
    text = "(let ((t0 x)) " + "".join(f"(let ((t{i + 1} (+ t{i} t{i}))) " for i in range(60)) + "(> t60 0)"
    text += ")" * 61
    term = read_term(text, {"x": INT})
    assert evaluate(term, {"x": 1}) is True
    assert z3.simplify(z3.substitute(to_z3(term, {"x": z3.Int("x")}), (z3.Int("x"), z3.IntVal(-1)))).eq(
        z3.BoolVal(False)
    )
