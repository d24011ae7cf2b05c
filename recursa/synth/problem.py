"""A SyGuS problem and a synthesis answer, as typed values.

:mod:`recursa.synth.sygus` reads SyGuS-IF v2 files into :class:`Problem`; the engine
(:func:`recursa.synth.engine.solve`) answers with a :class:`SynthResult`; the CLI, the bench and the
language server print those results. Terms are :mod:`recursa.symbolic.terms` values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from recursa.symbolic.terms import Sort, Span, Term, to_smtlib

Param = tuple[str, Sort]


def params_text(params: tuple[Param, ...]) -> str:
    return "(" + " ".join(f"({name} {sort})" for name, sort in params) + ")"


def define_fun_text(name: str, params: tuple[Param, ...], sort: Sort, body: Term) -> str:
    """``(define-fun f ((x Int)) Int body)``, as SyGuS solvers print an answer."""
    return f"(define-fun {name} {params_text(params)} {sort} {to_smtlib(body)})"


@dataclass(frozen=True)
class AnyConstant:
    """``(Constant S)`` in a grammar: any literal of sort ``S``."""

    sort: Sort


@dataclass(frozen=True)
class AnyVariable:
    """``(Variable S)`` in a grammar: any parameter of the function of sort ``S``."""

    sort: Sort


Production = Term | AnyConstant | AnyVariable


@dataclass(frozen=True)
class NonTerminal:
    """A grammar non-terminal. In a production term, a :class:`~recursa.symbolic.terms.Var` whose name is
    a non-terminal of the grammar stands for that non-terminal (SyGuS-IF forbids a parameter of the same
    name)."""

    name: str
    sort: Sort
    productions: tuple[Production, ...]


@dataclass(frozen=True)
class Grammar:
    """Non-terminals in declaration order; the first is the start symbol."""

    nonterminals: tuple[NonTerminal, ...]

    @property
    def start(self) -> NonTerminal:
        return self.nonterminals[0]

    def get(self, name: str) -> NonTerminal | None:
        for nt in self.nonterminals:
            if nt.name == name:
                return nt
        return None


@dataclass(frozen=True)
class SynthFun:
    """A function to synthesise; ``grammar`` None means every term of the logic over the parameters."""

    name: str
    params: tuple[Param, ...]
    sort: Sort
    grammar: Grammar | None = None
    invariant: bool = False  # declared with synth-inv
    span: Span | None = None


@dataclass(frozen=True)
class FunctionDefinition:
    """A function with its body: ``(define-fun name params sort body)``."""

    name: str
    params: tuple[Param, ...]
    sort: Sort
    body: Term

    def text(self) -> str:
        """Exactly as SyGuS solvers print it: ``(define-fun f ((x Int)) Int body)``."""
        return define_fun_text(self.name, self.params, self.sort, self.body)


@dataclass(frozen=True)
class DefineFun(FunctionDefinition):
    """A ``define-fun`` of the input file, and where it stands."""

    span: Span | None = None


@dataclass(frozen=True)
class InvConstraint:
    """``(inv-constraint inv pre trans post)``: the names of the four functions."""

    inv: str
    pre: str
    trans: str
    post: str
    span: Span | None = None


@dataclass
class Problem:
    """One ``.sl`` file up to its (first) ``check-synth``.

    ``constraints`` are Bool terms over ``declared`` variables in which a synth-fun call is an
    :class:`~recursa.symbolic.terms.App` whose ``op`` is the function's name; calls of ``define-fun``s are
    left as applications too (``definitions`` has their bodies). Each ``inv-constraint`` is kept in
    ``inv_constraints`` *and* expanded into its three constraints (with fresh declared variables for the
    primed copies), so an engine that knows nothing of invariants still sees the whole specification.
    """

    path: str
    logic: str
    functions: tuple[SynthFun, ...]
    declared: tuple[Param, ...]
    constraints: tuple[Term, ...]
    definitions: dict[str, DefineFun] = field(default_factory=dict)
    inv_constraints: tuple[InvConstraint, ...] = ()
    notes: tuple[str, ...] = ()  # commands read but ignored (set-option, set-info, ...)

    def function(self, name: str) -> SynthFun:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def is_invariant(self) -> bool:
        return bool(self.inv_constraints)


class SynthStatus(str, enum.Enum):
    """The outcome for one problem, in order of severity (the CLI's exit code follows the worst one).

    - ``solved``: every function has a body, and a fresh Z3 solver re-checked the whole specification;
    - ``infeasible``: the grammar provably cannot express a solution (proved, not merely exhausted);
    - ``unknown``: the time or search limit was reached (never a guess);
    - ``unsupported``: the file uses a logic or command recursa does not handle (named in ``message``);
    - ``error``: the file cannot be read or is not a well-formed, well-sorted problem.
    """

    SOLVED = "solved"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"
    UNSUPPORTED = "unsupported"
    ERROR = "error"

    @property
    def exit_code(self) -> int:
        return {"solved": 0, "infeasible": 1, "unknown": 3, "unsupported": 3, "error": 2}[self.value]

    @property
    def severity(self) -> int:
        """Which status wins when several files are reported: error > infeasible > unknown/unsupported."""
        return {"solved": 0, "unknown": 1, "unsupported": 1, "infeasible": 2, "error": 3}[self.value]


@dataclass(frozen=True)
class Solution(FunctionDefinition):
    """A synthesised function: the answer for one ``synth-fun`` / ``synth-inv``."""


@dataclass
class SynthResult:
    path: str
    status: SynthStatus
    solutions: tuple[Solution, ...] = ()
    time_s: float = 0.0
    candidates: int = 0  # terms enumerated (or invariant candidates tried)
    solver_calls: int = 0
    guide: str = "none"  # "reasoner" | "none"
    message: str = ""  # why unknown / unsupported / error; file:line:col for errors
    stats: dict[str, Any] = field(default_factory=dict)  # engine-specific counters, JSON-ready

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status.value,
            "solution": "\n".join(s.text() for s in self.solutions) if self.solutions else None,
            "time_s": round(self.time_s, 4),
            "candidates": self.candidates,
            "solver_calls": self.solver_calls,
            "guide": self.guide,
            "message": self.message,
            **({"stats": self.stats} if self.stats else {}),
        }


@dataclass(frozen=True)
class SynthOptions:
    timeout_s: float = 10.0  # per problem, wall clock; the engine returns ``unknown`` by then
    guide: str = "none"  # "none" | "reasoner"
    cross_check: bool = False  # also ask cvc5 to confirm every answer
    seed: int = 0
    max_size: int = 0  # 0: no size limit other than the timeout

