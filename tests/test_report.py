"""The reporting layer: which verdict decides the exit code, and output that stays well-formed for any file name."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from recursa.cli import main
from recursa.errors import RecursaError
from recursa.refine.verify import InputError, Verdict
from recursa.report import escape, exit_code, sarif_uri, worst
from recursa.train.cli_support import InputError as CliInputError

WRONG = "int main() {\n  int i = 0;\n  while (i < 3) { i++; }\n  assert(i == 2);\n  return 0;\n}\n"
RIGHT = "int main() {\n  int i = 0;\n  while (i < 3) { i++; }\n  assert(i == 3);\n  return 0;\n}\n"


def verify(*args: str):
    return CliRunner().invoke(main, ["verify", "--ranker", "unguided", "--no-progress", *args])


def test_the_most_severe_verdict_decides_the_exit_code() -> None:
    V = Verdict
    assert exit_code([]) == 0  # nothing to check is not a failure
    assert exit_code([V.PROVED, V.PROVED]) == 0
    assert exit_code([V.PROVED, V.UNKNOWN]) == 3
    assert exit_code([V.UNSUPPORTED, V.PROVED]) == 3
    assert exit_code([V.UNKNOWN, V.VIOLATED, V.UNSUPPORTED]) == 1  # a real bug outranks "could not decide"
    assert exit_code([V.VIOLATED], input_errors=1) == 2  # an unread file outranks everything
    assert worst([V.PROVED, V.UNKNOWN, V.UNSUPPORTED]) is V.UNSUPPORTED


def test_synthesis_statuses_go_through_the_same_exit_code_rule() -> None:
    from recursa.synth.problem import SynthStatus as S

    assert exit_code([S.SOLVED, S.UNKNOWN]) == 3
    assert exit_code([S.UNKNOWN, S.INFEASIBLE]) == 1
    assert worst([S.SOLVED, S.ERROR, S.INFEASIBLE]) is S.ERROR


def test_both_input_errors_are_recursa_errors_with_exit_code_2() -> None:
    for err in (InputError("a.c", "file is empty"), CliInputError("bad --depths")):
        assert isinstance(err, RecursaError) and err.exit_code == 2


def test_escape_neutralises_control_characters_but_keeps_text() -> None:
    assert escape("src/naïve_日本.c") == "src/naïve_日本.c"
    assert escape("a\nb.c") == "a\\nb.c"
    assert escape("x\x1b[31m") == "x\\x1b[31m"  # no terminal colour codes smuggled in through a name
    assert escape("evil\u202etxt.c") == "evil\\u202etxt.c"  # a bidi override cannot reorder what is shown
    assert escape(os.fsdecode(b"bad\xff.c")) == "bad\\udcff.c"  # undecodable bytes stay printable


def test_sarif_uris_are_percent_encoded() -> None:
    assert sarif_uri("examples/off_by_one.c") == "examples/off_by_one.c"
    assert sarif_uri("dir with space/a#b.c") == "dir%20with%20space/a%23b.c"
    assert sarif_uri("a\nb.c") == "a%0Ab.c"


@pytest.fixture
def newline_file(tmp_path: Path) -> Path:
    p = tmp_path / "one\nforged.c:1:1  PROVED.c"
    p.write_text(WRONG)
    (tmp_path / "ok.c").write_text(RIGHT)
    return p


def test_table_cannot_be_forged_by_a_file_name(newline_file: Path) -> None:
    r = verify(str(newline_file.parent))
    assert r.exit_code == 1, r.output
    lines = r.stdout.splitlines()
    assert not any(line.startswith("forged.c") for line in lines)
    assert any("one\\nforged.c" in line and "VIOLATED" in line for line in lines)


def test_json_and_sarif_stay_valid_and_carry_the_exact_path(newline_file: Path) -> None:
    r = verify("--format", "json", str(newline_file.parent))
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert {res["path"] for res in data["results"]} == {str(newline_file), str(newline_file.parent / "ok.c")}
    assert data["summary"]["violated"] == 1 and data["summary"]["proved"] == 1

    r = verify("--format", "sarif", str(newline_file.parent))
    assert r.exit_code == 1
    log = json.loads(r.stdout)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and "informationUri" not in run["tool"]["driver"]
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert "\n" not in uri and " " not in uri
    violated = [res for res in run["results"] if res["properties"]["verdict"] == "violated"]
    assert len(violated) == 1 and violated[0]["codeFlows"][0]["threadFlows"][0]["locations"]


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses undecodable file names")
def test_undecodable_file_name_is_reported_not_a_crash(tmp_path: Path) -> None:
    name = os.fsdecode(os.fsencode(str(tmp_path)) + b"/bad\xff.c")
    with open(os.fsencode(name), "w") as fh:
        fh.write(RIGHT)
    r = verify(name)
    assert r.exit_code == 0, r.output
    assert "bad\\udcff.c" in r.stdout
    r = verify("--format", "json", name)
    assert json.loads(r.stdout)["results"][0]["path"] == name


def test_missing_paths_count_as_input_errors_in_every_format(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.c")
    assert verify(missing).exit_code == 2
    data = json.loads(verify("--format", "json", missing).stdout)
    assert data["summary"]["input_errors"] == 1 and data["errors"][0]["path"] == missing
