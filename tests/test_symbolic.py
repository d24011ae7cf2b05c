"""The symbolic room: front ends, interpreter, transition encoding, bounded model checking, certificates."""

from __future__ import annotations

import pytest
import z3

from recursa.symbolic.bmc import BMCStats, bounded_check
from recursa.symbolic.check import certify
from recursa.symbolic.frontend import load_program
from recursa.symbolic.interp import Interpreter, Outcome, RandomOracle, ReplayOracle, replay, wrap
from recursa.symbolic.ir import Assert, Loop, Sort, render
from recursa.symbolic.transition import clauses, transition_system, vc_formula
from recursa.trees.queries import find


def function(src: str, language: str = "c", semantics: str = "math"):
    prog = load_program(src.encode(), language, int_semantics=semantics)
    assert not prog.syntax_errors, prog.syntax_errors
    unit = prog.units[0]
    assert unit.unsupported is None, unit.unsupported
    return unit.function


# ---- front ends ---------------------------------------------------------------------------------------


def test_c_front_end_reads_declarations_loops_and_verifier_calls():
    f = function("""
#define N 10
extern int __VERIFIER_nondet_int(void);
int main(int n) {
  int x, y = 0; _Bool b = 1;
  (x = 1);
  for (int i = 0; i < n; i++) { x += 2; if (x > 3 && !b) break; else continue; }
  while (unknown()) { y = x ? 1 : 2; x--; }
  do { x++; } while (x < N);
  __VERIFIER_assume(x > 0);
  assert(x >= y % 2);
  if (!(x > 0)) { ERROR: reach_error(); }
  return 0;
}""")
    assert f.params == ("n",)
    assert f.variables["b"] is Sort.BOOL and f.variables["x"] is Sort.INT
    loops = f.loops
    assert [lp.kind for lp in loops] == ["for", "while", "do"]
    assert loops[1].prelude, "the nondet call in the loop condition is evaluated before every test"
    assert [render(a.cond) for a in f.assertions] == ["x >= y % 2", "0"]
    assert 10 in f.constants


def test_python_front_end_reads_ranges_tuples_chains_and_module_code():
    prog = load_program(b"""
N = 5
def f(n: int, flag: bool):
    a, b = 0, 1
    for i in range(0, n, 2):
        a, b = b, a + b
    while 0 <= a < N and unknown():
        a += 1
    assert a >= 0 and not flag or b > 0

x = 0
while x < 3:
    x += 1
assert x == 3
""", "python")
    f = prog.units[0].function
    assert f.params == ("n", "flag") and f.variables["flag"] is Sort.BOOL
    assert "5" in render(f.loops[1].cond), "module constants are inlined"
    module = prog.units[1]
    assert module.name == "<module>" and module.function is not None and module.function.assertions


@pytest.mark.parametrize("src, construct, line", [
    ("int main(int *p) {\n  assert(*p > 0);\n}\n", "pointer", 1),
    ("int main() {\n  int a[4];\n  a[0] = unknown();\n  assert(1);\n}\n", "write to array 'a' with side effects", 3),
    ("int main() {\n  float f = unknown();\n  assert(f > 0);\n}\n", "initialiser of floating-point variable 'f'", 2),
    ("int g(int x) { return x > 0 ? g(x - 1) : 0; }\nint main() {\n  int y = g(3);\n  assert(y == 0);\n}\n",
     "recursive call to 'g'", 1),
    ("int main() {\n  int x = 0;\n  while (x++ < 3) {}\n  assert(x == 4);\n}\n", "side effect in a loop condition", 3),
    ("int f(double u) {\n  assert(u == 0);\n}\n", "floating-point type 'double'", 1),
    ("int main() {\n  int x = 0;\n  x = x & 1;\n  assert(x == 0);\n}\n", "bitwise operator '&'", 3),
    ("int main() {\n  int x = unknown();\n  int y = 10 / x;\n  assert(y);\n}\n", "'/' by a non-constant", 3),
])
def test_unsupported_constructs_are_reported_with_their_location(src, construct, line):
    unit = load_program(src.encode(), "c").units[-1]
    assert unit.function is None and unit.unsupported is not None
    assert unit.unsupported.construct == construct
    assert unit.unsupported.loc.line == line
    assert unit.assertion_locs, "the assertions are still located, for the per-assertion verdicts"


def test_python_unsupported_constructs():
    src = b"def f(xs):\n    s = 0\n    for v in xs:\n        s += v\n    assert s >= 0\n"
    unit = load_program(src, "python").units[0]
    assert unit.unsupported is not None and "range" in unit.unsupported.construct
    assert unit.unsupported.loc.line == 3


def test_bitwise_operators_are_supported_with_machine_integers():
    f = function("int main() {\n  int x = unknown();\n  int y = x & 1;\n  assert(y == 0 || y == 1);\n}\n",
                 semantics="machine")
    ts = transition_system(f, machine=True)
    cert = certify(ts, {}, {}, {1})
    assert cert.valid


def test_queries_find_functions_loops_and_assertions():
    from recursa.trees.languages import get_language

    src = b"int f() { while (1) { for (;;) {} } assert(1); }\nint g() { __VERIFIER_assert(0); }\n"
    tree = get_language("c").parser().parse(src)
    assert [n.type for n in find("c", tree, "function")] == ["function_definition"] * 2
    assert [n.type for n in find("c", tree, "loop")] == ["while_statement", "for_statement"]
    assert len(find("c", tree, "assertion")) == 2
    py = get_language("python").parser().parse(b"def f():\n    while x:\n        assert x\n")
    assert len(find("python", py, "loop")) == 1 and len(find("python", py, "assertion")) == 1


# ---- interpreter --------------------------------------------------------------------------------------


def test_interpreter_follows_c_and_python_division_and_wraps_machine_integers():
    c = function("int main() { int a = -7; int q = a / 2; int r = a % 2; assert(q == -3 && r == -1); }")
    assert Interpreter(c).run(RandomOracle(0)).outcome is Outcome.EXIT
    py = function("def f():\n    a = -7\n    assert a // 2 == -4 and a % 2 == 1\n", "python")
    assert Interpreter(py).run(RandomOracle(0)).outcome is Outcome.EXIT
    m = function("int main() { int x = 2147483647; x = x + 1; assert(x < 0); }", semantics="machine")
    run = Interpreter(m, machine=True).run(RandomOracle(0))  # signed overflow: the implicit check fails first
    assert run.outcome is Outcome.VIOLATION and run.failed is not None and run.failed.kind == "overflow"
    assert Interpreter(m, machine=False).run(RandomOracle(0)).outcome is Outcome.VIOLATION
    assert wrap(2**31) == -(2**31)


def test_interpreter_break_continue_and_do_while():
    f = function("""int main() {
  int i = 0, c = 0;
  while (1) { i++; if (i % 2 == 0) continue; if (i > 9) break; c++; }
  do { c++; } while (0);
  assert(c == 6 && i == 11);
}""")
    assert Interpreter(f).run(RandomOracle(1)).outcome is Outcome.EXIT


def test_replay_uses_the_given_inputs_in_order():
    f = function("int main() { int x = unknown(); int y = unknown(); assert(x + y != 7); }")
    run = replay(f, {}, [3, 4])
    assert run.outcome is Outcome.VIOLATION and run.trace[-1].values["x"] == 3
    assert Interpreter(f).run(ReplayOracle({}, [3, 5])).outcome is Outcome.EXIT


# ---- transition systems and certificates --------------------------------------------------------------


def test_verification_conditions_of_a_counter_loop():
    f = function("int main() { int x = 0, n; assume(n >= 0); while (x < n) x++; assert(x == n); }")
    ts = transition_system(f)
    x, n = ts.pre["x"], ts.pre["n"]
    kinds = sorted(c.name.split(":")[0] for c in clauses(ts))
    assert kinds == ["consecution", "initiation", "safety"]
    good = {1: z3.And(x <= n)}
    assert certify(ts, good, {1: "x <= n"}, {1}).valid
    weak = {1: z3.BoolVal(True)}
    cert = certify(ts, weak, {1: "true"}, {1})
    assert not cert.valid and any(v.status == "sat" and v.name.startswith("safety") for v in cert.vcs)
    not_inductive = {1: z3.And(x <= n, x <= 5)}
    assert not certify(ts, not_inductive, {}, {1}).valid
    for c in clauses(ts):
        s = z3.Solver()
        s.add(vc_formula(ts, c, good))
        assert s.check() == z3.unsat


def test_cross_check_with_cvc5_agrees():
    pytest.importorskip("cvc5")
    f = function("int main() { int x = 0, n; assume(n >= 0); while (x < n) x++; assert(x == n); }")
    ts = transition_system(f)
    cert = certify(ts, {1: ts.pre["x"] <= ts.pre["n"]}, {}, {1}, cross_check=True)
    assert cert.valid and {v.solver for v in cert.vcs} == {"z3", "cvc5"}


def test_machine_integers_are_bit_vectors():
    f = function("int main() { int x; assume(x > 0); int y = x + 1; assert(y > x); }", semantics="machine")
    ts = transition_system(f, machine=True)
    assert z3.is_bv(ts.pre["x"])
    found = bounded_check(ts, {1}, max_depth=2)
    assert found[1].initial["x"] == 2**31 - 1 or found[1].trace[-1].values["x"] == 2**31 - 1


# ---- bounded model checking ---------------------------------------------------------------------------


def test_bmc_finds_a_violation_that_needs_a_specific_nondet_value_and_the_trace_replays():
    f = function("""int main() {
  int x = 0, i = 0;
  while (unknown()) { int v = unknown(); if (v == 12345) x = x - 3; else x++; i++; }
  assert(x >= 0);
}""")
    ts = transition_system(f)
    stats = BMCStats()
    found = bounded_check(ts, {1}, max_depth=5, stats=stats)
    v = found[1]
    assert 12345 in v.nondet
    run = replay(f, v.initial, list(v.nondet))
    assert run.outcome is Outcome.VIOLATION and run.failed is not None and run.failed.index == 1
    assert v.trace[-1].kind == "assert" and v.trace[-1].values["x"] < 0


def test_bmc_reports_nothing_for_a_valid_assertion():
    f = function("int main() { int x = 0; while (x < 10) x++; assert(x == 10); }")
    assert bounded_check(transition_system(f), {1}, max_depth=15) == {}


def test_deeply_nested_programs_do_not_hit_the_recursion_limit():
    depth = 600
    src = "int main() { int x = 0;\n" + "if (x == 0) {\n" * depth + "x = 1;\n" + "}\n" * depth + "assert(x == 1); }\n"
    f = function(src)
    assert Interpreter(f).run(RandomOracle(0)).outcome is Outcome.EXIT
    ts = transition_system(f)
    assert certify(ts, {}, {}, {1}).valid
    long_sum = "int main() { int x = 1; int y = " + " + ".join(["x"] * 5000) + "; assert(y == 5000); }"
    g = function(long_sum)
    assert Interpreter(g).run(RandomOracle(0)).outcome is Outcome.EXIT
    assert certify(transition_system(g), {}, {}, {1}).valid


def test_statement_walks_cover_nested_structure():
    f = function("int main() { while (1) { if (1) { while (0) { assert(1); } } } }")
    kinds = [type(s).__name__ for s in f.statements()]
    assert kinds.count("Loop") == 2 and isinstance(f.assertions[0], Assert)
    assert f.loop_depth() == 2 and all(isinstance(lp, Loop) for lp in f.loops)


def test_python_methods_and_nested_functions_are_reported_not_skipped():
    src = (b"class A:\n    def m(self, x):\n        assert x == x\n\n"
           b"def f(n):\n    def g(k):\n        assert k\n    assert n == n\n")
    units = {u.name: u for u in load_program(src, "python").units}
    assert units["m"].unsupported.construct == "method" and units["m"].assertion_locs[0].line == 3
    assert units["g"].assertion_locs[0].line == 7
    assert [loc.line for loc in units["f"].assertion_locs] == [8], "each assertion belongs to its innermost function"
