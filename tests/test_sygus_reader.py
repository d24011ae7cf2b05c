"""SyGuS-IF reader (recursa.synth.sygus): the problems users write, the answers that solve them, and a message
with file:line:col for every way a file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import z3
from sygus_examples import INV, MAX3, PBE_BV

from recursa.symbolic.smtlib import (
    SmtlibError,
    SmtlibUnsupported,
    evaluate,
    evaluator,
    macro,
    read_script,
    to_z3,
    z3_sort,
)
from recursa.symbolic.terms import BOOL, INT, App, Lit, Var, bitvec, to_smtlib
from recursa.synth.problem import AnyConstant, AnyVariable, Problem
from recursa.synth.sygus import check_logic, read_problem, read_problems

SUITE = Path(__file__).resolve().parent.parent / "tasks" / "synthesis"

CLIA_GRAMMAR = """(set-logic LIA)
(define-fun dbl ((v Int)) Int (+ v v))
(synth-fun f ((x Int) (y Int)) Int
  ((S Int) (B Bool))
  ((S Int (x y (Constant Int) (dbl S) (+ S S) (- S S) (ite B S S)))
   (B Bool ((<= S S) (= S S) (and B B) (not B) (Variable Bool)))))
(declare-var x Int)
(declare-var y Int)
(constraint (= (f x y) (f y x)))
(check-synth)
"""


def _valid(problem: Problem, answers: dict[str, str]) -> bool:
    """Do the answers (define-fun texts) make every constraint of ``problem`` valid? Checked by Z3."""
    functions: dict = {}
    for name, d in problem.definitions.items():
        functions[name] = macro(d.params, d.body, functions)
    for text in answers.values():
        for name, d in read_script(text).definitions.items():
            functions[name] = macro(d.params, d.body, functions)
    env = {n: z3.Const(n, z3_sort(s)) for n, s in problem.declared}
    s = z3.Solver()
    s.add(z3.Not(z3.And(*[to_z3(c, env, functions) for c in problem.constraints])))
    return s.check() == z3.unsat


# ------------------------------------------------------------------------------------------------ the three problems


def test_a_pbe_bit_vector_problem_with_a_grammar() -> None:
    p = read_problem("pbe.sl", PBE_BV)
    assert p.logic == "BV" and p.declared == () and len(p.constraints) == 3
    (f,) = p.functions
    assert (f.name, f.params, f.sort, f.invariant) == ("f", (("x", bitvec(16)),), bitvec(16), False)
    assert f.grammar is not None and [nt.name for nt in f.grammar.nonterminals] == ["S"]
    prods = f.grammar.start.productions
    assert [to_smtlib(t) for t in prods] == ["x", "#x0001", "#x0000", "(bvor S S)", "(bvand S S)", "(bvshl S S)",
                                             "(bvnot S)"]  # fmt: skip
    assert isinstance(prods[1], Lit) and prods[1].value == 1 and prods[1].sort == bitvec(16)
    call = p.constraints[0].args[0]  # type: ignore[attr-defined]
    assert isinstance(call, App) and call.op == "f" and call.sort == bitvec(16)
    assert _valid(p, {"f": "(define-fun f ((x (_ BitVec 16))) (_ BitVec 16) (bvor x #x0001))"})
    assert not _valid(p, {"f": "(define-fun f ((x (_ BitVec 16))) (_ BitVec 16) x)"})


def test_a_logical_specification_without_a_grammar() -> None:
    p = read_problem("max3.sl", MAX3)
    assert p.logic == "LIA" and p.declared == (("a", INT), ("b", INT), ("c", INT))
    (f,) = p.functions
    assert f.grammar is None and f.sort == INT and len(p.constraints) == 4
    top = "(define-fun top ((a Int) (b Int) (c Int)) Int (ite (and (>= a b) (>= a c)) a (ite (>= b c) b c)))"
    assert _valid(p, {"top": top})
    assert not _valid(p, {"top": "(define-fun top ((a Int) (b Int) (c Int)) Int (ite (>= a b) a b))"})


def test_an_invariant_problem_expands_into_three_constraints() -> None:
    p = read_problem("inv.sl", INV)
    (f,) = p.functions
    assert f.invariant and f.sort == BOOL and [n for n, _ in f.params] == ["i", "n", "s"]
    (ic,) = p.inv_constraints
    assert (ic.inv, ic.pre, ic.trans, ic.post) == ("inv", "pre", "trans", "post") and p.is_invariant
    assert [n for n, _ in p.declared] == ["i", "n", "s", "i!", "n!", "s!"]
    assert [to_smtlib(c) for c in p.constraints] == [
        "(=> (pre i n s) (inv i n s))",
        "(=> (and (inv i n s) (trans i n s i! n! s!)) (inv i! n! s!))",
        "(=> (inv i n s) (post i n s))",
    ]
    good = "(define-fun inv ((i Int) (n Int) (s Int)) Bool (and (= s (* 2 i)) (<= i n)))"
    assert _valid(p, {"inv": good})
    assert not _valid(p, {"inv": "(define-fun inv ((i Int) (n Int) (s Int)) Bool (<= i n))"})  # not inductive


def test_a_grammar_with_two_nonterminals_constants_variables_and_a_helper() -> None:
    p = read_problem("clia.sl", CLIA_GRAMMAR)
    g = p.functions[0].grammar
    assert g is not None and [(nt.name, nt.sort) for nt in g.nonterminals] == [("S", INT), ("B", BOOL)]
    s, b = g.nonterminals
    assert AnyConstant(INT) in s.productions and AnyVariable(BOOL) in b.productions
    dbl = s.productions[3]
    assert isinstance(dbl, App) and dbl.op == "dbl" and isinstance(dbl.args[0], Var) and dbl.args[0].name == "S"
    assert "dbl" in p.definitions and to_smtlib(p.definitions["dbl"].body) == "(+ v v)"


def test_several_functions_in_one_problem() -> None:
    text = """(set-logic LIA)
(synth-fun lo ((x Int) (y Int)) Int)
(synth-fun hi ((x Int) (y Int)) Int)
(declare-var a Int)
(declare-var b Int)
(constraint (and (<= (lo a b) (hi a b)) (= (+ (lo a b) (hi a b)) (+ a b))))
(constraint (or (= (lo a b) a) (= (lo a b) b)))
(check-synth)"""
    p = read_problem("two.sl", text)
    assert [f.name for f in p.functions] == ["lo", "hi"]
    lo = "(define-fun lo ((x Int) (y Int)) Int (ite (<= x y) x y))"
    hi = "(define-fun hi ((x Int) (y Int)) Int (ite (<= x y) y x))"
    assert _valid(p, {"lo": lo, "hi": hi})
    assert not _valid(p, {"lo": lo, "hi": lo.replace("define-fun lo", "define-fun hi")})


def test_v1_forms_read_too() -> None:
    text = """(set-options ((x 1)))
(set-logic LIA)
(synth-fun f ((x Int)) Int ((Start Int (x 0 1 (+ Start Start) (InputVariable Int)))))
(declare-fun y () Int)
(declare-primed-var z Int)
(constraint (let ((w Int (+ z z!))) (= (f y) (+ y w))))
(check-synth)"""
    p = read_problem("v1.sl", text)
    g = p.functions[0].grammar
    assert g is not None and g.start.name == "Start" and len(g.start.productions) == 5
    assert g.start.productions[4] == AnyVariable(INT)
    assert p.declared == (("y", INT), ("z", INT), ("z!", INT))
    assert to_smtlib(p.constraints[0]) == "(= (f y) (+ y (+ z z!)))"
    with pytest.raises(SmtlibError, match="'w' is declared Bool but bound to a Int term") as info:
        read_problem("v1.sl", text.replace("(w Int", "(w Bool"))
    assert (info.value.line, info.value.col) == (6, 27)
    aliased = read_problem("sorts.sl", "(set-logic BV)\n(define-sort W (_ BitVec 4))\n(define-sort V () W)\n"
                           "(synth-fun f ((x V)) W)\n(check-synth)")  # fmt: skip
    assert aliased.functions[0].params == (("x", bitvec(4)),)
    with pytest.raises(SmtlibUnsupported, match="enumerated sorts"):
        read_problem("enum.sl", "(set-logic LIA)\n(define-sort Color (Enum (red green)))\n")


def test_ignored_commands_are_noted_and_reading_stops_at_check_synth() -> None:
    text = """(set-info :source |somewhere|)
(set-option :produce-models true)
(set-feature :grammars true)
(set-logic LIA)
(synth-fun f ((x Int)) Int)
(declare-var x Int)
(constraint (= (f x) x))
(check-synth)
(frobnicate all the things)
(constraint (= (f x) 1))
(check-synth)"""
    p = read_problem("notes.sl", text)
    assert len(p.constraints) == 1
    assert len(p.notes) == 3 and all(n.startswith("notes.sl:") and "ignored" in n for n in p.notes)
    with pytest.raises(SmtlibError, match="unknown command 'frobnicate'"):
        read_problems("notes.sl", text)


def test_windows_line_ends_and_a_byte_order_mark() -> None:
    p = read_problem("win.sl", "\ufeff" + MAX3.replace("\n", "\r\n"))
    assert len(p.constraints) == 4
    with pytest.raises(SmtlibError) as info:
        read_problem("win.sl", "\ufeff" + HEAD.replace("\n", "\r\n") + "(constraint (= (f z) 1))\r\n")
    assert (info.value.line, info.value.col) == (4, 19)


def test_several_check_synths_give_one_problem_each() -> None:
    text = MAX3 + "(constraint (> (top a b c) 100))\n(check-synth)\n"
    first, second = read_problems("two.sl", text)
    assert len(first.constraints) == 4 and len(second.constraints) == 5


def test_assume_is_a_precondition_of_every_constraint() -> None:
    text = """(set-logic LIA)
(synth-fun f ((x Int)) Int)
(declare-var x Int)
(assume (> x 0))
(constraint (> (f x) 0))
(check-synth)"""
    p = read_problem("assume.sl", text)
    assert [to_smtlib(c) for c in p.constraints] == ["(=> (> x 0) (> (f x) 0))"]
    assert any("assume" in n for n in p.notes)
    assert _valid(p, {"f": "(define-fun f ((x Int)) Int x)"})


def test_invariant_variables_avoid_names_taken_by_other_sorts() -> None:
    text = """(set-logic LIA)
(declare-var n Bool)
(synth-inv inv ((n Int)))
(define-fun pre ((n Int)) Bool (= n 0))
(define-fun trans ((n Int) (n! Int)) Bool (= n! (+ n 1)))
(define-fun post ((n Int)) Bool (>= n 0))
(inv-constraint inv pre trans post)
(check-synth)"""
    p = read_problem("clash.sl", text)
    assert p.declared == (("n", BOOL), ("n_1", INT), ("n!", INT))
    assert to_smtlib(p.constraints[0]) == "(=> (pre n_1) (inv n_1))"
    assert _valid(p, {"inv": "(define-fun inv ((n Int)) Bool (>= n 0))"})


def test_logic_names() -> None:
    for ok in ("LIA", "NIA", "BV", "ALL", "QF_LIA", "QF_BV", "QF_NIA"):
        assert check_logic(ok) is None, ok
    for name, what in (("SLIA", "strings"), ("LRA", "reals"), ("QF_AUFLIA", "arrays"), ("UFBV", "uninterpreted")):
        issue = check_logic(name)
        assert issue is not None and issue.unsupported and what in issue.message
    for name in ("FOO", "QF_LIAX", "QF_"):
        issue = check_logic(name)
        assert issue is not None and not issue.unsupported and "not an SMT-LIB logic" in issue.message


# ------------------------------------------------------------------------------------------------ errors

HEAD = "(set-logic LIA)\n(synth-fun f ((x Int)) Int)\n(declare-var x Int)\n"  # lines 1-3

ERRORS = [
    # (text, exception, line, col, fragment)
    (HEAD + "(constraint (= (f x) x)\n(check-synth)\n", SmtlibError, 4, 1, "'(' is never closed"),
    (HEAD + "(constraint (= (f x) x)))\n", SmtlibError, 4, 25, "')' without a matching '('"),
    (HEAD + "(synthesize f)\n", SmtlibError, 4, 2, "unknown command 'synthesize'"),
    ("(set-logic FOO)\n", SmtlibError, 1, 12, "'FOO' is not an SMT-LIB logic"),
    ("(set-logic SLIA)\n", SmtlibUnsupported, 1, 12, "strings"),
    (HEAD + "(constraint (= (f x) true))\n", SmtlibError, 4, 22, "argument 1 is Int, argument 2 is Bool"),
    (HEAD + "(constraint (= (f x x) x))\n", SmtlibError, 4, 16, "'f' takes 1 argument(s), got 2"),
    (HEAD + "(constraint (f x))\n", SmtlibError, 4, 13, "a constraint must be Bool, got Int"),
    (HEAD + "(declare-var x Int)\n", SmtlibError, 4, 14, "'x' is already declared"),
    (HEAD + "(define-fun f ((y Int)) Int y)\n", SmtlibError, 4, 13, "'f' is already declared"),
    (HEAD + "(constraint (= (g x) x))\n", SmtlibError, 4, 17, "unknown function 'g'"),
    (HEAD + "(constraint (= (f y) x))\n", SmtlibError, 4, 19, "unknown symbol 'y'"),
    ("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n  ((S Int) (B Bool))\n  ((S Int (x (ite B S S)))\n"
     "   (B Bool ((and B B) (not B)))))\n", SmtlibError, 3, 13, "non-terminal 'B' derives no finite term"),
    ("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n  ((S Int))\n  ((S Int ((+ S S)))))\n",
     SmtlibError, 3, 5, "non-terminal 'S' derives no finite term"),
    ("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n  ((S Int) (S Int))\n  ((S Int (x))))\n",
     SmtlibError, 3, 13, "duplicate non-terminal 'S'"),
    ("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n  ((x Int))\n  ((x Int (0))))\n",
     SmtlibError, 3, 5, "has the name of a parameter"),
    ("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n  ((S Int))\n  ((S Int (x true))))\n",
     SmtlibError, 4, 14, "a production of 'S' must be Int, got Bool"),
    ("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n  ((S Bool))\n  ((S Bool (true))))\n",
     SmtlibError, 3, 5, "the start non-terminal 'S' is Bool, but 'f' returns Int"),
    ("(set-logic LIA)\n(synth-fun f ((x Int)) Int\n  ((S Int))\n  ((S Int ((Constant Bool)))))\n",
     SmtlibError, 4, 22, "(Constant Bool) in non-terminal 'S' of sort Int"),
    ("(set-logic LIA)\n(synth-fun f ((x Int) (x Int)) Int)\n", SmtlibError, 2, 24, "duplicate parameter 'x'"),
    (HEAD + "(declare-datatypes ((L 0)) (((nil))))\n", SmtlibUnsupported, 4, 1, "datatypes"),
    (HEAD + "(chc-constraint ((x Int)) true false)\n", SmtlibUnsupported, 4, 1, "CHC"),
    (HEAD + "(oracle-constraint-io q r)\n", SmtlibUnsupported, 4, 1, "oracles"),
    (HEAD + "(declare-fun g (Int) Int)\n", SmtlibUnsupported, 4, 1, "uninterpreted functions"),
    (HEAD + "(declare-var s String)\n", SmtlibUnsupported, 4, 16, "strings"),
    (HEAD + "(inv-constraint f pre trans post)\n", SmtlibError, 4, 17, "'f' must return Bool, got Int"),
    ("(set-logic LIA)\n(synth-inv inv ((x Int)))\n(inv-constraint inv pre trans post)\n", SmtlibError, 3, 21,
     "'pre' is not a define-fun"),
    ("(set-logic LIA)\n(synth-inv inv ((x Int)))\n(define-fun pre ((x Int)) Bool true)\n"
     "(define-fun trans ((x Int)) Bool true)\n(define-fun post ((x Int)) Bool true)\n"
     "(inv-constraint inv pre trans post)\n", SmtlibError, 6, 25, "'trans' must take (Int Int) and return Bool"),
    (HEAD + "(define-fun g ((y Int)) Int (+ x y))\n", SmtlibError, 4, 32, "uses 'x', which is not one of its"),
    ("(set-logic LIA)\n(check-synth)\n", SmtlibError, 2, 1, "no synth-fun or synth-inv"),
    ("(set-logic LIA)\n(declare-var y Int)\n(synth-fun f ((x Int)) Int\n  ((S Int))\n  ((S Int (x (+ y S)))))\n",
     SmtlibError, 5, 17, "'y' in a production of 'S' is neither a parameter nor a non-terminal"),
]


@pytest.mark.parametrize(("text", "exc", "line", "col", "fragment"), ERRORS)
def test_errors_name_the_place_and_the_problem(text: str, exc: type, line: int, col: int, fragment: str) -> None:
    with pytest.raises(SmtlibError) as info:
        read_problem("bad.sl", text)
    err = info.value
    assert type(err) is exc, err
    assert (err.path, err.line, err.col) == ("bad.sl", line, col), str(err)
    assert fragment in err.message, str(err)
    assert str(err).startswith(f"bad.sl:{line}:{col}: ")


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(SmtlibError, match="cannot read the file"):
        read_problem(str(tmp_path / "nope.sl"))
    bad = tmp_path / "latin1.sl"
    bad.write_bytes(b"(set-logic LIA) ; caf\xe9\n")
    with pytest.raises(SmtlibError, match="not UTF-8"):
        read_problem(str(bad))


# ------------------------------------------------------------------------------------------------ the suite


def _manifest() -> list[tuple[Path, dict]]:
    out = []
    for manifest in sorted(SUITE.glob("*/manifest.jsonl")):
        for line in manifest.read_text().splitlines():
            if line.strip():
                entry = json.loads(line)
                out.append((manifest.parent / entry["file"], entry))
    return out


@pytest.mark.skipif(not SUITE.is_dir(), reason="tasks/synthesis is not there")
def test_the_known_answers_of_the_suite_satisfy_the_problems_as_read() -> None:
    checked = 0
    for path, entry in _manifest():
        problem = read_problem(str(path))
        assert problem.functions and problem.constraints, path
        answer = entry.get("answer")
        if entry.get("expected") == "solved" and answer:
            assert _valid(problem, {"": answer}), path
            checked += 1
    assert checked > 50


def test_a_constraint_nested_ten_thousand_deep() -> None:
    depth = 10_000
    text = "(set-logic LIA)\n(synth-fun f ((x Int)) Int)\n(declare-var x Int)\n"
    text += "(constraint (= (f x) " + "(ite (> x 0) (+ 1 " * depth + "x" + ") x)" * depth + "))\n(check-synth)\n"
    p = read_problem("deep.sl", text)
    (c,) = p.constraints
    assert to_smtlib(c).count("(ite ") == depth
    answer = read_script(f"(define-fun f ((x Int)) Int (ite (> x 0) (+ x {depth}) x))").definitions["f"]
    for x in (-3, 0, 5):
        assert evaluate(c, {"x": x}, {"f": evaluator(answer.params, answer.body)}) is True


MUTATIONS = ["(", ")", "x", "Int", "Bool", "(_ BitVec 8)", "#x0", "#b1", "1", "(- 1)", "true", "f", "S", "\n", ";c\n",
             "(Constant Int)", "(Variable Int)", '"s"', "|q|", ":k", "1.5", "-2", "(let ((x 1)) x)", "!", "_", "x!",
             "synth-fun", "constraint", "declare-var", "(check-synth)", "ite", "bvadd", "(_ extract 3 0)", "forall",
             "'", "#\\a", "(lambda ((y Int)) y)", "(defun g (y) y)", "|"]  # fmt: skip


@pytest.mark.skipif(not SUITE.is_dir(), reason="tasks/synthesis is not there")
def test_damaged_files_give_a_message_never_a_traceback() -> None:
    import random

    texts = [p.read_text() for p in sorted(SUITE.rglob("*.sl"))]
    rng = random.Random(11)
    outcomes = {"read": 0, "error": 0}
    for _ in range(600):
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text) + 1)
            j = min(len(text), i + rng.randint(0, 8))
            text = text[:i] + (rng.choice(MUTATIONS) if rng.random() < 0.7 else "") + text[j:]
        try:
            read_problem("damaged.sl", text)
            outcomes["read"] += 1
        except SmtlibError as e:  # SmtlibUnsupported included
            assert str(e).startswith("damaged.sl:") and e.line >= 1 and e.col >= 1
            outcomes["error"] += 1
    assert outcomes["error"] > 300 and outcomes["read"] > 10
