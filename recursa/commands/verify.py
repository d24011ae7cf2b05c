"""``recursa verify``: prove or refute the assertions of C and Python programs.

Exit codes: 0 every assertion proved; 1 some assertion violated; 2 usage or input error (missing or
unreadable file, empty file, syntax error, unknown file type); 3 some assertion unknown or unsupported.
When several apply, the first in the order 2, 1, 3 wins (``Verdict.severity``; printed by
:mod:`recursa.report`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any

import click

from recursa.errors import RecursaError
from recursa.report import FORMATS, Problem, VerifyReport


def collect_files(paths: Iterable[str]) -> tuple[list[str], list[Problem]]:
    """C and Python files under ``paths`` (directories searched recursively) and the paths that gave none."""
    from recursa.trees.files import PathProblem, collect

    files: list[str] = []
    problems: list[Problem] = []
    for item in collect(paths):
        if isinstance(item, PathProblem):
            problems.append(Problem(item.path, item.message))
        elif item.language.name in ("c", "python"):
            files.append(str(item.path))
        else:
            problems.append(Problem(str(item.path),
                                    f"{item.language.name} files cannot be verified (C and Python only)"))
    return files, problems


def run_verifier(files: list[str], verifier: Any, progress: bool) -> list[Any]:
    from tqdm import tqdm

    out = []
    show = progress and len(files) > 3
    for path in tqdm(files, desc="verify", unit="file", disable=None if show else True, file=sys.stderr,
                     leave=False):
        out.append(verifier.verify_file(path))
    return out


@click.command("verify", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Seconds per function; what is not settled by then is unknown.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--cross-check", is_flag=True, help="Also ask cvc5 to confirm every verification condition.")
@click.option("--int-semantics", type=click.Choice(["math", "machine"]), default="math", show_default=True,
              help="Mathematical integers, or 32-bit machine integers (wrap-around).")
@click.option("--ranker", default="default", show_default=True,
              help="Candidate ranking: default (the shipped model), unguided (grammar order), or a model dir.")
@click.option("--grammar", default="linear", show_default=True, help="Invariant grammar (grammars/invariants).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar on many files.")
def verify(paths: tuple[str, ...], timeout: float, fmt: str, cross_check: bool, int_semantics: str, ranker: str,
           grammar: str, progress: bool) -> None:
    """Prove or refute every assertion in PATHS (C and Python files, or directories of them).

    Each assertion is PROVED (with the inductive invariant, re-checked by a fresh solver), VIOLATED (with a
    concrete trace the interpreter replays), UNKNOWN (budget or timeout), or UNSUPPORTED (the construct and
    its line:col). Exit code 0 all proved, 1 some violated, 2 usage or input error, 3 some unknown or
    unsupported.
    """
    from recursa.refine.grammar import GrammarError
    from recursa.refine.verify import Verifier, VerifyOptions

    start = time.perf_counter()
    files, problems = collect_files(paths)
    if cross_check:
        try:
            import cvc5  # noqa: F401
        except ImportError:
            click.echo("recursa verify: --cross-check needs cvc5 (pip install cvc5)", err=True)
            sys.exit(RecursaError.exit_code)
    try:
        verifier = Verifier(VerifyOptions(timeout_s=timeout, int_semantics=int_semantics, cross_check=cross_check,
                                          grammar=grammar), _load_ranker(ranker))
    except (GrammarError, FileNotFoundError, RecursaError) as exc:
        click.echo(f"recursa verify: {exc}", err=True)
        sys.exit(RecursaError.exit_code)
    report = VerifyReport(run_verifier(files, verifier, progress), problems)
    report.seconds = time.perf_counter() - start
    click.echo(report.render(fmt))
    if fmt != "table":
        for line in report.stderr_lines("verify"):
            click.echo(line, err=True)
    sys.exit(report.exit_code())


def _load_ranker(name: str) -> Any:
    from recursa.refine.rank import load_ranker

    return load_ranker(name)
