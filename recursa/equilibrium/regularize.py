"""Training-time diagnostics and penalties of the fixed-point map at ``z*``.

* :func:`jacobian_penalty`: Hutchinson estimate of ``||J_f(z*)||_F^2 / (N d)`` (differentiable: add it to the loss
  to keep the map contractive around its fixed points);
* :func:`spectral_radius`: power-iteration estimate of the spectral radius of ``J_f(z*)`` per tree
  (below 1: Picard converges locally; 0 for the bottom-up block, whose Jacobian is nilpotent).
"""

from __future__ import annotations

import torch

from recursa.equilibrium.block import BlockContext, TreeBlock
from recursa.equilibrium.solvers import segment_norm
from recursa.equilibrium.structure import TreeGraph


def jacobian_penalty(block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z_star: torch.Tensor,
                     samples: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """Unbiased estimate of the mean squared Jacobian entry sum ``||J||_F^2 / numel`` (differentiable)."""
    z = z_star.detach().requires_grad_()
    with torch.enable_grad():
        out = block.step(ctx, z, graph.full())
        total = out.new_zeros(())
        for _ in range(samples):
            eps = torch.randn(out.shape, dtype=out.dtype, device=out.device, generator=generator)
            (vjp,) = torch.autograd.grad(out, z, eps, create_graph=True, retain_graph=True)
            total = total + vjp.pow(2).sum() / eps.numel()
    return total / samples


def spectral_radius(block: TreeBlock, ctx: BlockContext, graph: TreeGraph, z_star: torch.Tensor,
                    iters: int = 30, generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-tree estimate ``||J^k v||^(1/k)`` of the spectral radius of ``J_f(z*)`` (power iteration on ``J^T``).

    Trees are independent blocks of the Jacobian, so one batched power iteration serves them all."""
    T = graph.num_trees
    ctx = ctx.detach()
    with torch.enable_grad():
        z = z_star.detach().requires_grad_()
        out = block.step(ctx, z, graph.full())
    v = torch.randn(out.shape, dtype=out.dtype, device=out.device, generator=generator)
    v = v / segment_norm(v, graph.tree, T).clamp_min(1e-30)[graph.tree].unsqueeze(-1)
    log_growth = torch.zeros(T, dtype=out.dtype, device=out.device)
    dead = torch.zeros(T, dtype=torch.bool, device=out.device)
    for _ in range(iters):
        (w,) = torch.autograd.grad(out, z, v, retain_graph=True)
        norm = segment_norm(w, graph.tree, T)
        dead = dead | (norm <= 1e-300)
        log_growth = log_growth + torch.log(norm.clamp_min(1e-300))
        v = w / norm.clamp_min(1e-300)[graph.tree].unsqueeze(-1)
    est = torch.exp(log_growth / max(iters, 1))
    return torch.where(dead, torch.zeros_like(est), est).detach()
