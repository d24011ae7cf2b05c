"""How ``recursa synth`` prints its results: SyGuS answers, a table, or JSON.

Paths and messages go through :func:`recursa.report.escape` (tables, comments) or :func:`recursa.report.dumps`
(ASCII JSON), so a file name holding a newline cannot forge a line of output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recursa.report import dumps, escape
from recursa.synth.problem import SynthResult, SynthStatus

FORMATS = ("json", "sygus", "table")


@dataclass(frozen=True)
class Summary:
    files: int
    counts: dict[SynthStatus, int]
    time_s: float

    @classmethod
    def of(cls, results: Sequence[SynthResult], seconds: float) -> Summary:
        tally = Counter(r.status for r in results)
        return cls(len(results), {s: tally.get(s, 0) for s in SynthStatus}, seconds)

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, **{s.value: n for s, n in self.counts.items()}, "time_s": round(self.time_s, 3)}

    def line(self) -> str:
        parts = ", ".join(f"{n} {s.value}" for s, n in self.counts.items() if n)
        return f"{self.files} file{'s' if self.files != 1 else ''}: {parts or 'nothing to do'} in {self.time_s:.2f} s"


def sygus_answer(result: SynthResult) -> str:
    """What a SyGuS solver prints for one ``check-synth``: the define-funs, ``infeasible`` or ``fail``; an input
    error prints nothing here (its message goes to stderr)."""
    if result.status is SynthStatus.SOLVED:
        return "\n".join(s.text() for s in result.solutions)
    if result.status is SynthStatus.INFEASIBLE:
        return "infeasible"
    if result.status is SynthStatus.ERROR:
        return ""
    return "fail"


def comment_prefix(language: str | None) -> str:
    return {"python": "# ", "c": "// "}.get(language or "", "; ")


def sygus_block(result: SynthResult, with_path: bool, code: str | None = None, language: str | None = None) -> str:
    """One file's answer (or, with ``language``, its emitted ``code``), after a ``; path`` comment line when
    ``with_path``; empty for an unreadable single file (its message is on stderr)."""
    comment = comment_prefix(language)
    head = f"{comment}{escape(result.path)}" if with_path else ""
    if language is not None:
        body = code or f"{comment}{result.status.value}"
    else:
        body = sygus_answer(result)
    return "\n".join(x for x in (head, body.rstrip("\n")) if x)


def block_separator(language: str | None) -> str:
    return "\n\n\n" if language is not None else "\n"  # code blocks: a module's blank lines between files


def render_table(results: Sequence[SynthResult], seconds: float, quiet: bool = False,
                 interrupted: bool = False) -> str:
    """One row per file (with ``quiet`` only those not solved), then the summary line."""
    lines = [f"{'status':<12}{'time':>9}{'candidates':>12}{'Z3 calls':>10}  {'guide':<9}file"]
    for r in results:
        if quiet and r.status is SynthStatus.SOLVED:
            continue
        lines.append(f"{r.status.value:<12}{r.time_s:>8.2f}s{r.candidates:>12}{r.solver_calls:>10}  {r.guide:<9}"
                     f"{escape(r.path)}")
        if r.message and r.status is not SynthStatus.SOLVED:
            lines.append(f"{'':<12}{escape(r.message)}")
    lines.append(Summary.of(results, seconds).line() + (" (interrupted)" if interrupted else ""))
    return "\n".join(lines) + "\n"


def render_json(results: Sequence[SynthResult], seconds: float, codes: Mapping[str, str] | None = None,
                interrupted: bool = False) -> str:
    items = []
    for r in results:
        data = r.to_json()
        if codes is not None:
            data["code"] = codes.get(r.path)
        items.append(data)
    return dumps({"results": items, "summary": Summary.of(results, seconds).to_json(),
                  "interrupted": interrupted}) + "\n"
