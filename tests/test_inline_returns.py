"""C callees that return before their end are inlined: a return sets a flag that skips the rest of the callee
and leaves the loops it sits in."""

from __future__ import annotations

import pytest

from recursa.refine.verify import Verdict, Verifier, VerifyOptions
from recursa.symbolic.frontend import load_program
from recursa.symbolic.interp import Outcome, replay
from recursa.symbolic.ir import Return

FIND = """int find(int n, int t) {
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < 3; j++) {
      if (i + j == t) return i;
    }
  }
  return -1;
}
int clamp(int x) {
  if (x < 0) {
    return 0;
  }
  if (x > 100) return 100;
  int y = x;
  return y;
}
int main() {
  int a = __VERIFIER_nondet_int();
  int c = clamp(a);
  int f = find(10, 5);
  int g = find(2, 50);
  assert(f == 3 && g == -1 && (a < 0 ? c == 0 : a > 100 ? c == 100 : c == a));
  return 0;
}
"""


def main_of(src: str):
    unit = next(u for u in load_program(src.encode(), "c").units if u.name == "main")
    assert unit.function is not None, unit.unsupported
    return unit.function


def test_early_returns_leave_the_callee_and_its_loops():
    f = main_of(FIND)
    # the callees' returns are gone (only main's own remains): they cannot end the caller
    assert [s.loc.line for s in f.statements() if isinstance(s, Return)] == [23]
    for a in (-5, 0, 42, 100, 101, 10**6):
        assert replay(f, {}, [a]).outcome is Outcome.EXIT, a


def test_a_wrong_claim_about_an_early_return_is_violated_and_a_right_one_proved(tmp_path):
    v = Verifier(VerifyOptions(timeout_s=10), ranker="unguided")
    p = tmp_path / "c.c"
    p.write_text(FIND.split("int main()")[0].split("int clamp")[0] + (
        "int main() {\n  int n = __VERIFIER_nondet_int();\n  __VERIFIER_assume(n >= 0 && n <= 20);\n"
        "  int r = find(n, 4);\n  assert(r <= 4);\n  assert(r == -1);\n  return 0;\n}\n"))
    got = {r.line: r.verdict for r in v.verify_file(p).results}
    assert got == {13: Verdict.PROVED, 14: Verdict.VIOLATED}


@pytest.mark.parametrize("call", ["int x = 1 + find(3, 1);", "int x = find(3, 1) > 0 && find(3, 2) > 0;"])
def test_a_callee_with_loops_inside_a_larger_expression_stays_unsupported(call):
    src = FIND.split("int clamp")[0] + f"int main() {{\n  {call}\n  assert(x >= 0);\n  return 0;\n}}\n"
    unit = next(u for u in load_program(src.encode(), "c").units if u.name == "main")
    assert unit.unsupported is not None and "inside an expression" in unit.unsupported.message
