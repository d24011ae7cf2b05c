"""The reasoner guide: the equilibrium reasoner reads a synthesis problem's specification and prices the
grammar's productions, so the enumerator tries the likely ones first.

The specification (the synth-fun's signature and the constraints, re-printed as SMT-LIB and capped at
:data:`MAX_CONSTRAINTS`) is parsed with the ``smtlib`` tree-sitter language and solved to equilibrium by
:class:`recursa.equilibrium.model.RecursaModel`. The grammar itself is *not* in that text: a production is
described from outside, by its operator (hashed), its kind (operator, nested template, parameter, literal,
``(Constant S)``, ``(Variable S)``), its non-terminal's sort, its arity, literal features, and — the part that
reads the spec — the mean equilibrium state of the spec's nodes carrying the same symbol (the operator, the
parameter's name, the literal) and of their parents. One logit per production; a softmax over a
non-terminal's productions gives ``p``; the cost handed to the enumerator is the production's size plus
``round(k * -log(p / p_max))`` capped at ``max_extra`` (no production is pushed more than ``max_extra`` units
back). The engine adds the other half of the mixing rule (:data:`recursa.synth.engine.GUIDED_SHARE`): the
guided order gets a share of the time, and a problem it has not answered by then is searched again in the
uniform order.

Trained by :mod:`recursa.synth.train_guide` on :mod:`recursa.synth.generate` problems; shipped in
``recursa/models/synth``. Imported only for ``--guide reasoner`` (torch and transformers are heavy).
"""

from __future__ import annotations

import math
import os
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from recursa.equilibrium.model import RecursaConfig, RecursaModel, RecursaPreTrainedModel
from recursa.paths import SYNTH_MODEL_DIR
from recursa.symbolic.terms import BOOL, App, Lit, Term, Var, to_smtlib
from recursa.synth.grammar import Context, ProductionRef, _number_holes
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, Problem, SynthFun
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import FlatTree, parse, token_id

MAX_CONSTRAINTS = 40  # a PBE file with hundreds of examples: the first 40 say enough and keep the tree small
OP_BUCKETS = 512
CONST_FEATURES = 6
KINDS = ("op", "template", "variable", "literal", "any-constant", "any-variable")


class ModelMissing(RuntimeError):
    """The guide's model directory has no trained model (the message says where and how to make one)."""


class SynthGuideConfig(RecursaConfig):
    r"""A :class:`RecursaConfig` plus the production scorer: ``feature_size`` (its width), and the cost rule
    ``cost_scale`` (``k`` in ``size + round(k * -log(p / p_max))``) and ``max_extra`` (the cap on that term)."""

    model_type = "recursa-synth-guide"
    feature_size: int = 32
    cost_scale: float = 0.35
    max_extra: int = 3
    price_leaves: bool = True  # False: parameters and literals keep their uniform cost (only operators move)


@dataclass
class ProductionFeatures:
    """The productions of one problem's grammar as flat lists (one entry per production)."""

    refs: list[ProductionRef]
    group: list[int]  # index of the production's non-terminal within this problem
    op: list[int]  # hashed operator / symbol bucket
    kind: list[int]
    sort: list[int]  # 0 Int, 1 Bool, 2 BitVec, 3 other
    scalars: list[list[float]]  # arity, is-start, literal features
    anchor: list[int]  # token id of the spec symbol this production mirrors (0: none)


@dataclass
class ProductionTensors:
    """Productions of several problems, batched against one :class:`TreeBatch`."""

    op: torch.Tensor
    kind: torch.Tensor
    sort: torch.Tensor
    scalars: torch.Tensor  # [P, 2 + CONST_FEATURES]
    tree: torch.Tensor  # [P] tree of each production
    group: torch.Tensor  # [P] global non-terminal group (softmax over each group)
    num_groups: int
    occ_node: torch.Tensor  # node index of an occurrence of a production's anchor symbol
    occ_prod: torch.Tensor  # production of that occurrence

    def to(self, device: torch.device | str) -> ProductionTensors:
        kw = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}
        return ProductionTensors(**kw)


def _bucket(text: str) -> int:
    return zlib.crc32(text.encode()) % OP_BUCKETS


def _sort_id(sort: Any) -> int:
    if sort == BOOL:
        return 1
    if getattr(sort, "is_bv", False):
        return 2
    return 0 if getattr(sort, "name", "") == "Int" else 3


def spec_text(problem: Problem, fn: SynthFun) -> str:
    """The specification the reasoner reads: the signature and (the first few) constraints, as SMT-LIB."""
    params = " ".join(f"({n} {s})" for n, s in fn.params)
    lines = [f"(synth-fun {fn.name} ({params}) {fn.sort})"]
    lines += [f"(declare-var {n} {s})" for n, s in problem.declared]
    lines += [f"(constraint {to_smtlib(c)})" for c in problem.constraints[:MAX_CONSTRAINTS]]
    return "\n".join(lines) + "\n"


def _literal_features(value: int | bool, sort: Any) -> list[float]:
    v = int(value)
    if getattr(sort, "is_bv", False) and v >= 1 << (sort.width - 1):
        v -= 1 << sort.width  # #xff reads as -1: all-ones masks and negation look alike across widths
    return [1.0, float(v == 0), float(v == 1), float(v == -1), math.log1p(abs(v)) / 5.0, float(v > 0) - float(v < 0)]


def _literal_anchor(value: int | bool, sort: Any) -> int:
    if sort == BOOL:
        return token_id(b"true" if value else b"false")
    if getattr(sort, "is_bv", False):
        return token_id(to_smtlib(Lit(value, sort)).encode())
    return token_id(str(abs(int(value))).encode())


def production_features(fn: SynthFun, grammar: Grammar) -> ProductionFeatures:
    """One entry per production of every non-terminal of ``grammar`` (refs as the grammar compiler makes them)."""
    nts = {nt.name: nt for nt in grammar.nonterminals}
    pf = ProductionFeatures([], [], [], [], [], [], [])
    for g, nt in enumerate(grammar.nonterminals):
        for index, prod in enumerate(nt.productions):
            lit = [0.0] * CONST_FEATURES
            anchor = 0
            arity = 0
            if isinstance(prod, AnyConstant):
                text, kind, op = f"(Constant {prod.sort})", 4, "<constant>"
            elif isinstance(prod, AnyVariable):
                text, kind, op = f"(Variable {prod.sort})", 5, "<variable>"
            else:
                text = to_smtlib(prod)
                _, holes = _number_holes(prod, nts)
                arity = len(holes)
                if isinstance(prod, Var):
                    kind, op = 2, "<param>"
                    anchor = token_id(prod.name.encode())
                elif isinstance(prod, Lit):
                    kind, op = 3, "<literal>"
                    lit = _literal_features(prod.value, prod.sort)
                    anchor = _literal_anchor(prod.value, prod.sort)
                elif isinstance(prod, App):
                    direct = all(isinstance(a, Var) and a.name in nts for a in prod.args)
                    kind, op = (0, prod.op) if direct else (1, prod.op)
                    anchor = token_id(prod.op.encode())
                else:
                    kind, op = 1, text
            pf.refs.append(ProductionRef(nt.name, index, text))
            pf.group.append(g)
            pf.op.append(_bucket(f"{op}/{arity}"))
            pf.kind.append(kind)
            pf.sort.append(_sort_id(nt.sort))
            pf.scalars.append([arity / 3.0, float(g == 0)] + lit)
            pf.anchor.append(anchor)
    return pf


def batch_productions(batch: TreeBatch, items: Sequence[ProductionFeatures]) -> ProductionTensors:
    """Index tensors for ``items`` (item ``t`` belongs to tree ``t`` of ``batch``)."""
    tokens = batch.token.tolist()
    trees = batch.tree.tolist()
    where: dict[tuple[int, int], list[int]] = {}
    for i, (tok, t) in enumerate(zip(tokens, trees)):
        if tok:
            where.setdefault((t, tok), []).append(i)
    op: list[int] = []
    kind: list[int] = []
    sort: list[int] = []
    scalars: list[list[float]] = []
    tree: list[int] = []
    group: list[int] = []
    occ_node: list[int] = []
    occ_prod: list[int] = []
    g0 = 0
    for t, pf in enumerate(items):
        for j in range(len(pf.refs)):
            p = len(op)
            op.append(pf.op[j])
            kind.append(pf.kind[j])
            sort.append(pf.sort[j])
            scalars.append(pf.scalars[j])
            tree.append(t)
            group.append(g0 + pf.group[j])
            if pf.anchor[j]:
                hits = where.get((t, pf.anchor[j]), ())
                occ_node.extend(hits)
                occ_prod.extend([p] * len(hits))
        g0 += (max(pf.group) + 1) if pf.group else 0

    def lt(x: list[int]) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.long)

    return ProductionTensors(lt(op), lt(kind), lt(sort), torch.tensor(scalars, dtype=torch.float32).reshape(
        len(scalars), 2 + CONST_FEATURES), lt(tree), lt(group), g0, lt(occ_node), lt(occ_prod))


def group_log_softmax(logits: torch.Tensor, group: torch.Tensor, num_groups: int) -> torch.Tensor:
    """``log p`` of each production within its non-terminal's group."""
    big = torch.full((num_groups,), -1e30, dtype=logits.dtype, device=logits.device)
    mx = big.scatter_reduce(0, group, logits, reduce="amax")
    ex = torch.exp(logits - mx[group])
    den = torch.zeros(num_groups, dtype=logits.dtype, device=logits.device).index_add_(0, group, ex)
    return logits - mx[group] - torch.log(den[group])


class RecursaForProductionScoring(RecursaPreTrainedModel):
    """Scores a grammar's productions against the equilibrium encoding of a synthesis specification."""

    config_class = SynthGuideConfig

    def __init__(self, config: SynthGuideConfig) -> None:
        super().__init__(config)
        d, f = config.hidden_size, config.feature_size
        self.recursa = RecursaModel(config)
        self.op_emb = nn.Embedding(OP_BUCKETS, f)
        self.kind_emb = nn.Embedding(len(KINDS), f)
        self.sort_emb = nn.Embedding(4, f)
        self.scalar_proj = nn.Linear(2 + CONST_FEATURES, f)
        self.occ_proj = nn.Linear(2 * d + 2, f)
        self.spec_proj = nn.Linear(2 * d, f)
        self.score = nn.Sequential(nn.Linear(3 * f, f), nn.GELU(), nn.Linear(f, f), nn.GELU(), nn.Linear(f, 1))
        self.post_init()

    def forward(self, batch: TreeBatch, prods: ProductionTensors, z0: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """``(log p per production, node states, solver stats)``."""
        out = self.recursa(batch, z0=z0)
        return self.log_probs(batch, out.node_states, prods), out.node_states, out.stats

    def log_probs(self, batch: TreeBatch, z: torch.Tensor, prods: ProductionTensors) -> torch.Tensor:
        d = z.shape[1]
        n_trees = batch.num_trees
        # the spec: its root state and the mean of all its states
        sums = torch.zeros(n_trees, d, dtype=z.dtype, device=z.device).index_add_(0, batch.tree, z)
        spec = torch.cat([z[batch.tree_root], sums / batch.tree_size.to(z.dtype).unsqueeze(1)], dim=1)
        spec_vec = self.spec_proj(spec)[prods.tree]
        # where the production's symbol occurs in the spec: mean state there and at the parent, and a count
        n_prod = prods.op.shape[0]
        occ = torch.zeros(n_prod, 2 * d + 2, dtype=z.dtype, device=z.device)
        if prods.occ_node.numel():
            parent = batch.parent[prods.occ_node].clamp(min=0)
            rows = torch.cat([z[prods.occ_node], z[parent]], dim=1)
            summed = torch.zeros(n_prod, 2 * d, dtype=z.dtype, device=z.device).index_add_(0, prods.occ_prod, rows)
            count = torch.zeros(n_prod, dtype=z.dtype, device=z.device).index_add_(
                0, prods.occ_prod, torch.ones_like(prods.occ_prod, dtype=z.dtype))
            occ[:, :2 * d] = summed / count.clamp(min=1).unsqueeze(1)
            occ[:, 2 * d] = (count > 0).to(z.dtype)
            occ[:, 2 * d + 1] = torch.log1p(count) / 3.0
        prod_vec = (self.op_emb(prods.op) + self.kind_emb(prods.kind) + self.sort_emb(prods.sort)
                    + self.scalar_proj(prods.scalars.to(z.dtype)) + self.occ_proj(occ))
        logits = self.score(torch.cat([prod_vec, spec_vec, prod_vec * spec_vec], dim=1)).squeeze(1)
        return group_log_softmax(logits, prods.group, prods.num_groups)


def label_targets(pf: ProductionFeatures, counts: Mapping[tuple[str, str], int]) -> list[float]:
    """Per production, its share of its non-terminal's uses in the target (0 for unused; all 0 in a
    non-terminal the target never expands)."""
    totals: dict[int, int] = {}
    raw = [float(counts.get((r.nonterminal, r.text), 0)) for r in pf.refs]
    for g, c in zip(pf.group, raw):
        totals[g] = totals.get(g, 0) + int(c)
    return [c / totals[g] if totals[g] else 0.0 for g, c in zip(pf.group, raw)]


@dataclass
class _Encoded:
    weights: dict[ProductionRef, float]
    log_probs: dict[ProductionRef, float]
    iterations: int
    node_evals: int
    seconds: float


@dataclass
class GuideStats:
    """What the guide did for one solve (JSON-ready through :meth:`to_json`)."""

    encodings: int = 0
    cache_hits: int = 0
    iterations: int = 0
    node_evals: int = 0  # block applications to nodes in the equilibrium solves (the honest cost measure)
    seconds: float = 0.0
    productions: int = 0
    rescored_per_counterexample: bool = False
    warm_iterations_saved: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"encodings": self.encodings, "cache_hits": self.cache_hits, "iterations": self.iterations,
                "node_evals": self.node_evals, "seconds": round(self.seconds, 4), "productions": self.productions,
                "rescored_per_counterexample": self.rescored_per_counterexample,
                "warm_iterations_saved": self.warm_iterations_saved, "notes": list(self.notes)}


class ReasonerGuide:
    """The :class:`~recursa.synth.grammar.Guide` backed by a trained :class:`RecursaForProductionScoring`.

    It conditions on the specification's text, not on CEGIS's example points: a counterexample does not
    change what it reads, so it scores a problem once (cached) and there is no warm start to take
    (``warm_iterations_saved`` stays 0 and the stats say so)."""

    name = "reasoner"
    mix_with_uniform = True  # learned, so sometimes wrong: the engine falls back to the uniform order in time

    def __init__(self, model: RecursaForProductionScoring) -> None:
        self.model = model.eval()
        self.config: SynthGuideConfig = model.config
        self._cache: dict[tuple[str, str, str], _Encoded] = {}
        self.stats = GuideStats(notes=["the guide reads the spec's text, not CEGIS points: scored once per "
                                       "problem, no warm start (0 iterations saved)"])

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> ReasonerGuide:
        where = Path(path) if path is not None else SYNTH_MODEL_DIR
        if not (where / "config.json").is_file() or not (where / "model.safetensors").is_file():
            raise ModelMissing(f"{where}: no trained synthesis guide (config.json and model.safetensors); make one "
                               f"with `recursa train synth -o {where}`")
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        return cls(RecursaForProductionScoring.from_pretrained(str(where)))

    def reset_stats(self) -> None:
        self.stats = GuideStats(notes=list(self.stats.notes[:1]))

    def _encode(self, problem: Problem, function: SynthFun, grammar: Grammar) -> _Encoded:
        text = spec_text(problem, function)
        key = (text, function.name, repr(grammar))
        hit = self._cache.get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            return hit
        t0 = time.perf_counter()
        pf = production_features(function, grammar)
        tree: FlatTree = parse(text, "smtlib", drop_punctuation=True)
        before = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny tensors: extra threads only spin on a shared CPU
        try:
            batch = TreeBatch.from_trees([tree])
            prods = batch_productions(batch, [pf])
            with torch.no_grad():
                logp, _, stats = self.model(batch, prods)
        finally:
            torch.set_num_threads(before)
        logp_list = logp.tolist()
        iters = _iterations(stats)
        weights: dict[ProductionRef, float] = {}
        log_probs: dict[ProductionRef, float] = {}
        best: dict[int, float] = {}
        for g, lp in zip(pf.group, logp_list):
            best[g] = max(best.get(g, -1e30), lp)
        nts = {nt.name: nt for nt in grammar.nonterminals}
        k, cap = float(self.config.cost_scale), int(self.config.max_extra)
        leaves = bool(getattr(self.config, "price_leaves", True))
        for ref, g, lp in zip(pf.refs, pf.group, logp_list):
            log_probs[ref] = lp
            extra = min(cap, max(0, round(k * (best[g] - lp))))
            if not leaves and not _has_holes(nts[ref.nonterminal].productions[ref.index], nts):
                extra = 0
            weights[ref] = float(_size(nts[ref.nonterminal].productions[ref.index], nts) + extra)
        enc = _Encoded(weights, log_probs, iters, int(getattr(stats, "node_evals", 0) or 0), time.perf_counter() - t0)
        self._cache[key] = enc
        self.stats.encodings += 1
        self.stats.iterations += iters
        self.stats.node_evals += enc.node_evals
        self.stats.seconds += enc.seconds
        self.stats.productions += len(pf.refs)
        return enc

    def weights(self, problem: Problem, function: SynthFun, grammar: Grammar) -> Mapping[ProductionRef, float]:
        return self._encode(problem, function, grammar).weights

    def log_probs(self, problem: Problem, function: SynthFun, grammar: Grammar) -> Mapping[ProductionRef, float]:
        """``log p`` of every production within its non-terminal (what the costs are made from)."""
        return self._encode(problem, function, grammar).log_probs

    def context_weights(self, problem: Problem, function: SynthFun, grammar: Grammar
                        ) -> Mapping[tuple[Context, ProductionRef], float]:
        return {}  # context-free: the head does not see the parent production


def _has_holes(prod: Any, nts: Mapping[str, Any]) -> bool:
    if isinstance(prod, (AnyConstant, AnyVariable)):
        return False
    return bool(_number_holes(prod, nts)[1])


def _size(prod: Any, nts: Mapping[str, Any]) -> int:
    """The uniform cost the grammar compiler gives a production: its node count, holes excluded."""
    if isinstance(prod, (AnyConstant, AnyVariable)):
        return 1
    term: Term = prod
    stack = [term]
    n = 0
    while stack:
        node = stack.pop()
        if isinstance(node, Var) and node.name in nts:
            continue
        n += 1
        if isinstance(node, App):
            stack.extend(node.args)
    return n


def _iterations(stats: Any) -> int:
    for name in ("iterations", "iters", "steps"):
        v = getattr(stats, name, None)
        if v is not None:
            try:
                return int(torch.as_tensor(v).max().item())
            except (TypeError, ValueError, RuntimeError):
                continue
    return 0


_LOADED: dict[str, ReasonerGuide] = {}


def load_guide(path: str | Path | None = None) -> ReasonerGuide:
    """The shipped guide (or the one at ``path``, or at ``$RECURSA_SYNTH_MODEL``), loaded once per process.
    Raises :class:`ModelMissing`."""
    path = path or os.environ.get("RECURSA_SYNTH_MODEL") or None
    key = str(path or SYNTH_MODEL_DIR)
    guide = _LOADED.get(key)
    if guide is None:
        guide = _LOADED[key] = ReasonerGuide.from_pretrained(path)
    return guide


__all__ = ["ModelMissing", "ProductionFeatures", "RecursaForProductionScoring", "ReasonerGuide", "SYNTH_MODEL_DIR",
           "SynthGuideConfig", "batch_productions", "label_targets", "load_guide", "production_features",
           "spec_text"]
