"""Example points for CEGIS: the constraints instantiated at concrete values of the declared variables.

A candidate is judged on an example by evaluating the *whole constraint* with the candidate plugged in, so
relational specifications (``(>= (f x) x)``) and calls on computed arguments (``(f (+ x 1))``) work. The
inputs of the synth-fun are the argument tuples its calls receive on the points; the enumerator's value
vectors are indexed by them.

When every instance calls the function on a single argument tuple (PBE files, and single-invocation
specifications), the spec decides each input on its own: :meth:`Examples.ok` answers "is output ``o`` right
on input ``i``" — what divide and conquer needs. Otherwise (``(f (f x))``, ``(= (f x) (f y))``) a candidate
is judged as a whole table by :meth:`Examples.consistent`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from recursa.symbolic.concrete import EvalError, UndefinedValue
from recursa.symbolic.terms import App, Term, postorder
from recursa.synth.evaluate import Vector, compile_term
from recursa.synth.problem import SynthFun

Input = tuple
_CACHE_CAP = 1_000_000


class MissingInput(Exception):
    """A candidate's table was asked for an input that is not yet a point of the enumeration."""

    def __init__(self, args: Input, function: str = "") -> None:
        super().__init__(args)
        self.args = args
        self.function = function


class _Touched(Exception):
    """The function was called while checking whether a point needs it."""


class _Constraint:
    """What a constraint needs at every point, worked out once per problem."""

    def __init__(self, c: Term, name: str) -> None:
        self.term = c
        self.calls = [n for n in postorder(c) if isinstance(n, App) and n.op == name]
        flat = [call for call in self.calls if not any(_has_call(a, name) for a in call.args)]
        self.nested = len(flat) != len(self.calls)
        self.free = _free(c)
        self.fn = compile_term(c)
        self.arg_fns = [[compile_term(a) for a in call.args] for call in flat]
        self.target_fn = None  # (= (f ...) e): e's value is the one output allowed
        if isinstance(c, App) and c.op == "=" and len(c.args) == 2:
            a, b = c.args
            for call, other in ((a, b), (b, a)):
                if isinstance(call, App) and call.op == name and not _has_call(other, name):
                    self.target_fn = compile_term(other)
                    break


class Spec:
    """The constraints of one synth-fun, analysed once; :class:`Examples` instantiates them at points."""

    def __init__(self, constraints: Sequence[Term], fn: SynthFun, definitions: Mapping[str, Callable]) -> None:
        self.fn = fn
        self.definitions = definitions
        self.constraints = [_Constraint(c, fn.name) for c in constraints]
        # (input, instances at that input, output) -> verdict; points only grow, so a key stays valid
        self.ok_cache: dict[tuple[Input, int, Any], bool] = {}
        # input -> the only output the constraints allow there (found by Z3; see Examples.demand)
        self.implied: dict[Input, Any] = {}
        self.functional = True  # False once some input was found to allow more than one output


class Examples:
    """The constraints of one synth-fun at the current points."""

    def __init__(self, spec: Spec, points: Sequence[Mapping[str, Any]], extra_inputs: Sequence[Input] = ()) -> None:
        fn, definitions = spec.fn, spec.definitions
        self.spec = spec
        self.fn = fn
        self.definitions = definitions
        self.undefined = False  # an undefined value was met while judging: no infeasibility claims
        self.ground_false = False  # some constraint without calls is false on a point
        self.conflict = ""  # two examples demand different outputs for one input
        self.pointwise = True
        self.inputs: list[Input] = []
        self.groups: list[list[tuple[_Constraint, Mapping[str, Any]]]] = []  # per input (pointwise mode)
        self.instances: list[tuple[_Constraint, Mapping[str, Any]]] = []
        self.targets: dict[int, Any] = {}  # input index -> the output an equality demands
        self._index: dict[Input, int] = {}
        self._cache = spec.ok_cache
        seen_ground: set[int] = set()
        for env in points:
            for c in spec.constraints:
                if id(c) in seen_ground and not c.free:
                    continue  # a ground (PBE) constraint is the same instance at every point
                seen_ground.add(id(c))
                if not c.calls:
                    try:
                        if not c.fn(env, definitions):
                            self.ground_false = True
                    except UndefinedValue:
                        self.undefined = True
                    continue
                self.instances.append((c, env))
                args_seen: set[Input] = set()
                for arg_fns in c.arg_fns:
                    try:
                        args = tuple(f(env, definitions) for f in arg_fns)
                    except UndefinedValue:
                        self.undefined = True
                        continue
                    args_seen.add(args)
                    self._input(args)
                if c.nested or len(args_seen) != 1:
                    self.pointwise = False
                    continue
                (args,) = args_seen
                i = self._index[args]
                while len(self.groups) <= i:
                    self.groups.append([])
                self.groups[i].append((c, env))
                if c.target_fn is not None:
                    try:
                        target = c.target_fn(env, definitions)
                    except (UndefinedValue, EvalError):
                        continue
                    if i in self.targets and self.targets[i] != target:
                        self.conflict = f"two examples demand different outputs for input {args}"
                    self.targets[i] = target
        self._output: Any = None
        self._funcs = dict(definitions)
        self._funcs[fn.name] = lambda _args: self._output
        for args in extra_inputs:
            self._input(args)
        while len(self.groups) < len(self.inputs):
            self.groups.append([])

    def demand(self, args: Input, value: Any) -> None:
        """Record that the spec allows only ``value`` at input ``args`` (kept for later rounds)."""
        self.spec.implied[args] = value

    def apply_demands(self) -> None:
        """Make the recorded unique outputs the demanded outputs of their inputs (where none is demanded)."""
        for args, value in self.spec.implied.items():
            i = self._index.get(args)
            if i is not None and i not in self.targets:
                self.targets[i] = value

    def outputs(self) -> list[Any] | None:
        """The demanded output of every input, in input order, when the spec is pointwise and each input has one
        (examples, or outputs a relational spec implies); else None. What completion from the top and the value
        scorer compare values with."""
        if not self.pointwise or not self.inputs or len(self.targets) != len(self.inputs):
            return None
        return [self.targets[i] for i in range(len(self.inputs))]

    def dont_care(self) -> list[bool]:
        """Per input (pointwise mode): whether every instance there holds without looking at the function's
        value (an implication whose premise is false), so any output is right and the point constrains
        nothing. Found by evaluating with a function that refuses to be called: the compiled code is lazy."""

        def refuse(_args: Sequence[Any]) -> Any:
            raise _Touched

        funcs = dict(self.definitions)
        funcs[self.fn.name] = refuse
        out = []
        for group in self.groups:
            free = bool(group)
            for c, env in group:
                try:
                    if not c.fn(env, funcs):
                        free = False
                except (_Touched, UndefinedValue, EvalError):
                    free = False
                if not free:
                    break
            out.append(free)
        return out

    def _input(self, args: Input) -> int:
        i = self._index.get(args)
        if i is None:
            i = self._index[args] = len(self.inputs)
            self.inputs.append(args)
        return i

    def input_envs(self) -> list[dict[str, Any]]:
        names = [n for n, _ in self.fn.params]
        return [dict(zip(names, args)) for args in self.inputs]

    def ok(self, i: int, output: Any) -> bool:
        """Pointwise mode: whether ``output`` on input ``i`` satisfies every instance calling the function there."""
        key = (self.inputs[i], len(self.groups[i]), output)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        t = self.targets.get(i)
        if t is not None and t != output:
            return False
        self._output = output
        good = True
        for c, env in self.groups[i]:
            try:
                if not c.fn(env, self._funcs):
                    good = False
                    break
            except UndefinedValue:
                self.undefined = True  # not cached: a later round must see this flag too
                return False
        if len(self._cache) >= _CACHE_CAP:
            self._cache.clear()  # a long search sees millions of (input, output) pairs: bound the memory
        self._cache[key] = good
        return good

    def consistent(self, vec: Vector) -> bool:
        """Whether the function given by ``vec`` (its values on ``inputs``) satisfies every instance.

        Raises :class:`MissingInput` when a call needs a value at an input not yet among the points."""
        if self.pointwise:
            return all(self.ok(i, v) for i, v in enumerate(vec))
        for i, t in self.targets.items():
            if vec[i] != t:
                return False
        table = dict(zip(self.inputs, vec))

        def call(args: Sequence[Any]) -> Any:
            key = tuple(args)
            try:
                return table[key]
            except KeyError:
                raise MissingInput(key, self.fn.name) from None

        funcs = dict(self.definitions)
        funcs[self.fn.name] = call
        for c, env in self.instances:
            try:
                if not c.fn(env, funcs):
                    return False
            except UndefinedValue:
                self.undefined = True
                return False
        return True


def _has_call(term: Term, name: str) -> bool:
    return any(isinstance(n, App) and n.op == name for n in postorder(term))


def _free(term: Term) -> bool:
    from recursa.symbolic.terms import Var

    return any(isinstance(n, Var) for n in postorder(term))
