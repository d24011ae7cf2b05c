"""``recursa synth``: solve SyGuS-IF problems (``.sl`` files).

Exit codes: 0 every problem solved; 1 some problem infeasible; 3 some unknown or unsupported; 2 a usage or input
error (missing file, malformed file: ``path:line:col: message`` on stderr). When several apply, the first in the
order 2, 1, 3 wins (:attr:`recursa.synth.problem.SynthStatus.severity`). A bad file never stops the others.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from recursa.synth.problem import SynthOptions, SynthResult, SynthStatus

if TYPE_CHECKING:
    from recursa.synth.problem import Problem


def collect_sl(paths: Iterable[str]) -> list[str | SynthResult]:
    """In the order given: each ``.sl`` file named or found under a directory (sorted), or an error result
    for a path that gives none."""
    items: list[str | SynthResult] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*.sl") if p.is_file())
            items += found or [SynthResult(raw, SynthStatus.ERROR, message=f"{raw}: no .sl files in this directory")]
        elif path.exists():
            items.append(raw)
        else:
            items.append(SynthResult(raw, SynthStatus.ERROR, message=f"{raw}: no such file or directory"))
    return items


def read(path: str) -> Problem | SynthResult:
    """The problem in ``path``, or a result saying why there is none (``error`` / ``unsupported``)."""
    from recursa.symbolic.smtlib import SmtlibError, SmtlibUnsupported
    from recursa.synth.sygus import read_problem

    try:
        return read_problem(path)
    except SmtlibUnsupported as exc:
        return SynthResult(path, SynthStatus.UNSUPPORTED, message=str(exc))
    except SmtlibError as exc:
        return SynthResult(path, SynthStatus.ERROR, message=str(exc))
    except RecursionError:
        return SynthResult(path, SynthStatus.UNSUPPORTED, message=f"{path}: nested too deeply to read")
    except Exception as exc:  # a reader bug: report it for this file and go on with the others
        return SynthResult(path, SynthStatus.ERROR, message=f"{path}: internal error while reading: {exc!r}")


def solve_file(path: str, options: SynthOptions) -> tuple[Problem | None, SynthResult]:
    """Read and solve one file; an engine failure is reported as ``unknown`` with its reason, never raised."""
    from recursa.synth.engine import solve

    problem = read(path)
    if isinstance(problem, SynthResult):
        return None, problem
    start = time.perf_counter()
    try:
        result = solve(problem, options)
    except (RecursionError, MemoryError) as exc:
        result = SynthResult(path, SynthStatus.UNKNOWN, message=f"the engine ran out of resources: {exc!r}")
    except Exception as exc:  # a bug in the engine must not hide the other files' answers
        result = SynthResult(path, SynthStatus.UNKNOWN, message=f"internal error in the engine: {exc!r}")
    if not result.time_s:
        result.time_s = time.perf_counter() - start
    return problem, result


def confirm_with_cvc5(problem: Problem, result: SynthResult, timeout_s: float) -> None:
    """Ask cvc5 to confirm a solved answer; one it refutes is downgraded to ``unknown`` (an answer is only
    reported when every checker agrees)."""
    from recursa.synth.cvc5_runner import cross_check as cvc5_check

    verdict, why = cvc5_check(problem, result, timeout_s)
    result.stats["cvc5_check"] = {True: "confirmed", False: "refuted", None: "unknown"}[verdict]
    if verdict is False:
        result.status = SynthStatus.UNKNOWN
        result.solutions = ()
        result.message = f"the answer was re-checked by Z3 but cvc5 disagrees: {why}"


def emitted(problem: Problem, result: SynthResult, language: str) -> str:
    """The solved functions (and the define-funs they call) as source code."""
    from recursa.symbolic.terms import App, postorder
    from recursa.synth.emit import emit

    needed: list[str] = []
    stack = [s.body for s in result.solutions]
    while stack:
        for node in postorder(stack.pop()):
            if isinstance(node, App) and node.op in problem.definitions and node.op not in needed:
                needed.append(node.op)
                stack.append(problem.definitions[node.op].body)
    defs = [d for name, d in problem.definitions.items() if name in needed]  # file order: callees first
    return emit([*defs, *result.solutions], language, source=problem.path)


@click.command("synth", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, metavar="FILE.sl...")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.01), default=10.0, show_default=True,
              help="Seconds per problem; past it the answer is unknown (printed as fail).")
@click.option("--format", "fmt", type=click.Choice(["sygus", "table", "json"]), default="sygus", show_default=True,
              help="sygus: the answers as SyGuS solvers print them; table: one line per file; json: everything.")
@click.option("--emit", "language", type=click.Choice(["python", "c"]), default=None,
              help="Print the solved functions as Python or C code (with --format sygus or json).")
@click.option("--guide", type=click.Choice(["reasoner", "none"]), default="none", show_default=True,
              help="Order the enumeration with the reasoner, or uniformly by size.")
@click.option("--cross-check", is_flag=True, help="Also ask cvc5 to confirm every answer (needs recursa[verify]).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for any randomised choice.")
def synth(paths: tuple[str, ...], timeout_s: float, fmt: str, language: str | None, guide: str, cross_check: bool,
          seed: int) -> None:
    """Synthesise the functions of SyGuS-IF problems (LIA, CLIA, BV; invariants).

    FILE.sl... are files or directories (searched for .sl files). The default output is what SyGuS solvers
    print for each problem: its (define-fun ...) lines, or "infeasible", or "fail" when no answer was found in
    time. With several files each answer is preceded by a "; path" comment line. Every answer has been
    re-checked by a fresh Z3 solver.

    Exit codes: 0 all solved, 1 some infeasible, 3 some unknown or unsupported, 2 a usage or input error
    (malformed files are reported as path:line:col: message on stderr; the other files are still solved),
    130 interrupted (Ctrl-C).
    """
    from recursa.report import escape, exit_code
    from recursa.synth import render

    if language and fmt == "table":
        raise click.UsageError("--emit prints code: use it with --format sygus or json, not table")
    if cross_check:
        from recursa.synth.cvc5_runner import INSTALL_HINT, cvc5_available

        if not cvc5_available():
            click.echo(f"error: --cross-check needs cvc5: {INSTALL_HINT}", err=True)
            sys.exit(2)
    if guide == "reasoner":  # a missing or broken model is a usage error, not a silent fall-back to size order
        try:
            from recursa.synth.neural import ModelMissing, load_guide
        except ImportError as exc:
            click.echo(f"error: --guide reasoner needs torch and transformers ({exc})", err=True)
            sys.exit(2)
        try:
            load_guide()
        except ModelMissing as exc:
            click.echo(f"error: --guide reasoner: {exc}", err=True)
            sys.exit(2)
    options = SynthOptions(timeout_s=timeout_s, guide=guide, cross_check=cross_check, seed=seed)
    start = time.perf_counter()
    items = collect_sl(paths)
    codes: dict[str, str] | None = {} if language else None
    results: list[SynthResult] = []
    printed = 0
    try:
        for item in items:
            result = item if isinstance(item, SynthResult) else solve_one(item, options, codes, language)
            results.append(result)
            if result.status is not SynthStatus.SOLVED and result.message:
                click.echo(escape(result.message) if result.status is SynthStatus.ERROR
                           else f"{escape(result.path)}: {result.status.value}: {escape(result.message)}", err=True)
            if fmt == "sygus":  # streamed: each answer as soon as it is known
                block = render.sygus_block(result, len(items) > 1, (codes or {}).get(result.path), language)
                if block:
                    click.echo((render.block_separator(language) if printed else "") + block, nl=False)
                    printed += 1
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted after {len(results)} of {len(items)} files", err=True)
        sys.exit(130)
    seconds = time.perf_counter() - start
    if fmt == "json":
        click.echo(render.render_json(results, seconds, codes), nl=False)
    elif fmt == "table":
        click.echo(render.render_table(results, seconds), nl=False)
    elif printed:
        click.echo("")
    sys.exit(exit_code([r.status for r in results]))


def solve_one(path: str, options: SynthOptions, codes: dict[str, str] | None, language: str | None) -> SynthResult:
    """Read, solve, cross-check when asked, and emit code when asked."""
    problem, result = solve_file(path, options)
    if problem is not None and options.cross_check and result.status is SynthStatus.SOLVED:
        confirm_with_cvc5(problem, result, options.timeout_s)
    if problem is not None and codes is not None and result.status is SynthStatus.SOLVED:
        codes[path] = code_or_message(problem, result, language or "python")
    return result


def code_or_message(problem: Problem, result: SynthResult, language: str) -> str:
    from recursa.synth.emit import EmitError

    try:
        return emitted(problem, result, language)
    except EmitError as exc:
        comment = "#" if language == "python" else "//"
        return f"{comment} {result.path}: cannot emit {language}: {exc}"
