"""``recursa bench fuzz``: hostile inputs through the real CLI, counting exit codes, tracebacks and hangs.

Each case is a small set of files (random bytes, truncated or mutated real programs and data, deep
nesting, huge constants, malformed data for ``eval``) and one command line (``parse``, ``verify``,
``analyze`` or ``eval``), run in this process through click's test runner so thousands of cases fit in
minutes. A case *fails* when the command ends in a Python traceback or reports an "internal error" (an
honest ``unknown`` that still hides a bug), with an exit code outside the command's documented set, or
later than its time limit (for ``verify``: any function's verdict later than its ``--timeout`` plus 10% or
0.5 s). The same generator feeds ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import _thread
import json
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

#: The exit codes each command documents.
EXIT_CODES: dict[str, frozenset[int]] = {
    "parse": frozenset({0, 1, 2}),
    "verify": frozenset({0, 1, 2, 3}),
    "analyze": frozenset({0, 1, 2, 3}),
    "eval": frozenset({0, 2}),
}
#: ``verify --timeout`` used by the fuzz cases (seconds per function).
VERIFY_TIMEOUT_S = 0.5
#: A case that runs longer than this in total is a hang, whatever the command.
HANG_S = 60.0

_PUNCT = "(){}[];:,=<>+-*/%!&|^~ \n\t0123456789xyzni"
_KEYWORDS = ("while", "for", "if", "else", "break", "continue", "return", "assert", "def", "int", "do")


@dataclass(frozen=True)
class FuzzCase:
    """One command line over files written into a fresh directory (``{}`` in ``args`` is that directory);
    top-level files are passed as paths, files in sub-folders only support them (a checkpoint)."""

    kind: str
    command: str
    files: dict[str, bytes]
    args: tuple[str, ...] = ()

    def argv(self, directory: Path) -> list[str]:
        paths = [str(directory / name) for name in self.files if "/" not in name]
        return [self.command, *[a.replace("{}", str(directory)) for a in self.args], *paths]


@dataclass(frozen=True)
class CaseResult:
    case: FuzzCase
    exit_code: int
    seconds: float
    traceback: str = ""
    late: str = ""
    output_tail: str = ""

    @property
    def bad_exit(self) -> bool:
        return self.exit_code not in EXIT_CODES[self.case.command]

    @property
    def ok(self) -> bool:
        return not self.traceback and not self.bad_exit and not self.late

    def describe(self) -> str:
        what = self.traceback or self.late or (f"exit code {self.exit_code}" if self.bad_exit else "ok")
        sizes = ", ".join(f"{k} ({len(v)} bytes)" for k, v in self.case.files.items())
        return f"[{self.case.kind}] recursa {self.case.command} {' '.join(self.case.args)} {sizes}: {what}"


# ---- the corpus -------------------------------------------------------------------------------------------


def corpus() -> dict[str, list[tuple[str, bytes]]]:
    """Real inputs to mutate: example and suite programs by language, and eval data files."""
    from recursa.paths import EXAMPLES_DIR, TASKS_DIR

    out: dict[str, list[tuple[str, bytes]]] = {"c": [], "python": [], "data": []}
    dirs = [EXAMPLES_DIR, Path(TASKS_DIR) / "invariants"]
    for d in dirs:
        for p in sorted(d.rglob("*")) if d.is_dir() else []:
            if p.suffix == ".c":
                out["c"].append((p.name, p.read_bytes()))
            elif p.suffix == ".py":
                out["python"].append((p.name, p.read_bytes()))
    for p in sorted(Path(TASKS_DIR).rglob("*")):
        small = p.suffix in (".tsv", ".jsonl") and p.is_file() and p.stat().st_size < 200_000
        if small and "invariants" not in p.parts:
            out["data"].append((p.name, p.read_bytes()[:4000]))
    return out


# ---- generators -------------------------------------------------------------------------------------------


def _mutate(rng: random.Random, data: bytes, edits: int) -> bytes:
    b = bytearray(data)
    for _ in range(edits):
        op = rng.random()
        pos = rng.randrange(len(b) + 1)
        if op < 0.3 and b:
            del b[min(pos, len(b) - 1):min(pos, len(b) - 1) + rng.randint(1, 8)]
        elif op < 0.6:
            b[pos:pos] = rng.choice(_PUNCT).encode()
        elif op < 0.75:
            b[pos:pos] = (" " + rng.choice(_KEYWORDS) + " ").encode()
        elif op < 0.9 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        else:
            b[pos:pos] = str(rng.choice((2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**30, 2**200))).encode()
    return bytes(b)


def _big_constants(rng: random.Random, data: bytes) -> bytes:
    """The program with its integer literals replaced, some by values far beyond 64 bits (still valid syntax)."""
    import re

    values = (0, 1, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**40, 2**300)
    return re.sub(rb"\b\d+\b", lambda m: str(rng.choice(values)).encode() if rng.random() < 0.5 else m.group(0),
                  data)


def _deep_expression(rng: random.Random, language: str, depth: int) -> bytes:
    inner = "(" * depth + "x" + " + 1)" * depth
    if language == "python":
        return f"def f(x):\n    y = {inner}\n    assert y >= x\n".encode()
    return f"int f(int x) {{ int y = {inner}; assert(y >= x); return 0; }}\n".encode()


def _nested_loops(rng: random.Random, language: str, depth: int) -> bytes:
    if language == "python":
        lines = ["def f(n):", "    s = 0"]
        for i in range(depth):
            lines.append("    " * (i + 1) + f"i{i} = 0")
            lines.append("    " * (i + 1) + f"while i{i} < n:")
            lines.append("    " * (i + 2) + f"i{i} = i{i} + 1")
        lines.append("    " * (depth + 1) + "s = s + 1")
        lines.append("    assert s >= 0")
        return ("\n".join(lines) + "\n").encode()
    body = "s = s + 1;"
    for i in reversed(range(depth)):
        body = f"for (int i{i} = 0; i{i} < n; i{i}++) {{ {body} }}"
    return f"int f(int n) {{ int s = 0; {body} assert(s >= 0); return 0; }}\n".encode()


def _bad_data(rng: random.Random, data: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    labels = ["²", "٣", "1e3", "-1", str(2**63), str(2**64), "3.5", "", "NaN", "0x10", "true", "7"]
    forms = [
        lambda lab: f"{lab}\t[MAX 1 2 ]\n",
        lambda lab: f"[MAX 1 {lab} ]\t3\n",
        lambda lab: f'{{"source": "[MAX 1 2 ]", "language": "listops", "label": {json.dumps(lab)}}}\n',
        lambda lab: f'{{"source": "[MAX 1 2 ]", "language": "listops", "label": 2, "depth": {lab or 0}}}\n',
        lambda lab: f'{{"source": {json.dumps(lab)}, "language": "python", "label": 1}}\n',
    ]
    pick = rng.random()
    if pick < 0.4:
        i = rng.randrange(len(forms))
        text = "".join(forms[i](rng.choice(labels)) for _ in range(rng.randint(1, 3)))
        return ("d.tsv" if i < 2 else "d.jsonl"), text.encode()
    if pick < 0.6 or not data:
        return rng.choice(("d.tsv", "d.jsonl")), rng.randbytes(rng.randint(0, 300))
    name, content = rng.choice(data)
    cut = content[: rng.randint(0, len(content))]
    return name, _mutate(rng, cut, rng.randint(0, 6))


def _bad_checkpoint(rng: random.Random) -> dict[str, bytes]:
    config = json.dumps({"model_type": "recursa", "hidden_size": 8}).encode()
    weights = rng.choice([b"", rng.randbytes(64), (10**6).to_bytes(8, "little") + b"{}",
                          (7).to_bytes(8, "little") + b'{"a":1}'])
    return {"ckpt/config.json": config, "ckpt/model.safetensors": weights}


def make_case(rng: random.Random, docs: dict[str, list[tuple[str, bytes]]], weights: dict[str, float] | None = None
              ) -> FuzzCase:
    """A random case; ``weights`` gives the share of each command (default: mostly parse and verify)."""
    weights = weights or {"parse": 0.45, "verify": 0.45, "analyze": 0.03, "eval": 0.07}
    command = rng.choices(list(weights), list(weights.values()))[0]
    if command == "eval":
        if rng.random() < 0.2:
            files = {**_bad_checkpoint(rng), "d.tsv": b"7\t[MAX 1 7 2 ]\n"}
            return FuzzCase("checkpoint", "eval", files, ("--checkpoint", "{}/ckpt"))
        name, content = _bad_data(rng, docs["data"])
        return FuzzCase("data", "eval", {name: content})
    language = rng.choice(("c", "python"))
    ext = ".c" if language == "c" else ".py"
    r = rng.random()
    if r < 0.12:
        kind, content = "random-bytes", rng.randbytes(rng.randint(0, 3000))
    elif r < 0.16:
        kind, content = "deep-expression", _deep_expression(rng, language, rng.choice((100, 1000, 10_000)))
    elif r < 0.2:
        kind, content = "nested-loops", _nested_loops(rng, language, rng.choice((20, 60, 200)))
    else:
        _, src = rng.choice(docs[language])
        if r < 0.3:
            kind, content = "constants", _big_constants(rng, src)
        elif r < 0.45:
            kind, content = "truncated", src[: rng.randint(0, len(src))]
        else:
            kind, content = "mutated", _mutate(rng, src, rng.randint(1, 12))
    args: tuple[str, ...] = ()
    if command == "verify":
        args = ("--ranker", "unguided", "--timeout", str(VERIFY_TIMEOUT_S), "--format", "json", "--no-progress")
    elif command == "analyze":
        args = ("--timeout", str(VERIFY_TIMEOUT_S))
    elif command == "parse":
        args = ("--json",) if rng.random() < 0.5 else ()
    return FuzzCase(kind, command, {f"input{ext}": content}, args)


def cases(n: int, seed: int = 0, weights: dict[str, float] | None = None) -> Iterator[FuzzCase]:
    """``n`` cases from ``seed`` (the same seed gives the same cases)."""
    rng = random.Random(seed)
    docs = corpus()
    for _ in range(n):
        yield make_case(rng, docs, weights)


# ---- running ----------------------------------------------------------------------------------------------


def run_case(case: FuzzCase, hang_s: float = HANG_S, late_margin_s: float | None = None) -> CaseResult:
    """Run ``case`` through the real CLI in this process; a run past ``hang_s`` is interrupted.

    ``late_margin_s``: how far past ``--timeout`` a verify verdict may come (default: the promise, 10% or
    0.5 s; tests on a loaded machine pass a wider margin)."""
    from click.testing import CliRunner

    from recursa.cli import main

    with tempfile.TemporaryDirectory(prefix="recursa-fuzz-") as tmp:
        d = Path(tmp)
        for name, content in case.files.items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            (d / name).write_bytes(content)
        done = threading.Event()
        hung = threading.Event()

        def guard() -> None:
            if not done.wait(hang_s):
                hung.set()
                _thread.interrupt_main()

        threading.Thread(target=guard, daemon=True).start()
        start = time.perf_counter()
        try:
            result = CliRunner().invoke(main, case.argv(d), catch_exceptions=True)
        except KeyboardInterrupt:
            if not hung.is_set():
                raise
            return CaseResult(case, -1, time.perf_counter() - start, late=f"hang: interrupted after {hang_s:g} s")
        finally:
            done.set()
        seconds = time.perf_counter() - start
    output = result.output or ""
    trace = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = f"uncaught {type(result.exception).__name__}: {result.exception}"[:300]
    elif "Traceback (most recent call last)" in output:
        trace = "traceback in output"
    late = _late(case, result.stdout or "", late_margin_s)
    if not trace and "internal error:" in output:  # verify's honest "unknown" that still hides a bug
        trace = "internal error: " + output.split("internal error:", 1)[1].strip().splitlines()[0][:200]
    return CaseResult(case, result.exit_code, seconds, trace, late, output[-400:])


def _late(case: FuzzCase, output: str, margin_s: float | None = None) -> str:
    """For verify: a verdict later than the promise (timeout + max(10%, 0.5 s), or ``margin_s``)."""
    if case.command != "verify" or "--format" not in case.args:
        return ""
    try:
        report = json.loads(output)
    except json.JSONDecodeError:
        return ""
    limit = VERIFY_TIMEOUT_S + (max(0.1 * VERIFY_TIMEOUT_S, 0.5) if margin_s is None else margin_s)
    late = [r for r in report.get("results", []) if r.get("time_s", 0) > limit]
    return f"verdict after {late[0]['time_s']:.2f} s (limit {limit:.2f} s)" if late else ""


@dataclass
class FuzzReport:
    results: list[CaseResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        codes: dict[str, Counter[int]] = {}
        for r in self.results:
            codes.setdefault(r.case.command, Counter())[r.exit_code] += 1
        slow = sorted(self.results, key=lambda r: -r.seconds)[:5]
        return {
            "cases": len(self.results),
            "exit_codes": {cmd: dict(sorted(c.items())) for cmd, c in sorted(codes.items())},
            "tracebacks_or_internal_errors": sum(bool(r.traceback) for r in self.results),
            "bad_exit_codes": sum(r.bad_exit for r in self.results),
            "late_or_hung": sum(bool(r.late) for r in self.results),
            "failures": [r.describe() for r in self.results if not r.ok][:20],
            "slowest": [{"seconds": round(r.seconds, 3), "case": r.describe()} for r in slow],
            "time_s": round(sum(r.seconds for r in self.results), 3),
        }


def run(n: int, seed: int = 0, on_case: Callable[[CaseResult], None] | None = None) -> FuzzReport:
    report = FuzzReport()
    for case in cases(n, seed):
        r = run_case(case)
        report.results.append(r)
        if on_case is not None:
            on_case(r)
    return report


@click.command("fuzz")
@click.option("--n", "n", type=click.IntRange(min=1), default=1000, show_default=True, help="Number of cases.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the counts.")
def bench_fuzz(n: int, seed: int, as_json: bool) -> None:
    """Fuzz parse, verify, analyze and eval with hostile inputs; exit 1 if any case failed."""
    import sys

    from tqdm import tqdm

    bar = tqdm(total=n, disable=as_json or not sys.stderr.isatty(), unit="case")
    report = run(n, seed, on_case=lambda r: bar.update(1))
    bar.close()
    summary = report.to_json()
    if as_json:
        click.echo(json.dumps(summary, indent=1))
    else:
        click.echo(f"{summary['cases']} cases in {summary['time_s']:.1f} s: "
                   f"{summary['tracebacks_or_internal_errors']} traceback(s) or internal error(s), "
                   f"{summary['bad_exit_codes']} undocumented exit code(s), {summary['late_or_hung']} late/hung")
        for cmd, codes in summary["exit_codes"].items():
            click.echo(f"  {cmd:<8} " + "  ".join(f"exit {k}: {v}" for k, v in codes.items()))
        for f in summary["failures"]:
            click.echo(f"  FAIL {f}")
        click.echo("slowest:")
        for s in summary["slowest"]:
            click.echo(f"  {s['seconds']:7.2f} s  {s['case']}")
    failed = summary["tracebacks_or_internal_errors"] or summary["bad_exit_codes"] or summary["late_or_hung"]
    sys.exit(1 if failed else 0)
