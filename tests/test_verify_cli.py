"""``recursa verify``: verdicts, formats (table, JSON, SARIF 2.1.0), exit codes and bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recursa.cli import main

PROVED = "int main() {\n  int x = 0;\n  while (x < 10) x++;\n  assert(x == 10);\n  return 0;\n}\n"
VIOLATED = "int main() {\n  int x = 0;\n  while (x < 10) x++;\n  assert(x == 9);\n  return 0;\n}\n"
UNSUPPORTED = "int main(int *p) {\n  assert(*p > 0);\n  return 0;\n}\n"


def run(args: list[str]):
    return CliRunner().invoke(main, ["verify", "--ranker", "unguided", *args])


@pytest.fixture()
def files(tmp_path):
    out = {}
    for name, src in [("ok.c", PROVED), ("bad.c", VIOLATED), ("unsup.c", UNSUPPORTED), ("empty.c", ""),
                      ("syntax.c", "int main() {\n  int x = 0\n  assert(x == 0);\n}\n"),
                      ("syntax.py", "def f(:\n    assert True\n"),
                      ("ok.py", "def f():\n    x = 1\n    assert x == 1\n"),
                      ("none.c", "int main() { return 0; }\n")]:
        p = tmp_path / name
        p.write_text(src)
        out[name] = str(p)
    return out


def test_all_proved_exits_0(files):
    r = run([files["ok.c"], files["ok.py"]])
    assert r.exit_code == 0, r.output
    assert "PROVED" in r.output and "invariant (loop at line 3): x <= 10\n" in r.output


def test_a_violation_exits_1_and_prints_the_trace(files):
    r = run([files["ok.c"], files["bad.c"]])
    assert r.exit_code == 1
    assert "VIOLATED" in r.output and "assertion fails" in r.output and "x=10" in r.output


def test_unsupported_exits_3_naming_construct_and_location(files):
    r = run([files["unsup.c"]])
    assert r.exit_code == 3
    assert "UNSUPPORTED" in r.output and "pointer at 1:" in r.output


@pytest.mark.parametrize("name, message", [
    ("syntax.c", "syntax.c:2:"),
    ("syntax.py", "syntax.py:1:"),
])
def test_bad_input_exits_2_with_a_located_message(files, name, message):
    r = run([files[name]])
    assert r.exit_code == 2
    assert message in r.output


def test_missing_path_and_unknown_extension_exit_2(tmp_path):
    r = run([str(tmp_path / "nope.c")])
    assert r.exit_code == 2 and "no such file" in r.output
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    assert run([str(txt)]).exit_code == 2


def test_input_errors_take_precedence_over_violations(files):
    assert run([files["bad.c"], files["syntax.c"]]).exit_code == 2


def test_an_empty_file_is_fine(files):
    # like ruff and mypy: an empty file (an empty __init__.py) has nothing to check, which is not an error
    r = run([files["empty.c"], files["ok.c"]])
    assert r.exit_code == 0 and "no assertions to verify" in r.output


def test_input_errors_with_parallel_workers_are_reported_not_hung(files):
    # the error travels back from a worker process (it must pickle), and the other files still get verdicts
    r = CliRunner().invoke(main, ["verify", "--ranker", "unguided", "--jobs", "2", files["ok.c"], files["syntax.c"],
                                  files["bad.c"]])
    assert r.exit_code == 2
    assert "syntax.c:2:" in r.output and "VIOLATED" in r.output and "PROVED" in r.output


def test_a_file_without_assertions_is_a_note_not_an_error(files):
    r = run([files["none.c"]])
    assert r.exit_code == 0 and "no assertions to verify" in r.output


def test_json_has_one_object_with_results(files):
    r = run(["--format", "json", files["ok.c"], files["bad.c"]])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    results = data["results"]
    assert {res["verdict"] for res in results} == {"proved", "violated"}
    for res in results:
        assert {"path", "line", "verdict", "invariant", "trace", "time_s", "solver_calls"} <= set(res)
    bad = next(res for res in results if res["verdict"] == "violated")
    assert bad["trace"]["steps"][-1]["kind"] == "assert" and bad["trace"]["steps"][-1]["values"]["x"] == 10
    assert data["summary"]["proved"] == 1 and data["summary"]["violated"] == 1


def test_sarif_2_1_0(files):
    r = run(["--format", "sarif", files["ok.c"], files["bad.c"], files["syntax.c"]])
    log = json.loads(r.stdout)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "recursa"
    rule_ids = {rule["id"] for rule in driver["rules"]}
    results = log["runs"][0]["results"]
    assert {res["level"] for res in results} >= {"note", "error"}
    for res in results:
        assert res["ruleId"] in rule_ids and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1
    violated = next(res for res in results if res["ruleId"] == "recursa/assertion-violated")
    assert violated["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 3}
    assert violated["codeFlows"][0]["threadFlows"][0]["locations"]
    syntax = next(res for res in results if res["ruleId"] == "recursa/input-error")
    assert syntax["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_machine_integers_option(tmp_path):
    p = tmp_path / "wrap.c"
    p.write_text("int main() {\n  int x = 2147483647;\n  x = x + 1;\n  assert(x > 0);\n  return 0;\n}\n")
    assert run([str(p)]).exit_code == 0
    r = run(["--int-semantics", "machine", str(p)])
    assert r.exit_code == 1 and "signed overflow in 'x + 1'" in r.output and "x=2147483647" in r.output


def test_cross_check_with_cvc5(files):
    pytest.importorskip("cvc5")
    r = run(["--cross-check", "--format", "json", files["ok.c"]])
    assert r.exit_code == 0
    vcs = json.loads(r.stdout)["results"][0]["certificate"]["vcs"]
    assert {v["solver"] for v in vcs} == {"z3", "cvc5"} and all(v["status"] == "unsat" for v in vcs)


def test_directories_are_searched(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    (d / "a.c").write_text(PROVED)
    (d / "b.py").write_text("def f():\n    x = 1\n    assert x == 1\n")
    r = run(["--format", "json", str(d)])
    assert r.exit_code == 0 and len(json.loads(r.stdout)["results"]) == 2


def test_unknown_grammar_is_a_usage_error(files):
    r = run(["--grammar", "nope", files["ok.c"]])
    assert r.exit_code == 2 and "no invariant grammar" in r.output
