"""The weight-tied tree block ``z_v <- f(z_v, x_v, children(z), parent(z))``.

One set of weights for every node of every tree and every iteration:

* **input injection** ``x_v``: embedding of the node's grammar kind plus embedding of its leaf token;
* **children, order-aware**: every child message is modulated by a learned vector of its rank bucket (``min(rank,
  rank_buckets - 1)``), then aggregated either by a sum (``index_add``; ``aggregation="sum"``) or by a balanced
  pairwise fold in rank order with a learned ``combine(left, right)`` (``aggregation="fold"``: what non-additive
  operators such as a sum modulo 10 need; ``fold_shape="shuffled"`` brackets each list at random in training, see
  :func:`~recursa.equilibrium.structure.fold_schedule`); any fan-out (a fold of a thousand statements is ten
  rounds); ``a - b`` and ``b - a`` differ; ``fold_shape="chain"`` folds left to right instead, ``acc <- combine(acc,
  child)`` with the same map at every position and messages modulated only as first child or not (see
  :func:`~recursa.equilibrium.structure.chain_schedule`), so any width is a longer chain of trained steps; or by
  both side by side (``aggregation="sum+fold"``: the sum keeps the multiset of the children, what a maximum or a
  median reads, the fold a running combination, what a sum modulo 10 reads; an operator node learns which to use).
  With ``child_norm="layer"`` the sum is layer-normalised, so a module with a thousand statements lands on the same
  scale as a binary operator; ``child_norm="none"`` keeps the plain sum and with it multiplicities (under a layer
  norm ``{3, 3}`` and ``{3, 3, 3, 3}`` are one vector, and a sum modulo 10 cannot tell them apart);
* optional **self** term ``W_s z_v`` and **top-down** term ``W_p z_parent``: the only cycles of the map, so the
  only weights that are constrained (spectral or Frobenius normalisation to ``cyclic_gain``);
* a gated (GLU) feed-forward update and a closing layer norm.

Information flows upwards at gain ~1 (no normalisation on the child path): with ``self_term=False`` and
``top_down=False`` the Jacobian is nilpotent and Picard iteration reaches the fixed point in exactly height+1
steps per tree. There is no absolute-depth input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from recursa.equilibrium.structure import NodeSet, chain_schedule, fold_schedule

CYCLIC_NORMS = ("spectral", "frobenius")
AGGREGATIONS = ("sum", "fold", "sum+fold")
FOLD_SHAPES = ("balanced", "shuffled", "chain")
CHILD_NORMS = ("layer", "none")
CHILD_INIT_GAIN = 2.0


class CyclicLinear(nn.Module):
    """A square linear map whose operator norm is held at ``gain`` (it sits on a cycle of the fixed-point map).

    ``spectral``: ``gain * W / sigma_max(W)`` with one power-iteration step per training forward (the vector is a
    saved buffer, so a reloaded model computes the same normalised weight). ``frobenius``: ``gain * W / ||W||_F``,
    a strict bound without iteration.
    """

    def __init__(self, dim: int, gain: float, norm: str) -> None:
        super().__init__()
        if norm not in CYCLIC_NORMS:
            raise ValueError(f"cyclic_norm must be one of {CYCLIC_NORMS}, got {norm!r}")
        self.gain = float(gain)
        self.norm = norm
        self.weight = nn.Parameter(torch.empty(dim, dim))
        self.register_buffer("u", torch.empty(dim))

    def normalised(self, update: bool) -> torch.Tensor:
        w = self.weight
        if self.norm == "frobenius":
            return self.gain * w / w.norm().clamp_min(1e-12)
        with torch.no_grad():
            u = self.u
            if update or not torch.isfinite(u).all() or u.norm() == 0:
                for _ in range(1 if update else 3):
                    v = F.normalize(w.t() @ u, dim=0, eps=1e-12)
                    u = F.normalize(w @ v, dim=0, eps=1e-12)
                self.u.copy_(u)
            v = F.normalize(w.t() @ self.u, dim=0, eps=1e-12)
        sigma = torch.dot(self.u, w @ v)
        return self.gain * w / sigma.clamp_min(1e-12)


class SkipLinear(nn.Linear):
    """A linear skip path of the pairwise combine, initialised orthogonal (gain 1): at initialisation the fold is a
    normalised sum of rotated children, and the gated term learns what a sum cannot express."""


class PairCombine(nn.Module):
    """``combine(left, right)`` for the fold aggregation: orthogonal-initialised skips of both sides plus a gated
    MLP on their concatenation (order matters), and a closing layer norm."""

    def __init__(self, dim: int, layer_norm_eps: float) -> None:
        super().__init__()
        self.skip_left = SkipLinear(dim, dim)
        self.skip_right = SkipLinear(dim, dim, bias=False)
        self.gate_in = nn.Linear(2 * dim, 2 * dim)
        self.gate_out = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim, eps=layer_norm_eps)

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        a, b = self.gate_in(torch.cat([left, right], dim=-1)).chunk(2, dim=-1)
        return self.norm(self.skip_left(left) + self.skip_right(right) + self.gate_out(F.gelu(a) * b))


class ChildProjection(nn.Linear):
    """The projection of the aggregated children (its own type so initialisation can give it gain ~1:
    orthogonal times ``child_init_gain``, strong enough that children are not drowned by the injection)."""


@dataclass(frozen=True)
class BlockContext:
    """Per-forward quantities of the block: node injections and the normalised cyclic weights."""

    inj: torch.Tensor
    w_self: torch.Tensor | None
    w_parent: torch.Tensor | None

    def detach(self) -> BlockContext:
        return BlockContext(self.inj.detach(),
                            None if self.w_self is None else self.w_self.detach(),
                            None if self.w_parent is None else self.w_parent.detach())


class TreeBlock(nn.Module):
    """The equilibrium block. ``prepare`` once per batch, then ``step`` on any :class:`NodeSet`."""

    def __init__(self, hidden_size: int, kind_vocab_size: int, token_vocab_size: int, rank_buckets: int = 8,
                 ffn_mult: float = 2.0, self_term: bool = False, top_down: bool = False,
                 cyclic_gain: float = 0.5, cyclic_norm: str = "spectral", layer_norm_eps: float = 1e-5,
                 aggregation: str = "sum", child_norm: str = "layer", fold_shape: str = "balanced") -> None:
        super().__init__()
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        if fold_shape not in FOLD_SHAPES:
            raise ValueError(f"fold_shape must be one of {FOLD_SHAPES}, got {fold_shape!r}")
        self.shuffle_fold = fold_shape == "shuffled"
        self.chain_fold = fold_shape == "chain"
        #: at inference, a map of the chain fold's accumulators after every step (the fold-state snap); set by
        #: the model around a snapped solve, ``None`` otherwise
        self.fold_snap: Callable[[torch.Tensor], torch.Tensor] | None = None
        if child_norm not in CHILD_NORMS:
            raise ValueError(f"child_norm must be one of {CHILD_NORMS}, got {child_norm!r}")
        self.normalise_children = child_norm == "layer"
        d = hidden_size
        self.aggregation = aggregation
        self.combine = PairCombine(d, layer_norm_eps) if "fold" in aggregation else None
        self.hidden_size = d
        self.rank_buckets = rank_buckets
        self.kind_embed = nn.Embedding(kind_vocab_size, d)
        self.token_embed = nn.Embedding(token_vocab_size, d)
        self.rank_scale = nn.Parameter(torch.empty(rank_buckets, d))
        self.rank_shift = nn.Parameter(torch.empty(rank_buckets, d))
        self.child_norm = nn.LayerNorm(d, eps=layer_norm_eps)
        self.child_proj = ChildProjection(2 * d if aggregation == "sum+fold" else d, d)
        self.self_map = CyclicLinear(d, cyclic_gain, cyclic_norm) if self_term else None
        self.parent_map = CyclicLinear(d, cyclic_gain, cyclic_norm) if top_down else None
        self.in_norm = nn.LayerNorm(d, eps=layer_norm_eps)
        inner = max(1, int(round(ffn_mult * d)))
        self.ffn_in = nn.Linear(d, 2 * inner)
        self.ffn_out = nn.Linear(inner, d)
        self.out_norm = nn.LayerNorm(d, eps=layer_norm_eps)
        self.reset_parameters()

    @property
    def acyclic(self) -> bool:
        """True when the map depends on children only: nilpotent Jacobian, height+1 Picard steps."""
        return self.self_map is None and self.parent_map is None

    def prepare(self, kind: torch.Tensor, token: torch.Tensor) -> BlockContext:
        inj = self.kind_embed(kind) + self.token_embed(token)
        update = self.training and torch.is_grad_enabled()
        w_self = self.self_map.normalised(update) if self.self_map is not None else None
        w_parent = self.parent_map.normalised(update) if self.parent_map is not None else None
        return BlockContext(inj, w_self, w_parent)

    def step(self, ctx: BlockContext, z: torch.Tensor, ns: NodeSet) -> torch.Tensor:
        """``f`` on the nodes of ``ns``; ``z`` is the state tensor that ``ns`` indexes (full or compact)."""
        zc = z.index_select(0, ns.child)
        z_self = z[ns.self_rows] if ctx.w_self is not None else None
        z_parent = None
        if ctx.w_parent is not None:
            has_parent = (ns.parent >= 0).unsqueeze(-1)
            z_parent = z.index_select(0, ns.parent.clamp(min=0)) * has_parent
        return self.compute(ctx, ns, zc, z_self, z_parent)

    def compute(self, ctx: BlockContext, ns: NodeSet, zc: torch.Tensor, z_self: torch.Tensor | None,
                z_parent: torch.Tensor | None) -> torch.Tensor:
        """``f`` from already gathered inputs: child states ``zc`` (one row per edge of ``ns``), own and parent
        states (``None`` when the block has no such term)."""
        # functional calls: on deep, narrow trees this runs once per level and module-call overhead adds up
        msg = self._messages(zc, ns)
        d, eps = self.hidden_size, self.out_norm.eps
        child_norm, child_proj, in_norm = self.child_norm, self.child_proj, self.in_norm
        ffn_in, ffn_out, out_norm = self.ffn_in, self.ffn_out, self.out_norm
        if not self.normalise_children:
            # the unused norm's weights enter with a zero factor: every parameter gets a gradient each step, as
            # DistributedDataParallel requires (a frozen or absent module would change saved weights or the
            # optimizer's groups and break loading and resuming)
            msg = msg + 0.0 * (child_norm.weight[0] + child_norm.bias[0])
        if self.aggregation == "fold":
            agg = self._fold(msg, ns)
        else:
            agg = zc.new_zeros(ns.n, zc.shape[-1]).index_add_(0, ns.slot, msg)
        if self.normalise_children:
            agg = F.layer_norm(agg, (d,), child_norm.weight, child_norm.bias, eps)
        if self.aggregation == "sum+fold":  # the fold beside the (normalised) sum
            agg = torch.cat([agg, self._fold(msg, ns)], dim=-1)
        h = ctx.inj[ns.rows] + F.linear(agg, child_proj.weight, child_proj.bias)
        if ctx.w_self is not None and z_self is not None:
            h = h + F.linear(z_self, ctx.w_self)
        if ctx.w_parent is not None and z_parent is not None:
            h = h + F.linear(z_parent, ctx.w_parent)
        h = F.layer_norm(h, (d,), in_norm.weight, in_norm.bias, eps)
        value, gate = F.linear(h, ffn_in.weight, ffn_in.bias).chunk(2, dim=-1)
        update = F.linear(F.gelu(value) * gate, ffn_out.weight, ffn_out.bias)
        return F.layer_norm(h + update, (d,), out_norm.weight, out_norm.bias, eps)

    def _messages(self, zc: torch.Tensor, ns: NodeSet) -> torch.Tensor:
        """Child messages: each child state modulated by its rank bucket (the chain fold: first child or not)."""
        bucket = ns.bucket
        if self.chain_fold and ns.rank is not None:
            bucket = (ns.rank > 0).to(bucket.dtype)
        return torch.addcmul(self.rank_shift[bucket], zc, self.rank_scale[bucket])

    def fold_states(self, z: torch.Tensor, ns: NodeSet) -> tuple[torch.Tensor, torch.Tensor]:
        """The chain fold's accumulators on the state ``z``: ``(states, edges)``, one row per child at position
        >= 1 (the accumulator right after combining that child; ``edges`` index ``ns.child``)."""
        if self.combine is None or not self.chain_fold:
            raise ValueError("fold states need aggregation with a fold and fold_shape='chain'")
        msg = self._messages(z.index_select(0, ns.child), ns)
        collected: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._chain(msg, ns, collected)
        if not collected:
            return msg.new_zeros(0, msg.shape[-1]), ns.child.new_zeros(0)
        return torch.cat([s for _, s in collected]), torch.cat([e for e, _ in collected])

    def _chain(self, msg: torch.Tensor, ns: NodeSet,
               collect: list[tuple[torch.Tensor, torch.Tensor]] | None = None) -> torch.Tensor:
        assert self.combine is not None
        sched = chain_schedule(ns)
        acc = msg.new_zeros(ns.n, msg.shape[-1]).index_copy(0, sched.first_slot,
                                                             msg.index_select(0, sched.first_edge))
        for edges, slots in sched.steps:
            merged = self.combine(acc.index_select(0, slots), msg.index_select(0, edges))
            if self.fold_snap is not None:
                merged = self.fold_snap(merged)
            if collect is not None:
                collect.append((edges, merged))
            acc = acc.index_copy(0, slots, merged)
        return acc

    def _fold(self, msg: torch.Tensor, ns: NodeSet) -> torch.Tensor:
        """Balanced pairwise reduction of each node's child messages in rank order (see ``FoldSchedule``), or
        the left-to-right chain (``fold_shape="chain"``)."""
        assert self.combine is not None
        if self.chain_fold:
            return self._chain(msg, ns)
        sched = fold_schedule(ns, shuffle=self.shuffle_fold and self.training)
        x = msg.index_select(0, sched.order)
        for r in sched.rounds:
            kept = x.index_select(0, r.keep)
            merged = self.combine(x.index_select(0, r.left), x.index_select(0, r.right))
            x = kept.index_copy(0, r.paired, merged)
        return msg.new_zeros(ns.n, msg.shape[-1]).index_copy(0, sched.final_slot, x)

    def reset_parameters(self, std: float = 0.02) -> None:
        """Initialise every submodule with :func:`init_block_weights` (a standalone block; inside a
        :class:`~recursa.equilibrium.model.RecursaModel` the model's ``post_init`` applies the same function)."""
        for module in self.modules():
            init_block_weights(module, std)


def init_block_weights(module: nn.Module, std: float, init: ModuleType | Any = nn.init) -> bool:
    """The one initialisation of the block's modules; returns whether ``module`` is a kind it knows.

    ``init`` supplies ``normal_ / zeros_ / ones_ / orthogonal_ / constant_``: ``torch.nn.init`` for a standalone
    block, ``transformers.initialization`` inside a pretrained model (those skip tensors loaded from a checkpoint).

    * plain ``Linear``: normal(0, ``std``), zero bias; ``LayerNorm``: ones and zeros (the transformers defaults);
    * ``Embedding``: normal(0, 1): the node injection is a sum of two embeddings entering beside the child
      projection, and at unit scale it is neither drowned by the children nor drowning them;
    * :class:`ChildProjection`: orthogonal times :data:`CHILD_INIT_GAIN` and :class:`SkipLinear`: orthogonal
      (gain 1), so information flows up the tree at gain ~1 from the first step (a normal(0, 0.02) projection
      would shrink a child's message fifty-fold per level);
    * :class:`CyclicLinear`: orthogonal (every singular value 1, so the power-iteration vector ``u`` may start at
      any unit vector; it starts at the normalised ones vector, reproducibly);
    * :class:`TreeBlock` itself: the rank modulation ``rank_scale`` ~ normal(1, 0.25) (near identity, different
      per rank so siblings can be told apart) and ``rank_shift`` ~ normal(0, ``std``).
    """
    if isinstance(module, CyclicLinear):
        init.orthogonal_(module.weight)
        n = module.u.numel()
        # 1 / ||ones|| computed in the buffer's dtype (the value F.normalize(ones) gives), on the CPU: the buffer
        # may sit on the meta device while transformers builds the model before loading its weights
        unit = 1.0 / torch.tensor(float(n), dtype=module.u.dtype, device="cpu").sqrt()
        init.constant_(module.u, float(unit))
    elif isinstance(module, ChildProjection | SkipLinear):
        init.orthogonal_(module.weight, gain=CHILD_INIT_GAIN if isinstance(module, ChildProjection) else 1.0)
        if module.bias is not None:
            init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        init.normal_(module.weight, mean=0.0, std=std)
        if module.bias is not None:
            init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        init.normal_(module.weight, mean=0.0, std=1.0)
    elif isinstance(module, nn.LayerNorm):
        init.ones_(module.weight)
        init.zeros_(module.bias)
    elif isinstance(module, TreeBlock):
        init.normal_(module.rank_scale, mean=1.0, std=0.25)
        init.normal_(module.rank_shift, mean=0.0, std=std)
    else:
        return False
    return True
