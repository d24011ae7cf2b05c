"""The guide's context head: a production priced as the argument of each parent production (a
parent-conditioned grammar), learned from the generated targets' derivations and handed to the grammar compiler
only where it changes a cost."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("z3")

from recursa.cli import main  # noqa: E402
from recursa.synth.generate import generate  # noqa: E402
from recursa.synth.grammar import Context, compile_grammar, default_grammar  # noqa: E402
from recursa.synth.neural import context_features, context_targets, production_features  # noqa: E402
from recursa.synth.problem import SynthOptions, SynthStatus  # noqa: E402
from recursa.synth.sygus import read_problem  # noqa: E402

GRAMMAR = """(set-logic LIA)
(synth-fun f ((x Int)) Int ((S Int) (B Bool))
  ((S Int (x 1 (+ S S) (ite B S S))) (B Bool ((<= S S) (not B)))))
(declare-var x Int)
(constraint (= (f x) (+ x 1)))
(check-synth)
"""


def test_contexts_are_every_hole_of_every_production_with_the_hole_non_terminals_productions() -> None:
    problem = read_problem("g.sl", GRAMMAR)
    fn = problem.functions[0]
    pf = production_features(fn, fn.grammar)
    cf = context_features(fn.grammar, pf)
    # (+ S S): 2 holes of S (4 productions each); (ite B S S): B (2) and S, S; (<= S S): 2 x S; (not B): B
    assert [(c.parent.text, c.position) for c in cf.contexts] == [
        ("(+ S S)", 0), ("(+ S S)", 1), ("(ite B S S)", 0), ("(ite B S S)", 1), ("(ite B S S)", 2),
        ("(<= S S)", 0), ("(<= S S)", 1), ("(not B)", 0)]
    sizes = Counter(cf.group)
    assert [sizes[g] for g in range(len(cf.contexts))] == [4, 4, 2, 4, 4, 4, 4, 2]
    holes = {"(+ S S)": "SS", "(ite B S S)": "BSS", "(<= S S)": "SS", "(not B)": "B"}
    for j, c, g in zip(cf.parent, cf.child, cf.group):
        assert pf.refs[j] == cf.contexts[g].parent
        assert pf.refs[c].nonterminal == holes[pf.refs[j].text][cf.contexts[g].position]
    counts = {("S", "(+ S S)", 0, "S", "x"): 1, ("S", "(+ S S)", 1, "S", "1"): 1}
    targets = context_targets(pf, cf, counts)
    by_context = {}
    for c, g, t in zip(cf.child, cf.group, targets):
        by_context.setdefault((cf.contexts[g].parent.text, cf.contexts[g].position), {})[pf.refs[c].text] = t
    assert by_context[("(+ S S)", 0)] == {"x": 1.0, "1": 0.0, "(+ S S)": 0.0, "(ite B S S)": 0.0}
    assert by_context[("(+ S S)", 1)]["1"] == 1.0
    assert sum(by_context[("(ite B S S)", 1)].values()) == 0.0  # a context the target does not use


def test_generated_derivations_account_for_every_production_use() -> None:
    for g in generate(60, seed=3):
        problem = g.problem()
        fn = problem.functions[0]
        grammar = fn.grammar or default_grammar(problem, fn)
        pf = production_features(fn, grammar)
        names = {(r.nonterminal, r.text) for r in pf.refs}
        children = Counter()
        for (pnt, ptext, pos, cnt, ctext), n in g.context_counts().items():
            assert (pnt, ptext) in names and (cnt, ctext) in names, g.text
            assert pos < ptext.count(" ") + 1
            children[(cnt, ctext)] += n
        uses = Counter(g.label_counts())
        # every use is a child in some context, but for the root's
        assert sum(uses.values()) - sum(children.values()) == 1, g.text
        assert all(children[k] <= uses[k] for k in children)


@pytest.fixture(scope="module")
def context_guide(tmp_path_factory):
    from recursa.synth.neural import ReasonerGuide
    from recursa.synth.train_guide import train

    out = tmp_path_factory.mktemp("guide") / "ctx"
    result = train(str(out), steps=40, train_size=120, held_out=40, progress=False, context_head=True)
    assert "held_out_context_top1" in result.metrics
    return ReasonerGuide.from_pretrained(out)


def test_context_costs_differ_from_the_context_free_ones_where_returned_and_keep_the_answer_checked(
        context_guide) -> None:
    problem = read_problem("g.sl", GRAMMAR)
    fn = problem.functions[0]
    weights = context_guide.weights(problem, fn, fn.grammar)
    costs = context_guide.context_weights(problem, fn, fn.grammar)
    by_context: dict[Context, dict] = {}
    for (context, child), cost in costs.items():
        assert cost >= 1 and cost == int(cost)
        by_context.setdefault(context, {})[child] = cost
    for context, row in by_context.items():
        assert any(weights[child] != cost for child, cost in row.items()), context
    cg = compile_grammar(problem, fn, guide=context_guide)
    for context in by_context:  # each context with its own costs reads its own view of the child's bank
        assert f"@{context.parent.nonterminal}.{context.parent.index}.{context.position}" in " ".join(cg.copies)
    assert all(d >= 0 for ds in cg.deltas.values() for d in ds) and set(cg.deltas) == set(cg.copies)
    from recursa.synth import engine

    result = engine.solve(problem, SynthOptions(timeout_s=20, guide="reasoner"), guide=context_guide)
    assert result.status is SynthStatus.SOLVED  # re-checked by a fresh solver inside the engine


def test_train_synth_takes_only_guide_settings(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["train", "synth", "-o", str(tmp_path / "g"), "--steps", "2",
                                  "--set", "max_iter=3"])
    assert r.exit_code == 2 and "not a guide option" in r.output and "context_head" in r.output
    assert not (tmp_path / "g").exists()


def test_an_answer_is_read_back_as_a_derivation_of_the_grammar() -> None:
    from recursa.synth.solutions import derivation

    problem = read_problem("g.sl", GRAMMAR)
    fn = problem.functions[0]
    body = read_problem("k.sl", GRAMMAR.replace("(check-synth)", "") + "(define-fun k ((x Int)) Int "
                        "(ite (not (<= x 1)) (+ x 1) x))").definitions["k"].body
    found = derivation(body, fn.grammar)
    assert found is not None
    uses, contexts = found
    assert uses == Counter({("S", "(ite B S S)"): 1, ("B", "(not B)"): 1, ("B", "(<= S S)"): 1, ("S", "x"): 3,
                            ("S", "1"): 2, ("S", "(+ S S)"): 1})
    assert contexts[("S", "(ite B S S)", 0, "B", "(not B)")] == 1
    assert contexts[("B", "(<= S S)", 1, "S", "1")] == 1 and contexts[("S", "(+ S S)", 0, "S", "x")] == 1
    assert sum(contexts.values()) == sum(uses.values()) - 1
    outside = read_problem("k.sl", GRAMMAR.replace("(check-synth)", "") + "(define-fun k ((x Int)) Int "
                           "(- x 1))").definitions["k"].body
    assert derivation(outside, fn.grammar) is None  # no (- S S) in this grammar


def test_generated_problems_relabelled_with_the_engines_own_searched_answers() -> None:
    from recursa.synth.solutions import relabel

    kept = 0
    for g in generate(12, seed=11):
        r = relabel(g)
        if r is None:
            continue
        kept += 1
        problem = r.problem()
        fn = problem.functions[0]
        grammar = fn.grammar or default_grammar(problem, fn)
        names = {(ref.nonterminal, ref.text) for ref in production_features(fn, grammar).refs}
        assert set(r.label_counts()) <= names and r.text == g.text
        assert sum(r.context_counts().values()) == sum(r.label_counts().values()) - 1
    assert kept >= 3


@pytest.mark.parametrize("steps", [1, 10])
def test_a_run_too_short_for_a_warm_up_still_trains(tmp_path: Path, steps: int) -> None:
    from recursa.synth.train_guide import train

    result = train(str(tmp_path / "g"), steps=steps, train_size=20, held_out=10, progress=False)
    assert result.steps == steps and (tmp_path / "g" / "model.safetensors").is_file()
