"""Typed results and their renderers — table, JSON, SARIF 2.1.0 — the one layer the doors print through.

Two levels:

- generic pieces any door can use: :func:`worst` / :func:`exit_code` over result enums that carry ``severity``
  and ``exit_code`` (``recursa.refine.verify.Verdict``, ``recursa.synth.problem.SynthStatus``); SARIF building
  blocks (:class:`Rule`, :class:`Location`, :class:`Finding`, :func:`sarif_log`) that a language server can map
  to diagnostics just as well; :func:`escape` for text written to a terminal and :func:`dumps` for JSON;
- the reports of ``recursa verify`` (:class:`VerifyReport`) and ``recursa analyze`` (:class:`AnalysisReport`),
  each with ``to_json``, ``findings`` and ``render(format)``.

Output safety: tables escape control characters and undecodable bytes (a file name holding a newline cannot
forge a line of output), JSON is ASCII-only and so valid for any path or message, and SARIF artifact URIs are
percent-encoded.

This module stays cheap to import (``recursa verify --help`` imports it): the verification types, which pull in
torch and Z3, are imported only inside the functions that run after a verification has already paid for them.
"""

from __future__ import annotations

import enum
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

from recursa.errors import RecursaError

if TYPE_CHECKING:
    from recursa.refine.verify import AssertionResult, FileResult, InputError, Verdict

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FORMATS = ("json", "sarif", "table")  # sorted: the order click lists them in
EXIT_OK = 0


# ---- outcomes and exit codes ----------------------------------------------------------------------------


class Outcome(Protocol):
    """What the report layer needs from a result enum: its printed name, a rank and an exit code."""

    @property
    def value(self) -> str: ...

    @property
    def severity(self) -> int: ...

    @property
    def exit_code(self) -> int: ...


OutcomeT = TypeVar("OutcomeT", bound=Outcome)


def worst(outcomes: Iterable[OutcomeT]) -> OutcomeT | None:
    """The most severe outcome (the one that decides the exit code), or None when there is none."""
    return max(outcomes, key=lambda o: o.severity, default=None)


def exit_code(outcomes: Iterable[Outcome], input_errors: int = 0) -> int:
    """An input error first (2), else the most severe outcome's code, else 0 (nothing to report is success)."""
    if input_errors:
        return RecursaError.exit_code
    w = worst(outcomes)
    return EXIT_OK if w is None else w.exit_code


# ---- text safety ----------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """``text`` for one line of a terminal table: control and format characters (newline, tab, ESC, bidi
    overrides, ...) and undecodable bytes (lone surrogates from ``os.fsdecode``) become backslash escapes, so a
    file name cannot forge or hide a line of output; everything else is kept as it is."""
    if text.isprintable():
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _UNSAFE else ch
                   for ch in text)


_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # Unicode categories: control, format, surrogate, separators


def dumps(payload: Any) -> str:
    """JSON for stdout: indented and ASCII-only, so any path or message (even undecodable bytes) stays valid."""
    return json.dumps(payload, indent=2, ensure_ascii=True)


def sarif_uri(path: str) -> str:
    """A file path as a SARIF ``artifactLocation.uri``: forward slashes, percent-encoded (RFC 3986), bytes as
    they are on disk (``os.fsencode`` undoes the surrogate escapes of an undecodable name)."""
    return quote(os.fsencode(PurePath(path).as_posix()), safe="/")


# ---- SARIF building blocks --------------------------------------------------------------------------------


class Level(str, enum.Enum):
    """SARIF result levels (an editor shows them as error / warning / information)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    description: str

    def to_sarif(self) -> dict[str, Any]:
        return {"id": self.id, "shortDescription": {"text": self.description},
                "defaultConfiguration": {"level": self.level.value}}


@dataclass(frozen=True)
class Location:
    """A place in a file; ``line``/``column`` are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    column: int = 0
    message: str = ""  # what happens here (a step of a trace)

    def to_sarif(self) -> dict[str, Any]:
        region: dict[str, Any] = {"startLine": max(1, self.line)}
        if self.column:
            region["startColumn"] = max(1, self.column)
        out: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": sarif_uri(self.path)},
                                                    "region": region}}
        if self.message:
            out["message"] = {"text": self.message}
        return out


@dataclass(frozen=True)
class Finding:
    """One reported result: which rule, what happened, where, and optionally the steps that lead there."""

    rule: Rule
    message: str
    location: Location
    properties: Mapping[str, Any] = field(default_factory=dict)
    flow: tuple[Location, ...] = ()
    suppressed: bool = False  # silenced by a comment in the source (``recursa: ignore``)

    def to_sarif(self, rule_index: int) -> dict[str, Any]:
        out: dict[str, Any] = {"ruleId": self.rule.id, "ruleIndex": rule_index, "level": self.rule.level.value,
                               "message": {"text": self.message}, "locations": [self.location.to_sarif()]}
        if self.suppressed:  # code-scanning tools list these as dismissed, not as open alerts
            out["suppressions"] = [{"kind": "inSource"}]
        if self.properties:
            out["properties"] = dict(self.properties)
        if self.flow:
            out["codeFlows"] = [{"threadFlows": [{"locations": [{"location": step.to_sarif()}
                                                                for step in self.flow]}]}]
        return out


def sarif_log(rules: Sequence[Rule], findings: Iterable[Finding], seconds: float,
              run_properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of recursa. recursa has no public home page, so the driver carries no
    ``informationUri`` (the property is optional) rather than a made-up one."""
    from recursa import __version__

    index = {rule.id: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "recursa", "version": __version__, "rules": [r.to_sarif() for r in rules]}},
        "results": [f.to_sarif(index[f.rule.id]) for f in findings],
        "invocations": [{"executionSuccessful": True, "properties": {"time_s": round(seconds, 3)}}],
    }
    if run_properties is not None:
        run["properties"] = dict(run_properties)
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


# ---- verification --------------------------------------------------------------------------------------


INPUT_RULE = Rule("recursa/input-error", Level.ERROR, "The file cannot be read or parsed.")


@cache
def verdict_rules() -> dict[Verdict, Rule]:
    """The SARIF rule of each verdict, in the order the log lists them (the input-error rule comes last)."""
    from recursa.refine.verify import Verdict  # heavy (torch, z3): paid only once there are verdicts to print

    return {
        Verdict.VIOLATED: Rule("recursa/assertion-violated", Level.ERROR, "An assertion fails on a concrete run."),
        Verdict.UNKNOWN: Rule("recursa/assertion-unknown", Level.WARNING,
                              "An assertion could be neither proved nor refuted."),
        Verdict.UNSUPPORTED: Rule("recursa/unsupported", Level.WARNING,
                                  "The function uses a construct outside the supported subset."),
        Verdict.PROVED: Rule("recursa/assertion-proved", Level.NOTE,
                             "An assertion is proved by a checked inductive invariant."),
        Verdict.OVERFLOW: Rule("recursa/signed-overflow", Level.ERROR,
                               "A signed integer operation overflows on a concrete run (undefined behaviour)."),
    }


def verify_rules() -> list[Rule]:
    return [*verdict_rules().values(), INPUT_RULE]


@dataclass(frozen=True)
class Problem:
    """A path or file recursa could not verify at all (missing, wrong kind, unreadable, syntax error)."""

    path: str
    message: str
    line: int = 0
    column: int = 0

    @classmethod
    def from_error(cls, error: InputError) -> Problem:
        return cls(error.path, error.message, error.line, error.column)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}:{self.column}" if self.line else self.path

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class Summary:
    files: int
    counts: Mapping[Verdict, int]  # every verdict, zero included, in Verdict order
    input_errors: int
    time_s: float
    suppressed: int = 0  # assertions silenced by a ``recursa: ignore`` comment (not in ``counts``)
    interrupted: bool = False

    @property
    def assertions(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, "assertions": self.assertions, **{v.value: n for v, n in self.counts.items()},
                "suppressed": self.suppressed, "input_errors": self.input_errors, "interrupted": self.interrupted,
                "time_s": round(self.time_s, 3)}

    def line(self) -> str:
        errors = f", {self.input_errors} input error(s)" if self.input_errors else ""
        # overflow verdicts exist only under machine integers: listed when there are some
        counts = ", ".join(f"{n} {v.value}" for v, n in self.counts.items() if n or v.value != "overflow")
        hidden = f", {self.suppressed} suppressed" if self.suppressed else ""
        stop = "interrupted: " if self.interrupted else ""
        return (f"{stop}{self.assertions} assertion(s) in {self.files} file(s): {counts}{hidden}{errors} "
                f"({self.time_s:.2f} s)")


# ---- suppression comments --------------------------------------------------------------------------------

#: ``# recursa: ignore[violated, unknown]`` (``//`` in C); a bare ``ignore`` silences every code.
SUPPRESS = re.compile(r"(?:#|//|/\*)\s*recursa:\s*ignore\b(?:\[([^\]]*)\])?")


def suppression_codes() -> tuple[str, ...]:
    from recursa.refine.verify import Verdict

    return tuple(v.value for v in Verdict)


def suppress(results: Sequence[AssertionResult], lines: Sequence[str]
             ) -> tuple[list[AssertionResult], list[AssertionResult], list[str]]:
    """Split ``results`` into (kept, suppressed) by the ``recursa: ignore`` comment on each assertion's line
    (``lines`` is the file's text); the third list warns about unknown codes as ``path:line: ...``."""
    known = suppression_codes()
    kept: list[AssertionResult] = []
    hidden: list[AssertionResult] = []
    warnings: list[str] = []
    for r in results:
        m = SUPPRESS.search(lines[r.line - 1]) if 0 < r.line <= len(lines) else None
        if m is None:
            kept.append(r)
            continue
        codes = None if m.group(1) is None else {c.strip() for c in m.group(1).split(",") if c.strip()}
        for bad in sorted((codes or set()) - set(known)):
            warnings.append(f"{r.path}:{r.line}: unknown suppression code {bad!r} (known: {', '.join(known)})")
        (hidden if codes is None or r.verdict.value in codes else kept).append(r)
    return kept, hidden, warnings


@dataclass
class VerifyReport:
    """Everything one ``recursa verify`` run prints: per-file results and the paths that gave no file."""

    files: list[FileResult]
    problems: list[Problem] = field(default_factory=list)  # paths that gave no verifiable file
    seconds: float = 0.0
    suppressed: list[AssertionResult] = field(default_factory=list)  # silenced by ``recursa: ignore``
    warnings: list[str] = field(default_factory=list)  # e.g. unknown suppression codes
    interrupted: bool = False  # Ctrl-C: ``files`` holds what was finished

    def results(self) -> Iterator[AssertionResult]:
        return (r for fr in self.files for r in fr.results)

    def file_errors(self) -> list[Problem]:
        return [Problem.from_error(fr.error) for fr in self.files if fr.error is not None]

    def input_errors(self) -> list[Problem]:
        return [*self.problems, *self.file_errors()]

    def summary(self) -> Summary:
        from recursa.refine.verify import Verdict

        seen = Counter(r.verdict for r in self.results())
        return Summary(len(self.files), {v: seen[v] for v in Verdict}, len(self.input_errors()), self.seconds,
                       len(self.suppressed), self.interrupted)

    def exit_code(self) -> int:
        return exit_code((r.verdict for r in self.results()), len(self.input_errors()))

    # ---- the three formats
    def render(self, fmt: str, extra: Mapping[str, Any] | None = None) -> str:
        """``fmt`` is one of :data:`FORMATS`; ``extra`` adds top-level JSON keys or SARIF run properties."""
        if fmt == "table":
            return "\n".join(self.table_lines())
        if fmt == "json":
            return dumps({**self.to_json(), **(extra or {})})
        if fmt == "sarif":
            return dumps(sarif_log(verify_rules(), self.findings(), self.seconds, extra))
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")

    def to_json(self) -> dict[str, Any]:
        from recursa import __version__

        return {"tool": "recursa", "version": __version__, "results": [r.to_json() for r in self.results()],
                "errors": [p.to_json() for p in self.input_errors()],
                "notes": [{"path": fr.path, "note": n} for fr in self.files for n in fr.notes],
                "suppressed": [r.to_json() for r in self.suppressed], "warnings": self.warnings,
                "summary": self.summary().to_json()}

    def findings(self) -> list[Finding]:
        out = [Finding(INPUT_RULE, p.message, Location(p.path, p.line, p.column)) for p in self.problems]
        for fr in self.files:
            if fr.error is not None:
                out.append(Finding(INPUT_RULE, fr.error.message, Location(fr.path, fr.error.line, fr.error.column)))
            out.extend(_finding(r) for r in fr.results)
        out.extend(replace(_finding(r), suppressed=True) for r in self.suppressed)
        return out

    def table_lines(self, quiet: bool = False) -> list[str]:
        lines = self.problem_lines()
        for fr in self.files:
            lines.extend(file_lines(fr, quiet))
        return [*lines, self.summary().line()]

    def problem_lines(self) -> list[str]:
        return [f"{escape(p.path)}: error: {escape(p.message)}" for p in self.problems]

    def stderr_lines(self, command: str) -> list[str]:
        """One line per input error, for the formats whose stdout is a machine-readable document."""
        return [f"recursa {command}: {escape(str(p))}" for p in self.input_errors()]


def file_lines(fr: FileResult, quiet: bool = False) -> list[str]:
    """The table rows of one verified file (printed as soon as the file is done); ``quiet`` keeps only what
    needs attention: errors and assertions not proved."""
    from recursa.refine.verify import Verdict

    if fr.error is not None:
        return [escape(str(Problem.from_error(fr.error)))]
    lines = [] if quiet else [f"{escape(fr.path)}: note: {escape(note)}" for note in fr.notes]
    for r in fr.results:
        if quiet and r.verdict is Verdict.PROVED:
            continue
        lines.append(f"{escape(r.path)}:{r.line}:{r.column}  {r.verdict.value.upper():<11} {r.time_s:6.3f}s "
                     f"{r.solver_calls:4d} calls  {escape(r.assertion)}")
        if r.verdict is Verdict.PROVED:
            lines.extend(_proof_lines(r))
        elif r.verdict in (Verdict.VIOLATED, Verdict.OVERFLOW) and r.trace is not None:
            lines.append(f"    {escape(r.message)}; trace:")
            lines.extend(_trace_lines(r.trace, last="signed overflow" if r.verdict is Verdict.OVERFLOW else None))
        else:
            lines.append(f"    {escape(r.message)}")
    return lines


def _proof_lines(r: AssertionResult) -> list[str]:
    lines = [f"    invariant (loop at line {line}): {escape(inv)}" for line, inv in sorted(r.invariants.items())]
    if not r.invariants:
        lines.append(f"    {escape(r.message)}")
    refine = r.stats.get("refine", {})  # RefineStats.to_json() of the ICE loop, when it ran
    if refine.get("candidates_tried"):
        lines.append(f"    refine: {refine['candidates_tried']} candidates tried of {refine['candidates_generated']}, "
                     f"{refine['solver_calls']} solver calls, {refine['time_s']:.3f} s "
                     f"({r.stats.get('ranker', '?')} ranking); {r.check_calls} conditions re-checked")
    return lines


_STEP_LABELS = {"entry": "entry", "assert": "assertion fails"}  # TraceStep.kind; loops are labelled by number


def _trace_lines(trace: Any, limit: int = 40, last: str | None = None) -> list[str]:
    """The trace's steps; ``last`` relabels its final (failing) step."""
    steps = list(trace.trace)
    shown = steps if len(steps) <= limit else steps[: limit // 2] + [None] + steps[-limit // 2:]
    out = []
    for s in shown:
        if s is None:
            out.append(f"      ... {len(steps) - limit} more steps ...")
            continue
        label = f"loop {s.loop} head" if s.kind == "loop" else _STEP_LABELS[s.kind]
        if last is not None and s is steps[-1] and s.kind == "assert":
            label = last
        out.append(f"      line {s.line:<4} {label:<16} {_values(s.values)}")
    return out


def _values(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={('true' if v else 'false') if isinstance(v, bool) else v}" for k, v in values.items())


def _finding(r: AssertionResult) -> Finding:
    from recursa.refine.verify import Verdict

    if r.verdict is Verdict.PROVED:
        text = f"Assertion `{r.assertion}` proved" + (f"; invariant: {r.invariant}" if r.invariant else "")
    elif r.verdict is Verdict.VIOLATED:
        text = f"Assertion `{r.assertion}` is violated: {r.message}"
    elif r.verdict is Verdict.OVERFLOW:
        text = f"{r.message[:1].upper()}{r.message[1:]}"
    else:
        text = f"Assertion `{r.assertion}`: {r.verdict.value} ({r.message})"
    flow: tuple[Location, ...] = ()
    if r.verdict in (Verdict.VIOLATED, Verdict.OVERFLOW) and r.trace is not None:
        flow = tuple(Location(r.path, s.line, 0, f"{s.kind}: {_values(s.values)}") for s in r.trace.trace)
    return Finding(verdict_rules()[r.verdict], text, Location(r.path, r.line, r.column),
                   {"verdict": r.verdict.value, "time_s": round(r.time_s, 6), "solver_calls": r.solver_calls}, flow)


# ---- analysis -------------------------------------------------------------------------------------------


@dataclass
class FunctionReport:
    """``recursa analyze``'s row for one function: its shape, the reasoner on its tree, its verdicts."""

    path: str
    name: str
    line: int
    language: str
    syntax_depth: int  # nesting depth of the function's syntax tree (named nodes)
    loop_depth: int
    loops: int
    nodes: int
    iterations: int | None = None  # equilibrium iterations of the reasoner; None without a model
    converged: bool | None = None
    residual: float | None = None
    verdicts: dict[str, int] = field(default_factory=dict)  # verdict name -> count, as in the JSON output
    unsupported: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class AnalysisReport:
    """Everything one ``recursa analyze`` run prints: the function rows and the verification report."""

    verify: VerifyReport
    functions: list[FunctionReport]
    reasoner: str | None  # where the reasoner's weights came from; None when there is no model
    reasoner_missing: str = ""  # why there is no model

    def render(self, fmt: str) -> str:
        if fmt == "table":
            return "\n".join(self.table_lines())
        if fmt == "json":
            extra: dict[str, Any] = {"functions": [f.to_json() for f in self.functions], "reasoner": self.reasoner}
            if self.reasoner is None:
                extra["reasoner_missing"] = self.reasoner_missing
            return self.verify.render("json", extra)
        if fmt == "sarif":
            return self.verify.render("sarif", {"functions": [f.to_json() for f in self.functions],
                                                "reasoner": self.reasoner,
                                                "summary": self.verify.summary().to_json()})
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")

    def table_lines(self, quiet: bool = False) -> list[str]:
        header = f"{'function':<28} {'depth':>5} {'loops':>5} {'nest':>4} {'iters':>5} {'conv':>4}  verdicts"
        lines = [header, "-" * len(header)]
        for r in self.functions:
            it = "-" if r.iterations is None else str(r.iterations)
            conv = "-" if r.converged is None else ("yes" if r.converged else "no")
            verdicts = ", ".join(f"{n} {v}" for v, n in sorted(r.verdicts.items())) or "no assertions"
            lines.append(f"{escape(r.path)}:{r.line} {escape(r.name)}")
            lines.append(f"{'':<28} {r.syntax_depth:>5} {r.loops:>5} {r.loop_depth:>4} {it:>5} {conv:>4}  {verdicts}")
            if r.unsupported:
                lines.append(f"{'':<28} {escape(r.unsupported)}")
        lines += ["", "depth = nesting depth of the syntax tree; nest = loop nesting; iters/conv = equilibrium "
                  "iterations on the function's tree and whether the solver converged",
                  f"reasoner: {escape(self.reasoner)}" if self.reasoner is not None
                  else f"reasoner: none ({escape(self.reasoner_missing)})", ""]
        return lines + self.verify.table_lines(quiet)
