"""The block as a fixed-point problem, and the backward modes.

* ``implicit``: the forward solve runs without autograd; one application ``f(z*)`` is recorded, and a hook on it
  replaces the incoming gradient ``dL/dz*`` by the solution ``g`` of the adjoint fixed point
  ``g = J_f(z*)^T g + dL/dz*``, solved with the same solver registry (own tolerance and cap). For an acyclic block
  the adjoint is a top-down wavefront (exact in height+1 level steps). Memory: one application of ``f``, whatever
  the number of iterations.
* ``phantom``: ``k`` damped steps ``z <- z + lam (f(z) - z)`` from ``z*`` under autograd (k=1, lam=1 is JFB).
* ``unrolled``: autograd through the whole solve (the reference; memory grows with the iterations).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from recursa.equilibrium.block import BlockContext, TreeBlock
from recursa.equilibrium.solvers import SolverStats, solve, tree_residuals
from recursa.equilibrium.structure import NodeSet, TreeGraph

BACKWARD_MODES = ("implicit", "phantom", "unrolled")


class TreeMap:
    """``z -> f(z)`` of a block on one batch (the forward fixed-point problem)."""

    def __init__(self, block: TreeBlock, ctx: BlockContext, graph: TreeGraph) -> None:
        self.block, self.ctx, self.graph = block, ctx, graph
        self.acyclic = block.acyclic

    def f(self, z: torch.Tensor, ns: NodeSet) -> torch.Tensor:
        return self.block.step(self.ctx, z, ns)


class SnappedTreeMap(TreeMap):
    """``z -> f(z)`` whose outputs at the ``mask`` nodes pass through ``snap`` (the value snap at inference).

    ``snap`` maps states to states row by row; it is applied to every node of a set and kept where ``mask``
    says (no host sync per level). A bottom-up block stays acyclic: the fixed point is still reached in
    height + 1 steps."""

    def __init__(self, block: TreeBlock, ctx: BlockContext, graph: TreeGraph, mask: torch.Tensor,
                 snap: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__(block, ctx, graph)
        self.mask, self.snap = mask, snap

    def f(self, z: torch.Tensor, ns: NodeSet) -> torch.Tensor:
        out = super().f(z, ns)
        return torch.where(self.mask[ns.rows].unsqueeze(-1), self.snap(out), out)


class AdjointMap:
    """``g -> J_f(z*)^T g + grad`` (the adjoint problem of implicit differentiation).

    The vector-Jacobian products of a node set reuse one recorded application of ``f`` on that set, rebuilt only
    when the solver's active set changes.
    """

    acyclic = False

    def __init__(self, block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z_star: torch.Tensor,
                 grad: torch.Tensor) -> None:
        self.block, self.ctx, self.graph = block, ctx, graph
        self.z_star, self.grad = z_star, grad
        self._ns: NodeSet | None = None
        self._z: torch.Tensor | None = None
        self._out: torch.Tensor | None = None

    def f(self, g: torch.Tensor, ns: NodeSet) -> torch.Tensor:
        if ns is not self._ns:
            self._ns = self._z = self._out = None  # free the previous set's graph before recording the next
            with torch.enable_grad():
                z = self.z_star[ns.rows].detach().requires_grad_()
                self._out = self.block.step(self.ctx, z, ns)
            self._ns, self._z = ns, z
        assert self._out is not None and self._z is not None
        (vjp,) = torch.autograd.grad(self._out, self._z, g, retain_graph=True)
        return vjp + self.grad[ns.rows]


def adjoint_solve(block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z_star: torch.Tensor,
                  grad: torch.Tensor, solver: str, options: dict[str, Any]) -> tuple[torch.Tensor, SolverStats]:
    """Solve ``g = J_f(z*)^T g + grad`` per tree; ``ctx`` must be detached."""
    with torch.no_grad():
        if block.acyclic and solver == "picard":
            return _adjoint_wavefront(block, ctx, graph, z_star, grad)
        return solve(solver, AdjointMap(block, ctx, graph, z_star, grad), grad.clone(), **options)


def _adjoint_wavefront(block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z_star: torch.Tensor,
                       grad: torch.Tensor) -> tuple[torch.Tensor, SolverStats]:
    """Acyclic adjoint: gradients flow from parents to children, level by level from the top."""
    gbar = grad.clone()
    evals = 0
    for h in range(graph.max_height, 0, -1):
        ns = graph.level(h)
        if ns.child.numel() == 0:
            continue
        with torch.enable_grad():
            zc = z_star.index_select(0, ns.child).detach().requires_grad_()
            out = block.compute(ctx, ns, zc, None, None)
            (gc,) = torch.autograd.grad(out, zc, gbar[ns.rows])
        gbar.index_add_(0, ns.child, gc)
        evals += ns.n
    T, dev = graph.num_trees, graph.device
    bad_rows = ~torch.isfinite(gbar).all(-1)
    bad = torch.zeros(T, dtype=torch.long, device=dev).index_add_(0, graph.tree, bad_rows.long()) > 0
    res = torch.where(bad, torch.full((T,), float("nan"), dtype=gbar.dtype, device=dev),
                      torch.zeros(T, dtype=gbar.dtype, device=dev))
    return gbar, SolverStats("picard", graph.batch.tree_height + 1, ~bad, bad, res, res.clone(), evals, None)


def attach_implicit(block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z_star: torch.Tensor, *, solver: str,
                    options: dict[str, Any], on_stats: Callable[[SolverStats], None]) -> torch.Tensor:
    """``f(z*)`` under autograd, whose backward solves the adjoint fixed point instead of unrolling."""
    z_star = z_star.detach()
    out = block.step(ctx, z_star, graph.full())
    if not out.requires_grad:
        return out
    ctx_det = ctx.detach()

    def hook(grad: torch.Tensor) -> torch.Tensor:
        gbar, stats = adjoint_solve(block, ctx_det, graph, z_star, grad, solver, options)
        on_stats(stats)
        return gbar

    out.register_hook(hook)
    return out


def phantom_steps(block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z_star: torch.Tensor, steps: int,
                  damping: float) -> torch.Tensor:
    """``steps`` damped applications of ``f`` from ``z*`` under autograd (phantom gradient / JFB)."""
    if steps < 1:
        raise ValueError("phantom_steps must be >= 1")
    z = z_star.detach()
    ns = graph.full()
    for _ in range(steps):
        fz = block.step(ctx, z, ns)
        z = fz if damping == 1.0 else z + damping * (fz - z)
    return z


def residual_per_tree(block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z: torch.Tensor
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Measured ``(abs, rel)`` residual ``||f(z) - z||`` of every tree (no autograd)."""
    with torch.no_grad():
        fz = block.step(ctx.detach(), z.detach(), graph.full())
        return tree_residuals(fz, z.detach(), graph.tree, graph.num_trees)
