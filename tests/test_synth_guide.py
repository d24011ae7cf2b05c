"""The reasoner guide for synthesis: it prefers the productions a target uses, never weakens the answer's
re-check, runs through the CLI, and says clearly when its model is missing. Uses the shipped model."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("z3")

from recursa.cli import main  # noqa: E402
from recursa.synth.generate import generate, suite_texts  # noqa: E402
from recursa.synth.grammar import default_grammar  # noqa: E402
from recursa.synth.problem import SynthOptions, SynthStatus  # noqa: E402
from recursa.synth.sygus import read_problem  # noqa: E402

SUITE = Path(__file__).resolve().parent.parent / "tasks" / "synthesis"
MAX2 = SUITE / "clia" / "max2.sl"


@pytest.fixture(scope="module")
def guide():
    from recursa.synth.neural import SYNTH_MODEL_DIR, ReasonerGuide

    return ReasonerGuide.from_pretrained(SYNTH_MODEL_DIR)


def test_generated_problems_are_not_suite_files_and_labels_name_real_productions() -> None:
    suite = suite_texts(SUITE)
    assert suite, "the suite was not found"
    for g in generate(60, seed=0, exclude=None):
        assert " ".join(g.text.split()) not in suite
        problem = g.problem()
        fn = problem.functions[0]
        grammar = fn.grammar or default_grammar(problem, fn)
        from recursa.synth.neural import production_features

        texts = {(r.nonterminal, r.text) for r in production_features(fn, grammar).refs}
        assert set(g.label_counts()) <= texts, g.text


def test_guide_prices_the_targets_productions_lower_on_held_out_problems(guide) -> None:
    # seed 123456 is neither the training seed (0) nor its held-out seed: these problems were never seen
    used_cost: list[float] = []
    unused_cost: list[float] = []
    wins = 0
    problems = list(generate(30, seed=123456))
    for g in problems:
        problem = g.problem()
        fn = problem.functions[0]
        grammar = fn.grammar or default_grammar(problem, fn)
        logp = guide.log_probs(problem, fn, grammar)
        labels = g.label_counts()
        used = [-lp for r, lp in logp.items() if (r.nonterminal, r.text) in labels]
        unused = [-lp for r, lp in logp.items() if (r.nonterminal, r.text) not in labels
                  and any(nt == r.nonterminal for nt, _ in labels)]
        if used and unused:
            used_cost += used
            unused_cost += unused
            wins += statistics.fmean(used) < statistics.fmean(unused)
    assert statistics.fmean(used_cost) + 0.5 < statistics.fmean(unused_cost)
    assert wins >= 0.7 * len(problems)


def test_guided_solve_is_still_rechecked(guide, monkeypatch) -> None:
    from recursa.synth import engine
    from recursa.synth.verify import Check, Verdict

    problem = read_problem(str(MAX2))
    result = engine.solve(problem, SynthOptions(timeout_s=10), guide=guide)
    assert result.status is SynthStatus.SOLVED and result.guide == "reasoner"
    assert result.stats["guide"]["encodings"] == 1

    real_check = engine.check

    def final_check_disagrees(problem, bodies, budget, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("fresh_context"):
            return Check(Verdict.COUNTEREXAMPLE, {"x1": 0, "x2": 0})
        return real_check(problem, bodies, budget, *args, **kwargs)

    monkeypatch.setattr(engine, "check", final_check_disagrees)
    doubted = engine.solve(problem, SynthOptions(timeout_s=10), guide=guide)
    assert doubted.status is SynthStatus.UNKNOWN and not doubted.solutions


def test_cli_guide_reasoner_end_to_end() -> None:
    args = ["synth", "--guide", "reasoner", "--format", "json", "--timeout", "10", str(MAX2)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["results"][0]
    assert row["status"] == "solved" and row["guide"] == "reasoner"
    assert row["stats"]["guide"]["warm_iterations_saved"] == 0  # says plainly: no warm start across rounds


def test_missing_model_is_a_clear_usage_error(tmp_path, monkeypatch) -> None:
    from recursa.synth import neural

    monkeypatch.setattr(neural, "_LOADED", {})
    monkeypatch.setenv("RECURSA_SYNTH_MODEL", str(tmp_path / "nowhere"))
    result = CliRunner().invoke(main, ["synth", "--guide", "reasoner", str(MAX2)])
    assert result.exit_code == 2
    assert "no trained synthesis guide" in result.stderr and "recursa train synth" in result.stderr
    assert "Traceback" not in result.output


class _WrongGuide:
    """A learned-style guide that is confidently wrong: it prices every comparison (max2 needs one) out of reach."""

    name = "reasoner"
    mix_with_uniform = True

    def weights(self, problem, function, grammar):  # type: ignore[no-untyped-def]
        from recursa.synth.neural import production_features

        return {r: (60.0 if r.nonterminal == "B" else 1.0) for r in production_features(function, grammar).refs}

    def context_weights(self, problem, function, grammar):  # type: ignore[no-untyped-def]
        return {}


def test_a_wrong_guide_costs_time_not_the_problem() -> None:
    from recursa.synth import engine

    result = engine.solve(read_problem(str(MAX2)), SynthOptions(timeout_s=3), guide=_WrongGuide())
    assert result.status is SynthStatus.SOLVED
    assert result.stats["guide_phase"] == "uniform fallback"
    assert result.stats["guided_phase"]["candidates"] > 0  # both phases' work is counted
    assert result.candidates > result.stats["guided_phase"]["candidates"]
