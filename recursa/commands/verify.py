"""``recursa verify``: prove or refute the assertions of C and Python programs.

Exit codes: 0 every assertion proved; 1 some assertion violated; 2 usage or input error (missing or
unreadable file, empty file, syntax error, unknown file type); 3 some assertion unknown or unsupported.
When several apply, the first in the order 2, 1, 3 wins.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from typing import Any

import click

EXIT_PROVED, EXIT_VIOLATED, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = {
    "violated": ("recursa/assertion-violated", "error", "An assertion fails on a concrete run."),
    "unknown": ("recursa/assertion-unknown", "warning", "An assertion could be neither proved nor refuted."),
    "unsupported": ("recursa/unsupported", "warning", "The function uses a construct outside the supported subset."),
    "proved": ("recursa/assertion-proved", "note", "An assertion is proved by a checked inductive invariant."),
    "input": ("recursa/input-error", "error", "The file cannot be read or parsed."),
}


def collect_files(paths: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """C and Python files under ``paths`` (directories searched recursively) and the paths that gave none."""
    from recursa.trees.files import PathProblem, collect

    files: list[str] = []
    problems: list[tuple[str, str]] = []
    for item in collect(paths):
        if isinstance(item, PathProblem):
            problems.append((item.path, item.message))
        elif item.language.name in ("c", "python"):
            files.append(str(item.path))
        else:
            problems.append((str(item.path), f"{item.language.name} files cannot be verified (C and Python only)"))
    return files, problems


def exit_code(file_results: list[Any], problems: int = 0) -> int:
    verdicts = [r.verdict.value for fr in file_results for r in fr.results]
    if problems or any(fr.error is not None for fr in file_results):
        return EXIT_INPUT
    if "violated" in verdicts:
        return EXIT_VIOLATED
    if "unknown" in verdicts or "unsupported" in verdicts:
        return EXIT_UNKNOWN
    return EXIT_PROVED


def summary(file_results: list[Any], seconds: float) -> dict[str, Any]:
    counts = {"proved": 0, "violated": 0, "unknown": 0, "unsupported": 0}
    for fr in file_results:
        for r in fr.results:
            counts[r.verdict.value] += 1
    return {"files": len(file_results), "assertions": sum(counts.values()), **counts,
            "input_errors": sum(fr.error is not None for fr in file_results), "time_s": round(seconds, 3)}


# ---- output formats -----------------------------------------------------------------------------------


def render_table(file_results: list[Any], problems: list[tuple[str, str]], seconds: float) -> str:
    lines: list[str] = []
    for path, message in problems:
        lines.append(f"{path}: error: {message}")
    for fr in file_results:
        if fr.error is not None:
            lines.append(f"{fr.error}")
            continue
        for note in fr.notes:
            lines.append(f"{fr.path}: note: {note}")
        for r in fr.results:
            where = f"{r.path}:{r.line}:{r.column}"
            head = f"{where}  {r.verdict.value.upper():<11} {r.time_s:6.3f}s {r.solver_calls:4d} calls  {r.assertion}"
            lines.append(head)
            if r.verdict.value == "proved":
                for line_no, inv in sorted(r.invariants.items()):
                    lines.append(f"    invariant (loop at line {line_no}): {inv}")
                if not r.invariants:
                    lines.append(f"    {r.message}")
                refine = r.stats.get("refine", {})
                if refine.get("candidates_tried"):
                    lines.append(f"    refine: {refine['candidates_tried']} candidates tried of "
                                 f"{refine['candidates_generated']}, {refine['solver_calls']} solver calls, "
                                 f"{refine['time_s']:.3f} s ({r.stats.get('ranker', '?')} ranking); "
                                 f"{r.check_calls} conditions re-checked")
            elif r.verdict.value == "violated" and r.trace is not None:
                lines.append(f"    {r.message}; trace:")
                lines.extend(_trace_lines(r.trace))
            else:
                lines.append(f"    {r.message}")
    s = summary(file_results, seconds)
    bad = s["input_errors"] + len(problems)
    errors = f", {bad} input error(s)" if bad else ""
    lines.append(f"{s['assertions']} assertion(s) in {s['files']} file(s): {s['proved']} proved, "
                 f"{s['violated']} violated, {s['unknown']} unknown, {s['unsupported']} unsupported{errors}"
                 f" ({seconds:.2f} s)")
    return "\n".join(lines)


def _trace_lines(trace: Any, limit: int = 40) -> list[str]:
    steps = list(trace.trace)
    shown = steps if len(steps) <= limit else steps[: limit // 2] + [None] + steps[-limit // 2:]
    out = []
    for s in shown:
        if s is None:
            out.append(f"      ... {len(steps) - limit} more steps ...")
            continue
        values = ", ".join(f"{k}={_fmt(v)}" for k, v in s.values.items())
        label = {"entry": "entry", "loop": f"loop {s.loop} head", "assert": "assertion fails"}[s.kind]
        out.append(f"      line {s.line:<4} {label:<16} {values}")
    return out


def _fmt(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def render_json(file_results: list[Any], problems: list[tuple[str, str]], seconds: float) -> str:
    from recursa import __version__

    errors = [{"path": p, "message": m} for p, m in problems]
    errors += [{"path": fr.path, "message": fr.error.message, "line": fr.error.line, "column": fr.error.column}
               for fr in file_results if fr.error is not None]
    return json.dumps({"tool": "recursa", "version": __version__,
                       "results": [r.to_json() for fr in file_results for r in fr.results],
                       "errors": errors, "notes": [{"path": fr.path, "note": n} for fr in file_results
                                                   for n in fr.notes],
                       "summary": summary(file_results, seconds)}, indent=2)


def _sarif_location(path: str, line: int, column: int) -> dict[str, Any]:
    from pathlib import Path

    uri = Path(path).as_posix()
    region: dict[str, Any] = {"startLine": max(1, line)}
    if column:
        region["startColumn"] = max(1, column)
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}


def render_sarif(file_results: list[Any], problems: list[tuple[str, str]], seconds: float) -> str:
    from recursa import __version__

    rule_ids = [RULES[k][0] for k in RULES]
    rules = [{"id": rid, "shortDescription": {"text": desc}, "defaultConfiguration": {"level": level}}
             for rid, level, desc in RULES.values()]
    results: list[dict[str, Any]] = []
    for path, message in problems:
        rid, level, _ = RULES["input"]
        results.append({"ruleId": rid, "ruleIndex": rule_ids.index(rid), "level": level,
                        "message": {"text": message}, "locations": [_sarif_location(path, 1, 0)]})
    for fr in file_results:
        if fr.error is not None:
            rid, level, _ = RULES["input"]
            results.append({"ruleId": rid, "ruleIndex": rule_ids.index(rid), "level": level,
                            "message": {"text": fr.error.message},
                            "locations": [_sarif_location(fr.path, fr.error.line, fr.error.column)]})
            continue
        for r in fr.results:
            rid, level, _ = RULES[r.verdict.value]
            if r.verdict.value == "proved":
                text = f"Assertion `{r.assertion}` proved" + (f"; invariant: {r.invariant}" if r.invariant else "")
            elif r.verdict.value == "violated":
                text = f"Assertion `{r.assertion}` is violated: {r.message}"
            else:
                text = f"Assertion `{r.assertion}`: {r.verdict.value} ({r.message})"
            res: dict[str, Any] = {"ruleId": rid, "ruleIndex": rule_ids.index(rid), "level": level,
                                   "message": {"text": text}, "locations": [_sarif_location(r.path, r.line, r.column)],
                                   "properties": {"verdict": r.verdict.value, "time_s": round(r.time_s, 6),
                                                  "solver_calls": r.solver_calls}}
            if r.verdict.value == "violated" and r.trace is not None:
                flow = []
                for s in r.trace.trace:
                    values = ", ".join(f"{k}={_fmt(v)}" for k, v in s.values.items())
                    flow.append({"location": {**_sarif_location(r.path, s.line, 0),
                                              "message": {"text": f"{s.kind}: {values}"}}})
                res["codeFlows"] = [{"threadFlows": [{"locations": flow}]}]
            results.append(res)
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "recursa", "version": __version__,
                                         "informationUri": "https://example.invalid/recursa", "rules": rules}},
                     "results": results,
                     "invocations": [{"executionSuccessful": True,
                                      "properties": {"time_s": round(seconds, 3)}}]}]}
    return json.dumps(log, indent=2)


RENDERERS = {"table": render_table, "json": render_json, "sarif": render_sarif}


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
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="table", show_default=True)
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
            sys.exit(EXIT_INPUT)
    try:
        verifier = Verifier(VerifyOptions(timeout_s=timeout, int_semantics=int_semantics, cross_check=cross_check,
                                          grammar=grammar), _load_ranker(ranker))
    except (GrammarError, FileNotFoundError) as exc:
        click.echo(f"recursa verify: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    file_results = run_verifier(files, verifier, progress)
    seconds = time.perf_counter() - start
    click.echo(RENDERERS[fmt](file_results, problems, seconds))
    if fmt != "table":
        for path, message in problems:
            click.echo(f"recursa verify: {path}: {message}", err=True)
        for fr in file_results:
            if fr.error is not None:
                click.echo(f"recursa verify: {fr.error}", err=True)
    sys.exit(exit_code(file_results, len(problems)))


def _load_ranker(name: str) -> Any:
    from recursa.refine.rank import load_ranker

    return load_ranker(name)
