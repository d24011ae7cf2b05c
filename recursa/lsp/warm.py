"""The reasoner re-solved warm after an edit: nodes whose subtree did not change keep their fixed-point states.

With the bottom-up block (the shipped default: no self or top-down term) a node's fixed-point state depends only
on its own kind, token and rank and on its children's states, so it is a function of its subtree. A node whose
subtree signature (kind, token, rank and the children's signatures, in order) was seen in the previous solve
keeps that state exactly. The solve then sweeps the levels bottom-up as the wavefront solver does, but a level
whose nodes all kept their states is not evaluated at all. The solver's own warm start
(``RecursaModel.forward(z0=...)``) cannot do this: it checks the whole warm state once and then, unless every
tree is already at its fixed point, sweeps every level again — so the saving lives here, and
``tests/test_lsp.py`` checks that it returns exactly the cold solve's states.

"Iterations" are level sweeps per tree, the unit of ``SolverStats.iterations`` (a cold bottom-up solve takes
``height + 1`` per tree); a warm solve's count for a tree is the number of its levels that held a changed node.

A model with a cyclic block (top-down or self terms) has no such shortcut: it is solved with ``z0`` = the
mapped states and its ``SolverStats`` are reported as they are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TreeFigures:
    """The reasoner on one function's tree."""

    iterations: int  # cold level sweeps (height + 1 for the bottom-up block), as SolverStats reports them
    converged: bool
    warm_iterations: int  # level sweeps the warm re-solve spent on this tree
    nodes: int
    nodes_kept: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class WarmSolve:
    """One warm re-solve of a file's function trees."""

    trees: tuple[TreeFigures, ...]
    cold_iterations: int  # sum over trees of cold per-tree iterations
    warm_iterations: int  # sum over trees of level sweeps actually run
    cold_node_evals: int
    warm_node_evals: int
    levels: int  # level sweeps a cold batched solve runs (max height + 1)
    levels_evaluated: int  # levels the warm solve evaluated
    exact: bool  # the shortcut was available (bottom-up block) rather than a plain z0 warm start

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "trees"}
        out["trees"] = [t.to_json() for t in self.trees]
        return out


def node_signatures(kind: np.ndarray, token: np.ndarray, rank: np.ndarray, parent: np.ndarray) -> list[bytes]:
    """A digest per node of its subtree (nodes in level order: every child before its parent)."""
    n = len(kind)
    children: list[list[int]] = [[] for _ in range(n)]
    for v, p in enumerate(parent.tolist()):
        if p >= 0:
            children[p].append(v)
    rk = rank.tolist()
    kd, tk = kind.tolist(), token.tolist()
    sig: list[bytes] = [b""] * n
    for v in range(n):
        h = hashlib.blake2b(f"{kd[v]},{tk[v]},{rk[v]}".encode(), digest_size=12)
        for c in sorted(children[v], key=rk.__getitem__):
            h.update(sig[c])
        sig[v] = h.digest()
    return sig


class WarmReasoner:
    """Keeps, per document, the previous fixed point keyed by subtree signature."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.states: dict[str, dict[bytes, Any]] = {}

    def forget(self, uri: str) -> None:
        self.states.pop(uri, None)

    def solve(self, uri: str, trees: list[Any]) -> WarmSolve:
        """Solve the function trees of document ``uri`` warm from its previous solve; remember the result.

        A tree all of whose nodes kept their states is not batched at all; the others are solved together."""
        import torch

        from recursa.refine.neural import single_thread
        from recursa.trees.batch import TreeBatch

        previous = self.states.get(uri, {})
        whole = TreeBatch.from_trees(trees)
        sigs = node_signatures(whole.kind.numpy(), whole.token.numpy(), whole.rank.numpy(), whole.parent.numpy())
        tree_of = whole.tree.numpy()
        missing = np.zeros(len(trees), bool)
        for v, s in enumerate(sigs):
            if s not in previous:
                missing[tree_of[v]] = True
        todo = [t for t in range(len(trees)) if missing[t]]
        new_states = {s: previous[s] for s in sigs if s in previous}
        solved: dict[int, TreeFigures] = {}
        part = None
        if todo:
            with torch.no_grad(), single_thread():
                _z, part, fresh = self._solve(TreeBatch.from_trees([trees[t] for t in todo]), previous)
            new_states.update(fresh)
            solved = dict(zip(todo, part.trees))
        heights = whole.tree_height.numpy()
        sizes = np.bincount(tree_of, minlength=len(trees))
        figures = tuple(solved[t] if t in solved else TreeFigures(int(heights[t]) + 1, True, 0, int(sizes[t]),
                                                                  int(sizes[t])) for t in range(len(trees)))
        self.states[uri] = new_states  # replaced, not merged: memory follows the current text
        return WarmSolve(figures, sum(f.iterations for f in figures), sum(f.warm_iterations for f in figures),
                         whole.num_nodes, part.warm_node_evals if part is not None else 0,
                         int(heights.max()) + 1 if len(trees) else 0,
                         part.levels_evaluated if part is not None else 0, part.exact if part is not None else True)

    def cold(self, trees: list[Any]) -> tuple[Any, Any]:
        """The model's own cold solve: ``(node_states, SolverStats)`` (for checks and benchmarks)."""
        import torch

        from recursa.refine.neural import single_thread
        from recursa.trees.batch import TreeBatch

        batch = TreeBatch.from_trees(trees)
        with torch.no_grad(), single_thread():
            out = self.model(batch)
        return out.node_states, out.stats

    def _solve(self, batch: Any, previous: dict[bytes, Any]) -> tuple[Any, WarmSolve, dict[bytes, Any]]:
        import torch

        from recursa.equilibrium.implicit import TreeMap
        from recursa.equilibrium.structure import tree_graph

        model = self.model
        cfg = model.config
        sigs = node_signatures(batch.kind.numpy(), batch.token.numpy(), batch.rank.numpy(), batch.parent.numpy())
        n, d = batch.num_nodes, cfg.hidden_size
        dtype = model.block.rank_scale.dtype
        z = torch.zeros(n, d, dtype=dtype)
        kept = np.zeros(n, bool)
        for v, s in enumerate(sigs):
            state = previous.get(s)
            if state is not None:
                z[v] = state
                kept[v] = True
        tree = batch.tree.numpy()
        heights = batch.tree_height.numpy()
        T = batch.num_trees
        cold_per_tree = heights + 1
        graph = tree_graph(batch, cfg.rank_buckets)
        exact = bool(model.block.acyclic)
        if exact:
            fmap = TreeMap(model.block, model.block.prepare(batch.kind, batch.token), graph)
            warm_per_tree = np.zeros(T, np.int64)
            node_evals = levels_evaluated = 0
            for h in range(graph.max_height + 1):
                a, b = graph.level_ptr[h], graph.level_ptr[h + 1]
                changed = ~kept[a:b]
                if b == a or not changed.any():
                    continue  # every node of this level kept its state: nothing to evaluate
                out = fmap.f(z, graph.level(h))
                rows = torch.from_numpy(np.flatnonzero(changed) + a)
                z[rows] = out[torch.from_numpy(changed)]
                node_evals += b - a
                levels_evaluated += 1
                warm_per_tree += np.bincount(tree[a:b][changed], minlength=T) > 0
            converged = np.ones(T, bool)
            cold_iters = cold_per_tree
        else:
            out = model(batch, z0=z)
            z = out.node_states
            warm_per_tree = out.stats.iterations.numpy()
            node_evals = int(out.stats.node_evals)
            converged = out.stats.converged.numpy()
            levels_evaluated = int(warm_per_tree.max()) if T else 0
            cold_iters = cold_per_tree  # the cold count is not known without a cold solve; height + 1 bounds it
        sizes = np.bincount(tree, minlength=T)
        kept_per_tree = np.bincount(tree[kept], minlength=T)
        figures = tuple(TreeFigures(int(cold_iters[t]), bool(converged[t]), int(warm_per_tree[t]), int(sizes[t]),
                                    int(kept_per_tree[t])) for t in range(T))
        solve = WarmSolve(figures, int(cold_iters.sum()), int(warm_per_tree.sum()), n, node_evals,
                          graph.max_height + 1, levels_evaluated, exact)
        zc = z.clone()  # one tensor; the map holds row views of it
        new_states = {s: zc[v] for v, s in enumerate(sigs)}
        return z, solve, new_states
