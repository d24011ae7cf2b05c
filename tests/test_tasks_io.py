"""Readers: JSONL and the three published ListOps TSV layouts, read unchanged; clear errors."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from recursa.paths import TASKS_DIR
from recursa.tasks import DataError, Example, generate, read_examples, write_examples
from recursa.tasks.dataset import TreeDataset
from recursa.tasks.listops import evaluate
from recursa.tasks.metrics import rankdata, spearman, summarize

EXTERNAL = TASKS_DIR / "listops" / "external"


@pytest.mark.parametrize("name", ["original.tsv", "lra.tsv", "plain.tsv"])
def test_listops_tsv_written_by_another_generator_is_read_unchanged(name: str) -> None:
    path = EXTERNAL / name
    examples = read_examples(path)
    data_lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    assert len(examples) == len(data_lines) - (1 if name == "lra.tsv" else 0)
    for ex in examples:
        assert ex.language == "listops"
        assert evaluate(ex.source, "listops")[0] == ex.label
    ds = TreeDataset(examples)  # parses every expression with tree-sitter, computes depths
    assert ds.depths.min() >= 1 and ds.depths.max() >= 5


def test_the_three_tsv_layouts_give_the_same_example(tmp_path: Path) -> None:
    (tmp_path / "orig.tsv").write_text("7\t( ( ( ( [MAX 1 ) 7 ) 2 ) ] )\n")
    (tmp_path / "lra.tsv").write_text("Source\tTarget\n( ( ( ( [MAX 1 ) 7 ) 2 ) ] )\t7\n")
    (tmp_path / "plain.tsv").write_text("7\t[MAX 1 7 2 ]\r\n")
    got = [TreeDataset(read_examples(tmp_path / f)) for f in ("orig.tsv", "lra.tsv", "plain.tsv")]
    for ds in got:
        assert ds.labels.tolist() == [7] and ds.depths.tolist() == [1]
    assert got[0].trees[0].kind.tolist() == got[2].trees[0].kind.tolist()
    assert got[0].trees[0].token.tolist() == got[1].trees[0].token.tolist()


def test_jsonl_round_trip_and_depth_computed_when_absent(tmp_path: Path) -> None:
    examples = generate("listops", [1, 3], 2, seed=0) + generate("arith", [2], 2, seed=0)
    path = tmp_path / "data.jsonl"
    write_examples(examples, path)
    back = read_examples(path)
    assert [(e.source, e.language, e.label, e.depth) for e in back] == \
        [(e.source, e.language, e.label, e.depth) for e in examples]
    path.write_text(json.dumps({"source": "max(1, min(2, 3))", "language": "python", "label": 2}) + "\n")
    ex = read_examples(path)
    assert ex[0].depth == -1
    assert TreeDataset(ex).depths.tolist() == [2]


def test_shipped_sample_files_read(tmp_path: Path) -> None:
    paths = sorted(TASKS_DIR.glob("*/sample*.*"))
    assert len(paths) == 4
    for path in paths:
        examples = read_examples(path)
        ds = TreeDataset([replace(e, depth=-1) for e in examples])
        assert ds.depths.min() >= 1
        if path.suffix == ".jsonl":  # the recorded depth is the one computed from the parse
            assert ds.depths.tolist() == [e.depth for e in examples]
    manifest = json.loads((TASKS_DIR / "listops" / "manifest.json").read_text())
    assert manifest["train"]["depths"] == [1, 5]


@pytest.mark.parametrize("name, content, message", [
    ("bad.jsonl", '{"source": "max(1, 2)", "language": "python", "label": 2}\n{"source": 1\n',
     "bad.jsonl:2: invalid JSON"),
    ("bad.jsonl", '{"source": "max(1, 2)", "language": "python"}\n', "bad.jsonl:1: missing field(s): label"),
    ("bad.jsonl", '{"source": "x", "language": "cobol", "label": 1}\n', "bad.jsonl:1: unknown language"),
    ("bad.jsonl", '{"source": "[MAX 1 [FOO 2 ] ]", "language": "listops", "label": 1}\n',
     "bad.jsonl:1: bad ListOps expression: unknown ListOps operator '[FOO'"),
    ("bad.tsv", "7\t[MAX 1 7 2 ]\n3\t[MIN 3 4\n", "bad.tsv:2: bad ListOps expression: 1 operator(s) not closed"),
    ("bad.tsv", "7\t[MAX 1 7 2 ]\textra\n", "bad.tsv:1: expected 2 tab-separated fields"),
    ("bad.tsv", "x\t[MAX 1 7 2 ]\n", "bad.tsv:1: no integer label"),
    ("bad.csv", "7,[MAX 1 ]\n", "unsupported data file"),
    ("empty.tsv", "\n", "no examples"),
])
def test_bad_files_give_errors_naming_file_and_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_examples(tmp_path / name)


def test_syntax_errors_name_the_example() -> None:
    with pytest.raises(DataError, match=r"f\.jsonl:3: python syntax error at 1:"):
        TreeDataset([Example("max(1, 2", "python", 2, -1, "f.jsonl:3")])


def test_labels_outside_the_model_classes_are_rejected() -> None:
    with pytest.raises(DataError, match="label 12 is outside the model's 10 classes"):
        TreeDataset([Example("[SM 1 2 ]", "listops", 12, 1, "x.tsv:1")], num_labels=10)


def test_spearman_matches_the_textbook_definition() -> None:
    assert rankdata([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert spearman([1, 2, 3, 4], [2, 4, 6, 8]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    x, y = [3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]
    scipy_stats = pytest.importorskip("scipy.stats")
    assert spearman(x, y) == pytest.approx(scipy_stats.spearmanr(x, y).statistic)


def test_summary_by_depth() -> None:
    rep = summarize("m", "d", depths=[1, 1, 2, 2], correct=[True, False, True, True], iterations=[3, 5, 7, 9],
                    heights=[2, 3, 4, 5], converged=[True, True, True, False], languages=["a", "a", "b", "b"])
    j = rep.to_json()
    assert j["accuracy"] == 0.75 and j["by_depth"]["1"]["accuracy"] == 0.5
    assert j["by_depth"]["2"]["iterations_mean"] == 8.0 and j["convergence_failure_rate"] == 0.25
    assert j["spearman_iterations_height"] == pytest.approx(1.0)
    assert j["accuracy_by_language"] == {"a": 0.5, "b": 1.0}
