"""``recursa bench synth``: recursa (guided and unguided) against cvc5 on the same SyGuS files, in one run.

Files run one at a time (each cvc5 run is a child process killed at the deadline), so the figures mean the
same on a 2-core machine as on a large one. Every answer, recursa's and cvc5's, is re-checked here with a
fresh Z3 solver from its SMT-LIB text, independently of the engine's own check; an answer that fails, or a
status that contradicts the folder's ``manifest.jsonl``, is flagged loudly and makes the exit code 1.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from recursa.commands.bench_common import echo_flags, echo_progress, end_progress, manifest_entries
from recursa.commands.guide_ablations import Comparison
from recursa.synth.problem import Problem, SynthOptions, SynthResult, SynthStatus


@dataclass(frozen=True)
class Expectation:
    kind: str
    expected: SynthStatus | None  # from the manifest; None when the file is not listed


@dataclass
class Run:
    path: str
    kind: str
    expected: SynthStatus | None
    solver: str  # "recursa/none", "recursa/reasoner", "cvc5"
    result: SynthResult
    recheck: str = ""  # "ok" | "wrong" | "unknown" for solved answers
    flags: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"solver": self.solver, "kind": self.kind,
                "expected": self.expected.value if self.expected else None, "recheck": self.recheck or None,
                "flags": self.flags, **self.result.to_json()}


@dataclass(frozen=True)
class Row:
    """One solver on one kind of problem (``kind`` "all" sums the kinds)."""

    solver: str
    kind: str
    files: int
    solved: int
    infeasible: int
    unknown: int
    errors: int  # error + unsupported
    median_s: float | None  # over solved and infeasible answers
    mean_s: float | None
    candidates: int
    solver_calls: int

    @classmethod
    def of(cls, solver: str, kind: str, runs: Sequence[Run]) -> Row:
        statuses = [r.result.status for r in runs]
        decided = [r.result.time_s for r in runs if r.result.status in (SynthStatus.SOLVED, SynthStatus.INFEASIBLE)]
        return cls(solver, kind, len(runs), statuses.count(SynthStatus.SOLVED), statuses.count(SynthStatus.INFEASIBLE),
                   statuses.count(SynthStatus.UNKNOWN),
                   statuses.count(SynthStatus.ERROR) + statuses.count(SynthStatus.UNSUPPORTED),
                   statistics.median(decided) if decided else None, statistics.fmean(decided) if decided else None,
                   sum(r.result.candidates for r in runs), sum(r.result.solver_calls for r in runs))

    def to_json(self) -> dict[str, Any]:
        return {"solver": self.solver, "kind": self.kind, "files": self.files, "solved": self.solved,
                "infeasible": self.infeasible, "unknown": self.unknown, "errors": self.errors,
                "median_s": None if self.median_s is None else round(self.median_s, 4),
                "mean_s": None if self.mean_s is None else round(self.mean_s, 4),
                "candidates": self.candidates, "solver_calls": self.solver_calls}


def expectations(path: str, cache: dict[Path, dict[str, dict[str, Any]]]) -> Expectation:
    """Kind and expected status of ``path`` from ``manifest.jsonl`` beside it (kind = folder name otherwise)."""
    p = Path(path)
    folder = p.parent
    if folder not in cache:
        cache[folder] = manifest_entries(folder, "file")
    entry = cache[folder].get(p.name, {})
    expected = entry.get("expected")
    status = SynthStatus(expected) if expected in ("solved", "infeasible") else None
    return Expectation(str(entry.get("kind") or folder.name), status)


def recheck(problem: Problem, define_funs: list[str]) -> str:
    """Z3, fresh solver, on the SMT-LIB query "the negated specification with these define-funs": "ok" when
    unsat, "wrong" when sat, "unknown" otherwise (including text Z3 cannot read)."""
    import z3

    from recursa.synth.cvc5_runner import check_query

    solver = z3.Solver()
    solver.set("timeout", 30_000)
    try:
        solver.add(z3.parse_smt2_string(check_query(problem, define_funs)))
    except z3.Z3Exception:
        return "unknown"
    answer = solver.check()
    return "ok" if answer == z3.unsat else "wrong" if answer == z3.sat else "unknown"


def run_one(path: str, solver: str, problem: Problem | None, read_error: SynthResult | None,
            timeout_s: float, seed: int) -> SynthResult:
    if solver == "cvc5":
        from recursa.synth.cvc5_runner import run_cvc5

        return run_cvc5(path, timeout_s)
    if read_error is not None:
        return read_error
    from recursa.commands.synth import solve_file

    guide = solver.split("/", 1)[1]
    _, result = solve_file(path, SynthOptions(timeout_s=timeout_s, guide=guide, seed=seed))
    return result


def judge(run: Run, problem: Problem | None) -> None:
    """Re-check a solved answer and compare the status with the manifest."""
    result = run.result
    if result.status is SynthStatus.SOLVED and problem is not None:
        from recursa.synth.cvc5_runner import Cvc5Result

        texts = [s.text() for s in result.solutions]
        if isinstance(result, Cvc5Result) and result.solution_text:
            texts = [result.solution_text]
        run.recheck = recheck(problem, texts) if texts else "unknown"
        if run.recheck == "wrong":
            run.flags.append("WRONG ANSWER: Z3 finds a counterexample")
    decided = (SynthStatus.SOLVED, SynthStatus.INFEASIBLE)
    if run.expected is not None and result.status in decided and result.status is not run.expected:
        run.flags.append(f"CONTRADICTS MANIFEST: {result.status.value}, expected {run.expected.value}")


@dataclass(frozen=True)
class Guidance:
    """recursa with the reasoner's guide against recursa without (a :class:`Comparison`), and the warm-start
    iterations the guided runs saved (summed over every guided run; 0 when the guide re-solved nothing warm)."""

    comparison: Comparison
    warm_iterations_saved: int

    @classmethod
    def of(cls, runs: Sequence[Run]) -> Guidance | None:
        by = {s: {r.path: r.result for r in runs if r.solver == s} for s in ("recursa/none", "recursa/reasoner")}
        a, b = by["recursa/none"], by["recursa/reasoner"]
        if not a or not b:
            return None
        saved = sum(int((r.stats.get("guide") or {}).get("warm_iterations_saved", 0) or 0) for r in b.values())
        outcome = {p: (r.status, r.candidates, r.time_s) for p, r in a.items()}
        return cls(Comparison.of(outcome, {p: (r.status, r.candidates, r.time_s) for p, r in b.items()}), saved)

    def line(self) -> str:
        c = self.comparison
        return (f"guidance on the {c.both} files both solve: {c.geo_mean_fewer:.2f}x fewer candidates per "
                f"file (geometric mean), {c.total_fewer:.2f}x in total ({c.candidates_base} vs "
                f"{c.candidates_guided}); fewer on {c.fewer}, more on {c.more}; mean time "
                f"{c.mean_s_base:.3f} s unguided vs {c.mean_s_guided:.3f} s guided; lost {c.lost}, won "
                f"{c.won}; warm-start iterations saved {self.warm_iterations_saved}")

    def to_json(self) -> dict[str, Any]:
        c = self.comparison
        return {"both": c.both, "lost": c.lost, "won": c.won, "candidates_none": c.candidates_base,
                "candidates_reasoner": c.candidates_guided, "geo_mean_fewer": round(c.geo_mean_fewer, 4),
                "fewer": c.fewer, "more": c.more, "mean_s_none": round(c.mean_s_base, 4),
                "mean_s_reasoner": round(c.mean_s_guided, 4), "warm_iterations_saved": self.warm_iterations_saved}


def only_in(runs: Sequence[Run], a: str, b: str) -> list[str]:
    solved = {s: {r.path for r in runs if r.solver == s and r.result.status is SynthStatus.SOLVED} for s in (a, b)}
    return sorted(solved[a] - solved[b])


def describe(rows: Sequence[Row], runs: Sequence[Run], solvers: Sequence[str], seconds: float) -> str:
    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    lines = [f"{'solver':<18}{'kind':<10}{'files':>6}{'solved':>8}{'infeas':>8}{'unknown':>8}{'errors':>7}"
             f"{'median s':>10}{'mean s':>9}{'candidates':>12}{'Z3 calls':>10}"]
    for r in rows:
        lines.append(f"{r.solver:<18}{r.kind:<10}{r.files:>6}{r.solved:>8}{r.infeasible:>8}{r.unknown:>8}"
                     f"{r.errors:>7}{num(r.median_s):>10}{num(r.mean_s):>9}{r.candidates:>12}{r.solver_calls:>10}")
    lines.append("(times: median and mean over solved + infeasible answers; candidates and Z3 calls: totals)")
    for a in solvers:
        for b in solvers:
            if a != b and "cvc5" in (a, b):
                names = only_in(runs, a, b)
                shown = ", ".join(Path(n).name for n in names[:12]) + (" ..." if len(names) > 12 else "")
                lines.append(f"solved by {a} but not {b}: {len(names)}" + (f" ({shown})" if names else ""))
    guidance = Guidance.of(runs)
    if guidance is not None:
        lines.append(guidance.line())
    unguided = [r for r in runs if r.solver == "recursa/reasoner" and r.result.guide != "reasoner"]
    if unguided:  # the engine falls back to uniform order when no reasoner guide is available: say so
        lines.append(f"note: recursa/reasoner ran without the reasoner's guidance on {len(unguided)} file(s) "
                     f"(the engine reported guide={unguided[0].result.guide!r})")
    flagged = [r for r in runs if r.flags]
    if flagged:
        lines.append(f"!!! {len(flagged)} PROBLEM(S) FLAGGED !!!")
        lines += [f"!!! {r.solver}: {r.path}: {'; '.join(r.flags)}" for r in flagged]
    else:
        lines.append("every answer re-checked by Z3; no status contradicts a manifest")
    lines.append(f"total {seconds:.1f} s")
    return "\n".join(lines)


@click.command("synth")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--against", type=click.Choice(["cvc5"]), default=None, help="Also run cvc5 on every file.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.01), default=10.0, show_default=True,
              help="Seconds per file and solver.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: rows, runs, flags.")
@click.option("--guide", type=click.Choice(["both", "reasoner", "none"]), default="both", show_default=True,
              help="Which recursa configurations to run.")
@click.option("--seed", type=int, default=0, show_default=True)
def bench_synth(paths: tuple[str, ...], against: str | None, timeout_s: float, as_json: bool, guide: str,
                seed: int) -> None:
    """Solved / infeasible / unknown / errors, times, candidates and Z3 calls per solver and kind; which files
    one solver solves and the other does not. Exit code 1 when an answer is wrong or contradicts a manifest."""
    from recursa.commands.synth import collect_sl, read

    solvers = [f"recursa/{g}" for g in (("none", "reasoner") if guide == "both" else (guide,))]
    if against == "cvc5":
        from recursa.synth.cvc5_runner import INSTALL_HINT, cvc5_available

        if not cvc5_available():
            click.echo(f"recursa bench synth: --against cvc5: {INSTALL_HINT}", err=True)
            sys.exit(2)
        solvers.append("cvc5")
    items = collect_sl(paths)
    bad = [i for i in items if isinstance(i, SynthResult)]
    for b in bad:
        click.echo(f"recursa bench synth: {b.message}", err=True)
    files = [i for i in items if isinstance(i, str)]
    if not files:
        sys.exit(2)
    start = time.perf_counter()
    cache: dict[Path, dict[str, dict[str, Any]]] = {}
    runs: list[Run] = []
    for index, path in enumerate(files):
        exp = expectations(path, cache)
        problem = read(path)
        read_error = problem if isinstance(problem, SynthResult) else None
        problem = None if read_error is not None else problem
        for solver in solvers:
            run = Run(path, exp.kind, exp.expected, solver, run_one(path, solver, problem, read_error, timeout_s, seed))
            judge(run, problem)
            echo_flags(solver, path, run.flags)
            runs.append(run)
        echo_progress(index + 1, len(files), as_json)
    seconds = time.perf_counter() - start
    kinds = sorted({r.kind for r in runs})
    rows = [Row.of(s, k, [r for r in runs if r.solver == s and r.kind == k]) for s in solvers for k in kinds]
    rows += [Row.of(s, "all", [r for r in runs if r.solver == s]) for s in solvers]
    guidance = Guidance.of(runs)
    if as_json:
        pairs = {f"{a} not {b}": only_in(runs, a, b) for a in solvers for b in solvers if a != b and "cvc5" in (a, b)}
        click.echo(json.dumps({"timeout_s": timeout_s, "solvers": solvers, "rows": [r.to_json() for r in rows],
                               "solved_only_by": pairs, "guidance": None if guidance is None else guidance.to_json(),
                               "flagged": [r.to_json() for r in runs if r.flags],
                               "runs": [r.to_json() for r in runs], "time_s": round(seconds, 2)}, ensure_ascii=True))
    else:
        end_progress()
        click.echo(describe(rows, runs, solvers, seconds))
    sys.exit(1 if any(r.flags for r in runs) else 2 if bad else 0)
