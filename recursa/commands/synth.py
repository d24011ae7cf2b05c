"""``recursa synth``: solve SyGuS-IF problems (``.sl`` files).

Exit codes: 0 every problem solved; 1 some problem infeasible; 3 some unknown or unsupported; 2 a usage or input
error (missing file, malformed file: ``path:line:col: message`` on stderr). When several apply, the first in the
order 2, 1, 3 wins (:attr:`recursa.synth.problem.SynthStatus.severity`). A bad file never stops the others.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from recursa.commands.config import resolve, selection, walk_options
from recursa.synth.problem import SynthOptions, SynthResult, SynthStatus
from recursa.trees.files import Selection

if TYPE_CHECKING:
    from recursa.synth.problem import Problem


def collect_sl(paths: Iterable[str], sel: Selection | None = None,
               stdin_filename: str | None = None, *, stdin: bool = False) -> list[str | SlInput | SynthResult]:
    """In the order given: each ``.sl`` file named or found under a directory (sorted; excludes and
    ``.gitignore`` honoured as for verify), the text of ``-`` (standard input), or an error result for a path
    that gives none. Files are plain paths; only ``-`` gives an :class:`SlInput`, and only with ``stdin``.
    Without ``sel`` nothing is skipped (the Python API and the benchmarks take every .sl file they are given)."""
    from recursa.trees.files import PathProblem, collect

    sel = sel if sel is not None else Selection((), False)
    items: list[str | SlInput | SynthResult] = []
    for raw in paths:
        if raw == "-" and not stdin:
            items.append(SynthResult(raw, SynthStatus.ERROR, message=f"{raw}: no such file or directory"))
            continue
        is_dir = raw != "-" and Path(raw).is_dir()
        found: list[str | SlInput | SynthResult] = []
        # read as SMT-LIB whatever the name: a named file (or stdin) is taken as the user says it is
        for item in collect([raw], "smtlib", selection=sel, stdin_filename=stdin_filename or "<stdin>.sl"):
            if isinstance(item, PathProblem):
                if not (is_dir and item.message.startswith("no source files")):
                    found.append(SynthResult(item.path, SynthStatus.ERROR, message=f"{item.path}: {item.message}"))
            elif not is_dir or item.path.suffix == ".sl":  # a directory walk takes .sl only, not .smt2
                found.append(str(item.path) if item.source is None
                             else SlInput(str(item.path), item.source.decode("utf-8", "replace")))
        if is_dir and not any(isinstance(f, str) for f in found):
            found.append(SynthResult(raw, SynthStatus.ERROR, message=f"{raw}: no .sl files in this directory"))
        items += found
    return items


@dataclass(frozen=True)
class SlInput:
    """One problem file to solve: its path (or the name given to stdin) and its text when read from stdin."""

    path: str
    text: str | None = None


def read(path: str, text: str | None = None) -> Problem | SynthResult:
    """The problem in ``path``, or a result saying why there is none (``error`` / ``unsupported``)."""
    from recursa.symbolic.smtlib import SmtlibError, SmtlibUnsupported
    from recursa.synth.sygus import read_problem

    try:
        return read_problem(path, text)
    except SmtlibUnsupported as exc:
        return SynthResult(path, SynthStatus.UNSUPPORTED, message=str(exc))
    except SmtlibError as exc:
        return SynthResult(path, SynthStatus.ERROR, message=str(exc))
    except RecursionError:
        return SynthResult(path, SynthStatus.UNSUPPORTED, message=f"{path}: nested too deeply to read")
    except Exception as exc:  # a reader bug: report it for this file and go on with the others
        return SynthResult(path, SynthStatus.ERROR, message=f"{path}: internal error while reading: {exc!r}")


def solve_file(path: str, options: SynthOptions, text: str | None = None) -> tuple[Problem | None, SynthResult]:
    """Read and solve one file; an engine failure is reported as ``unknown`` with its reason, never raised."""
    from recursa.synth.engine import solve

    problem = read(path, text)
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
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.01), default=None,
              help="Seconds per problem; past it the answer is unknown (printed as fail).  [default: 10]")
@click.option("--format", "fmt", type=click.Choice(["sygus", "table", "json"]), default=None,
              help="sygus: the answers as SyGuS solvers print them (streamed); table: one line per file; json: "
                   "everything.  [default: sygus; config key synth-format]")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the answers to this file (atomically; never over an input file).")
@click.option("--quiet", "-q", is_flag=True,
              help="Table: list only the problems not solved (and the summary). No summary on stderr.")
@click.option("--emit", "language", type=click.Choice(["python", "c"]), default=None,
              help="Print the solved functions as Python or C code (with --format sygus or json).")
@click.option("--guide", type=click.Choice(["reasoner", "none"]), default="none", show_default=True,
              help="Order the enumeration with the reasoner, or uniformly by size.")
@click.option("--cross-check", is_flag=True, help="Also ask cvc5 to confirm every answer (needs recursa[verify]).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for any randomised choice.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Files solved at once, in separate processes (each keeps its own --timeout; answers are "
                   "printed in the files' order).")
@walk_options
def synth(paths: tuple[str, ...], timeout_s: float | None, fmt: str | None, output: str | None, quiet: bool,
          language: str | None, guide: str, cross_check: bool, seed: int, jobs: int, **params: Any) -> None:
    """Synthesise the functions of SyGuS-IF problems (LIA, CLIA, BV; invariants).

    FILE.sl... are files, directories (searched for .sl files, skipping excluded and .gitignored paths), or '-'
    for standard input (named by --stdin-filename). The default output is what SyGuS solvers print for each
    problem: its (define-fun ...) lines, or "infeasible", or "fail" when no answer was found in time. With
    several files each answer is preceded by a "; path" comment line. Every answer has been re-checked by a
    fresh Z3 solver. Settings (timeout, synth-format, exclude, extend-exclude, respect-gitignore) come from
    recursa.toml / [tool.recursa]; flags override them.

    Exit codes: 0 all solved, 1 some infeasible, 3 some unknown or unsupported, 2 a usage or input error
    (malformed files are reported as path:line:col: message on stderr; the other files are still solved),
    130 interrupted (Ctrl-C; the finished answers and the summary are printed first).
    """
    from recursa.commands.verify import EXIT_INTERRUPTED, write_output
    from recursa.errors import RecursaError
    from recursa.report import escape, exit_code
    from recursa.synth import render

    settings = resolve("synth", paths, params, timeout=timeout_s, synth_format=fmt)
    fmt = settings.synth_format
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
    options = SynthOptions(timeout_s=settings.timeout, guide=guide, cross_check=cross_check, seed=seed)
    start = time.perf_counter()
    items = collect_sl(paths, selection(settings), params.get("stdin_filename"), stdin=True)
    codes: dict[str, str] | None = {} if language else None
    results: list[SynthResult] = []
    blocks: list[str] = []  # the sygus answers, kept for --output
    stream = fmt == "sygus" and output is None
    interrupted = False
    try:
        for result in solve_all(items, options, codes, language, jobs):
            results.append(result)
            if result.status is not SynthStatus.SOLVED and result.message:
                click.echo(escape(result.message) if result.status is SynthStatus.ERROR
                           else f"{escape(result.path)}: {result.status.value}: {escape(result.message)}", err=True)
            if fmt == "sygus":  # streamed: each answer as soon as it is known
                block = render.sygus_block(result, len(items) > 1, (codes or {}).get(result.path), language)
                if block:
                    text = (render.block_separator(language) if blocks else "") + block
                    blocks.append(text)
                    if stream:
                        click.echo(text, nl=False)
    except KeyboardInterrupt:
        interrupted = True
    seconds = time.perf_counter() - start
    if fmt == "json":
        text = render.render_json(results, seconds, codes, interrupted)
    elif fmt == "table":
        text = render.render_table(results, seconds, quiet, interrupted)
    else:
        text = "".join(blocks) + ("\n" if blocks else "")
    if output is not None:
        try:
            write_output(output, text, paths)
        except RecursaError as exc:
            click.echo(f"recursa synth: {exc}", err=True)
            sys.exit(RecursaError.exit_code)
    elif stream:
        if blocks:
            click.echo("")
    else:
        click.echo(text, nl=False)
    if interrupted or output is not None and not quiet:
        # stdout held answers only (or nothing, with --output): the summary goes to stderr
        click.echo(render.Summary.of(results, seconds).line(), err=True)
    if interrupted:
        click.echo(f"interrupted after {len(results)} of {len(items)} files", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(exit_code([r.status for r in results]))


def solve_all(items: list[SlInput | str | SynthResult], options: SynthOptions, codes: dict[str, str] | None,
              language: str | None, jobs: int = 1) -> Iterator[SynthResult]:
    """The results of ``items`` in their order (an item that is already a result, a read error, passes
    through); with ``jobs`` > 1 the files are solved in that many processes, each yielded once it and those
    before it are done."""
    todo = [i for i in items if not isinstance(i, SynthResult)]
    workers = max(1, min(jobs, len(todo)))
    if workers == 1:
        for item in items:
            yield item if isinstance(item, SynthResult) else solve_one(item, options, codes, language)
        return
    from recursa.commands.verify import process_pool

    with process_pool(workers) as pool:
        futures = [None if isinstance(item, SynthResult) else pool.submit(_solve_packed, item, options, language)
                   for item in items]
        for item, future in zip(items, futures):
            if future is None:
                assert isinstance(item, SynthResult)
                yield item
                continue
            try:
                result, code = future.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker or an unpicklable result: that file errs
                path = item.path if isinstance(item, SlInput) else str(item)
                result, code = SynthResult(path=path, status=SynthStatus.ERROR, message=(
                    f"{path}: not solved: its solver process failed ({type(exc).__name__}); try --jobs 1")), None
            if codes is not None and code is not None:
                codes[result.path] = code
            yield result


def _solve_packed(item: SlInput | str, options: SynthOptions, language: str | None
                  ) -> tuple[SynthResult, str | None]:
    codes: dict[str, str] | None = {} if language else None
    result = solve_one(item, options, codes, language)
    return result, (codes or {}).get(result.path)


def solve_one(item: SlInput | str, options: SynthOptions, codes: dict[str, str] | None,
              language: str | None) -> SynthResult:
    """Read, solve, cross-check when asked, and emit code when asked."""
    if isinstance(item, str):
        item = SlInput(item)
    path = item.path
    problem, result = solve_file(path, options, item.text)
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
