"""``recursa verify``: prove or refute the assertions of C and Python programs.

Exit codes: 0 every assertion proved (or none to check: an empty file is fine); 1 some assertion violated (or,
under machine integers, some signed operation overflows);
2 usage or input error (missing or unreadable file, syntax error, unknown file type, bad configuration);
3 some assertion unknown or unsupported; 130 interrupted by Ctrl-C (what was finished is printed first).
When several apply, the first in the order 2, 1, 3 wins (``Verdict.severity``; printed by
:mod:`recursa.report`).

Start-up is cheap on purpose: settings and paths are checked before the verifier is imported, and the ranking
model (torch, transformers) is loaded only when some loop needs its candidates ranked (:class:`LazyRanker`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from recursa.commands.config import EXIT_CODES_HELP, input_options, resolve, selection
from recursa.errors import RecursaError
from recursa.report import FORMATS, Problem, VerifyReport, escape
from recursa.trees.files import Selection

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from recursa.refine.verify import AssertionResult, FileResult, Verifier

EXIT_INTERRUPTED = 130


# ---- inputs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One file to verify: its path (or the name given to stdin), its text when read from stdin, and the
    functions selected (None: all)."""

    path: str
    source: bytes | None = None
    functions: frozenset[str] | None = None


def collect_jobs(paths: Iterable[str], sel: Selection | None = None, select: Sequence[str] = (),
                 stdin_filename: str | None = None) -> tuple[list[Job], list[Problem]]:
    """C and Python files under ``paths`` (directories searched recursively) and the paths that gave none."""
    from recursa.trees.files import PathProblem, collect

    jobs: list[Job] = []
    problems: list[Problem] = []
    for item in collect(paths, selection=sel, stdin_filename=stdin_filename):
        if isinstance(item, PathProblem):
            problems.append(Problem(item.path, item.message))
        elif item.language.name in ("c", "python"):
            names = {*select, *([item.function] if item.function else [])}
            jobs.append(Job(str(item.path), item.source, frozenset(names) if names else None))
        else:
            problems.append(Problem(str(item.path),
                                    f"{item.language.name} files cannot be verified (C and Python only)"))
    return jobs, problems


def collect_files(paths: Iterable[str], sel: Selection | None = None) -> tuple[list[str], list[Problem]]:
    """The paths of :func:`collect_jobs` (the language server's entry point)."""
    jobs, problems = collect_jobs(paths, sel)
    return [j.path for j in jobs], problems


# ---- the ranker, loaded on first use ---------------------------------------------------------------------


class LazyRanker:
    """A ranker that loads its model (torch, transformers: seconds) the first time a candidate is scored.

    A run whose functions have no loops, or that stops on a bad input, never pays for the model."""

    def __init__(self, name: str) -> None:
        self.spec = name
        self._ranker: Any = None

    def _load(self) -> Any:
        if self._ranker is None:
            from recursa.refine.rank import load_ranker

            self._ranker = load_ranker(self.spec)
        return self._ranker

    def prepare(self, verifier: Verifier, path: str, source: bytes) -> None:
        """Load the model now if some function of this file has a loop to rank invariants for: loading inside
        a function's run would spend its timeout on torch."""
        from recursa.refine.verify import InputError

        if self._ranker is not None:
            return
        try:
            prog = verifier.load(path, source)
        except InputError:
            return
        if any(u.loop_count and u.assertion_locs for u in prog.units):
            self._load()

    @property
    def name(self) -> str:
        """The model's name once loaded; reading it (the verifier records it per function) never loads it."""
        return self._ranker.name if self._ranker is not None else f"{self.spec} (not loaded)"

    def scores(self, context: Any, candidates: Any) -> Any:
        return self._load().scores(context, candidates)

    def __getattr__(self, attr: str) -> Any:  # optional ranker methods (``rescore``) come from the model
        if attr.startswith("_") or attr == "spec":
            raise AttributeError(attr)
        return getattr(self._load(), attr)


def check_ranker(name: str) -> None:
    """Fail fast on a ranker that cannot load (a model dir without config.json), without loading it."""
    if name in ("default", "unguided", "none"):
        return
    path = Path(name)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no invariant ranking model in {path} (expected config.json)")


def make_verifier(options: dict[str, Any], ranker: str) -> Verifier:
    from recursa.refine.rank import UnguidedRanker
    from recursa.refine.verify import Verifier, VerifyOptions

    check_ranker(ranker)
    chosen: Any = UnguidedRanker() if ranker in ("unguided", "none") else LazyRanker(ranker)
    return Verifier(VerifyOptions(**options), chosen)


# ---- running ---------------------------------------------------------------------------------------------


@dataclass
class Done:
    """A verified file with its suppressed assertions and warnings (picklable: it crosses processes)."""

    file: FileResult
    suppressed: list[AssertionResult]
    warnings: list[str]

    def packed(self) -> Done:
        """Lighter for the trip back from a worker process (``file.error``, an InputError, pickles by its fields)."""
        self.file.functions = []  # only ``recursa analyze`` reads them; not worth pickling back
        return self


def verify_job(verifier: Verifier, job: Job,
               on_results: Callable[[list[AssertionResult]], None] | None = None) -> Done:
    """Verify one file, honouring ``recursa: ignore`` comments; an empty file has nothing to check (no error).

    ``on_results`` gets each function's (unsuppressed) results as soon as the function is done."""
    from recursa.refine.verify import FileResult
    from recursa.report import suppress
    from recursa.trees.languages import language_for_path
    from recursa.trees.source import SourceError, read_source

    try:
        data = job.source if job.source is not None else read_source(job.path)
    except SourceError:
        data = None  # verify_file reports the same error with its own wording
    if data is not None and not data.strip():
        lang = language_for_path(job.path)
        return Done(FileResult(job.path, lang.name if lang else "", notes=["no assertions to verify"]), [], [])
    if data is not None and isinstance(verifier.ranker, LazyRanker):
        verifier.ranker.prepare(verifier, job.path, data)
    on_function: Callable[[list[AssertionResult]], None] | None = None
    if on_results is not None and data is not None:
        text_lines = data.decode("utf-8", "replace").splitlines()

        def on_function(batch: list[AssertionResult]) -> None:
            shown = suppress(batch, text_lines)[0]
            if shown:
                on_results(shown)
    if on_function is None:
        fr = verifier.verify_file(job.path, job.source, job.functions)
    else:
        fr = verifier.verify_file(job.path, job.source, job.functions, on_function=on_function)
    if not fr.results or data is None:
        return Done(fr, [], [])
    kept, hidden, warnings = suppress(fr.results, data.decode("utf-8", "replace").splitlines())
    fr.results = kept
    return Done(fr, hidden, warnings)


_WORKER: Verifier | None = None


def _init_worker(options: dict[str, Any], ranker: str) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates the pool
    _WORKER = make_verifier(options, ranker)


def _work(job: Job) -> Done:
    assert _WORKER is not None
    return verify_job(_WORKER, job).packed()


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_jobs(jobs: list[Job], options: dict[str, Any], ranker: str, workers: int,
             on_results: Callable[[list[AssertionResult]], None] | None = None) -> Iterator[Done]:
    """Verified files in the order of ``jobs``, each as soon as it (and those before it) is done.

    With more than one worker the files are verified in separate processes, each with its own verifier (the
    ranking model is loaded at most once per process); the order and the verdicts do not change. Serially,
    ``on_results`` also gets each function's results as it finishes (across processes, files arrive whole).
    """
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        verifier = make_verifier(options, ranker)
        for job in jobs:
            yield verify_job(verifier, job, on_results)
        return
    check_ranker(ranker)
    from concurrent.futures.process import BrokenProcessPool

    with process_pool(workers, _init_worker, (options, ranker)) as pool:
        futures = [pool.submit(_work, job) for job in jobs]
        for job, future in zip(jobs, futures):
            try:
                yield future.result()
            except BrokenProcessPool:
                yield _lost(job)


@contextmanager
def process_pool(workers: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> Iterator[ProcessPoolExecutor]:
    """Worker processes for ``--jobs``; on leaving (also on Ctrl-C) work in progress is stopped.

    fork is cheap and safe while the parent has no torch threads (a model then loads lazily in the workers),
    spawn otherwise. An executor, not multiprocessing.Pool: a worker killed mid-task (out of memory) breaks it
    loudly, where a Pool would wait for the lost result forever."""
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and "torch" not in sys.modules \
        else "spawn"
    pool = ProcessPoolExecutor(workers, multiprocessing.get_context(method), initializer, initargs)
    try:
        yield pool
    finally:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def _lost(job: Job) -> Done:
    """A file whose worker process died: an error for that file, never a verdict."""
    from recursa.refine.verify import FileResult, InputError

    return Done(FileResult(job.path, error=InputError(job.path, "not verified: a verifier process died "
                                                                "(out of memory?); try --jobs 1")), [], [])


class Printer:
    """Table rows on stdout as each function (serial run) or file (parallel run) finishes, above a progress bar
    on stderr when it is a terminal."""

    def __init__(self, total: int, stream: bool, quiet: bool, progress: bool) -> None:
        self.stream, self.quiet = stream, quiet
        self.live: list[AssertionResult] = []  # the results of the current file already printed
        self.bar: Any = None
        if progress and total > 1 and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="verify", unit="file", file=sys.stderr, leave=False)

    def echo(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stdout)
        else:
            click.echo(line)

    def results_done(self, results: list[AssertionResult]) -> None:
        """One function's rows, before its file is done."""
        from recursa.refine.verify import FileResult
        from recursa.report import file_lines

        if self.stream:
            for line in file_lines(FileResult(results[0].path, results=results), self.quiet):
                self.echo(line)
            self.live.extend(results)

    def file_done(self, done: Done) -> None:
        from recursa.report import file_lines

        if self.stream:
            fr = done.file
            if self.live:  # the rest of a file whose functions were printed as they finished: notes, stragglers
                shown = {id(r) for r in self.live}
                fr = replace(fr, results=[r for r in fr.results if id(r) not in shown])
            for line in file_lines(fr, self.quiet):
                self.echo(line)
        self.live = []
        for w in done.warnings:
            click.echo(f"recursa verify: warning: {escape(w)}", err=True)
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def verify_all(report: VerifyReport, jobs: list[Job], options: dict[str, Any], ranker: str, workers: int,
               on_done: Callable[[Done], None],
               on_results: Callable[[list[AssertionResult]], None] | None = None) -> None:
    """Fill ``report`` with the files of ``jobs``; on Ctrl-C it keeps what was finished and is marked."""
    try:
        for done in run_jobs(jobs, options, ranker, workers, on_results):
            report.files.append(done.file)
            report.suppressed.extend(done.suppressed)
            report.warnings.extend(done.warnings)
            on_done(done)
    except KeyboardInterrupt:
        report.interrupted = True


def write_output(path: str, text: str, inputs: Iterable[str]) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, then a rename), refusing
    to overwrite one of the input files."""
    target = Path(path)
    for p in inputs:
        if p != "-" and Path(p.split("::", 1)[0]).exists() and target.exists() \
                and os.path.samefile(p.split("::", 1)[0], target):
            raise RecursaError(f"{path}: --output would overwrite an input file")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, target)
    except OSError as exc:
        raise RecursaError(f"{path}: cannot write: {exc.strerror}") from None


# ---- the command -----------------------------------------------------------------------------------------


@click.command("verify", context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds per function; what is not settled by then is unknown.  [default: 10]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="table (streamed as functions finish), json, or sarif (SARIF 2.1.0).  [default: table]")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file (atomically; never over an input file).")
@click.option("--quiet", "-q", is_flag=True, help="Print only what needs attention and the summary.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Files verified in parallel processes; 1 = serial.  [default: number of cores]")
@click.option("--cross-check", is_flag=True, help="Also ask cvc5 to confirm every verification condition.")
@click.option("--int-semantics", type=click.Choice(["math", "machine"]), default=None,
              help="Mathematical integers, or 32-bit machine integers (unsigned wrap-around; signed overflow is "
                   "reported as undefined behaviour).  [default: math]")
@click.option("--ranker", default=None,
              help="Candidate ranking: default (the shipped model), unguided (grammar order), or a model dir.")
@click.option("--grammar", default=None, help="Invariant grammar (grammars/invariants).  [default: linear]")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bar on stderr for several files (only when stderr is a terminal).")
@input_options
def verify(paths: tuple[str, ...], timeout: float | None, fmt: str | None, output: str | None, quiet: bool,
           jobs: int | None, cross_check: bool, int_semantics: str | None, ranker: str | None, grammar: str | None,
           progress: bool, **params: Any) -> None:
    """Prove or refute every assertion in PATHS (C and Python files, directories of them, PATH::FUNCTION, or
    '-' for standard input with --stdin-filename).

    Each assertion is PROVED (with the inductive invariant, re-checked by a fresh solver), VIOLATED (with a concrete
    trace the interpreter replays), UNKNOWN (budget or timeout), or UNSUPPORTED (the construct and its line:col);
    with --int-semantics machine, a C signed operation that overflows is OVERFLOW (undefined behaviour, with its
    trace). A comment `# recursa: ignore[violated]` (`// ...` in C; bare `ignore` = every verdict) on an assertion's
    line suppresses it. Settings come from recursa.toml / [tool.recursa]; flags override them.
    """
    start = time.perf_counter()
    settings = resolve("verify", paths, params, timeout=timeout, format=fmt, int_semantics=int_semantics,
                       ranker=ranker, grammar=grammar, jobs=jobs)
    work, problems = collect_jobs(paths, selection(settings), params.get("select", ()), params.get("stdin_filename"))
    if cross_check:
        try:
            import cvc5  # noqa: F401
        except ImportError:
            click.echo("recursa verify: --cross-check needs cvc5 (pip install cvc5)", err=True)
            sys.exit(RecursaError.exit_code)
    options = {"timeout_s": settings.timeout, "int_semantics": settings.int_semantics, "cross_check": cross_check,
               "grammar": settings.grammar}
    try:
        _check_settings(settings.grammar, settings.ranker)
    except (FileNotFoundError, RecursaError) as exc:
        click.echo(f"recursa verify: {exc}", err=True)
        sys.exit(RecursaError.exit_code)
    report = VerifyReport([], problems)
    fmt = settings.format
    stream = fmt == "table" and output is None
    if stream:
        for line in report.problem_lines():
            click.echo(line)
    printer = Printer(len(work), stream, quiet, progress)
    try:
        verify_all(report, work, options, settings.ranker, settings.jobs or default_jobs(), printer.file_done,
                   printer.results_done if stream else None)
    finally:
        printer.close()
    if report.interrupted and printer.live:  # rows printed for the file cut short count in the summary too
        from recursa.refine.verify import FileResult

        report.files.append(FileResult(printer.live[0].path, results=printer.live))
    report.seconds = time.perf_counter() - start
    finish(report, "verify", fmt, output, quiet, stream, paths)


def finish(report: VerifyReport, command: str, fmt: str, output: str | None, quiet: bool, streamed: bool,
           inputs: Iterable[str], rendered: str | None = None) -> None:
    """Print (or write) the rest of the report and exit with its code (130 when interrupted)."""
    if streamed:
        click.echo(report.summary().line())
    else:
        text = rendered if rendered is not None else (
            "\n".join(report.table_lines(quiet)) if fmt == "table" else report.render(fmt))
        if output is not None:
            try:
                write_output(output, text, inputs)
            except RecursaError as exc:
                click.echo(f"recursa {command}: {exc}", err=True)
                sys.exit(RecursaError.exit_code)
            click.echo(report.summary().line(), err=fmt != "table")
        else:
            click.echo(text)
        if fmt != "table":
            for line in report.stderr_lines(command):
                click.echo(line, err=True)
    sys.exit(EXIT_INTERRUPTED if report.interrupted else report.exit_code())


def _check_settings(grammar: str, ranker: str) -> None:
    """A bad grammar or ranker is a usage error found before any file is verified."""
    from recursa.refine.grammar import GrammarError, load_grammar

    try:
        load_grammar(grammar)
    except GrammarError as exc:
        raise RecursaError(str(exc)) from None
    check_ranker(ranker)
