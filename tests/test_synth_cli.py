"""``recursa synth`` and ``recursa bench synth`` as a user runs them: answers, formats, exit codes, bad input,
emitted code that computes what the answer means."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from recursa.cli import main

z3 = pytest.importorskip("z3")

MAX2 = """(set-logic LIA)
(synth-fun m ((a Int) (b Int)) Int)
(declare-var a Int) (declare-var b Int)
(constraint (>= (m a b) a)) (constraint (>= (m a b) b))
(constraint (or (= (m a b) a) (= (m a b) b)))
(check-synth)
"""
LOWBIT = """(set-logic BV)
(synth-fun f ((x (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8))) ((S (_ BitVec 8) (x #x00 #x01 (bvand S S) (bvneg S) (bvnot S) (bvadd S S)))))
(constraint (= (f #x0c) #x04)) (constraint (= (f #x01) #x01)) (constraint (= (f #x80) #x80))
(constraint (= (f #x06) #x02)) (constraint (= (f #x00) #x00)) (constraint (= (f #xff) #x01))
(check-synth)
"""
CONFLICT = """(set-logic LIA)
(synth-fun f ((x Int)) Int)
(constraint (= (f 1) 2))
(constraint (= (f 1) 3))
(check-synth)
"""
STRINGS = """(set-logic SLIA)
(synth-fun f ((s String)) String)
(constraint (= (f "a") "aa"))
(check-synth)
"""
MALFORMED = """(set-logic LIA)
(synth-fun f ((x Int)) Int)
(constraint (= (f 1) 2)
(check-synth)
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, text in [("max2", MAX2), ("lowbit", LOWBIT), ("conflict", CONFLICT), ("strings", STRINGS),
                       ("bad", MALFORMED)]:
        p = tmp_path / f"{name}.sl"
        p.write_text(text)
        out[name] = str(p)
    return out


def synth(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["synth", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def holds(define_funs: str, spec_text: str) -> bool:
    """Z3: the answer meets every constraint of a (declare-var/constraint) spec given as SyGuS text."""
    body = re.sub(r"\(synth-fun[^\n]*\n?(  \([^\n]*\n)*", "", spec_text)  # the answer replaces the synth-fun
    body = body.replace("(declare-var", "(declare-const").replace("(check-synth)", "")
    constraints = re.findall(r"\(constraint (.*?)\)(?=\s*\(constraint|\s*$)", body, flags=re.S)
    decls = re.findall(r"\(declare-const [^()]*\([^)]*\)\)|\(declare-const [^()]*\)", body)
    query = define_funs + "\n" + "\n".join(decls) + f"\n(assert (not (and true {' '.join(constraints)})))"
    solver = z3.Solver()
    solver.add(z3.parse_smt2_string(query))
    return solver.check() == z3.unsat


# ---- the answers and the sygus format --------------------------------------------------------------------


def test_single_file_prints_exactly_the_define_fun_and_exits_0(files: dict[str, str]) -> None:
    code, out, err = synth(files["max2"])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("(define-fun m ((a Int) (b Int)) Int ")
    assert holds(out, MAX2)


def test_several_files_each_answer_follows_a_path_comment(files: dict[str, str]) -> None:
    code, out, err = synth(files["max2"], files["lowbit"], files["conflict"])
    assert code == 1  # infeasible wins over solved
    lines = out.splitlines()
    assert lines[0] == f"; {files['max2']}" and lines[1].startswith("(define-fun m")
    assert lines[2] == f"; {files['lowbit']}" and lines[3].startswith("(define-fun f ((x (_ BitVec 8)))")
    assert lines[4:] == [f"; {files['conflict']}", "infeasible"]
    assert holds(lines[3], LOWBIT)


def test_unsupported_logic_prints_fail_and_exits_3(files: dict[str, str]) -> None:
    code, out, err = synth(files["max2"], files["strings"])
    assert code == 3
    assert out.splitlines()[-1] == "fail"
    assert files["strings"] in err and "Traceback" not in err


def test_malformed_file_is_reported_with_position_and_the_others_still_run(files: dict[str, str]) -> None:
    code, out, err = synth(files["bad"], files["max2"], files["conflict"])
    assert code == 2  # an input error wins over infeasible
    assert re.search(re.escape(files["bad"]) + r":\d+:\d+: ", err), err
    assert "Traceback" not in err + out
    assert "(define-fun m" in out and "infeasible" in out


def test_missing_path_and_empty_directory_are_input_errors(files: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = synth(str(tmp_path / "nope.sl"), str(empty), files["max2"])
    assert code == 2
    assert "nope.sl: no such file" in err and "no .sl files" in err
    assert "(define-fun m" in out


def test_directory_is_searched_for_sl_files(files: dict[str, str], tmp_path: Path) -> None:
    sub = tmp_path / "suite"
    sub.mkdir()
    shutil.copy(files["max2"], sub / "a.sl")
    shutil.copy(files["conflict"], sub / "b.sl")
    (sub / "notes.txt").write_text("not a problem")
    code, out, _ = synth(str(sub))
    assert code == 1
    assert [ln for ln in out.splitlines() if ln.startswith(";")] == [f"; {sub / 'a.sl'}", f"; {sub / 'b.sl'}"]


def test_stdout_holds_only_answers(files: dict[str, str]) -> None:
    """Messages go to stderr, so the answers can be piped into another tool."""
    _, out, _ = synth(files["max2"], files["strings"], files["bad"], files["conflict"])
    for line in out.splitlines():
        assert line.startswith(("; ", "(define-fun ")) or line in ("infeasible", "fail"), line


def test_help_documents_path_comments_and_exit_codes() -> None:
    result = CliRunner().invoke(main, ["synth", "--help"])
    assert result.exit_code == 0
    assert '"; path"' in result.stdout and "Exit codes" in result.stdout


# ---- table and JSON ----------------------------------------------------------------------------------------


def test_json_has_one_result_per_file_and_a_summary(files: dict[str, str]) -> None:
    code, out, _ = synth("--format", "json", files["max2"], files["conflict"], files["bad"], files["strings"])
    assert code == 2
    data = json.loads(out)
    by_path = {r["path"]: r for r in data["results"]}
    assert [by_path[files[k]]["status"] for k in ("max2", "conflict", "bad", "strings")] == [
        "solved", "infeasible", "error", "unsupported"]
    assert holds(by_path[files["max2"]]["solution"], MAX2)
    assert by_path[files["conflict"]]["solution"] is None
    assert re.match(re.escape(files["bad"]) + r":\d+:\d+: ", by_path[files["bad"]]["message"])
    for r in data["results"]:
        assert {"time_s", "candidates", "solver_calls", "guide"} <= set(r)
    assert data["summary"]["files"] == 4 and data["summary"]["solved"] == 1 and data["summary"]["error"] == 1


def test_table_has_a_line_per_file_and_a_summary(files: dict[str, str]) -> None:
    code, out, _ = synth("--format", "table", files["max2"], files["conflict"])
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("solved") and lines[1].endswith(files["max2"])
    assert any(ln.startswith("infeasible") and ln.endswith(files["conflict"]) for ln in lines)
    assert lines[-1].startswith("2 files: 1 solved, 1 infeasible")


def test_control_characters_in_a_path_cannot_forge_output_lines(tmp_path: Path) -> None:
    weird = tmp_path / "a\nsolved.sl"
    weird.write_text(CONFLICT)
    _, out, _ = synth("--format", "table", str(weird))
    assert not any(ln.startswith("solved") for ln in out.splitlines()[1:])


def test_emit_with_table_is_a_usage_error(files: dict[str, str]) -> None:
    code, _, err = synth("--format", "table", "--emit", "python", files["max2"])
    assert code == 2 and "--emit" in err


# ---- emitted code ------------------------------------------------------------------------------------------


def z3_value(define_fun: str, name: str, args: list[str], sort: str) -> int | bool:
    solver = z3.Solver()
    query = f"{define_fun}\n(declare-const r {sort})\n(assert (= r ({name} {' '.join(args)})))"
    solver.add(z3.parse_smt2_string(query))
    assert solver.check() == z3.sat
    value = solver.model()[z3.Const("r", z3.BoolSort() if sort == "Bool" else z3.IntSort() if sort == "Int"
                                    else z3.BitVecSort(int(sort.split()[2].rstrip(")"))))]
    return z3.is_true(value) if sort == "Bool" else value.as_long()


def int_lit(v: int) -> str:
    return str(v) if v >= 0 else f"(- {-v})"


# Answers that exercise the semantics where Python and SMT-LIB differ: Euclidean div/mod with negative
# operands, masking, signed bit-vector operations, shifts past the width, division by zero on bit-vectors.
EMIT_CASES = [
    ("(define-fun f ((x Int) (y Int)) Int (ite (= y 0) x (+ (div x y) (* 7 (mod x y)))))", ["Int", "Int"], "Int"),
    ("(define-fun f ((x Int) (y Int)) Bool (or (and (< x y 3) (not (= x 0))) (=> (> x 0) (>= y 0) (distinct x y))))",
     ["Int", "Int"], "Bool"),
    ("(define-fun f ((x Int)) Int (ite (< (abs x) 10) (- x) (- (* 3 x) 1 (div x (- 4)))))", ["Int"], "Int"),
    ("(define-fun f ((x (_ BitVec 8)) (y (_ BitVec 8))) (_ BitVec 8) (bvadd (bvmul x y) (bvneg (bvnot x))"
     " (bvshl x y) (bvlshr y x)))", ["(_ BitVec 8)"] * 2, "(_ BitVec 8)"),
    ("(define-fun f ((x (_ BitVec 8)) (y (_ BitVec 8))) (_ BitVec 8) (bvxor (bvsdiv x y) (bvsrem x y) (bvsmod y x)"
     " (bvudiv x y) (bvurem y x) (bvashr x y)))", ["(_ BitVec 8)"] * 2, "(_ BitVec 8)"),
    ("(define-fun f ((x (_ BitVec 16)) (y (_ BitVec 16))) (_ BitVec 16) (ite (bvslt x y) (concat ((_ extract 7 0) x)"
     " ((_ extract 15 8) y)) (bvor ((_ rotate_left 3) x) ((_ zero_extend 8) ((_ extract 11 4) y)))))",
     ["(_ BitVec 16)"] * 2, "(_ BitVec 16)"),
    ("(define-fun f ((x (_ BitVec 4))) (_ BitVec 12) (bvsub ((_ sign_extend 8) x) ((_ repeat 3) x)))",
     ["(_ BitVec 4)"], "(_ BitVec 12)"),
]


def random_arg(rng: random.Random, sort: str) -> tuple[object, str]:
    if sort == "Int":
        v = rng.choice([0, 1, -1, rng.randint(-50, 50), rng.randint(-10**6, 10**6)])
        return v, int_lit(v)
    w = int(sort.split()[2].rstrip(")"))
    v = rng.choice([0, 1, (1 << w) - 1, 1 << (w - 1), rng.getrandbits(w), rng.randrange(w + 3)])
    return v, f"(_ bv{v} {w})"


@pytest.mark.parametrize("case", range(len(EMIT_CASES)))
def test_emitted_python_computes_what_z3_computes(case: int) -> None:
    from recursa.symbolic.smtlib import read_script
    from recursa.synth.emit import emit_python

    text, sorts, result_sort = EMIT_CASES[case]
    fn = read_script(text).definitions["f"]
    namespace: dict[str, object] = {}
    exec(compile(emit_python([fn]), "<emitted>", "exec"), namespace)
    rng = random.Random(case)
    for _ in range(40):
        args = [random_arg(rng, s) for s in sorts]
        expect = z3_value(text, "f", [a[1] for a in args], result_sort)
        assert namespace["f"](*[a[0] for a in args]) == expect, (text, args)


def test_deep_answers_are_emitted_without_hitting_nesting_limits() -> None:
    from recursa.symbolic.terms import BOOL, INT, App, Lit, Var
    from recursa.synth.emit import emit_c, emit_python
    from recursa.synth.problem import Solution

    x = Var("x", INT)
    body = x
    for i in range(2999, -1, -1):  # (ite (< x 0) 0 (ite (< x 1) 1 ... x)): x + 1 below 3000, else x
        body = App("ite", (App("<", (x, Lit(i, INT)), BOOL), Lit(i, INT), body), INT)
    sol = Solution("f", (("x", INT),), INT, body)
    namespace: dict[str, object] = {}
    exec(compile(emit_python([sol]), "<emitted>", "exec"), namespace)
    assert namespace["f"](-5) == 0 and namespace["f"](10) == 11 and namespace["f"](5000) == 5000
    assert "return t" in emit_c([sol])


def test_emit_python_from_the_command_runs(files: dict[str, str]) -> None:
    code, out, _ = synth("--emit", "python", files["max2"])
    assert code == 0
    namespace: dict[str, object] = {}
    exec(compile(out, "<emitted>", "exec"), namespace)
    rng = random.Random(1)
    for _ in range(50):
        a, b = rng.randint(-100, 100), rng.randint(-100, 100)
        assert namespace["m"](a, b) == max(a, b)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("case", range(len(EMIT_CASES)))
def test_emitted_c_compiles_and_agrees_with_z3(case: int, tmp_path: Path) -> None:
    from recursa.symbolic.smtlib import read_script
    from recursa.synth.emit import emit_c

    text, sorts, result_sort = EMIT_CASES[case]
    fn = read_script(text).definitions["f"]
    rng = random.Random(case)
    points = [[random_arg(rng, s) for s in sorts] for _ in range(30)]

    def c_arg(value: object, sort: str) -> str:
        return f"{value}LL" if sort == "Int" else f"{value}u"

    calls = "\n".join(f'    printf("%lld\\n", (long long)f({", ".join(c_arg(a[0], s) for a, s in zip(p, sorts))}));'
                      for p in points)
    source = tmp_path / "f.c"
    source.write_text(emit_c([fn]) + "#include <stdio.h>\nint main(void) {\n" + calls + "\n    return 0;\n}\n")
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-o", str(tmp_path / "f"), str(source)], check=True)
    got = subprocess.run([str(tmp_path / "f")], capture_output=True, text=True, check=True).stdout.split()
    assert [int(g) for g in got] == [int(z3_value(text, "f", [a[1] for a in p], result_sort)) for p in points]


# ---- cvc5 --------------------------------------------------------------------------------------------------


def test_cross_check_without_cvc5_is_a_clear_usage_error(files: dict[str, str], monkeypatch) -> None:
    import recursa.synth.cvc5_runner as runner

    monkeypatch.setattr(runner, "cvc5_available", lambda: False)
    code, out, err = synth("--cross-check", files["max2"])
    assert code == 2 and "cvc5" in err and "pip install" in err and out == ""


def test_cross_check_confirms_answers_with_cvc5(files: dict[str, str]) -> None:
    pytest.importorskip("cvc5")
    code, out, _ = synth("--cross-check", "--format", "json", files["max2"], files["lowbit"])
    assert code == 0
    assert [r["stats"]["cvc5_check"] for r in json.loads(out)["results"]] == ["confirmed", "confirmed"]


def test_run_cvc5_solves_reports_infeasible_and_rejects_bad_files(files: dict[str, str]) -> None:
    pytest.importorskip("cvc5")
    from recursa.synth.cvc5_runner import run_cvc5
    from recursa.synth.problem import SynthStatus

    solved = run_cvc5(files["max2"], 10)
    assert solved.status is SynthStatus.SOLVED and holds(solved.solution_text, MAX2)
    assert run_cvc5(files["conflict"], 10).status is SynthStatus.INFEASIBLE
    bad = run_cvc5(files["bad"], 10)
    assert bad.status is SynthStatus.ERROR and files["bad"] in bad.message


# ---- the bench ---------------------------------------------------------------------------------------------


def test_bench_runs_every_solver_on_every_file_and_flags_nothing(files: dict[str, str], tmp_path: Path) -> None:
    suite = tmp_path / "mini"
    suite.mkdir()
    for name in ("max2", "lowbit", "conflict"):
        shutil.copy(files[name], suite / f"{name}.sl")
    (suite / "manifest.jsonl").write_text("\n".join(json.dumps(e) for e in [
        {"file": "max2.sl", "kind": "clia", "expected": "solved", "answer": None},
        {"file": "lowbit.sl", "kind": "bv", "expected": "solved", "answer": None},
        {"file": "conflict.sl", "kind": "lia", "expected": "infeasible", "answer": None}]) + "\n")
    against = ["--against", "cvc5"] if _has_cvc5() else []
    result = CliRunner().invoke(main, ["bench", "synth", str(suite), "--timeout", "2", "--json", *against])
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    solvers = ["recursa/none", "recursa/reasoner"] + (["cvc5"] if against else [])
    assert data["solvers"] == solvers and data["flagged"] == []
    assert len(data["runs"]) == 3 * len(solvers)
    totals = {r["solver"]: r for r in data["rows"] if r["kind"] == "all"}
    assert totals["recursa/none"]["solved"] == 2 and totals["recursa/none"]["infeasible"] == 1
    assert {r["kind"] for r in data["rows"]} == {"clia", "bv", "lia", "all"}
    assert all(r["recheck"] == "ok" for r in data["runs"] if r["status"] == "solved")


def test_bench_flags_a_status_that_contradicts_the_manifest(files: dict[str, str], tmp_path: Path) -> None:
    suite = tmp_path / "wrong"
    suite.mkdir()
    shutil.copy(files["conflict"], suite / "conflict.sl")
    (suite / "manifest.jsonl").write_text(json.dumps({"file": "conflict.sl", "kind": "lia", "expected": "solved",
                                                      "answer": None}) + "\n")
    result = CliRunner().invoke(main, ["bench", "synth", str(suite), "--timeout", "2", "--guide", "none"])
    assert result.exit_code == 1
    assert "CONTRADICTS MANIFEST" in result.stdout and "CONTRADICTS MANIFEST" in result.stderr


def _has_cvc5() -> bool:
    from recursa.synth.cvc5_runner import cvc5_available

    return cvc5_available()


def test_jobs_solve_files_in_parallel_with_the_same_answers_in_order(files: dict[str, str]) -> None:
    order = [files["lowbit"], files["bad"], files["max2"], files["conflict"]]
    code1, out1, err1 = synth("--format", "json", *order)
    code2, out2, err2 = synth("--format", "json", "-j", "3", *order)
    one, two = json.loads(out1)["results"], json.loads(out2)["results"]
    assert code1 == code2 == 2  # the malformed file is an input error in both
    assert [(r["path"], r["status"], r["solution"]) for r in one] == [(r["path"], r["status"], r["solution"])
                                                                       for r in two]
    assert [r["path"] for r in two] == order
