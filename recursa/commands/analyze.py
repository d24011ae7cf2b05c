"""``recursa analyze``: per function, its nesting, its loops, the reasoner on its tree, and verification.

The reasoner is the base :class:`~recursa.equilibrium.model.RecursaModel` of the shipped default model
(``recursa/models/default``); when that is absent, the encoder of the shipped invariant ranker
(``recursa/models/invariants``). Exit codes are those of ``recursa verify`` (0 all proved, 1 some violated,
2 usage or input error, 3 some unknown or unsupported).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import click

from recursa.commands.verify import collect_files, run_verifier
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

    _quiet_transformers()
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


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a dependency
        pass


def function_reports(file_result: Any, reasoner: Reasoner) -> list[FunctionReport]:
    """One report per function of a verified file (reasoner columns filled when a model is loaded)."""
    from recursa.refine.rank import subtree
    from recursa.trees.flatten import parse

    prog_units = file_result.functions
    if not prog_units:
        return []
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


@click.command("analyze", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Seconds per function for verification.")
@click.option("--ranker", default="default", show_default=True,
              help="Candidate ranking: default (the shipped model), unguided, or a model dir.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def analyze(paths: tuple[str, ...], fmt: str, timeout: float, ranker: str, progress: bool) -> None:
    """Analyse the functions in PATHS (C and Python files, or directories of them).

    Per function: nesting depth of its syntax tree, its loops and their nesting, the equilibrium reasoner's
    iterations and convergence on its tree, and the verdicts of `recursa verify` on its assertions.
    """
    from recursa.refine.rank import load_ranker
    from recursa.refine.verify import Verifier, VerifyOptions

    start = time.perf_counter()
    files, problems = collect_files(paths)
    _quiet_transformers()
    try:
        verifier = Verifier(VerifyOptions(timeout_s=timeout), load_ranker(ranker))
    except (FileNotFoundError, RecursaError) as exc:
        click.echo(f"recursa analyze: {exc}", err=True)
        sys.exit(RecursaError.exit_code)
    verified = VerifyReport(run_verifier(files, verifier, progress), problems)
    reasoner = load_reasoner()
    functions = [r for fr in verified.files if fr.error is None for r in function_reports(fr, reasoner)]
    verified.seconds = time.perf_counter() - start
    report = AnalysisReport(verified, functions, reasoner.source if reasoner.model is not None else None,
                            reasoner.missing)
    click.echo(report.render(fmt))
    if fmt != "table":
        for line in verified.stderr_lines("analyze"):
            click.echo(line, err=True)
    sys.exit(verified.exit_code())
