"""The invariant suite (tasks/invariants): every valid program proved, every invalid one violated with a trace
that the interpreter replays to the failing assertion, and nothing unsound."""

from __future__ import annotations

import pytest

from recursa.refine.rank import INVARIANT_MODEL_DIR, UnguidedRanker, load_ranker
from recursa.refine.suite import load_manifest, run_suite
from recursa.refine.verify import VerifyOptions
from recursa.symbolic.frontend import load_program
from recursa.symbolic.interp import Outcome, replay


def test_the_manifest_describes_at_least_100_programs():
    entries = load_manifest()
    files = {e.path for e in entries}
    assert len(files) >= 100 and all(p.is_file() for p in files)
    tags = {t for e in entries for t in e.tags}
    assert {"nested", "sequential", "disjunctive", "nondet-branch", "nondet-loop", "off-by-one", "python"} <= tags
    assert {e.expected for e in entries} == {"proved", "violated"}
    assert any(e.int_semantics == "machine" for e in entries)


@pytest.fixture(scope="module")
def unguided_report():
    return run_suite(UnguidedRanker(), VerifyOptions(timeout_s=20))


def test_suite_with_grammar_order_is_complete_and_sound(unguided_report):
    s = unguided_report.summary()
    assert s["unsound"] == []
    assert s["wrong"] == []
    assert s["valid_proved"] == s["valid_total"] and s["invalid_violated"] == s["invalid_total"]


def test_every_violation_trace_replays_to_its_assertion(unguided_report):
    checked = 0
    for o in unguided_report.outcomes:
        for r in o.result.results:
            if r.verdict.value != "violated":
                continue
            prog = load_program(o.entry.path.read_bytes(), o.entry.language, int_semantics=o.entry.int_semantics)
            f = next(u.function for u in prog.units if u.name == r.function)
            run = replay(f, r.trace.initial, list(r.trace.nondet), machine=o.entry.int_semantics == "machine")
            assert run.outcome is Outcome.VIOLATION, o.entry.path
            assert run.failed is not None and run.failed.loc.line == r.line
            assert r.trace.trace[-1].kind == "assert" and r.trace.trace[-1].line == r.line
            checked += 1
    assert checked >= 30


def test_every_proof_has_a_valid_certificate(unguided_report):
    for o in unguided_report.outcomes:
        for r in o.result.results:
            if r.verdict.value == "proved":
                assert r.certificate is not None and r.certificate.valid


@pytest.mark.skipif(not (INVARIANT_MODEL_DIR / "config.json").is_file(), reason="no shipped ranking model")
def test_suite_with_the_shipped_ranker_is_sound_and_complete():
    entries = [e for e in load_manifest() if any(t in e.tags for t in ("nested", "disjunctive", "off-by-one"))]
    report = run_suite(load_ranker("default"), VerifyOptions(timeout_s=20), entries=entries)
    s = report.summary()
    assert s["ranker"] == "reasoner"
    assert s["unsound"] == [] and s["wrong"] == []
