"""``RecursaConfig`` / ``RecursaModel`` and its heads, in the transformers style.

The model reads a :class:`~recursa.trees.batch.TreeBatch`, solves ``z* = f(z*, x)`` over all nodes of all trees
with the configured solver (per-tree stopping), and exposes ``node_states`` (``z*``), ``tree_states`` (readout
states) and per-tree :class:`~recursa.equilibrium.solvers.SolverStats`. Gradients come from the configured
backward mode (see :mod:`recursa.equilibrium.implicit`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedConfig, PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput

from recursa.equilibrium.block import (
    AGGREGATIONS,
    CHILD_INIT_GAIN,
    CHILD_NORMS,
    CYCLIC_NORMS,
    ChildProjection,
    CyclicLinear,
    SkipLinear,
    TreeBlock,
)
from recursa.equilibrium.implicit import (
    BACKWARD_MODES,
    SnappedTreeMap,
    TreeMap,
    attach_implicit,
    phantom_steps,
    residual_per_tree,
)
from recursa.equilibrium.regularize import jacobian_penalty
from recursa.equilibrium.solvers import SOLVERS, STOP_MODES, SolverStats, solve
from recursa.equilibrium.structure import tree_graph
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import TOKEN_VOCAB
from recursa.trees.languages import kind_vocab_size, languages, qualified_kind_ids

# Keys that transformers itself hands to a config's __post_init__ (from saved configs or loading options).
_TRANSFORMERS_KEYS = frozenset({
    "torch_dtype", "num_labels", "name_or_path", "_name_or_path", "_commit_hash", "output_attentions",
    "attn_implementation", "experts_implementation", "per_layer_config", "model_type",
    "_attn_implementation_internal", "_experts_implementation_internal", "_attn_implementation_autoset",
})


READOUTS = ("root", "expression")


def readout_nodes(batch: TreeBatch, mode: str = "root") -> torch.Tensor:
    """Batch index of the node each tree's label is read from.

    ``root``: the tree's root. ``expression``: the first node below the root that is not a single-child
    wrapper (``module -> expression_statement -> call`` reads the call; a C declaration, which has several
    children, is read itself). Wrappers are plumbing that carries a value up unchanged; reading the expression
    node lets one per-node value head serve every sub-expression and the whole tree alike.
    """
    roots = batch.tree_root
    if mode == "root":
        return roots
    if mode != "expression":
        raise ValueError(f"readout must be one of {READOUTS}, got {mode!r}")
    parent = batch.parent
    has_parent = parent >= 0
    child = torch.nonzero(has_parent).flatten()
    single = batch.num_children()[parent[child]] == 1
    only_child = torch.full((batch.num_nodes,), -1, dtype=torch.long, device=roots.device)
    only_child[parent[child[single]]] = child[single]
    node = roots
    while True:  # one step per wrapper level, all trees at once
        nxt = only_child[node]
        step = nxt >= 0
        if not bool(step.any()):
            return node
        node = torch.where(step, nxt, node)


class RecursaConfig(PreTrainedConfig):
    r"""Configuration of the equilibrium reasoner. Unknown keys raise ``ValueError``.

    Block: ``hidden_size``, ``kind_vocab_size``, ``token_vocab_size``, ``rank_buckets`` (child positions
    ``>= rank_buckets - 1`` share one bucket), ``aggregation`` (sum | fold | sum+fold: how sibling messages are
    combined), ``child_norm`` (layer | none: whether the aggregate is layer-normalised),
    ``ffn_mult``, ``self_term`` / ``top_down`` (the cyclic terms; both
    off = the bottom-up block, height+1 Picard steps), ``cyclic_gain`` and ``cyclic_norm`` (their normalisation).
    Solver: ``solver`` (picard | anderson | broyden), ``max_iter``, ``tol`` (relative residual per tree),
    ``abs_tol``, ``damping`` (picard), ``anderson_m``, ``anderson_beta``, ``broyden_memory``,
    ``stop`` (tree | batch). Backward: ``backward`` (implicit | phantom | unrolled), ``backward_solver``,
    ``backward_max_iter``, ``backward_tol``, ``phantom_steps``, ``phantom_damping``; ``jac_reg_weight`` adds the
    Hutchinson Jacobian penalty to the training loss. Heads: ``readout`` (root | expression: the node a tree's
    label is read from, see :func:`readout_nodes`), ``node_loss_weight`` (weight of the per-node value loss that
    :class:`RecursaForTreeClassification` adds when it is given ``node_labels``), ``value_consistency_weight``
    (weight of :func:`value_consistency` on the labelled nodes' states), ``snap_kinds`` (``language:kind``
    nodes that carry a value: at inference the state of each is replaced by the centroid of the value the head
    reads from it, see :class:`RecursaForTreeClassification`). Inputs: ``splice_kinds``
    (``language:kind`` wrapper nodes the data pipeline takes out of trees before batching, see
    :mod:`recursa.trees.transform`; recorded here so a saved model is fed the trees it was trained on).
    """

    model_type = "recursa"

    hidden_size: int = 64
    kind_vocab_size: int = 0
    token_vocab_size: int = TOKEN_VOCAB
    rank_buckets: int = 8
    aggregation: str = "sum"
    child_norm: str = "layer"
    ffn_mult: float = 2.0
    self_term: bool = False
    top_down: bool = False
    cyclic_gain: float = 0.5
    cyclic_norm: str = "spectral"
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02
    solver: str = "picard"
    max_iter: int = 500
    tol: float = 1e-4
    abs_tol: float = 0.0
    damping: float = 1.0
    anderson_m: int = 5
    anderson_beta: float = 1.0
    broyden_memory: int = 20
    stop: str = "tree"
    backward: str = "implicit"
    backward_solver: str = "picard"
    backward_max_iter: int = 500
    backward_tol: float = 1e-6
    phantom_steps: int = 1
    phantom_damping: float = 1.0
    jac_reg_weight: float = 0.0
    classifier_dropout: float = 0.0
    readout: str = "root"
    splice_kinds: list[str] | None = None
    snap_kinds: list[str] | None = None
    node_loss_weight: float = 0.0
    value_consistency_weight: float = 0.0

    def __post_init__(self, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - _TRANSFORMERS_KEYS)
        if unknown:
            raise ValueError(f"RecursaConfig: unknown key(s) {', '.join(unknown)}")
        if not self.kind_vocab_size:
            self.kind_vocab_size = kind_vocab_size()
        super().__post_init__(**kwargs)
        self.validate_recursa()

    def validate_recursa(self) -> None:
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ValueError(f"RecursaConfig: {msg}")

        need(self.hidden_size >= 1, "hidden_size must be >= 1")
        need(self.rank_buckets >= 1, "rank_buckets must be >= 1")
        need(self.solver in SOLVERS, f"solver must be one of {sorted(SOLVERS)}")
        need(self.backward_solver in SOLVERS, f"backward_solver must be one of {sorted(SOLVERS)}")
        need(self.backward in BACKWARD_MODES, f"backward must be one of {BACKWARD_MODES}")
        need(self.stop in STOP_MODES, f"stop must be one of {STOP_MODES}")
        need(self.cyclic_norm in CYCLIC_NORMS, f"cyclic_norm must be one of {CYCLIC_NORMS}")
        need(self.aggregation in AGGREGATIONS, f"aggregation must be one of {AGGREGATIONS}")
        need(self.child_norm in CHILD_NORMS, f"child_norm must be one of {CHILD_NORMS}")
        need(self.readout in READOUTS, f"readout must be one of {READOUTS}")
        need(self.node_loss_weight >= 0 and self.value_consistency_weight >= 0,
             "node_loss_weight and value_consistency_weight must be >= 0")
        known = {lang.name for lang in languages()}
        for key, example in (("splice_kinds", "python:argument_list"), ("snap_kinds", "python:call")):
            names = getattr(self, key)
            if names is None:
                names = []
                setattr(self, key, names)
            need(isinstance(names, list) and all(isinstance(k, str) and k.partition(":")[0] in known
                                                 and k.partition(":")[2] for k in names),
                 f"{key} are 'language:kind' names, e.g. {example} (languages: {sorted(known)})")
        need(0.0 < self.damping <= 1.0, "damping must be in (0, 1]")
        need(0.0 < self.phantom_damping <= 1.0, "phantom_damping must be in (0, 1]")
        need(self.phantom_steps >= 1, "phantom_steps must be >= 1")
        need(self.max_iter >= 1 and self.backward_max_iter >= 1, "max_iter and backward_max_iter must be >= 1")
        need(self.tol >= 0 and self.backward_tol >= 0 and self.abs_tol >= 0, "tolerances must be >= 0")

    @property
    def acyclic(self) -> bool:
        return not (self.self_term or self.top_down)

    def solver_options(self, backward: bool = False) -> dict[str, Any]:
        """Keyword options for the registered solver (forward or adjoint)."""
        name = self.backward_solver if backward else self.solver
        opts: dict[str, Any] = {
            "max_iter": self.backward_max_iter if backward else self.max_iter,
            "tol": self.backward_tol if backward else self.tol,
            "abs_tol": 0.0 if backward else self.abs_tol,
            "stop": self.stop,
        }
        if name == "picard":
            opts["damping"] = 1.0 if backward else self.damping
        elif name == "anderson":
            opts.update(m=self.anderson_m, beta=self.anderson_beta)
        elif name == "broyden":
            opts["memory"] = self.broyden_memory
        return opts


@dataclass
class RecursaOutput(ModelOutput):
    """Output of every Recursa model (``loss``/``logits`` are ``None`` without a head or labels)."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    node_states: torch.Tensor | None = None
    tree_states: torch.Tensor | None = None
    jac_loss: torch.Tensor | None = None
    stats: SolverStats | None = None


class RecursaPreTrainedModel(PreTrainedModel):
    config_class = RecursaConfig
    config: RecursaConfig
    base_model_prefix = "recursa"
    main_input_name = "batch"
    supports_gradient_checkpointing = False

    @classmethod
    def from_pretrained(cls, *args: Any, **kwargs: Any) -> Any:
        """transformers' loader, then every tensor copied into freshly allocated memory.

        Weights memory-mapped from safetensors can sit at addresses that make CPU matmul kernels take a
        different vector path; copying them makes a reloaded model reproduce the saved one bit for bit."""
        model = super().from_pretrained(*args, **kwargs)
        with torch.no_grad():
            for t in (*model.parameters(), *model.buffers()):
                t.data = t.data.clone()
        return model

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Embedding):
            init.normal_(module.weight, mean=0.0, std=1.0)
        else:
            super()._init_weights(module)
        if isinstance(module, ChildProjection):
            init.orthogonal_(module.weight, gain=CHILD_INIT_GAIN)
        elif isinstance(module, SkipLinear):
            init.orthogonal_(module.weight)
        elif isinstance(module, TreeBlock):
            init.normal_(module.rank_scale, mean=1.0, std=0.25)
            init.normal_(module.rank_shift, mean=0.0, std=std)
        elif isinstance(module, CyclicLinear):
            init.orthogonal_(module.weight)
            init.copy_(module.u, F.normalize(torch.ones_like(module.u), dim=0))


class RecursaModel(RecursaPreTrainedModel):
    """The equilibrium reasoner without a head: node states, readout states (see ``readout``) and solver statistics."""

    def __init__(self, config: RecursaConfig) -> None:
        super().__init__(config)
        self.block = TreeBlock(config.hidden_size, config.kind_vocab_size, config.token_vocab_size,
                               rank_buckets=config.rank_buckets, ffn_mult=config.ffn_mult,
                               self_term=config.self_term, top_down=config.top_down,
                               cyclic_gain=config.cyclic_gain, cyclic_norm=config.cyclic_norm,
                               layer_norm_eps=config.layer_norm_eps, aggregation=config.aggregation,
                               child_norm=config.child_norm)
        self.last_backward_stats: SolverStats | None = None
        self.snap_kind_ids = qualified_kind_ids(config.snap_kinds or [])  # global kinds that carry a value
        self.post_init()

    def _record_backward(self, stats: SolverStats) -> None:
        self.last_backward_stats = stats

    def forward(self, batch: TreeBatch, z0: torch.Tensor | None = None, trace: bool = False,
                snap: Callable[[torch.Tensor], torch.Tensor] | None = None, **kwargs: Any) -> RecursaOutput:
        """``snap``: a map of states applied, after every application of the block, to the nodes of
        ``config.snap_kinds`` (the value snap). A snapped solve runs without autograd: its states carry no
        gradient (the snap is piecewise constant)."""
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(sorted(kwargs))}")
        if not isinstance(batch, TreeBatch):
            raise TypeError(f"batch must be a TreeBatch, got {type(batch).__name__}")
        if batch.num_nodes == 0:
            raise ValueError("empty TreeBatch")
        cfg = self.config
        dtype = self.block.rank_scale.dtype
        if batch.device != self.block.rank_scale.device:
            raise ValueError(f"batch is on {batch.device}, model on {self.block.rank_scale.device}: batch.to(...)")
        _check_vocab(batch, cfg)
        graph = tree_graph(batch, cfg.rank_buckets)
        ctx = self.block.prepare(batch.kind, batch.token)
        n, d = batch.num_nodes, cfg.hidden_size
        cold = z0 is None
        if z0 is None:
            z0 = torch.zeros(n, d, dtype=dtype, device=batch.device)
        elif tuple(z0.shape) != (n, d):
            raise ValueError(f"z0 must have shape {(n, d)}, got {tuple(z0.shape)}")
        z0 = z0.detach().to(dtype)
        opts = cfg.solver_options()
        opts["trace"] = trace
        if cfg.solver == "picard":
            opts["cold_start"] = cold
        needs_grad = torch.is_grad_enabled() and any(p.requires_grad for p in self.parameters())
        jac_loss = None
        if snap is not None and self.snap_kind_ids:
            mask = torch.isin(batch.kind, torch.tensor(self.snap_kind_ids, device=batch.device))
            with torch.no_grad():
                z_star, stats = solve(cfg.solver, SnappedTreeMap(self.block, ctx, graph, mask, snap), z0, **opts)
            node_states = z_star
        elif needs_grad and cfg.backward == "unrolled":
            z_star, stats = solve(cfg.solver, TreeMap(self.block, ctx, graph), z0, **opts)
            node_states = z_star
        else:
            with torch.no_grad():
                z_star, stats = solve(cfg.solver, TreeMap(self.block, ctx.detach(), graph), z0, **opts)
            if not needs_grad:
                node_states = z_star
            elif cfg.backward == "implicit":
                node_states = attach_implicit(self.block, ctx, graph, z_star, solver=cfg.backward_solver,
                                              options=cfg.solver_options(backward=True),
                                              on_stats=self._record_backward)
            else:
                node_states = phantom_steps(self.block, ctx, graph, z_star, cfg.phantom_steps, cfg.phantom_damping)
        if needs_grad and cfg.jac_reg_weight > 0 and self.training:
            jac_loss = jacobian_penalty(self.block, ctx, graph, z_star)
        return RecursaOutput(node_states=node_states, tree_states=node_states[readout_nodes(batch, cfg.readout)],
                             jac_loss=jac_loss, stats=stats)

    def measured_residual(self, batch: TreeBatch, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(abs, rel)`` residual ``||f(z) - z||`` per tree, measured with one extra application of ``f``."""
        graph = tree_graph(batch, self.config.rank_buckets)
        ctx = self.block.prepare(batch.kind, batch.token)
        return residual_per_tree(self.block, ctx, graph, z)


def _check_vocab(batch: TreeBatch, cfg: RecursaConfig) -> None:
    for name, values, size in (("kind", batch.kind, cfg.kind_vocab_size), ("token", batch.token,
                                                                           cfg.token_vocab_size)):
        if values.numel() and (int(values.min()) < 0 or int(values.max()) >= size):
            raise ValueError(f"batch {name} ids must lie in [0, {size}); got {int(values.min())}.."
                             f"{int(values.max())}")


class _Head(nn.Module):
    def __init__(self, config: RecursaConfig) -> None:
        super().__init__()
        d = config.hidden_size
        self.dense = nn.Linear(d, d)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.out = nn.Linear(d, config.num_labels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(F.gelu(self.dense(x))))


def value_consistency(states: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean squared distance (per dimension) of every state to the batch mean of the states with its label.

    Nodes with the same value should be in the same state whether they are a digit or a computed
    sub-expression: a parent then computes on inputs it has seen at depth 1. Without this pull, states of
    computed values drift from those of literals and every level adds a little error."""
    states = states.float()  # batch means in full precision under bf16 autocast
    means, _ = label_means(states, labels, int(labels.max()) + 1)
    return (states - means[labels]).pow(2).mean()


def label_means(states: torch.Tensor, labels: torch.Tensor, num: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean state of each label ``0..num-1`` (zeros where absent) and how many states have it."""
    counts = torch.bincount(labels, minlength=num)
    sums = states.new_zeros(num, states.shape[-1]).index_add_(0, labels, states)
    return sums / counts.clamp_min(1).unsqueeze(-1).to(states.dtype), counts


CENTROID_MOMENTUM = 0.01


class RecursaForTreeClassification(RecursaPreTrainedModel):
    """One label per tree, read from the root's equilibrium state.

    **Value snap** (``config.snap_kinds``): in training, a running mean (momentum :data:`CENTROID_MOMENTUM`) of
    the states of the labelled nodes of each value is kept in the ``value_centroids`` buffer (saved with the
    weights). In evaluation mode every node of a snap kind has its state replaced, after each application of
    the block, by the centroid of the value the head reads from it (values never seen in training are left
    alone). A parent then computes on exactly the states it saw at depth 1 instead of on states that drift a
    little further from them at every level: the error of a deep tree stops compounding. ``value_snap =
    False`` turns it off for an ablation.
    """

    def __init__(self, config: RecursaConfig) -> None:
        super().__init__(config)
        self.recursa = RecursaModel(config)
        self.head = _Head(config)
        self.value_snap = True
        if config.snap_kinds:
            self.register_buffer("value_centroids", torch.zeros(config.num_labels, config.hidden_size))
            self.register_buffer("value_counts", torch.zeros(config.num_labels, dtype=torch.long))
        self.post_init()

    @property
    def snapping(self) -> bool:
        """Whether a forward pass snaps value nodes (evaluation mode, ``snap_kinds`` set, ``value_snap``)."""
        return not self.training and self.value_snap and bool(self.config.snap_kinds)

    def snap_states(self, states: torch.Tensor) -> torch.Tensor:
        """Each state replaced by the centroid of the value the head reads from it (where one was seen)."""
        pred = self.head(states).argmax(-1)
        seen = (self.value_counts[pred] > 0).unsqueeze(-1)
        return torch.where(seen, self.value_centroids[pred].to(states.dtype), states)

    @torch.no_grad()
    def _track_centroids(self, states: torch.Tensor, labels: torch.Tensor) -> None:
        means, counts = label_means(states.float(), labels, self.value_centroids.shape[0])
        first = (self.value_counts == 0).unsqueeze(-1)
        rate = torch.where(first, 1.0, CENTROID_MOMENTUM)
        moved = self.value_centroids + rate * (means - self.value_centroids)
        self.value_centroids.copy_(torch.where((counts > 0).unsqueeze(-1), moved, self.value_centroids))
        self.value_counts += counts

    @property
    def last_backward_stats(self) -> SolverStats | None:
        return self.recursa.last_backward_stats

    def forward(self, batch: TreeBatch, labels: torch.Tensor | None = None, z0: torch.Tensor | None = None,
                trace: bool = False, node_labels: torch.Tensor | None = None) -> RecursaOutput:
        """``labels``: one class per tree. ``node_labels``: one class per node in batch order (``-100`` =
        none); with ``config.node_loss_weight > 0`` their cross-entropy, read through the same head, is added."""
        out = self.recursa(batch, z0=z0, trace=trace, snap=self.snap_states if self.snapping else None)
        logits = self.head(out.tree_states)
        loss = None
        if labels is not None:
            if tuple(labels.shape) != (batch.num_trees,):
                raise ValueError(f"labels must have shape ({batch.num_trees},), got {tuple(labels.shape)}")
            loss = F.cross_entropy(logits, labels.to(logits.device))
            weight = self.config.node_loss_weight
            if node_labels is not None and weight > 0:
                if tuple(node_labels.shape) != (batch.num_nodes,):
                    raise ValueError(f"node_labels must have shape ({batch.num_nodes},), "
                                     f"got {tuple(node_labels.shape)}")
                node_labels = node_labels.to(logits.device)
                keep = node_labels != -100
                if bool(keep.any()):
                    z, y = out.node_states[keep], node_labels[keep]
                    loss = loss + weight * F.cross_entropy(self.head(z), y)
                    if self.training and self.config.snap_kinds:
                        self._track_centroids(z.detach(), y)
                    if self.config.value_consistency_weight > 0:
                        loss = loss + self.config.value_consistency_weight * value_consistency(z, y)
            if out.jac_loss is not None:
                loss = loss + self.config.jac_reg_weight * out.jac_loss
        return RecursaOutput(loss=loss, logits=logits, node_states=out.node_states, tree_states=out.tree_states,
                             jac_loss=out.jac_loss, stats=out.stats)


class RecursaForNodeClassification(RecursaPreTrainedModel):
    """One label per node (``-100`` = ignored), read from every node's equilibrium state."""

    def __init__(self, config: RecursaConfig) -> None:
        super().__init__(config)
        self.recursa = RecursaModel(config)
        self.head = _Head(config)
        self.post_init()

    @property
    def last_backward_stats(self) -> SolverStats | None:
        return self.recursa.last_backward_stats

    def forward(self, batch: TreeBatch, labels: torch.Tensor | None = None, z0: torch.Tensor | None = None,
                trace: bool = False) -> RecursaOutput:
        out = self.recursa(batch, z0=z0, trace=trace)
        logits = self.head(out.node_states)
        loss = None
        if labels is not None:
            if tuple(labels.shape) != (batch.num_nodes,):
                raise ValueError(f"labels must have shape ({batch.num_nodes},), got {tuple(labels.shape)}")
            loss = F.cross_entropy(logits, labels.to(logits.device), ignore_index=-100)
            if out.jac_loss is not None:
                loss = loss + self.config.jac_reg_weight * out.jac_loss
        return RecursaOutput(loss=loss, logits=logits, node_states=out.node_states, tree_states=out.tree_states,
                             jac_loss=out.jac_loss, stats=out.stats)


AutoConfig.register("recursa", RecursaConfig, exist_ok=True)
AutoModel.register(RecursaConfig, RecursaModel, exist_ok=True)
