"""The equilibrium reasoner: a weight-tied tree block solved to a fixed point with per-tree stopping.

Modules: ``structure`` (node sets of a TreeBatch), ``block`` (the map f and its one initialisation), ``solvers``
(picard / anderson / broyden registry, each solver declaring its own options; the shared residual; SolverStats),
``implicit`` (backward modes), ``regularize`` (Jacobian penalty, spectral radius), ``model`` (RecursaConfig /
RecursaModel and heads), ``bench`` (``recursa bench reasoner``).
Import the submodules directly; this package imports nothing heavy.
"""
