"""The refine room: grammars, candidates, the verify-and-refine loop, soundness, and the suite."""

from __future__ import annotations

import random

import numpy as np
import pytest

from recursa.refine.candidates import Atom, Candidate, atom_truth, linearise, normalise
from recursa.refine.grammar import GrammarError, HeadData, generate, load_grammar, parse_grammar
from recursa.refine.ice import Budget, clause_implies
from recursa.refine.rank import UnguidedRanker, load_ranker
from recursa.refine.verify import Verdict, Verifier, VerifyOptions
from recursa.symbolic.frontend import load_program
from recursa.symbolic.interp import Interpreter, Outcome, RandomOracle, replay
from recursa.symbolic.ir import Binary, Const, Var


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(VerifyOptions(timeout_s=10), UnguidedRanker())


def verdicts(verifier: Verifier, tmp_path, name: str, src: str) -> dict[int, object]:
    path = tmp_path / name
    path.write_text(src)
    res = verifier.verify_file(path)
    assert res.error is None, res.error
    return {r.line: r for r in res.results}


# ---- grammars and candidates --------------------------------------------------------------------------


def test_the_shipped_grammars_parse():
    g = load_grammar("linear")
    assert g.disjunction and g.disjunct_forms and "eq" in g.compare
    assert not load_grammar("conjunctive").disjunction


@pytest.mark.parametrize("text, message", [
    ("form x + \n", "incomplete"),
    ("form x\ncompare == <\n", "unknown comparison"),
    ("form 2*q\n", "cannot read term"),
    ("coefficients 1\n", "no 'form' lines"),
    ("form x\nfrobnicate 3\n", "unknown keyword"),
    ("form x + x\n", "appears twice"),
])
def test_grammar_errors_name_the_line(text, message):
    with pytest.raises(GrammarError, match=message):
        parse_grammar(text, "bad", "bad.grammar")


def test_unknown_grammar_lists_the_known_ones():
    with pytest.raises(GrammarError, match="linear"):
        load_grammar("no-such-grammar")


def test_generation_keeps_only_candidates_consistent_with_reachable_states():
    g = load_grammar("linear")
    rows = np.array([[0, 0, 10], [1, 2, 10], [2, 4, 10], [3, 6, 10]])
    data = HeadData(["x", "y", "n"], ["x", "y", "n"], [], rows, [0, 1, 10], [], False)
    cands = generate(g, data)
    texts = {c.text() for c in cands}
    assert "2*x == y" in texts and "n == 10" in texts and "x <= n" in texts
    truth = atom_truth([a for c in cands for a in c.atoms if len(c.atoms) == 1], ["x", "y", "n"], rows, False)
    assert truth.all(), "every single-atom candidate holds on the data it was generated from"


def test_normalisation_and_implication():
    order = {"x": 0, "y": 1}
    a = normalise({"x": -2, "y": 2}, "le", 5, order, machine=False)
    assert a == Atom((("x", 1), ("y", -1)), "ge", -2)  # -2x + 2y <= 5  <=>  x - y >= -2 (over integers)
    assert normalise({"x": 2}, "eq", 3, order, machine=False) is None  # 2x == 3 has no integer solution
    eq = Candidate((Atom((("x", 1),), "eq", 3),))
    le = Candidate((Atom((("x", 1),), "le", 4),))
    assert clause_implies(eq, le) and not clause_implies(le, eq)


def test_linearise_reads_linear_terms_only():
    e = Binary("sub", Binary("mul", Const(3), Var("x"), None), Var("y"), None)  # type: ignore[arg-type]
    assert linearise(e) == ({"x": 3, "y": -1}, 0)
    assert linearise(Binary("mul", Var("x"), Var("y"), None)) is None  # type: ignore[arg-type]


def test_load_ranker_falls_back_to_grammar_order_without_a_model(tmp_path):
    assert load_ranker("unguided").name == "unguided"
    with pytest.raises(FileNotFoundError):
        load_ranker(str(tmp_path / "missing"))


# ---- verify-and-refine --------------------------------------------------------------------------------


def test_proved_assertions_come_with_an_invariant_and_a_valid_certificate(verifier, tmp_path):
    r = verdicts(verifier, tmp_path, "p.c", """int main() {
  int x = 0, y = 0, n;
  assume(n >= 0);
  while (x < n) { x++; y += 2; }
  assert(y == 2 * n);
}""")[5]
    assert r.verdict is Verdict.PROVED
    assert r.certificate.valid and "2*x == y" in r.invariant
    assert {v.name.split(":")[0] for v in r.certificate.vcs} == {"initiation", "consecution", "safety"}


def test_nested_loops_get_an_invariant_each(verifier, tmp_path):
    r = verdicts(verifier, tmp_path, "n.c", """int main() {
  int x = 0, y = 0;
  while (unknown()) {
    while (unknown()) { x++; y++; }
    x += 2; y += 2;
  }
  assert(x == y);
}""")[7]
    assert r.verdict is Verdict.PROVED and set(r.invariants) == {3, 4}


def test_disjunctive_invariant(verifier, tmp_path):
    r = verdicts(verifier, tmp_path, "d.c", """int main() {
  int x = 0, y = 0;
  while (x < 100) { if (x < 50) y++; else y--; x++; }
  assert(y == 0);
}""")[4]
    assert r.verdict is Verdict.PROVED and "||" in r.invariant


OFF_BY_ONE = [
    # (valid program, the same program with a boundary mistake)
    ("int main() { int i = 0, n; assume(n >= 0); while (i < n) i++; assert(i == n); }",
     "int main() { int i = 0, n; assume(n >= 0); while (i <= n) i++; assert(i == n); }"),
    ("int main() { int n, i; assume(n > 0); for (i = 0; i < n; i++) { assert(i < n); } }",
     "int main() { int n, i; assume(n > 0); for (i = 0; i <= n; i++) { assert(i < n); } }"),
    ("int main() { int x = 0; while (x < 1000) x++; assert(x == 1000); }",
     "int main() { int x = 0; while (x < 1000) x++; assert(x == 999); }"),
    ("int main() { int x = 0, y = 0; while (x < 100) { if (x < 10) y++; x++; } assert(y == 10); }",
     "int main() { int x = 0, y = 0; while (x < 100) { if (x <= 10) y++; x++; } assert(y == 10); }"),
    ("int main() { int i = 10; while (i > 0) { assert(i >= 1); i--; } }",
     "int main() { int i = 10; while (i >= 0) { assert(i >= 1); i--; } }"),
    ("int main() { int lo = 0, hi = 100; while (lo < hi) { if (unknown()) lo++; else hi--; } assert(lo == hi); }",
     "int main() { int lo = 0, hi = 100; while (lo < hi) { if (unknown()) lo++; else hi--; } assert(lo < hi); }"),
    ("def f(n):\n    assume(n >= 1)\n    s = 0\n    for i in range(n):\n        s += 1\n    assert s == n\n",
     "def f(n):\n    assume(n >= 1)\n    s = 0\n    for i in range(1, n):\n        s += 1\n    assert s == n\n"),
]


@pytest.mark.parametrize("good, bad", OFF_BY_ONE)
def test_off_by_one_boundaries_are_never_proved(verifier, tmp_path, good, bad):
    ext = "py" if good.startswith("def") else "c"
    good_res = verdicts(verifier, tmp_path, f"good.{ext}", good)
    bad_res = verdicts(verifier, tmp_path, f"bad.{ext}", bad)
    assert all(r.verdict is Verdict.PROVED for r in good_res.values())
    assert all(r.verdict is not Verdict.PROVED for r in bad_res.values())
    assert any(r.verdict is Verdict.VIOLATED for r in bad_res.values())
    for r in bad_res.values():
        if r.verdict is Verdict.VIOLATED:
            _assert_trace_replays(tmp_path / f"bad.{ext}", r)


def _assert_trace_replays(path, result) -> None:
    prog = load_program(path.read_bytes(), "python" if path.suffix == ".py" else "c")
    f = next(u.function for u in prog.units if u.name == result.function)
    run = replay(f, result.trace.initial, list(result.trace.nondet))
    assert run.outcome is Outcome.VIOLATION
    assert run.failed is not None and run.failed.loc.line == result.line


def _random_deterministic_program(rng: random.Random) -> str:
    n = rng.randint(0, 30)
    a, b = rng.randint(-3, 3), rng.randint(-3, 3)
    x0, y0 = rng.randint(-5, 5), rng.randint(-5, 5)
    cond = rng.choice(["<", "<="])
    split = rng.randint(0, max(0, n))
    branch = rng.random() < 0.5
    body = f"x += {a}; y += {b};" if not branch else f"if (i < {split}) x += {a}; else y += {b};"
    final_x, final_y = x0, y0
    i = 0
    while (i < n) if cond == "<" else (i <= n):
        if not branch:
            final_x += a
            final_y += b
        elif i < split:
            final_x += a
        else:
            final_y += b
        i += 1
    claim = rng.choice([f"x == {final_x}", f"y == {final_y}", f"x + y == {final_x + final_y}", f"i == {i}"])
    if rng.random() < 0.5:  # perturb: the claim becomes false
        claim = claim[:-len(str(claim.split()[-1]))] + str(int(claim.split()[-1]) + rng.choice([-1, 1]))
    return (f"int main() {{\n  int i = 0, x = {x0}, y = {y0};\n  while (i {cond} {n}) {{ {body} i++; }}\n"
            f"  assert({claim});\n  return 0;\n}}\n")


@pytest.mark.parametrize("seed", range(12))
def test_verdicts_agree_with_concrete_execution(verifier, tmp_path, seed):
    """Deterministic programs: running them is the ground truth; recursa must never contradict it."""
    src = _random_deterministic_program(random.Random(seed))
    r = verdicts(verifier, tmp_path, "det.c", src)[4]
    f = load_program(src.encode(), "c").units[0].function
    truth = Interpreter(f).run(RandomOracle(0), max_steps=10_000).outcome
    if truth is Outcome.VIOLATION:
        assert r.verdict is Verdict.VIOLATED, src
    else:
        assert truth is Outcome.EXIT
        assert r.verdict is Verdict.PROVED, src


def test_timeouts_give_unknown_never_proved(tmp_path):
    v = Verifier(VerifyOptions(timeout_s=0.05, budget=Budget(max_solver_calls=1)), UnguidedRanker())
    r = verdicts(v, tmp_path, "t.c", """int main() {
  int x = 0, y = 0;
  while (x < 100) { if (x < 50) y++; else y--; x++; }
  assert(y == 0);
}""")[4]
    assert r.verdict in (Verdict.UNKNOWN, Verdict.PROVED)
    if r.verdict is Verdict.PROVED:
        assert r.certificate.valid


def test_unsupported_function_gives_unsupported_per_assertion(verifier, tmp_path):
    res = verdicts(verifier, tmp_path, "u.c", "int main(int *p) {\n  assert(*p == 1);\n  assert(p != 0);\n}\n")
    assert [r.verdict for r in res.values()] == [Verdict.UNSUPPORTED, Verdict.UNSUPPORTED]
    assert "pointer at 1:" in res[2].message
