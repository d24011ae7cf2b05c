"""Index structure of a :class:`~recursa.trees.batch.TreeBatch` as the equilibrium block reads it.

A :class:`NodeSet` is "the nodes one block call evaluates, plus the child edges feeding them". Three kinds:

* ``full``: every node, indices global (the whole-batch baseline, the output step of the backward modes);
* ``level(h)``: the contiguous slice of height ``h``, indices global (the bottom-up wavefront);
* ``trees(mask)``: all nodes of the selected trees, indices *local* to the set (``0..n-1``), so a solver can keep
  a compact state of only the still-active trees. Trees never share edges, so the set is closed.

Everything is built with vectorised tensor ops on the batch's device; the only host syncs are the edge offsets
per level (once per batch) and the size of a new active set (once per active-set change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from recursa.trees.batch import TreeBatch


@dataclass(frozen=True)
class NodeSet:
    """Nodes evaluated in one block call and their incoming child edges.

    ``rows`` selects the nodes in per-node tables of the batch (injections, tree ids): a slice or a LongTensor
    of global ids. ``child``/``parent``/``self_rows`` index the *state tensor handed to the block*: the full
    ``[N, d]`` state for global sets, the compact ``[n, d]`` state for local sets. ``slot`` is the position,
    within this set, of the parent each edge feeds. ``parent`` is -1 at roots.
    """

    rows: slice | torch.Tensor
    n: int
    child: torch.Tensor
    slot: torch.Tensor
    bucket: torch.Tensor
    parent: torch.Tensor
    self_rows: slice | torch.Tensor
    tree: torch.Tensor
    local: bool
    rank: torch.Tensor | None = None  # [E] child position of each edge (for order-dependent aggregation)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class TreeGraph:
    """Edges of a batch sorted by parent, level offsets, and builders for node sets."""

    def __init__(self, batch: TreeBatch, rank_buckets: int) -> None:
        if rank_buckets < 1:
            raise ValueError("rank_buckets must be >= 1")
        self.batch = batch
        self.num_nodes = batch.num_nodes
        self.num_trees = batch.num_trees
        self.device = batch.device
        self.tree = batch.tree
        self.parent = batch.parent
        self.rank = batch.rank
        self.bucket_of_node = batch.rank.clamp(max=rank_buckets - 1)
        child = torch.nonzero(batch.parent >= 0).flatten()
        par = batch.parent[child]
        order = torch.argsort(par, stable=True)
        self.edge_child = child[order]
        self.edge_parent = par[order]
        self.level_ptr: list[int] = batch._level_ptr_host()
        bounds = torch.as_tensor(self.level_ptr, dtype=torch.long, device=self.device)
        self.edge_level_ptr: list[int] = torch.searchsorted(self.edge_parent, bounds).tolist()
        self._full: NodeSet | None = None
        self._levels: dict[int, NodeSet] = {}

    @property
    def max_height(self) -> int:
        return len(self.level_ptr) - 2

    def full(self) -> NodeSet:
        if self._full is None:
            rows = slice(0, self.num_nodes)
            self._full = NodeSet(rows=rows, n=self.num_nodes, child=self.edge_child, slot=self.edge_parent,
                                 bucket=self.bucket_of_node[self.edge_child], parent=self.parent,
                                 self_rows=rows, tree=self.tree, local=False, rank=self.rank[self.edge_child])
        return self._full

    def level(self, h: int) -> NodeSet:
        ns = self._levels.get(h)
        if ns is None:
            a, b = self.level_ptr[h], self.level_ptr[h + 1]
            e0, e1 = self.edge_level_ptr[h], self.edge_level_ptr[h + 1]
            child = self.edge_child[e0:e1]
            rows = slice(a, b)
            ns = NodeSet(rows=rows, n=b - a, child=child, slot=self.edge_parent[e0:e1] - a,
                         bucket=self.bucket_of_node[child], parent=self.parent[a:b], self_rows=rows,
                         tree=self.tree[a:b], local=False, rank=self.rank[child])
            self._levels[h] = ns
        return ns

    def trees(self, active: torch.Tensor) -> NodeSet:
        """All nodes of the trees where ``active`` (bool ``[T]``) is set, with local indices."""
        node_mask = active[self.tree]
        idx = torch.nonzero(node_mask).flatten()
        n = int(idx.shape[0])
        pos = torch.full((self.num_nodes,), -1, dtype=torch.long, device=self.device)
        pos[idx] = torch.arange(n, device=self.device)
        emask = node_mask[self.edge_parent]
        echild = self.edge_child[emask]
        par = self.parent[idx]
        local_parent = torch.where(par >= 0, pos[par.clamp(min=0)], par)
        return NodeSet(rows=idx, n=n, child=pos[echild], slot=pos[self.edge_parent[emask]],
                       bucket=self.bucket_of_node[echild], parent=local_parent,
                       self_rows=slice(0, n), tree=self.tree[idx], local=True, rank=self.rank[echild])


def tree_graph(batch: TreeBatch, rank_buckets: int) -> TreeGraph:
    """The (cached) :class:`TreeGraph` of ``batch``."""
    key = ("_recursa_graph", rank_buckets)
    cached = batch.__dict__.get(key)
    if cached is None:
        cached = TreeGraph(batch, rank_buckets)
        batch.__dict__[key] = cached
    return cached


@dataclass(frozen=True)
class FoldRound:
    """One round of the pairwise reduction of sibling messages: keep the even positions, and replace those that
    have a right neighbour by ``combine(left, right)``."""

    keep: torch.Tensor  # elements (of the current list) at even positions, in order
    paired: torch.Tensor  # positions within ``keep`` that get a combined value
    left: torch.Tensor  # elements of the current list combined on the left ...
    right: torch.Tensor  # ... and on the right


@dataclass(frozen=True)
class FoldSchedule:
    """Balanced, order-preserving pairwise reduction of every node's children (rank order).

    ``order`` sorts the set's edges by (parent slot, rank); ``rounds`` halve every sibling list until one element
    per parent is left, which lands at ``final_slot``. ``ceil(log2(fan-out))`` rounds: a thousand statements are
    ten rounds."""

    order: torch.Tensor
    rounds: tuple[FoldRound, ...]
    final_slot: torch.Tensor


def _sibling_positions(ns: NodeSet) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The edges of ``ns`` (which has ranks and at least one edge) sorted by parent slot, then rank: ``(order,
    slot, count, position)`` — the edge permutation, each sorted edge's parent slot, each slot's number of
    children, and each sorted edge's position within its sibling list."""
    assert ns.rank is not None
    key = ns.slot * (int(ns.rank.max()) + 1) + ns.rank
    order = torch.argsort(key)
    slot = ns.slot[order]
    cnt = torch.bincount(ns.slot, minlength=ns.n)
    start = torch.cumsum(cnt, 0) - cnt
    pos = torch.arange(int(ns.child.shape[0]), device=ns.child.device) - start[slot]
    return order, slot, cnt, pos


def fold_schedule(ns: NodeSet, shuffle: bool = False) -> FoldSchedule:
    """The (cached) :class:`FoldSchedule` of a node set.

    ``shuffle``: in every round each sibling list of three or more either pairs from its first element (the
    balanced fold) or lets its first element pass through and pairs from the second, chosen at random per list
    and round. Order is kept, only the bracketing varies: trained on such shapes, ``combine`` has to produce the
    same result however a list is bracketed, which is what lets wider lists than any seen in training reuse it.
    The shape is drawn once per node set, so every iteration of one solve applies the same map."""
    name = "fold-shuffled" if shuffle else "fold"
    cached = ns.cache.get(name)
    if cached is not None:
        return cached
    if ns.rank is None:
        raise ValueError("fold aggregation needs edge ranks on the node set")
    if int(ns.child.shape[0]) == 0:
        sched = FoldSchedule(ns.child, (), ns.slot)
        ns.cache[name] = sched
        return sched
    dev = ns.child.device
    order, slot, cnt, pos = _sibling_positions(ns)
    rounds = []
    while int(cnt.max()) > 1:
        shift = torch.zeros_like(cnt)
        if shuffle:
            shift = ((torch.rand(cnt.shape, device=dev) < 0.5) & (cnt >= 3)).to(cnt.dtype)
        q = pos + shift[slot]  # a shifted list pairs (1, 2), (3, 4), ...; its first element stays alone
        keep = torch.nonzero((q % 2 == 0) | (pos == 0)).flatten()
        has_right = (q[keep] % 2 == 0) & (pos[keep] + 1 < cnt[slot[keep]])
        paired = torch.nonzero(has_right).flatten()
        left = keep[paired]
        rounds.append(FoldRound(keep, paired, left, left + 1))
        slot, pos = slot[keep], q[keep] // 2
        cnt = (cnt + shift + 1) // 2
    sched = FoldSchedule(order, tuple(rounds), slot)
    ns.cache[name] = sched
    return sched


@dataclass(frozen=True)
class ChainSchedule:
    """Left-to-right (sequential) reduction of every node's children in rank order: the accumulator of a node
    starts at its first child's message (``first_edge`` -> ``first_slot``) and step ``k`` combines it with the
    child at position ``k`` (``steps[k - 1]``: the edges at that position and the slots of their parents).

    Every step applies the same ``combine(accumulator, child)``: a list wider than any seen in training is only
    a longer chain of the steps it was trained on (what ``fold_shape="chain"`` is for)."""

    first_edge: torch.Tensor
    first_slot: torch.Tensor
    steps: tuple[tuple[torch.Tensor, torch.Tensor], ...]


def chain_schedule(ns: NodeSet) -> ChainSchedule:
    """The (cached) :class:`ChainSchedule` of a node set (one host sync per step)."""
    cached = ns.cache.get("fold-chain")
    if cached is not None:
        return cached
    if ns.rank is None:
        raise ValueError("fold aggregation needs edge ranks on the node set")
    if int(ns.child.shape[0]) == 0:
        sched = ChainSchedule(ns.child, ns.slot, ())
        ns.cache["fold-chain"] = sched
        return sched
    order, slot, cnt, pos = _sibling_positions(ns)
    first = pos == 0
    steps = []
    for k in range(1, int(cnt.max())):
        sel = pos == k
        steps.append((order[sel], slot[sel]))
    sched = ChainSchedule(order[first], slot[first], tuple(steps))
    ns.cache["fold-chain"] = sched
    return sched
