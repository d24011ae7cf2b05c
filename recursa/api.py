"""The Python API: ``recursa.verify`` and ``recursa.synthesize``, the same results the CLI prints.

>>> import recursa
>>> report = recursa.verify("int main(){int x = 0; while (x < 5) x++; assert(x == 5);}", language="c")
>>> [r.verdict.value for r in report.results()]
['proved']
>>> report.exit_code()
0

Both are imported lazily from :mod:`recursa` (``import recursa`` stays free of torch and Z3); a call pays for
the verifier or synthesis engine the first time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from recursa.errors import RecursaError

if TYPE_CHECKING:
    from recursa.report import VerifyReport
    from recursa.synth.problem import SynthResult
    from recursa.trees.files import Selection

_EXTENSIONS = {"c": ".c", "python": ".py"}


def _is_path(value: str | os.PathLike[str]) -> bool:
    if not isinstance(value, str):
        return True
    return "\n" not in value and len(value) < 4096 and Path(value).exists()


def verify(path_or_source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
           language: str | None = None, timeout: float = 10.0, int_semantics: str = "math",
           ranker: str = "default", grammar: str = "linear", functions: Iterable[str] | None = None,
           jobs: int = 1, cross_check: bool = False, selection: Selection | None = None) -> VerifyReport:
    """Verify every assertion of a program.

    Args:
        path_or_source: a file or directory (a ``Path``, or a string naming an existing one), several of them,
            or program text (then ``language`` is required: ``"c"`` or ``"python"``).
        language: the language of program text.
        timeout: seconds per function; what is not settled by then is ``unknown``.
        int_semantics: ``"math"`` (unbounded) or ``"machine"`` (32-bit wrap-around).
        ranker: ``"default"`` (the shipped model, loaded only if a loop needs it), ``"unguided"``, or a model dir.
        grammar: the invariant grammar (``grammars/invariants``).
        functions: only the functions so named (default: all).
        jobs: parallel processes over files (1: in this process).
        cross_check: also ask cvc5 to confirm every verification condition.
        selection: which files directory walks take (default: skip build/, dist/, venvs, .gitignore'd files).

    Returns:
        A :class:`recursa.report.VerifyReport`: ``results()`` yields typed
        :class:`recursa.refine.verify.AssertionResult` (``verdict`` is a :class:`~recursa.refine.verify.Verdict`),
        ``input_errors()`` the files that could not be verified, ``exit_code()`` the CLI's code, ``render(fmt)``
        the CLI's table / JSON / SARIF text. ``# recursa: ignore[...]`` comments are honoured.

    Raises:
        RecursaError: a bad argument (no language for program text, an unknown grammar or ranker directory).
    """
    from recursa.commands.verify import Job, _check_settings, collect_jobs, verify_all
    from recursa.report import VerifyReport

    start = time.perf_counter()
    selected = frozenset(functions) if functions is not None else None
    if isinstance(path_or_source, (str, os.PathLike)) and not _is_path(path_or_source):
        if language not in _EXTENSIONS:
            raise RecursaError(f"program text needs language='c' or 'python' (got {language!r}); or pass a Path")
        text = str(path_or_source)
        work, problems = [Job(f"<string>{_EXTENSIONS[language]}", text.encode("utf-8"), selected)], []
    else:
        items = [path_or_source] if isinstance(path_or_source, (str, os.PathLike)) else list(path_or_source)
        work, problems = collect_jobs([os.fspath(p) for p in items], selection, tuple(selected or ()))
    try:
        _check_settings(grammar, ranker)
    except FileNotFoundError as exc:
        raise RecursaError(str(exc)) from None
    options = {"timeout_s": timeout, "int_semantics": int_semantics, "cross_check": cross_check, "grammar": grammar}
    report = VerifyReport([], problems)
    verify_all(report, work, options, ranker, jobs, lambda done: None)
    if report.interrupted:
        raise KeyboardInterrupt
    report.seconds = time.perf_counter() - start
    return report


def synthesize(path_or_text: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, timeout: float = 10.0,
               guide: str = "none", seed: int = 0, cross_check: bool = False) -> list[SynthResult]:
    """Solve SyGuS-IF problems: a ``.sl`` file or a directory of them, several, or the text of one problem.

    Returns one :class:`recursa.synth.problem.SynthResult` per problem, in order; ``status`` is a
    :class:`~recursa.synth.problem.SynthStatus` (``solved`` only after a fresh solver re-checked the answer;
    ``error`` for a file that cannot be read, with ``path:line:col`` in ``message``). Never raises for a bad
    problem. (The subpackage :mod:`recursa.synth` holds the engine, so the function is not named ``synth``.)
    """
    from recursa.synth.engine import solve
    from recursa.synth.problem import SynthOptions, SynthResult, SynthStatus

    options = SynthOptions(timeout_s=timeout, guide=guide, seed=seed, cross_check=cross_check)
    if isinstance(path_or_text, (str, os.PathLike)) and not _is_path(path_or_text):
        from recursa.symbolic.smtlib import SmtlibError, SmtlibUnsupported
        from recursa.synth.sygus import read_problem

        try:
            problem = read_problem("<string>.sl", str(path_or_text))
        except SmtlibUnsupported as exc:
            return [SynthResult("<string>.sl", SynthStatus.UNSUPPORTED, message=str(exc))]
        except SmtlibError as exc:
            return [SynthResult("<string>.sl", SynthStatus.ERROR, message=str(exc))]
        return [solve(problem, options)]
    from recursa.commands.synth import collect_sl, solve_file

    items = [path_or_text] if isinstance(path_or_text, (str, os.PathLike)) else list(path_or_text)
    out: list[SynthResult] = []
    for item in collect_sl([os.fspath(p) for p in items]):
        out.append(item if isinstance(item, SynthResult) else solve_file(item, options)[1])
    return out
