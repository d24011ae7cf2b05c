"""The ablation driver trains each variant with the recipe's budget and reports them side by side."""

from __future__ import annotations

import json

import pytest

from recursa.train import ablations


def test_variants_change_only_what_they_name(tmp_path) -> None:
    out = tmp_path / "out"
    code = ablations.main(["--work", str(tmp_path / "runs"), "--out", str(out), "--steps", "3", "--train-size", "200",
                           "--per-depth", "2", "--eval-depths", "1-2", "--variants", "recipe,root-label only"])
    assert code == 0
    data = json.loads((out / "ablations.json").read_text())
    assert set(data["runs"]) == {"recipe", "root-label only"}
    # the recipe evaluates with and without its value snap; root-label only has no snap to switch off
    assert set(data["reports"]) == {"recipe", "recipe, no snap", "root-label only"}
    recipe = json.loads((tmp_path / "runs" / "recipe" / "train_config.json").read_text())
    root = json.loads((tmp_path / "runs" / "root-label-only" / "train_config.json").read_text())
    assert root["reasoner"]["node_loss_weight"] == 0.0 and root["reasoner"]["snap_kinds"] == []
    assert recipe["reasoner"]["node_loss_weight"] == 1.0 and recipe["reasoner"]["snap_kinds"]
    same = {k: v for k, v in recipe.items() if k not in ("reasoner", "output")}
    assert same == {k: v for k, v in root.items() if k not in ("reasoner", "output")}
    card = (out / "ABLATIONS.md").read_text()
    assert "| 1 (trained) |" in card and "root-label only" in card


def test_unknown_variant_is_refused(tmp_path) -> None:
    with pytest.raises(SystemExit) as exc:
        ablations.main(["--work", str(tmp_path), "--variants", "recipe,no brain"])
    assert exc.value.code == 2
