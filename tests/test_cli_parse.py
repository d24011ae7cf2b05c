"""`recursa parse` and `recursa bench parse` as a user runs them: output, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from recursa.cli import main


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "good.py").write_text(
        "def f(n):\n    i = 0\n    while i < n:\n        for j in range(3):\n            i += j\n    return i\n"
    )
    (tmp_path / "pkg" / "prog.c").write_text(
        "int g(int n) {\n  int s = 0;\n  for (int i = 0; i < n; i++) s += i;\n  while (s > 9) s--;\n  return s;\n}\n"
    )
    (tmp_path / "pkg" / "notes.txt").write_text("not code")
    (tmp_path / "bad.py").write_text("x = 1\ndef broken(:\n    pass\n")
    (tmp_path / "blob.py").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\ns = '\xe9'\n")
    (tmp_path / "undecodable.py").write_bytes(b"s = '\xff\xfe'\n")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_clean_files_exit_0_with_json_per_file(tree: Path) -> None:
    res = run("parse", "--json", str(tree / "pkg"))
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [Path(r["path"]).name for r in rows] == ["good.py", "prog.c"]  # notes.txt is not code
    by_name = {Path(r["path"]).name: r for r in rows}
    good = by_name["good.py"]
    assert set(good) >= {"path", "language", "nodes", "named_nodes", "max_depth", "errors"}
    assert good["language"] == "python" and good["errors"] == []
    assert good["nodes"] > good["named_nodes"] > 0
    # module > function_definition > block > while > block > for > block > expression_statement >
    # augmented_assignment > identifier
    assert good["max_depth"] == 9
    assert (good["functions"], good["loops"]) == (1, 2)
    assert (by_name["prog.c"]["functions"], by_name["prog.c"]["loops"]) == (1, 2)
    assert "nodes/s" in res.stderr  # the summary goes to stderr in JSON mode


def test_syntax_errors_exit_1_with_location(tree: Path) -> None:
    res = run("parse", str(tree / "bad.py"), str(tree / "pkg" / "good.py"))
    assert res.exit_code == 1
    assert f"{tree / 'bad.py'}:2:12: missing ')'" in res.stdout or f"{tree / 'bad.py'}:2:" in res.stdout
    js = run("parse", "--json", str(tree / "bad.py"))
    errors = json.loads(js.stdout)["errors"]
    assert js.exit_code == 1 and errors and errors[0]["line"] == 2


def test_unreadable_inputs_exit_2_and_the_rest_is_parsed(tree: Path) -> None:
    res = run("parse", "--json", str(tree / "blob.py"), str(tree / "missing.py"), str(tree / "undecodable.py"),
              str(tree / "pkg" / "notes.txt"), str(tree / "pkg" / "good.py"), str(tree / "bad.py"))
    assert res.exit_code == 2
    assert "blob.py: binary file" in res.stderr
    assert "missing.py: no such file or directory" in res.stderr
    assert "undecodable.py: not valid utf-8 text" in res.stderr
    assert "notes.txt: unknown file type" in res.stderr
    paths = [Path(json.loads(line)["path"]).name for line in res.stdout.splitlines()]
    assert paths == ["good.py", "bad.py"]
    assert "Traceback" not in res.output


def test_coding_cookie_is_honoured(tree: Path) -> None:
    res = run("parse", "--json", str(tree / "latin.py"))
    assert res.exit_code == 0
    assert json.loads(res.stdout)["errors"] == []


def test_language_option_overrides_extension(tree: Path) -> None:
    f = tree / "expr.txt"
    f.write_text("(assert (> x 1))\n")
    assert run("parse", str(f)).exit_code == 2
    res = run("parse", "--json", "--language", "smtlib", str(f))
    assert res.exit_code == 0 and json.loads(res.stdout)["language"] == "smtlib"


def test_usage_errors_exit_2() -> None:
    assert run("parse").exit_code == 2
    assert run("parse", "--language", "cobol", "x.py").exit_code == 2


def test_deep_file_reports_depth(tmp_path: Path) -> None:
    f = tmp_path / "deep.py"
    f.write_text("x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n")
    res = run("parse", "--json", str(f))
    assert res.exit_code == 0
    assert json.loads(res.stdout)["max_depth"] >= 10_000


def test_help_is_instant_no_heavy_imports() -> None:
    code = ("import sys; from recursa.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'z3') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert "parse" in out and "verify" in out


def test_bench_parse_prints_both_routes(tree: Path) -> None:
    res = run("bench", "parse", "--json", "--no-pin", str(tree / "pkg"), str(tree / "latin.py"))
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["files"] == 3 and data["ast_files"] == 2
    assert data["ts_nodes"] > 0 and data["ast_nodes"] > 0
    assert data["speedup_vs_ast"] > 0
