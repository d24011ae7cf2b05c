"""Solvers, per-tree stopping, backward modes and the block's structural promises."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recursa.equilibrium.bench import random_tree
from recursa.equilibrium.block import CHILD_INIT_GAIN, TreeBlock
from recursa.equilibrium.implicit import TreeMap
from recursa.equilibrium.memory import peak_saved_bytes
from recursa.equilibrium.model import RecursaConfig, RecursaForTreeClassification, RecursaModel
from recursa.equilibrium.regularize import jacobian_penalty, spectral_radius
from recursa.equilibrium.solvers import SOLVERS, get_solver, register_solver, solve
from recursa.equilibrium.structure import NodeSet, TreeGraph, tree_graph
from recursa.trees.batch import TreeBatch

CYCLIC = dict(top_down=True, self_term=True, cyclic_gain=0.3)


pytestmark = pytest.mark.usefixtures("one_thread")


def mixed_batch(heights: list[int], seed: int = 0, extra: int = 6) -> TreeBatch:
    rng = np.random.default_rng(seed)
    # a spine of exactly height h plus ``extra`` random nodes (none for a lone root)
    parents = [random_tree(rng, h, h + 1 + (extra if h else 0)).tolist() for h in heights]
    kinds = [list(rng.integers(1, 50, len(p))) for p in parents]
    tokens = [list(rng.integers(0, 300, len(p))) for p in parents]
    return TreeBatch.from_parent_lists(parents, kinds=kinds, tokens=tokens)


def model_for(dtype: torch.dtype = torch.float32, seed: int = 0, **kw) -> RecursaModel:
    torch.manual_seed(seed)
    cfg = RecursaConfig(hidden_size=kw.pop("hidden_size", 12), **kw)
    return RecursaModel(cfg).to(dtype)


def problem(model: RecursaModel, batch: TreeBatch) -> TreeMap:
    ctx = model.block.prepare(batch.kind, batch.token)
    return TreeMap(model.block, ctx.detach(), tree_graph(batch, model.config.rank_buckets))


# ---- iterations track nesting ---------------------------------------------------------------------------------

def test_bottom_up_picard_stops_each_tree_after_exactly_height_plus_one_iterations() -> None:
    heights = [0, 1, 2, 5, 9, 3, 14, 2]
    batch = mixed_batch(heights)
    model = model_for(torch.float64)
    with torch.no_grad():
        out = model(batch, trace=True)
    expected = torch.tensor(heights) + 1
    assert torch.equal(out.stats.iterations, expected)
    assert bool(out.stats.converged.all())
    # the wavefront schedule is an exact implementation of Jacobi Picard iteration: same states, same counts
    p = problem(model, batch)
    z0 = torch.zeros(batch.num_nodes, 12, dtype=torch.float64)
    with torch.no_grad():
        z_jacobi, st = solve("picard", p, z0, tol=1e-12, wavefront=False)
        z_batch, st_batch = solve("picard", p, z0, tol=1e-12, stop="batch")
    assert torch.equal(st.iterations, expected) and bool(st.converged.all())
    assert torch.allclose(z_jacobi, out.node_states, atol=1e-10)
    assert torch.allclose(z_batch, out.node_states, atol=1e-10)
    # ... while evaluating every node once instead of height+2 times (the whole batch: max height + 2)
    assert out.stats.node_evals == batch.num_nodes
    assert st_batch.node_evals == batch.num_nodes * (max(heights) + 2)
    assert st.node_evals < st_batch.node_evals
    # the trace shows each tree's updates stopping after its own height+1 steps
    tr = out.stats.trace
    assert tr.shape == (max(heights) + 1, len(heights))
    for t, h in enumerate(heights):
        assert bool(torch.isfinite(tr[: h + 1, t]).all()) and bool(torch.isnan(tr[h + 1:, t]).all())


@pytest.mark.parametrize("solver", ["picard", "anderson", "broyden"])
def test_per_tree_stopping_saves_work_and_matches_whole_batch_solution(solver: str) -> None:
    batch = mixed_batch([1, 2, 12, 3, 1, 2])
    model = model_for(torch.float64, **CYCLIC, solver=solver)
    p = problem(model, batch)
    z0 = torch.zeros(batch.num_nodes, 12, dtype=torch.float64)
    with torch.no_grad():
        zt, st = solve(solver, p, z0, **{**model.config.solver_options(), "tol": 1e-10})
        zb, sb = solve(solver, p, z0, **{**model.config.solver_options(), "tol": 1e-10, "stop": "batch"})
    assert bool(st.converged.all()) and bool(sb.converged.all())
    assert torch.allclose(zt, zb, atol=1e-7)
    assert st.node_evals < sb.node_evals
    assert int(st.iterations.min()) < int(sb.iterations.min())


def test_warm_start_from_the_fixed_point_needs_no_iterations() -> None:
    batch = mixed_batch([2, 6, 4])
    for kw in ({}, CYCLIC):
        model = model_for(torch.float64, **kw, tol=1e-9)
        with torch.no_grad():
            cold = model(batch)
            warm = model(batch, z0=cold.node_states)
        assert bool(warm.stats.converged.all())
        assert int(warm.stats.iterations.max()) <= 1
        assert torch.allclose(warm.node_states, cold.node_states, atol=1e-7)


def test_reported_residual_is_the_measured_one() -> None:
    """The wavefront reports a zero residual by construction; one more application of f agrees."""
    batch = mixed_batch([3, 7, 1], seed=3)
    for kw in ({}, CYCLIC):
        model = model_for(torch.float64, **kw, tol=1e-8)
        with torch.no_grad():
            out = model(batch)
            abs_res, rel_res = model.measured_residual(batch, out.node_states)
        assert bool((rel_res <= 1e-8 + 1e-12).all())
        if kw:
            assert torch.allclose(abs_res, out.stats.abs_residual)
        else:
            assert bool((out.stats.abs_residual == 0).all()) and bool((abs_res < 1e-12).all())


def test_max_iter_cut_reports_not_converged_with_measured_residual() -> None:
    batch = mixed_batch([2, 10])
    model = model_for(max_iter=5)
    with torch.no_grad():
        out = model(batch)
    assert out.stats.converged.tolist() == [True, False]
    assert float(out.stats.abs_residual[1]) > 0 and float(out.stats.abs_residual[0]) == 0


# ---- bad trees never crash and never look fine -----------------------------------------------------------------

class _ScalarMap:
    """z_v <- a_t * z_v + 1 for every node of tree t: converges iff |a_t| < 1."""

    acyclic = False

    def __init__(self, batch: TreeBatch, gains: list[float]) -> None:
        self.graph = TreeGraph(batch, 1)
        self.gain = torch.tensor(gains, dtype=torch.float64)

    def f(self, z: torch.Tensor, ns: NodeSet) -> torch.Tensor:
        return self.gain[ns.tree].unsqueeze(-1) * z + 1.0


@pytest.mark.parametrize("solver", ["picard", "anderson", "broyden"])
def test_diverging_and_non_finite_trees_are_flagged_not_raised(solver: str) -> None:
    batch = TreeBatch.from_parent_lists([[-1, 0], [-1, 0, 0], [-1]])
    p = _ScalarMap(batch, [0.5, 3.0, float("nan")])
    z, st = solve(solver, p, torch.zeros(batch.num_nodes, 2, dtype=torch.float64), tol=1e-10, max_iter=200)
    assert bool(st.converged[0]) and not bool(st.converged[2]) and bool(st.diverged[2])
    assert torch.allclose(z[batch.tree == 0], torch.full((2, 2), 2.0, dtype=torch.float64))
    if solver == "picard":  # iteration blows up on the expansive tree
        assert bool(st.diverged[1]) and not bool(st.converged[1])
    elif bool(st.converged[1]):  # a quasi-Newton method may find its (repelling) fixed point, -1/2: never a wrong one
        assert torch.allclose(z[batch.tree == 1], torch.full((3, 2), -0.5, dtype=torch.float64))


def test_nan_in_one_tree_leaves_the_others_intact() -> None:
    batch = TreeBatch.from_parent_lists([[-1, 0, 0], [-1, 0]], kinds=[[1, 2, 3], [4, 5]])
    for kw in ({}, CYCLIC):
        model = model_for(**kw)
        with torch.no_grad():
            model.block.kind_embed.weight[5] = float("nan")
            out = model(batch)
        assert out.stats.converged.tolist() == [True, False]
        assert bool(torch.isfinite(out.node_states[batch.tree == 0]).all())


# ---- the block ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("aggregation", ["sum", "fold", "sum+fold"])
def test_children_aggregation_is_order_aware_and_takes_any_fan_out(aggregation: str) -> None:
    # a - b vs b - a: same kinds and tokens, children swapped
    ab = TreeBatch.from_parent_lists([[-1, 0, 0], [-1, 0, 0]], kinds=[[3, 4, 5], [3, 5, 4]],
                                     tokens=[[0, 10, 11], [0, 11, 10]])
    model = model_for(aggregation=aggregation)
    with torch.no_grad():
        z = model(ab).tree_states
    assert not torch.allclose(z[0], z[1], atol=1e-4)
    wide = TreeBatch.from_parent_lists([[-1] + [0] * 1000], kinds=[[2] + [7] * 1000])
    with torch.no_grad():
        out = model(wide)
    assert bool(out.stats.converged.all()) and int(out.stats.iterations[0]) == 2
    assert bool(torch.isfinite(out.node_states).all())


@pytest.mark.parametrize("aggregation", ["sum", "sum+fold"])
def test_unnormalised_children_keep_multiplicities(aggregation: str) -> None:
    """``{3, 3}`` and ``{3, 3, 3, 3}``: a layer-normalised sum cannot tell them apart, the plain sum can."""
    two = TreeBatch.from_parent_lists([[-1, 0, 0]], kinds=[[3, 4, 4]], tokens=[[0, 4, 4]])
    four = TreeBatch.from_parent_lists([[-1, 0, 0, 0, 0]], kinds=[[3, 4, 4, 4, 4]], tokens=[[0, 4, 4, 4, 4]])
    states = {}
    for norm in ("layer", "none"):
        model = model_for(aggregation=aggregation, child_norm=norm, rank_buckets=1)
        with torch.no_grad():
            states[norm] = (model(two).tree_states[0], model(four).tree_states[0])
    if aggregation == "sum":
        assert torch.allclose(*states["layer"], atol=1e-5)
    assert not torch.allclose(*states["none"], atol=1e-3)


def test_no_absolute_depth_input_same_subtree_same_state() -> None:
    """A subtree's state does not depend on how deep it sits (bottom-up block)."""
    shallow = TreeBatch.from_parent_lists([[-1, 0, 0]], kinds=[[3, 4, 5]])
    deep = TreeBatch.from_parent_lists([[-1, 0, 1, 2, 3, 3]], kinds=[[9, 9, 9, 3, 4, 5]])
    model = model_for()
    with torch.no_grad():
        zs = model(shallow).tree_states[0]
        zd = model(deep).node_states
    sub_root = int(torch.nonzero(deep.kind == 3).flatten()[0])
    assert torch.allclose(zs, zd[sub_root], atol=1e-5)


# ---- backward ------------------------------------------------------------------------------------------------

def _grads(batch: TreeBatch, backward: str, solver: str, cfg: dict
           ) -> tuple[torch.Tensor, RecursaForTreeClassification]:
    torch.manual_seed(3)
    config = RecursaConfig(hidden_size=8, num_labels=3, backward=backward, solver=solver, backward_solver=solver,
                           tol=1e-13, backward_tol=1e-13, max_iter=3000, backward_max_iter=3000, **cfg)
    model = RecursaForTreeClassification(config).double()
    model.train()
    labels = torch.arange(batch.num_trees) % 3
    model(batch, labels=labels).loss.backward()
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]), model


@pytest.mark.parametrize("solver", ["picard", "anderson", "broyden"])
@pytest.mark.parametrize("cfg", [CYCLIC, {}, dict(aggregation="sum+fold", child_norm="none")],
                         ids=["cyclic", "bottom_up", "sum_fold"])
def test_implicit_gradient_matches_unrolled_autograd_float64(solver: str, cfg: dict) -> None:
    batch = mixed_batch([0, 2, 4, 3], seed=5, extra=3)
    g_unrolled, _ = _grads(batch, "unrolled", solver, cfg)
    g_implicit, model = _grads(batch, "implicit", solver, cfg)
    rel = float((g_unrolled - g_implicit).norm() / g_unrolled.norm())
    assert rel < 1e-5
    stats = model.last_backward_stats
    assert stats is not None and bool(stats.converged.all())
    if not cfg and solver == "picard":
        assert torch.equal(stats.iterations, batch.tree_height + 1)


def test_phantom_gradient_approaches_implicit_with_more_steps() -> None:
    batch = mixed_batch([1, 3, 5], seed=6, extra=3)
    g_implicit, _ = _grads(batch, "implicit", "picard", CYCLIC)
    errs = []
    for k in (1, 4, 16):
        g, model = _grads(batch, "phantom", "picard", {**CYCLIC, "phantom_steps": k,
                                                        "phantom_damping": 1.0 if k == 1 else 0.8})
        assert model.last_backward_stats is None
        errs.append(float((g - g_implicit).norm() / g_implicit.norm()))
    assert torch.nn.functional.cosine_similarity(g, g_implicit, dim=0) > 0.99
    assert errs[2] < errs[0] and errs[2] < 1e-3


def _heap_preorder(n: int) -> list[int]:
    """Pre-order parent list of the complete binary tree with ``n`` nodes."""
    order, stack = [], [0]
    while stack:
        v = stack.pop()
        order.append(v)
        stack.extend(c for c in (2 * v + 2, 2 * v + 1) if c < n)
    pos = {v: i for i, v in enumerate(order)}
    return [-1 if v == 0 else pos[(v - 1) // 2] for v in order]


@pytest.mark.slow
def test_deep_tree_of_height_10000_trains_in_bounded_memory() -> None:
    """A chain 10,000 deep and a bushy tree of the same size keep the same saved-for-backward bytes (implicit)."""
    torch.manual_seed(0)
    n = 10_001
    chain = TreeBatch.from_preorder(np.arange(-1, n - 1), np.full(n, 3))
    bushy = TreeBatch.from_parent_lists([_heap_preorder(n)], kinds=[[3] * n])
    assert chain.max_height == 10_000 and bushy.max_height == 13
    model = RecursaForTreeClassification(RecursaConfig(hidden_size=8, num_labels=2, max_iter=20_000))
    stats = {}

    def step(batch: TreeBatch) -> None:
        out = model(batch, labels=torch.tensor([1]))
        out.loss.backward()
        stats["fwd"], stats["bwd"] = out.stats, model.last_backward_stats

    deep_bytes = peak_saved_bytes(lambda: step(chain))
    assert int(stats["fwd"].iterations[0]) == 10_001 and bool(stats["fwd"].converged[0])
    assert int(stats["bwd"].iterations[0]) == 10_001 and bool(stats["bwd"].converged[0])
    grad = model.recursa.block.kind_embed.weight.grad
    assert grad is not None and bool(torch.isfinite(grad).all())
    assert bool(grad[3].any()) and not grad[:3].any() and not grad[4:].any()  # every node has kind 3
    shallow_bytes = peak_saved_bytes(lambda: step(bushy))
    assert deep_bytes <= 1.25 * shallow_bytes
    # and far below what storing 10,001 iterations of an n x 8 float state would take
    assert deep_bytes < n * 8 * 4 * 100


def test_unrolled_memory_grows_with_iterations_implicit_does_not() -> None:
    batch = mixed_batch([3, 3, 3], seed=2)
    peaks = {}
    for mode in ("unrolled", "implicit"):
        for tol in (1e-2, 1e-8):
            torch.manual_seed(0)
            model = RecursaForTreeClassification(RecursaConfig(hidden_size=8, num_labels=2, backward=mode, tol=tol,
                                                               **CYCLIC)).double()
            peaks[mode, tol] = peak_saved_bytes(
                lambda m=model: m(batch, labels=torch.tensor([0, 1, 0])).loss.backward())
    assert peaks["unrolled", 1e-8] > 1.5 * peaks["unrolled", 1e-2]
    assert peaks["implicit", 1e-8] <= 1.25 * peaks["implicit", 1e-2]


# ---- regularisers ----------------------------------------------------------------------------------------------

def test_spectral_radius_zero_for_bottom_up_and_below_one_for_contractive() -> None:
    batch = mixed_batch([2, 5], seed=1)
    frob = {**CYCLIC, "cyclic_norm": "frobenius", "cyclic_gain": 0.9}
    for kw, check in (({}, lambda r: bool((r < 1e-6).all())), (CYCLIC, lambda r: bool((r < 1.0).all())),
                      (frob, lambda r: bool((r < 1.0).all()))):
        model = model_for(torch.float64, **kw)
        p = problem(model, batch)
        with torch.no_grad():
            z = model(batch).node_states
        rho = spectral_radius(model.block, p.ctx, p.graph, z, iters=40)
        assert rho.shape == (2,) and check(rho), rho


def test_jacobian_penalty_is_the_probed_jacobian_norm_and_its_gradient_matches_finite_differences() -> None:
    batch = mixed_batch([2, 3], seed=4)
    torch.manual_seed(0)
    model = RecursaForTreeClassification(RecursaConfig(hidden_size=8, num_labels=2, jac_reg_weight=0.5, **CYCLIC))
    model = model.double()
    model.train()
    labels = torch.tensor([0, 1])
    out = model(batch, labels=labels)
    # the model adds the weighted penalty to the classification loss
    assert out.jac_loss is not None
    expected = F.cross_entropy(out.logits, labels) + 0.5 * out.jac_loss
    assert torch.allclose(out.loss, expected, rtol=0, atol=1e-12)

    block = model.recursa.block
    graph = tree_graph(batch, 8)
    z = out.node_states.detach()

    def penalty() -> torch.Tensor:
        ctx = block.prepare(batch.kind, batch.token)
        return jacobian_penalty(block, ctx, graph, z, samples=3, generator=torch.Generator().manual_seed(5))

    # the estimate is (1/samples) sum ||eps^T J||^2 / numel over the probes eps, with J the full Jacobian
    ctx = block.prepare(batch.kind, batch.token)
    jac = torch.autograd.functional.jacobian(lambda v: block.step(ctx, v, graph.full()), z).reshape(z.numel(), -1)
    probes = torch.Generator().manual_seed(5)
    eps = [torch.randn(z.shape, dtype=z.dtype, generator=probes).reshape(-1) for _ in range(3)]
    exact = sum(float((e @ jac).pow(2).sum()) for e in eps) / (3 * z.numel())
    assert penalty().item() == pytest.approx(exact, rel=1e-10)
    assert exact > 1e-6  # the cyclic block's Jacobian is not nilpotent

    weight = block.parent_map.weight
    weight.grad = None
    penalty().backward()
    grad = weight.grad.clone()
    h = 1e-6
    for index in [(0, 0), (3, 5), (7, 2)]:
        with torch.no_grad():
            weight[index] += h
            up = penalty().item()
            weight[index] -= 2 * h
            down = penalty().item()
            weight[index] += h
        assert float(grad[index]) == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9), (index, up, down)


# ---- registry ----------------------------------------------------------------------------------------------------

def test_solver_registry_is_plain_functions() -> None:
    assert {"picard", "anderson", "broyden"} <= set(SOLVERS)
    with pytest.raises(ValueError, match="unknown solver"):
        get_solver("newton")

    @register_solver("half_picard")
    def half_picard(problem, z0, **kw):
        return get_solver("picard")(problem, z0, damping=0.5, **kw)

    try:
        batch = TreeBatch.from_parent_lists([[-1, 0]])
        z, st = solve("half_picard", _ScalarMap(batch, [0.5]), torch.zeros(2, 1, dtype=torch.float64), tol=1e-12)
        assert bool(st.converged.all()) and torch.allclose(z, torch.full((2, 1), 2.0, dtype=torch.float64))
        with pytest.raises(TypeError):
            solve("picard", _ScalarMap(batch, [0.5]), torch.zeros(2, 1), bogus_option=1)
    finally:
        SOLVERS.pop("half_picard")


@dataclass(frozen=True)
class _RelaxedOptions:
    relax: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.relax <= 1:
            raise ValueError("relax must be in (0, 1]")


def test_registered_solver_takes_its_declared_options_from_the_config() -> None:
    seen: list[float] = []

    @register_solver("relaxed", _RelaxedOptions)
    def relaxed(problem, z0, *, relax: float = _RelaxedOptions.relax, **common):
        seen.append(relax)
        return get_solver("picard")(problem, z0, damping=relax, wavefront=False, **common)

    try:
        cfg = RecursaConfig(hidden_size=8, solver="relaxed", solver_kwargs={"relax": 0.5})
        assert cfg.solver_options()["relax"] == 0.5
        assert RecursaConfig(hidden_size=8, solver="relaxed").solver_options()["relax"] == 1.0
        torch.manual_seed(0)
        model = RecursaModel(cfg).double()
        with torch.no_grad():
            out = model(mixed_batch([1, 3]))
        assert seen == [0.5] and bool(out.stats.converged.all())
        # names and values the solver does not declare are refused when the config is built, not at the solve
        with pytest.raises(ValueError, match="no option.*relaxx.*its options: relax"):
            RecursaConfig(solver="relaxed", solver_kwargs={"relaxx": 0.5})
        with pytest.raises(ValueError, match="relax must be in"):
            RecursaConfig(solver="relaxed", solver_kwargs={"relax": 2.0})
        with pytest.raises(ValueError, match="must be a float"):
            RecursaConfig(solver="relaxed", solver_kwargs={"relax": "half"})
        # the picard options are not the relaxed solver's: switching solver does not carry them over silently
        with pytest.raises(ValueError, match="no option.*damping"):
            RecursaConfig(solver="relaxed", solver_kwargs={"damping": 0.5})
    finally:
        SOLVERS.pop("relaxed")


def test_configs_saved_with_the_old_solver_keys_keep_their_settings(tmp_path) -> None:
    """The shipped config.json files name solver options at the top level; they mean what they meant."""
    old = dict(hidden_size=8, solver="anderson", backward_solver="anderson", anderson_m=3, anderson_beta=0.9,
               broyden_memory=7, damping=0.5)
    cfg = RecursaConfig(**old)
    assert {k: cfg.solver_options()[k] for k in ("m", "beta")} == {"m": 3, "beta": 0.9}
    assert cfg.solver_options(backward=True)["m"] == 3
    picard_cfg = RecursaConfig(hidden_size=8, damping=0.5)
    assert picard_cfg.solver_options()["damping"] == 0.5
    assert picard_cfg.solver_options(backward=True)["damping"] == 1.0  # the adjoint always ran undamped
    cfg.save_pretrained(tmp_path)
    assert RecursaConfig.from_pretrained(tmp_path).solver_options() == cfg.solver_options()


@pytest.mark.parametrize("solver", sorted(["picard", "anderson", "broyden"]))
@pytest.mark.parametrize("cyclic", [False, True])
def test_cold_start_gives_the_warm_from_zeros_answer_for_every_solver(solver: str, cyclic: bool) -> None:
    batch = mixed_batch([0, 2, 5], seed=4)
    model = model_for(torch.float64, solver=solver, tol=1e-9, **(CYCLIC if cyclic else {}))
    p = problem(model, batch)
    z0 = torch.zeros(batch.num_nodes, 12, dtype=torch.float64)
    opts = model.config.solver_options()
    with torch.no_grad():
        z_warm, st_warm = solve(solver, p, z0, **opts, cold_start=False)
        z_cold, st_cold = solve(solver, p, z0, **opts, cold_start=True)
    assert torch.equal(z_cold, z_warm) and torch.equal(st_cold.iterations, st_warm.iterations)
    if solver == "picard" and not cyclic:
        # the wavefront skips its warm-start check: one application of f to every node fewer
        assert st_cold.node_evals == st_warm.node_evals - batch.num_nodes
    else:
        assert st_cold.node_evals == st_warm.node_evals


def test_standalone_block_and_model_block_start_from_the_same_initialisation() -> None:
    """One initialisation: children reach their parent at gain CHILD_INIT_GAIN, cyclic weights are orthogonal."""
    torch.manual_seed(0)
    standalone = TreeBlock(8, 60, 400, top_down=True, aggregation="sum+fold")
    torch.manual_seed(0)
    inside = RecursaModel(RecursaConfig(hidden_size=8, kind_vocab_size=60, token_vocab_size=400, top_down=True,
                                        aggregation="sum+fold")).block
    for block in (standalone, inside):
        assert torch.allclose(torch.linalg.svdvals(block.child_proj.weight), torch.full((8,), CHILD_INIT_GAIN))
        assert block.parent_map is not None
        assert torch.allclose(torch.linalg.svdvals(block.parent_map.weight), torch.ones(8), atol=1e-5)
        assert torch.allclose(block.parent_map.u, torch.full((8,), 8 ** -0.5))
        assert block.combine is not None and bool((block.combine.skip_left.bias == 0).all())
        assert bool((block.ffn_in.bias == 0).all()) and abs(float(block.ffn_in.weight.detach().std()) - 0.02) < 0.005


def test_block_works_on_its_own_and_a_node_reads_only_its_children() -> None:
    torch.manual_seed(0)
    block = TreeBlock(8, 60, 400)
    batch = mixed_batch([1, 4])
    graph = TreeGraph(batch, block.rank_buckets)
    ctx = block.prepare(batch.kind, batch.token)
    z = torch.randn(batch.num_nodes, 8)
    out = block.step(ctx, z, graph.full())
    assert out.shape == (batch.num_nodes, 8) and block.acyclic and bool(torch.isfinite(out).all())
    parent = batch.parent.tolist()
    # moving one node's state changes its parent's update and nothing else (not even in another tree)
    for v in range(batch.num_nodes):
        moved = z.clone()
        moved[v] += 1.0
        changed = (block.step(ctx, moved, graph.full()) != out).any(-1).nonzero().flatten().tolist()
        assert changed == ([parent[v]] if parent[v] >= 0 else []), v


def test_fold_aggregation_reduces_children_pairwise_in_rank_order() -> None:
    """The vectorised fold equals a plain balanced pairwise reduction of each child list, whatever the fan-out."""
    torch.manual_seed(0)
    block = TreeBlock(6, 60, 400, aggregation="fold").double()
    fanouts = [1, 2, 3, 5, 8, 9, 17]
    parents = [[-1] + [0] * k for k in fanouts]
    batch = TreeBatch.from_parent_lists(parents, kinds=[[1] + list(range(2, 2 + k)) for k in fanouts])
    graph = TreeGraph(batch, block.rank_buckets)
    ns = graph.full()
    msg = torch.randn(int(ns.child.shape[0]), 6, dtype=torch.float64)
    with torch.no_grad():
        agg = block._fold(msg, ns)
    for t, k in enumerate(fanouts):
        root = int(batch.tree_root[t])
        edges = torch.nonzero(ns.slot == root).flatten()
        items = [msg[e] for e in edges[torch.argsort(ns.rank[edges])]]
        while len(items) > 1:
            nxt = [block.combine(items[i][None], items[i + 1][None])[0] for i in range(0, len(items) - 1, 2)]
            items = nxt + ([items[-1]] if len(items) % 2 else [])
        with torch.no_grad():
            assert torch.allclose(agg[root], items[0], atol=1e-12), k


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("cfg", [{}, CYCLIC], ids=["bottom_up", "cyclic"])
def test_cuda_matches_cpu(cfg: dict) -> None:
    batch = mixed_batch([1, 4, 9, 2], seed=7)
    torch.manual_seed(0)
    model = RecursaForTreeClassification(RecursaConfig(hidden_size=16, num_labels=3, tol=1e-6, **cfg)).double()
    labels = torch.tensor([0, 1, 2, 0])
    out_cpu = model(batch, labels=labels)
    out_cpu.loss.backward()
    g_cpu = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    model.zero_grad(set_to_none=True)
    model.cuda()
    out_gpu = model(batch.to("cuda"), labels=labels.cuda())
    out_gpu.loss.backward()
    g_gpu = [p.grad.cpu() for p in model.parameters() if p.grad is not None]
    # same iteration counts up to rounding at the tolerance boundary, same answers to well within it
    assert int((out_gpu.stats.iterations.cpu() - out_cpu.stats.iterations).abs().max()) <= 1
    assert torch.allclose(out_gpu.logits.cpu(), out_cpu.logits, atol=1e-5)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(g_cpu, g_gpu))
