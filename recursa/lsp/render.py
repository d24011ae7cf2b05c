"""Verdicts as LSP values: diagnostics, hovers, code lenses and code actions (lsprotocol types)."""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp

from recursa.lsp.engine import DocView, FunctionView
from recursa.lsp.text import index_to_column, line_text
from recursa.refine.verify import Verdict

SOURCE = "recursa"
CODE_VIOLATED = "assertion-violated"
CODE_UNKNOWN = "assertion-unknown"
CODE_UNSUPPORTED = "unsupported"
CODE_SYNTAX = "syntax-error"
CODE_NOTE = "not-verified"
CODE_INPUT = "input-error"
COMMENT_PREFIX = {"c": "//", "python": "#"}


def _range(view: DocView, line: int, column: int, encoding: str, end_line: int | None = None,
           end_column: int | None = None) -> lsp.Range:
    """LSP range from 1-based line and code-point column; without an end, to the end of the line's text."""
    text = line_text(view.text, line - 1)
    start = lsp.Position(max(line - 1, 0), index_to_column(text, max(column - 1, 0), encoding))
    if end_line is None:
        end = lsp.Position(start.line, index_to_column(text, len(text.rstrip()), encoding))
        if end.character < start.character:
            end = start
    else:
        etext = line_text(view.text, end_line - 1)
        end = lsp.Position(max(end_line - 1, 0), index_to_column(etext, max((end_column or 1) - 1, 0), encoding))
    return lsp.Range(start, end)


def results(view: DocView) -> list[tuple[FunctionView, Any, int]]:
    """``(function, result, current 1-based line)`` for every assertion result of the view."""
    return [(f, r, r.line + f.delta) for f in view.functions for r in f.results]


def trace_lines(result: Any, delta: int) -> list[tuple[int, str]]:
    """The counterexample run: ``(1-based line, description)`` per step."""
    out = []
    for step in result.trace.trace if result.trace is not None else ():
        label = {"entry": "entry", "loop": f"loop {step.loop} head", "assert": "assertion fails"}.get(step.kind,
                                                                                                      step.kind)
        values = ", ".join(f"{k}={_value(v)}" for k, v in step.values.items()) or "(no variables)"
        out.append((step.line + delta, f"{label}: {values}"))
    return out


def _value(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(int(v))


def diagnostics(view: DocView, encoding: str = "utf-16", related: bool = True) -> list[lsp.Diagnostic]:
    out: list[lsp.Diagnostic] = []
    for note in view.notes:
        out.append(lsp.Diagnostic(lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), note,
                                  severity=lsp.DiagnosticSeverity.Information, code=CODE_NOTE, source=SOURCE))
    for message in view.input_errors:
        out.append(lsp.Diagnostic(lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), message,
                                  severity=lsp.DiagnosticSeverity.Error, code=CODE_INPUT, source=SOURCE))
    for e in view.syntax_errors:
        out.append(lsp.Diagnostic(_range(view, e.line, e.column, encoding, e.end_line, e.end_column), e.message,
                                  severity=lsp.DiagnosticSeverity.Error, code=CODE_SYNTAX, source=SOURCE))
    for f in view.functions:
        if f.unsupported is not None and f.has_assertions:
            u = f.unsupported
            out.append(lsp.Diagnostic(_range(view, u.loc.line, u.loc.col, encoding),
                                      f"{f.name}: not verified: {u.message}",
                                      severity=lsp.DiagnosticSeverity.Information, code=CODE_UNSUPPORTED,
                                      source=SOURCE, data={"construct": u.construct}))
    for f, r, line in results(view):
        rng = _range(view, line, r.column, encoding)
        if r.verdict is Verdict.VIOLATED:
            info = None
            if related and r.trace is not None:
                info = [lsp.DiagnosticRelatedInformation(lsp.Location(view.uri, _range(view, ln, 1, encoding)), msg)
                        for ln, msg in trace_lines(r, f.delta)]
            out.append(lsp.Diagnostic(rng, f"assertion violated: {r.assertion} — {r.message}",
                                      severity=lsp.DiagnosticSeverity.Error, code=CODE_VIOLATED, source=SOURCE,
                                      related_information=info))
        elif r.verdict is Verdict.UNKNOWN:
            out.append(lsp.Diagnostic(rng, f"assertion not proved: {r.assertion} — {r.message}",
                                      severity=lsp.DiagnosticSeverity.Warning, code=CODE_UNKNOWN, source=SOURCE))
    return out


def _invariants(r: Any, delta: int) -> dict[int, str]:
    return {line + delta: text for line, text in r.invariants.items()}


def hover_text(view: DocView, line: int) -> str | None:
    """Markdown for 1-based ``line``: the assertion or loop on it, else its function."""
    f = view.function_at(line)
    if f is None:
        return None
    parts: list[str] = []
    here = [r for r in f.results if r.line + f.delta == line]
    for r in here:
        parts.append(f"**{r.verdict.value}** `{r.assertion}` — {r.time_s:.3f} s, {r.solver_calls} solver calls")
        if r.message:
            parts.append(r.message)
        for ln, inv in sorted(_invariants(r, f.delta).items()):
            parts.append(f"invariant (loop at line {ln}): `{inv}`")
    if line in f.loop_lines:
        invs = {ln: t for r in f.results for ln, t in _invariants(r, f.delta).items() if ln == line
                and r.verdict is Verdict.PROVED}
        parts.append(f"loop at line {line}: " + (f"proved invariant `{invs[line]}`" if line in invs
                                                 else "no proved invariant"))
    parts.append(_function_summary(f))
    return "\n\n".join(parts)


def _function_summary(f: FunctionView) -> str:
    lines = [f"function **{f.name}** — syntax nesting depth {f.syntax_depth}, loop nesting {f.loop_depth}, "
             f"{len(f.loop_lines)} loop(s)"]
    if f.reasoner is not None:
        r = f.reasoner
        lines.append(f"reasoner: {r.iterations} iteration(s), {'converged' if r.converged else 'did NOT converge'}; "
                     f"warm re-solve after the last edit: {r.warm_iterations} level sweep(s), "
                     f"{r.nodes_kept}/{r.nodes} node states kept")
    if f.unsupported is not None:
        lines.append(f"not verified: {f.unsupported.message}")
    elif f.results:
        counts: dict[str, int] = {}
        for r in f.results:
            counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
        calls = max(r.solver_calls for r in f.results)
        secs = max(r.time_s for r in f.results)
        lines.append(", ".join(f"{n} {v}" for v, n in sorted(counts.items())) +
                     f" — {secs:.3f} s, {calls} solver calls" + (" (cached)" if f.cached else ""))
    elif f.has_assertions:
        lines.append("not verified yet")
    else:
        lines.append("no assertions")
    return "\n\n".join(lines)


def code_lenses(view: DocView, encoding: str = "utf-16") -> list[lsp.CodeLens]:
    out = []
    for f in view.functions:
        if not f.results:
            continue
        counts: dict[Verdict, int] = {}
        for r in f.results:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        secs = max(r.time_s for r in f.results)
        title = "recursa: " + ", ".join(f"{n} {v.value}" for v, n in counts.items()) + f" ({secs:.2f} s)"
        out.append(lsp.CodeLens(_range(view, f.line, 1, encoding),
                                lsp.Command(title, "recursa.verifyFile", arguments=[view.uri])))
        for r in f.results:
            line = r.line + f.delta
            cmd = (lsp.Command(f"{r.verdict.value} ({r.time_s:.2f} s) — show counterexample",
                               "recursa.showCounterexample", arguments=[view.uri, line])
                   if r.verdict is Verdict.VIOLATED else lsp.Command(f"{r.verdict.value} ({r.time_s:.2f} s)", ""))
            out.append(lsp.CodeLens(_range(view, line, r.column, encoding), cmd))
    return out


def invariant_edit(view: DocView, f: FunctionView, loop_line: int, invariant: str) -> lsp.TextEdit:
    """A comment ``// invariant: ...`` / ``# invariant: ...`` on its own line above the loop, same indent."""
    text = line_text(view.text, loop_line - 1)
    indent = text[: len(text) - len(text.lstrip())]
    comment = f"{indent}{COMMENT_PREFIX.get(view.language, '//')} invariant: {invariant}\n"
    pos = lsp.Position(loop_line - 1, 0)
    return lsp.TextEdit(lsp.Range(pos, pos), comment)


def code_actions(view: DocView, first: int, last: int, timeout_s: float) -> list[lsp.CodeAction]:
    """Actions for 1-based lines ``first..last``."""
    out: list[lsp.CodeAction] = []
    seen_loops: set[int] = set()
    for f, r, line in results(view):
        in_range = first <= line <= last or (f.line <= first <= f.end_line)
        if not in_range:
            continue
        if r.verdict is Verdict.PROVED:
            for loop_line, inv in sorted(_invariants(r, f.delta).items()):
                if loop_line in seen_loops:
                    continue
                seen_loops.add(loop_line)
                if _has_comment(view, loop_line, inv):
                    continue
                edit = invariant_edit(view, f, loop_line, inv)
                out.append(lsp.CodeAction(f"Insert proved invariant above the loop at line {loop_line}",
                                          kind=lsp.CodeActionKind.RefactorRewrite,
                                          edit=lsp.WorkspaceEdit(changes={view.uri: [edit]})))
        elif r.verdict is Verdict.UNKNOWN and first <= line <= last:
            longer = max(timeout_s * 4, 30.0)
            out.append(lsp.CodeAction(f"Re-verify {f.name} with a {longer:g} s timeout",
                                      kind=lsp.CodeActionKind.QuickFix,
                                      command=lsp.Command("Re-verify", "recursa.verifyFunction",
                                                          arguments=[view.uri, f.name, longer])))
        elif r.verdict is Verdict.VIOLATED and first <= line <= last:
            out.append(lsp.CodeAction("Show the counterexample run", kind=lsp.CodeActionKind.QuickFix,
                                      command=lsp.Command("Show counterexample", "recursa.showCounterexample",
                                                          arguments=[view.uri, line])))
    return out


def _has_comment(view: DocView, loop_line: int, inv: str) -> bool:
    return f"invariant: {inv}" in line_text(view.text, loop_line - 2)


def counterexample_text(view: DocView, line: int) -> str | None:
    for f, r, ln in results(view):
        if ln == line and r.verdict is Verdict.VIOLATED:
            steps = "\n".join(f"  line {sl}: {msg}" for sl, msg in trace_lines(r, f.delta))
            return f"{view.uri}:{line}: {r.assertion} fails ({r.message}):\n{steps}"
    return None
