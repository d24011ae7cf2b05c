"""C under ``--int-semantics machine``: signed overflow is undefined behaviour with its own verdict, and
unsigned types wrap modulo 2**width (32-bit ones as bit patterns read unsigned by division, shifts and order)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recursa.cli import main
from recursa.refine.verify import Verdict, Verifier, VerifyOptions
from recursa.report import file_lines
from recursa.symbolic.frontend import load_program
from recursa.symbolic.interp import Interpreter, Outcome, RandomOracle, ReplayOracle, replay
from recursa.symbolic.ir import Assert


def function(src: str, semantics: str = "machine"):
    prog = load_program(src.encode(), "c", int_semantics=semantics)
    unit = prog.units[-1]
    assert unit.function is not None, unit.unsupported
    return unit.function


def checks(src: str, semantics: str = "machine") -> list[Assert]:
    return [a for a in function(src, semantics).assertions if a.kind == "overflow"]


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(VerifyOptions(timeout_s=10, int_semantics="machine"), ranker="unguided")


def verify(verifier: Verifier, tmp_path, src: str) -> dict[int, Verdict]:
    p = tmp_path / "m.c"
    p.write_text(src)
    fr = verifier.verify_file(p)
    assert fr.error is None
    return {r.line: r.verdict for r in fr.results}


# ---- the front end ----------------------------------------------------------------------------------------


def test_each_signed_operation_that_can_overflow_gets_a_check_at_its_line():
    src = ("int main() {\n  int a = __VERIFIER_nondet_int(), b = __VERIFIER_nondet_int();\n"
           "  int s = a + b;\n  int d = a - b;\n  int p = a * b;\n  int n = -a;\n  int q = a / -1;\n"
           "  int r = a % -1;\n  int l = a << 3;\n  a++;\n  b -= 2;\n  assert(1);\n}\n")
    found = {(c.loc.line, c.text) for c in checks(src)}
    assert found == {(3, "a + b"), (4, "a - b"), (5, "a * b"), (6, "-a"), (7, "a / -1"), (8, "a % -1"),
                     (9, "a << 3"), (10, "a + 1"), (11, "b - 2")}


def test_operations_that_cannot_overflow_get_no_check_and_math_mode_gets_none():
    src = ("int main() {\n  int a = __VERIFIER_nondet_int();\n  int x = a / 2 + 0;\n  int y = a * 1;\n"
           "  int z = 3 + 4;\n  assert(1);\n}\n")
    assert checks(src) == []
    assert checks("int main() { int a = 1; a = a + 1; assert(a == 2); }", "math") == []


def test_a_check_inside_a_lazy_operand_holds_only_where_the_operand_runs():
    f = function("int main() {\n  int a = __VERIFIER_nondet_int();\n  int ok = a < 10 && a + 1 > 0;\n  assert(1);\n}\n")
    interp = Interpreter(f, machine=True)
    # a = INT_MAX: the right operand never runs, so its overflow check must not fire
    run = interp.run(ReplayOracle({}, [2**31 - 1]))
    assert run.outcome is Outcome.EXIT


def test_unsigned_types_are_supported_but_64_bit_ones_are_not():
    prog = load_program(b"int main() { unsigned long x = 1; assert(x == 1); }", "c", int_semantics="machine")
    assert prog.units[0].unsupported is not None and "unsigned long" in prog.units[0].unsupported.message
    f = function("int main() { unsigned int x = 4294967295u; unsigned char c = 250; assert(x + 1 == 0); }")
    assert checks("int main() { unsigned int x = __VERIFIER_nondet_uint(); x = x * x + 1; assert(1); }") == []
    assert Interpreter(f, machine=True).run(RandomOracle(0)).outcome is Outcome.EXIT


def test_unsigned_division_shift_and_order_read_bit_patterns_as_unsigned():
    src = ("int main() {\n  unsigned int y = 0;\n  y = y - 1;\n  unsigned int h = y / 2;\n  unsigned int s = y >> 28;\n"
           "  int neg = -1;\n  unsigned int t = neg;\n  unsigned char c = 250;\n  c = c + 10;\n"
           "  assert(y > 100 && h == 2147483647u && s == 15 && t == y && c == 4);\n}\n")
    run = replay(function(src), {}, [], machine=True)
    assert run.outcome is Outcome.EXIT
    # traces show 32-bit unsigned values as such
    bad = function("int main() {\n  unsigned int y = 0;\n  y = y - 1;\n  assert(y < 5);\n}\n")
    run = replay(bad, {}, [], machine=True)
    assert run.outcome is Outcome.VIOLATION and run.trace[-1].values["y"] == 4294967295


# ---- verdicts ---------------------------------------------------------------------------------------------


def test_signed_overflow_is_its_own_verdict_with_a_trace_ending_at_the_operation(verifier, tmp_path):
    src = ("int main() {\n  int s = 0;\n  while (__VERIFIER_nondet_int()) {\n    int d = __VERIFIER_nondet_int();\n"
           "    __VERIFIER_assume(d > 0);\n    s = s + d;\n  }\n  __VERIFIER_assert(s >= 0);\n  return 0;\n}\n")
    p = tmp_path / "sum.c"
    p.write_text(src)
    fr = verifier.verify_file(p)
    by_line = {r.line: r for r in fr.results}
    r = by_line[6]
    assert r.verdict is Verdict.OVERFLOW and r.message.startswith("undefined behaviour: signed overflow in 's + d'")
    assert r.trace is not None and r.trace.trace[-1].line == 6
    # the trace replays to that very check
    f = function(src)
    run = replay(f, r.trace.initial, list(r.trace.nondet), machine=True)
    assert run.outcome is Outcome.VIOLATION and run.failed is not None and run.failed.kind == "overflow"
    assert run.failed.loc.line == 6
    # the assertion after it is proved for the executions without undefined behaviour (as in C)
    assert by_line[8].verdict is Verdict.PROVED
    text = "\n".join(file_lines(fr))
    assert "OVERFLOW" in text and "signed overflow" in text


def test_a_loop_proved_with_math_integers_whose_values_cannot_overflow_is_proved(verifier, tmp_path):
    src = "int main() {\n  int x = 0;\n  while (x < 100) {\n    x = x + 1;\n  }\n  assert(x == 100);\n  return 0;\n}\n"
    assert verify(verifier, tmp_path, src) == {4: Verdict.PROVED, 6: Verdict.PROVED}


def test_guarded_operations_are_proved_and_unguarded_ones_overflow(verifier, tmp_path):
    src = ("int main() {\n  int x = __VERIFIER_nondet_int();\n  int y = 0;\n  if (x > INT_MIN) {\n    y = -x;\n  }\n"
           "  int z = x * 2;\n  assert(y >= 0 || x < 0);\n  return 0;\n}\n")
    got = verify(verifier, tmp_path, src)
    assert got[5] is Verdict.PROVED and got[7] is Verdict.OVERFLOW


def test_main_without_assertions_is_still_checked_for_overflow(verifier, tmp_path):
    src = "int main() {\n  int x = __VERIFIER_nondet_int();\n  int y = x + 1;\n  return y;\n}\n"
    assert verify(verifier, tmp_path, src) == {3: Verdict.OVERFLOW}


def test_unsigned_wrap_is_never_undefined(verifier, tmp_path):
    src = ("int main() {\n  unsigned int x = __VERIFIER_nondet_uint();\n  unsigned int y = x + 1;\n"
           "  assert(y > x || x == 4294967295u);\n  assert(y > x);\n  return 0;\n}\n")
    assert verify(verifier, tmp_path, src) == {4: Verdict.PROVED, 5: Verdict.VIOLATED}


def test_cli_exit_code_json_and_sarif(tmp_path):
    p = tmp_path / "o.c"
    p.write_text("int main() {\n  int x = 2147483647;\n  x = x + 1;\n  return 0;\n}\n")
    args = ["verify", "--ranker", "unguided", "--int-semantics", "machine", "--jobs", "1"]
    r = CliRunner().invoke(main, [*args, "--format", "json", str(p)])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    res = doc["results"][0] if "results" in doc else doc["files"][0]["results"][0]
    assert res["verdict"] == "overflow" and res["line"] == 3 and res["trace"] is not None
    r = CliRunner().invoke(main, [*args, "--format", "sarif", str(p)])
    assert r.exit_code == 1
    sarif = json.loads(r.stdout)
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "recursa/signed-overflow" and result["level"] == "error"
    # math mode: no overflow, nothing to check (no assertion)
    r = CliRunner().invoke(main, ["verify", "--ranker", "unguided", "--jobs", "1", str(p)])
    assert r.exit_code == 0 and "overflow" not in r.output


def test_a_check_that_cannot_be_settled_does_not_take_the_time_of_the_stated_assertions(tmp_path):
    # x++ overflows only after 2**31 rounds: its check is neither provable nor refutable within bounds
    src = "int main() {\n  int x = 0;\n  while (__VERIFIER_nondet_int()) {\n    x++;\n  }\n  assert(x >= 0);\n}\n"
    p = tmp_path / "slow.c"
    p.write_text(src)
    v = Verifier(VerifyOptions(timeout_s=3, int_semantics="machine"), ranker="unguided")
    by_line = {r.line: r for r in v.verify_file(p).results}
    assert by_line[6].verdict is Verdict.PROVED and by_line[6].time_s < 1.5
    assert by_line[4].verdict is Verdict.UNKNOWN
