"""``recursa eval`` and ``recursa train`` from the command line: tables, JSON, plots, other people's files,
the shipped default model, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from recursa.cli import main
from recursa.paths import DEFAULT_MODEL_DIR, TASKS_DIR
from recursa.train.trainer import TrainConfig, train

TINY = dict(hidden_size=8, batch_size=8, train_size=120, threads=1, progress=False, tensorboard=False,
            log_every=5, warmup=2, reasoner={"ffn_mult": 1.0})


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    reasoner = train(TrainConfig(task="listops", output=str(root / "reasoner"), steps=3, **TINY)).run_dir
    bert = train(TrainConfig(task="listops", output=str(root / "bert"), steps=3, model="transformer", layers=1,
                             **{**TINY, "hidden_size": 16})).run_dir
    return reasoner, bert


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_eval_json_has_the_depth_kpis(tiny_runs: tuple[Path, Path]) -> None:
    reasoner, _ = tiny_runs
    code, out = run("eval", "listops", "--checkpoint", str(reasoner), "--depths", "1-3,6", "--per-depth", "4",
                    "--json", "--no-progress")
    assert code == 0, out
    rep = json.loads(out)
    assert set(rep["by_depth"]) == {"1", "2", "3", "6"}
    assert rep["n"] == 4 * 4 * 2  # depths x per-depth x two syntaxes
    for row in rep["by_depth"].values():
        assert {"n", "accuracy", "iterations_mean", "iterations_p95"} <= set(row)
        assert row["n"] == 8
    assert rep["by_depth"]["6"]["iterations_mean"] > rep["by_depth"]["1"]["iterations_mean"]
    assert 0.0 <= rep["accuracy"] <= 1.0 and rep["convergence_failure_rate"] == 0.0
    assert rep["spearman_iterations_height"] > 0.95
    assert rep["train_depths"] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("name", ["original.tsv", "lra.tsv", "plain.tsv"])
def test_eval_reads_listops_tsv_written_by_another_generator(tiny_runs: tuple[Path, Path], name: str) -> None:
    reasoner, _ = tiny_runs
    path = TASKS_DIR / "listops" / "external" / name
    code, out = run("eval", str(path), "--checkpoint", str(reasoner), "--json", "--no-progress")
    assert code == 0, out
    rep = json.loads(out)
    assert rep["n"] == 150 and sum(r["n"] for r in rep["by_depth"].values()) == 150


def test_eval_table_and_plot_with_the_baseline_beside(tiny_runs: tuple[Path, Path], tmp_path: Path) -> None:
    reasoner, bert = tiny_runs
    png = tmp_path / "depth.png"
    code, out = run("eval", "listops-brackets", "--checkpoint", str(reasoner),
                    "--baseline", str(bert), "--depths", "1-2", "--per-depth", "3", "--plot", str(png),
                    "--no-progress")
    assert code == 0, out
    assert "depth" in out and "accuracy" in out and "Spearman(iterations, tree height)" in out
    assert "transformer:" in out and "n/a (constant)" in out  # the baseline's layers do not vary
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_without_checkpoint_uses_the_shipped_model() -> None:
    assert (DEFAULT_MODEL_DIR / "config.json").is_file() and (DEFAULT_MODEL_DIR / "model.safetensors").is_file()
    assert (DEFAULT_MODEL_DIR / "MODEL_CARD.md").is_file()
    code, out = run("eval", "listops", "--depths", "1,3", "--per-depth", "3", "--json", "--no-progress")
    assert code == 0, out
    rep = json.loads(out)
    assert rep["model_kind"] == "recursa" and rep["n"] == 12
    assert rep["value_snap"] is True  # the shipped model snaps value nodes at inference
    code, out = run("eval", "listops", "--depths", "1", "--per-depth", "3", "--json", "--no-progress", "--no-snap")
    assert code == 0, out
    assert json.loads(out)["value_snap"] is False


@pytest.mark.parametrize("args, message", [
    (["eval", "nosuchtask"], "unknown task 'nosuchtask'"),
    (["eval", "missing.tsv"], "missing.tsv: no such file"),
    (["eval", "listops", "--depths", "9-3"], "bad depth range"),
    (["eval", "listops", "--checkpoint", "."], "neither a saved model"),
    (["train", "nosuchtask", "-o", "unused-run-dir"], "unknown task 'nosuchtask'"),
])
def test_bad_input_gives_a_message_and_exit_code_2(args: list[str], message: str) -> None:
    code, out = run(*args)
    assert code == 2, out
    assert message in out and "Traceback" not in out


def test_bad_data_line_is_named(tmp_path: Path, tiny_runs: tuple[Path, Path]) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("3\t[MAX 1 3 ]\n4\t[MAX 1 [SM 3 ]\n")
    code, out = run("eval", str(bad), "--checkpoint", str(tiny_runs[0]), "--no-progress")
    assert code == 2 and "bad.tsv:2: bad ListOps expression" in out


def test_train_cli_refuses_to_overwrite_and_rejects_unknown_reasoner_options(tmp_path: Path,
                                                                             tiny_runs: tuple[Path, Path]) -> None:
    code, out = run("train", "listops", "-o", str(tiny_runs[0]), "--no-progress")
    assert code == 2 and "already holds a training run" in out
    code, out = run("train", "listops", "-o", str(tmp_path / "r"), "--steps", "1", "--set", "no_such_key=1",
                    "--no-progress")
    assert code == 2 and "no_such_key" in out
