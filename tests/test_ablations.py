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


def test_recipe_from_evaluates_a_model_trained_at_the_same_budget_and_refuses_another(tmp_path, capsys) -> None:
    common = ["--train-size", "200", "--per-depth", "2", "--eval-depths", "1-2"]
    assert ablations.main(["--work", str(tmp_path / "runs"), "--out", str(tmp_path / "a"), "--steps", "3",
                           "--variants", "recipe", *common]) == 0
    run = tmp_path / "runs" / "recipe"
    folder = run / "checkpoints" / "step-0000003"
    config = json.loads((run / "train_config.json").read_text())
    (folder / "training.json").write_text(json.dumps(
        {"config": config, "runs": {"recursa": {"run": str(run), "train_seconds": 12.5}}}))
    out = tmp_path / "b"
    assert ablations.main(["--work", str(tmp_path / "none"), "--out", str(out), "--steps", "3", "--variants",
                           "recipe", "--recipe-from", str(folder), *common]) == 0
    data = json.loads((out / "ablations.json").read_text())
    assert data["runs"]["recipe"]["train_seconds"] == 12.5 and str(folder) in data["runs"]["recipe"]["run"]
    first = json.loads((tmp_path / "a" / "ablations.json").read_text())
    assert data["reports"]["recipe"]["accuracy"] == first["reports"]["recipe"]["accuracy"]
    assert not (tmp_path / "none").exists()  # nothing was trained
    capsys.readouterr()
    assert ablations.main(["--work", str(tmp_path / "none"), "--out", str(out), "--steps", "4", "--variants",
                           "recipe", "--recipe-from", str(folder), *common]) == 2
    assert "trained with steps=3, the variants with 4" in capsys.readouterr().err


def test_train_seconds_add_up_over_resumed_sessions(tmp_path) -> None:
    lines = [{"step": 0, "event": "start"}, {"step": 5, "elapsed_s": 10.0}, {"step": 10, "elapsed_s": 20.0},
             {"step": 10, "event": "resume"}, {"step": 15, "elapsed_s": 7.5}]
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    assert ablations.train_seconds(tmp_path) == 27.5
