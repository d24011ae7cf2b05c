"""A concrete interpreter of the IR: replays violation traces and samples reachable loop-head states.

It walks the structured IR (not the control-flow graph the symbolic side uses), so a trace found by
bounded model checking is confirmed by an independent reading of the program. Statements run on an
explicit frame stack (no recursion); expressions are compiled to Python closures once.

Semantics: ``math`` uses unbounded integers; ``machine`` wraps every arithmetic result to 32-bit two's
complement (C's signed overflow is caught before that by the front end's implicit checks, ``Assert`` of kind
``overflow``; unsigned values are bit patterns that ``udiv``/``urem``/``lshr``/``ult``... read unsigned), C division
truncates towards zero, Python's ``//`` and ``%`` floor.
"""

from __future__ import annotations

import enum
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from recursa.deadline import Deadline
from recursa.symbolic.ir import (
    Assert,
    Assign,
    Assume,
    Binary,
    Break,
    Const,
    Continue,
    Expr,
    Function,
    Havoc,
    If,
    Ite,
    Loop,
    Return,
    Sort,
    Unary,
    Var,
    postorder,
)

INT_BITS = 32
_MOD = 1 << INT_BITS
_HALF = 1 << (INT_BITS - 1)
INT_MIN, INT_MAX = -_HALF, _HALF - 1


def wrap(v: int) -> int:
    """``v`` as a 32-bit two's-complement integer."""
    return ((v + _HALF) & (_MOD - 1)) - _HALF


def cdiv(a: int, b: int) -> int:
    """C division: truncates towards zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def cmod(a: int, b: int) -> int:
    return a - b * cdiv(a, b)


def _u(v: int) -> int:
    return v & (_MOD - 1)


#: Machine-integer operators that read their operands as unsigned 32-bit values, and the overflow check of
#: signed ``*`` (the exact product within the 32-bit range).
_SPECIAL: dict[str, Callable[[int, int], Value]] = {
    "udiv": lambda a, b: wrap(_u(a) // _u(b)),
    "urem": lambda a, b: wrap(_u(a) % _u(b)),
    "lshr": lambda a, b: wrap(_u(a) >> b),
    "ult": lambda a, b: _u(a) < _u(b),
    "ule": lambda a, b: _u(a) <= _u(b),
    "ugt": lambda a, b: _u(a) > _u(b),
    "uge": lambda a, b: _u(a) >= _u(b),
    "mul_fits": lambda a, b: INT_MIN <= a * b <= INT_MAX,
}


#: Concrete runs stop ("too large") once an integer exceeds this magnitude: a value that squares itself
#: every iteration would otherwise make each step slower than the last and never reach a deadline check.
VALUE_BITS = 256
#: Shift counts above this end the run too (``1 << 10**12`` would try to allocate terabytes).
MAX_SHIFT = 4 * VALUE_BITS
#: The interpreter looks at its deadline every this many steps.
DEADLINE_EVERY = 256


class ValueTooLarge(ArithmeticError):
    """A concrete value outside the interpreter's bounds; the run ends with :attr:`Outcome.TOO_LARGE`."""


def shl(a: int, b: int) -> int:
    """``a << b`` that refuses shift counts which would build astronomically large integers."""
    if b > MAX_SHIFT:
        if a == 0:
            return 0
        raise ValueTooLarge(f"shift by {b}")
    return a << b


Value = int | bool
Env = dict[str, Value]


# ---- expressions --------------------------------------------------------------------------------------

_PY_BINOP = {"add": "+", "sub": "-", "mul": "*", "band": "&", "bor": "|", "bxor": "^",
             "shr": ">>", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_WRAPPED = frozenset({"add", "sub", "mul", "band", "bor", "bxor", "shl", "cdiv", "cmod", "fdiv", "fmod"})
_MAX_SOURCE_DEPTH = 60
_OPERATOR: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "band": operator.and_, "bor": operator.or_,
    "bxor": operator.xor, "shl": shl, "shr": operator.rshift, "lt": operator.lt, "le": operator.le,
    "gt": operator.gt, "ge": operator.ge, "eq": operator.eq, "ne": operator.ne}


def _depth(expr: Expr) -> int:
    depth: dict[int, int] = {}
    for node in postorder(expr):
        depth[id(node)] = 1 + max((depth[id(c)] for c in node.children()), default=0)
    return depth[id(expr)]


def _source(expr: Expr, machine: bool) -> str:
    parts: dict[int, str] = {}
    for node in postorder(expr):
        k = [parts[id(c)] for c in node.children()]
        if isinstance(node, Const):
            s = ("True" if node.value else "False") if node.sort is Sort.BOOL else f"({node.value})"
        elif isinstance(node, Var):
            s = f"env[{node.name!r}]"
        elif isinstance(node, Unary):
            s = {"neg": f"(-{k[0]})", "bnot": f"(~{k[0]})", "not": f"(not {k[0]})",
                 "to_int": f"(1 if {k[0]} else 0)", "to_bool": f"({k[0]} != 0)"}[node.op]
            if machine and node.op in ("neg", "bnot"):
                s = f"_wrap({s})"
        elif isinstance(node, Binary):
            op = node.op
            if op in ("and", "or"):
                s = f"({k[0]} {op} {k[1]})"
            elif op in _SPECIAL:
                s = f"_special[{op!r}]({k[0]}, {k[1]})"
            elif op in ("cdiv", "cmod", "shl"):
                s = f"_{op}({k[0]}, {k[1]})"
            elif op == "fdiv":
                s = f"({k[0]} // {k[1]})"
            elif op == "fmod":
                s = f"({k[0]} % {k[1]})"
            else:
                s = f"({k[0]} {_PY_BINOP[op]} {k[1]})"
            if machine and op in _WRAPPED:
                s = f"_wrap({s})"  # parenthesised: ``s`` may be a call such as ``_cdiv(a, b)``
        elif isinstance(node, Ite):
            s = f"({k[1]} if {k[0]} else {k[2]})"
        else:
            raise TypeError(node)
        parts[id(node)] = s
    return parts[id(expr)]


def _closure(expr: Expr, machine: bool) -> Callable[[Env], Value]:
    """A stack-machine evaluator for expressions too deep for Python's compiler."""
    order = postorder(expr)
    index = {id(n): i for i, n in enumerate(order)}
    program = [(n, [index[id(c)] for c in n.children()]) for n in order]
    w = wrap if machine else (lambda v: v)

    def run(env: Env) -> Value:
        vals: list[Value] = []
        for node, kids in program:
            a = [vals[i] for i in kids]
            if isinstance(node, Const):
                v: Value = bool(node.value) if node.sort is Sort.BOOL else node.value
            elif isinstance(node, Var):
                v = env[node.name]
            elif isinstance(node, Unary):
                v = _apply_unary(node.op, a[0], w)
            elif isinstance(node, Binary):
                x, y = a
                v = _apply_binary(node.op, x, y, w)
            elif isinstance(node, Ite):
                v = a[1] if a[0] else a[2]
            else:
                raise TypeError(node)
            vals.append(v)
        return vals[-1]

    return run


def _apply_unary(op: str, x: Any, w: Callable[[int], int]) -> Value:
    if op == "neg":
        return w(-x)
    if op == "bnot":
        return w(~x)
    if op == "not":
        return not x
    if op == "to_int":
        return 1 if x else 0
    return x != 0


def _apply_binary(op: str, x: Any, y: Any, w: Callable[[int], int]) -> Value:
    if op == "and":
        return bool(x and y)
    if op == "or":
        return bool(x or y)
    if op in _SPECIAL:
        return _SPECIAL[op](x, y)
    if op == "cdiv":
        return w(cdiv(x, y))
    if op == "cmod":
        return w(cmod(x, y))
    if op == "fdiv":
        return w(x // y)
    if op == "fmod":
        return w(x % y)
    result = _OPERATOR[op](x, y)
    return w(result) if op in _WRAPPED else result


def compile_expr(expr: Expr, machine: bool = False) -> Callable[[Env], Value]:
    """A Python function ``env -> value`` computing ``expr``."""
    if _depth(expr) > _MAX_SOURCE_DEPTH:
        return _closure(expr, machine)
    code = f"lambda env: {_source(expr, machine)}"
    return eval(code, {"_wrap": wrap, "_cdiv": cdiv, "_cmod": cmod, "_shl": shl,
                        "_special": _SPECIAL})  # noqa: S307 - generated from the IR


# ---- oracles ------------------------------------------------------------------------------------------


class Oracle(Protocol):
    """Supplies the arbitrary values: initial values of all variables and every havoc."""

    def initial(self, var: str, sort: Sort) -> Value: ...

    def nondet(self, stmt: Havoc, in_loop_condition: bool) -> Value: ...


class ReplayOracle:
    """Replays a recorded run: given initial values and the havoc values in the order they are consumed."""

    def __init__(self, initial: dict[str, Value], nondet: Sequence[Value]) -> None:
        self.values = dict(initial)
        self.queue = list(nondet)
        self.position = 0

    def initial(self, var: str, sort: Sort) -> Value:
        v = self.values.get(var, 0)
        return bool(v) if sort is Sort.BOOL else int(v)

    def nondet(self, stmt: Havoc, in_loop_condition: bool) -> Value:
        if self.position < len(self.queue):
            v = self.queue[self.position]
        else:
            v = 0
        self.position += 1
        return bool(v) if stmt.sort is Sort.BOOL else int(v)


class RandomOracle:
    """Random values for sampling runs: small numbers, the program's constants and their neighbours.

    ``boundary`` (0..1) is the share of values drawn from the constants (inputs at the edges of the
    program's own ranges find the extreme states); loop conditions lean towards continuing.
    """

    def __init__(self, seed: int, constants: Sequence[int] = (), machine: bool = False,
                 continue_bias: float = 0.85, spread: int = 20, boundary: float = 0.35) -> None:
        self.rng = random.Random(seed)
        pool = {0, 1, -1, 2}
        for c in constants:
            pool.update((c, c - 1, c + 1))
        if machine:
            pool.update((INT_MAX, INT_MIN, INT_MAX - 1, INT_MIN + 1))
            pool = {wrap(v) for v in pool}
        self.pool = sorted(pool)
        self.bias = continue_bias
        self.spread = spread
        self.boundary = boundary

    def _int(self) -> int:
        r = self.rng.random()
        if r < 0.15:
            return self.rng.choice((0, 0, 1, -1))
        if r < 0.15 + self.boundary:
            return self.rng.choice(self.pool)
        if r < 0.92:
            return self.rng.randint(-self.spread, self.spread)
        return self.rng.randint(-10 * self.spread, 10 * self.spread)

    def initial(self, var: str, sort: Sort) -> Value:
        return self.rng.random() < 0.5 if sort is Sort.BOOL else self._int()

    def nondet(self, stmt: Havoc, in_loop_condition: bool) -> Value:
        if stmt.sort is Sort.BOOL:
            return self.rng.random() < (self.bias if in_loop_condition else 0.5)
        if in_loop_condition:
            return self.rng.choice((1, 1, 2, -1, 7)) if self.rng.random() < self.bias else 0
        return self._int()


# ---- execution ----------------------------------------------------------------------------------------


class Outcome(str, enum.Enum):
    EXIT = "exit"
    VIOLATION = "violation"
    BLOCKED = "blocked"
    STEP_LIMIT = "step_limit"
    #: a value beyond ``VALUE_BITS`` bits (math semantics): the run is abandoned, not an error
    TOO_LARGE = "too_large"
    #: an arithmetic fault the program's own guards did not exclude (division by zero, negative shift)
    FAULT = "fault"
    #: the deadline passed during the run
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class TraceStep:
    """One visible step of a run: the entry, a loop-head visit, or the failing assertion."""

    kind: str
    line: int
    values: dict[str, Value]
    loop: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "line": self.line,
                               "values": {k: (v if isinstance(v, bool) else int(v)) for k, v in self.values.items()}}
        if self.loop is not None:
            out["loop"] = self.loop
        return out


@dataclass
class RunResult:
    outcome: Outcome
    failed: Assert | None = None
    steps: int = 0
    trace: list[TraceStep] = field(default_factory=list)
    initial: dict[str, Value] = field(default_factory=dict)
    nondet: list[Value] = field(default_factory=list)


HeadHook = Callable[[Loop, Env], None]


class Interpreter:
    """Runs one :class:`Function` (compile once, run many times)."""

    def __init__(self, function: Function, machine: bool = False) -> None:
        self.function = function
        self.machine = machine
        self._cache: dict[int, Callable[[Env], Value]] = {}
        # names the front ends make up (``__nd3`` for a nondet value, ``__upd1``, ``__broke2``) stay out of traces
        self._visible = [v for v in function.variables if not v.startswith("__")]

    def _eval(self, expr: Expr, env: Env) -> Value:
        fn = self._cache.get(id(expr))
        if fn is None:
            fn = self._cache[id(expr)] = compile_expr(expr, self.machine)
        return fn(env)

    def _snapshot(self, env: Env, defined: set[str]) -> dict[str, Value]:
        """The visible variables that hold a value the program gave them (a parameter, an assignment, a
        declaration): a variable not yet assigned at this point has no value a reader could trust."""
        bits = self.function.unsigned
        return {self.function.show(v): _u(env[v]) if v in bits else env[v]  # type: ignore[arg-type]
                for v in self._visible if v in defined}

    def run(self, oracle: Oracle, max_steps: int = 100_000, on_head: HeadHook | None = None,
            record: bool = False, record_limit: int = 10_000, deadline: Deadline | None = None) -> RunResult:
        """Execute the function once. ``max_steps`` bounds statements plus loop-head visits.

        The run also ends, with an outcome saying why, when a value exceeds ``VALUE_BITS`` bits
        (math semantics), on an arithmetic fault, or when ``deadline`` passes (checked every
        ``DEADLINE_EVERY`` steps).
        """
        result = RunResult(Outcome.EXIT)
        try:
            self._run(oracle, max_steps, on_head, record, record_limit, deadline, result)
        except ValueTooLarge:
            result.outcome = Outcome.TOO_LARGE
        except (ArithmeticError, ValueError, MemoryError):
            result.outcome = Outcome.FAULT
        return result

    def _run(self, oracle: Oracle, max_steps: int, on_head: HeadHook | None, record: bool, record_limit: int,
             deadline: Deadline | None, result: RunResult) -> None:
        fn = self.function
        env: Env = {v: oracle.initial(v, s) for v, s in fn.variables.items()}
        result.initial = dict(env)
        # values as large as the program's own constants or its inputs are legitimate; far beyond is runaway
        bits = max([VALUE_BITS] + [abs(int(c)).bit_length() + 64 for c in (*fn.constants, *env.values())])
        limit = 1 << bits
        check_size = not self.machine
        trace = result.trace
        nondet_log = result.nondet
        if record:
            params = {fn.show(p): _u(env[p]) if p in fn.unsigned else env[p] for p in fn.params}  # type: ignore[arg-type]
            trace.append(TraceStep("entry", fn.loc.line, params))
        defined: set[str] = set(fn.params)
        # frames: [stmts, position] for blocks; [loop, phase] for loops (phase: head / body / update)
        stack: list[list[Any]] = [[fn.body, 0]]
        steps = 0
        ev = self._eval
        while stack:
            top = stack[-1]
            if isinstance(top[0], Loop):
                loop: Loop = top[0]
                phase = top[1]
                if phase == "head":
                    steps += 1
                    if deadline is not None and steps % DEADLINE_EVERY == 0 and deadline.expired():
                        result.outcome = Outcome.TIMEOUT
                        break
                    if on_head is not None:
                        on_head(loop, env)
                    if record and len(trace) < record_limit:
                        trace.append(TraceStep("loop", loop.loc.line, self._snapshot(env, defined), loop.index))
                    blocked = False
                    for s in loop.prelude:
                        if isinstance(s, Havoc):
                            v = oracle.nondet(s, True)
                            env[s.var] = v
                            nondet_log.append(v)
                        elif isinstance(s, Assume):
                            if not ev(s.cond, env):
                                blocked = True
                                break
                        elif isinstance(s, Assert):  # an implicit overflow check of the condition
                            if not ev(s.cond, env):
                                result.outcome = Outcome.VIOLATION
                                result.failed = s
                                if record:
                                    trace.append(TraceStep("assert", s.loc.line, self._snapshot(env, defined)))
                                result.steps = steps
                                return
                        else:
                            raise TypeError("loop preludes hold havocs, assumptions and overflow checks only")
                    if blocked:
                        result.outcome = Outcome.BLOCKED
                        break
                    if ev(loop.cond, env):
                        top[1] = "body"
                        stack.append([loop.body, 0])
                    else:
                        stack.pop()
                elif phase == "body":
                    top[1] = "update"
                    stack.append([loop.update, 0])
                else:
                    top[1] = "head"
                if steps > max_steps:
                    result.outcome = Outcome.STEP_LIMIT
                    break
                continue
            stmts, pos = top
            if pos >= len(stmts):
                stack.pop()
                continue
            top[1] = pos + 1
            s = stmts[pos]
            steps += 1
            if steps > max_steps:
                result.outcome = Outcome.STEP_LIMIT
                break
            if deadline is not None and steps % DEADLINE_EVERY == 0 and deadline.expired():
                result.outcome = Outcome.TIMEOUT
                break
            if isinstance(s, Assign):
                if record:
                    defined.update(s.targets)
                if len(s.targets) == 1:
                    v = env[s.targets[0]] = ev(s.values[0], env)
                    if check_size and not -limit < v < limit:
                        raise ValueTooLarge(s.targets[0])
                else:
                    vals = [ev(v, env) for v in s.values]
                    for t, v in zip(s.targets, vals):
                        if check_size and not -limit < v < limit:
                            raise ValueTooLarge(t)
                        env[t] = v
            elif isinstance(s, Havoc):
                if record:
                    defined.add(s.var)
                v = oracle.nondet(s, False)
                env[s.var] = v
                nondet_log.append(v)
            elif isinstance(s, Assume):
                if not ev(s.cond, env):
                    result.outcome = Outcome.BLOCKED
                    break
            elif isinstance(s, Assert):
                if not ev(s.cond, env):
                    result.outcome = Outcome.VIOLATION
                    result.failed = s
                    if record:
                        trace.append(TraceStep("assert", s.loc.line, self._snapshot(env, defined)))
                    break
            elif isinstance(s, If):
                stack.append([s.then if ev(s.cond, env) else s.orelse, 0])
            elif isinstance(s, Loop):
                stack.append([s, "body" if s.do_while else "head"])
                if s.do_while:
                    stack.append([s.body, 0])
            elif isinstance(s, Break):
                while not isinstance(stack[-1][0], Loop):
                    stack.pop()
                stack.pop()
            elif isinstance(s, Continue):
                while not isinstance(stack[-1][0], Loop):
                    stack.pop()
                stack[-1][1] = "body"  # the loop frame then runs the update, then the head
            elif isinstance(s, Return):
                break
            else:
                raise TypeError(f"unknown statement {s!r}")
        result.steps = steps


def replay(function: Function, initial: dict[str, Value], nondet: Sequence[Value], machine: bool = False,
           max_steps: int = 1_000_000, deadline: Deadline | None = None) -> RunResult:
    """Run ``function`` with the given initial values and havoc values, recording the trace."""
    return Interpreter(function, machine).run(ReplayOracle(initial, nondet), max_steps=max_steps, record=True,
                                              deadline=deadline)
