"""``recursa eval`` picks the model of the data's task family, warns when a checkpoint was trained on another
family, names the file and line of a logic formula that is not closed, and accepts every task ``train`` offers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from recursa.cli import main
from recursa.paths import DEFAULT_MODEL_DIR, TASK_MODEL_DIRS
from recursa.tasks.io import write_examples
from recursa.tasks.registry import generate, tasks
from recursa.train.trainer import TrainConfig, train

TINY = dict(hidden_size=8, batch_size=8, train_size=80, threads=1, progress=False, tensorboard=False,
            log_every=5, warmup=2, reasoner={"ffn_mult": 1.0})


@pytest.fixture(scope="module")
def logic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    return train(TrainConfig(task="logic", output=str(root / "logic"), steps=2, **TINY)).run_dir


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_shipped_models_are_one_per_family_and_listops_is_the_default() -> None:
    assert set(TASK_MODEL_DIRS) == {"listops", "arith", "logic"}
    assert TASK_MODEL_DIRS["listops"] == DEFAULT_MODEL_DIR
    assert len(set(TASK_MODEL_DIRS.values())) == 3
    assert {spec.family for spec in tasks()} <= set(TASK_MODEL_DIRS)


def test_logic_task_and_logic_file_evaluate_with_a_logic_checkpoint_without_warning(
        logic_run: Path, tmp_path: Path) -> None:
    code, out = run("eval", "logic", "--checkpoint", str(logic_run), "--depths", "1,3", "--per-depth", "3",
                    "--json", "--no-progress")
    assert code == 0, out
    rep = json.loads(out)
    assert rep["n"] == 12 and rep["train_family"] == "logic" and rep["train_depths"] == [1, 2, 3, 4, 5, 6]
    data = tmp_path / "logic.jsonl"
    write_examples(generate("logic", [1, 2, 4], 3, seed=4), data)
    code, out = run("eval", str(data), "--checkpoint", str(logic_run), "--no-progress")
    assert code == 0, out
    assert "warning" not in out and "18 examples" in out


def test_a_checkpoint_of_another_family_warns(logic_run: Path, tmp_path: Path) -> None:
    code, out = run("eval", "listops", "--checkpoint", str(logic_run), "--depths", "1", "--per-depth", "2",
                    "--no-progress")
    assert code == 0, out
    assert "warning:" in out and "trained on the logic task family, not on listops" in out
    data = tmp_path / "logic.jsonl"
    write_examples(generate("logic-python", [2], 2, seed=0), data)
    code, out = run("eval", str(data), "--checkpoint", str(DEFAULT_MODEL_DIR), "--no-progress")
    assert code == 0, out
    assert "trained on the listops task family, not on logic" in out


def test_no_shipped_model_for_a_family_names_the_train_command(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setitem(TASK_MODEL_DIRS, "logic", tmp_path / "no-model-here")
    code, out = run("eval", "logic", "--depths", "1", "--per-depth", "2", "--no-progress")
    assert code == 2, out
    assert "no model for the logic task family" in out and "recursa train logic -o runs/logic" in out
    assert "Traceback" not in out
    data = tmp_path / "d.jsonl"
    write_examples(generate("logic-smtlib", [1], 2, seed=0), data)
    code, out = run("eval", str(data), "--no-progress")  # the family is guessed from the file
    assert code == 2 and "logic task family" in out


@pytest.mark.parametrize("line, message", [
    ({"source": "(and true (foo 3 4))", "language": "smtlib", "label": 1}, "unknown operator 'foo'"),
    ({"source": "(or p false)", "language": "smtlib", "label": 0}, "free variable 'p'"),
    ({"source": "True and (x < 4)", "language": "python", "label": 1}, "free variable 'x'"),
])
def test_logic_file_with_an_unknown_operator_or_free_variable_names_file_and_line(
        logic_run: Path, tmp_path: Path, line: dict[str, object], message: str) -> None:
    data = tmp_path / "bad.jsonl"
    good = {"source": "(and true (< 3 4))", "language": "smtlib", "label": 1}
    data.write_text(json.dumps(good) + "\n" + json.dumps(line) + "\n")
    code, out = run("eval", str(data), "--checkpoint", str(logic_run), "--no-progress")
    assert code == 2, out
    assert f"bad.jsonl:2: not a closed logic formula: {message}" in out and "Traceback" not in out


def test_mixed_families_and_bad_task_option_are_refused(logic_run: Path, tmp_path: Path) -> None:
    data = tmp_path / "mixed.jsonl"
    data.write_text(json.dumps({"source": "(and true false)", "language": "smtlib", "label": 0}) + "\n"
                    + json.dumps({"source": "max(1, 2)", "language": "python", "label": 2}) + "\n")
    code, out = run("eval", str(data), "--checkpoint", str(logic_run), "--no-progress")
    assert code == 2 and "mix task families" in out and "mixed.jsonl:2" in out
    code, out = run("eval", str(data), "--task", "nosuch", "--checkpoint", str(logic_run))
    assert code == 2 and "--task 'nosuch'" in out
    code, out = run("eval", "listops", "--task", "logic", "--checkpoint", str(logic_run))
    assert code == 2 and "contradicts" in out


def test_every_task_train_offers_eval_accepts() -> None:
    # the generated tasks: eval gets as far as loading the (missing) checkpoint
    for spec in tasks():
        code, out = run("eval", spec.name, "--depths", "1", "--per-depth", "1", "--checkpoint", "/nonexistent")
        assert code == 2 and "unknown task" not in out, (spec.name, out)
    # the guide models: measured on freshly generated held-out programs / problems
    code, out = run("eval", "invariants", "--per-depth", "2", "--json")
    assert code == 0, out
    rep = json.loads(out[out.index("{"):])
    assert rep["task"] == "invariants" and rep["programs"] == 2 and "needed_rank_model" in rep
    code, out = run("eval", "synth", "--per-depth", "4", "--json")
    assert code == 0, out
    rep = json.loads(out[out.index("{"):])
    assert rep["task"] == "synth" and 0.0 <= rep["top1"] <= 1.0
    code, out = run("eval", "synth-values", "--per-depth", "4", "--json")
    assert code == 0, out
    rep = json.loads(out[out.index("{"):])
    assert rep["task"] == "synth-values" and 0.0 <= rep["held_out_auc"] <= 1.0 and rep["rule"]["cap"] >= 0
    code, out = run("eval", "synth-values", "--checkpoint", "/nonexistent")
    assert code == 2 and "recursa train synth-values" in out
    code, out = run("eval", "invariants", "--checkpoint", "/nonexistent")
    assert code == 2 and "recursa train invariants" in out
