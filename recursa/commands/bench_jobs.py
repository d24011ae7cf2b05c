"""``recursa bench jobs``: wall time of ``recursa verify --jobs N`` against ``--jobs 1`` on the same files.

Both runs are the real command line (a fresh process each, start-up included), back to back on the same
files; the verdicts must be the same assertion for assertion. A timeout under load may turn a verdict into
*unknown* in one run only (reported); proved in one run and violated in the other exits 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from recursa.paths import TASKS_DIR


@dataclass(frozen=True)
class Run:
    jobs: int
    wall_s: float
    exit_code: int
    verdicts: tuple[tuple[str, int, str], ...]  # (path, line, verdict) in output order


def run_verify(paths: list[str], jobs: int, timeout: float, ranker: str) -> Run:
    cmd = [sys.executable, "-m", "recursa.cli", "verify", "--format", "json", "--jobs", str(jobs),
           "--timeout", str(timeout), "--ranker", ranker, "--no-progress", *paths]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    try:
        results = json.loads(proc.stdout)["results"]
    except (json.JSONDecodeError, KeyError):
        raise click.ClickException(f"verify --jobs {jobs} printed no report (exit {proc.returncode}): "
                                   f"{proc.stderr.strip()[-500:]}") from None
    return Run(jobs, wall, proc.returncode, tuple((r["path"], r["line"], r["verdict"]) for r in results))


@click.command("jobs")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--jobs", "-j", "jobs", type=click.IntRange(min=2), default=2, show_default=True,
              help="Workers of the parallel run (compared with --jobs 1).")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per function.")
@click.option("--ranker", default="default", show_default=True, help="As for recursa verify.")
def bench_jobs(paths: tuple[str, ...], jobs: int, timeout: float, ranker: str) -> None:
    """verify --jobs N vs --jobs 1 on PATHS (default: the invariant suite, tasks/invariants/)."""
    targets = list(paths) or [str(TASKS_DIR / "invariants")]
    if not Path(targets[0]).exists():
        raise click.ClickException(f"{targets[0]}: not found (the invariant suite ships with a source checkout)")
    serial = run_verify(targets, 1, timeout, ranker)
    parallel = run_verify(targets, jobs, timeout, ranker)
    same = sum(a == b for a, b in zip(serial.verdicts, parallel.verdicts))
    total = max(len(serial.verdicts), len(parallel.verdicts))
    diffs = [(a, b) for a, b in zip(serial.verdicts, parallel.verdicts) if a != b]
    conflicts = [(a, b) for a, b in diffs if {a[2], b[2]} == {"proved", "violated"} or a[:2] != b[:2]]
    click.echo(f"files: {', '.join(targets)}; {total} assertions; timeout {timeout:g} s; ranker {ranker}")
    click.echo(f"--jobs 1: {serial.wall_s:8.2f} s  (exit {serial.exit_code})")
    click.echo(f"--jobs {jobs}: {parallel.wall_s:8.2f} s  (exit {parallel.exit_code})")
    click.echo(f"ratio (jobs {jobs} / jobs 1): {parallel.wall_s / serial.wall_s:.2f}  "
               f"speed-up {serial.wall_s / parallel.wall_s:.2f}x")
    click.echo(f"identical verdicts: {same}/{total}")
    for a, b in diffs:
        click.echo(f"  differs: {a[0]}:{a[1]}  jobs 1 {a[2]}  jobs {jobs} {b[2]}")
    sys.exit(1 if conflicts or len(serial.verdicts) != len(parallel.verdicts) else 0)
