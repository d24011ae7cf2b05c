"""``recursa verify`` on programs as people write them: SV-COMP-dialect C (nondet inputs, ``reach_error``,
helper functions, unsigned wrap-around), Python with leading asserts and ``recursa`` contracts, output calls
that are dropped, and violation traces that show only assigned variables."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recursa.cli import main

SV_COMP = """\
#include <stdio.h>
#include <assert.h>
extern void abort(void);
extern void __assert_fail(const char *, const char *, unsigned int, const char *);
void reach_error(void) { __assert_fail("0", "t.c", 5, "reach_error"); }
extern int __VERIFIER_nondet_int(void);
extern _Bool __VERIFIER_nondet_bool(void);
extern char __VERIFIER_nondet_char(void);
void assume_abort_if_not(int cond) { if (!cond) { abort(); } }
void __VERIFIER_assert(int cond) { if (!(cond)) { ERROR: { reach_error(); abort(); } } }
int add(int a, int b) {
  int s = a + b;
  return s;
}
int sign(int v) {
  if (v < 0) {
    return -1;
  } else {
    return v > 0 ? 1 : 0;
  }
}
int main(void) {
  int n = __VERIFIER_nondet_int();
  char c = __VERIFIER_nondet_char();
  _Bool flip = __VERIFIER_nondet_bool();
  assume_abort_if_not(n >= 1 && n <= 1000);
  int x = 0, y = 0;
  for (int i = 0; i < n; i++) {
    x = add(x, 1);
    y += 2;
    printf("%d %d\\n", x, y);
  }
  int k = 0;
  do { k++; } while (k < 3);
  int z = flip ? sign(c) : 0;
  __VERIFIER_assert(y == 2 * x && k == 3);
  if (z > 1 || z < -1) reach_error();
  if (c > 127) reach_error();
  return 0;
}
"""

UNSIGNED = """\
int main(void) {
  unsigned int u = 0;
  u--;
  __VERIFIER_assert(u == 4294967295u);
  unsigned int five = 5;
  __VERIFIER_assert(!(five > -1));
  unsigned char small = 250;
  small += 10;
  __VERIFIER_assert(small == 4);
  unsigned int r = __VERIFIER_nondet_uint();
  __VERIFIER_assert(r >= 0 && r <= UINT_MAX);
  unsigned int w = r + 1;
  __VERIFIER_assert(w > r);
  return 0;
}
"""

PY_PRECONDITION = """\
from recursa import assume, nondet_int
import recursa


def total(n: int, k: int) -> int:
    \"\"\"Leading asserts are the precondition.\"\"\"
    assert n >= 0
    assert 1 <= k <= 10
    t = 0
    for i in range(n, 0, -1):
        t += k
        print("t =", t)
    extra = nondet_int()
    recursa.assume(extra > 0)
    i = 0
    while i < 5:
        i += 1
    else:
        t += extra
    assert t > n - 1 and 0 <= t // 2 and t % 2 >= 0
    return t
"""


def line_of(src: str, text: str) -> int:
    return next(i for i, line in enumerate(src.splitlines(), 1) if text in line)


def run(args: list[str]):
    return CliRunner().invoke(main, ["verify", "--ranker", "unguided", "--format", "json", *args])


def verdicts(result) -> dict[int, str]:
    return {r["line"]: r["verdict"] for r in json.loads(result.stdout)["results"]}


@pytest.fixture()
def write(tmp_path):
    def _write(name: str, text: str) -> str:
        p = tmp_path / name
        p.write_text(text)
        return str(p)
    return _write


def test_svcomp_dialect_is_verified_with_helpers_inlined_and_printf_dropped(write):
    good = write("sv.c", SV_COMP)
    bad = write("sv_bad.c", SV_COMP.replace("    y += 2;\n", "    y += 2;\n    if (x == 9) y++;\n"))
    main_assert = line_of(SV_COMP, "__VERIFIER_assert(y ==")
    r = run([good])
    assert r.exit_code == 0, r.output
    assert verdicts(r) == {main_assert: "proved", main_assert + 1: "proved", main_assert + 2: "proved"}
    printf_line = line_of(SV_COMP, "printf(")
    assert any(n["note"].startswith(f"main: {printf_line}:5: dropped 'printf(...)'")
               for n in json.loads(r.stdout)["notes"])
    r = run([bad])
    assert r.exit_code == 1 and verdicts(r)[main_assert + 1] == "violated"  # one line was inserted above it


def test_unsigned_values_wrap_around_and_nondet_uint_is_in_range(write):
    good = write("u.c", UNSIGNED)
    r = run([good])
    assert r.exit_code == 1, r.output
    assert verdicts(r) == {4: "proved", 6: "proved", 9: "proved", 11: "proved", 13: "violated"}
    res = next(x for x in json.loads(r.stdout)["results"] if x["line"] == 13)
    last = res["trace"]["steps"][-1]["values"]
    assert last["r"] == 4294967295 and last["w"] == 0


def test_64_bit_unsigned_under_machine_integers_is_unsupported_naming_it(write):
    r = CliRunner().invoke(main, ["verify", "--ranker", "unguided", "--int-semantics", "machine",
                                  write("u.c", "int main(void) {\n  unsigned long u = 1;\n  assert(u == 1);\n}\n")])
    assert r.exit_code == 3 and "unsigned type 'unsigned long' at 2:3" in r.output


def test_python_leading_asserts_are_the_precondition_and_the_program_runs(write):
    path = write("p.py", PY_PRECONDITION)
    r = run([path])
    assert r.exit_code == 0, r.output
    claim = line_of(PY_PRECONDITION, "assert t >")
    assert verdicts(r) == {claim: "proved"}  # the two leading asserts are assumptions, not claims
    # the same file runs under Python itself: the recursa names are real functions
    scope: dict = {}
    exec(compile(PY_PRECONDITION, path, "exec"), scope)  # noqa: S102 - the test's own program
    from recursa.contracts import AssumptionViolated, assume
    completed = 0
    for _ in range(60):  # nondet_int() is random when run: runs outside the assumption stop early
        try:
            assert scope["total"](3, 2) > 2
            completed += 1
        except AssumptionViolated:
            pass
    assert completed > 0
    with pytest.raises(AssumptionViolated):
        assume(False)


def test_python_precondition_bug_is_reported_against_the_real_assertion(write):
    r = run([write("p_bad.py", PY_PRECONDITION.replace("assert 1 <= k <= 10", "assert -10 <= k <= 10"))])
    assert r.exit_code == 1 and verdicts(r)[line_of(PY_PRECONDITION, "assert t >")] == "violated"


def test_trace_lists_only_assigned_variables_each_step_with_its_line(write):
    src = ("int main() {\n  int n = __VERIFIER_nondet_int();\n  __VERIFIER_assume(n > 2 && n < 5);\n"
           "  int i = 0;\n  while (i < n) i++;\n  int late = i + 1;\n  assert(late == n);\n  return 0;\n}\n")
    r = run([write("t.c", src)])
    assert r.exit_code == 1
    steps = json.loads(r.stdout)["results"][0]["trace"]["steps"]
    assert all(isinstance(s["line"], int) and s["line"] > 0 for s in steps)
    heads = [s for s in steps if s["kind"] == "loop"]
    assert heads and all("late" not in s["values"] for s in heads)
    assert steps[-1]["values"]["late"] == steps[-1]["values"]["n"] + 1


def test_machine_division_and_remainder_do_not_crash(write):
    src = "int main() {\n  int x = 17;\n  int y = x / 3 + x % 5;\n  assert(y == 7);\n  return 0;\n}\n"
    r = CliRunner().invoke(main, ["verify", "--ranker", "unguided", "--int-semantics", "machine",
                                  "--format", "json", write("d.c", src)])
    # line 3 is the implicit overflow check of '+'
    assert r.exit_code == 0 and "internal error" not in r.output and verdicts(r) == {3: "proved", 4: "proved"}


def test_unknown_calls_and_recursion_stay_unsupported_naming_them(write):
    # passed an address, an unknown function could change anything (without one, see tests/test_slicing.py)
    r = run([write("c.c", "int main() {\n  int x = 1;\n  log_it(&x);\n  assert(x == 1);\n  return 0;\n}\n")])
    assert r.exit_code == 3 and "call to 'log_it' at 3:3" in r.output
    rec = ("int f(int n) {\n  int r = n > 0 ? f(n - 1) : 0;\n  return r;\n}\n"
           "int main() {\n  int y = f(3);\n  assert(y == 0);\n  return 0;\n}\n")
    r = run([write("r.c", rec)])
    assert r.exit_code == 3 and "recursive call to 'f'" in r.output
    side = "int main() {\n  int x = 1;\n  printf(\"%d\", x++);\n  assert(x == 1);\n  return 0;\n}\n"
    r = run([write("s.c", side)])  # an output call whose arguments change state is not dropped
    assert r.exit_code == 3 and "printf" in r.output


def test_for_else_runs_after_a_loop_that_did_not_break_with_the_last_value(write):
    src = ("def f(n):\n    for i in range(0, 10):\n        if i == n:\n            break\n    else:\n"
           "        assert i == 9 and (n < 0 or n > 9)\n    assert i <= 9\n")
    r = run([write("fe.py", src)])
    assert r.exit_code == 0 and verdicts(r) == {6: "proved", 7: "proved"}
    r = run([write("fe_bad.py", src.replace("i == 9 and", "i == 8 and"))])
    assert r.exit_code == 1 and verdicts(r)[6] == "violated"
