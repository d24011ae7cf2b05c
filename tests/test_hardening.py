"""Regression tests for inputs that used to hang, traceback or be misreported, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from recursa.cli import main

VERIFY = ("verify", "--ranker", "unguided", "--format", "json", "--no-progress")


def _run(*args: str) -> tuple[int, str]:
    """Exit code and output (stdout and stderr); no traceback allowed."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _verify(*args: str) -> tuple[int, dict]:
    """Exit code and the JSON report of ``recursa verify``."""
    result = CliRunner().invoke(main, [*VERIFY, *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


# ---- deadlines ------------------------------------------------------------------------------------------


def test_verify_with_squaring_loop_ends_at_its_timeout(tmp_path: Path) -> None:
    """The random-run pre-pass used to compute 2**(2**k) forever; the run must end (killed here if not)."""
    src = tmp_path / "square.c"
    src.write_text("int main(){ int x = 2; while (x != 1) { x = x * x; } assert(x == 1); return 0; }\n")
    proc = subprocess.run([sys.executable, "-m", "recursa.cli", *VERIFY, "--timeout", "1", str(src)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 3
    (result,) = json.loads(proc.stdout)["results"]
    assert result["verdict"] == "unknown"
    assert "internal error" not in result["message"]


def test_interpreter_stops_on_runaway_values_and_deadline() -> None:
    from recursa.deadline import Deadline
    from recursa.symbolic.frontend import load_program
    from recursa.symbolic.interp import Interpreter, Outcome, RandomOracle

    prog = load_program(b"int main(){ int x = 2; while (x != 1) { x = x * x; } assert(x == 1); return 0; }",
                        "c")
    interp = Interpreter(prog.units[0].function)
    assert interp.run(RandomOracle(0), max_steps=10**9).outcome is Outcome.TOO_LARGE
    counting = load_program(b"int main(){ int x = 0; while (1) { x = x + 1; } return 0; }", "c")
    run = Interpreter(counting.units[0].function).run(RandomOracle(0), max_steps=10**12,
                                                      deadline=Deadline.after(0.0))
    assert run.outcome is Outcome.TIMEOUT


def test_deadline_gives_z3_the_time_left() -> None:
    from recursa.deadline import Deadline, DeadlineExceeded

    assert Deadline.after(0.2).z3_timeout_ms(5000) <= 200
    assert Deadline.after(60).z3_timeout_ms(5000) == 5000
    assert Deadline.after(-1).z3_timeout_ms() == 1
    with pytest.raises(DeadlineExceeded):
        Deadline.after(-1).check("test")


# ---- inputs that are not regular files --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_skipped_and_the_rest_is_parsed(tmp_path: Path) -> None:
    fifo = tmp_path / "x.c"
    os.mkfifo(fifo)
    good = tmp_path / "ok.c"
    good.write_text("int f(void) { return 1; }\n")
    result = CliRunner().invoke(main, ["parse", "--json", str(fifo), str(good)])
    assert result.exit_code == 2
    assert "not a regular file" in result.output
    assert '"path": "' + str(good) in result.output
    code, out = _run(*VERIFY, str(fifo))
    assert code == 2 and "not a regular file" in out


# ---- statements the compiler rejects ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "source", "where", "message"), [
    ("b.py", "def f():\n    break\n    assert 1 == 1\n", ":2:5", "'break' outside loop"),
    ("r.py", "return 1\nassert 1 == 1\n", ":1:1", "'return' outside function"),
    ("c.py", "def f():\n    while True:\n        def g():\n            continue\n    assert 1 == 1\n", ":4:13",
     "'continue' outside loop"),
    ("b.c", "int g(void){ int x = 0; break; assert(x == 0); return 0; }\n", ":1:25", "'break' outside loop"),
])
def test_jump_outside_its_construct_is_a_syntax_error(tmp_path: Path, name: str, source: str, where: str,
                                                      message: str) -> None:
    path = tmp_path / name
    path.write_text(source)
    code, report = _verify(str(path))
    assert code == 2
    (error,) = report["errors"]
    assert message in error["message"] and f":{error['line']}:{error['column']}" == where


def test_legal_jumps_are_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "ok.c"
    path.write_text("int f(int n){ int i = 0; while (i < n) { if (i > 3) break; i++; continue; }\n"
                    "  switch (n) { case 1: break; } do { break; } while (1); assert(i >= 0); return i; }\n")
    code, report = _verify("--timeout", "2", str(path))
    assert code != 2, report["errors"]


def test_constants_beyond_int64_are_handled_exactly(tmp_path: Path) -> None:
    path = tmp_path / "big.c"
    path.write_text("int main(){ int x = 0; while (x < 10) { x = x + 1; }\n"
                    "  assert(x != 9223372036854775808); assert(x < 100000000000000000000000); return 0; }\n")
    code, report = _verify("--timeout", "5", str(path))
    assert code == 0, report
    assert {r["verdict"] for r in report["results"]} == {"proved"}


def test_exact_truth_table_agrees_with_python_ints() -> None:
    import numpy as np

    from recursa.refine.candidates import Atom, atom_truth

    atoms = [Atom((("x", 1),), "le", 2**63), Atom((("x", 2**70),), "ge", 2**71), Atom((("x", 3),), "eq", 6)]
    data = np.array([[1], [2], [3]], np.int64)
    want = [[x <= 2**63, x * 2**70 >= 2**71, 3 * x == 6] for x in (1, 2, 3)]
    assert atom_truth(atoms, ["x"], data, False).tolist() == want


# ---- eval: data and checkpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "expect"), [
    ("sup.tsv", "²\t[MAX 1 2 ]\n", "sup.tsv:1"),
    ("big.tsv", f"{2**63}\t[MAX 1 2 ]\n", "big.tsv:1: label must be an integer from 0 to"),
    ("depth.jsonl", f'{{"source": "[MAX 1 2 ]", "language": "listops", "label": 2, "depth": {2**63}}}\n',
     "depth.jsonl:1: depth must be an integer from 0 to"),
])
def test_eval_rejects_bad_labels_with_file_and_line(tmp_path: Path, name: str, content: str, expect: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out = _run("eval", str(path))
    assert code == 2
    assert expect in out


@pytest.mark.parametrize("damage", ["truncated", "empty", "random"])
def test_eval_names_a_damaged_checkpoint(tmp_path: Path, damage: str) -> None:
    from recursa.paths import DEFAULT_MODEL_DIR

    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "config.json").write_bytes((DEFAULT_MODEL_DIR / "config.json").read_bytes())
    weights = (DEFAULT_MODEL_DIR / "model.safetensors").read_bytes()
    data = {"truncated": weights[: len(weights) // 2], "empty": b"", "random": os.urandom(4096)}[damage]
    (ckpt / "model.safetensors").write_bytes(data)
    sample = tmp_path / "d.tsv"
    sample.write_text("7\t[MAX 1 7 2 ]\n")
    code, out = _run("eval", str(sample), "--checkpoint", str(ckpt))
    assert code == 2
    assert "model.safetensors: damaged weights file" in out


# ---- train: options checked before anything is written ----------------------------------------------------

TRAIN = ("train", "listops", "--steps", "1", "--train-size", "16", "--batch-size", "8", "--no-progress",
         "--device", "cpu", "--checkpoint-every", "1")


def test_train_refuses_a_directory_of_someone_elses_files(tmp_path: Path) -> None:
    out_dir = tmp_path / "mine"
    out_dir.mkdir()
    (out_dir / "config.json").write_text('{"mine": true}')
    code, out = _run(*TRAIN, "-o", str(out_dir))
    assert code == 2 and "holds no recursa run" in out
    assert sorted(p.name for p in out_dir.iterdir()) == ["config.json"]
    assert (out_dir / "config.json").read_text() == '{"mine": true}'


@pytest.mark.parametrize(("option", "expect"), [
    (("--depths", "banana"), "--depths: bad depth range"),
    (("--depths", "9-3"), "--depths: bad depth range"),
    (("--set", "max_iter=abc"), "max_iter must be an integer"),
])
def test_train_rejects_bad_options_before_writing(tmp_path: Path, option: tuple[str, str], expect: str) -> None:
    out_dir = tmp_path / "run"
    code, out = _run(*TRAIN, "-o", str(out_dir), *option)
    assert code == 2 and expect in out
    assert not out_dir.exists()


def test_train_reports_a_bad_data_file_before_writing(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"source": "[MAX 1 2 ]", "language": "listops", "label": 2}\n{"broken\n')
    out_dir = tmp_path / "run"
    code, out = _run("train", str(data), *TRAIN[2:], "-o", str(out_dir))
    assert code == 2 and "bad.jsonl:2" in out
    assert not out_dir.exists()


def test_train_run_that_failed_before_its_first_checkpoint_starts_again(tmp_path: Path) -> None:
    # a run killed before its first checkpoint leaves only train_config.json behind
    done, out_dir = tmp_path / "done", tmp_path / "run"
    code, out = _run(*TRAIN, "-o", str(done))
    assert code == 0, out
    out_dir.mkdir()
    (out_dir / "train_config.json").write_text((done / "train_config.json").read_text())
    code, out = _run(*TRAIN, "-o", str(out_dir), "--resume")
    assert code == 2 and "run without --resume" in out
    code, out = _run(*TRAIN, "-o", str(out_dir))
    assert code == 0, out
    summary = next(line for line in out.splitlines() if line.startswith("{"))
    assert json.loads(summary)["step"] == 1


# ---- huge files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["c", "python"])
def test_chunked_parse_report_equals_whole_file_report(monkeypatch: pytest.MonkeyPatch, language: str) -> None:
    """A huge file is parsed in pieces; its report must be the one the whole-file parse gives, also when a
    cut falls inside a multi-line string or comment (then the file is parsed whole)."""
    from recursa.commands import parse as parse_cmd
    from recursa.paths import EXAMPLES_DIR
    from recursa.trees import chunks
    from recursa.trees.languages import get_language

    ext = ".c" if language == "c" else ".py"
    base = b"\n".join(p.read_bytes() for p in sorted(EXAMPLES_DIR.glob(f"*{ext}")))
    tricky = (b"/* a comment\nint not_code(void) { return 0; }\n*/\n" if language == "c"
              else b's = """\ndef not_code():\n    pass\n"""\n')
    lang = get_language(language)
    for source in (base * 20, base * 10 + tricky + base * 10):
        monkeypatch.setattr(chunks, "CHUNK_THRESHOLD", 1 << 60)
        whole = parse_cmd.report_file("f", lang, source).to_json()
        monkeypatch.setattr(chunks, "CHUNK_THRESHOLD", 0)
        monkeypatch.setattr(chunks, "CHUNK_BYTES", 256)
        assert chunks.split_top_level(source, language, 256) is not None
        assert parse_cmd.report_file("f", lang, source).to_json() == whole


@pytest.mark.parametrize("language", ["c", "python"])
def test_function_trees_of_a_huge_file_equal_the_whole_file_cut(monkeypatch: pytest.MonkeyPatch,
                                                                 language: str) -> None:
    """verify parses a huge file chunk by chunk for the ranker; each function's subtree must be the one the
    whole-file tree gives (same nodes, kinds, tokens and file byte offsets)."""
    import numpy as np

    from recursa.paths import EXAMPLES_DIR
    from recursa.refine.context import subtree
    from recursa.refine.verify import _FunctionTrees
    from recursa.symbolic.frontend import load_program
    from recursa.trees import chunks

    ext = ".c" if language == "c" else ".py"
    source = b"\n".join(p.read_bytes() for p in sorted(EXAMPLES_DIR.glob(f"*{ext}"))) * 8
    prog = load_program(source, language)
    monkeypatch.setattr(chunks, "CHUNK_THRESHOLD", 0)
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 512)
    chunked = _FunctionTrees(prog)
    monkeypatch.setattr(chunks, "CHUNK_THRESHOLD", 1 << 60)
    whole = _FunctionTrees(prog)
    assert chunked.chunks is not None and len(chunked.chunks) > 4
    for unit in prog.units:
        a = subtree(chunked.around(unit), unit.start_byte, unit.end_byte)
        b = subtree(whole.around(unit), unit.start_byte, unit.end_byte)
        for name in ("parent", "kind", "token", "named", "start_byte", "end_byte", "depth"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (unit.name, name)
        assert [x.tolist() for x in a.lines] == [x.tolist() for x in b.lines]
    assert chunked.whole is None  # never fell back to the whole file
