"""The ``manifest.jsonl`` reader that ``recursa bench synth`` and ``recursa bench verify`` share, and what each
makes of an entry."""

from __future__ import annotations

from pathlib import Path

from recursa.commands.bench_common import manifest_entries
from recursa.commands.bench_synth import expectations as synth_expectations
from recursa.commands.bench_verify import Expected
from recursa.commands.bench_verify import expectations as verify_expectations
from recursa.synth.problem import SynthStatus


def test_entries_by_key_skip_what_is_not_an_object_with_that_key(tmp_path: Path) -> None:
    (tmp_path / "manifest.jsonl").write_text(
        '{"file": "a.sl", "expected": "solved"}\n'
        "\n"
        "not json\n"
        '["a list"]\n'
        '{"file": 3}\n'
        '{"path": "b.sl"}\n'
        '{"file": "a.sl", "expected": "infeasible"}\n'
        '{"file": "c.sl"}\n', encoding="utf-8")
    assert manifest_entries(tmp_path, "file") == {"a.sl": {"file": "a.sl", "expected": "infeasible"},
                                                   "c.sl": {"file": "c.sl"}}
    assert manifest_entries(tmp_path, "path") == {"b.sl": {"path": "b.sl"}}
    assert manifest_entries(tmp_path / "elsewhere", "file") == {}


def test_bench_synth_reads_kind_and_expected_status_beside_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "bv"
    folder.mkdir()
    (folder / "manifest.jsonl").write_text('{"file": "x.sl", "kind": "lia", "expected": "solved"}\n'
                                           '{"file": "y.sl", "expected": "unknown"}\n', encoding="utf-8")
    cache: dict[Path, dict[str, dict[str, object]]] = {}
    x = synth_expectations(str(folder / "x.sl"), cache)
    assert (x.kind, x.expected) == ("lia", SynthStatus.SOLVED)
    y = synth_expectations(str(folder / "y.sl"), cache)
    assert (y.kind, y.expected) == ("bv", None)  # no kind: the folder's name; only solved/infeasible count
    assert list(cache) == [folder]


def test_bench_verify_finds_the_nearest_manifest_above_the_file(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "manifest.jsonl").write_text(
        '{"path": "c/a.c", "int_semantics": "machine", "assertions": [{"line": 4, "expected": "proved"}, '
        '{"line": "x"}, {"line": 9, "expected": "violated"}]}\n', encoding="utf-8")
    cache: dict[Path, dict[Path, Expected]] = {}
    assert verify_expectations(tmp_path / "c" / "a.c", cache) == Expected(
        "machine", ((4, "proved"), (9, "violated")), True)
    assert verify_expectations(tmp_path / "c" / "other.c", cache) == Expected()
