"""recursa as a citizen of a real repository: excludes and .gitignore, configuration files, suppression
comments, one function, stdin, --output, --jobs, Ctrl-C, cheap start-up, exit codes, the Python API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from recursa.cli import main

PROVED = "int main() {\n  int x = 0;\n  while (x < 10) x++;\n  assert(x == 10);\n  return 0;\n}\n"
VIOLATED = "int main() {\n  int x = 0;\n  while (x < 10) x++;\n  assert(x == 9);\n  return 0;\n}\n"
TWO_FUNCS = "def good():\n    x = 1\n    assert x == 1\n\n\ndef bad():\n    x = 1\n    assert x == 2\n"


def cli(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def verify(*args: str, input: str | None = None):
    return cli("verify", "--ranker", "unguided", "--jobs", "1", "--timeout", "20", *args, input=input)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A checkout with the usual clutter: build output, a venv, node_modules, hidden and ignored files."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("# generated\n*.gen.py\nout/\n/top_only.py\n!keep.gen.py\n")
    files = {"src/ok.py": "x = 1\n", "src/keep.gen.py": "x = 1\n", "src/drop.gen.py": "x = 1\n",
             "src/out/o.py": "x = 1\n", "src/top_only.py": "x = 1\n", "top_only.py": "x = 1\n",
             "build/lib/b.py": "x = 1\n", "dist/d.py": "x = 1\n", "env/pyvenv.cfg": "home = /usr\n",
             "env/lib/site.py": "x = 1\n", "node_modules/n.py": "x = 1\n", ".hidden/h.py": "x = 1\n",
             "vendor/v.py": "x = 1\n", "src/__pycache__/c.py": "x = 1\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def parsed(result) -> set[str]:
    return {json.loads(line)["path"] for line in result.stdout.splitlines() if line.startswith("{")}


def rel(paths: set[str], root: Path) -> set[str]:
    return {Path(p).relative_to(root).as_posix() for p in paths}


def test_directory_walk_skips_build_venv_hidden_and_gitignored(repo: Path) -> None:
    r = cli("parse", "--json", str(repo))
    assert r.exit_code == 0, r.output
    assert rel(parsed(r), repo) == {"src/ok.py", "src/keep.gen.py", "src/top_only.py", "vendor/v.py"}


def test_gitignore_can_be_turned_off_and_excludes_extended_or_replaced(repo: Path) -> None:
    found = rel(parsed(cli("parse", "--json", "--no-respect-gitignore", str(repo))), repo)
    assert {"src/drop.gen.py", "top_only.py", "src/out/o.py"} <= found and "build/lib/b.py" not in found
    found = rel(parsed(cli("parse", "--json", "--extend-exclude", "vendor", str(repo))), repo)
    assert "vendor/v.py" not in found and "src/ok.py" in found
    found = rel(parsed(cli("parse", "--json", "--exclude", "src", str(repo))), repo)
    assert "build/lib/b.py" in found and not any(p.startswith("src/") for p in found)


def test_a_named_file_is_always_taken(repo: Path) -> None:
    r = cli("parse", "--json", str(repo / "build/lib/b.py"), str(repo / "src/drop.gen.py"))
    assert r.exit_code == 0 and len(parsed(r)) == 2


def test_configuration_file_sets_defaults_and_flags_override(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.recursa]\nformat = "json"\n'
                                             'timeout = 7\nextend-exclude = ["skipme"]\n')
    (tmp_path / "ok.c").write_text(PROVED)
    (tmp_path / "skipme").mkdir()
    (tmp_path / "skipme" / "bad.c").write_text(VIOLATED)
    r = verify(str(tmp_path))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["summary"]["proved"] == 1  # JSON from the file; skipme/ excluded
    r = verify("--format", "table", str(tmp_path / "ok.c"))
    assert "PROVED" in r.stdout
    r = verify("--format", "table", "--quiet", str(tmp_path / "ok.c"))
    assert "PROVED" not in r.stdout and "1 proved" in r.stdout  # --quiet: only what needs attention
    shown = cli("config", str(tmp_path))
    assert shown.exit_code == 0
    assert 'format = "json"' in shown.stdout and str(tmp_path / "pyproject.toml") in shown.stdout
    assert "int-semantics" in shown.stdout and "# default" in shown.stdout


def test_bad_configuration_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "recursa.toml").write_text("timout = 5\n")
    (tmp_path / "ok.c").write_text(PROVED)
    r = verify(str(tmp_path / "ok.c"))
    assert r.exit_code == 2 and "recursa.toml" in r.stderr and "'timout'" in r.stderr
    (tmp_path / "recursa.toml").write_text('timeout = "long"\n')
    r = cli("config", str(tmp_path))
    assert r.exit_code == 2 and "'timeout'" in r.stderr and "Traceback" not in r.output


def test_suppression_comment_silences_one_assertion(tmp_path: Path) -> None:
    src = VIOLATED.replace("assert(x == 9);", "assert(x == 9); // recursa: ignore[violated]")
    (tmp_path / "bad.c").write_text(src)
    r = verify(str(tmp_path / "bad.c"))
    assert r.exit_code == 0, r.output
    assert "1 suppressed" in r.stdout
    sarif = json.loads(verify("--format", "sarif", str(tmp_path / "bad.c")).stdout)
    [result] = sarif["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "inSource"}]  # shown as dismissed by code scanning
    (tmp_path / "bad.c").write_text(VIOLATED.replace("assert(x == 9);", "assert(x == 9); // recursa: ignore[proved]"))
    r = verify(str(tmp_path / "bad.c"))
    assert r.exit_code == 1  # a code that does not match leaves the finding
    (tmp_path / "bad.c").write_text(VIOLATED.replace("assert(x == 9);", "assert(x == 9); // recursa: ignore[nope]"))
    r = verify(str(tmp_path / "bad.c"))
    assert "unknown suppression code 'nope'" in r.stderr


def test_one_function_by_path_or_select(tmp_path: Path) -> None:
    p = tmp_path / "two.py"
    p.write_text(TWO_FUNCS)
    assert verify(str(p)).exit_code == 1
    assert verify(f"{p}::good").exit_code == 0
    assert verify("--select", "good", str(p)).exit_code == 0
    assert verify(f"{p}::bad").exit_code == 1


def test_stdin_and_output_file(tmp_path: Path) -> None:
    r = verify("-", "--stdin-filename", "prog.c", input=VIOLATED)
    assert r.exit_code == 1 and "prog.c:4:3" in r.stdout
    assert verify("-", input=VIOLATED).exit_code == 2  # no name, no language
    (tmp_path / "bad.c").write_text(VIOLATED)
    out = tmp_path / "report.sarif"
    r = verify("--format", "sarif", "--output", str(out), str(tmp_path / "bad.c"))
    assert r.exit_code == 1
    assert json.loads(out.read_text())["version"] == "2.1.0"
    r = verify("--output", str(tmp_path / "bad.c"), str(tmp_path / "bad.c"))
    assert r.exit_code == 2 and "input file" in r.stderr
    assert (tmp_path / "bad.c").read_text() == VIOLATED


def test_empty_files_are_fine_everywhere(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text("")
    for command in ("parse", "verify", "analyze"):
        extra = [] if command == "parse" else ["--ranker", "unguided"]
        r = cli(command, *extra, str(init))
        assert r.exit_code == 0, (command, r.output)


def test_jobs_give_the_same_results_in_the_same_order(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"p{i}.c").write_text(PROVED if i != 1 else VIOLATED)
    (tmp_path / "p3.c").write_text("int main() {\n  int x = 0\n  assert(x == 0);\n}\n")  # a syntax error
    runs = [verify("--jobs", str(n), "--format", "json", str(tmp_path)) for n in (1, 2)]
    docs = [json.loads(run.stdout) for run in runs]
    verdicts = [[(r["path"], r["line"], r["verdict"]) for r in doc["results"]] for doc in docs]
    assert runs[0].exit_code == runs[1].exit_code == 2
    assert verdicts[0] == verdicts[1] and len(verdicts[0]) == 3
    assert docs[0]["errors"] == docs[1]["errors"] and docs[1]["errors"][0]["line"] == 2


def test_ctrl_c_prints_what_was_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import recursa.commands.verify as cmd

    real = cmd.verify_job

    def interrupted_on_second(verifier, job, *rest):
        if job.path.endswith("b.c"):
            raise KeyboardInterrupt
        return real(verifier, job, *rest)

    monkeypatch.setattr(cmd, "verify_job", interrupted_on_second)
    (tmp_path / "a.c").write_text(VIOLATED)
    (tmp_path / "b.c").write_text(PROVED)
    r = verify(str(tmp_path))
    assert r.exit_code == 130
    assert "a.c:4:3  VIOLATED" in r.stdout and "interrupted: 1 assertion(s) in 1 file(s)" in r.stdout


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout


def test_missing_path_is_reported_before_any_model_loads() -> None:
    out = _python("import sys\nfrom recursa.cli import main\ntry:\n    main(['verify', 'missing.c'])\n"
                  "except SystemExit as e:\n    print(e.code, 'torch' in sys.modules, 'transformers' in sys.modules)")
    assert out.splitlines()[-1].split() == ["2", "False", "False"]


def test_the_model_loads_only_when_a_loop_needs_ranking(tmp_path: Path) -> None:
    (tmp_path / "noloop.c").write_text("int main() {\n  int x = 0;\n  assert(x == 0);\n  return 0;\n}\n")
    path = str(tmp_path / "noloop.c")
    out = _python(f"import sys\nfrom recursa.cli import main\ntry:\n    main(['verify', '--jobs', '1', {path!r}])\n"
                  "except SystemExit as e:\n    print(e.code, 'torch' in sys.modules)")
    assert out.splitlines()[-1].split() == ["0", "False"]


def test_python_api_is_light_to_import_and_returns_typed_results(tmp_path: Path) -> None:
    assert _python("import sys, recursa\nprint(callable(recursa.verify), 'torch' in sys.modules, "
                   "'z3' in sys.modules)").split() == ["True", "False", "False"]
    import recursa
    from recursa.refine.verify import Verdict

    report = recursa.verify(VIOLATED, language="c", ranker="unguided")
    assert [r.verdict for r in report.results()] == [Verdict.VIOLATED] and report.exit_code() == 1
    (tmp_path / "f.sl").write_text("(set-logic LIA)\n(synth-fun f ((x Int)) Int)\n(declare-var x Int)\n"
                                   "(constraint (= (f x) (+ x 2)))\n(check-synth)\n")
    [result] = recursa.synthesize(tmp_path / "f.sl", timeout=20)
    assert result.status.value == "solved"


def test_help_documents_exit_codes_and_formats() -> None:
    for command in ("parse", "verify", "analyze"):
        text = " ".join(cli(command, "--help").output.split())  # help is wrapped to the terminal
        assert "130 interrupted" in text, command
    assert "sarif (SARIF 2.1.0" in " ".join(cli("analyze", "--help").output.split())


MAX2_SL = ("(set-logic LIA)\n(synth-fun m ((a Int) (b Int)) Int)\n(declare-var a Int) (declare-var b Int)\n"
           "(constraint (>= (m a b) a)) (constraint (>= (m a b) b))\n"
           "(constraint (or (= (m a b) a) (= (m a b) b)))\n(check-synth)\n")
CONFLICT_SL = "(set-logic LIA)\n(synth-fun f ((x Int)) Int)\n(constraint (= (f 1) 2))\n(constraint (= (f 1) 3))\n" \
              "(check-synth)\n"


def test_synth_walks_like_verify_and_reads_its_settings(tmp_path: Path) -> None:
    pytest.importorskip("z3")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("ignored.sl\n")
    for name, text in {"a/max.sl": MAX2_SL, "a/ignored.sl": CONFLICT_SL, "build/b.sl": CONFLICT_SL,
                       "vendor/v.sl": CONFLICT_SL, "a/other.smt2": "(check-sat)\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "recursa.toml").write_text('synth-format = "table"\nextend-exclude = ["vendor"]\ntimeout = 20\n')
    r = cli("synth", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert "max.sl" in r.stdout and "1 file: 1 solved" in r.stdout  # a table, from the configuration file
    assert "ignored.sl" not in r.stdout and "b.sl" not in r.stdout and "v.sl" not in r.stdout
    r = cli("synth", "--format", "sygus", "--no-respect-gitignore", str(tmp_path / "a"))  # the flag wins
    assert r.exit_code == 1 and "(define-fun m" in r.stdout and "infeasible" in r.stdout
    (tmp_path / "recursa.toml").write_text('synth-format = "smt"\n')
    r = cli("synth", str(tmp_path / "a" / "max.sl"))
    assert r.exit_code == 2 and "recursa.toml" in r.stderr and "synth-format" in r.stderr


def test_synth_stdin_output_quiet_and_ctrl_c(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("z3")
    r = cli("synth", "-", input=MAX2_SL)
    assert r.exit_code == 0 and r.stdout.startswith("(define-fun m")
    r = cli("synth", "--format", "json", "-", "--stdin-filename", "mine.sl", input=CONFLICT_SL)
    assert r.exit_code == 1 and json.loads(r.stdout)["results"][0]["path"] == "mine.sl"
    (tmp_path / "max.sl").write_text(MAX2_SL)
    (tmp_path / "conflict.sl").write_text(CONFLICT_SL)
    out = tmp_path / "answers.txt"
    r = cli("synth", "--output", str(out), str(tmp_path))
    assert r.exit_code == 1 and r.stdout == "" and "2 files: 1 solved, 1 infeasible" in r.stderr
    assert "(define-fun m" in out.read_text() and "infeasible" in out.read_text()
    r = cli("synth", "--output", str(tmp_path / "max.sl"), str(tmp_path / "max.sl"))
    assert r.exit_code == 2 and "input file" in r.stderr and (tmp_path / "max.sl").read_text() == MAX2_SL
    r = cli("synth", "--format", "table", "--quiet", str(tmp_path))
    assert "conflict.sl" in r.stdout and "max.sl" not in r.stdout and "2 files:" in r.stdout

    import recursa.commands.synth as cmd

    real = cmd.solve_one

    def interrupted_on_second(item, *args):
        if str(item).endswith("max.sl"):
            raise KeyboardInterrupt
        return real(item, *args)

    monkeypatch.setattr(cmd, "solve_one", interrupted_on_second)
    r = cli("synth", str(tmp_path))
    assert r.exit_code == 130
    assert "infeasible" in r.stdout and "1 file: 1 infeasible" in r.stderr and "interrupted" in r.stderr


def test_analyze_honours_jobs_with_the_same_rows(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text(PROVED)
    (tmp_path / "b.py").write_text(TWO_FUNCS)
    (tmp_path / "c.c").write_text(VIOLATED)
    runs = [cli("analyze", "--ranker", "unguided", "--jobs", n, "--format", "json", str(tmp_path)) for n in "12"]
    docs = [json.loads(run.stdout) for run in runs]
    rows = [[(f["path"], f["name"], f["loops"], f["verdicts"]) for f in doc["functions"]] for doc in docs]
    assert runs[0].exit_code == runs[1].exit_code == 1
    assert rows[0] == rows[1] and len(rows[0]) == 4
    table = cli("analyze", "--ranker", "unguided", "--jobs", "2", str(tmp_path))
    assert table.exit_code == 1 and table.stdout.count("function ") == 1  # one header, rows of every file
    assert all(name in table.stdout for name in ("a.c:1 main", "b.py:1 good", "b.py:6 bad", "c.c:1 main"))


def test_verify_table_streams_each_function_as_it_finishes(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import recursa.refine.verify as engine

    real = engine.Verifier.verify_function

    def interrupted_on_bad(self, f, prog, file_tree=None):
        if f.name == "bad":  # Ctrl-C inside the file: only a row printed when good() finished survives
            raise KeyboardInterrupt
        return real(self, f, prog, file_tree)

    monkeypatch.setattr(engine.Verifier, "verify_function", interrupted_on_bad)
    (tmp_path / "two.py").write_text(TWO_FUNCS)
    r = verify(str(tmp_path / "two.py"))
    assert r.exit_code == 130 and "two.py:3:5  PROVED" in r.stdout and "interrupted: 1 assertion(s)" in r.stdout
    monkeypatch.setattr(engine.Verifier, "verify_function", real)
    r = verify(str(tmp_path / "two.py"))  # streamed and final rows agree: each once, nothing lost
    assert r.exit_code == 1 and r.stdout.count("two.py:3:5  PROVED") == 1 and r.stdout.count("two.py:8:5") == 1
