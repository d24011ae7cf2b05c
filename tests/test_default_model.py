"""``python -m recursa.train.default_model``: the one recorded command that builds the shipped model, run on a
tiny budget end to end (training both models, evaluating, writing the card)."""

from __future__ import annotations

import json
from pathlib import Path

from recursa.train.default_model import NO_SNAP, main


def test_default_model_build_writes_model_card_and_both_tables(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    code = main(["--out", str(out), "--work", str(work), "--steps", "3", "--baseline-steps", "2",
                 "--train-size", "120", "--hidden", "8", "--per-depth", "2", "--eval-depths", "1,8",
                 "--threads", "1", "--device", "cpu"])
    assert code == 0
    for name in ("config.json", "model.safetensors", "training.json", "eval.json", "depth_plot.png",
                 "MODEL_CARD.md"):
        assert (out / name).is_file(), name
    reports = json.loads((out / "eval.json").read_text())
    assert list(reports) == ["recursa", NO_SNAP, "transformer"]  # the reasoner with and without its value snap
    assert reports["recursa"]["value_snap"] is True and reports[NO_SNAP]["value_snap"] is False
    assert all(r["n"] == 2 * 2 * 2 for r in reports.values())  # depths x per-depth x two syntaxes
    card = (out / "MODEL_CARD.md").read_text()
    assert "python -m recursa.train.default_model --out" in card
    assert "## Targets of the depth-extrapolation claim" in card and NO_SNAP in card
    training = json.loads((out / "training.json").read_text())
    assert training["runs"]["recursa"]["steps_trained"] == 3 and training["runs"]["transformer"]["steps_trained"] == 2
