"""Task registry: named suites whose examples are generated on the fly, deterministically by seed.

Every example of a generated task belongs to exactly one split, decided by a hash of its content
(the canonical rendering, so the same expression in two syntaxes shares a split): training draws only
``train`` examples and evaluation only ``eval`` ones, so an evaluation never contains a training example,
whatever the seeds. Examples of one ``(task, seed, split, depth, syntax)`` come from their own random stream,
so asking for depths 1-8 or 1-20 yields the same depth-8 examples.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from recursa.tasks import arith, listops, logic
from recursa.tasks.examples import Example

SPLITS = ("train", "eval")

#: (rng, depth, syntax) -> (source, language, label, split key)
ExampleMaker = Callable[[random.Random, int, str], tuple[str, str, int, str]]


@dataclass(frozen=True)
class TaskSpec:
    """A generated task suite."""

    name: str
    description: str
    syntaxes: tuple[str, ...]
    make: ExampleMaker = field(repr=False)
    num_labels: int = 10
    train_depths: tuple[int, int] = (1, 5)
    eval_depths: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20)
    family: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "syntaxes": list(self.syntaxes),
                "num_labels": self.num_labels, "train_depths": list(self.train_depths),
                "eval_depths": list(self.eval_depths), "family": self.family}


_TASKS: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> TaskSpec:
    if spec.name in _TASKS:
        raise ValueError(f"task {spec.name!r} is already registered")
    _TASKS[spec.name] = spec
    return spec


def get_task(name: str) -> TaskSpec:
    try:
        return _TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r} (known: {', '.join(sorted(_TASKS))})") from None


def tasks() -> list[TaskSpec]:
    return [_TASKS[k] for k in sorted(_TASKS)]


def split_of(key: str) -> str:
    """The split an example with canonical text ``key`` belongs to (half of all examples each)."""
    return SPLITS[zlib.crc32(key.encode("utf-8")) & 1]


def generate(task: TaskSpec | str, depths: Iterable[int], per_depth: int, seed: int, split: str = "eval",
             syntaxes: Sequence[str] | None = None) -> list[Example]:
    """``per_depth`` examples for every depth and syntax, from ``split`` only (see module docstring)."""
    spec = get_task(task) if isinstance(task, str) else task
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    syns = tuple(syntaxes) if syntaxes else spec.syntaxes
    bad = [s for s in syns if s not in spec.syntaxes]
    if bad:
        raise ValueError(f"task {spec.name!r} has no syntax {bad[0]!r} (has {', '.join(spec.syntaxes)})")
    out: list[Example] = []
    for depth in depths:
        for syntax in syns:
            rng = random.Random(f"recursa:{spec.name}:{seed}:{split}:{depth}:{syntax}")
            origin = f"{spec.name}/seed={seed}/{split}/depth={depth}/{syntax}"
            made = 0
            while made < per_depth:
                source, language, label, key = spec.make(rng, depth, syntax)
                if split_of(key) != split:
                    continue
                out.append(Example(source, language, label, depth, f"{origin}#{made}"))
                made += 1
    return out


def _listops_maker(gen: listops.ListOpsGenerator) -> ExampleMaker:
    def make(rng: random.Random, depth: int, syntax: str) -> tuple[str, str, int, str]:
        expr = gen.expression(rng, depth)
        key = listops.render(expr, "sexpr")
        source = key if syntax == "sexpr" else listops.render(expr, syntax)
        return source, listops.SYNTAX_LANGUAGE[syntax], listops.value_of(expr), key
    return make


def _expression_maker(gen: Any, module: ModuleType, key_syntax: str) -> ExampleMaker:
    """Examples of a generated-expression task (``module``: :mod:`recursa.tasks.arith` or
    :mod:`recursa.tasks.logic`, each with ``render`` and ``value_of``); the split key is the expression rendered
    in ``key_syntax``, so every syntax of one expression lands in the same split."""

    def make(rng: random.Random, depth: int, syntax: str) -> tuple[str, str, int, str]:
        expr = gen.expression(rng, depth)
        key = module.render(expr, key_syntax)
        source = key if syntax == key_syntax else module.render(expr, syntax)
        return source, syntax, module.value_of(expr), key
    return make


_LISTOPS = _listops_maker(listops.ListOpsGenerator())
_ARITH = _expression_maker(arith.ArithGenerator(), arith, "python")
_LOGIC = _expression_maker(logic.LogicGenerator(), logic, "smtlib")
_LOGIC_DOC = ("closed propositional formulas (and, or, not, xor, =>, ite over true/false and comparisons of "
              "digits), label 1 true / 0 false, exact depth control, balanced labels")
_LISTOPS_DOC = "ListOps (MAX, MIN, MED, SM over digits, 2-5 arguments), exact depth control"
_ARITH_DOC = "nested integer arithmetic mod 10 (+, -, *, parentheses), exact depth control"

register_task(TaskSpec("listops", f"{_LISTOPS_DOC}; Python calls and bracket form", ("python", "brackets"),
                       _LISTOPS, family="listops"))
register_task(TaskSpec("listops-python", f"{_LISTOPS_DOC}; Python calls only", ("python",), _LISTOPS,
                       family="listops"))
register_task(TaskSpec("listops-brackets", f"{_LISTOPS_DOC}; bracket form only", ("brackets",), _LISTOPS,
                       family="listops"))
register_task(TaskSpec("arith", f"{_ARITH_DOC}; Python and C syntax", ("python", "c"), _ARITH,
                       family="arith"))
register_task(TaskSpec("arith-python", f"{_ARITH_DOC}; Python syntax", ("python",), _ARITH, family="arith"))
register_task(TaskSpec("arith-c", f"{_ARITH_DOC}; C syntax", ("c",), _ARITH, family="arith"))
_LOGIC_DEPTHS = (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20)
register_task(TaskSpec("logic", f"{_LOGIC_DOC}; SMT-LIB and Python syntax", ("smtlib", "python"), _LOGIC,
                       train_depths=(1, 6), eval_depths=_LOGIC_DEPTHS, family="logic"))
register_task(TaskSpec("logic-smtlib", f"{_LOGIC_DOC}; SMT-LIB syntax", ("smtlib",), _LOGIC,
                       train_depths=(1, 6), eval_depths=_LOGIC_DEPTHS, family="logic"))
register_task(TaskSpec("logic-python", f"{_LOGIC_DOC}; Python syntax", ("python",), _LOGIC,
                       train_depths=(1, 6), eval_depths=_LOGIC_DEPTHS, family="logic"))



def parse_depths(spec: str) -> list[int]:
    """``"1-8,12,16,20"`` -> ``[1, ..., 8, 12, 16, 20]`` (raises ValueError with a clear message)."""
    out: list[int] = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                a, b = part.split("-", 1)
                lo, hi = int(a), int(b)
                if lo > hi:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
        except ValueError:
            raise ValueError(f"bad depth range {part!r} (use e.g. 1-8,12,20)") from None
    if not out or min(out) < 0:
        raise ValueError(f"bad depth range {spec!r} (use e.g. 1-8,12,20)")
    return sorted(set(out))
