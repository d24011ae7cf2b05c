"""Training the invariant ranker: generated programs, labels from Z3, the training loop.

Programs come from templates with random names, constants and shapes (counters, parameter bounds,
nondeterministic branches, phases, countdowns, sequential and nested loops, flags, breaks; C and Python).
They are *not* the suite in ``tasks/invariants`` (that is the held-out test). For each loop head the
verify pipeline generates candidates as it would at inference; Z3 then labels them: a candidate is
positive when it belongs to the largest jointly inductive subset of all candidates (Houdini), and weighted
up when the minimised proof of the program's assertion uses it.

``train(output_dir, ...)`` is what ``recursa train invariants`` runs; the model is saved with
``save_pretrained`` and the command line that produced it is written beside it (``training.json``).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recursa.refine.candidates import Atom, Candidate
from recursa.refine.context import LoopContext
from recursa.refine.rank import INVARIANT_MODEL_DIR, UnguidedRanker

INDUCTIVE_TARGET = 0.25
NAMES = ["x", "y", "z", "i", "j", "k", "n", "m", "a", "b", "c", "s", "t", "p", "q", "cnt", "sum", "lo", "hi",
         "acc", "pos", "len", "w", "u", "v", "r", "total", "step", "idx", "count"]


# ======================================================================================================
# program generator
# ======================================================================================================


class _Gen:
    def __init__(self, rng: random.Random, python: bool) -> None:
        self.rng = rng
        self.py = python
        self.used: set[str] = set()

    def name(self) -> str:
        while True:
            v = self.rng.choice(NAMES)
            if v not in self.used:
                self.used.add(v)
                return v

    def const(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


def _c_program(decls: list[str], body: list[str], params: str = "") -> str:
    head = f"int main({params}) {{\n" if not params else f"int f({params}) {{\n"
    lines = [f"  {d}" for d in decls] + body + ["  return 0;", "}"]
    return head + "\n".join(lines) + "\n"


def _py_program(params: str, body: list[str]) -> str:
    return f"def f({params}):\n" + "\n".join(body) + "\n"


def gen_counter(g: _Gen) -> str:
    """A counter to N with other variables stepping linearly; asserts the exact final values."""
    rng = g.rng
    c = g.name()
    others = [g.name() for _ in range(rng.randint(1, 3))]
    n = g.const(3, 120)
    c0 = rng.choice([0, 0, 1])
    init = {v: g.const(-5, 10) for v in others}
    step = {v: rng.choice([1, 2, 3, -1, -2]) for v in others}
    final = {v: init[v] + step[v] * (n - c0) for v in others}
    target = rng.choice(others)
    kind = rng.random()
    if kind < 0.5:
        claim = (f"{target} == {final[target]}", f"{target} == {final[target]}")
    elif kind < 0.75:
        claim = (f"{c} == {n}", f"{c} == {n}")
    else:
        bound = final[target] + (0 if step[target] > 0 else 0)
        op = "<=" if step[target] > 0 else ">="
        claim = (f"{target} {op} {bound}", f"{target} {op} {bound}")
    if g.py:
        body = [f"    {c} = {c0}"] + [f"    {v} = {init[v]}" for v in others]
        body += [f"    while {c} < {n}:", f"        {c} += 1"]
        body += [f"        {v} {'+' if step[v] > 0 else '-'}= {abs(step[v])}" for v in others]
        body += [f"    assert {claim[1]}"]
        return _py_program("", body)
    decls = [f"int {c} = {c0}, " + ", ".join(f"{v} = {init[v]}" for v in others) + ";"]
    body = [f"  while ({c} < {n}) {{", f"    {c}++;"]
    body += [f"    {v} {'+' if step[v] > 0 else '-'}= {abs(step[v])};" for v in others]
    body += ["  }", f"  assert({claim[0]});"]
    return _c_program(decls, body)


def gen_param_bound(g: _Gen) -> str:
    """A loop up to a parameter n (assumed in range); relates the counter and an accumulator."""
    rng = g.rng
    i, n, x = g.name(), g.name(), g.name()
    a = rng.choice([1, 2, 3])
    lo = rng.choice([0, 0, 1])
    strict = rng.random() < 0.7
    cond = f"{i} < {n}" if strict else f"{i} <= {n}"
    claims = [f"{x} == {a} * {i}", f"{x} >= 0", f"{i} >= {n}"]
    if strict:
        claims.append(f"{i} == {n}")
    claim = rng.choice(claims)
    if g.py:
        if rng.random() < 0.5 and strict:
            body = [f"    assume({n} >= {lo})", f"    {x} = 0", f"    {i} = 0", f"    for _k in range({n}):",
                    f"        {x} += {a}", f"        {i} += 1", f"    assert {claim}"]
        else:
            body = [f"    assume({n} >= {lo})", f"    {x} = 0", f"    {i} = 0", f"    while {cond}:",
                    f"        {i} += 1", f"        {x} += {a}", f"    assert {claim}"]
        return _py_program(n, body)
    decls = [f"int {i} = 0, {x} = 0, {n};", f"assume({n} >= {lo});"]
    if rng.random() < 0.5:
        body = [f"  while ({cond}) {{", f"    {i}++;", f"    {x} += {a};", "  }"]
    else:
        body = [f"  for ({i} = 0; {cond}; {i}++) {{", f"    {x} += {a};", "  }"]
    body.append(f"  assert({claim});")
    return _c_program(decls, body)


def gen_branches(g: _Gen) -> str:
    """Nondeterministic branches with proportional steps (an equality) or dominating steps (an inequality)."""
    rng = g.rng
    x, y = g.name(), g.name()
    r = rng.choice([1, 2, 3])
    branches = rng.randint(2, 3)
    eq = rng.random() < 0.6
    steps = []
    for _ in range(branches):
        a = rng.randint(1, 4)
        b = r * a if eq else a + rng.randint(0, 3)
        steps.append((a, b))
    claim = f"{y} == {r} * {x}" if eq else f"{y} >= {x}"
    if g.py:
        body = [f"    {x} = 0", f"    {y} = 0", "    while unknown():"]
        for idx, (a, b) in enumerate(steps):
            kw = "if" if idx == 0 else ("elif" if idx < branches - 1 else "else")
            body.append(f"        {kw} unknown():" if kw != "else" else "        else:")
            body += [f"            {x} += {a}", f"            {y} += {b}"]
        body.append(f"    assert {claim}")
        return _py_program("", body)
    body = ["  while (unknown()) {"]
    for idx, (a, b) in enumerate(steps):
        prefix = "if (unknown()) {" if idx == 0 else ("} else if (unknown()) {" if idx < branches - 1 else "} else {")
        body += [f"    {prefix}", f"      {x} += {a};", f"      {y} += {b};"]
    body += ["    }", "  }", f"  assert({claim});"]
    return _c_program([f"int {x} = 0, {y} = 0;"], body)


def gen_phases(g: _Gen) -> str:
    """Two phases split at a threshold (disjunctive invariants); asserts the exact final value."""
    rng = g.rng
    x, y = g.name(), g.name()
    n = g.const(10, 100)
    m = g.const(1, n - 1)
    p, q = rng.choice([1, 2, -1]), rng.choice([1, -1, 0, 2])
    y0 = g.const(-5, 20)
    strict = rng.random() < 0.7
    first = sum(1 for v in range(n) if (v < m if strict else v <= m))
    final = y0 + p * first + q * (n - first)
    cond = f"{x} < {m}" if strict else f"{x} <= {m}"

    def upd(k: int) -> str:
        return f"{y} {'+' if k >= 0 else '-'}= {abs(k)}"

    if g.py:
        body = [f"    {x} = 0", f"    {y} = {y0}", f"    while {x} < {n}:", f"        if {cond}:",
                f"            {upd(p)}", "        else:", f"            {upd(q) if q else 'pass'}",
                f"        {x} += 1", f"    assert {y} == {final}"]
        return _py_program("", body)
    body = [f"  while ({x} < {n}) {{", f"    if ({cond}) {upd(p)};" + ("" if q else "")]
    if q:
        body.append(f"    else {upd(q)};")
    body += [f"    {x}++;", "  }", f"  assert({y} == {final});"]
    return _c_program([f"int {x} = 0, {y} = {y0};"], body)


def gen_countdown(g: _Gen) -> str:
    """A countdown from a bounded unknown start; the other variable's growth is bounded."""
    rng = g.rng
    x, y = g.name(), g.name()
    bound = g.const(5, 150)
    a = rng.choice([1, 2, 3])
    claim = rng.choice([f"{y} >= 0", f"{y} <= {a * (bound - 1)}", f"{x} == 0"])
    if g.py:
        body = [f"    assume({x} > 0 and {x} < {bound})", f"    {y} = 0", f"    while {x} > 0:", f"        {x} -= 1",
                f"        {y} += {a}", f"    assert {claim}"]
        return _py_program(x, body)
    body = [f"  while ({x} > 0) {{", f"    {x}--;", f"    {y} += {a};", "  }", f"  assert({claim});"]
    return _c_program([f"int {x}, {y} = 0;", f"assume({x} > 0 && {x} < {bound});"], body)


def gen_sequential(g: _Gen) -> str:
    """Two loops in sequence: build a value, then transfer it."""
    rng = g.rng
    x, y, z = g.name(), g.name(), g.name()
    n = g.const(3, 60)
    a = rng.choice([1, 2])
    claim = rng.choice([f"{z} == {a * n}", f"{y} == 0", f"{z} >= 0"])
    body = [f"  while ({x} < {n}) {{", f"    {x}++;", f"    {y} += {a};", "  }",
            f"  while ({y} > 0) {{", f"    {y}--;", f"    {z}++;", "  }", f"  assert({claim});"]
    if g.py:
        pbody = [f"    {x} = 0", f"    {y} = 0", f"    {z} = 0", f"    while {x} < {n}:", f"        {x} += 1",
                 f"        {y} += {a}", f"    while {y} > 0:", f"        {y} -= 1", f"        {z} += 1",
                 f"    assert {claim}"]
        return _py_program("", pbody)
    return _c_program([f"int {x} = 0, {y} = 0, {z} = 0;"], body)


def gen_nested(g: _Gen) -> str:
    """Nested loops: bounded outer counter with an inner loop, or nondeterministic nests with equal steps."""
    rng = g.rng
    if rng.random() < 0.5:
        i, j, n = g.name(), g.name(), g.name()
        m = g.const(2, 20)
        claim = rng.choice([f"{i} == {n}", f"{i} >= 0"])
        body = [f"  while ({i} < {n}) {{", f"    {j} = 0;", f"    while ({j} < {m}) {{", f"      {j}++;", "    }",
                f"    {i}++;", "  }", f"  assert({claim});"]
        return _c_program([f"int {i} = 0, {j} = 0, {n};", f"assume({n} > 0);"], body)
    x, y = g.name(), g.name()
    a, b = rng.randint(1, 3), rng.randint(1, 3)
    body = ["  while (unknown()) {", "    while (unknown()) {", f"      {x} += {a};", f"      {y} += {a};", "    }",
            f"    {x} += {b};", f"    {y} += {b};", "  }", f"  assert({x} == {y});"]
    return _c_program([f"int {x} = 0, {y} = 0;"], body)


def gen_flag(g: _Gen) -> str:
    """A boolean flag alternating two updates (disjunctive over the flag)."""
    rng = g.rng
    f, x = g.name(), g.name()
    a = rng.randint(1, 4)
    if g.py:
        body = [f"    {f} = False", f"    {x} = 0", "    while unknown():", f"        if {f}:",
                f"            {x} -= {a}", f"            {f} = False", "        else:", f"            {x} += {a}",
                f"            {f} = True", f"    assert {x} >= 0 and {x} <= {a}"]
        return _py_program("", body)
    body = ["  while (unknown()) {", f"    if ({f}) {{", f"      {x} -= {a};", f"      {f} = 0;", "    } else {",
            f"      {x} += {a};", f"      {f} = 1;", "    }", "  }", f"  assert({x} >= 0 && {x} <= {a});"]
    return _c_program([f"_Bool {f} = 0;", f"int {x} = 0;"], body)


def gen_break(g: _Gen) -> str:
    """``while (1)`` with a break at a bound."""
    i, n = g.name(), g.name()
    body = ["  while (1) {", f"    if ({i} >= {n}) break;", f"    {i}++;", "  }", f"  assert({i} == {n});"]
    return _c_program([f"int {i} = 0, {n};", f"assume({n} > 0);"], body)


def gen_meet(g: _Gen) -> str:
    """Two variables moving towards each other (sum conserved)."""
    rng = g.rng
    lo, hi = g.name(), g.name()
    total = g.const(4, 200)
    claim = rng.choice([f"{lo} + {hi} == {total}", f"{lo} <= {total}", f"{lo} >= {hi}"])
    body = [f"  while ({lo} < {hi}) {{", f"    {lo}++;", f"    {hi}--;", "  }", f"  assert({claim});"]
    return _c_program([f"int {lo} = 0, {hi} = {total};"], body)


def gen_nested_bound(g: _Gen) -> str:
    """An outer counter to n with an inner loop bounded by n, by the outer counter, or by a constant."""
    rng = g.rng
    i, j, t, n = g.name(), g.name(), g.name(), g.name()
    a = rng.choice([1, 2])
    inner = rng.choice([n, i, str(g.const(1, 9))])
    start = rng.choice(["0", i]) if inner == n and not g.py else "0"
    claims = [f"{i} == {n}", f"{t} >= 0"]
    if inner == n and start == "0" or inner.isdigit():
        claims.append(f"{t} >= {i}")
    claim = rng.choice(claims)
    if g.py:
        body = [f"    assume({n} > 0)", f"    {t} = 0", f"    {i} = 0", f"    while {i} < {n}:",
                f"        for {j} in range({inner}):", f"            {t} += {a}", f"        {i} += 1",
                f"    assert {claim}"]
        return _py_program(n, body)
    body = [f"  while ({i} < {n}) {{", f"    int {j} = {start};", f"    while ({j} < {inner}) {{", f"      {j}++;",
            f"      {t} += {a};", "    }", f"    {i}++;", "  }", f"  assert({claim});"]
    return _c_program([f"int {i} = 0, {t} = 0, {n};", f"assume({n} > 0);"], body)


def gen_nested_break(g: _Gen) -> str:
    """An inner search loop that may stop early; counts how often it stopped."""
    rng = g.rng
    i, j, f, n = g.name(), g.name(), g.name(), g.name()
    claim = rng.choice([f"{f} <= {n}", f"{f} <= {i}", f"{i} == {n}"])
    body = [f"  while ({i} < {n}) {{", f"    int {j} = 0;", f"    while ({j} < {n}) {{",
            f"      if (unknown()) {{ {f}++; break; }}", f"      {j}++;", "    }", f"    {i}++;", "  }",
            f"  assert({claim});"]
    return _c_program([f"int {i} = 0, {f} = 0, {n};", f"assume({n} >= 0);"], body)


def gen_there_and_back(g: _Gen) -> str:
    """Count up to n while accumulating, then undo it in a second loop."""
    rng = g.rng
    x, y, n = g.name(), g.name(), g.name()
    a = rng.choice([1, 2, 3])
    y0 = g.const(-3, 5)
    claim = rng.choice([f"{y} == {y0}", f"{x} == 0"])
    if g.py:
        body = [f"    assume({n} >= 0)", f"    {x} = 0", f"    {y} = {y0}", f"    while {x} < {n}:",
                f"        {x} += 1", f"        {y} += {a}", f"    while {x} > 0:", f"        {x} -= 1",
                f"        {y} -= {a}", f"    assert {claim}"]
        return _py_program(n, body)
    body = [f"  while ({x} < {n}) {{", f"    {x}++;", f"    {y} += {a};", "  }", f"  while ({x} > 0) {{",
            f"    {x}--;", f"    {y} -= {a};", "  }", f"  assert({claim});"]
    return _c_program([f"int {x} = 0, {y} = {y0}, {n};", f"assume({n} >= 0);"], body)


def gen_nested_lag(g: _Gen) -> str:
    """Nondeterministic nests where one variable gets extra steps (an inequality across both loops)."""
    rng = g.rng
    x, y = g.name(), g.name()
    a = rng.randint(1, 3)
    body = ["  while (unknown()) {", "    while (unknown()) {", f"      {x} += {a};", "    }", f"    {y}++;",
            f"    {x}++;", "  }", f"  assert({x} >= {y});"]
    return _c_program([f"int {x} = 0, {y} = 0;"], body)


FAMILIES: dict[str, Callable[[_Gen], str]] = {
    "nested_bound": gen_nested_bound, "nested_break": gen_nested_break, "there_and_back": gen_there_and_back,
    "nested_lag": gen_nested_lag,
    "counter": gen_counter, "param_bound": gen_param_bound, "branches": gen_branches, "phases": gen_phases,
    "countdown": gen_countdown, "sequential": gen_sequential, "nested": gen_nested, "flag": gen_flag,
    "break": gen_break, "meet": gen_meet,
}
#: Stage 1 of the shipped model's recipe drew from these (in this order); stage 2 adds nested shapes.
STAGE1_FAMILIES = ("counter", "param_bound", "branches", "phases", "countdown", "sequential", "nested", "flag",
                   "break", "meet")
NESTED_FAMILIES = ("nested_bound", "nested_break", "there_and_back", "nested_lag", "nested", "sequential")
PYTHON_FAMILIES = ("counter", "param_bound", "branches", "phases", "countdown", "sequential", "flag", "nested_bound",
                   "there_and_back")


def generate_program(rng: random.Random, families: Sequence[str] | None = None) -> tuple[str, str, str]:
    """``(source, language, family)`` for one random program (from ``families``, default all)."""
    family = rng.choice(list(families or FAMILIES))
    python = family in PYTHON_FAMILIES and rng.random() < 0.3
    return FAMILIES[family](_Gen(rng, python)), ("python" if python else "c"), family


# ======================================================================================================
# labels
# ======================================================================================================


@dataclass
class LoopExample:
    """One loop head of one generated program, with Z3's labels for its candidates."""

    tree: Any  # FlatTree of the function
    span: tuple[int, int]  # the loop's bytes
    variables: list[str]
    display: dict[str, str]
    constants: set[int]
    guards: set[Atom]
    candidates: list[Candidate]
    inductive: np.ndarray
    needed: np.ndarray
    family: str = ""


def label_program(source: str, language: str, family: str = "", seed: int = 0) -> list[LoopExample]:
    """Run the verify pipeline's front half on one program and label every candidate with Z3."""
    from recursa.refine.grammar import load_grammar
    from recursa.refine.ice import Budget, Refiner
    from recursa.symbolic.frontend import load_program
    from recursa.symbolic.interp import Interpreter, RandomOracle
    from recursa.symbolic.transition import transition_system
    from recursa.trees.flatten import parse

    data = source.encode()
    prog = load_program(data, language)
    if prog.syntax_errors:
        raise ValueError(f"generated program does not parse: {prog.syntax_errors[0].message}\n{source}")
    unit = next((u for u in prog.units if u.function is not None and u.assertion_locs), None)
    if unit is None or unit.function is None:
        return []
    f = unit.function
    ts = transition_system(f)
    if not ts.heads:
        return []
    live = ts.live
    samples: dict[int, list[dict[str, Any]]] = {h: [] for h in ts.heads}

    def on_head(loop: Any, env: dict[str, Any]) -> None:
        if len(samples[loop.index]) < 200:
            samples[loop.index].append({v: env[v] for v in live[loop.index]})

    interp = Interpreter(f)
    for i in range(12):
        interp.run(RandomOracle(seed * 100 + i, sorted(f.constants), continue_bias=(0.5, 0.85, 0.97)[i % 3]),
                   max_steps=400, on_head=on_head)
    tree = parse(data, language, drop_punctuation=True)
    loops = {lp.index: lp for lp in f.loops}
    contexts = {h: LoopContext(f, loops[h], data, language, list(live[h]), sorted(f.constants), tree)
                for h in ts.heads}
    # the ranker scores grammar candidates only (data equalities bypass it): label those alone
    budget = Budget(max_solver_calls=1500, query_timeout_ms=2000, sampling_rounds=0, algebraic=False)
    refiner = Refiner(ts, load_grammar("linear"), UnguidedRanker(), samples, contexts, budget,
                      deadline=time.perf_counter() + 20)
    labels = refiner.label(set(ts.assertions))
    if labels is None:
        return []
    out = []
    for h, (cands, inductive, needed) in labels.items():
        if not cands:
            continue
        ctx = contexts[h]
        out.append(LoopExample(ctx.tree, ctx.loop_span, list(ctx.variables), dict(f.display), set(ctx.constants),
                               set(ctx.guards), cands, inductive, needed, family))
    return out


def build_dataset(programs: int, seed: int = 0, log: Callable[[str], None] | None = None,
                  families: Sequence[str] | None = None) -> list[LoopExample]:
    rng = random.Random(seed)
    examples: list[LoopExample] = []
    start = time.perf_counter()
    for p in range(programs):
        source, language, family = generate_program(rng, families)
        try:
            examples.extend(label_program(source, language, family, seed=p))
        except ValueError as exc:  # a generator bug must not cost the whole dataset
            if log is not None:
                log(f"skipped program {p} ({family}, {language}): {exc}".splitlines()[0])
        if log is not None and (p + 1) % max(1, programs // 10) == 0:
            log(f"labelled {p + 1}/{programs} programs, {len(examples)} loop heads "
                f"({time.perf_counter() - start:.0f} s)")
    return examples


# ======================================================================================================
# training
# ======================================================================================================


@dataclass
class TrainReport:
    output_dir: str
    programs: int
    loop_heads: int
    candidates: int
    epochs: int
    train_loss: list[float] = field(default_factory=list)
    eval: dict[str, float] = field(default_factory=dict)
    time_s: float = 0.0
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _batches(examples: list[LoopExample], size: int, rng: random.Random | None) -> list[list[LoopExample]]:
    order = list(range(len(examples)))
    if rng is not None:
        rng.shuffle(order)
    return [[examples[i] for i in order[k:k + size]] for k in range(0, len(order), size)]


def _tensors(model: Any, group: list[LoopExample], needed_weight: float) -> tuple[Any, Any, Any, Any]:
    import torch

    from recursa.refine.neural import encode_candidates
    from recursa.trees.batch import TreeBatch

    batch = TreeBatch.from_trees([e.tree for e in group])
    items = [(e.tree, e.span, e.variables, e.display, e.constants, e.guards, e.candidates) for e in group]
    cands = encode_candidates(items, batch, model.config.max_coefficient)
    inductive = np.concatenate([e.inductive for e in group]).astype(np.float32)
    needed = np.concatenate([e.needed for e in group]).astype(np.float32)
    # graded targets: used by the proof > proved inductive > refuted
    labels = torch.tensor(np.maximum(needed, INDUCTIVE_TARGET * inductive))
    # each loop counts the same whatever its number of candidates; the proof's candidates count more
    w = np.concatenate([np.full(len(e.candidates), 1.0 / len(e.candidates)) for e in group])
    w = w * (1.0 + (needed_weight - 1.0) * needed) * len(w) / len(group)
    return batch, cands, labels, torch.tensor(w, dtype=torch.float32)


def ranking_quality(model: Any, examples: list[LoopExample]) -> dict[str, float]:
    """Where the proof's candidates land: mean normalised rank (0 = first) for the model and for grammar order,
    and how often all of them sit in the first 16 (the initial pool)."""
    import torch

    model_ranks, grammar_ranks, model_top, grammar_top = [], [], [], []
    model.eval()
    for e in examples:
        if not e.needed.any():
            continue
        batch, cands, _, _ = _tensors(model, [e], 1.0)
        with torch.no_grad():
            scores = model(batch, cands).logits.numpy()
        order = np.argsort(-scores, kind="stable")
        pos = np.empty(len(order), int)
        pos[order] = np.arange(len(order))
        idx = np.flatnonzero(e.needed)
        n = max(1, len(e.candidates) - 1)
        model_ranks.append(float(pos[idx].mean() / n))
        grammar_ranks.append(float(idx.mean() / n))
        model_top.append(float(pos[idx].max() < 16))
        grammar_top.append(float(idx.max() < 16))
    if not model_ranks:
        return {}
    return {"needed_rank_model": statistics.fmean(model_ranks), "needed_rank_grammar": statistics.fmean(grammar_ranks),
            "needed_in_first16_model": statistics.fmean(model_top),
            "needed_in_first16_grammar": statistics.fmean(grammar_top), "loops": float(len(model_ranks))}


def train(output: str | Path | None = None, resume: bool = False, train_size: int = 1500, epochs: int = 8,
          hidden_size: int = 32, feature_size: int = 64, lr: float = 3e-3, batch_size: int = 8,
          needed_weight: float = 4.0, seed: int = 0, device: str = "cpu", threads: int = 0, max_iter: int = 40,
          log: Callable[[str], None] | None = print, examples: list[LoopExample] | None = None,
          init_from: str | Path | None = None) -> TrainReport:
    """Generate ``train_size`` template programs, label their candidates with Z3, train the ranker, save it.

    ``recursa train invariants`` calls this (``-o/--output``, ``--resume``, ``--train-size``, ``--hidden``,
    ``--lr``, ``--batch-size``, ``--seed``, ``--device``, ``--threads`` map onto the arguments of the same
    names). ``output`` defaults to ``runs/invariants-ranker``; ``-o recursa/models/invariants`` replaces the
    shipped model. ``resume`` starts from the model already saved in ``output``, ``init_from`` from another. Returns a
    :class:`TrainReport`, also written to ``output/training.json`` with the command line.
    """
    import torch

    from recursa.refine.neural import InvariantRankerConfig, RecursaForInvariantRanking

    start = time.perf_counter()
    out_dir = Path(output) if output is not None else Path("runs") / "invariants-ranker"
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    say = log or (lambda _msg: None)
    if examples is None:
        say(f"generating and labelling {train_size} programs (seed {seed})")
        examples = build_dataset(train_size, seed, say)
    if not examples:
        raise ValueError("no labelled loops: nothing to train on")
    examples = list(examples)
    rng.shuffle(examples)
    n_eval = max(1, len(examples) // 10)
    held, train_set = examples[:n_eval], examples[n_eval:]
    start_from = Path(init_from) if init_from is not None else (out_dir if resume else None)
    if start_from is not None and (start_from / "config.json").is_file():
        say(f"starting from {start_from}")
        model = RecursaForInvariantRanking.from_pretrained(str(start_from)).to(device)
    else:
        config = InvariantRankerConfig(hidden_size=hidden_size, feature_size=feature_size, top_down=True,
                                       max_iter=max_iter, tol=1e-3, backward="phantom", phantom_steps=2)
        model = RecursaForInvariantRanking(config).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    total_steps = epochs * max(1, (len(train_set) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps, pct_start=0.1)
    report = TrainReport(str(out_dir), train_size, len(examples), sum(len(e.candidates) for e in examples), epochs)
    say(f"{len(train_set)} training loops, {len(held)} held out; {report.candidates} candidates")
    for epoch in range(epochs):
        model.train()
        losses = []
        for group in _batches(train_set, batch_size, rng):
            batch, cands, labels, weights = _tensors(model, group, needed_weight)
            out = model(batch.to(device), cands.to(device), labels.to(device), weights.to(device))
            opt.zero_grad()
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(float(out.loss.detach()))
        report.train_loss.append(statistics.fmean(losses))
        quality = ranking_quality(model.cpu(), held)
        model.to(device)
        say(f"epoch {epoch + 1}/{epochs}: loss {report.train_loss[-1]:.4f}  held-out {json.dumps(quality)}")
        report.eval = quality
    out_dir.mkdir(parents=True, exist_ok=True)
    model.cpu().save_pretrained(str(out_dir))
    report.time_s = time.perf_counter() - start
    report.command = " ".join(sys.argv) if sys.argv and sys.argv[0] else ""
    (out_dir / "training.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


def train_shipped(output: str | Path = INVARIANT_MODEL_DIR, log: Callable[[str], None] | None = print
                  ) -> TrainReport:
    """The two-stage recipe of the shipped model: 1500 programs of the stage-1 families, 8 epochs; then a
    3-epoch fine-tune (lr 1e-3) on 450 nested/sequential programs, 250 programs of every family and 700 loops
    of the stage-1 data. (The shipped weights came from this recipe while the labeller was still being
    refined, so a rerun gives a close, not bit-identical, model.)"""
    out = Path(output)
    stage1_dir = out.parent / f"{out.name}-stage1"
    stage1 = build_dataset(1500, 0, log, families=STAGE1_FAMILIES)
    train(stage1_dir, train_size=1500, epochs=8, seed=0, examples=list(stage1), log=log)
    extra = build_dataset(450, 1, log, families=NESTED_FAMILIES) + build_dataset(250, 2, log)
    old = list(stage1)
    random.Random(0).shuffle(old)
    report = train(out, train_size=2200, epochs=3, lr=1e-3, seed=1, examples=extra + old[:700], log=log,
                   init_from=stage1_dir)
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Train the invariant ranker (recursa train invariants).")
    ap.add_argument("--output", default=str(INVARIANT_MODEL_DIR))
    ap.add_argument("--train-size", type=int, default=1500, help="generated programs")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--hidden-size", type=int, default=32)
    ap.add_argument("--feature-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--recipe", choices=["single", "shipped"], default="single",
                    help="single: one training run with the options above; shipped: the shipped model's recipe")
    args = ap.parse_args(argv)
    if args.recipe == "shipped":
        print(json.dumps(train_shipped(args.output).eval))
        return 0
    report = train(args.output, train_size=args.train_size, epochs=args.epochs, hidden_size=args.hidden_size,
                   feature_size=args.feature_size, lr=args.lr, seed=args.seed, device=args.device)
    print(json.dumps(report.eval))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
