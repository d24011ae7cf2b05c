"""``RecursaConfig`` / ``RecursaModel`` and its heads, in the transformers style.

The model reads a :class:`~recursa.trees.batch.TreeBatch`, solves ``z* = f(z*, x)`` over all nodes of all trees
with the configured solver (per-tree stopping), and exposes ``node_states`` (``z*``), ``tree_states`` (readout
states) and per-tree :class:`~recursa.equilibrium.solvers.SolverStats`. Gradients come from the configured
backward mode (see :mod:`recursa.equilibrium.implicit`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedConfig, PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput

from recursa.equilibrium.block import (
    AGGREGATIONS,
    CHILD_NORMS,
    CYCLIC_NORMS,
    FOLD_SHAPES,
    TreeBlock,
    init_block_weights,
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
from recursa.equilibrium.solvers import SOLVERS, STOP_MODES, SolverStats, solve, solver_spec
from recursa.equilibrium.structure import tree_graph
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import TOKEN_VOCAB
from recursa.trees.languages import kind_vocab_size, languages, qualified_kind_ids

# Keys that transformers itself hands to a config's __post_init__ (from saved configs or loading options).
TRANSFORMERS_CONFIG_KEYS = frozenset({
    "torch_dtype", "num_labels", "name_or_path", "_name_or_path", "_commit_hash", "output_attentions",
    "attn_implementation", "experts_implementation", "per_layer_config", "model_type",
    "_attn_implementation_internal", "_experts_implementation_internal", "_attn_implementation_autoset",
})


READOUTS = ("root", "expression")

# Top-level keys of configs saved before ``solver_kwargs``: key -> (solver, its option, applies to the adjoint too).
_LEGACY_SOLVER_KEYS = {
    "damping": ("picard", "damping", False),
    "anderson_m": ("anderson", "m", True),
    "anderson_beta": ("anderson", "beta", True),
    "broyden_memory": ("broyden", "memory", True),
}


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

    Block (see :class:`~recursa.equilibrium.block.TreeBlock`):
        hidden_size (`int`, *optional*, defaults to 64): width of every node state.
        kind_vocab_size (`int`, *optional*, defaults to 0): number of grammar kinds; 0 means every kind of every
            registered language (:func:`~recursa.trees.languages.kind_vocab_size`).
        token_vocab_size (`int`, *optional*, defaults to ``TOKEN_VOCAB``): size of the leaf-token vocabulary.
        rank_buckets (`int`, *optional*, defaults to 8): child positions ``>= rank_buckets - 1`` share one bucket.
        aggregation (`str`, *optional*, defaults to ``"sum"``): how sibling messages are combined: ``sum``,
            ``fold`` (balanced pairwise fold in rank order) or ``sum+fold`` (both side by side).
        child_norm (`str`, *optional*, defaults to ``"layer"``): ``layer`` normalises the aggregate, ``none``
            keeps the plain sum (and with it multiplicities).
        fold_shape (`str`, *optional*, defaults to ``"balanced"``): how the fold brackets a sibling list in
            training: ``balanced`` always, or ``shuffled`` (a random order-preserving bracketing per list and
            round, so ``combine`` learns to give one result whatever the bracketing); evaluation is balanced.
        ffn_mult (`float`, *optional*, defaults to 2.0): inner width of the gated feed-forward, times hidden_size.
        self_term (`bool`, *optional*, defaults to False): add ``W_s z_v`` (a cycle of the map).
        top_down (`bool`, *optional*, defaults to False): add ``W_p z_parent`` (a cycle of the map). With both
            cyclic terms off the block is bottom-up: Picard reaches the fixed point in height+1 steps.
        cyclic_gain (`float`, *optional*, defaults to 0.5): operator norm the cyclic weights are held at.
        cyclic_norm (`str`, *optional*, defaults to ``"spectral"``): ``spectral`` or ``frobenius`` normalisation
            of the cyclic weights.
        layer_norm_eps (`float`, *optional*, defaults to 1e-5): epsilon of every layer norm.
        initializer_range (`float`, *optional*, defaults to 0.02): std of the normal initialisation of plain
            Linear layers and of ``rank_shift`` (see :func:`~recursa.equilibrium.block.init_block_weights`).

    Solver (see :mod:`recursa.equilibrium.solvers`):
        solver (`str`, *optional*, defaults to ``"picard"``): registered solver of the forward fixed point.
        solver_kwargs (`dict[str, Any]`, *optional*, defaults to ``{}``): the forward solver's own options by
            name (e.g. ``{"damping": 0.8}`` for picard, ``{"m": 3}`` for anderson), checked against the options
            the solver declares; missing ones take the solver's defaults. The keys of configs saved before this
            field (``damping``, ``anderson_m``, ``anderson_beta``, ``broyden_memory``) are still read.
        max_iter (`int`, *optional*, defaults to 500): iteration cap per tree.
        tol (`float`, *optional*, defaults to 1e-4): relative residual ``||f(z) - z|| / ||f(z)||`` per tree.
        abs_tol (`float`, *optional*, defaults to 0.0): absolute residual that also counts as converged.
        stop (`str`, *optional*, defaults to ``"tree"``): ``tree`` stops each tree on its own, ``batch`` iterates
            the whole batch until every tree is done.

    Backward (see :mod:`recursa.equilibrium.implicit`):
        backward (`str`, *optional*, defaults to ``"implicit"``): ``implicit`` (adjoint fixed point),
            ``phantom`` (a few damped steps from ``z*``) or ``unrolled`` (autograd through the solve).
        backward_solver (`str`, *optional*, defaults to ``"picard"``): registered solver of the adjoint.
        backward_solver_kwargs (`dict[str, Any]`, *optional*, defaults to ``{}``): its own options by name.
        backward_max_iter (`int`, *optional*, defaults to 500): iteration cap of the adjoint solve.
        backward_tol (`float`, *optional*, defaults to 1e-6): relative residual of the adjoint solve.
        phantom_steps (`int`, *optional*, defaults to 1): steps of the phantom gradient (1 with damping 1 is JFB).
        phantom_damping (`float`, *optional*, defaults to 1.0): damping of those steps, in ``(0, 1]``.
        jac_reg_weight (`float`, *optional*, defaults to 0.0): weight of the Hutchinson Jacobian penalty added to
            the training loss.

    Heads and inputs:
        classifier_dropout (`float`, *optional*, defaults to 0.0): dropout inside the classification head.
        readout (`str`, *optional*, defaults to ``"root"``): the node a tree's label is read from: ``root`` or
            ``expression`` (see :func:`readout_nodes`).
        splice_kinds (`list[str]`, *optional*, defaults to ``[]``): ``language:kind`` wrapper nodes the data
            pipeline takes out of trees before batching (see :mod:`recursa.trees.transform`); recorded here so a
            saved model is fed the trees it was trained on.
        snap_kinds (`list[str]`, *optional*, defaults to ``[]``): ``language:kind`` nodes that carry a value: at
            inference the state of each is replaced by the centroid of the value the head reads from it (see
            :class:`RecursaForTreeClassification`).
        node_loss_weight (`float`, *optional*, defaults to 0.0): weight of the per-node value loss that
            :class:`RecursaForTreeClassification` adds when it is given ``node_labels``.
        value_consistency_weight (`float`, *optional*, defaults to 0.0): weight of :func:`value_consistency` on
            the labelled nodes' states.
        fold_state_classes (`int`, *optional*, defaults to 0): with ``fold_shape="chain"``, the number of classes
            of the fold's accumulators (the partial results of a node's children; e.g. ListOps' operator and
            partial value, :func:`recursa.tasks.listops.fold_state_labels`); > 0 adds a ``fold_head`` and
            ``fold_centroids`` to :class:`RecursaForTreeClassification`, which reads ``fold_labels`` in training.
        fold_state_snapped (`int`, *optional*, defaults to 0): accumulators the fold head reads as one of the first
            ``fold_state_snapped`` classes are snapped to that class's centroid at inference (and pulled
            together in training, with ``value_consistency_weight``); the other classes are only classified.
        fold_state_weight (`float`, *optional*, defaults to 1.0): weight of the accumulators' cross-entropy.
        fold_factor_class (`int`, *optional*, defaults to -1): a fold class (not a snapped one) whose accumulators
            carry ``fold_factors`` factors of ``fold_factor_values`` classes each (e.g. a ListOps MED: the
            clipped balance of its arguments at every threshold, :func:`recursa.tasks.listops.med_balances`):
            a ``fold_factor_head`` classifies them, a table ``fold_factor_embed`` of one vector per factor and
            value is pulled onto the accumulators (their sum), and at inference an accumulator of that class is
            replaced by the sum of its factors' vectors. -1: none.
        fold_factors (`int`, *optional*, defaults to 0): number of factors of ``fold_factor_class``.
        fold_factor_values (`int`, *optional*, defaults to 0): classes of each factor.

    >>> cfg = RecursaConfig(hidden_size=32, solver="anderson", solver_kwargs={"m": 3})
    >>> cfg.solver_options()["m"]
    3
    """

    model_type = "recursa"

    hidden_size: int = 64
    kind_vocab_size: int = 0
    token_vocab_size: int = TOKEN_VOCAB
    rank_buckets: int = 8
    aggregation: str = "sum"
    child_norm: str = "layer"
    fold_shape: str = "balanced"
    ffn_mult: float = 2.0
    self_term: bool = False
    top_down: bool = False
    cyclic_gain: float = 0.5
    cyclic_norm: str = "spectral"
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02
    solver: str = "picard"
    solver_kwargs: dict[str, Any] | None = None
    max_iter: int = 500
    tol: float = 1e-4
    abs_tol: float = 0.0
    stop: str = "tree"
    backward: str = "implicit"
    backward_solver: str = "picard"
    backward_solver_kwargs: dict[str, Any] | None = None
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
    fold_state_classes: int = 0
    fold_state_snapped: int = 0
    fold_state_weight: float = 1.0
    fold_factor_class: int = -1
    fold_factors: int = 0
    fold_factor_values: int = 0

    def __post_init__(self, **kwargs: Any) -> None:
        self._read_legacy_solver_keys(kwargs)
        unknown = sorted(set(kwargs) - TRANSFORMERS_CONFIG_KEYS)
        if unknown:
            raise ValueError(f"RecursaConfig: unknown key(s) {', '.join(unknown)}")
        if not self.kind_vocab_size:
            self.kind_vocab_size = kind_vocab_size()
        super().__post_init__(**kwargs)
        self.validate_recursa()

    def _read_legacy_solver_keys(self, kwargs: dict[str, Any]) -> None:
        """Configs saved before ``solver_kwargs`` (the shipped ``config.json`` files among them) name solver options
        as top-level keys. Each is moved into the options of the solver it applied to, as it applied then:
        ``damping`` to the forward picard solve only (the adjoint always ran undamped), the anderson and broyden
        keys to both directions; a key for a solver that is not in use had no effect and is dropped."""
        self.solver_kwargs = dict(self.solver_kwargs or {})
        self.backward_solver_kwargs = dict(self.backward_solver_kwargs or {})
        for key, (solver, option, backward_too) in _LEGACY_SOLVER_KEYS.items():
            if key not in kwargs:
                continue
            value = kwargs.pop(key)
            if self.solver == solver:
                self.solver_kwargs.setdefault(option, value)
            if backward_too and self.backward_solver == solver:
                self.backward_solver_kwargs.setdefault(option, value)

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
        need(self.fold_shape in FOLD_SHAPES, f"fold_shape must be one of {FOLD_SHAPES}")
        need(self.readout in READOUTS, f"readout must be one of {READOUTS}")
        need(self.node_loss_weight >= 0 and self.value_consistency_weight >= 0,
             "node_loss_weight and value_consistency_weight must be >= 0")
        need(self.fold_state_classes >= 0 and 0 <= self.fold_state_snapped <= self.fold_state_classes,
             "need 0 <= fold_state_snapped <= fold_state_classes")
        need(self.fold_state_classes == 0 or (self.fold_shape == "chain" and "fold" in self.aggregation),
             "fold_state_classes needs fold_shape='chain' and a fold aggregation")
        need(self.fold_state_weight >= 0, "fold_state_weight must be >= 0")
        need((self.fold_factor_class, self.fold_factors, self.fold_factor_values) == (-1, 0, 0)
             or (self.fold_state_snapped <= self.fold_factor_class < self.fold_state_classes
                 and self.fold_factors >= 1 and self.fold_factor_values >= 2),
             "fold_factor_class must be an unsnapped fold class, with fold_factors >= 1 and fold_factor_values >= 2")
        known = {lang.name for lang in languages()}
        for key, example in (("splice_kinds", "python:argument_list"), ("snap_kinds", "python:call")):
            names = getattr(self, key)
            if names is None:
                names = []
                setattr(self, key, names)
            need(isinstance(names, list) and all(isinstance(k, str) and k.partition(":")[0] in known
                                                 and k.partition(":")[2] for k in names),
                 f"{key} are 'language:kind' names, e.g. {example} (languages: {sorted(known)})")
        for key, name in (("solver_kwargs", self.solver), ("backward_solver_kwargs", self.backward_solver)):
            values = getattr(self, key)
            need(isinstance(values, dict), f"{key} must be a mapping of {name} option names to values")
            try:
                solver_spec(name).make_options(values)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"RecursaConfig: {key}: {exc}") from None
        need(0.0 < self.phantom_damping <= 1.0, "phantom_damping must be in (0, 1]")
        need(self.phantom_steps >= 1, "phantom_steps must be >= 1")
        need(self.max_iter >= 1 and self.backward_max_iter >= 1, "max_iter and backward_max_iter must be >= 1")
        need(self.tol >= 0 and self.backward_tol >= 0 and self.abs_tol >= 0, "tolerances must be >= 0")

    @property
    def acyclic(self) -> bool:
        return not (self.self_term or self.top_down)

    def solver_options(self, backward: bool = False) -> dict[str, Any]:
        """Keyword options for the registered solver (forward or adjoint): the shared ones, then every option the
        solver declares, from ``solver_kwargs`` / ``backward_solver_kwargs`` or the solver's default."""
        name, own = ((self.backward_solver, self.backward_solver_kwargs) if backward
                     else (self.solver, self.solver_kwargs))
        opts: dict[str, Any] = {
            "max_iter": self.backward_max_iter if backward else self.max_iter,
            "tol": self.backward_tol if backward else self.tol,
            "abs_tol": 0.0 if backward else self.abs_tol,
            "stop": self.stop,
        }
        opts.update(asdict(solver_spec(name).make_options(own or {})))
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
        """The block's own initialisation (:func:`~recursa.equilibrium.block.init_block_weights`) for every
        module kind it knows, including the heads' Linear layers; transformers' default for the rest."""
        if not init_block_weights(module, self.config.initializer_range, init):
            super()._init_weights(module)


class RecursaModel(RecursaPreTrainedModel):
    """The equilibrium reasoner without a head: node states, readout states (see ``readout``) and solver statistics."""

    def __init__(self, config: RecursaConfig) -> None:
        super().__init__(config)
        self.block = TreeBlock(config.hidden_size, config.kind_vocab_size, config.token_vocab_size,
                               rank_buckets=config.rank_buckets, ffn_mult=config.ffn_mult,
                               self_term=config.self_term, top_down=config.top_down,
                               cyclic_gain=config.cyclic_gain, cyclic_norm=config.cyclic_norm,
                               layer_norm_eps=config.layer_norm_eps, aggregation=config.aggregation,
                               child_norm=config.child_norm, fold_shape=config.fold_shape)
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
        opts.update(trace=trace, cold_start=cold)
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
    def __init__(self, config: RecursaConfig, num_labels: int | None = None) -> None:
        super().__init__()
        d = config.hidden_size
        self.dense = nn.Linear(d, d)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.out = nn.Linear(d, config.num_labels if num_labels is None else num_labels)

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


def _tracked(centroids: torch.Tensor, counts_seen: torch.Tensor, states: torch.Tensor,
             labels: torch.Tensor) -> None:
    """Move ``centroids`` towards the mean state of each label present (the first time: onto it)."""
    means, counts = label_means(states.float(), labels, centroids.shape[0])
    first = (counts_seen == 0).unsqueeze(-1)
    rate = torch.where(first, 1.0, CENTROID_MOMENTUM)
    moved = centroids + rate * (means - centroids)
    centroids.copy_(torch.where((counts > 0).unsqueeze(-1), moved, centroids))
    counts_seen += counts


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
        if config.fold_state_classes:
            self.fold_head = _Head(config, config.fold_state_classes)
            self.register_buffer("fold_centroids", torch.zeros(config.fold_state_classes, config.hidden_size))
            self.register_buffer("fold_counts", torch.zeros(config.fold_state_classes, dtype=torch.long))
        if config.fold_factors:
            self.fold_factor_head = _Head(config, config.fold_factors * config.fold_factor_values)
            self.fold_factor_embed = nn.Parameter(
                0.02 * torch.randn(config.fold_factors, config.fold_factor_values, config.hidden_size))
        self.fold_factor_snap = True  # off: factored accumulators are left alone at inference (an ablation)
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
        _tracked(self.value_centroids, self.value_counts, states, labels)

    def snap_fold_states(self, states: torch.Tensor) -> torch.Tensor:
        """Each fold accumulator the fold head reads as a snapped class replaced by that class's centroid."""
        pred = self.fold_head(states).argmax(-1)
        ok = ((pred < self.config.fold_state_snapped) & (self.fold_counts[pred] > 0)).unsqueeze(-1)
        out = torch.where(ok, self.fold_centroids[pred].to(states.dtype), states)
        if self.config.fold_factors and self.fold_factor_snap:
            factored = (pred == self.config.fold_factor_class).unsqueeze(-1)
            idx = self._factor_logits(states).argmax(-1)
            out = torch.where(factored, self._factor_sum(idx).to(states.dtype), out)
        return out

    def _factor_logits(self, states: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        return self.fold_factor_head(states).view(-1, cfg.fold_factors, cfg.fold_factor_values)

    def _factor_sum(self, idx: torch.Tensor) -> torch.Tensor:
        """``sum_f fold_factor_embed[f, idx[:, f]]`` for factor classes ``idx`` ``[M, fold_factors]``."""
        f = torch.arange(self.config.fold_factors, device=idx.device)
        return self.fold_factor_embed[f.unsqueeze(0), idx].sum(1)

    def _fold_state_loss(self, batch: TreeBatch, node_states: torch.Tensor, fold_labels: torch.Tensor,
                         fold_factors: torch.Tensor | None = None) -> torch.Tensor:
        """Cross-entropy of the chain fold's accumulators against ``fold_labels`` (one per node: the class of
        the accumulator right after that node is combined into its parent's; -100 none), plus the value
        consistency of the snapped classes; the centroids of those classes are tracked."""
        cfg = self.config
        graph = tree_graph(batch, cfg.rank_buckets)
        ns = graph.full()
        fold_labels = fold_labels.to(node_states.device)
        # Every fold parameter joins the graph, with weight 0 where this batch has nothing for it: under DDP a
        # process whose batch has no labelled accumulator (or no MED) must still hand in a gradient for each.
        loss = 0.0 * sum(p.sum() for name, p in self.named_parameters() if name.startswith(("fold_head.",
                                                                                            "fold_factor_")))
        wanted = fold_labels[ns.child]
        if not bool((wanted != -100).any()):
            return loss
        states, edges = self.recursa.block.fold_states(node_states, ns)
        y = fold_labels[ns.child[edges]]
        keep = y != -100
        states, y = states[keep], y[keep]
        loss = loss + cfg.fold_state_weight * F.cross_entropy(self.fold_head(states), y)
        snapped = y < cfg.fold_state_snapped
        if bool(snapped.any()):
            if self.training:
                with torch.no_grad():
                    _tracked(self.fold_centroids, self.fold_counts, states[snapped].detach(), y[snapped])
            if cfg.value_consistency_weight > 0:
                loss = loss + cfg.value_consistency_weight * value_consistency(states[snapped], y[snapped])
        if cfg.fold_factors and fold_factors is not None:
            fy = fold_factors.to(node_states.device)[ns.child[edges]][keep]
            has = fy[:, 0] != -100
            if bool(has.any()):
                fs, fy = states[has], fy[has]
                logits = self._factor_logits(fs)
                loss = loss + cfg.fold_state_weight * F.cross_entropy(logits.reshape(-1, cfg.fold_factor_values),
                                                                      fy.reshape(-1))
                if cfg.value_consistency_weight > 0:
                    gap = fs.float() - self._factor_sum(fy).float()
                    loss = loss + cfg.value_consistency_weight * gap.pow(2).mean()
        return loss

    @property
    def last_backward_stats(self) -> SolverStats | None:
        return self.recursa.last_backward_stats

    def forward(self, batch: TreeBatch, labels: torch.Tensor | None = None, z0: torch.Tensor | None = None,
                trace: bool = False, node_labels: torch.Tensor | None = None,
                fold_labels: torch.Tensor | None = None, fold_factors: torch.Tensor | None = None
                ) -> RecursaOutput:
        """``labels``: one class per tree. ``node_labels``: one class per node in batch order (``-100`` =
        none); with ``config.node_loss_weight > 0`` their cross-entropy, read through the same head, is added.
        ``fold_labels`` (with ``config.fold_state_classes``): one class per node, that of its parent's fold
        accumulator right after the node is combined (``-100`` = none); their loss is added. ``fold_factors``
        (with ``config.fold_factors``): ``[num_nodes, fold_factors]`` factor classes of those accumulators of
        ``fold_factor_class`` (``-100`` rows elsewhere)."""
        fold_snap = self.snapping and bool(self.config.fold_state_snapped)
        if fold_snap:
            self.recursa.block.fold_snap = self.snap_fold_states
        try:
            out = self.recursa(batch, z0=z0, trace=trace, snap=self.snap_states if self.snapping else None)
        finally:
            self.recursa.block.fold_snap = None
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
            if fold_labels is not None and self.config.fold_state_classes:
                if tuple(fold_labels.shape) != (batch.num_nodes,):
                    raise ValueError(f"fold_labels must have shape ({batch.num_nodes},), "
                                     f"got {tuple(fold_labels.shape)}")
                loss = loss + self._fold_state_loss(batch, out.node_states, fold_labels, fold_factors)
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
