"""Invariant problems beyond one unrestricted ``synth-inv``: a grammar on the invariant, several inv-constraints,
inv-constraints beside ordinary constraints (tasks/synthesis/inv_grammar/).

Every solved answer is re-checked here by a fresh Z3 solver against the file as read, and an answer for a
function with a grammar must be derivable from that grammar.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recursa.symbolic.terms import BOOL, INT, App, Lit, Var
from recursa.synth import horn
from recursa.synth.engine import InvariantShape, invariant_shape, solve
from recursa.synth.membership import derives, in_grammar
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, NonTerminal, SynthOptions, SynthStatus
from recursa.synth.sygus import read_problem

pytest.importorskip("z3")

SUITE = Path(__file__).resolve().parents[1] / "tasks" / "synthesis" / "inv_grammar"


def _read(name: str):  # noqa: ANN202 - a Problem
    path = SUITE / name
    return read_problem(str(path), path.read_text())


def _manifest() -> dict[str, dict]:
    lines = (SUITE / "manifest.jsonl").read_text().splitlines()
    return {e["file"]: e for e in (json.loads(x) for x in lines if x.strip())}


def _recheck_ok(problem, texts: list[str]) -> bool:  # noqa: ANN001
    from recursa.commands.bench_synth import recheck

    return recheck(problem, texts) == "ok"


def test_the_manifest_lists_every_file_and_its_answers_hold() -> None:
    entries = _manifest()
    assert set(entries) == {p.name for p in SUITE.glob("*.sl")}
    assert len(entries) >= 8
    for name, e in entries.items():
        assert e["kind"] == "inv_grammar" and e["expected"] in ("solved", "infeasible"), name
        assert (e["answer"] is None) == (e["expected"] != "solved"), name
        assert e["cvc5_10s"] in ("solved", "infeasible", "unknown"), name
        if e["answer"]:
            problem = _read(name)
            assert _recheck_ok(problem, e["answer"].splitlines()), name
            for fn in problem.functions:
                if fn.grammar is not None:
                    body = _answer_body(problem, e["answer"], fn.name)
                    assert in_grammar(fn.grammar, fn.params, body), (name, fn.name)


def _answer_body(problem, text: str, name: str):  # noqa: ANN001, ANN202
    from recursa.symbolic.smtlib import read_script

    return read_script(text).definitions[name].body


SOLVED_WITH_GRAMMAR = ["le_plus.sl", "bound_le.sl", "conj_ge.sl", "eq_only.sl", "offset_const.sl",
                       "two_loops_grammar.sl", "bv_even.sl", "with_synth_fun.sl"]


@pytest.mark.parametrize("name", SOLVED_WITH_GRAMMAR)
def test_a_grammar_restricted_invariant_is_solved_in_its_grammar(name: str) -> None:
    problem = _read(name)
    assert invariant_shape(problem) is InvariantShape.GENERAL
    result = solve(problem, SynthOptions(timeout_s=10))
    assert result.status is SynthStatus.SOLVED, result.message
    assert _recheck_ok(problem, [s.text() for s in result.solutions])
    for sol in result.solutions:
        fn = problem.function(sol.name)
        assert fn.invariant or fn.grammar is not None
        assert fn.grammar is None or in_grammar(fn.grammar, fn.params, sol.body), sol.text()
    assert result.candidates > 0 and result.solver_calls > 0


def test_a_grammar_that_cannot_express_any_invariant_is_infeasible() -> None:
    # only boxes over x, y with bounds 0 and 1: any box holding every (k, k) also holds (2, 3), where post fails
    result = solve(_read("box_infeasible.sl"), SynthOptions(timeout_s=10))
    assert result.status is SynthStatus.INFEASIBLE, result.message
    assert not result.solutions


def test_an_infinite_grammar_without_an_invariant_is_unknown_never_a_guess() -> None:
    result = solve(_read("sum_unknown.sl"), SynthOptions(timeout_s=1.0))
    assert result.status is SynthStatus.UNKNOWN and not result.solutions
    assert result.time_s < 2.0


def test_two_unrestricted_loops_are_solved_one_by_one_and_rechecked_together() -> None:
    problem = _read("two_loops.sl")
    assert invariant_shape(problem) is InvariantShape.SEPARATE
    result = solve(problem, SynthOptions(timeout_s=10))
    assert result.status is SynthStatus.SOLVED, result.message
    assert [s.name for s in result.solutions] == ["inv1", "inv2"]
    assert _recheck_ok(problem, [s.text() for s in result.solutions])
    assert set(result.stats["invariants"]) == {"inv1", "inv2"}


def test_one_loop_without_an_invariant_makes_the_problem_infeasible() -> None:
    result = solve(_read("two_loops_bad.sl"), SynthOptions(timeout_s=10))
    assert result.status is SynthStatus.INFEASIBLE
    assert result.message.startswith("inv2: post fails")


def test_an_inv_constraint_with_an_ordinary_constraint_meets_both() -> None:
    problem = _read("with_constraint.sl")
    assert invariant_shape(problem) is InvariantShape.GENERAL
    result = solve(problem, SynthOptions(timeout_s=10))
    assert result.status is SynthStatus.SOLVED, result.message
    assert _recheck_ok(problem, [s.text() for s in result.solutions])
    # the extra constraint alone: inv(7, 7)
    assert not _recheck_ok(problem, ["(define-fun inv ((x Int) (y Int)) Bool (and (<= x y) (< x 7)))"])


def test_linked_loops_are_solved_as_horn_clauses() -> None:
    problem = _read("two_loops_linked.sl")
    assert invariant_shape(problem) is InvariantShape.GENERAL and horn.applies(problem)
    result = solve(problem, SynthOptions(timeout_s=10))
    assert result.status is SynthStatus.SOLVED, result.message
    assert result.stats["engine"] == "horn clauses (Spacer)"
    assert _recheck_ok(problem, [s.text() for s in result.solutions])


def test_a_wrong_horn_answer_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    from recursa.synth import engine

    wrong = {"inv1": Lit(True, BOOL), "inv2": Lit(True, BOOL)}  # true breaks post1 (x >= 0)
    monkeypatch.setattr(engine.horn, "solve_horn", lambda *a, **k: horn.HornOutcome(wrong))
    result = solve(_read("two_loops_linked.sl"), SynthOptions(timeout_s=1.0))
    assert result.status is SynthStatus.UNKNOWN and not result.solutions
    assert result.stats["horn"] == "Spacer's answer failed the re-check"


def test_horn_clauses_are_only_for_predicates_without_grammars() -> None:
    assert not horn.applies(_read("with_synth_fun.sl"))  # f is an Int function with a grammar
    assert not horn.applies(_read("le_plus.sl"))
    assert horn.applies(_read("with_constraint.sl"))


def test_the_shapes() -> None:
    assert invariant_shape(_read("two_loops_bad.sl")) is InvariantShape.SEPARATE
    assert invariant_shape(_read("two_loops_linked.sl")) is InvariantShape.GENERAL
    single = read_problem("one.sl", (SUITE / "two_loops.sl").read_text().replace(
        "(inv-constraint inv2 pre2 trans2 post2)", "").replace("(synth-inv inv2 ((x Int) (m Int)))", ""))
    assert invariant_shape(single) is InvariantShape.SINGLE


def test_the_loop_verifier_alone_still_names_a_grammar_it_does_not_take() -> None:
    import time

    from recursa.synth.invariant import solve_invariant

    result = solve_invariant(_read("le_plus.sl"), SynthOptions(), time.monotonic() + 5)
    assert result.status is SynthStatus.UNSUPPORTED and "grammar" in result.message


def test_an_unsupported_logic_is_reported_clearly_with_the_other_files_solved(tmp_path: Path) -> None:
    bad = tmp_path / "strings.sl"
    bad.write_text((SUITE / "two_loops.sl").read_text().replace("(set-logic LIA)", "(set-logic SLIA)"))
    from click.testing import CliRunner

    from recursa.cli import main

    run = CliRunner().invoke(main, ["synth", str(bad), str(SUITE / "le_plus.sl"), "--format", "json",
                                    "--timeout", "10"])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    assert "Traceback" not in run.stderr
    assert run.exit_code == 3
    results = {Path(r["path"]).name: r for r in json.loads(run.stdout)["results"]}
    assert results["strings.sl"]["status"] == "unsupported" and "SLIA" in results["strings.sl"]["message"]
    assert "strings.sl:2:" in results["strings.sl"]["message"]
    assert results["le_plus.sl"]["status"] == "solved"


# ---- grammar membership ------------------------------------------------------------------------------------

X, Y = Var("x", INT), Var("y", INT)
PARAMS = (("x", INT), ("y", INT))


def _le(a, b):  # noqa: ANN001, ANN202
    return App("<=", (a, b), BOOL)


def test_membership_follows_nonterminals_chain_rules_constants_and_variables() -> None:
    i, c = Var("I", INT), Var("C", INT)
    g = Grammar((
        NonTerminal("B", BOOL, (_le(i, i), App("and", (Var("B", BOOL), Var("B", BOOL)), BOOL))),
        NonTerminal("I", INT, (Var("x", INT), c, App("+", (i, i), INT))),  # I -> C is a chain rule
        NonTerminal("C", INT, (AnyConstant(INT),)),
    ))
    assert in_grammar(g, PARAMS, _le(X, Lit(5, INT)))
    assert in_grammar(g, PARAMS, App("and", (_le(X, App("+", (X, Lit(-2, INT)), INT)), _le(Lit(0, INT), X)), BOOL))
    assert not in_grammar(g, PARAMS, _le(X, Y))  # y is not a production of I
    assert not in_grammar(g, PARAMS, App("<", (X, Lit(0, INT)), BOOL))
    assert not in_grammar(g, PARAMS, App("or", (_le(X, X), _le(X, X)), BOOL))
    assert derives(g, PARAMS, Lit(3, INT)) == {"I", "C"}
    v = Grammar((NonTerminal("B", BOOL, (_le(Var("V", INT), Var("V", INT)),)),
                 NonTerminal("V", INT, (AnyVariable(INT),))))
    assert in_grammar(v, PARAMS, _le(Y, X))
    assert not in_grammar(v, PARAMS, _le(Y, Lit(0, INT)))
    assert not in_grammar(v, PARAMS, _le(Var("z", INT), X))  # not a parameter


def test_an_answer_outside_its_grammar_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    from recursa.synth import engine

    # y >= x meets the specification of le_plus.sl, but the grammar has no >=
    outside = App(">=", (Y, X), BOOL)
    monkeypatch.setattr(engine, "_solve_one", lambda *a, **k: engine._Outcome(SynthStatus.SOLVED, outside))
    result = solve(_read("le_plus.sl"), SynthOptions(timeout_s=5))
    assert result.status is SynthStatus.UNKNOWN and not result.solutions
    assert "not a term of its grammar" in result.message
