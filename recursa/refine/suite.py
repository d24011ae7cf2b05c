"""Running the invariant suite (``tasks/invariants/manifest.jsonl``) and summarising it.

``python -m recursa.refine.suite [--ranker default|unguided|DIR] [--budget N] [--json out.json]`` prints
proved / violated / unknown counts against the expected verdicts, time per program (median, mean) and
solver calls per program.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recursa.paths import TASKS_DIR
from recursa.refine.ice import Budget
from recursa.refine.rank import Ranker, load_ranker
from recursa.refine.verify import FileResult, Verifier, VerifyOptions

SUITE_DIR = TASKS_DIR / "invariants"


@dataclass(frozen=True)
class SuiteEntry:
    path: Path
    language: str
    int_semantics: str
    expected: str
    assertions: tuple[tuple[int, str], ...]
    tags: tuple[str, ...]


def load_manifest(directory: Path = SUITE_DIR) -> list[SuiteEntry]:
    out = []
    with open(directory / "manifest.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            d = json.loads(line)
            out.append(SuiteEntry(directory / d["path"], d["language"], d.get("int_semantics", "math"),
                                  d["expected"], tuple((a["line"], a["expected"]) for a in d["assertions"]),
                                  tuple(d.get("tags", ()))))
    return out


@dataclass
class EntryOutcome:
    entry: SuiteEntry
    result: FileResult
    wall_s: float
    correct: bool
    verdicts: dict[int, str]
    cpu_s: float = 0.0

    @property
    def solver_calls(self) -> int:
        per_function: dict[str, int] = {}
        for r in self.result.results:
            per_function[r.function] = max(per_function.get(r.function, 0), r.solver_calls)
        return sum(per_function.values())


@dataclass
class SuiteReport:
    ranker: str
    outcomes: list[EntryOutcome] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        counts = {"proved": 0, "violated": 0, "unknown": 0, "unsupported": 0}
        unsound = []
        wrong = []
        for o in self.outcomes:
            for verdict in o.verdicts.values():
                counts[verdict] = counts.get(verdict, 0) + 1
            expected = dict(o.entry.assertions)
            for line, verdict in o.verdicts.items():
                if verdict == "proved" and expected.get(line) == "violated":
                    unsound.append(f"{o.entry.path.name}:{line}")
            if not o.correct:
                wrong.append(f"{o.entry.path.name} [{o.entry.int_semantics}]")
        times = [o.wall_s for o in self.outcomes]
        cpu = [o.cpu_s for o in self.outcomes]
        calls = [o.solver_calls for o in self.outcomes]
        valid = [o for o in self.outcomes if o.entry.expected == "proved"]
        invalid = [o for o in self.outcomes if o.entry.expected == "violated"]
        return {
            "ranker": self.ranker,
            "programs": len(self.outcomes),
            "correct": sum(o.correct for o in self.outcomes),
            "valid_proved": sum(o.correct for o in valid), "valid_total": len(valid),
            "invalid_violated": sum(o.correct for o in invalid), "invalid_total": len(invalid),
            "assertion_verdicts": counts,
            "unsound": unsound,
            "wrong": wrong,
            "time_median_s": statistics.median(times) if times else 0.0,
            "time_mean_s": statistics.fmean(times) if times else 0.0,
            "time_max_s": max(times) if times else 0.0,
            "cpu_median_s": statistics.median(cpu) if cpu else 0.0,
            "cpu_mean_s": statistics.fmean(cpu) if cpu else 0.0,
            "solver_calls_median": statistics.median(calls) if calls else 0,
            "solver_calls_mean": statistics.fmean(calls) if calls else 0.0,
            "solver_calls_valid_mean": statistics.fmean([o.solver_calls for o in valid]) if valid else 0.0,
        }


def run_suite(ranker: Ranker | str = "default", options: VerifyOptions | None = None,
              directory: Path = SUITE_DIR, entries: list[SuiteEntry] | None = None, progress: bool = False
              ) -> SuiteReport:
    """Verify every manifest entry (each with its own integer semantics) and compare with expectations."""
    return run_suites([ranker], options, directory, entries, progress)[0]


def run_suites(rankers: list[Ranker | str], options: VerifyOptions | None = None, directory: Path = SUITE_DIR,
               entries: list[SuiteEntry] | None = None, progress: bool = False) -> list[SuiteReport]:
    """Like :func:`run_suite` for several rankers, interleaved program by program so that every ranker meets
    the same machine load (timings on a shared machine drift over minutes)."""
    options = options or VerifyOptions()
    loaded = [load_ranker(r) if isinstance(r, str) else r for r in rankers]
    verifiers = [{sem: Verifier(replace(options, int_semantics=sem), rk) for sem in ("math", "machine")}
                 for rk in loaded]
    reports = [SuiteReport(getattr(rk, "name", str(r))) for rk, r in zip(loaded, rankers)]
    entries = entries if entries is not None else load_manifest(directory)
    for v in verifiers:  # warm up (first calls pay for lazy initialisation) outside the measurements
        if entries:
            v[entries[0].int_semantics].verify_file(entries[0].path)
    for e in entries:
        for v, report in zip(verifiers, reports):
            start, cpu = time.perf_counter(), time.process_time()
            res = v[e.int_semantics].verify_file(e.path)
            wall, cpu_s = time.perf_counter() - start, time.process_time() - cpu
            verdicts = {r.line: r.verdict.value for r in res.results}
            correct = all(verdicts.get(line) == exp for line, exp in e.assertions)
            report.outcomes.append(EntryOutcome(e, res, wall, correct, verdicts, cpu_s))
            if progress:
                o = report.outcomes[-1]
                print(f"{'ok ' if correct else 'BAD'} {report.ranker:<9} {wall:6.3f}s {o.solver_calls:4d} calls  "
                      f"{e.path.name} [{e.int_semantics}] {verdicts}", flush=True)
    return reports


def compare(reports: list[SuiteReport]) -> dict[str, Any]:
    """Per-program solver calls of several rankers run at the same budget: totals and head-to-head counts."""
    out: dict[str, Any] = {"rankers": [r.ranker for r in reports], "summaries": [r.summary() for r in reports]}
    if len(reports) >= 2:
        a, b = reports[0], reports[1]
        pairs = [(x, y) for x, y in zip(a.outcomes, b.outcomes) if x.entry.path == y.entry.path]
        both = [(x, y) for x, y in pairs if x.correct and y.correct]
        out["head_to_head"] = {
            "programs_both_correct": len(both),
            f"fewer_calls_{a.ranker}": sum(x.solver_calls < y.solver_calls for x, y in both),
            f"fewer_calls_{b.ranker}": sum(y.solver_calls < x.solver_calls for x, y in both),
            "equal_calls": sum(x.solver_calls == y.solver_calls for x, y in both),
            f"calls_total_{a.ranker}": sum(x.solver_calls for x, _ in both),
            f"calls_total_{b.ranker}": sum(y.solver_calls for _, y in both),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ranker", action="append", default=None,
                    help="default, unguided or a model dir; repeat to compare rankers at the same budget")
    ap.add_argument("--budget", type=int, default=None, help="max solver calls per program in refinement")
    ap.add_argument("--pool", type=int, default=None, help="initial candidate pool per loop head")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--filter", default="")
    args = ap.parse_args(argv)
    budget = Budget()
    if args.budget is not None:
        budget = replace(budget, max_solver_calls=args.budget, calls_per_clause=0)
    if args.pool is not None:
        budget = replace(budget, initial_pool=args.pool)
    opts = VerifyOptions(timeout_s=args.timeout, budget=budget)
    entries = [e for e in load_manifest() if args.filter in str(e.path)]
    reports = run_suites(list(args.ranker or ["default"]), opts, entries=entries, progress=not args.quiet)
    result = compare(reports)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({**result, "programs": {r.ranker: [
            {"path": str(o.entry.path.relative_to(SUITE_DIR)), "int_semantics": o.entry.int_semantics,
             "correct": o.correct, "wall_s": o.wall_s, "cpu_s": o.cpu_s, "solver_calls": o.solver_calls,
             "verdicts": o.verdicts} for o in r.outcomes] for r in reports}}, indent=1))
    return 0 if not any(s["unsound"] for s in result["summaries"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
