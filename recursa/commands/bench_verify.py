"""``recursa bench verify``: invariant inference side by side in one run: the reasoner against the unguided
grammar order, and re-scoring after counterexamples against scoring once.

Every configuration verifies every file, interleaved file by file (so each meets the same machine load), at
the same solver budget. A verdict that contradicts the ``manifest.jsonl`` the file is listed in (searched in
its folder and the folders above, as in ``tasks/invariants/``) is flagged, and a *proved* where the manifest
expects *violated* (unsound) makes the exit code 1. Files not in a manifest count in every total except
"correct".
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from recursa.commands.bench_common import echo_flags, echo_progress, end_progress, manifest_entries

CONFIGS = ("reasoner", "reasoner+rescore", "unguided")
SUFFIXES = (".c", ".py")


@dataclass(frozen=True)
class Expected:
    """What a manifest says about one file (None when the file is not listed)."""

    int_semantics: str = "math"
    assertions: tuple[tuple[int, str], ...] = ()
    listed: bool = False


@dataclass
class FileRun:
    path: str
    config: str
    verdicts: dict[int, str]
    solver_calls: int
    candidates: int
    rescorings: int
    wall_s: float
    error: str = ""
    flags: list[str] = field(default_factory=list)
    correct: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "config": self.config, "verdicts": {str(k): v for k, v in self.verdicts.items()},
                "solver_calls": self.solver_calls, "candidates": self.candidates, "rescorings": self.rescorings,
                "wall_s": round(self.wall_s, 5), "error": self.error or None, "flags": self.flags,
                "correct": self.correct}


@dataclass(frozen=True)
class Row:
    """One configuration over all files."""

    config: str
    files: int
    proved: int
    violated: int
    unknown: int
    unsupported: int
    errors: int
    correct: int
    listed: int
    unsound: int
    solver_calls: int
    candidates: int
    rescorings: int
    median_s: float
    mean_s: float

    @classmethod
    def of(cls, config: str, runs: Sequence[FileRun]) -> Row:
        verdicts = [v for r in runs for v in r.verdicts.values()]
        times = [r.wall_s for r in runs] or [0.0]
        return cls(config, len(runs), verdicts.count("proved"), verdicts.count("violated"), verdicts.count("unknown"),
                   verdicts.count("unsupported"), sum(bool(r.error) for r in runs),
                   sum(r.correct is True for r in runs), sum(r.correct is not None for r in runs),
                   sum(any(f.startswith("unsound") for f in r.flags) for r in runs),
                   sum(r.solver_calls for r in runs), sum(r.candidates for r in runs),
                   sum(r.rescorings for r in runs), statistics.median(times), statistics.fmean(times))

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["median_s"], out["mean_s"] = round(self.median_s, 5), round(self.mean_s, 5)
        return out


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator`` configurations, each figure as a ratio (< 1: the numerator needs less)."""

    name: str
    solver_calls: float | None
    candidates: float | None
    median_s: float | None
    mean_s: float | None

    @classmethod
    def of(cls, name: str, a: Row, b: Row) -> Ratio:
        def div(x: float, y: float) -> float | None:
            return round(x / y, 3) if y else None

        return cls(name, div(a.solver_calls, b.solver_calls), div(a.candidates, b.candidates),
                   div(a.median_s, b.median_s), div(a.mean_s, b.mean_s))

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def collect(paths: Sequence[str]) -> tuple[list[Path], list[str]]:
    """The C and Python files under ``paths`` (directories recursively, sorted), and messages for the rest."""
    files: list[Path] = []
    bad: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in SUFFIXES))
        elif p.is_file():
            if p.suffix in SUFFIXES:
                files.append(p)
            else:
                bad.append(f"{raw}: not a C (.c) or Python (.py) file")
        else:
            bad.append(f"{raw}: no such file or directory")
    return list(dict.fromkeys(files)), bad


def expectations(path: Path, cache: dict[Path, dict[Path, Expected]]) -> Expected:
    """The entry for ``path`` in the nearest ``manifest.jsonl`` (its folder or up to three folders above)."""
    target = path.resolve()
    for folder in list(target.parents)[:4]:
        if folder not in cache:
            cache[folder] = {(folder / name).resolve(): _expected(d)
                             for name, d in manifest_entries(folder, "path").items()}
        if target in cache[folder]:
            return cache[folder][target]
    return Expected()


def _expected(entry: dict[str, Any]) -> Expected:
    asserts = tuple((int(a["line"]), str(a["expected"])) for a in entry.get("assertions", ())
                    if isinstance(a, dict) and "line" in a and "expected" in a)
    return Expected(str(entry.get("int_semantics", "math")), asserts, True)


def judge(run: FileRun, exp: Expected) -> None:
    if not exp.listed:
        return
    run.correct = all(run.verdicts.get(line) == want for line, want in exp.assertions)
    for line, want in exp.assertions:
        got = run.verdicts.get(line)
        if got == "proved" and want == "violated":
            run.flags.append(f"unsound: line {line} proved, manifest says violated")
        elif got == "violated" and want == "proved":
            run.flags.append(f"line {line} violated, manifest says proved")


def describe(rows: Sequence[Row], ratios: Sequence[Ratio], seconds: float) -> str:
    head = (f"{'config':<18}{'files':>6}{'proved':>8}{'violated':>9}{'unknown':>8}{'correct':>9}{'unsound':>8}"
            f"{'calls':>8}{'cands':>8}{'rescore':>8}{'median s':>10}{'mean s':>9}")
    lines = [head]
    for r in rows:
        lines.append(f"{r.config:<18}{r.files:>6}{r.proved:>8}{r.violated:>9}{r.unknown:>8}"
                     f"{f'{r.correct}/{r.listed}':>9}{r.unsound:>8}{r.solver_calls:>8}{r.candidates:>8}"
                     f"{r.rescorings:>8}{r.median_s:>10.4f}{r.mean_s:>9.4f}")
    lines.append("")
    for q in ratios:
        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.3f}"

        lines.append(f"{q.name}: solver calls x{f(q.solver_calls)}, candidates x{f(q.candidates)}, "
                     f"median time x{f(q.median_s)}, mean time x{f(q.mean_s)}")
    lines.append(f"total {seconds:.1f} s")
    return "\n".join(lines)


@click.command("verify")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.01), default=10.0, show_default=True,
              help="Seconds per function.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: rows, ratios, runs.")
@click.option("--budget", type=click.IntRange(min=1), default=None, help="Max solver calls per refinement.")
def bench_verify(paths: tuple[str, ...], timeout_s: float, as_json: bool, budget: int | None) -> None:
    """Proved / violated / unknown, solver calls, candidates tried and wall time per configuration
    (reasoner, reasoner re-scoring after counterexamples, unguided), with their ratios. Exit code 1 when a
    verdict is unsound against a manifest, 2 when no file could be read."""
    from recursa.refine.ice import Budget
    from recursa.refine.rank import load_ranker
    from recursa.refine.verify import Verifier, VerifyOptions

    files, bad = collect(paths)
    for b in bad:
        click.echo(f"recursa bench verify: {b}", err=True)
    if not files:
        sys.exit(2)
    base = Budget() if budget is None else replace(Budget(), max_solver_calls=budget, calls_per_clause=0)
    reasoner = load_ranker("default")
    unguided = load_ranker("unguided")
    setups = {"reasoner": (reasoner, False), "reasoner+rescore": (reasoner, True), "unguided": (unguided, False)}
    verifiers: dict[tuple[str, str], Verifier] = {}

    def verifier(config: str, semantics: str) -> Verifier:
        key = (config, semantics)
        if key not in verifiers:
            ranker, rescore = setups[config]
            opts = VerifyOptions(timeout_s=timeout_s, int_semantics=semantics, budget=replace(base, rescore=rescore))
            verifiers[key] = Verifier(opts, ranker)
        return verifiers[key]

    cache: dict[Path, dict[Path, Expected]] = {}
    runs: list[FileRun] = []
    start = time.perf_counter()
    warm = {c: False for c in CONFIGS}
    for index, path in enumerate(files):
        exp = expectations(path, cache)
        for config in CONFIGS:
            v = verifier(config, exp.int_semantics)
            if not warm[config]:  # lazy initialisation outside the measurements
                v.verify_file(path)
                warm[config] = True
            t0 = time.perf_counter()
            res = v.verify_file(path)
            wall = time.perf_counter() - t0
            per_function: dict[str, tuple[int, int, int]] = {}
            for r in res.results:
                st = r.stats.get("refine", {}) if isinstance(r.stats, dict) else {}
                per_function[r.function] = (max(per_function.get(r.function, (0, 0, 0))[0], r.solver_calls),
                                            int(st.get("candidates_tried", 0)), int(st.get("rescorings", 0)))
            run = FileRun(str(path), config, {r.line: r.verdict.value for r in res.results},
                          sum(x[0] for x in per_function.values()), sum(x[1] for x in per_function.values()),
                          sum(x[2] for x in per_function.values()), wall,
                          error=str(res.error) if res.error is not None else "")
            judge(run, exp)
            echo_flags(config, path, run.flags)
            runs.append(run)
        echo_progress(index + 1, len(files), as_json)
    seconds = time.perf_counter() - start
    rows = {c: Row.of(c, [r for r in runs if r.config == c]) for c in CONFIGS}
    ratios = [Ratio.of("reasoner / unguided", rows["reasoner"], rows["unguided"]),
              Ratio.of("rescore / score once", rows["reasoner+rescore"], rows["reasoner"])]
    if as_json:
        click.echo(json.dumps({"timeout_s": timeout_s, "configs": list(CONFIGS),
                               "rows": [r.to_json() for r in rows.values()], "ratios": [q.to_json() for q in ratios],
                               "runs": [r.to_json() for r in runs], "time_s": round(seconds, 2)}, ensure_ascii=True))
    else:
        end_progress()
        click.echo(describe(list(rows.values()), ratios, seconds))
    sys.exit(1 if any(r.unsound for r in rows.values()) else 2 if bad else 0)
