"""Slicing in the C front end: a construct outside the subset (a local array, a floating-point variable, a call to
a function not in the file) affects only the assertions that depend on it. Its value is arbitrary (a havoc, with
a note), so a proof under it is a real proof; a violation whose run passes through it is reported unsupported,
naming the construct and its line. Writes that only touch unmodelled state are dropped with a note."""

from __future__ import annotations

import pytest

from recursa.refine.verify import Verdict, Verifier, VerifyOptions
from recursa.symbolic.frontend import load_program
from recursa.symbolic.ir import Havoc

SRC = """int main() {
  int a[10];
  int n = 0;
  float f = 1.5;
  for (int i = 0; i < 10; i++) {
    a[i] = i * 2;
    n = n + 1;
  }
  f = f * 2.0;
  int r = get_value(n);
  log_it(n);
  __VERIFIER_assert(n == 10);
  int v = a[3];
  __VERIFIER_assert(v == 6);
  __VERIFIER_assert(r >= 0);
  return 0;
}
"""


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(VerifyOptions(timeout_s=10), ranker="unguided")


def unit(src: str):
    return load_program(src.encode(), "c").units[-1]


def test_unmodelled_state_is_dropped_or_havocked_with_notes():
    u = unit(SRC)
    assert u.function is not None, u.unsupported
    notes = "\n".join(u.notes)
    assert "2:7: dropped the declaration 'a[10]'" in notes and "6:5: dropped 'a[i] = i * 2'" in notes
    assert "4:9: dropped the declaration 'f = 1.5'" in notes and "9:3: dropped 'f = f * 2.0'" in notes
    assert "11:3: dropped 'log_it(...)'" in notes
    havocs = {h.unmodelled for h in u.function.statements() if isinstance(h, Havoc) and h.unmodelled}
    assert havocs == {"call to 'get_value'", "call to 'log_it'", "array access 'a[3]'"}


def test_independent_assertions_are_proved_and_dependent_violations_are_unsupported(verifier, tmp_path):
    p = tmp_path / "s.c"
    p.write_text(SRC)
    fr = verifier.verify_file(p)
    by_line = {r.line: r for r in fr.results}
    assert by_line[12].verdict is Verdict.PROVED
    for line, construct in ((14, "array access 'a[3]' at 13:11"), (15, "call to 'get_value' at 10:11")):
        r = by_line[line]
        assert r.verdict is Verdict.UNSUPPORTED and construct in r.message, r.message
    assert any("dropped 'a[i] = i * 2'" in n for n in fr.notes)


def test_a_proof_under_an_unmodelled_value_is_a_real_proof(verifier, tmp_path):
    src = ("int main() {\n  int r = read_sensor();\n  int c = r > 100 ? 100 : r;\n  __VERIFIER_assert(c <= 100);\n"
           "  return 0;\n}\n")
    p = tmp_path / "p.c"
    p.write_text(src)
    assert {r.line: r.verdict for r in verifier.verify_file(p).results} == {4: Verdict.PROVED}


def test_a_violation_before_any_unmodelled_construct_stays_violated(verifier, tmp_path):
    src = ("int main() {\n  int x = 1;\n  __VERIFIER_assert(x == 2);\n  int r = read_sensor();\n"
           "  __VERIFIER_assert(r == r);\n  return 0;\n}\n")
    p = tmp_path / "v.c"
    p.write_text(src)
    got = {r.line: r.verdict for r in verifier.verify_file(p).results}
    assert got == {3: Verdict.VIOLATED, 5: Verdict.PROVED}


@pytest.mark.parametrize("src, construct", [
    ("int main() {\n  int x = 0;\n  update(&x);\n  assert(x == 0);\n}\n", "call to 'update'"),
    ("int g = 0;\nint main() {\n  tick();\n  assert(g == 0);\n}\n", "call to 'tick'"),
    ("int main() {\n  int a[4];\n  a[0] = unknown();\n  assert(1);\n}\n", "write to array 'a' with side effects"),
    ("int main() {\n  int a[4];\n  int x = 0;\n  a[x++] = 1;\n  assert(x == 0);\n}\n",
     "write to array 'a' with side effects"),
    ("int main() {\n  int a[4];\n  int *p = a;\n  assert(1);\n}\n", "pointer"),
])
def test_what_could_change_modelled_state_stays_unsupported(src, construct):
    u = unit(src)
    assert u.function is None and u.unsupported is not None
    assert u.unsupported.construct == construct


def test_a_declaration_of_an_array_and_a_scalar_keeps_the_scalar(verifier, tmp_path):
    src = "int main() {\n  int a[4], n = 3;\n  a[n] = 1;\n  n = n + 1;\n  __VERIFIER_assert(n == 4);\n  return 0;\n}\n"
    p = tmp_path / "mixed.c"
    p.write_text(src)
    assert {r.line: r.verdict for r in verifier.verify_file(p).results} == {5: Verdict.PROVED}


def test_math_and_machine_modes_agree_on_slicing():
    for semantics in ("math", "machine"):
        prog = load_program(SRC.encode(), "c", int_semantics=semantics)
        assert prog.units[-1].function is not None
