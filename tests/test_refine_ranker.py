"""The invariant ranker: generated training programs, Z3 labels, training, saving, and ranking with it."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from recursa.refine.rank import INVARIANT_MODEL_DIR, load_ranker, rank
from recursa.refine.train_ranker import FAMILIES, generate_program, label_program, train
from recursa.refine.verify import Verdict, Verifier, VerifyOptions
from recursa.symbolic.frontend import load_program


def test_generated_programs_parse_and_are_not_the_suite():
    from recursa.refine.suite import load_manifest

    suite = {e.path.read_text() for e in load_manifest()}
    rng = random.Random(3)
    seen = set()
    for _ in range(60):
        src, lang, family = generate_program(rng)
        assert family in FAMILIES
        prog = load_program(src.encode(), lang)
        assert not prog.syntax_errors, src
        assert all(u.unsupported is None for u in prog.units), src
        assert src not in suite
        seen.add(family)
    assert len(seen) >= 8


def test_labels_come_from_z3():
    src = "int main() {\n  int x = 0, y = 0;\n  while (x < 10) { x++; y += 2; }\n  assert(y == 20);\n  return 0;\n}\n"
    [ex] = label_program(src, "c", "counter")
    texts = [c.text() for c in ex.candidates]
    ind = {t for t, ok in zip(texts, ex.inductive) if ok}
    needed = {t for t, ok in zip(texts, ex.needed) if ok}
    assert "2*x == y" in ind and "x <= 10" in ind
    assert needed <= ind and needed, "the proof's candidates are proved invariants"


def test_train_saves_a_model_that_ranks(tmp_path):
    out = tmp_path / "ranker"
    report = train(out, train_size=6, epochs=1, hidden_size=8, feature_size=8, seed=1, log=None)
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    saved = json.loads((out / "training.json").read_text())
    assert saved["loop_heads"] == report.loop_heads > 0 and "command" in saved
    ranker = load_ranker(str(out))
    assert ranker.name == "reasoner"
    v = Verifier(VerifyOptions(timeout_s=10), ranker)
    p = tmp_path / "c.c"
    p.write_text("int main() {\n  int x = 0;\n  while (x < 10) x++;\n  assert(x == 10);\n  return 0;\n}\n")
    [r] = v.verify_file(p).results
    assert r.verdict is Verdict.PROVED, "soundness and completeness do not depend on the ranking"


@pytest.mark.skipif(not (INVARIANT_MODEL_DIR / "config.json").is_file(), reason="no shipped ranking model")
def test_shipped_model_scores_candidates_deterministically():
    from recursa.refine.context import LoopContext
    from recursa.refine.grammar import HeadData, generate, load_grammar

    ranker = load_ranker("default")
    assert ranker.name == "reasoner"
    src = b"int main() {\n  int x = 0, y = 0;\n  while (x < 10) { x++; y += 2; }\n  assert(y == 20);\n}\n"
    f = load_program(src, "c").units[0].function
    rows = np.array([[0, 0], [1, 2], [2, 4]])
    cands = generate(load_grammar("linear"), HeadData(["x", "y"], ["x", "y"], [], rows, [0, 1, 2, 10, 20], []))
    ctx = LoopContext(f, f.loops[0], src, "c", ["x", "y"], [0, 1, 2, 10, 20])
    first = rank(ranker, ctx, cands)
    ctx2 = LoopContext(f, f.loops[0], src, "c", ["x", "y"], [0, 1, 2, 10, 20])
    assert rank(ranker, ctx2, cands) == first
    assert sorted(first) == list(range(len(cands)))
