"""``recursa analyze``: per function, its nesting, its loops, the reasoner on its tree, and verification.

The reasoner is the base :class:`~recursa.equilibrium.model.RecursaModel` of the shipped default model
(``recursa/models/default``); when that is absent, the encoder of the shipped invariant ranker
(``recursa/models/invariants``). Exit codes are those of ``recursa verify`` (0 all proved or nothing to check,
1 some violated, 2 usage or input error, 3 some unknown or unsupported, 130 interrupted).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from recursa.commands.config import EXIT_CODES_HELP, input_options, resolve, selection
from recursa.commands.verify import Done, Printer, check_ranker, collect_jobs, default_jobs, finish, verify_all
from recursa.errors import RecursaError
from recursa.report import FORMATS, AnalysisReport, FunctionReport, VerifyReport


@dataclass
class Reasoner:
    """The model used for the reasoner columns, or why there is none."""

    model: Any = None
    source: str = ""
    missing: str = ""


def load_reasoner() -> Reasoner:
    """The base model of the default checkpoint, else the invariant ranker's encoder, else a reason."""
    from recursa.paths import DEFAULT_MODEL_DIR
    from recursa.refine.rank import INVARIANT_MODEL_DIR
    from recursa.train.models import quiet_transformers

    quiet_transformers()
    errors = []
    if (DEFAULT_MODEL_DIR / "config.json").is_file():
        try:
            from recursa.equilibrium.model import RecursaModel

            return Reasoner(RecursaModel.from_pretrained(str(DEFAULT_MODEL_DIR)).eval(), str(DEFAULT_MODEL_DIR))
        except Exception as exc:  # a broken checkpoint must not stop the analysis
            errors.append(f"{DEFAULT_MODEL_DIR}: {exc}")
    if (INVARIANT_MODEL_DIR / "config.json").is_file():
        try:
            from recursa.refine.neural import RecursaForInvariantRanking

            model = RecursaForInvariantRanking.from_pretrained(str(INVARIANT_MODEL_DIR))
            return Reasoner(model.recursa.eval(), f"{INVARIANT_MODEL_DIR} (invariant ranker's encoder)")
        except Exception as exc:
            errors.append(f"{INVARIANT_MODEL_DIR}: {exc}")
    reason = "; ".join(errors) if errors else (f"no reasoner model found (looked in {DEFAULT_MODEL_DIR} and "
                                               f"{INVARIANT_MODEL_DIR})")
    return Reasoner(missing=reason)


def function_reports(file_result: Any, reasoner: Reasoner, source: bytes | None = None) -> list[FunctionReport]:
    """One report per function of a verified file (reasoner columns filled when a model is loaded)."""
    from recursa.refine.context import subtree
    from recursa.trees.flatten import parse

    prog_units = file_result.functions
    if not prog_units:
        return []
    if source is None:
        source = _read(file_result.path)
    ft = parse(source, file_result.language)
    reports = []
    trees = []
    for unit in prog_units:
        sub = subtree(ft, unit.start_byte, unit.end_byte)
        f = unit.function
        loop_depth = f.loop_depth() if f is not None else 0
        verdicts: dict[str, int] = {}
        for r in file_result.results:
            if r.function == unit.name:
                verdicts[r.verdict.value] = verdicts.get(r.verdict.value, 0) + 1
        reports.append(FunctionReport(file_result.path, unit.name, unit.loc.line, file_result.language,
                                      sub.named_height(), loop_depth, unit.loop_count, sub.num_nodes,
                                      verdicts=verdicts,
                                      unsupported=unit.unsupported.message if unit.unsupported else ""))
        trees.append(sub)
    if reasoner.model is not None and trees:
        import torch

        from recursa.refine.neural import single_thread
        from recursa.trees.batch import TreeBatch

        with torch.no_grad(), single_thread():
            out = reasoner.model(TreeBatch.from_trees(trees))
        stats = out.stats
        for rep, it, conv, res in zip(reports, stats.iterations.tolist(), stats.converged.tolist(),
                                      stats.rel_residual.tolist()):
            rep.iterations, rep.converged, rep.residual = int(it), bool(conv), float(res)
    return reports


def _read(path: str) -> bytes:
    from recursa.trees.source import read_source

    return read_source(path)


def _units_loader(options: dict[str, Any]) -> Callable[[Any, bytes | None], None]:
    """Fills in the parsed functions of a file verified in a worker process (they are not pickled back):
    parsing again is cheap next to verification."""
    from recursa.refine.rank import UnguidedRanker
    from recursa.refine.verify import InputError, Verifier, VerifyOptions

    loader = Verifier(VerifyOptions(**options), UnguidedRanker())

    def fill(fr: Any, source: bytes | None) -> None:
        if fr.error is None and not fr.functions:
            try:
                fr.functions = loader.load(fr.path, source).units
            except InputError:  # an empty file: nothing to analyse
                pass
    return fill


def _row_lines(functions: list[FunctionReport], reasoner: Reasoner) -> list[str]:
    """The table rows of ``functions`` alone, exactly as :meth:`AnalysisReport.table_lines` prints them."""
    source = reasoner.source if reasoner.model is not None else None
    empty = VerifyReport([], [])
    full = AnalysisReport(empty, functions, source, reasoner.missing).table_lines()
    bare = AnalysisReport(empty, [], source, reasoner.missing).table_lines()
    return full[2:len(full) - (len(bare) - 2)]


@click.command("analyze", context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="table (for people), json (one document), or sarif (SARIF 2.1.0, for code-scanning tools).  "
                   "[default: table]")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file (atomically; never over an input file).")
@click.option("--quiet", "-q", is_flag=True, help="Table: only what needs attention, and the summary.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds per function for verification.  [default: 10]")
@click.option("--ranker", default=None,
              help="Candidate ranking: default (the shipped model), unguided, or a model dir.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Files verified in parallel processes; 1 = serial. The reasoner columns are computed in "
                   "this process, one file at a time.  [default: number of cores]")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bar on stderr for several files (only when stderr is a terminal).")
@input_options
def analyze(paths: tuple[str, ...], fmt: str | None, output: str | None, quiet: bool, timeout: float | None,
            ranker: str | None, jobs: int | None, progress: bool, **params: Any) -> None:
    """Analyse the functions in PATHS (C and Python files, directories of them, PATH::FUNCTION, or '-').

    Per function: nesting depth of its syntax tree, its loops and their nesting, the equilibrium reasoner's
    iterations and convergence on its tree, and the verdicts of `recursa verify` on its assertions (with the
    same settings, suppression comments and exit codes). The table streams: each file's function rows are
    printed as soon as the file is verified.
    """
    start = time.perf_counter()
    settings = resolve("analyze", paths, params, timeout=timeout, format=fmt, ranker=ranker, jobs=jobs)
    work, problems = collect_jobs(paths, selection(settings), params.get("select", ()), params.get("stdin_filename"))
    options = {"timeout_s": settings.timeout, "int_semantics": settings.int_semantics, "grammar": settings.grammar}
    try:
        check_ranker(settings.ranker)
    except (FileNotFoundError, RecursaError) as exc:
        click.echo(f"recursa analyze: {exc}", err=True)
        sys.exit(RecursaError.exit_code)
    from recursa.train.models import quiet_transformers

    quiet_transformers()
    verified = VerifyReport([], problems)
    printer = Printer(len(work), False, quiet, progress)
    sources = {j.path: j.source for j in work if j.source is not None}
    workers = settings.jobs or default_jobs()
    fill = _units_loader(options) if workers > 1 and len(work) > 1 else None
    stream = settings.format == "table" and output is None
    functions: list[FunctionReport] = []
    reasoner: Reasoner | None = None
    shown = 0  # table lines already printed

    def file_done(done: Done) -> None:
        nonlocal reasoner, shown
        printer.file_done(done)
        fr = done.file
        if fill is not None:
            fill(fr, sources.get(fr.path))
        if fr.error is not None or not fr.functions:
            return
        if reasoner is None:  # loaded on the first file with functions: a run of bad inputs never pays for it
            reasoner = load_reasoner()
        rows = function_reports(fr, reasoner, sources.get(fr.path))
        fr.functions = []  # the rows are made; the parsed units are not needed any more
        functions.extend(rows)
        if stream:
            lines = _row_lines(rows, reasoner)
            if not shown:
                lines = AnalysisReport(VerifyReport([], []), [], None).table_lines()[:2] + lines
            for line in lines:
                printer.echo(line)
            shown += len(lines)

    try:
        verify_all(verified, work, options, settings.ranker, workers, file_done)
    finally:
        printer.close()
    if reasoner is None:
        reasoner = Reasoner(missing="interrupted") if verified.interrupted else load_reasoner()
    verified.seconds = time.perf_counter() - start
    report = AnalysisReport(verified, functions, reasoner.source if reasoner.model is not None else None,
                            reasoner.missing)
    if settings.format == "table":
        text = "\n".join(report.table_lines(quiet)[shown:])
    else:
        text = report.render(settings.format)
    finish(verified, "analyze", settings.format, output, quiet, False, paths, text)
