"""The verification pipeline: a verdict for every assertion of every function in a file.

Per function: convert (or report *unsupported*), encode the transition system, sample runs with the
concrete interpreter (reachable loop-head states; a run that fails an assertion is a violation with its
trace), infer invariants by verify-and-refine, re-check the proof with fresh solvers (*proved* only with a
valid certificate), and search what is left with longer runs and bounded model checking (*violated* only
when the interpreter replays the trace to the failing assertion). Anything else is *unknown*.
"""

from __future__ import annotations

import enum
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recursa.deadline import Deadline, DeadlineExceeded
from recursa.errors import RecursaError
from recursa.refine.context import LoopContext, SharedEncoding
from recursa.refine.ice import Budget, RefineResult, RefineStats, refine
from recursa.refine.rank import Ranker, UnguidedRanker, load_ranker
from recursa.symbolic.frontend import FunctionUnit, ProgramFile, load_program
from recursa.symbolic.ir import Function, Loc
from recursa.trees.languages import language_for_path
from recursa.trees.source import SourceError, decode_source, read_source


class Verdict(str, enum.Enum):
    """The outcome for one assertion.

    - ``proved``: an inductive invariant whose every verification condition a fresh solver re-checked;
    - ``violated``: a concrete run, replayed by the interpreter, reaches the failing assertion;
    - ``unknown``: neither within the budget or timeout (never a guess);
    - ``unsupported``: the function uses a construct outside the supported subset (named in the message);
    - ``overflow``: (``--int-semantics machine``, C) a concrete run, replayed by the interpreter, reaches a
      signed operation whose result does not fit in ``int``: undefined behaviour, reported at the operation.

    When a run has several verdicts the most severe one decides the exit code: violated and overflow (1),
    then unsupported and unknown (3), then proved (0). An input error (2, :class:`InputError`) comes before all.
    """

    PROVED = "proved"
    VIOLATED = "violated"
    UNKNOWN = "unknown"
    UNSUPPORTED = "unsupported"
    OVERFLOW = "overflow"

    @property
    def severity(self) -> int:
        """Rank for "which verdict wins": proved 0 < unknown 1 < unsupported 2 < overflow 3 < violated 4."""
        return (Verdict.PROVED, Verdict.UNKNOWN, Verdict.UNSUPPORTED, Verdict.OVERFLOW, Verdict.VIOLATED).index(self)

    @property
    def exit_code(self) -> int:
        """The exit code of ``recursa verify`` when this is the most severe verdict of a run."""
        if self is Verdict.PROVED:
            return 0
        return 1 if self in (Verdict.VIOLATED, Verdict.OVERFLOW) else 3


class InputError(RecursaError):
    """A file that cannot be verified at all: unreadable, empty, wrong language, syntax errors."""

    def __init__(self, path: str, message: str, line: int = 0, column: int = 0) -> None:
        self.path, self.message, self.line, self.column = path, message, line, column
        where = f"{path}:{line}:{column}" if line else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, int, int]]:
        # pickled by its fields (``verify --jobs`` sends it back from a worker process): the default would call
        # InputError(str(self)) and fail in the parent, which then waits forever for the lost result
        return (InputError, (self.path, self.message, self.line, self.column))


@dataclass(frozen=True)
class VerifyOptions:
    timeout_s: float = 10.0
    int_semantics: str = "math"
    cross_check: bool = False
    grammar: str = "linear"
    budget: Budget = field(default_factory=Budget)
    bmc_depth: int = 200
    random_runs: int = 12
    run_steps: int = 400
    long_runs: int = 3
    long_run_steps: int = 50_000
    seed: int = 0
    head_samples: int = 200
    sampling_goals: int = 16
    sampling_depth: int = 4
    sampling_time_s: float = 1.0
    #: short runs on small inputs (data for the linear and polynomial equalities at loop heads)
    algebraic_runs: int = 16
    algebraic_steps: int = 300


@dataclass(frozen=True)
class AssertionResult:
    """The verdict on one assertion, with its evidence (invariants or a trace)."""

    path: str
    function: str
    line: int
    column: int
    assertion: str
    verdict: Verdict
    message: str = ""
    invariant: str | None = None
    invariants: dict[int, str] = field(default_factory=dict)  # loop line -> invariant
    trace: Any = None  # recursa.symbolic.bmc.Violation
    time_s: float = 0.0
    solver_calls: int = 0
    check_calls: int = 0
    certificate: Any = None  # recursa.symbolic.check.Certificate
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "function": self.function, "line": self.line, "column": self.column,
            "assertion": self.assertion, "verdict": self.verdict.value, "message": self.message,
            "invariant": self.invariant, "invariants": {str(k): v for k, v in self.invariants.items()},
            "trace": self.trace.to_json() if self.trace is not None else None,
            "time_s": round(self.time_s, 6), "solver_calls": self.solver_calls, "check_calls": self.check_calls,
            "certificate": self.certificate.to_json() if self.certificate is not None else None,
            "stats": self.stats,
        }


@dataclass
class FileResult:
    path: str
    language: str = ""
    results: list[AssertionResult] = field(default_factory=list)
    error: InputError | None = None
    notes: list[str] = field(default_factory=list)
    functions: list[FunctionUnit] = field(default_factory=list)
    time_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "language": self.language, "time_s": round(self.time_s, 6),
                               "results": [r.to_json() for r in self.results], "notes": self.notes}
        if self.error is not None:
            out["error"] = {"message": self.error.message, "line": self.error.line, "column": self.error.column}
        return out


class Verifier:
    """Verifies files with one grammar and one ranker (loaded once, reused for every file)."""

    def __init__(self, options: VerifyOptions | None = None, ranker: Ranker | str | None = "default") -> None:
        from recursa.refine.grammar import load_grammar

        self.options = options or VerifyOptions()
        self.grammar = load_grammar(self.options.grammar)
        self.ranker: Ranker = load_ranker(ranker) if isinstance(ranker, str) or ranker is None else ranker

    # ---- files --------------------------------------------------------------------------------------
    def load(self, path: str | Path, source: bytes | None = None) -> ProgramFile:
        """Read and parse a file; raises :class:`InputError` for anything that cannot be verified."""
        p = str(path)
        lang = language_for_path(p)
        if lang is None or lang.name not in ("c", "python"):
            raise InputError(p, "not a C (.c) or Python (.py) file")
        try:
            data = read_source(p) if source is None else decode_source(source, p, python=lang.name == "python")
        except SourceError as exc:
            raise InputError(p, exc.message) from None
        if not data.strip():
            raise InputError(p, "file is empty")
        prog = load_program(data, lang.name, p, self.options.int_semantics)
        if prog.syntax_errors:
            e = prog.syntax_errors[0]
            more = f" (and {len(prog.syntax_errors) - 1} more)" if len(prog.syntax_errors) > 1 else ""
            raise InputError(p, f"{e.message}{more}", e.line, e.column)
        return prog

    def verify_file(self, path: str | Path, source: bytes | None = None, functions: frozenset[str] | None = None,
                    on_function: Callable[[list[AssertionResult]], None] | None = None) -> FileResult:
        """Every assertion of the file; with ``functions``, only those of the functions so named (a method
        matches by its own name or ``Class.method``). ``on_function`` gets each function's results as soon as
        that function is done (a command streams them)."""
        start = time.perf_counter()
        out = FileResult(str(path))
        try:
            prog = self.load(path, source)
        except InputError as exc:
            out.error = exc
            out.time_s = time.perf_counter() - start
            return out
        out.language = prog.language
        out.functions = prog.units
        trees = _FunctionTrees(prog)
        lines: list[str] | None = None
        for unit in prog.units:
            wanted = functions is None or bool({unit.name, unit.name.rsplit(".", 1)[-1]} & functions)
            checks = unit.function is not None and unit.name == "main" and any(
                a.kind == "overflow" for a in unit.function.assertions)  # a C program's implicit checks
            if not (unit.assertion_locs or checks) or not wanted:
                continue
            out.notes.extend(f"{unit.name}: {note}" for note in unit.notes)
            if unit.function is None and unit.unsupported is not None:
                if lines is None:
                    lines = prog.source.decode("utf-8", "replace").splitlines()
                for loc in unit.assertion_locs:
                    out.results.append(AssertionResult(
                        out.path, unit.name, loc.line, loc.col, _line_text(lines, loc), Verdict.UNSUPPORTED,
                        unit.unsupported.message))
                continue
            file_tree = None if isinstance(self.ranker, UnguidedRanker) else trees.around(unit)
            done = self.verify_function(unit.function, prog, file_tree)
            out.results.extend(done)
            if on_function is not None:
                on_function(done)
        if not out.results:
            out.notes.append("no assertions to verify")
        out.time_s = time.perf_counter() - start
        return out

    # ---- one function -------------------------------------------------------------------------------
    def verify_function(self, f: Function, prog: ProgramFile, file_tree: Any = None) -> list[AssertionResult]:
        start = time.perf_counter()
        deadline = Deadline(start + self.options.timeout_s, self.options.timeout_s)
        try:
            # the alarm is the last line: it ends pure-Python work that overran every cooperative check
            with deadline.alarm():
                return _FunctionRun(self, f, prog, file_tree, start, deadline).run()
        except DeadlineExceeded:
            return _all_unknown(f, prog, f"timeout after {self.options.timeout_s:g} s", start)
        except Exception as exc:  # never a traceback for the user; the verdict is honest: unknown
            if deadline.expired():  # an error past the deadline (e.g. Z3 interrupted by a signal) is the timeout
                return _all_unknown(f, prog, f"timeout after {self.options.timeout_s:g} s", start)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return _all_unknown(f, prog, f"internal error: {detail}", start)


def _all_unknown(f: Function, prog: ProgramFile, message: str, start: float) -> list[AssertionResult]:
    return [AssertionResult(prog.path, f.name, a.loc.line, a.loc.col, _check_text(a), Verdict.UNKNOWN, message,
                            time_s=time.perf_counter() - start) for a in f.assertions]


def _unmodelled_on(f: Function, v: Any, machine: bool) -> list[Any]:
    """The unmodelled constructs (havocs with :attr:`Havoc.unmodelled`) the violation ``v``'s run passes through,
    once each, in the order met (none when the function has none)."""
    from recursa.symbolic.interp import Interpreter, ReplayOracle
    from recursa.symbolic.ir import Havoc

    if not any(isinstance(s, Havoc) and s.unmodelled for s in f.statements()):
        return []
    met: list[Any] = []

    class _Watch(ReplayOracle):
        def nondet(self, stmt: Havoc, in_loop_condition: bool) -> Any:
            if stmt.unmodelled and all(m is not stmt for m in met):
                met.append(stmt)
            return super().nondet(stmt, in_loop_condition)

    Interpreter(f, machine).run(_Watch(v.initial, list(v.nondet)), max_steps=1_000_000)
    return met


def _check_text(a: Any) -> str:
    """How a result names its check: the assertion's text, or the operation an implicit check guards."""
    return f"overflow check '{a.text}'" if a.kind == "overflow" else a.text


def _line_text(lines: list[str], loc: Loc) -> str:
    return lines[loc.line - 1].strip() if 0 < loc.line <= len(lines) else ""


class _FunctionTrees:
    """The flat tree (punctuation dropped) a ranker cuts each function's subtree from.

    A small file is parsed once, whole. A huge one is parsed a run of top-level items at a time
    (:mod:`recursa.trees.chunks`), so memory follows the chunk instead of the file: each chunk's tree is
    shifted to file byte offsets, which makes every function's subtree identical to the one cut from the
    whole file. A chunk that does not parse cleanly (a cut inside a multi-line construct) falls back to the
    whole-file tree.
    """

    def __init__(self, prog: ProgramFile) -> None:
        from recursa.trees.chunks import CHUNK_THRESHOLD, split_top_level

        self.prog = prog
        self.whole: Any = None
        self.chunks = split_top_level(prog.source, prog.language) if len(prog.source) > CHUNK_THRESHOLD else None
        self.current: tuple[int, Any] | None = None  # (chunk index, its shifted tree)
        self.line_starts: Any = None

    def around(self, unit: FunctionUnit) -> Any:
        from recursa.trees.flatten import parse

        if self.chunks is not None and self.whole is None:
            tree = self._chunk_tree(unit.start_byte, unit.end_byte)
            if tree is not None:
                return tree
        if self.whole is None:
            self.current = None
            self.whole = parse(self.prog.source, self.prog.language, drop_punctuation=True)
        return self.whole

    def _chunk_tree(self, start: int, end: int) -> Any:
        import bisect

        import numpy as np

        from recursa.trees.flatten import FlatTree, _line_starts, parse

        assert self.chunks is not None
        offsets = [c.byte_offset for c in self.chunks]
        i = bisect.bisect_right(offsets, start) - 1
        chunk = self.chunks[i]
        if end > chunk.byte_offset + len(chunk.data):
            return None  # the function straddles a cut: the cut was wrong
        if self.current is not None and self.current[0] == i:
            return self.current[1]
        ft = parse(chunk.data, self.prog.language, drop_punctuation=True)
        if ft.errors:
            return None
        if self.line_starts is None:
            self.line_starts = _line_starts(self.prog.source)
        off = np.int64(chunk.byte_offset)
        shifted = FlatTree(ft.language, ft.parent, ft.kind, ft.token, ft.named, ft.start_byte + off,
                           ft.end_byte + off, ft.depth, self.line_starts, [], height=ft.height, rank=ft.rank)
        self.current = (i, shifted)
        return shifted


@dataclass
class _RunState:
    """What the phases of one function's check hand on to each other."""

    ts: Any
    asserts: dict[int, Any]
    interp: Any
    consts: list[int]
    samples: dict[int, list[dict[str, Any]]]  # loop head -> distinct reachable states
    seen: dict[int, set[tuple[Any, ...]]]
    bmc_stats: Any  # BMCStats of the bounded search
    violations: dict[int, Any] = field(default_factory=dict)  # assertion -> confirmed trace
    proved: set[int] = field(default_factory=set)
    proofs: dict[int, tuple[Any, dict[int, list[Any]]]] = field(default_factory=dict)  # -> (certificate, invariants)
    certificates: list[Any] = field(default_factory=list)
    phase_stops: dict[int, str] = field(default_factory=dict)  # assertion -> why its refinement stopped
    refine_stats: RefineStats = field(default_factory=RefineStats)
    keep_alive: list[Any] = field(default_factory=list)


class _FunctionRun:
    def __init__(self, verifier: Verifier, f: Function, prog: ProgramFile, file_tree: Any, start: float,
                 deadline: Deadline | None = None) -> None:
        self.v = verifier
        self.opt = verifier.options
        self.f = f
        self.prog = prog
        self.file_tree = file_tree
        self.start = start
        self.dl = deadline or Deadline(start + self.opt.timeout_s, self.opt.timeout_s)
        self.deadline = self.dl.at
        self.machine = self.opt.int_semantics == "machine"
        self.calls = 0
        self.check_calls = 0
        self.settled: dict[int, tuple[float, int]] = {}

    def _settle(self, k: int) -> None:
        self.settled.setdefault(k, (time.perf_counter() - self.start, self.calls))

    def run(self) -> list[AssertionResult]:
        from recursa.symbolic.transition import transition_system

        asserts = {a.index: a for a in self.f.assertions}
        ts = transition_system(self.f, self.machine)
        # No thread interrupts Z3 here: an interrupt that lands inside push/assert leaves the shared context
        # cancelled for every later function. Checks get the time left as their own timeout, bounded model
        # checking does not start a depth it cannot finish, and the alarm ends pure-Python overruns.
        return self._run(ts, asserts)

    def _run(self, ts: Any, asserts: dict[int, Any]) -> list[AssertionResult]:
        from recursa.symbolic.bmc import BMCStats
        from recursa.symbolic.interp import Interpreter

        state = _RunState(ts, asserts, Interpreter(self.f, self.machine), sorted(self.f.constants),
                          {h: [] for h in ts.heads}, {h: set() for h in ts.heads}, BMCStats())
        self._sample(state, self.opt.random_runs, self.opt.run_steps, 1000 * self.opt.seed, True)
        self._refine(state)
        self._search_rest(state)
        return self._verdicts(state)

    def _sample(self, state: _RunState, runs: int, steps: int, seed0: int, record_heads: bool) -> None:
        """Concrete random runs: reachable loop-head states (``record_heads``) and violations found by plain
        testing, each confirmed by a solver before it counts."""
        from recursa.symbolic.bmc import confirm
        from recursa.symbolic.interp import Outcome, RandomOracle

        live, cap = state.ts.live, self.opt.head_samples

        def on_head(loop: Any, env: dict[str, Any]) -> None:
            h = loop.index
            if len(state.samples[h]) >= cap:
                return
            key = tuple(env[v] for v in live[h])
            if key not in state.seen[h]:
                state.seen[h].add(key)
                state.samples[h].append(dict(zip(live[h], key)))

        biases = (0.5, 0.85, 0.97, 0.99)
        for i in range(runs):
            if len(state.violations) == len(state.asserts) or self.dl.expired():
                return
            oracle = RandomOracle(seed0 + i, state.consts, self.machine, continue_bias=biases[i % len(biases)])
            r = state.interp.run(oracle, max_steps=steps, on_head=on_head if record_heads else None,
                                 deadline=self.dl)
            if r.outcome is Outcome.VIOLATION and r.failed is not None and r.failed.index not in state.violations:
                v = confirm(state.ts, r.failed.index, r.initial, r.nondet, 0, "random run", deadline=self.dl)
                if v is not None:
                    state.violations[r.failed.index] = v
                    self._settle(r.failed.index)

    def _refine(self, state: _RunState) -> None:
        """Verify-and-refine for the assertions not already refuted. Implicit overflow checks (machine integers)
        come second, in at most half the time left: the assertions the program states are settled first, and a
        check that cannot be proved does not take their time."""
        todo = set(state.asserts) - set(state.violations)
        if not todo or self.dl.expired():
            return
        import z3

        f, ts = self.f, state.ts
        checks = {k for k in todo if state.asserts[k].kind == "overflow"}
        phases = [(todo - checks, self.dl), (checks, None)] if checks else [(todo, self.dl)]
        loops = {lp.index: lp for lp in f.loops}
        shared = SharedEncoding()  # the loops of one function share the ranker's encoding of its tree
        contexts = {h: LoopContext(f, loops[h], self.prog.source, self.prog.language, list(ts.live.get(h, [])),
                                   state.consts, self.file_tree, shared=shared) for h in ts.heads}
        state.keep_alive.append(contexts)
        budget = self.opt.budget
        alg_samples = self._algebraic_samples(state.interp, ts.live) if budget.algebraic and not self.machine else {}
        for goal, phase_dl in phases:
            if not goal or self.dl.expired():
                continue
            dl = phase_dl or self.dl.within(max(0.0, self.dl.remaining()) / 2)
            try:
                result = refine(ts, self.v.grammar, self.v.ranker, state.samples, contexts, goal, budget, dl,
                                sampler=self._sampler(ts, state.interp, ts.live), equality_data=alg_samples)
            except z3.Z3Exception:
                if not dl.expired():
                    raise
                result = RefineResult(set(), {}, RefineStats(stopped="timeout"))  # Z3 interrupted at the deadline
            # held until the verdicts are written, as a local of one long function held it: when Z3 frees its
            # terms changes the ids it reuses, and with them the models later checks return
            state.keep_alive.append(result)
            if phase_dl is not None:
                state.refine_stats = result.stats
            state.phase_stops.update(dict.fromkeys(goal, result.stats.stopped))
            self.calls += result.stats.solver_calls
            if result.proved:
                certificate, invariants = self._certify(ts, result.invariants, result.proved)
                state.certificates.append(certificate)
                if certificate.valid:
                    state.proved |= set(result.proved)
                    for k in result.proved:
                        state.proofs[k] = (certificate, invariants)
                        self._settle(k)

    def _search_rest(self, state: _RunState) -> None:
        """What is neither proved nor refuted: longer random runs, then bounded model checking."""
        from recursa.symbolic.bmc import bounded_check

        opt = self.opt
        left = set(state.asserts) - state.proved - set(state.violations)
        if left and time.perf_counter() < self.deadline:
            self._sample(state, opt.long_runs, opt.long_run_steps, 1000 * opt.seed + 500, False)
            left -= set(state.violations)
        if left and time.perf_counter() < self.deadline:
            found = bounded_check(state.ts, left, opt.bmc_depth, self.dl, opt.budget.query_timeout_ms * 2,
                                  state.bmc_stats)
            self.calls += state.bmc_stats.solver_calls
            for k, v in found.items():
                state.violations[k] = v
                self._settle(k)

    def _verdicts(self, state: _RunState) -> list[AssertionResult]:
        f, ts, bmc = self.f, state.ts, state.bmc_stats
        total = time.perf_counter() - self.start
        texts: dict[int, dict[int, str]] = {}
        stats = {"refine": state.refine_stats.to_json(),
                 "bmc": {"solver_calls": bmc.solver_calls, "depth": bmc.depth_reached, "timed_out": bmc.timed_out},
                 "ranker": getattr(self.v.ranker, "name", "?"), "loops": len(ts.heads)}
        out = []
        for k, a in sorted(state.asserts.items()):
            t, calls = self.settled.get(k, (total, self.calls))
            common = dict(path=self.prog.path, function=f.name, line=a.loc.line, column=a.loc.col,
                          assertion=_check_text(a), time_s=t, solver_calls=calls, check_calls=self.check_calls,
                          stats=stats)
            v = state.violations.get(k)
            if k in state.proved:
                certificate, invariants = state.proofs[k]
                inv_texts = texts.setdefault(id(invariants), self._invariant_texts(ts, invariants))
                inv = "; ".join(f"line {ln}: {txt}" for ln, txt in inv_texts.items()) if len(inv_texts) > 1 else (
                    next(iter(inv_texts.values())) if inv_texts else "true")
                out.append(AssertionResult(verdict=Verdict.PROVED, invariant=inv, invariants=inv_texts,
                                           certificate=certificate, message=_proved_message(ts, inv_texts),
                                           **common))
            elif v is not None and (met := _unmodelled_on(f, v, self.machine)):
                # the run depends on values the front end could not model: it may not be a real execution
                names = ", ".join(f"{h.unmodelled} at {h.loc}" for h in met)
                out.append(AssertionResult(verdict=Verdict.UNSUPPORTED,
                                           message=f"unsupported {names} (the violation found passes through "
                                                   f"{'it' if len(met) == 1 else 'them'})", **common))
            elif v is not None and a.kind == "overflow":
                out.append(AssertionResult(verdict=Verdict.OVERFLOW, trace=v,
                                           message=f"undefined behaviour: signed overflow in '{a.text}' after "
                                                   f"{_loop_visits(v)} loop-head visit(s) ({v.source})", **common))
            elif v is not None:
                out.append(AssertionResult(verdict=Verdict.VIOLATED, trace=v,
                                           message=f"fails after {_loop_visits(v)} loop-head visit(s) "
                                                   f"({v.source})", **common))
            else:
                out.append(AssertionResult(verdict=Verdict.UNKNOWN, message=self._unknown_reason(state, k),
                                           **common))
        return out

    def _unknown_reason(self, state: _RunState, k: int) -> str:
        reason = state.phase_stops.get(k) or state.refine_stats.stopped or "not proved"
        for certificate in state.certificates:
            if not certificate.valid and k in (certificate.assertions or ()):
                bad = next((c.name for c in certificate.vcs if c.status != "unsat"), "?")
                reason = f"certificate re-check failed ({bad})"
        if self.dl.expired():
            return f"timeout after {self.opt.timeout_s:g} s ({reason})"
        return f"{reason}; no violation within {max(state.bmc_stats.depth_reached, 0)} loop-head visits"

    def _algebraic_samples(self, interp: Any, live: dict[int, list[str]]) -> dict[int, list[dict[str, Any]]]:
        """Loop-head states of many short runs on small inputs, for the data equalities only (the grammar keeps
        its own samples). The first random runs draw wide values, so nested loops rarely finish and few states
        vary in every variable: a polynomial fitted to them would be a coincidence. About 1 ms a function."""
        from recursa.refine.algebraic import MAX_MONOMIALS, ROWS_PER_MONOMIAL

        out: dict[int, list[dict[str, Any]]] = {h: [] for h in live}
        cap = self.opt.head_samples

        def on_head(loop: Any, env: dict[str, Any]) -> None:
            h = loop.index
            if h in out and len(out[h]) < cap:
                out[h].append({v: env[v] for v in live[h]})

        enough = min(cap, ROWS_PER_MONOMIAL * MAX_MONOMIALS)
        for i in range(self.opt.algebraic_runs):
            if self.dl.expired() or all(len(states) >= enough for states in out.values()):
                break
            interp.run(_SmallInputs(7919 + 1000 * self.opt.seed + i), max_steps=self.opt.algebraic_steps,
                       on_head=on_head, deadline=self.dl)
        return out

    def _sampler(self, ts: Any, interp: Any, live: dict[int, list[str]]) -> Any:
        """Reachable states for the guards the random runs never covered: bounded model checking finds a
        run to each, the interpreter replays it and every loop-head state on the way becomes a sample."""
        from recursa.refine.candidates import atom_z3
        from recursa.symbolic.bmc import BMCStats, reach_heads
        from recursa.symbolic.interp import ReplayOracle

        def sample(uncovered: dict[int, list[Any]]) -> dict[int, list[dict[str, Any]]]:
            goals = [(h, atom_z3(a, ts.pre, ts.encoder)) for h, atoms in uncovered.items() for a in atoms]
            goals = goals[: self.opt.sampling_goals]
            out: dict[int, list[dict[str, Any]]] = {h: [] for h in ts.heads}

            def on_head(loop: Any, env: dict[str, Any]) -> None:
                out[loop.index].append({v: env[v] for v in live[loop.index]})

            if goals:
                stats = BMCStats()
                runs = reach_heads(ts, goals, self.opt.sampling_depth, self.dl.within(self.opt.sampling_time_s),
                                   self.opt.budget.query_timeout_ms, stats)
                self.calls += stats.solver_calls
                for initial, nondet in runs:
                    interp.run(ReplayOracle(initial, nondet), max_steps=self.opt.run_steps, on_head=on_head,
                               deadline=self.dl)
            return out

        return sample

    def _certify(self, ts: Any, inv: dict[int, list[Any]], proved: set[int]) -> tuple[Any, dict[int, list[Any]]]:
        import z3

        from recursa.refine.candidates import candidate_z3
        from recursa.symbolic.check import certify

        enc = ts.encoder
        formulas = {}
        texts = {}
        for h, cands in inv.items():
            parts = [candidate_z3(c, ts.pre, enc) for c in cands]
            formulas[h] = z3.And(parts) if len(parts) > 1 else (parts[0] if parts else z3.BoolVal(True, enc.ctx))
            texts[h] = " && ".join(_paren(c.text(self.f.display), len(cands)) for c in cands) or "true"
        remaining_ms = max(100, int((self.deadline - time.perf_counter()) * 1000))
        cert = certify(ts, formulas, texts, proved, timeout_ms=min(10_000, remaining_ms),
                       cross_check=self.opt.cross_check)
        self.check_calls += len(cert.vcs)
        return cert, inv

    def _invariant_texts(self, ts: Any, inv: dict[int, list[Any]]) -> dict[int, str]:
        loops = {lp.index: lp for lp in self.f.loops}
        out = {}
        for h in sorted(inv):
            cands = inv[h]
            out[loops[h].loc.line] = " && ".join(_paren(c.text(self.f.display), len(cands)) for c in cands) or "true"
        return out


class _SmallInputs:
    """Inputs for the equality data: mostly small non-negative integers (loop bounds that let nested loops
    finish inside the step limit; most programs assume their sizes are non-negative), a few negatives."""

    def __init__(self, seed: int) -> None:
        import random

        self.rng = random.Random(seed)

    def _int(self) -> int:
        return self.rng.randint(0, 9) if self.rng.random() < 0.85 else self.rng.randint(-4, 9)

    def initial(self, var: str, sort: Any) -> Any:
        from recursa.symbolic.ir import Sort

        return self.rng.random() < 0.5 if sort is Sort.BOOL else self._int()

    def nondet(self, stmt: Any, in_loop_condition: bool) -> Any:
        from recursa.symbolic.ir import Sort

        if stmt.sort is Sort.BOOL:
            return self.rng.random() < (0.9 if in_loop_condition else 0.5)
        if in_loop_condition:
            return self.rng.choice((1, 1, 2, -1, 7)) if self.rng.random() < 0.9 else 0
        return self._int()


def _paren(text: str, n: int) -> str:
    return f"({text})" if "||" in text and n > 1 else text


def _loop_visits(v: Any) -> int:
    return sum(1 for s in v.trace if s.kind == "loop")


def _proved_message(ts: Any, texts: dict[int, str]) -> str:
    if not ts.heads:
        return "holds on every path (no loops)"
    return "inductive invariant re-checked by a fresh solver"
