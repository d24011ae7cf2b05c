"""Polynomial and nested-loop invariants from data, re-scoring after counterexamples, ``recursa bench verify``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import z3
from click.testing import CliRunner

from recursa.paths import TASKS_DIR
from recursa.refine.algebraic import MAX_MONOMIALS, degree_for, equalities, is_polynomial, monomials
from recursa.refine.candidates import Atom, atom_truth, atom_z3
from recursa.refine.ice import Budget
from recursa.refine.verify import Verdict, Verifier, VerifyOptions

SUITE = TASKS_DIR / "invariants"


def texts(cands: list) -> list[str]:
    return [c.text() for c in cands]


def test_odd_sum_square_found_exactly() -> None:
    rows = np.array([[i, i * i, 50] for i in range(40)], np.int64)  # i, s, n (n constant)
    got = texts(equalities(["i", "s", "n"], rows))
    assert "i*i == s" in got
    assert "n == 50" in got
    assert all("n*" not in t for t in got)  # relations implied by n == 50 are left out


def test_nested_counter_relation_over_all_levels() -> None:
    rows = np.array([[i, j, 3 * i + j] for i in range(6) for j in range(3)], np.int64)
    assert texts(equalities(["i", "j", "k"], rows)) == ["3*i + j == k"]


def test_big_values_stay_exact() -> None:
    # squares of 2**39 overflow int64 and lose bits in float64: the relation must still be found exactly
    base = 1 << 39
    rows = np.array([[base + i, (base + i) ** 2 % (1 << 40)] for i in range(12)], np.int64)
    assert "i*i == s" not in texts(equalities(["i", "s"], rows))  # s is not i*i here: no false relation
    big = np.array([[base + i, j, 3 * (base + i) + j] for i in range(12) for j in range(3)], np.int64)
    assert texts(equalities(["i", "j", "k"], big)) == ["3*i + j == k"]  # cubic terms near 2**117, exact
    atom = Atom((("i*i", 1), ("s", -1)), "eq", 0)
    data = np.array([[base + 1, 0]], np.int64)
    table = atom_truth([atom], ["i", "s"], data, False)
    assert not table[0, 0]
    exact = Atom((("i*i", 1),), "eq", (base + 1) ** 2)
    assert atom_truth([exact], ["i", "s"], data, False)[0, 0]


def test_degree_follows_variable_count_and_samples() -> None:
    assert degree_for(2, 100) == 3
    assert degree_for(6, 1000) == 2  # 84 cubic monomials exceed the cap
    assert len(monomials(5, degree_for(5, 1000))) <= MAX_MONOMIALS
    assert degree_for(3, 10) == 1  # too few samples for quadratic terms
    assert degree_for(3, 3) == 0
    assert equalities(["x", "y"], np.array([[1, 2], [3, 4]], np.int64)) == []


def test_monomial_atom_in_z3_is_the_product() -> None:
    from recursa.symbolic.frontend import load_program
    from recursa.symbolic.transition import transition_system

    f = load_program(b"int main(){int i=0,s=0; while(i<5){s=s+2*i+1;i++;} assert(s==25); return 0;}", "c")
    ts = transition_system(f.units[0].function, False)
    atom = Atom((("i*i", 1), ("s", -1)), "eq", 0)
    assert is_polynomial(atom)
    term = atom_z3(atom, ts.pre, ts.encoder)
    s = z3.Solver(ctx=ts.encoder.ctx)
    s.add(term, ts.pre["i"] == 7, ts.pre["s"] != 49)
    assert s.check() == z3.unsat


@pytest.fixture(scope="module")
def unguided() -> Verifier:
    return Verifier(VerifyOptions(timeout_s=10.0), "unguided")


@pytest.mark.parametrize("name", ["c/alg_odd_sum.c", "c/alg_gauss.c", "c/alg_nested_step3.c",
                                  "c/alg_nested_product.c", "python/alg_nested_product.py", "c/alg_square_sum.c"])
def test_nonlinear_and_nested_programs_proved(unguided: Verifier, name: str) -> None:
    res = unguided.verify_file(SUITE / name)
    assert [r.verdict for r in res.results] == [Verdict.PROVED], res.results[0].message
    assert res.results[0].certificate is not None and res.results[0].certificate.valid


@pytest.mark.parametrize("name", ["c/alg_odd_sum_bad.c", "python/alg_gauss_bad.py", "c/alg_nested_product_bad.c"])
def test_invalid_twins_violated(unguided: Verifier, name: str) -> None:
    res = unguided.verify_file(SUITE / name)
    assert [r.verdict for r in res.results] == [Verdict.VIOLATED]


def test_without_data_equalities_the_square_is_out_of_reach() -> None:
    v = Verifier(VerifyOptions(timeout_s=3.0, budget=replace(Budget(), algebraic=False)), "unguided")
    res = v.verify_file(SUITE / "c/alg_odd_sum.c")
    assert res.results[0].verdict is Verdict.UNKNOWN


def test_rescoring_runs_warm_and_keeps_the_verdict() -> None:
    from recursa.refine.neural import batch_positions, graft_examples
    from recursa.refine.rank import load_ranker

    ranker = load_ranker("default")
    if ranker.name == "unguided":
        pytest.skip("no shipped invariant model")
    v = Verifier(VerifyOptions(timeout_s=10.0, budget=replace(Budget(), rescore=True)), ranker)
    res = v.verify_file(SUITE / "c/dis_halves.c")
    assert res.results[0].verdict is Verdict.PROVED
    assert res.results[0].stats["refine"]["rescorings"] >= 1
    # the grafted tree keeps the function's nodes first (pre-order), so the warm start lines up
    from recursa.trees.flatten import parse

    tree = parse(b"int f(int x) { while (x > 0) x--; return x; }", "c", drop_punctuation=True)
    grafted = graft_examples(tree, [{"x": 5}, {"x": -3}], "c", {})
    assert grafted.num_nodes > tree.num_nodes
    assert np.array_equal(grafted.kind[: tree.num_nodes], tree.kind)
    assert sorted(batch_positions(grafted).tolist()) == list(range(grafted.num_nodes))


def test_bench_verify_compares_configurations(tmp_path: Path) -> None:
    from recursa.commands.bench_verify import bench_verify

    files = [str(SUITE / "c/alg_gauss.c"), str(SUITE / "c/alg_gauss_bad.c")]
    out = CliRunner().invoke(bench_verify, ["--json", *files])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    rows = {r["config"]: r for r in data["rows"]}
    assert set(rows) == {"reasoner", "reasoner+rescore", "unguided"}
    for r in rows.values():
        assert (r["proved"], r["violated"], r["correct"], r["listed"], r["unsound"]) == (1, 1, 2, 2, 0)
    assert {q["name"] for q in data["ratios"]} == {"reasoner / unguided", "rescore / score once"}
    missing = CliRunner().invoke(bench_verify, [str(tmp_path / "nope.c")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
