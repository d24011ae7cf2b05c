"""``recursa analyze``: per-function nesting, loops, reasoner iterations and verification verdicts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recursa.cli import main
from recursa.paths import EXAMPLES_DIR

NESTED = """int main() {
  int x = 0, y = 0;
  while (unknown()) {
    while (unknown()) { x++; y++; }
    x += 2; y += 2;
  }
  assert(x == y);
  return 0;
}
int helper(int a) {
  if (a > 0) { a = a - 1; }
  return a;
}
"""


def run(args: list[str]):
    return CliRunner().invoke(main, ["analyze", "--ranker", "unguided", *args])


def test_json_reports_every_function_with_depth_loops_and_verdicts(tmp_path):
    p = tmp_path / "nested.c"
    p.write_text(NESTED)
    r = run(["--format", "json", str(p)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    funcs = {f["name"]: f for f in data["functions"]}
    assert set(funcs) == {"main", "helper"}
    assert funcs["main"]["loops"] == 2 and funcs["main"]["loop_depth"] == 2
    assert funcs["main"]["verdicts"] == {"proved": 1}
    assert funcs["helper"]["loops"] == 0 and funcs["helper"]["verdicts"] == {}
    assert funcs["main"]["syntax_depth"] > funcs["helper"]["syntax_depth"] > 0
    if data["reasoner"] is not None:
        assert funcs["main"]["iterations"] >= 1 and isinstance(funcs["main"]["converged"], bool)
    else:
        assert "no reasoner model" in data["reasoner_missing"]


def test_table_names_the_reasoner_or_says_it_is_missing(tmp_path):
    p = tmp_path / "nested.c"
    p.write_text(NESTED)
    r = run([str(p)])
    assert r.exit_code == 0
    assert "main" in r.output and "helper" in r.output and "reasoner:" in r.output


def test_reasoner_iterations_come_from_the_shipped_model_when_present(tmp_path, monkeypatch):
    import recursa.commands.analyze as analyze

    reasoner = analyze.load_reasoner()
    if reasoner.model is None:
        pytest.skip("no shipped model: " + reasoner.missing)
    p = tmp_path / "nested.c"
    p.write_text(NESTED)
    r = run(["--format", "json", str(p)])
    funcs = {f["name"]: f for f in json.loads(r.stdout)["functions"]}
    # the deeper tree takes at least as many equilibrium iterations as the shallow helper
    assert funcs["main"]["iterations"] >= funcs["helper"]["iterations"]


def test_missing_model_is_reported_not_a_crash(tmp_path, monkeypatch):
    import recursa.commands.analyze as analyze
    import recursa.paths
    import recursa.refine.rank

    monkeypatch.setattr(recursa.paths, "DEFAULT_MODEL_DIR", tmp_path / "none")
    monkeypatch.setattr(recursa.refine.rank, "INVARIANT_MODEL_DIR", tmp_path / "none2")
    reasoner = analyze.load_reasoner()
    assert reasoner.model is None and "no reasoner model" in reasoner.missing


def test_examples_directory(tmp_path):
    r = run(["--format", "sarif", str(EXAMPLES_DIR)])
    assert r.exit_code == 1, "examples/off_by_one.c fails on purpose"
    log = json.loads(r.stdout)
    assert log["version"] == "2.1.0"
    functions = log["runs"][0]["properties"]["functions"]
    assert len(functions) >= 5
    verdicts = [res["properties"]["verdict"] for res in log["runs"][0]["results"]]
    assert verdicts.count("violated") == 1 and verdicts.count("proved") >= 5


def test_bad_input(tmp_path):
    p = tmp_path / "e.py"
    p.write_text("def f(:\n    assert True\n")
    r = run([str(p)])
    assert r.exit_code == 2 and "e.py:1:" in r.output


def test_an_empty_file_is_fine(tmp_path):
    p = tmp_path / "__init__.py"
    p.write_text("   \n")
    assert run([str(p)]).exit_code == 0
