"""Invariant synthesis (``synth-inv``) through the loop verifier: answers that re-check, ``infeasible`` only
with a replayed run, ``unknown`` at the deadline, and the same verdict as ``recursa verify`` on the same loop."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import z3
from click.testing import CliRunner
from sygus_examples import INV

from recursa.cli import main
from recursa.symbolic.smtlib import macro, read_term, z3_sort
from recursa.synth.invariant import prepare, solve_invariant
from recursa.synth.problem import Problem, Solution, SynthOptions, SynthStatus
from recursa.synth.sygus import read_problem

ROOT = Path(__file__).resolve().parents[1]
PAIRS = Path(__file__).parent / "data" / "synth_pairs"
INV_TASKS = ROOT / "tasks" / "synthesis" / "inv"

SYGUS_EXAMPLE = INV

# no positive x, y, z with x^3 = y^3 + z^3: true, but no solver proves it, so every query runs to its limit
FERMAT = """(set-logic NIA)
(synth-inv inv ((x Int) (y Int) (z Int)))
(define-fun pre ((x Int) (y Int) (z Int)) Bool (and (>= x 1) (>= y 1) (>= z 1)))
(define-fun trans ((x Int) (y Int) (z Int) (x! Int) (y! Int) (z! Int)) Bool (and (>= x! 1) (>= y! 1) (>= z! 1)))
(define-fun post ((x Int) (y Int) (z Int)) Bool (not (= (* x x x) (+ (* y y y) (* z z z)))))
(inv-constraint inv pre trans post)
(check-synth)
"""

BV = """(set-logic BV)
(synth-inv inv ((x (_ BitVec 8)) (y (_ BitVec 8))))
(define-fun pre ((x (_ BitVec 8)) (y (_ BitVec 8))) Bool (and (= x #x00) (= y #x00)))
(define-fun trans ((x (_ BitVec 8)) (y (_ BitVec 8)) (x! (_ BitVec 8)) (y! (_ BitVec 8))) Bool
  (and (bvult x #x10) (= x! (bvadd x #x01)) (= y! (bvadd y #x02))))
(define-fun post ((x (_ BitVec 8)) (y (_ BitVec 8))) Bool POST)
(inv-constraint inv pre trans post)
(check-synth)
"""


def solve(problem: Problem, seconds: float = 20.0, guide: str = "none"):
    return solve_invariant(problem, SynthOptions(guide=guide), time.monotonic() + seconds)


def assert_invariant(problem: Problem, solution: Solution) -> None:
    """The three inv-constraint conditions, checked here with Z3 independently of the engine's own check."""
    ic = problem.inv_constraints[0]
    defs: dict = {}
    for d in problem.definitions.values():  # definitions are in file order; later ones may call earlier ones
        defs[d.name] = macro(d.params, d.body, dict(defs))
    body = read_term(solution.text().split(f") {solution.sort} ", 1)[1][:-1], dict(solution.params))
    inv = macro(solution.params, body)
    xs = [z3.Const(n, z3_sort(s)) for n, s in solution.params]
    ys = [z3.Const(n + "!", z3_sort(s)) for n, s in solution.params]
    for name, formula in (
        ("initiation", z3.Implies(defs[ic.pre](xs), inv(xs))),
        ("consecution", z3.Implies(z3.And(inv(xs), defs[ic.trans](xs + ys)), inv(ys))),
        ("safety", z3.Implies(inv(xs), defs[ic.post](xs))),
    ):
        s = z3.Solver()
        s.add(z3.Not(formula))
        assert s.check() == z3.unsat, f"{name} fails for {solution.text()}"


def test_sygus_md_example_is_solved_with_a_rechecked_answer():
    p = read_problem("example.sl", SYGUS_EXAMPLE)
    r = solve(p)
    assert r.status is SynthStatus.SOLVED, r.message
    (sol,) = r.solutions
    assert sol.text().startswith("(define-fun inv ((i Int) (n Int) (s Int)) Bool ")
    assert_invariant(p, sol)
    assert r.guide == "none" and r.candidates > 0 and r.solver_calls > 0
    assert r.to_json()["solution"] == sol.text()


def test_reasoner_guide_is_recorded():
    r = solve(read_problem("example.sl", SYGUS_EXAMPLE), guide="reasoner")
    assert r.status is SynthStatus.SOLVED and r.guide == "reasoner"


def test_ssa_copies_are_substituted_and_ignored():
    p = read_problem(str(INV_TASKS / "sum_double_ssa.sl"))
    r = solve(p)
    assert r.status is SynthStatus.SOLVED, r.message
    assert_invariant(p, r.solutions[0])
    used = set(r.solutions[0].text().split(" Bool ", 1)[1].replace("(", " ").replace(")", " ").split())
    assert not used & {"i_0", "i_1", "i_2", "s_0", "s_1", "s_2", "n_0"}
    assert r.stats["temporaries"] >= 2


def test_confounding_variables_are_left_out_of_the_answer():
    p = read_problem(str(INV_TASKS / "conserve_noise.sl"))
    r = solve(p)
    assert r.status is SynthStatus.SOLVED, r.message
    assert_invariant(p, r.solutions[0])
    body = r.solutions[0].text().split(" Bool ", 1)[1]
    assert " z" not in body and " w" not in body
    assert r.stats["kept"] == 2  # x and y; z and w keep their havoc but leave the candidate space


def test_violated_post_is_infeasible_with_the_run():
    r = solve(read_problem(str(INV_TASKS / "lockstep_bad.sl")))
    assert r.status is SynthStatus.INFEASIBLE
    assert r.message == "post fails after 1 transition(s): (x=0 y=0) -> (x=1 y=2)"
    assert not r.solutions


def test_deep_violation_found_by_the_loop_verifier_is_replayed():
    r = solve(read_problem(str(INV_TASKS / "bound_bad.sl")))
    assert r.status is SynthStatus.INFEASIBLE
    assert r.message.startswith("post fails after 100 transition(s): (x=0) -> (x=1) -> ")
    assert r.message.endswith("(x=99) -> (x=100)")


def test_deadline_gives_unknown_in_time():
    prepare()  # the one-off torch import is not the search's time

    start = time.monotonic()
    r = solve_invariant(read_problem("fermat.sl", FERMAT), SynthOptions(), start + 1.5)
    assert r.status is SynthStatus.UNKNOWN and "timeout" in r.message
    # a promise, not a benchmark: back soon after the deadline (generous for a loaded machine)
    assert time.monotonic() - start < 1.5 + 5


def test_bit_vectors_go_to_the_direct_fallback():
    p = read_problem("bv.sl", BV.replace("POST", "(bvule x #x10)"))
    r = solve(p)
    assert r.status is SynthStatus.SOLVED, r.message
    assert_invariant(p, r.solutions[0])
    bad = solve(read_problem("bv_bad.sl", BV.replace("POST", "(bvult x #x10)")))
    assert bad.status is SynthStatus.INFEASIBLE
    assert bad.message.startswith("post fails after 16 transition(s): (x=0 y=0)")


def test_parity_needs_mod_and_is_solved():
    p = read_problem(str(INV_TASKS / "parity_even.sl"))
    r = solve(p)
    assert r.status is SynthStatus.SOLVED, r.message
    assert "mod" in r.solutions[0].text()
    assert_invariant(p, r.solutions[0])


def test_deeply_nested_transition_does_not_recurse():
    e = "x"
    for _ in range(3000):
        e = f"(+ {e} 0)"
    text = SYGUS_EXAMPLE.replace("(= i! (+ i 1))", f"(= i! (+ {e.replace('x', 'i')} 1))")
    r = solve(read_problem("deep.sl", text))
    assert r.status is SynthStatus.SOLVED, r.message


def test_grammar_restricted_invariant_is_unsupported():
    text = SYGUS_EXAMPLE.replace("(synth-inv inv ((i Int) (n Int) (s Int)))",
                                 "(synth-inv inv ((i Int) (n Int) (s Int)) ((B Bool)) ((B Bool ((<= i n)))))")
    r = solve(read_problem("g.sl", text))
    assert r.status is SynthStatus.UNSUPPORTED and "grammar" in r.message


# ---- the same loop through `recursa verify` and through synthesis --------------------------------------------

PAIR_VERDICTS = {  # C program verdict <-> SyGuS status
    "sum_double": ("proved", SynthStatus.SOLVED),
    "sum_double_ssa": ("proved", SynthStatus.SOLVED),
    "conserve_sum": ("proved", SynthStatus.SOLVED),
    "count_up_bad": ("violated", SynthStatus.INFEASIBLE),
    "lockstep_bad": ("violated", SynthStatus.INFEASIBLE),
    "down_bad": ("violated", SynthStatus.INFEASIBLE),
}


@pytest.mark.parametrize("name", sorted(PAIR_VERDICTS))
def test_c_program_and_sygus_problem_agree(name):
    verdict, status = PAIR_VERDICTS[name]
    out = CliRunner().invoke(main, ["verify", "--ranker", "unguided", "--format", "json", str(PAIRS / f"{name}.c")])
    verdicts = {r["verdict"] for r in json.loads(out.output)["results"]}
    problem = read_problem(str(PAIRS / f"{name}.sl"))
    r = solve(problem)
    # the C program may have several assertions; the loop's verdict is the worst of them
    c_verdict = "violated" if "violated" in verdicts else "proved" if verdicts == {"proved"} else "unknown"
    assert (c_verdict, r.status) == (verdict, status), r.message
    if r.status is SynthStatus.SOLVED:
        assert_invariant(problem, r.solutions[0])


# ---- the task files ---------------------------------------------------------------------------------------------


def _manifest() -> list[dict]:
    return [json.loads(line) for line in (INV_TASKS / "manifest.jsonl").read_text().splitlines() if line.strip()]


def test_manifest_lists_every_file_with_a_correct_answer():
    rows = _manifest()
    assert {r["file"] for r in rows} == {p.name for p in INV_TASKS.glob("*.sl")}
    assert len(rows) >= 40
    for row in rows:
        assert set(row) == {"file", "kind", "expected", "answer"} and row["kind"] == "inv"
        p = read_problem(str(INV_TASKS / row["file"]))
        fun = p.function(p.inv_constraints[0].inv)
        if row["expected"] == "infeasible":
            assert row["answer"] is None
            continue
        assert row["expected"] == "solved"
        body = read_term(row["answer"].split(") Bool ", 1)[1][:-1], dict(fun.params))
        assert_invariant(p, Solution(fun.name, fun.params, fun.sort, body))


def test_infeasible_tasks_really_fail_post():
    """Each ``infeasible`` task has a run from pre that fails post within 120 steps (a fresh BMC here)."""
    for row in _manifest():
        if row["expected"] != "infeasible":
            continue
        p = read_problem(str(INV_TASKS / row["file"]))
        ic = p.inv_constraints[0]
        fun = p.function(ic.inv)
        defs: dict = {}
        for d in p.definitions.values():
            defs[d.name] = macro(d.params, d.body, dict(defs))
        s = z3.Solver()
        states = [[z3.Const(f"{n}@0", z3_sort(t)) for n, t in fun.params]]
        s.add(defs[ic.pre](states[0]))
        for depth in range(121):
            if s.check(z3.Not(defs[ic.post](states[-1]))) == z3.sat:
                break
            states.append([z3.Const(f"{n}@{depth + 1}", z3_sort(t)) for n, t in fun.params])
            s.add(defs[ic.trans](states[-2] + states[-1]))
        else:
            pytest.fail(f"{row['file']}: no violation within 120 steps")

