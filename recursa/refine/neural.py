"""The reasoner ranker: an equilibrium model scores (loop tree, candidate invariant) pairs.

The loop's tree-sitter tree goes through :class:`recursa.equilibrium.model.RecursaModel`; a variable is
represented by the mean equilibrium state of its occurrences in the loop, so a candidate's terms read the
loop's own structure (how the variable is updated, compared, nested). An atom ``Σ c·v op k`` is the sum of
its terms (variable vector scaled by a learned coefficient embedding), plus features of its comparison and
of where its constant comes from (a program literal, a neighbour of one, only seen in data), plus the loop's
root state; a 2-clause combines its guard and its atom. The score is one logit per candidate.

Trained by :mod:`recursa.refine.train_ranker`; saved and loaded with ``save_pretrained`` /
``from_pretrained`` (safetensors).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from recursa.equilibrium.model import RecursaConfig, RecursaModel, RecursaPreTrainedModel
from recursa.refine.candidates import Atom, Candidate
from recursa.refine.context import LoopContext
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import FlatTree, token_id

ATOM_FEATURES = 15


class InvariantRankerConfig(RecursaConfig):
    r"""A :class:`RecursaConfig` plus the candidate scorer: ``feature_size`` (its width) and
    ``max_coefficient`` (coefficients beyond ±max share an embedding)."""

    model_type = "recursa-invariant-ranker"
    feature_size: int = 64
    max_coefficient: int = 3


@dataclass
class RankerOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    stats: Any = None


@dataclass
class CandidateTensors:
    """Candidates of several loops as flat index tensors (see :func:`encode_candidates`)."""

    var_node: torch.Tensor  # node index (in the TreeBatch) of an occurrence
    var_of_node: torch.Tensor  # which variable slot the occurrence belongs to
    var_in_loop: torch.Tensor  # whether that occurrence lies inside the loop
    var_tree: torch.Tensor  # tree of each variable slot
    num_vars: int
    loop_node: torch.Tensor  # [T] batch index of each tree's loop node
    term_atom: torch.Tensor
    term_var: torch.Tensor
    term_coef: torch.Tensor
    atom_features: torch.Tensor  # [A, ATOM_FEATURES]
    atom_tree: torch.Tensor
    first: torch.Tensor  # [C] atom index
    second: torch.Tensor  # [C] atom index or -1
    cand_tree: torch.Tensor  # [C]

    def to(self, device: torch.device | str) -> CandidateTensors:
        kw = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}
        return CandidateTensors(**kw)


class RecursaForInvariantRanking(RecursaPreTrainedModel):
    """Scores candidate invariants of loops with the equilibrium reasoner's node states."""

    config_class = InvariantRankerConfig

    def __init__(self, config: InvariantRankerConfig) -> None:
        super().__init__(config)
        d, f = config.hidden_size, config.feature_size
        self.recursa = RecursaModel(config)
        self.var_proj = nn.Linear(4 * d + 1, f)
        self.coef_emb = nn.Embedding(2 * config.max_coefficient + 2, f)
        self.atom_feat = nn.Linear(ATOM_FEATURES, f)
        self.loop_proj = nn.Linear(d, f)
        self.atom_mlp = nn.Sequential(nn.Linear(f, f), nn.GELU(), nn.Linear(f, f))
        self.pair_mlp = nn.Sequential(nn.Linear(2 * f, f), nn.GELU(), nn.Linear(f, f))
        self.single = nn.Sequential(nn.GELU(), nn.Linear(f, f))
        self.score = nn.Sequential(nn.GELU(), nn.Linear(f, 1))
        self.post_init()

    def forward(self, batch: TreeBatch, cands: CandidateTensors, labels: torch.Tensor | None = None,
                weights: torch.Tensor | None = None, z0: torch.Tensor | None = None) -> RankerOutput:
        out = self.recursa(batch, z0=z0)
        logits = self.score_candidates(batch, out.node_states, cands)
        loss = None
        if labels is not None:
            loss = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype),
                                                      weight=None if weights is None else weights.to(logits.dtype))
        return RankerOutput(loss=loss, logits=logits, stats=out.stats)

    def score_candidates(self, batch: TreeBatch, z: torch.Tensor, cands: CandidateTensors) -> torch.Tensor:
        """One logit per candidate from the equilibrium node states ``z`` of ``batch``."""
        # variable slots: mean state of their occurrences and of the expressions around them, inside the
        # loop and in the whole function (variables the loop never mentions get a flag)
        var_vec = self.var_proj(_variable_states(batch, z, cands))
        terms = var_vec[cands.term_var] * self.coef_emb(cands.term_coef)
        atoms = torch.zeros(cands.atom_features.shape[0], terms.shape[1], dtype=z.dtype, device=z.device)
        atoms.index_add_(0, cands.term_atom, terms)
        loops = z[cands.loop_node]
        atoms = atoms + self.atom_feat(cands.atom_features.to(z.dtype)) + self.loop_proj(loops[cands.atom_tree])
        atoms = self.atom_mlp(atoms)
        first = atoms[cands.first]
        has_second = cands.second >= 0
        second = atoms[cands.second.clamp(min=0)]
        pair = self.pair_mlp(torch.cat([first, second], dim=1))
        h = torch.where(has_second.unsqueeze(1), pair, self.single(first))
        return self.score(h).squeeze(1)


def _variable_states(batch: TreeBatch, z: torch.Tensor, cands: CandidateTensors) -> torch.Tensor:
    d = z.shape[1]
    feats = torch.zeros(cands.num_vars, 4 * d + 1, dtype=z.dtype, device=z.device)
    if not cands.var_node.numel():
        feats[:, -1] = 1.0
        return feats
    parent = batch.parent[cands.var_node]
    around = z[parent.clamp(min=0)] * (parent >= 0).to(z.dtype).unsqueeze(1)
    occ = torch.cat([z[cands.var_node], around], dim=1)
    one = torch.ones_like(cands.var_of_node, dtype=z.dtype)
    for part, mask in ((0, cands.var_in_loop), (1, torch.ones_like(cands.var_in_loop))):
        m = mask.to(z.dtype)
        summed = torch.zeros(cands.num_vars, 2 * d, dtype=z.dtype, device=z.device)
        counts = torch.zeros(cands.num_vars, dtype=z.dtype, device=z.device)
        summed.index_add_(0, cands.var_of_node, occ * m.unsqueeze(1))
        counts.index_add_(0, cands.var_of_node, one * m)
        feats[:, part * 2 * d:(part + 1) * 2 * d] = summed / counts.clamp(min=1).unsqueeze(1)
        if part == 0:
            feats[:, -1] = (counts == 0).to(z.dtype)
    return feats


# ---- from candidates to tensors -----------------------------------------------------------------------


def source_name(var: str, display: dict[str, str]) -> str:
    """The name a variable has in the source (C shadowing renames, Python range counters)."""
    name = display.get(var, var)
    for suffix in ("_next", "_end"):
        if name.endswith(suffix) and name[: -len(suffix)]:
            return name[: -len(suffix)]
    return name


def atom_features(atom: Atom, constants: set[int], guards: set[Atom]) -> list[float]:
    f = [0.0] * ATOM_FEATURES
    if atom.boolean:
        f[3 if atom.const else 4] = 1.0
    else:
        f[{"eq": 0, "le": 1, "ge": 2, "lt": 1, "gt": 2}[atom.op]] = 1.0  # lt/gt: unsigned atoms
    f[5] = len(atom.coeffs) / 3.0
    k = atom.const
    f[6] = float(k == 0)
    f[7] = float(abs(k) == 1)
    f[8] = float(k in constants)
    f[9] = float(k not in constants and (k - 1 in constants or k + 1 in constants))
    f[10] = math.log1p(abs(k)) / 5.0
    f[11] = float(np.sign(k))
    f[12] = float(any(abs(c) > 1 for _, c in atom.coeffs))
    f[13] = float(atom in guards)
    f[14] = float(len(atom.coeffs) > 1 and all(abs(c) == 1 for _, c in atom.coeffs))
    return f


def encode_candidates(items: Sequence[tuple[FlatTree, tuple[int, int], list[str], dict[str, str], set[int],
                                             set[Atom], Sequence[Candidate]]], batch: TreeBatch,
                      max_coefficient: int = 3) -> CandidateTensors:
    """Index tensors for ``items`` = per function tree: (tree, loop byte span, variables, display names,
    constants, guards, candidates). Tree ``t`` of ``batch`` must be ``items[t][0]``."""
    var_node: list[int] = []
    var_of_node: list[int] = []
    var_in_loop: list[bool] = []
    loop_node: list[int] = []
    var_tree: list[int] = []
    term_atom: list[int] = []
    term_var: list[int] = []
    term_coef: list[int] = []
    feats: list[list[float]] = []
    atom_tree: list[int] = []
    first: list[int] = []
    second: list[int] = []
    cand_tree: list[int] = []
    tokens = batch.token.cpu().numpy()
    tree_of = batch.tree.cpu().numpy()
    named = batch.named.cpu().numpy()
    starts = batch.start_byte.cpu().numpy()
    ends = batch.end_byte.cpu().numpy()
    heights = batch.height.cpu().numpy()
    roots = batch.tree_root.cpu().numpy()
    for t, (_, (lo, hi), variables, display, constants, guards, candidates) in enumerate(items):
        in_tree = np.flatnonzero((tree_of == t) & named)
        spans = in_tree[(starts[in_tree] == lo) & (ends[in_tree] == hi)]
        loop_node.append(int(spans[np.argmax(heights[spans])]) if spans.size else int(roots[t]))
        slot: dict[str, int] = {}
        for v in variables:
            slot[v] = len(var_tree)
            var_tree.append(t)
            tid = token_id(source_name(v, display).encode())
            hits = in_tree[tokens[in_tree] == tid]
            var_node.extend(hits.tolist())
            var_of_node.extend([slot[v]] * len(hits))
            var_in_loop.extend(((starts[hits] >= lo) & (ends[hits] <= hi)).tolist())
        atom_id: dict[Atom, int] = {}

        def atom_index(a: Atom, tree: int = t, ids: dict[Atom, int] = atom_id, sl: dict[str, int] = slot,
                       consts: set[int] = constants, gs: set[Atom] = guards) -> int:
            idx = ids.get(a)
            if idx is None:
                idx = ids[a] = len(feats)
                feats.append(atom_features(a, consts, gs))
                atom_tree.append(tree)
                for v, c in a.coeffs:
                    term_atom.append(idx)
                    term_var.append(sl[v])
                    cc = max(-max_coefficient - 1, min(max_coefficient + 1, c))
                    term_coef.append(cc + max_coefficient + 1 if cc <= 0 else cc + max_coefficient)
            return idx

        for c in candidates:
            first.append(atom_index(c.atoms[0]))
            second.append(atom_index(c.atoms[1]) if len(c.atoms) > 1 else -1)
            cand_tree.append(t)

    def lt(x: list[int]) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.long)

    return CandidateTensors(lt(var_node), lt(var_of_node), torch.tensor(var_in_loop, dtype=torch.bool),
                            lt(var_tree), len(var_tree), lt(loop_node), lt(term_atom),
                            lt(term_var), lt(term_coef),
                            torch.tensor(feats, dtype=torch.float32).reshape(len(feats), ATOM_FEATURES),
                            lt(atom_tree), lt(first), lt(second), lt(cand_tree))


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """One intra-op thread for the small tensors of one function's tree: on a busy CPU, more threads spin
    waiting for each other (a 15x slowdown measured on the shared 2-core machine)."""
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


class ReasonerRanker:
    """The :class:`~recursa.refine.rank.Ranker` backed by a trained :class:`RecursaForInvariantRanking`."""

    name = "reasoner"

    def __init__(self, model: RecursaForInvariantRanking, device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.device = device
        self.last_stats: Any = None

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu") -> ReasonerRanker:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        model = RecursaForInvariantRanking.from_pretrained(str(path))
        ranker = cls(model, device)
        ranker.warm_up()
        return ranker

    def warm_up(self) -> None:
        """One small forward pass: torch's first calls pay for lazy initialisation, not the first program."""
        from recursa.refine.grammar import HeadData, generate, load_grammar
        from recursa.symbolic.frontend import load_program

        src = b"int main() { int x = 0, y = 0; while (x < 3) { x++; y += 2; } assert(y == 6); }"
        f = load_program(src, "c").units[0].function
        if f is None:
            return
        rows = np.array([[0, 0], [1, 2]])
        cands = generate(load_grammar("linear"), HeadData(["x", "y"], ["x", "y"], [], rows, [0, 1, 2, 3, 6]))
        self.scores(LoopContext(f, f.loops[0], src, "c", ["x", "y"], [0, 1, 2, 3, 6]), cands)

    def scores(self, context: LoopContext, candidates: Sequence[Candidate]) -> np.ndarray:
        if not candidates:
            return np.zeros(0)
        with single_thread():
            return self._scores(context, candidates)

    def rescore(self, context: LoopContext, candidates: Sequence[Candidate], examples: Sequence[dict[str, int]]
                ) -> np.ndarray:
        """Scores after counterexamples: the example states enter the reasoner's input as a small extra
        subtree (``x = 5; y = 7;`` per state, in the program's language) grafted under the function's root,
        and the model re-solves warm, from the previous fixed point (``z0``: the node states it already
        had; zeros for the new nodes). The shipped model was not trained with such inputs."""
        if not candidates:
            return np.zeros(0)
        with single_thread():
            if context.encoding is None:
                self._scores(context, candidates[:1])
            prev_tree, prev_z = context.rescore_state or (context.tree, context.encoding[1])
            tree = graft_examples(context.tree, examples, context.language, context.function.display)
            batch = TreeBatch.from_trees([tree])
            z0 = torch.zeros(tree.num_nodes, prev_z.shape[1], dtype=prev_z.dtype)
            new_pos, old_pos = batch_positions(tree), batch_positions(prev_tree)
            shared = min(prev_tree.num_nodes, context.tree.num_nodes)  # the function's own nodes
            z0[torch.from_numpy(new_pos[:shared])] = prev_z[torch.from_numpy(old_pos[:shared])]
            with torch.no_grad():
                out = self.model.recursa(batch.to(self.device), z0=z0.to(self.device))
            self.last_stats = out.stats
            context.rescore_state = (tree, out.node_states)
            items = [(tree, context.loop_span, list(context.variables), context.function.display,
                      set(context.constants), set(context.guards), list(candidates))]
            tensors = encode_candidates(items, batch, self.model.config.max_coefficient)
            with torch.no_grad():
                logits = self.model.score_candidates(batch.to(self.device), out.node_states, tensors.to(self.device))
            return logits.cpu().numpy().astype(np.float64)

    def _scores(self, context: LoopContext, candidates: Sequence[Candidate]) -> np.ndarray:
        cache = context.score_cache
        todo = [c for c in candidates if c not in cache]
        if todo:
            if context.encoding is None:
                batch = TreeBatch.from_trees([context.tree])
                with torch.no_grad():
                    out = self.model.recursa(batch.to(self.device))
                context.encoding = (batch, out.node_states)
                self.last_stats = out.stats
            batch, z = context.encoding
            guards = set(context.guards)
            items = [(context.tree, context.loop_span, list(context.variables), context.function.display,
                      set(context.constants), guards, todo)]
            tensors = encode_candidates(items, batch, self.model.config.max_coefficient)
            with torch.no_grad():
                logits = self.model.score_candidates(batch.to(self.device), z, tensors.to(self.device))
            for c, s in zip(todo, logits.cpu().numpy().tolist()):
                cache[c] = float(s)
        return np.array([cache[c] for c in candidates], dtype=np.float64)


def example_source(examples: Sequence[dict[str, int]], language: str, display: dict[str, str]) -> bytes:
    """Counterexample states as assignments in the program's language (C wraps them in a function)."""
    end = ";" if language == "c" else ""
    lines = [f"{source_name(v, display)} = {int(x)}{end}" for ex in examples for v, x in ex.items()]
    if language == "c":
        return ("void counterexamples(void) {\n" + "\n".join(lines) + "\n}\n").encode()
    return ("\n".join(lines) + "\n").encode()


def graft_examples(tree: FlatTree, examples: Sequence[dict[str, int]], language: str,
                   display: dict[str, str]) -> FlatTree:
    """``tree`` with the examples' parse tree appended as the root's last child (pre-order is kept, so the
    function's nodes keep their indices). The new nodes lie past the function's bytes: outside every loop."""
    from recursa.trees.flatten import parse

    extra = parse(example_source(examples, language, display), language, drop_punctuation=True)
    n = tree.num_nodes
    past = int(tree.end_byte.max()) + 1 if n else 0
    parent = np.where(extra.parent >= 0, extra.parent + n, 0).astype(tree.parent.dtype)
    return FlatTree(tree.language, np.concatenate([tree.parent, parent]),
                    np.concatenate([tree.kind, extra.kind]), np.concatenate([tree.token, extra.token]),
                    np.concatenate([tree.named, extra.named]),
                    np.concatenate([tree.start_byte, np.full(extra.num_nodes, past, tree.start_byte.dtype)]),
                    np.concatenate([tree.end_byte, np.full(extra.num_nodes, past, tree.end_byte.dtype)]),
                    np.concatenate([tree.depth, extra.depth + 1]), tree.line_starts, [])


def batch_positions(tree: FlatTree) -> np.ndarray:
    """Where each pre-order node of ``tree`` lands in ``TreeBatch.from_trees([tree])`` (which may reorder
    nodes, e.g. by level): the pre-order index is carried through in the start-byte field."""
    marked = FlatTree(tree.language, tree.parent, tree.kind, tree.token, tree.named,
                      np.arange(tree.num_nodes, dtype=np.int64), np.arange(tree.num_nodes, dtype=np.int64),
                      tree.depth, tree.line_starts, [], height=tree.height, rank=tree.rank)
    order = TreeBatch.from_trees([marked]).start_byte.cpu().numpy()
    pos = np.empty(tree.num_nodes, np.int64)
    pos[order] = np.arange(tree.num_nodes)
    return pos
