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

With ``context_head`` (``recursa train synth --set context_head=true``) the model also scores every production
as argument ``i`` of every parent production (:func:`context_features`; a parent-conditioned grammar, as in
Euphony), and the guide's :meth:`ReasonerGuide.context_weights` hands the grammar compiler the contexts whose
costs differ from the context-free ones. The shipped guide has no context head (its card says why).

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
from recursa.equilibrium.structure import NodeSet, TreeGraph, tree_graph
from recursa.paths import SYNTH_MODEL_DIR
from recursa.symbolic.concrete import apply as apply_op
from recursa.symbolic.terms import BOOL, App, Lit, Term, Var, to_smtlib
from recursa.symbolic.terms import fold as fold_term
from recursa.synth.grammar import Context, ProductionRef, _number_holes, production_text
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, Problem, SynthFun
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import FlatTree, parse, token_id

VALUES_FILE = "values.json"  # the value scorer (recursa train synth-values) in a guide's model directory
MAX_CONSTRAINTS = 40  # a PBE file with hundreds of examples: the first 40 say enough and keep the tree small
MAX_POINTS = 10  # CEGIS counterexamples the reasoner reads: the most recent 10
MAX_POINT_CONSTRAINTS = 40  # and at most this many constraints instantiated at them
#: ``RECURSA_SYNTH_GUIDE_MEASURE=1``: also run the cold solve of every warm-started tree (see ReasonerGuide)
MEASURE_ENV = "RECURSA_SYNTH_GUIDE_MEASURE"
#: ``RECURSA_SYNTH_GUIDE_POINTS=1`` / ``0``: read counterexample points or not, whatever the model's config says
POINTS_ENV = "RECURSA_SYNTH_GUIDE_POINTS"
OP_BUCKETS = 512
CONST_FEATURES = 6
KINDS = ("op", "template", "variable", "literal", "any-constant", "any-variable")
MAX_POSITIONS = 4  # argument positions the context head tells apart (later ones share the last)


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
    read_points: bool = False  # trained on specs with counterexample points appended: the guide reads them
    context_head: bool = False  # also scores each production as the argument of each parent production


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
    spec_node: torch.Tensor | None = None  # [N] bool: the node is part of the spec, not of the points appended

    def to(self, device: torch.device | str) -> ProductionTensors:
        kw = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}
        return ProductionTensors(**kw)


@dataclass
class ContextFeatures:
    """Every (parent production, argument position, child production) of one problem's grammar, indexing its
    :class:`ProductionFeatures`: a child's probability is scored within each context (a parent-conditioned
    grammar, as in Euphony), one softmax group per (parent, position)."""

    parent: list[int] = field(default_factory=list)
    position: list[int] = field(default_factory=list)
    child: list[int] = field(default_factory=list)
    group: list[int] = field(default_factory=list)
    contexts: list[Context] = field(default_factory=list)  # per group


@dataclass
class ContextTensors:
    """:class:`ContextFeatures` of several problems, indexing their batched :class:`ProductionTensors`."""

    parent: torch.Tensor
    position: torch.Tensor
    child: torch.Tensor
    group: torch.Tensor
    num_groups: int


def _bucket(text: str) -> int:
    return zlib.crc32(text.encode()) % OP_BUCKETS


def _sort_id(sort: Any) -> int:
    if sort == BOOL:
        return 1
    if getattr(sort, "is_bv", False):
        return 2
    return 0 if getattr(sort, "name", "") == "Int" else 3


Point = Mapping[str, Any]


def spec_text(problem: Problem, fn: SynthFun, points: Sequence[Point] = ()) -> str:
    """The specification the reasoner reads: the signature and (the first few) constraints, as SMT-LIB, then
    the constraints instantiated at the CEGIS counterexample ``points`` (:func:`point_constraints`).

    Without points the text is what it always was; with points it only grows at the end, so the text read
    before a counterexample is a prefix of the one read after it (what the warm start matches on)."""
    params = " ".join(f"({n} {s})" for n, s in fn.params)
    lines = [f"(synth-fun {fn.name} ({params}) {fn.sort})"]
    lines += [f"(declare-var {n} {s})" for n, s in problem.declared]
    lines += [f"(constraint {to_smtlib(c)})" for c in problem.constraints[:MAX_CONSTRAINTS]]
    lines += [f"(constraint {to_smtlib(c)})" for c in point_constraints(problem, points)]
    return "\n".join(lines) + "\n"


def point_constraints(problem: Problem, points: Sequence[Point]) -> list[Term]:
    """The constraints at the last :data:`MAX_POINTS` of ``points``, oldest first: every declared variable
    replaced by the point's value and the ground sub-terms folded (``(=> (>= 3 0) (= (f 3) (+ 3 1)))`` reads
    ``(= (f 3) 4)``; a constraint true at the point whatever ``f`` does is left out, and so is a repeat).
    At most :data:`MAX_POINT_CONSTRAINTS`, whole points, the most recent kept. A problem without declared
    variables (a PBE file) has no points: nothing."""
    if not points or not problem.declared:
        return []
    sorts = dict(problem.declared)
    calls = {f.name for f in problem.functions} | set(problem.definitions)
    per_point: list[list[Term]] = []
    for point in list(points)[-MAX_POINTS:]:
        env = {n: Lit(point[n], sorts[n]) for n in sorts if n in point}
        terms: list[Term] = []
        for c in problem.constraints[:MAX_CONSTRAINTS]:
            if not any(isinstance(v, Var) and v.name in env for v in _nodes(c)):
                continue  # says nothing new at a point (it is in the text already)
            folded = _instantiate(c, env, calls)
            if not (isinstance(folded, Lit) and folded.value is True):
                terms.append(folded)
        per_point.append(terms)
    out: list[Term] = []
    seen: set[str] = set()
    kept: list[list[Term]] = []
    total = 0
    for terms in reversed(per_point):  # the most recent points first, whole points
        if total + len(terms) > MAX_POINT_CONSTRAINTS:
            break
        kept.append(terms)
        total += len(terms)
    for terms in reversed(kept):
        for t in terms:
            text = to_smtlib(t)
            if text not in seen:
                seen.add(text)
                out.append(t)
    return out


def _nodes(term: Term) -> list[Term]:
    out: list[Term] = []
    stack = [term]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, App):
            stack.extend(node.args)
    return out


_TRUE = Lit(True, BOOL)
_FALSE = Lit(False, BOOL)


def _instantiate(term: Term, env: Mapping[str, Lit], calls: set[str]) -> Term:
    """``term`` with the variables of ``env`` replaced and every ground application of a theory operator
    folded to its value (bottom-up without recursion; calls of ``calls`` — the synth-funs and define-funs —
    stay)."""

    def step(node: Term, kids: list[Term]) -> Term:
        if isinstance(node, Var):
            return env.get(node.name, node)
        if isinstance(node, App):
            return _fold(node, kids, calls)
        return node

    return fold_term(term, step)


def _fold(node: App, kids: list[Term], calls: set[str]) -> Term:
    op = node.op
    if op not in calls and all(isinstance(k, Lit) for k in kids):
        try:
            value = apply_op(node, [k.value for k in kids])  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - undefined (division by zero, an unknown operator): left unfolded
            value = None
        if isinstance(value, (bool, int)):
            return Lit(value, node.sort)
    lit = [k.value if isinstance(k, Lit) else None for k in kids]  # type: ignore[attr-defined]
    if op == "=>" and len(kids) == 2 and lit[0] is not None:
        return kids[1] if lit[0] else _TRUE
    if op == "ite" and lit[0] is not None:
        return kids[1] if lit[0] else kids[2]
    if op in ("and", "or"):
        unit = op == "and"  # and: true is neutral, false absorbs; or: the other way round
        if any(v is (not unit) for v in lit):
            return _FALSE if unit else _TRUE
        rest = [k for k, v in zip(kids, lit) if v is not unit]
        if not rest:
            return _TRUE if unit else _FALSE
        if len(rest) == 1:
            return rest[0]
        kids = rest
    return App(op, tuple(kids), node.sort, node.indices)


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
            text = production_text(prod)
            if isinstance(prod, AnyConstant):
                kind, op = 4, "<constant>"
            elif isinstance(prod, AnyVariable):
                kind, op = 5, "<variable>"
            else:
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


def context_features(grammar: Grammar, pf: ProductionFeatures) -> ContextFeatures:
    """The contexts of ``grammar``: each hole of each production (left to right, as the grammar compiler numbers
    them), with every production of the hole's non-terminal."""
    nts = {nt.name: nt for nt in grammar.nonterminals}
    by_nt: dict[str, list[int]] = {}
    for j, ref in enumerate(pf.refs):
        by_nt.setdefault(ref.nonterminal, []).append(j)
    cf = ContextFeatures()
    for j, ref in enumerate(pf.refs):
        prod = nts[ref.nonterminal].productions[ref.index]
        if isinstance(prod, (AnyConstant, AnyVariable)):
            continue
        for pos, hole in enumerate(_number_holes(prod, nts)[1]):
            g = len(cf.contexts)
            cf.contexts.append(Context(ref, pos))
            for c in by_nt.get(hole, ()):
                cf.parent.append(j)
                cf.position.append(min(pos, MAX_POSITIONS - 1))
                cf.child.append(c)
                cf.group.append(g)
    return cf


def batch_contexts(items: Sequence[ContextFeatures], sizes: Sequence[int]) -> ContextTensors:
    """Index tensors for ``items``; ``sizes[t]``: how many productions problem ``t`` has in the batch."""
    parent: list[int] = []
    position: list[int] = []
    child: list[int] = []
    group: list[int] = []
    offset = g0 = 0
    for cf, size in zip(items, sizes):
        parent.extend(offset + j for j in cf.parent)
        child.extend(offset + j for j in cf.child)
        position.extend(cf.position)
        group.extend(g0 + g for g in cf.group)
        offset += size
        g0 += len(cf.contexts)

    def lt(x: list[int]) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.long)

    return ContextTensors(lt(parent), lt(position), lt(child), lt(group), g0)


def batch_productions(batch: TreeBatch, items: Sequence[ProductionFeatures],
                      spec_bytes: Sequence[int | None] | None = None) -> ProductionTensors:
    """Index tensors for ``items`` (item ``t`` belongs to tree ``t`` of ``batch``).

    ``spec_bytes[t]``: where the spec ends in tree ``t``'s text and the constraints at counterexample points
    begin (None: no points). Only the spec's nodes are looked at for a production's symbol, and only they are
    averaged into the spec's summary: the values at a point (``0``, ``1``, ``(- 3)``) are not constants of the
    spec, and should not make the grammar's ``0``, ``1`` or ``-`` look used. The points reach the scores through
    the root's state."""
    tokens = batch.token.tolist()
    trees = batch.tree.tolist()
    limits = list(spec_bytes) if spec_bytes is not None else [None] * len(items)
    starts = batch.start_byte.tolist()
    spec_node = [lim is None or a < lim for a, lim in zip(starts, (limits[t] for t in trees))]
    where: dict[tuple[int, int], list[int]] = {}
    for i, (tok, t) in enumerate(zip(tokens, trees)):
        if tok and spec_node[i]:
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
        len(scalars), 2 + CONST_FEATURES), lt(tree), lt(group), g0, lt(occ_node), lt(occ_prod),
        None if all(spec_node) else torch.tensor(spec_node, dtype=torch.bool))


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
        if getattr(config, "context_head", False):
            self.pos_emb = nn.Embedding(MAX_POSITIONS, f)
            self.ctx_score = nn.Sequential(nn.Linear(4 * f, f), nn.GELU(), nn.Linear(f, f), nn.GELU(),
                                           nn.Linear(f, 1))
        self.post_init()

    def forward(self, batch: TreeBatch, prods: ProductionTensors, z0: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """``(log p per production, node states, solver stats)``."""
        out = self.recursa(batch, z0=z0)
        return self.log_probs(batch, out.node_states, prods), out.node_states, out.stats

    def log_probs(self, batch: TreeBatch, z: torch.Tensor, prods: ProductionTensors) -> torch.Tensor:
        prod_vec, spec_vec = self._vectors(batch, z, prods)
        logits = self.score(torch.cat([prod_vec, spec_vec, prod_vec * spec_vec], dim=1)).squeeze(1)
        return group_log_softmax(logits, prods.group, prods.num_groups)

    def context_log_probs(self, batch: TreeBatch, z: torch.Tensor, prods: ProductionTensors, ctx: ContextTensors
                          ) -> torch.Tensor:
        """``log p`` of each child production within its (parent production, position) context; the
        context-free logit plus what the context head adds (so without evidence it stays the same)."""
        prod_vec, spec_vec = self._vectors(batch, z, prods)
        base = self.score(torch.cat([prod_vec, spec_vec, prod_vec * spec_vec], dim=1)).squeeze(1)
        child = prod_vec[ctx.child]
        parent = prod_vec[ctx.parent] + self.pos_emb(ctx.position)
        logits = base[ctx.child] + self.ctx_score(
            torch.cat([child, parent, spec_vec[ctx.child], child * parent], dim=1)).squeeze(1)
        return group_log_softmax(logits, ctx.group, ctx.num_groups)

    def _vectors(self, batch: TreeBatch, z: torch.Tensor, prods: ProductionTensors
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per production: its own vector and its problem's spec vector."""
        d = z.shape[1]
        n_trees = batch.num_trees
        # the spec: its root state and the mean of all its states (the spec's own nodes: points left out)
        if prods.spec_node is None:
            sums = torch.zeros(n_trees, d, dtype=z.dtype, device=z.device).index_add_(0, batch.tree, z)
            count = batch.tree_size.to(z.dtype)
        else:
            keep = prods.spec_node.to(z.dtype)
            sums = torch.zeros(n_trees, d, dtype=z.dtype, device=z.device).index_add_(0, batch.tree,
                                                                                      z * keep.unsqueeze(1))
            count = torch.zeros(n_trees, dtype=z.dtype, device=z.device).index_add_(0, batch.tree, keep)
        spec = torch.cat([z[batch.tree_root], sums / count.clamp(min=1).unsqueeze(1)], dim=1)
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
        return prod_vec, spec_vec


def context_targets(pf: ProductionFeatures, cf: ContextFeatures,
                    counts: Mapping[tuple[str, str, int, str, str], int]) -> list[float]:
    """Per (context, child) row, the child's share of the target's uses of that context (all 0 in a context
    the target never uses)."""
    raw = []
    for j, c, g in zip(cf.parent, cf.child, cf.group):
        parent, child = pf.refs[j], pf.refs[c]
        key = (parent.nonterminal, parent.text, cf.contexts[g].position, child.nonterminal, child.text)
        raw.append(float(counts.get(key, 0)))
    totals: dict[int, float] = {}
    for g, x in zip(cf.group, raw):
        totals[g] = totals.get(g, 0.0) + x
    return [x / totals[g] if totals[g] else 0.0 for g, x in zip(cf.group, raw)]


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
    context_weights: dict[tuple[Context, ProductionRef], float] = field(default_factory=dict)


@dataclass
class _TreeState:
    """A solved spec tree: its text, batch and fixed-point node states (batch order), kept for warm starts."""

    text: bytes
    batch: TreeBatch
    z: torch.Tensor


@dataclass
class WarmSolve:
    """One warm-started solve: the tree's nodes, how many were new or above a new one (re-evaluated), and the
    iterations (sequential block applications) and node evaluations of the warm solve and of the cold one."""

    nodes: int
    dirty: int
    warm_iterations: int
    warm_node_evals: int
    cold_iterations: int
    cold_node_evals: int
    cold_measured: bool  # the cold solve was run (else its counts are the cold wavefront's: height+1, N)
    max_logp_diff: float | None = None  # measured: max |log p warm - log p cold| over the productions


@dataclass
class GuideStats:
    """What the guide did for one solve (JSON-ready through :meth:`to_json`).

    ``iterations`` / ``node_evals`` / ``seconds`` are what the guide's own solves cost (cold first solve, warm
    re-solves). ``warm`` lists the warm re-solves, one per counterexample that changed the text the reasoner
    reads; ``warm_iterations_saved`` is the sum over them of cold minus warm iterations, and
    ``warm_node_evals_saved`` the same for node evaluations (the work)."""

    encodings: int = 0
    cache_hits: int = 0
    iterations: int = 0
    node_evals: int = 0  # block applications to nodes in the equilibrium solves (the honest cost measure)
    seconds: float = 0.0
    productions: int = 0
    rescored_per_counterexample: bool = False
    counterexamples: int = 0  # counterexample points the reasoner read (observe calls that changed the text)
    warm_iterations_saved: int = 0
    warm_node_evals_saved: int = 0
    warm: list[WarmSolve] = field(default_factory=list)
    measure_seconds: float = 0.0  # time spent on the cold solves run only to measure (not in ``seconds``)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        warm = self.warm
        diffs = [w.max_logp_diff for w in warm if w.max_logp_diff is not None]
        return {"encodings": self.encodings, "cache_hits": self.cache_hits, "iterations": self.iterations,
                "node_evals": self.node_evals, "seconds": round(self.seconds, 4), "productions": self.productions,
                "rescored_per_counterexample": self.rescored_per_counterexample,
                "counterexamples": self.counterexamples,
                "warm_solves": len(warm),
                "warm_iterations": sum(w.warm_iterations for w in warm),
                "cold_iterations": sum(w.cold_iterations for w in warm),
                "warm_iterations_saved": self.warm_iterations_saved,
                "warm_node_evals": sum(w.warm_node_evals for w in warm),
                "cold_node_evals": sum(w.cold_node_evals for w in warm),
                "warm_node_evals_saved": self.warm_node_evals_saved,
                "cold_measured": bool(warm) and all(w.cold_measured for w in warm),
                "warm_max_logp_diff": round(max(diffs), 8) if diffs else None,
                "measure_seconds": round(self.measure_seconds, 4),
                "notes": list(self.notes)}


_NOTE = ("the guide reads the spec and the constraints at the last {points} counterexamples; after each one it "
         "re-solves warm: nodes of the previous tree keep their fixed-point states, only new nodes and their "
         "ancestors are evaluated (cold iterations {how})")


class ReasonerGuide:
    """The :class:`~recursa.synth.grammar.Guide` backed by a trained :class:`RecursaForProductionScoring`.

    It reads the specification's text and, once CEGIS has counterexamples (:meth:`observe`), the constraints
    instantiated at them (:func:`spec_text`) — when its model was trained on such texts (``read_points`` in
    its config; ``RECURSA_SYNTH_GUIDE_POINTS`` overrides), else it scores a problem once, as before.

    A new counterexample only appends to the text, so the new tree contains the previous one: its nodes start
    from their previous fixed-point states, and, the reasoner being bottom-up (``top_down=False``: a node's
    state depends on its subtree only), a node whose subtree is unchanged is at its fixed point already. The
    warm re-solve evaluates only the new nodes and their ancestors, level by level (:func:`warm_solve`).

    Each warm solve is counted against the cold solve of the same tree: run when ``measure`` is set
    (``RECURSA_SYNTH_GUIDE_MEASURE=1``; it doubles the guide's cost, so ``recursa synth`` does not run it by
    default), else the cold wavefront's own count (height+1 iterations, one evaluation per node: what the cold
    solve reports, by construction)."""

    name = "reasoner"
    mix_with_uniform = True  # learned, so sometimes wrong: the engine falls back to the uniform order in time

    def __init__(self, model: RecursaForProductionScoring, measure: bool | None = None,
                 read_points: bool | None = None) -> None:
        self.model = model.eval()
        self.config: SynthGuideConfig = model.config
        self.measure = bool(os.environ.get(MEASURE_ENV, "") not in ("", "0")) if measure is None else measure
        if read_points is None:
            env = os.environ.get(POINTS_ENV, "")
            read_points = env not in ("", "0") if env else bool(getattr(self.config, "read_points", False))
        self.read_points = read_points
        # the value scorer beside the production prior (recursa.synth.values; None: values are never delayed)
        self.value_model: Any = None
        self._cache: dict[tuple[str, str, str], _Encoded] = {}
        self._states: dict[bytes, _TreeState] = {}  # solved spec trees by text (bounded, oldest dropped)
        self._last: dict[str, bytes] = {}  # spec text without points -> text of the latest tree solved for it
        self._points: dict[tuple[str, str], tuple[Point, ...]] = {}  # (spec text, function) -> points
        self.stats = GuideStats(notes=[self._note()])

    def _note(self) -> str:
        if not self.read_points:
            return ("this model was trained on the spec text alone: it does not read counterexamples, so it scores "
                    f"a problem once and there is no warm start (0 saved; {POINTS_ENV}=1 makes it read them)")
        how = "measured: the cold solve is run too" if self.measure else (
            f"not run: the cold wavefront's height+1; set {MEASURE_ENV}=1 to run and compare it")
        return _NOTE.format(points=MAX_POINTS, how=how)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, measure: bool | None = None,
                        read_points: bool | None = None) -> ReasonerGuide:
        where = Path(path) if path is not None else SYNTH_MODEL_DIR
        if not (where / "config.json").is_file() or not (where / "model.safetensors").is_file():
            raise ModelMissing(f"{where}: no trained synthesis guide (config.json and model.safetensors); make one "
                               f"with `recursa train synth -o {where}`")
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        guide = cls(RecursaForProductionScoring.from_pretrained(str(where)), measure=measure, read_points=read_points)
        if (where / VALUES_FILE).is_file():  # the value scorer shipped beside the model, when there is one
            from recursa.synth.values import ValueModel

            guide.value_model = ValueModel.load(where / VALUES_FILE)
        return guide

    def reset_stats(self) -> None:
        """A new solve: fresh counters, and no counterexample points carried over from an earlier one."""
        self.stats = GuideStats(notes=[self._note()])
        self._points.clear()

    def observe(self, problem: Problem, function: SynthFun, points: Sequence[Point]) -> bool:
        """The CEGIS counterexamples so far for ``function`` of ``problem`` (``()`` at the start of a run): the
        next :meth:`weights` reads the constraints at them. True when that changes what the reasoner reads
        (the engine then re-prices the grammar). Always False for a guide that does not read points."""
        if not self.read_points:
            return False
        key = (spec_text(problem, function), function.name)
        before = self._points.get(key, ())
        now = tuple(dict(p) for p in points) if problem.declared else ()
        if now:
            self._points[key] = now
        else:
            self._points.pop(key, None)
        changed = spec_text(problem, function, before) != spec_text(problem, function, now)
        if changed and len(now) > len(before):
            self.stats.counterexamples += len(now) - len(before)
            self.stats.rescored_per_counterexample = True
        return changed

    def _encode(self, problem: Problem, function: SynthFun, grammar: Grammar) -> _Encoded:
        base = spec_text(problem, function)
        points = self._points.get((base, function.name), ())
        text = spec_text(problem, function, points) if points else base
        key = (text, function.name, repr(grammar))
        hit = self._cache.get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            return hit
        t0 = time.perf_counter()
        pf = production_features(function, grammar)
        cf = context_features(grammar, pf) if getattr(self.config, "context_head", False) else None
        ctx_logp: list[float] = []
        data = text.encode()
        spec_end = len(base.encode()) if points else None
        before = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny tensors: extra threads only spin on a shared CPU
        warm: WarmSolve | None = None
        measure_s = 0.0
        try:
            state = self._states.get(data)
            with torch.no_grad():
                if state is not None:  # the same tree solved before (another grammar): its states as they are
                    batch, z, iters, evals = state.batch, state.z, 0, 0
                    prods = batch_productions(batch, [pf], [spec_end])
                    logp = self.model.log_probs(batch, z, prods)
                else:
                    tree: FlatTree = parse(data, "smtlib", drop_punctuation=True)
                    batch = TreeBatch.from_trees([tree])
                    prods = batch_productions(batch, [pf], [spec_end])
                    prev = self._states.get(self._last.get(base, b""))
                    if prev is not None and self.model.recursa.block.acyclic:
                        z0, dirty = match_states(prev.batch, prev.z, prev.text, batch, data)
                        z, iters, evals = warm_solve(self.model.recursa, batch, z0, dirty)
                        logp = self.model.log_probs(batch, z, prods)
                        warm = WarmSolve(batch.num_nodes, int(dirty.sum()), iters, evals,
                                         int(batch.tree_height.max()) + 1, batch.num_nodes, False)
                        if self.measure:
                            m0 = time.perf_counter()
                            cold_logp, _, cold_stats = self.model(batch, prods)
                            warm.cold_iterations = _iterations(cold_stats)
                            warm.cold_node_evals = int(getattr(cold_stats, "node_evals", 0) or 0)
                            warm.cold_measured = True
                            warm.max_logp_diff = float((cold_logp - logp).abs().max()) if logp.numel() else 0.0
                            measure_s = time.perf_counter() - m0
                    else:
                        logp, z, stats = self.model(batch, prods)
                        iters, evals = _iterations(stats), int(getattr(stats, "node_evals", 0) or 0)
                    self._remember(_TreeState(data, batch, z.detach()))
                self._last[base] = data
                if cf is not None:
                    ctx = batch_contexts([cf], [len(pf.refs)])
                    ctx_logp = self.model.context_log_probs(batch, z, prods, ctx).tolist()
        finally:
            torch.set_num_threads(before)
        logp_list = logp.tolist()
        log_probs = dict(zip(pf.refs, logp_list))
        nts = {nt.name: nt for nt in grammar.nonterminals}
        weights = dict(zip(pf.refs, self._costs(pf.refs, pf.group, logp_list, nts)))
        enc = _Encoded(weights, log_probs, iters, evals, time.perf_counter() - t0 - measure_s,
                       self._context_costs(cf, pf, ctx_logp, weights, nts) if cf is not None else {})
        self._cache[key] = enc
        self.stats.encodings += 1
        self.stats.iterations += iters
        self.stats.node_evals += evals
        self.stats.seconds += enc.seconds
        self.stats.measure_seconds += measure_s
        self.stats.productions += len(pf.refs)
        if warm is not None:
            self.stats.warm.append(warm)
            self.stats.warm_iterations_saved += warm.cold_iterations - warm.warm_iterations
            self.stats.warm_node_evals_saved += warm.cold_node_evals - warm.warm_node_evals
        return enc

    def _costs(self, refs: Sequence[ProductionRef], groups: Sequence[int], logp: Sequence[float],
               nts: Mapping[str, Any]) -> list[float]:
        """The enumeration cost of each production from its ``log p`` within its softmax group: its size plus
        ``round(k * -log(p / p_max))``, capped at ``max_extra`` (leaves keep their size without ``price_leaves``)."""
        k, cap = float(self.config.cost_scale), int(self.config.max_extra)
        leaves = bool(getattr(self.config, "price_leaves", True))
        best: dict[int, float] = {}
        for g, lp in zip(groups, logp):
            best[g] = max(best.get(g, -1e30), lp)
        out = []
        for ref, g, lp in zip(refs, groups, logp):
            prod = nts[ref.nonterminal].productions[ref.index]
            extra = min(cap, max(0, round(k * (best[g] - lp))))
            if not leaves and not _has_holes(prod, nts):
                extra = 0
            out.append(float(_size(prod, nts) + extra))
        return out

    def _context_costs(self, cf: ContextFeatures, pf: ProductionFeatures, logp: list[float],
                       weights: Mapping[ProductionRef, float], nts: Mapping[str, Any]
                       ) -> dict[tuple[Context, ProductionRef], float]:
        """Costs of each child production in each context, by the same rule; a context is returned only where
        some child's cost differs from its context-free cost (the grammar compiler gives each such argument
        position its own view of the child non-terminal's bank)."""
        children = [pf.refs[c] for c in cf.child]
        out: dict[tuple[Context, ProductionRef], float] = {}
        rows: dict[int, list[tuple[ProductionRef, float]]] = {}
        for ref, g, cost in zip(children, cf.group, self._costs(children, cf.group, logp, nts)):
            rows.setdefault(g, []).append((ref, cost))
        for g, row in rows.items():
            if any(weights.get(ref) != cost for ref, cost in row):
                out.update({(cf.contexts[g], ref): cost for ref, cost in row})
        return out

    _MAX_STATES = 256

    def _remember(self, state: _TreeState) -> None:
        self._states[state.text] = state
        while len(self._states) > self._MAX_STATES:
            self._states.pop(next(iter(self._states)))

    def weights(self, problem: Problem, function: SynthFun, grammar: Grammar) -> Mapping[ProductionRef, float]:
        return self._encode(problem, function, grammar).weights

    def log_probs(self, problem: Problem, function: SynthFun, grammar: Grammar) -> Mapping[ProductionRef, float]:
        """``log p`` of every production within its non-terminal (what the costs are made from)."""
        return self._encode(problem, function, grammar).log_probs

    def context_weights(self, problem: Problem, function: SynthFun, grammar: Grammar
                        ) -> Mapping[tuple[Context, ProductionRef], float]:
        """Costs by context, from a model with a context head (``context_head`` in its config; none for one
        without): where they differ from :meth:`weights`."""
        return self._encode(problem, function, grammar).context_weights


def match_states(prev_batch: TreeBatch, prev_z: torch.Tensor, prev_text: bytes, batch: TreeBatch, text: bytes
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(z0, dirty)`` for a warm solve of ``batch`` (one tree, parsed from ``text``) from the solved
    ``prev_batch`` (parsed from ``prev_text``).

    Both batches are in level order (:meth:`TreeBatch.from_trees` sorts a :class:`FlatTree`'s pre-order by
    height), so nodes are matched by what the batch keeps of each: byte span, kind, depth, leaf token and rank
    among siblings, for the nodes that lie within the two texts' common prefix. A matched node starts from its
    previous state, the others from zero. ``dirty``: the nodes a bottom-up reasoner must evaluate again — the
    unmatched ones, a matched one whose number of children changed, and every ancestor of those (in a
    bottom-up block a node's state is a function of its subtree only, so every other node is at its fixed
    point already)."""
    n, d = batch.num_nodes, prev_z.shape[1]
    common = 0
    limit = min(len(prev_text), len(text))
    while common < limit and prev_text[common] == text[common]:
        common += 1
    cols = ("start_byte", "end_byte", "kind", "depth", "token", "rank")
    old = torch.stack([getattr(prev_batch, c) for c in cols], 1)
    new = torch.stack([getattr(batch, c) for c in cols], 1)
    where = {tuple(row): i for i, row in enumerate(old.tolist()) if row[1] <= common}
    match = torch.tensor([where.get(tuple(row), -1) if row[1] <= common else -1 for row in new.tolist()],
                         dtype=torch.long)
    matched = match >= 0
    z0 = torch.zeros(n, d, dtype=prev_z.dtype)
    z0[matched] = prev_z[match[matched]]
    kids_new = _child_counts(batch)
    kids_old = _child_counts(prev_batch)
    dirty = ~matched
    dirty[matched] |= kids_new[matched] != kids_old[match[matched]]
    # up the tree: levels by height ascending, a dirty node makes its parent dirty
    parent = batch.parent
    ptr = batch._level_ptr_host()
    for h in range(len(ptr) - 1):
        a, b = ptr[h], ptr[h + 1]
        p = parent[a:b][dirty[a:b]]
        p = p[p >= 0]
        if p.numel():
            dirty[p] = True
    return z0, dirty


def _child_counts(batch: TreeBatch) -> torch.Tensor:
    parent = batch.parent
    has = parent >= 0
    return torch.zeros(batch.num_nodes, dtype=torch.long).index_add_(0, parent[has], torch.ones_like(parent[has]))


def warm_solve(model: RecursaModel, batch: TreeBatch, z0: torch.Tensor, dirty: torch.Tensor
               ) -> tuple[torch.Tensor, int, int]:
    """``(z*, iterations, node evaluations)``: the fixed point of ``model`` (a bottom-up, acyclic block) on
    ``batch`` from ``z0``, where only the ``dirty`` nodes are not at their fixed point in ``z0`` already.

    The wavefront Picard solve restricted to those nodes: level by level upwards, each level's dirty nodes
    evaluated once, on children that are final. ``iterations`` counts the levels that had any (the sequential
    block applications; a cold solve of the same tree takes height+1 of them), ``node evaluations`` the dirty
    nodes. The result equals the cold fixed point (up to float rounding): a node's state in a bottom-up block
    is a function of its subtree, which is unchanged for every node not dirty."""
    if not model.block.acyclic:
        raise ValueError("warm_solve needs a bottom-up block (top_down=False, self_term=False)")
    graph = tree_graph(batch, model.config.rank_buckets)
    ctx = model.block.prepare(batch.kind, batch.token)
    z = z0.detach().clone()
    iterations = evals = 0
    for h in range(graph.max_height + 1):
        a, b = graph.level_ptr[h], graph.level_ptr[h + 1]
        rows = torch.nonzero(dirty[a:b]).flatten() + a
        if rows.numel() == 0:
            continue
        ns = _subset(graph, h, rows)
        z[rows] = model.block.step(ctx, z, ns)
        iterations += 1
        evals += int(rows.numel())
    return z, iterations, evals


def _subset(graph: TreeGraph, h: int, rows: torch.Tensor) -> NodeSet:
    """The nodes ``rows`` (global ids, all of height ``h``) as a global :class:`NodeSet` with their child edges."""
    e0, e1 = graph.edge_level_ptr[h], graph.edge_level_ptr[h + 1]
    pos = torch.full((graph.num_nodes,), -1, dtype=torch.long)
    pos[rows] = torch.arange(rows.numel())
    edge_parent = graph.edge_parent[e0:e1]
    keep = pos[edge_parent] >= 0
    child = graph.edge_child[e0:e1][keep]
    return NodeSet(rows=rows, n=int(rows.numel()), child=child, slot=pos[edge_parent[keep]],
                   bucket=graph.bucket_of_node[child], parent=graph.parent[rows], self_rows=rows,
                   tree=graph.tree[rows], local=False, rank=graph.rank[child])


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


__all__ = ["GuideStats", "ModelMissing", "ProductionFeatures", "RecursaForProductionScoring", "ReasonerGuide",
           "SYNTH_MODEL_DIR", "SynthGuideConfig", "WarmSolve", "batch_productions", "label_targets", "load_guide",
           "match_states", "point_constraints", "production_features", "spec_text", "warm_solve"]
