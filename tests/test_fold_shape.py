"""The fold's bracketing: balanced at evaluation, shuffled (order kept) in training when asked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from recursa.equilibrium.model import RecursaConfig
from recursa.equilibrium.structure import fold_schedule


def _node_set(counts: list[int]) -> SimpleNamespace:
    slot = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    rank = torch.cat([torch.randperm(c) for c in counts])  # edges arrive in any order; the fold sorts them
    return SimpleNamespace(slot=slot, rank=rank, n=len(counts), child=torch.arange(len(slot)), cache={})


def _bracketings(ns: SimpleNamespace, shuffle: bool) -> dict[int, object]:
    """Run the schedule on symbols (slot, rank) and return each parent's bracketed tuple."""
    sched = fold_schedule(ns, shuffle)
    x: list[object] = [(int(s), int(r)) for s, r in zip(ns.slot[sched.order], ns.rank[sched.order])]
    for rnd in sched.rounds:
        kept = [x[i] for i in rnd.keep.tolist()]
        for j, (a, b) in zip(rnd.paired.tolist(), zip(rnd.left.tolist(), rnd.right.tolist())):
            kept[j] = ("pair", x[a], x[b])
        x = kept
    return dict(zip(sched.final_slot.tolist(), x))


def _leaves(t: object) -> list[tuple[int, int]]:
    out, stack = [], [t]
    while stack:
        u = stack.pop()
        if isinstance(u, tuple) and u and u[0] == "pair":
            stack += [u[2], u[1]]
        else:
            out.append(u)
    return out


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_bracketing_keeps_the_children_in_rank_order(shuffle: bool) -> None:
    torch.manual_seed(0)
    for _ in range(100):
        counts = torch.randint(1, 13, (6,)).tolist()
        ns = _node_set(counts)
        for parent, tree in _bracketings(ns, shuffle).items():
            assert _leaves(tree) == [(parent, k) for k in range(counts[parent])]


def test_shuffling_varies_the_bracketing_and_balanced_does_not() -> None:
    torch.manual_seed(1)
    seen = {False: set(), True: set()}
    for _ in range(60):
        ns = _node_set([5])
        for shuffle in (False, True):
            ns.cache.clear()
            seen[shuffle].add(repr(_bracketings(ns, shuffle)[0]))
    assert len(seen[False]) == 1
    assert len(seen[True]) >= 3


def test_the_shape_is_drawn_once_per_node_set() -> None:
    ns = _node_set([7, 9])
    assert fold_schedule(ns, True) is fold_schedule(ns, True)


def test_unknown_fold_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="fold_shape"):
        RecursaConfig(fold_shape="zigzag")
