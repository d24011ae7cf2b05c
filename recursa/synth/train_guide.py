"""Training the synthesis guide (``recursa train synth``): generated problems, production labels, a focused loop.

Data: :func:`recursa.synth.generate.generate` — problems of the suite's kinds, never the suite's files (a
different seed space, and every text is checked against ``tasks/synthesis``). Label: the share of each
production among the target's uses of its non-terminal. Loss: cross-entropy of the per-non-terminal softmax
against those shares. Held-out: problems from another seed, not used in training; the card reports how often
the production the guide ranks first in a non-terminal is one the target uses, and the mean cost it gives to
used vs unused productions.

A focused loop rather than :mod:`recursa.train.trainer` (whose examples are one label per tree or node): it
logs with :class:`recursa.train.logging.MetricLogger`, writes files atomically with
:func:`recursa.train.checkpoint.atomic_write_text`, and saves the final model only (a run is minutes long).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from recursa.synth.generate import GeneratedProblem, generate, suite_texts
from recursa.synth.grammar import default_grammar
from recursa.synth.neural import (
    POINTS_ENV,
    ContextFeatures,
    ProductionFeatures,
    RecursaForProductionScoring,
    SynthGuideConfig,
    batch_contexts,
    batch_productions,
    context_features,
    context_targets,
    label_targets,
    production_features,
    spec_text,
)
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import FlatTree, parse

HELD_OUT_SEED_OFFSET = 7919
LABEL_SMOOTHING = 0.1


@dataclass
class Example:
    tree: FlatTree
    prods: ProductionFeatures
    targets: list[float]
    kind: str
    spec_bytes: int | None = None  # where the spec ends and the points' constraints begin (None: no points)
    contexts: ContextFeatures | None = None  # with a context head: the grammar's contexts and their targets
    context_targets: list[float] | None = None


@dataclass
class TrainResult:
    output: str
    steps: int
    train_size: int
    held_out_size: int
    seconds: float
    metrics: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"output": self.output, "steps": self.steps, "train_size": self.train_size,
                "held_out_size": self.held_out_size, "seconds": round(self.seconds, 1), **self.metrics}


def make_example(g: GeneratedProblem, points: bool = False, contexts: bool = False) -> Example:
    """The example the guide learns from: the spec text (with the problem's CEGIS-style points appended when
    ``points``) parsed, the grammar's productions, and the target's production shares."""
    problem = g.problem()
    fn = problem.functions[0]
    grammar = fn.grammar or default_grammar(problem, fn)
    pf = production_features(fn, grammar)
    envs = g.point_envs() if points else []
    text = spec_text(problem, fn, envs)
    tree = parse(text, "smtlib", drop_punctuation=True)
    spec_bytes = len(spec_text(problem, fn).encode()) if envs else None
    example = Example(tree, pf, label_targets(pf, g.label_counts()), g.kind, spec_bytes)
    if contexts:
        example.contexts = context_features(grammar, pf)
        example.context_targets = context_targets(pf, example.contexts, g.context_counts())
    return example


def _relabel(problems: list[GeneratedProblem], what: str, progress: bool) -> list[GeneratedProblem]:
    """:func:`recursa.synth.solutions.relabel` over ``problems`` (a line every 500 when ``progress``)."""
    from recursa.synth.solutions import relabel

    kept = []
    for i, g in enumerate(problems, start=1):
        r = relabel(g)
        if r is not None:
            kept.append(r)
        if progress and (i % 500 == 0 or i == len(problems)):
            print(f"solving {what} problems: {i}/{len(problems)}, {len(kept)} answered by search", file=sys.stderr)
    return kept


def _batch(examples: list[Example]) -> tuple[TreeBatch, Any, torch.Tensor]:
    batch = TreeBatch.from_trees([e.tree for e in examples])
    prods = batch_productions(batch, [e.prods for e in examples], [e.spec_bytes for e in examples])
    targets = torch.tensor([t for e in examples for t in e.targets], dtype=torch.float32)
    return batch, prods, targets


def _context_batch(examples: list[Example]) -> tuple[Any, torch.Tensor]:
    ctx = batch_contexts([e.contexts or ContextFeatures() for e in examples], [len(e.prods.refs) for e in examples])
    targets = torch.tensor([t for e in examples for t in (e.context_targets or [])], dtype=torch.float32)
    return ctx, targets


def _loss(logp: torch.Tensor, prods: Any, targets: torch.Tensor, smoothing: float = LABEL_SMOOTHING) -> torch.Tensor:
    """Cross-entropy against the target's production shares, smoothed towards uniform within each used group:
    the suite's specs are not the generator's, so the guide should not learn certainty it cannot have. (The
    context head's loss is the same over its (parent, position) groups: ``prods`` is then its tensors.)"""
    groups_used = torch.zeros(prods.num_groups).index_add_(0, prods.group, targets) > 0
    size = torch.zeros(prods.num_groups).index_add_(0, prods.group, torch.ones_like(targets))
    used = groups_used[prods.group]
    soft = torch.where(used, (1 - smoothing) * targets + smoothing / size[prods.group], targets)
    return -(soft * logp).sum() / groups_used.sum().clamp(min=1)


def evaluate(model: RecursaForProductionScoring, examples: list[Example], batch_size: int = 32) -> dict[str, float]:
    """Top-1 (the guide's first production in a non-terminal the target expands is one it uses), and the
    mean cost extra (``-log p/p_max``, in nats) of used vs unused productions."""
    model.eval()
    top1: list[float] = []
    chance: list[float] = []
    used_cost: list[float] = []
    unused_cost: list[float] = []
    ctx_rows: tuple[list[float], ...] = ([], [], [], [])
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            chunk = examples[i:i + batch_size]
            batch, prods, targets = _batch(chunk)
            logp, z, _ = model(batch, prods)
            _rank(prods.group.tolist(), logp.tolist(), targets.tolist(), top1, chance, used_cost, unused_cost)
            if getattr(model.config, "context_head", False):
                ctx, ctx_targets = _context_batch(chunk)
                ctx_logp = model.context_log_probs(batch, z, prods, ctx)
                _rank(ctx.group.tolist(), ctx_logp.tolist(), ctx_targets.tolist(), *ctx_rows)
    model.train()
    out = _summary((top1, chance, used_cost, unused_cost))
    if ctx_rows[0]:
        out.update(_summary(ctx_rows, "context_"))
    return out


def _summary(rows: tuple[list[float], ...], prefix: str = "") -> dict[str, float]:
    """The means of :func:`_rank`'s four lists (0 for an empty one), named with ``prefix``."""
    names = ("top1", "chance_top1", "used_extra_nats", "unused_extra_nats")
    return {prefix + name: statistics.fmean(xs) if xs else 0.0 for name, xs in zip(names, rows)}


def _rank(groups_of: list[int], logp: list[float], targets: list[float], top1: list[float], chance: list[float],
          used_cost: list[float], unused_cost: list[float]) -> None:
    """Per softmax group the target uses: is the first-ranked entry used, the chance of that, and the extra
    cost (``-log p/p_max``) of used and unused entries."""
    groups: dict[int, list[tuple[float, float]]] = {}
    for g, lp, t in zip(groups_of, logp, targets):
        groups.setdefault(g, []).append((lp, t))
    for rows in groups.values():
        if not any(t > 0 for _, t in rows):
            continue
        best = max(lp for lp, _ in rows)
        top1.append(float(max(rows)[1] > 0))
        chance.append(sum(t > 0 for _, t in rows) / len(rows))
        for lp, t in rows:
            (used_cost if t > 0 else unused_cost).append(best - lp)


def train(output: str | None = None, steps: int = 1500, train_size: int = 3000, seed: int = 0,
          batch_size: int = 16, lr: float = 3e-3, hidden_size: int = 32, held_out: int = 300,
          log_every: int = 50, progress: bool = True, threads: int = 1, points: bool | None = None,
          context_head: bool = False, labels: str = "target", **_: Any) -> TrainResult:
    """Train the guide and save it (``save_pretrained``) with a MODEL_CARD.md and training.json in ``output``.

    ``points``: logical specs carry their generated CEGIS-style points (the config then says ``read_points``,
    and the guide reads counterexamples in ``recursa synth``); False trains on the spec text alone, as the
    shipped guide was. Default: ``RECURSA_SYNTH_GUIDE_POINTS=1`` in the environment (the CLI has no flag for
    it), else False — so the shipped guide's recorded command still makes the shipped guide.

    ``context_head``: also learn each production's probability as the argument of each parent production
    (``recursa train synth --set context_head=true``); the guide then prices productions per context.

    ``labels``: ``target`` learns the productions of each generated problem's random target; ``solutions``
    learns those of the unguided engine's own answer to it (:mod:`recursa.synth.solutions`; problems it
    answers by a linear fit or a completion, or not at all, are left out, so ``train_size`` problems give
    fewer examples)."""
    from transformers.utils import logging as hf_logging

    from recursa.train.checkpoint import atomic_write_text
    from recursa.train.logging import MetricLogger

    hf_logging.disable_progress_bar()
    if points is None:
        points = os.environ.get(POINTS_ENV, "") not in ("", "0")
    out = Path(output or "runs/synth-guide")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    t0 = time.time()
    if labels not in ("target", "solutions"):
        raise ValueError(f"labels must be 'target' or 'solutions', not {labels!r}")
    exclude = suite_texts()
    train_problems = list(generate(train_size, seed, exclude=exclude))
    train_texts = {" ".join(g.text.split()) for g in train_problems}
    # held out: another seed, and any text that also occurs in the training set is dropped
    test_problems = [g for g in generate(held_out, seed + HELD_OUT_SEED_OFFSET, exclude=exclude)
                     if " ".join(g.text.split()) not in train_texts]
    overlap = held_out - len(test_problems)
    if labels == "solutions":
        train_problems = _relabel(train_problems, "training", progress)
        test_problems = _relabel(test_problems, "held-out", progress)
    data = [make_example(g, points, context_head) for g in train_problems]
    test = [make_example(g, points, context_head) for g in test_problems]
    config = SynthGuideConfig(hidden_size=hidden_size, feature_size=hidden_size, top_down=False, max_iter=60,
                              tol=1e-3, backward="phantom", phantom_steps=2, read_points=points,
                              context_head=context_head)
    model = RecursaForProductionScoring(config)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    # one-cycle needs a warm-up phase of at least a step or two; a run shorter than that keeps lr constant
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1) if steps >= 30
             else torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0))
    logger = MetricLogger(out, tensorboard=False)
    rng = random.Random(seed)
    losses: list[float] = []
    for step in range(1, steps + 1):
        chunk = rng.sample(data, min(batch_size, len(data)))
        batch, prods, targets = _batch(chunk)
        logp, z, _ = model(batch, prods)
        loss = _loss(logp, prods, targets)
        if context_head:
            ctx, ctx_targets = _context_batch(chunk)
            loss = loss + _loss(model.context_log_probs(batch, z, prods, ctx), ctx, ctx_targets)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % log_every == 0 or step == steps:
            metrics = {"loss": statistics.fmean(losses[-log_every:]), "lr": sched.get_last_lr()[0],
                       "seconds": round(time.time() - t0, 1)}
            logger.log(step, metrics)
            if progress:
                print(f"step {step}/{steps} loss {metrics['loss']:.4f} {metrics['seconds']}s", file=sys.stderr)
    logger.close()
    metrics = {f"held_out_{k}": round(v, 4) for k, v in evaluate(model, test).items()}
    metrics.update({f"train_{k}": round(v, 4) for k, v in evaluate(model, data[:held_out]).items()})
    metrics["held_out_texts_also_in_train"] = overlap
    model.save_pretrained(str(out))
    seconds = time.time() - t0
    result = TrainResult(str(out), steps, len(data), len(test), seconds, metrics)
    command = ((f"{POINTS_ENV}=1 " if points else "")
               + f"recursa train synth -o {out} --steps {steps} --train-size {train_size} --seed {seed}"
               + (" --set context_head=true" if context_head else "")
               + (f" --set labels={labels}" if labels != "target" else ""))
    atomic_write_text(out / "training.json", json.dumps({"command": command, **result.to_json()}, indent=2) + "\n")
    atomic_write_text(out / "MODEL_CARD.md", _card(command, result, config, labels))
    return result


def _card(command: str, r: TrainResult, config: SynthGuideConfig, labels: str = "target") -> str:
    m = r.metrics
    label = ("the productions the random target uses" if labels == "target" else
             "the productions of the unguided engine's answer (problems it answered by search)")
    return f"""# recursa synthesis guide

Scores the productions of a SyGuS grammar against the specification, read by the equilibrium reasoner
(`recursa.synth.neural.RecursaForProductionScoring`); `recursa synth --guide reasoner` turns the scores into
enumeration costs (`size + min({config.max_extra}, round({config.cost_scale} * -log(p / p_max)))`).

- Made by: `{command}` (torch on 1 CPU thread, {r.seconds:.0f} s)
- Data: {r.train_size} generated problems (`recursa.synth.generate`, kinds lia, clia, lia_grammar, pbe_lia, bv,
  bv_pbe; none equal to a file of `tasks/synthesis`), label = {label}.
- Held out: {r.held_out_size} generated problems from another seed, not used in training
  ({m.get('held_out_texts_also_in_train', 0)} drawn with a text that also occurs in the training set were dropped).
- Held-out accuracy of the production predictor: top-1 {m['held_out_top1']:.3f} (the first-ranked production
  of a non-terminal the target expands is one it uses; a uniformly random pick:
  {m['held_out_chance_top1']:.3f}); mean `-log(p/p_max)` of used productions
  {m['held_out_used_extra_nats']:.3f} nats vs unused {m['held_out_unused_extra_nats']:.3f}.
  On training problems: top-1 {m['train_top1']:.3f}.
- Reasoner: hidden size {config.hidden_size}, bottom-up only (`top_down=False`: the solve takes height+1
  sweeps), picard, tol {config.tol}.
- {_points_line(config)}
- The suite (`tasks/synthesis`) is the test, never training data.
"""


def _points_line(config: SynthGuideConfig) -> str:
    if getattr(config, "read_points", False):
        return ("Reads CEGIS counterexamples (`read_points`): 60 % of the logical specs it was trained on carry 1-10 "
                "random points,\n  appended as the constraints instantiated at them; `recursa synth` re-prices "
                "the grammar after each\n  counterexample, re-solving warm from the previous fixed point.")
    return "Not conditioned on CEGIS counterexample points (the spec text only): no warm start across rounds."


__all__ = ["TrainResult", "evaluate", "make_example", "train"]
