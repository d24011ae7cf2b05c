"""Fixed-point solvers with per-tree stopping: a registry of plain functions.

A solver is ``fn(problem, z0, *, max_iter, tol, abs_tol, stop, trace, diverge_factor, cold_start,
**own_options) -> (z, SolverStats)``, registered with ``register_solver(name, OptionsDataclass)``: the frozen
dataclass declares the solver's own options (names, types, defaults, checks), so a config can supply them by name
(``RecursaConfig.solver_kwargs``) and an unknown name raises. ``problem`` exposes ``graph`` (a
:class:`TreeGraph`), ``acyclic`` and ``f(z, ns)``: the map evaluated on the nodes of a :class:`NodeSet`, reading
the state tensor ``ns`` indexes.

>>> from recursa.equilibrium.solvers import solver_spec
>>> solver_spec("anderson").make_options({"m": 3})
AndersonOptions(m=3, beta=1.0, lam=0.0001)

Conventions shared by every solver:

* The residual of an iterate ``z`` is ``f(z) - z``, reduced per tree: ``abs = ||f(z) - z||``,
  ``rel = abs / ||f(z)||`` (Frobenius over the tree's nodes). A tree converges when ``rel <= tol`` or
  ``abs <= abs_tol``. ``iterations[t]`` is the index ``k`` of the iterate returned for tree ``t`` (``k``
  applications of the solver's update from ``z0``), and the residuals reported are that iterate's own.
* ``stop="tree"``: a tree that converged, diverged (non-finite residual, or ``diverge_factor`` times its first)
  or hit ``max_iter`` leaves the active set; the solver then works on a compact state holding only the nodes of
  the remaining trees. ``stop="batch"``: the whole batch iterates until every tree is done (the TorchDEQ
  behaviour, kept as a baseline).
* Nothing raises on a bad tree: it comes back with ``converged=False`` (and ``diverged=True`` when non-finite or
  blowing up).
* ``cold_start=True`` promises that ``z0`` carries no information (zeros): a solver may skip work that only pays
  off for a warm start. Every solver accepts it, so callers pass it without asking which solver runs.

``picard`` on an acyclic problem (bottom-up block, damping 1, per-tree stopping) runs as a *wavefront*: iteration
``k`` evaluates only level ``k-1``, the one level whose inputs have just become final. It returns the same states
and the same per-tree counts (height+1) as Jacobi Picard iteration, evaluating every node once instead of
``height+1`` times; the residual of the result is zero by construction (reported as 0; a max_iter cut is measured).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol

import torch

from recursa.equilibrium.structure import NodeSet, TreeGraph

STOP_MODES = ("tree", "batch")


class FixedPointProblem(Protocol):
    graph: TreeGraph
    acyclic: bool

    def f(self, z: torch.Tensor, ns: NodeSet) -> torch.Tensor: ...


@dataclass(frozen=True)
class SolverStats:
    """Per-tree outcome of a solve (all tensors of length ``T``, on the batch's device)."""

    solver: str
    iterations: torch.Tensor
    converged: torch.Tensor
    diverged: torch.Tensor
    abs_residual: torch.Tensor
    rel_residual: torch.Tensor
    node_evals: int
    trace: torch.Tensor | None = None  # [K, T] abs residual per iteration, NaN once a tree has stopped

    @property
    def num_trees(self) -> int:
        return int(self.iterations.shape[0])

    def summary(self) -> dict[str, Any]:
        it = self.iterations.double()
        n = self.num_trees
        return {
            "solver": self.solver,
            "trees": n,
            "converged_fraction": float(self.converged.double().mean()) if n else 1.0,
            "diverged": int(self.diverged.sum()),
            "iterations_mean": float(it.mean()) if n else 0.0,
            "iterations_max": int(self.iterations.max()) if n else 0,
            "node_evals": self.node_evals,
        }

    def to_json(self) -> dict[str, Any]:
        def floats(t: torch.Tensor) -> list[float | None]:
            return [None if v != v else v for v in t.double().tolist()]

        out: dict[str, Any] = {
            "solver": self.solver,
            "iterations": self.iterations.tolist(),
            "converged": self.converged.tolist(),
            "diverged": self.diverged.tolist(),
            "abs_residual": floats(self.abs_residual),
            "rel_residual": floats(self.rel_residual),
            "node_evals": self.node_evals,
        }
        if self.trace is not None:
            out["trace"] = [floats(row) for row in self.trace]
        return out


SolverFn = Callable[..., tuple[torch.Tensor, SolverStats]]

#: Keywords every solver takes (the conventions above); everything else a solver takes is its own option.
COMMON_OPTIONS = ("max_iter", "tol", "abs_tol", "stop", "trace", "diverge_factor", "cold_start")


@dataclass(frozen=True)
class NoOptions:
    """The options of a solver that declares none."""


@dataclass(frozen=True)
class SolverSpec:
    """A registered solver: the function and the frozen dataclass that declares its own options (names, types,
    defaults; its ``__post_init__`` rejects bad values)."""

    name: str
    fn: SolverFn
    options: type

    def option_names(self) -> list[str]:
        return [f.name for f in fields(self.options)]

    def make_options(self, values: Mapping[str, Any]) -> Any:
        """The solver's options dataclass from ``values`` (defaults for the rest); an unknown name raises
        ``TypeError`` naming the ones this solver has."""
        unknown = sorted(set(values) - set(self.option_names()))
        if unknown:
            have = ", ".join(self.option_names()) or "none"
            raise TypeError(f"solver {self.name!r} has no option(s) {', '.join(unknown)} (its options: {have})")
        for f in fields(self.options):
            if f.name in values and not _same_kind(values[f.name], f.default):
                raise TypeError(f"solver {self.name!r} option {f.name} must be a {type(f.default).__name__} "
                                f"(like its default {f.default!r}), got {values[f.name]!r}")
        return self.options(**values)


def _same_kind(value: Any, default: Any) -> bool:
    """Whether ``value`` fits an option whose default is ``default`` (an int where a float is expected is fine)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


SOLVERS: dict[str, SolverSpec] = {}


def register_solver(name: str, options: type = NoOptions) -> Callable[[SolverFn], SolverFn]:
    """Register ``fn(problem, z0, *, <COMMON_OPTIONS>, <fields of options>)`` as solver ``name``.

    ``options`` is a frozen dataclass declaring the solver's own keyword options; a config supplies them by name
    (``RecursaConfig.solver_kwargs``) and unknown names raise."""
    def deco(fn: SolverFn) -> SolverFn:
        SOLVERS[name] = SolverSpec(name, fn, options)
        return fn
    return deco


def get_solver(name: str) -> SolverFn:
    return solver_spec(name).fn


def solver_spec(name: str) -> SolverSpec:
    """The registered solver ``name`` with its options declaration; an unknown name lists the known ones."""
    try:
        return SOLVERS[name]
    except KeyError:
        raise ValueError(f"unknown solver {name!r}; known: {', '.join(sorted(SOLVERS))}") from None


def segment_norm(x: torch.Tensor, seg: torch.Tensor, num: int) -> torch.Tensor:
    """Frobenius norm of the rows of ``x`` grouped by ``seg`` (length ``num``)."""
    sq = (x * x).sum(-1) if x.dim() > 1 else x * x
    return torch.zeros(num, dtype=x.dtype, device=x.device).index_add_(0, seg, sq).sqrt()


def segment_dot(a: torch.Tensor, b: torch.Tensor, seg: torch.Tensor, num: int) -> torch.Tensor:
    return torch.zeros(num, dtype=a.dtype, device=a.device).index_add_(0, seg, (a * b).sum(-1))


def tree_residuals(fx: torch.Tensor, x: torch.Tensor, tree: torch.Tensor, num_trees: int
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The residual of iterate ``x`` (with ``fx = f(x)``) per tree: ``(abs, rel)``, ``abs = ||f(x) - x||`` and
    ``rel = abs / ||f(x)||`` (Frobenius over the rows of each tree, ``tree`` giving the tree of every row).

    The one definition every solver, the adjoint and ``measured_residual`` report. ``rel`` is 0 where ``abs`` is:
    a tree whose map is zero at its fixed point has converged, not a 0/0."""
    abs_t = segment_norm(fx - x, tree, num_trees)
    rel_t = abs_t / segment_norm(fx, tree, num_trees).clamp_min(torch.finfo(x.dtype).tiny)
    return abs_t, torch.where(abs_t == 0, torch.zeros_like(rel_t), rel_t)


class _Tracker:
    """Per-tree bookkeeping shared by the solvers: residuals, stopping, compaction, write-back."""

    def __init__(self, name: str, problem: FixedPointProblem, z0: torch.Tensor, *, max_iter: int, tol: float,
                 abs_tol: float, stop: str, trace: bool, diverge_factor: float) -> None:
        if stop not in STOP_MODES:
            raise ValueError(f"stop must be one of {STOP_MODES}, got {stop!r}")
        if max_iter < 0:
            raise ValueError("max_iter must be >= 0")
        g = problem.graph
        self.name, self.problem, self.graph = name, problem, g
        self.max_iter, self.tol, self.abs_tol, self.stop = max_iter, tol, abs_tol, stop
        self.diverge_factor = diverge_factor
        T, dev = g.num_trees, g.device
        self.z = z0.clone()
        self.iterations = torch.zeros(T, dtype=torch.long, device=dev)
        self.converged = torch.zeros(T, dtype=torch.bool, device=dev)
        self.diverged = torch.zeros(T, dtype=torch.bool, device=dev)
        nan = torch.full((T,), float("nan"), dtype=z0.dtype, device=dev)
        self.abs_res, self.rel_res, self.first = nan.clone(), nan.clone(), nan.clone()
        self.active = torch.ones(T, dtype=torch.bool, device=dev)
        self.ns = g.trees(self.active) if stop == "tree" else g.full()
        self.trace: list[torch.Tensor] | None = [] if trace else None
        self.node_evals = 0
        # best iterate per tree: what a tree that fails (cap, blow-up) returns, with that iterate's own residual
        self.best_abs = torch.full((T,), float("inf"), dtype=z0.dtype, device=dev)
        self.best_rel = self.best_abs.clone()
        self.best_k = torch.zeros(T, dtype=torch.long, device=dev)
        self.last_abs = self.best_abs.clone()
        self.best_x: torch.Tensor | None = None

    def initial(self) -> torch.Tensor:
        """The starting state in the active set's index space."""
        return self.z[self.ns.rows]

    def evaluate(self, xs: torch.Tensor) -> torch.Tensor:
        self.node_evals += self.ns.n
        return self.problem.f(xs, self.ns)

    def check(self, k: int, xs: torch.Tensor, fx: torch.Tensor) -> tuple[bool, torch.Tensor | None]:
        """Record the residual of iterate ``k-1`` (``xs``, with ``fx = f(xs)``). Returns ``(done, keep)``:
        ``keep`` are the local rows that stay active when the active set shrank, else ``None``."""
        T, ns = self.graph.num_trees, self.ns
        with torch.no_grad():
            abs_t, rel_t = tree_residuals(fx.detach(), xs.detach(), ns.tree, T)
            active = self.active
            if self.trace is not None:
                self.trace.append(torch.where(active, abs_t, torch.full_like(abs_t, float("nan"))))
            self.first = torch.where(torch.isnan(self.first) & active, abs_t, self.first)
            ok = (rel_t <= self.tol) | (abs_t <= self.abs_tol)
            bad = ~torch.isfinite(abs_t) | (abs_t > self.diverge_factor * self.first.clamp_min(1e-30))
            ok = ok & ~bad
            improved = active & torch.isfinite(abs_t) & (abs_t < self.best_abs)
            self.best_abs = torch.where(improved, abs_t, self.best_abs)
            self.best_rel = torch.where(improved, rel_t, self.best_rel)
            self.best_k = torch.where(improved, torch.full_like(self.best_k, k - 1), self.best_k)
            self.last_abs = torch.where(active, abs_t, self.last_abs)
            row_improved = improved[ns.tree].unsqueeze(-1)
        self.best_x = xs if self.best_x is None else torch.where(row_improved, xs, self.best_x)
        with torch.no_grad():
            at_cap = k - 1 >= self.max_iter
            if self.stop == "tree":
                stopping = active & (ok | bad | at_cap)
            else:
                everyone = bool((ok | bad | ~active).all()) or at_cap
                stopping = active if everyone else torch.zeros_like(active)
            if not bool(stopping.any()):
                return False, None
            # a tree that stops without converging returns its best iterate (if it had a finite one)
            use_best = stopping & ~ok & torch.isfinite(self.best_abs)
            k_now = torch.full_like(self.iterations, k - 1)
            self.iterations = torch.where(stopping, torch.where(use_best, self.best_k, k_now), self.iterations)
            self.converged = torch.where(stopping, ok, self.converged)
            self.diverged = torch.where(stopping, bad, self.diverged)
            self.abs_res = torch.where(stopping, torch.where(use_best, self.best_abs, abs_t), self.abs_res)
            self.rel_res = torch.where(stopping, torch.where(use_best, self.best_rel, rel_t), self.rel_res)
            row_stop = stopping[ns.tree]
        xs = torch.where(use_best[ns.tree].unsqueeze(-1), self.best_x, xs)
        if isinstance(ns.rows, slice):
            if bool(row_stop.all()):
                self.z = xs if ns.n == self.z.shape[0] else self._put(ns.rows, xs)
            else:
                self.z = self._put(torch.arange(ns.n, device=xs.device)[row_stop], xs[row_stop])
        else:
            self.z = self._put(ns.rows[row_stop], xs[row_stop])
        self.active = self.active & ~stopping
        if not bool(self.active.any()):
            return True, None
        keep = torch.nonzero(~row_stop).flatten()
        self.best_x = self.best_x[keep]
        self.ns = self.graph.trees(self.active)
        return False, keep

    def _put(self, rows: slice | torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        z = self.z
        if values.requires_grad and not z.requires_grad:
            z = z.clone()
        z[rows] = values
        return z

    def stats(self) -> SolverStats:
        tr = torch.stack(self.trace) if self.trace else None
        return SolverStats(self.name, self.iterations, self.converged, self.diverged, self.abs_res, self.rel_res,
                           self.node_evals, tr)


@dataclass(frozen=True)
class PicardOptions:
    """Options of :func:`picard`.

    Args:
        damping (`float`, defaults to 1.0): step ``z <- z + damping * (f(z) - z)``, in ``(0, 1]``.
        wavefront (`bool`, defaults to True): on an acyclic problem (with damping 1 and ``stop="tree"``)
            evaluate one level per iteration instead of every node (same states, same counts).
    """

    damping: float = 1.0
    wavefront: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.damping <= 1.0:
            raise ValueError("damping must be in (0, 1]")


@register_solver("picard", PicardOptions)
def picard(problem: FixedPointProblem, z0: torch.Tensor, *, max_iter: int = 500, tol: float = 1e-4,
           abs_tol: float = 0.0, stop: str = "tree", trace: bool = False, diverge_factor: float = 1e8,
           cold_start: bool = False, damping: float = PicardOptions.damping,
           wavefront: bool = PicardOptions.wavefront) -> tuple[torch.Tensor, SolverStats]:
    """Fixed-point iteration ``z <- z + damping * (f(z) - z)`` with per-tree stopping.

    With ``cold_start`` the wavefront skips its warm-start check (one application of ``f`` to every node)."""
    PicardOptions(damping, wavefront)  # checks the values (a direct call bypasses solve)
    if wavefront and problem.acyclic and damping == 1.0 and stop == "tree":
        return _wavefront(problem, z0, max_iter=max_iter, tol=tol, abs_tol=abs_tol, trace=trace,
                          diverge_factor=diverge_factor, cold_start=cold_start)
    tr = _Tracker("picard", problem, z0, max_iter=max_iter, tol=tol, abs_tol=abs_tol, stop=stop, trace=trace,
                  diverge_factor=diverge_factor)
    xs = tr.initial()
    k = 0
    while True:
        k += 1
        fx = tr.evaluate(xs)
        done, keep = tr.check(k, xs, fx)
        if done:
            break
        nxt = fx if damping == 1.0 else xs + damping * (fx - xs)
        xs = nxt if keep is None else nxt[keep]
    return tr.z, tr.stats()


def _wavefront(problem: FixedPointProblem, z0: torch.Tensor, *, max_iter: int, tol: float, abs_tol: float,
               trace: bool, diverge_factor: float, cold_start: bool) -> tuple[torch.Tensor, SolverStats]:
    g = problem.graph
    T, dev = g.num_trees, g.device
    heights = g.batch.tree_height
    node_evals = 0
    warm_ok: torch.Tensor | None = None
    warm_abs = warm_rel = None
    if not cold_start:
        # A warm start is only worth anything if it already is the fixed point of some trees: check it once.
        with torch.no_grad():
            fz = problem.f(z0.detach(), g.full())
            node_evals += g.num_nodes
            warm_abs, warm_rel = tree_residuals(fz, z0.detach(), g.tree, T)
            warm_ok = (warm_rel <= tol) | (warm_abs <= abs_tol)
        if bool(warm_ok.all()):
            zero = torch.zeros(T, dtype=torch.long, device=dev)
            return z0, SolverStats("picard", zero, torch.ones(T, dtype=torch.bool, device=dev),
                                   torch.zeros(T, dtype=torch.bool, device=dev), warm_abs, warm_rel, node_evals,
                                   None)
    z = z0.clone()
    last = min(g.max_height, max_iter - 1)
    rows: list[torch.Tensor] = []
    for h in range(last + 1):
        ns = g.level(h)
        if ns.n == 0:
            if trace:
                rows.append(torch.zeros(T, dtype=z.dtype, device=dev))
            continue
        out = problem.f(z, ns)
        node_evals += ns.n
        if trace:
            with torch.no_grad():
                rows.append(segment_norm(out.detach() - z[ns.rows].detach(), ns.tree, T))
        if out.requires_grad and not z.requires_grad:
            z = z.clone()
        z[ns.rows] = out
    iterations = heights + 1
    converged = iterations <= max_iter
    iterations = torch.minimum(iterations, torch.full_like(iterations, max(max_iter, 0)))
    zeros = torch.zeros(T, dtype=z.dtype, device=dev)
    abs_res, rel_res = zeros.clone(), zeros.clone()
    if not bool(converged.all()):
        # Cut by max_iter: measure what is left instead of guessing.
        ns = g.trees(~converged)
        with torch.no_grad():
            zs = z.detach()[ns.rows]
            fz = problem.f(zs, ns)
            node_evals += ns.n
            a, r = tree_residuals(fz, zs, ns.tree, T)
        abs_res = torch.where(converged, abs_res, a)
        rel_res = torch.where(converged, rel_res, r)
    with torch.no_grad():
        finite_rows = torch.isfinite(z.detach()).all(-1)
        bad_count = torch.zeros(T, dtype=torch.long, device=dev).index_add_(0, g.tree, (~finite_rows).long())
    bad = bad_count > 0
    converged = converged & ~bad
    nan = torch.full_like(abs_res, float("nan"))
    abs_res = torch.where(bad, nan, abs_res)
    rel_res = torch.where(bad, nan, rel_res)
    if warm_ok is not None and warm_abs is not None and warm_rel is not None:
        keep = warm_ok[g.tree].unsqueeze(-1)
        z = torch.where(keep, z0, z)
        iterations = torch.where(warm_ok, torch.zeros_like(iterations), iterations)
        converged = torch.where(warm_ok, warm_ok, converged)
        abs_res = torch.where(warm_ok, warm_abs, abs_res)
        rel_res = torch.where(warm_ok, warm_rel, rel_res)
        bad = bad & ~warm_ok
    tr = None
    if trace and rows:
        tr = torch.stack(rows)
        k = torch.arange(tr.shape[0], device=dev).unsqueeze(-1)
        tr = torch.where(k < iterations.unsqueeze(0), tr, torch.full_like(tr, float("nan")))
    return z, SolverStats("picard", iterations, converged, bad, abs_res, rel_res, node_evals, tr)


@dataclass(frozen=True)
class AndersonOptions:
    """Options of :func:`anderson`.

    Args:
        m (`int`, defaults to 5): how many past iterates are mixed (>= 1).
        beta (`float`, defaults to 1.0): the mixing step applied to the residuals.
        lam (`float`, defaults to 1e-4): Tikhonov regularisation of the Gram matrix, relative to its mean diagonal.
    """

    m: int = 5
    beta: float = 1.0
    lam: float = 1e-4

    def __post_init__(self) -> None:
        if self.m < 1:
            raise ValueError("anderson m must be >= 1")


@register_solver("anderson", AndersonOptions)
def anderson(problem: FixedPointProblem, z0: torch.Tensor, *, max_iter: int = 500, tol: float = 1e-4,
             abs_tol: float = 0.0, stop: str = "tree", trace: bool = False, diverge_factor: float = 1e8,
             cold_start: bool = False, m: int = AndersonOptions.m, beta: float = AndersonOptions.beta,
             lam: float = AndersonOptions.lam) -> tuple[torch.Tensor, SolverStats]:
    """Anderson acceleration; the mixing weights are solved per tree (segment-reduced Gram matrices).

    ``cold_start`` changes nothing here: the first iteration is ``f(z0)`` either way, warm or cold."""
    AndersonOptions(m, beta, lam)  # checks the values (a direct call bypasses solve)
    tr = _Tracker("anderson", problem, z0, max_iter=max_iter, tol=tol, abs_tol=abs_tol, stop=stop, trace=trace,
                  diverge_factor=diverge_factor)
    T = problem.graph.num_trees
    xs = tr.initial()
    hist_x: list[torch.Tensor] = []
    hist_g: list[torch.Tensor] = []
    k = 0
    while True:
        k += 1
        fx = tr.evaluate(xs)
        done, keep = tr.check(k, xs, fx)
        if done:
            break
        gx = fx - xs
        if keep is not None:
            xs, gx = xs[keep], gx[keep]
            hist_x = [h[keep] for h in hist_x]
            hist_g = [h[keep] for h in hist_g]
        hist_x = (hist_x + [xs])[-m:]
        hist_g = (hist_g + [gx])[-m:]
        if len(hist_g) == 1:
            xs = xs + beta * gx
            continue
        n_h = len(hist_g)
        G = torch.stack(hist_g)
        seg = tr.ns.tree
        gram = torch.zeros(T, n_h, n_h, dtype=xs.dtype, device=xs.device)
        prod = torch.einsum("ind,jnd->nij", G, G)
        gram.index_add_(0, seg, prod)
        scale = gram.diagonal(dim1=-2, dim2=-1).mean(-1).clamp_min(1e-30)
        eye = torch.eye(n_h, dtype=xs.dtype, device=xs.device)
        gram = gram + lam * scale[:, None, None] * eye
        ones = torch.ones(T, n_h, 1, dtype=xs.dtype, device=xs.device)
        sol = torch.linalg.solve(gram, ones).squeeze(-1)
        alpha = sol / sol.sum(-1, keepdim=True)
        alpha = torch.nan_to_num(alpha, nan=1.0 / n_h)
        a_rows = alpha[seg]
        X = torch.stack(hist_x)
        xs = torch.einsum("ni,ind->nd", a_rows, X + beta * G)
    return tr.z, tr.stats()


@dataclass(frozen=True)
class BroydenOptions:
    """Options of :func:`broyden`.

    Args:
        memory (`int`, defaults to 20): rank of the low-rank inverse-Jacobian update kept (>= 1).
        restart_factor (`float`, defaults to 10.0): a tree whose residual climbs above this multiple of its best
            drops its memory and restarts from a plain Picard step.
    """

    memory: int = 20
    restart_factor: float = 10.0

    def __post_init__(self) -> None:
        if self.memory < 1:
            raise ValueError("broyden memory must be >= 1")


@register_solver("broyden", BroydenOptions)
def broyden(problem: FixedPointProblem, z0: torch.Tensor, *, max_iter: int = 500, tol: float = 1e-4,
            abs_tol: float = 0.0, stop: str = "tree", trace: bool = False, diverge_factor: float = 1e8,
            cold_start: bool = False, memory: int = BroydenOptions.memory,
            restart_factor: float = BroydenOptions.restart_factor) -> tuple[torch.Tensor, SolverStats]:
    """Limited-memory ("good") Broyden on ``g(z) = f(z) - z``; the inverse Jacobian estimate
    ``-I + sum u_i v_i^T`` is block-diagonal by tree (inner products are reduced per tree). A tree whose residual
    climbs above ``restart_factor`` times its best drops its low-rank memory.

    ``cold_start`` changes nothing here: the first iteration is ``f(z0)`` either way, warm or cold."""
    BroydenOptions(memory, restart_factor)  # checks the values (a direct call bypasses solve)
    tr = _Tracker("broyden", problem, z0, max_iter=max_iter, tol=tol, abs_tol=abs_tol, stop=stop, trace=trace,
                  diverge_factor=diverge_factor)
    T = problem.graph.num_trees
    us: list[torch.Tensor] = []
    vs: list[torch.Tensor] = []

    def dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return segment_dot(a, b, tr.ns.tree, T)[tr.ns.tree].unsqueeze(-1)

    def apply(y: torch.Tensor) -> torch.Tensor:  # B y
        out = -y
        for u, v in zip(us, vs):
            out = out + u * dot(v, y)
        return out

    def apply_t(y: torch.Tensor) -> torch.Tensor:  # y^T B
        out = -y
        for u, v in zip(us, vs):
            out = out + v * dot(u, y)
        return out

    xs = tr.initial()
    k = 1
    fx = tr.evaluate(xs)
    done, keep = tr.check(k, xs, fx)
    gx = fx - xs
    if keep is not None:
        xs, gx = xs[keep], gx[keep]
    while not done:
        dx = -apply(gx)
        x_new = xs + dx
        k += 1
        f_new = tr.evaluate(x_new)
        done, keep = tr.check(k, x_new, f_new)
        if done:
            break
        g_new = f_new - x_new
        if keep is not None:
            x_new, g_new, dx, gx = x_new[keep], g_new[keep], dx[keep], gx[keep]
            us = [u[keep] for u in us]
            vs = [v[keep] for v in vs]
        # a tree whose residual climbed far above its best restarts from B = -I (a plain Picard step)
        restart = (tr.last_abs > restart_factor * tr.best_abs)[tr.ns.tree].unsqueeze(-1)
        us = [torch.where(restart, torch.zeros_like(u), u) for u in us]
        vs = [torch.where(restart, torch.zeros_like(v), v) for v in vs]
        dg = g_new - gx
        vt = apply_t(dx)
        den = dot(vt, dg)
        safe = den.abs() > 1e-30
        u = torch.where(safe, (dx - apply(dg)) / torch.where(safe, den, torch.ones_like(den)),
                        torch.zeros_like(dx))
        us = (us + [u])[-memory:]
        vs = (vs + [vt])[-memory:]
        xs, gx = x_new, g_new
    return tr.z, tr.stats()


def solve(name: str, problem: FixedPointProblem, z0: torch.Tensor, **options: Any
          ) -> tuple[torch.Tensor, SolverStats]:
    """Run the registered solver ``name`` with :data:`COMMON_OPTIONS` and its declared own options; an unknown
    option raises ``TypeError`` naming the solver's options."""
    spec = solver_spec(name)
    spec.make_options({k: v for k, v in options.items() if k not in COMMON_OPTIONS})
    return spec.fn(problem, z0, **options)
