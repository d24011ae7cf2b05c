"""The value scorer (signatures of intermediate values against the demanded outputs, delays in the enumerator)
and the outputs a relational spec implies (Z3 finds the only right output of an input)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recursa.paths import SYNTH_MODEL_DIR
from recursa.symbolic.terms import INT, bitvec
from recursa.synth import engine
from recursa.synth.enumerate import Budget, Enumerator
from recursa.synth.evaluate import evaluate
from recursa.synth.examples import Examples, Spec
from recursa.synth.grammar import UniformGuide, compile_grammar
from recursa.synth.problem import SynthOptions, SynthStatus
from recursa.synth.sygus import read_problem
from recursa.synth.values import FEATURES, DelayRule, Signature, ValueModel, ValueScorer

BV_FINITE = """(set-logic BV)
(synth-fun f ((x (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8)) (T (_ BitVec 8))) ((S (_ BitVec 8) ((bvand T T) (bvor T T))) (T (_ BitVec 8) (x #x0f))))
(constraint (= (f #x12) #xff))
(constraint (= (f #x34) #x00))
(check-synth)
"""

BV_PBE = """(set-logic BV)
(synth-fun f ((x (_ BitVec 8)) (y (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8))) ((S (_ BitVec 8) (x y #x01 (bvand S S) (bvxor S S) (bvadd S S) (bvlshr S S)))))
(constraint (= (f #xfb #xb7) #xd9))
(constraint (= (f #x13 #x20) #x19))
(constraint (= (f #x44 #x2d) #x38))
(constraint (= (f #x17 #x67) #x3f))
(constraint (= (f #xb0 #xfe) #xd7))
(constraint (= (f #x01 #xff) #x80))
(check-synth)
"""


class _DelayAll:
    """A scorer that delays every scored value by ``d`` levels."""

    def __init__(self, d: int) -> None:
        self.d = d
        self.values = self.delayed = 0

    def delays(self, nt: str, values: list, cost: int) -> list[int] | None:
        self.values += len(values)
        return [self.d] * len(values)


def _model(rule: DelayRule) -> ValueModel:
    f = len(FEATURES)
    # logit = 10 * eq - 5: a value equal to the outputs on every point is liked, any other one doubted
    w1 = np.zeros((1, f))
    w1[0, FEATURES.index("eq")] = 1.0
    return ValueModel({"w1": w1, "b1": [0.0], "w2": [10.0], "b2": -5.0, "mean": [0.0] * f, "std": [1.0] * f},
                      rule)


def test_signature_features_say_how_a_value_relates_to_the_outputs() -> None:
    sig = Signature([5, 7, 9], [[1, 3, 5], [0, 0, 1]], INT)  # outputs x + 4 over inputs x, y
    feats = sig.features([(5, 7, 9), (1, 3, 5), (4, 4, 4)], cost=3)
    col = {name: feats[:, i] for i, name in enumerate(FEATURES)}
    assert list(col["eq"]) == [1.0, 0.0, 0.0]
    assert col["res_sub_const"][1] == 1.0  # outputs - x is the constant 4
    assert col["res_sub_input"][2] == 1.0  # outputs - 4 is the input x
    assert col["const"][2] == 1.0 and col["const"][0] == 0.0
    bv = Signature([0xF0, 0x0F], [[0xF0, 0x0F]], bitvec(8))
    feats = bv.features([(0xF0, 0x0F), (0x0F, 0xF0), (0x30, 0x03)], cost=2)
    agree = feats[:, FEATURES.index("agree")]
    subset = feats[:, FEATURES.index("subset")]
    assert agree[0] == 1.0 and agree[1] == 0.0
    assert subset[2] == 1.0 and subset[1] == 0.0
    assert feats.shape == (3, len(FEATURES))


def test_big_integers_do_not_break_the_signature() -> None:
    sig = Signature([10**30, -(10**30)], [[1, 2]], INT)
    assert np.isfinite(sig.features([(10**40, 3)], cost=2)).all()


def test_delayed_values_still_exhaust_a_finite_grammar() -> None:
    problem = read_problem("t.sl", BV_FINITE)
    fn = problem.functions[0]
    g = compile_grammar(problem, fn)
    inputs = [{"x": 0x12}, {"x": 0x34}]
    plain = Enumerator(g, inputs, {}, Budget(deadline=1e18))
    delayed = Enumerator(g, inputs, {}, Budget(deadline=1e18), scorer=_DelayAll(3))
    a = {vec for nt, _c, _t, vec in plain.terms() if nt == "S"}
    b = {vec for nt, _c, _t, vec in delayed.terms() if nt == "S"}
    assert a == b and plain.exhausted and delayed.exhausted


def test_a_delay_postpones_the_values_built_on_a_doubted_one() -> None:
    problem = read_problem("t.sl", BV_PBE)
    fn = problem.functions[0]
    g = compile_grammar(problem, fn)
    inputs = [{"x": 0xFB, "y": 0xB7}, {"x": 0x13, "y": 0x20}]
    sig = Signature([0xD9, 0x19], [[0xFB, 0x13], [0xB7, 0x20]], fn.sort)
    scorer = ValueScorer(_model(DelayRule(1.0, 0.0, 3)), sig, g.sorts, fn.sort)
    def costs(scorer: ValueScorer | None) -> dict[int, int]:
        en = Enumerator(g, inputs, {}, Budget(deadline=1e18), scorer=scorer, max_cost=6)
        out: dict[int, int] = {}
        for _nt, c, _t, _vec in en.terms():
            out[c] = out.get(c, 0) + 1
        return out

    plain, delayed = costs(None), costs(scorer)
    # leaves cost 1 and a binary operator over two leaves 3; every value of cost 3 is doubted (none equals the
    # outputs) and stored 3 levels later, at 6, so the terms of cost 5 built on one of them do not come yet
    assert scorer.delayed == scorer.values > 0
    assert plain[3] == delayed[3] and plain[5] > 0 and delayed.get(5, 0) == 0


def test_relational_spec_gets_its_implied_outputs_and_a_linear_fit() -> None:
    text = """(set-logic LIA)
(synth-fun f ((x Int) (y Int) (z Int)) Int ((S Int)) ((S Int (x y z 0 1 (+ S S) (- S S)))))
(declare-var x Int) (declare-var y Int) (declare-var z Int)
(constraint (= (- (f x y z) x) (+ (* (- 4) x) (* (- 2) y) z 4)))
(check-synth)"""
    problem = read_problem("rel.sl", text)
    result = engine.solve(problem, SynthOptions(timeout_s=20))
    assert result.status is SynthStatus.SOLVED, result.message
    assert result.stats["method"] == "linear fit"
    assert result.candidates <= 2


def _implied(text: str) -> tuple[Examples, Spec]:
    problem = read_problem("t.sl", text)
    fn = problem.functions[0]
    spec = Spec(problem.constraints, fn, {})
    ex = Examples(spec, [{"x": 3}, {"x": -2}])
    assert engine._unrealizable_input(problem, fn, ex, set(), Budget(deadline=1e18)) is None
    return ex, spec


def test_only_a_unique_output_becomes_a_demanded_one() -> None:
    head = "(set-logic LIA) (synth-fun f ((x Int)) Int) (declare-var x Int)"
    ex, spec = _implied(head + "(constraint (= (- (f x) x) 2)) (check-synth)")
    assert [ex.targets[i] for i in range(2)] == [5, 0] and spec.functional
    ex, spec = _implied(head + "(constraint (> (f x) x)) (check-synth)")
    assert ex.targets == {} and not spec.functional  # asked once, then no more calls


@pytest.mark.skipif(not (SYNTH_MODEL_DIR / "values.json").is_file(), reason="no shipped value scorer")
def test_the_shipped_value_scorer_loads_and_keeps_answers() -> None:
    model = ValueModel.load(SYNTH_MODEL_DIR / "values.json")
    assert model.w1.shape[1] == len(FEATURES)

    class Guide(UniformGuide):
        value_model = model

    problem = read_problem("avg.sl", BV_PBE)
    plain = engine.solve(problem, SynthOptions(timeout_s=20))
    scored = engine.solve(problem, SynthOptions(timeout_s=20), guide=Guide())
    assert plain.status is SynthStatus.SOLVED and scored.status is SynthStatus.SOLVED
    assert scored.stats.get("values_scored", 0) > 0


AVG_FLOOR = """(set-logic BV)
(synth-fun f ((x (_ BitVec 8)) (y (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8))) ((S (_ BitVec 8) (x y #x00 #x01 (bvand S S) (bvor S S) (bvxor S S) (bvnot S) (bvneg S)
  (bvadd S S) (bvsub S S) (bvshl S S) (bvlshr S S)))))
(constraint (= (f #xfb #xb7) #xd9))
(constraint (= (f #x13 #x20) #x19))
(constraint (= (f #x44 #x2d) #x38))
(constraint (= (f #x17 #x67) #x3f))
(constraint (= (f #xb0 #xfe) #xd7))
(constraint (= (f #x00 #xfa) #x7d))
(constraint (= (f #xff #x00) #x7f))
(constraint (= (f #x01 #xff) #x80))
(check-synth)
"""


def test_an_answer_is_completed_from_the_top_through_an_invertible_operator(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = read_problem("avg.sl", AVG_FLOOR)
    done = engine.solve(problem, SynthOptions(timeout_s=30))
    assert done.status is SynthStatus.SOLVED and done.stats.get("completed_from_top")
    body = done.solutions[0].body
    for x, y in [(0xFB, 0xB7), (0x00, 0xFF), (0x80, 0x80), (0x7F, 0x01)]:
        assert evaluate(body, {"x": x, "y": y}) == (x + y) // 2  # the floor average, on inputs never given
    monkeypatch.setattr(engine, "completer_for", lambda *a, **k: None)
    plain = engine.solve(problem, SynthOptions(timeout_s=30))
    assert plain.status is SynthStatus.SOLVED and not plain.stats.get("completed_from_top")
    assert done.candidates * 20 < plain.candidates


def test_completion_keeps_the_grammar_and_the_sides_of_a_subtraction() -> None:
    text = """(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int ((S Int)) ((S Int (x y 1 (- S S) (* S S)))))
(constraint (= (f 3 5) (- 1 15)))
(constraint (= (f 2 7) (- 1 14)))
(constraint (= (f 4 1) (- 1 4)))
(constraint (= (f 0 9) 1))
(check-synth)"""
    problem = read_problem("sub.sl", text)
    result = engine.solve(problem, SynthOptions(timeout_s=30))
    assert result.status is SynthStatus.SOLVED and result.stats.get("completed_from_top")
    # (* x y) is completed as the right-hand side: (- w (* x y)) = o needs w = o + x*y = 1
    assert result.solutions[0].text() == "(define-fun f ((x Int) (y Int)) Int (- 1 (* x y)))"


def test_spacer_takes_over_a_single_invariant_the_loop_verifier_gave_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from sygus_examples import INV

    from recursa.synth.problem import SynthResult

    def gives_up(problem: object, options: object, deadline: float) -> SynthResult:
        return SynthResult(path="inv.sl", status=SynthStatus.UNKNOWN, message="no candidate left")

    monkeypatch.setattr(engine, "_solve_invariant", gives_up)
    result = engine.solve(read_problem("inv.sl", INV), SynthOptions(timeout_s=20))
    assert result.status is SynthStatus.SOLVED, result.message
    assert result.stats["engine"] == "horn clauses (Spacer)"
    assert result.stats["loop_verifier"]["message"] == "no candidate left"


def test_training_writes_a_scorer_that_loads_and_reports_held_out_figures(tmp_path: Path) -> None:
    from recursa.synth.train_values import evaluate_values, train_values

    out = tmp_path / "values.json"
    meta = train_values(out, problems=40, held_out=8, steps=40, values_per_problem=60, grid=[(1.0, 4.0, 6)],
                        log=lambda line: None)
    model = ValueModel.load(out)
    assert model.rule == DelayRule(1.0, 4.0, 6)
    assert meta["problems"] > 20 and meta["positives"] > 0 and 0.0 <= meta["held_out_auc"] <= 1.0
    figures = evaluate_values(model, problems=6)
    assert figures["held_out_problems"] > 0 and figures["rule"]["cap"] == 6


def test_the_guide_ablation_compares_each_part_with_the_unguided_search() -> None:
    from recursa.commands.guide_ablations import ablate

    problems = [read_problem("avg.sl", AVG_FLOOR), read_problem("pbe.sl", BV_PBE)]
    rows = ablate(problems, timeout_s=20)
    assert [r.guide for r in rows][:2] == ["reasoner (shipped: productions + values)", "productions only"]
    assert all(r.comparison.both == 2 and r.comparison.lost == 0 and r.comparison.geo_mean_fewer > 0 for r in rows)


def test_the_oracle_row_prices_productions_from_the_manifest_answer(tmp_path: Path) -> None:
    import json

    from recursa.commands.guide_ablations import ablate, known_answers

    (tmp_path / "avg.sl").write_text(AVG_FLOOR)
    answer = ("(define-fun f ((x (_ BitVec 8)) (y (_ BitVec 8))) (_ BitVec 8) "
              "(bvadd (bvand x y) (bvlshr (bvxor x y) #x01)))")
    (tmp_path / "manifest.jsonl").write_text(json.dumps({"file": "avg.sl", "expected": "solved",
                                                         "answer": answer}) + "\n")
    problem = read_problem(str(tmp_path / "avg.sl"), AVG_FLOOR)
    from recursa.symbolic.terms import to_smtlib

    assert to_smtlib(known_answers([problem])[problem.path]) == answer.split("(_ BitVec 8) ")[-1][:-1]
    rows = ablate([problem], timeout_s=20)
    oracle, context = rows[-2:]
    assert oracle.guide.startswith("oracle") and oracle.comparison.both == 1 and oracle.comparison.geo_mean_fewer > 1.0
    assert context.guide.startswith("context oracle") and context.comparison.both == 1
    assert context.comparison.geo_mean_fewer > oracle.comparison.geo_mean_fewer  # (bvlshr (bvxor ..) #x01) is told


def test_the_context_oracle_prices_each_argument_position_from_the_answer() -> None:
    from recursa.commands.guide_ablations import _ContextOracle
    from recursa.synth.grammar import compile_grammar

    problem = read_problem("avg.sl", AVG_FLOOR)
    body = read_problem("k.sl", AVG_FLOOR.replace("(check-synth)", "") + "(define-fun k ((x (_ BitVec 8)) "
                        "(y (_ BitVec 8))) (_ BitVec 8) (bvlshr (bvxor x y) #x01))").definitions["k"].body
    oracle = _ContextOracle({problem.path: body})
    fn = problem.functions[0]
    costs = {(c.parent.text, c.position, child.text): w for (c, child), w in
             oracle.context_weights(problem, fn, fn.grammar).items()}
    assert costs[("(bvlshr S S)", 0, "(bvxor S S)")] == 1 and costs[("(bvlshr S S)", 0, "(bvand S S)")] == 4
    assert costs[("(bvlshr S S)", 1, "#x01")] == 1 and costs[("(bvlshr S S)", 1, "x")] == 4
    assert costs[("(bvxor S S)", 0, "x")] == 1 and not any(p == "(bvadd S S)" for p, _, _ in costs)
    cg = compile_grammar(problem, fn, guide=oracle)
    assert cg.copies and all(min(ds) >= 0 for ds in cg.deltas.values()) and any(map(any, cg.deltas.values()))


def test_bit_vectors_wider_than_64_bits_are_solved_without_the_scorer() -> None:
    text = """(set-logic BV)
(synth-fun f ((x (_ BitVec 128))) (_ BitVec 128)
  ((S (_ BitVec 128))) ((S (_ BitVec 128) (x #x00000000000000000000000000000001 (bvadd S S) (bvxor S S)))))
(constraint (= (f #xffffffffffffffffffffffffffffffff) #x00000000000000000000000000000001))
(constraint (= (f #x00000000000000000000000000000003) #x00000000000000000000000000000005))
(constraint (= (f #x80000000000000000000000000000000) #x80000000000000000000000000000002))
(check-synth)"""
    from recursa.synth.neural import load_guide

    result = engine.solve(read_problem("wide.sl", text), SynthOptions(timeout_s=20, guide="reasoner"),
                          guide=load_guide())
    assert result.status is SynthStatus.SOLVED, result.message
    assert "values_scored" not in result.stats
