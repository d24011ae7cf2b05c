"""Training the value scorer (``recursa train synth-values``): generated problems, the values a search builds,
and which of them are values of the target's subterms.

For each problem of :func:`recursa.synth.generate.generate` (kinds as the synthesis guide; never a file of
``tasks/synthesis``) the target is evaluated on random inputs, and a bottom-up search by size on those points
records the signature (:class:`recursa.synth.values.Signature`) of every value it stores, up to
``values_per_problem`` values. Label: the value is the vector of some subterm of the target. A two-layer
perceptron is fitted with a class-balanced logistic loss; then the delay rule (scale, threshold, cap) is chosen
on *held-out* generated problems (another seed) by the number of candidates a search needs to reach an answer
consistent with the examples, against the same search without delays. The suite is never looked at.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recursa.symbolic.concrete import UndefinedValue
from recursa.symbolic.terms import App, Term, postorder
from recursa.synth.enumerate import BankFull, Budget, Enumerator, SearchTimeout
from recursa.synth.evaluate import evaluate
from recursa.synth.generate import GeneratedProblem, generate, suite_texts
from recursa.synth.grammar import CompiledGrammar, compile_grammar
from recursa.synth.sygus import read_problem
from recursa.synth.values import FEATURES, MIN_COST, DelayRule, Signature, ValueModel, ValueScorer

HELD_OUT_SEED_OFFSET = 104729
MAX_CANDIDATES = 50_000


@dataclass
class _Case:
    grammar: CompiledGrammar
    inputs: list[dict[str, Any]]
    outputs: list[Any]
    positives: set[tuple]
    signature: Signature
    kind: str


def _case(g: GeneratedProblem, rng: random.Random, points: int = 10) -> _Case | None:
    problem = g.problem()
    fn = problem.functions[0]
    params = " ".join(f"({n} {s})" for n, s in fn.params)
    text = g.text.replace("(check-synth)", f"(define-fun __target ({params}) {fn.sort} {g.target})\n(check-synth)")
    target: Term = read_problem("<generated>", text).definitions["__target"].body
    bv = fn.sort.is_bv
    if not (bv or fn.sort.name == "Int"):
        return None
    inputs = []
    for _ in range(points):
        inputs.append({n: (rng.getrandbits(s.width) if s.is_bv else rng.randint(-30, 30)) for n, s in fn.params})
    positives: set[tuple] = set()
    try:
        outputs = [evaluate(target, env) for env in inputs]
        for t in postorder(target):
            if t.sort == fn.sort:
                positives.add(tuple(evaluate(t, env) for env in inputs))
    except (UndefinedValue, ArithmeticError):
        return None
    if len(set(outputs)) < 2 or not isinstance(target, App):
        return None
    grammar = compile_grammar(problem, fn)
    cols = [[env[n] for env in inputs] for n, s in fn.params if s == fn.sort]
    return _Case(grammar, inputs, outputs, positives, Signature(outputs, cols, fn.sort), g.kind)


class _Recorder:
    """A scorer that delays nothing and keeps each stored value's signature and label."""

    def __init__(self, case: _Case, cap: int) -> None:
        self.case = case
        self.scored = frozenset(nt for nt, s in case.grammar.sorts.items() if s == case.grammar.function.sort)
        self.cap = cap
        self.x: list[np.ndarray] = []
        self.y: list[np.ndarray] = []
        self.count = 0

    def delays(self, nt: str, values: Sequence[tuple], cost: int) -> list[int] | None:
        if nt not in self.scored or not values or self.count >= self.cap or cost < MIN_COST:
            return None
        values = list(values)[: self.cap - self.count]
        self.count += len(values)
        self.x.append(self.case.signature.features(values, cost))
        self.y.append(np.array([v in self.case.positives for v in values], dtype=np.float64))
        return None


def _record(case: _Case, cap: int, seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    rec = _Recorder(case, cap)
    budget = Budget(deadline=time.monotonic() + seconds)
    en = Enumerator(case.grammar, case.inputs, {}, budget, scorer=rec)
    try:
        for _ in en.terms():
            if rec.count >= cap:
                break
    except (SearchTimeout, BankFull):
        pass
    if not rec.x:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.concatenate(rec.x), np.concatenate(rec.y)


def _search(case: _Case, scorer: ValueScorer | None, cap: int = MAX_CANDIDATES, seconds: float = 5.0) -> int | None:
    """Candidates until a term of the start symbol matches every output (None: not within the cap)."""
    budget = Budget(deadline=time.monotonic() + seconds)
    en = Enumerator(case.grammar, case.inputs, {}, budget, scorer=scorer)
    want = tuple(case.outputs)
    try:
        for nt, _c, _t, vec in en.terms():
            if nt == case.grammar.start and vec == want:
                return budget.candidates
            if budget.candidates > cap:
                return None
    except (SearchTimeout, BankFull):
        return None
    finally:
        en.release()
    return None


def _fit(x: np.ndarray, y: np.ndarray, hidden: int, steps: int, seed: int) -> ValueModel:
    import torch

    torch.manual_seed(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
    pos = float(y.sum())
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(y) - pos) / max(pos, 1.0)))
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(0, len(yt), (1024,), generator=gen)
        loss = loss_fn(net(xt[idx]).squeeze(1), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    w1, b1 = net[0].weight.detach().double().numpy(), net[0].bias.detach().double().numpy()
    w2, b2 = net[2].weight.detach().double().numpy()[0], float(net[2].bias.detach()[0])
    return ValueModel({"w1": w1, "b1": b1, "w2": w2, "b2": b2, "mean": mean, "std": std})


def _auc(scores: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = y > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _cases(n: int, seed: int, exclude: set[str]) -> list[_Case]:
    rng = random.Random(seed)
    out = []
    for g in generate(n, seed, exclude=exclude):
        c = _case(g, rng)
        if c is not None:
            out.append(c)
    return out


def _compare(cases: list[_Case], model: ValueModel, rule: DelayRule, base: list[int | None]) -> dict[str, float]:
    model.rule = rule
    ratios, lost, won = [], 0, 0
    for case, b in zip(cases, base):
        sc = ValueScorer(model, case.signature, case.grammar.sorts, case.grammar.function.sort)
        got = _search(case, sc)
        if b is None and got is None:
            continue
        if got is None:
            lost += 1
            continue
        if b is None:
            won += 1
            continue
        ratios.append(math.log(max(1, b) / max(1, got)))
    geo = math.exp(statistics.fmean(ratios)) if ratios else 1.0
    return {"geo_mean_fewer": geo, "lost": lost, "won": won, "both": len(ratios)}


def evaluate_values(model: ValueModel, problems: int = 120, seed: int = 0,
                    values_per_problem: int = 400) -> dict[str, Any]:
    """Held-out figures of ``model``: problems from seed ``seed + HELD_OUT_SEED_OFFSET`` (never training
    data), the AUC of its logit for "value of a subterm of the target", and the search with its delay rule
    against the same search without delays (geometric mean of candidates, problems only one of them solves
    within :data:`MAX_CANDIDATES`)."""
    held = _cases(problems, seed + HELD_OUT_SEED_OFFSET, suite_texts())
    hx, hy = zip(*(_record(c, values_per_problem) for c in held))
    auc = _auc(model.logits(np.concatenate(hx)), np.concatenate(hy))
    base = [_search(c, None) for c in held]
    return {"held_out_problems": len(held), "held_out_auc": round(auc, 4),
            "rule": {"scale": model.rule.scale, "threshold": model.rule.threshold, "cap": model.rule.cap},
            **_compare(held, model, model.rule, base)}


DELAY_GRID = tuple(itertools.product((0.5, 1.0, 2.0), (0.0, 2.0, 4.0, 6.0), (3, 6)))  # (scale, threshold, cap)


def train_values(output: str | Path, problems: int = 3000, held_out: int = 300, values_per_problem: int = 400,
                 hidden: int = 32, steps: int = 3000, seed: int = 0, log: Any = print,
                 grid: Sequence[tuple[float, float, int]] = DELAY_GRID) -> dict[str, Any]:
    """Fit the value scorer on generated problems, choose its delay rule on held-out ones, write
    ``output`` (a JSON file) and return the figures."""
    t0 = time.perf_counter()
    exclude = suite_texts()
    train = _cases(problems, seed, exclude)
    xs, ys = zip(*(_record(c, values_per_problem) for c in train))
    x, y = np.concatenate(xs), np.concatenate(ys)
    log(f"train: {len(train)} problems, {len(y)} values, {int(y.sum())} positive")
    model = _fit(x, y, hidden, steps, seed)
    held = _cases(held_out, seed + HELD_OUT_SEED_OFFSET, exclude)
    hx, hy = zip(*(_record(c, values_per_problem) for c in held))
    auc = _auc(model.logits(np.concatenate(hx)), np.concatenate(hy))
    train_auc = _auc(model.logits(x), y)
    log(f"held-out: {len(held)} problems, AUC {auc:.3f} (train {train_auc:.3f})")
    base = [_search(c, None) for c in held]
    best: tuple[float, DelayRule, dict[str, float]] | None = None
    tried = []
    for scale, threshold, cap in grid:
        rule = DelayRule(scale, threshold, cap)
        res = _compare(held, model, rule, base)
        tried.append({"scale": scale, "threshold": threshold, "cap": cap, **res})
        log(f"  rule {rule}: {res}")
        score = res["geo_mean_fewer"] if res["lost"] <= res["won"] else 0.0
        if best is None or score > best[0]:
            best = (score, rule, res)
    assert best is not None
    model.rule = best[1]
    model.meta = {"problems": len(train), "values": int(len(y)), "positives": int(y.sum()),
                  "held_out_problems": len(held), "held_out_auc": round(auc, 4), "train_auc": round(train_auc, 4),
                  "held_out_search": best[2], "grid": tried, "seed": seed, "hidden": hidden, "steps": steps,
                  "values_per_problem": values_per_problem, "seconds": round(time.perf_counter() - t0, 1)}
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(model.to_json(), indent=1) + "\n")
    tmp.replace(out)
    return model.meta


__all__ = ["DELAY_GRID", "evaluate_values", "train_values"]
