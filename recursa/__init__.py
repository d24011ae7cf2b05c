"""recursa: neuro-symbolic program reasoning.

Source code and formulas are parsed with tree-sitter into flat tree batches (:mod:`recursa.trees`),
encoded by a weight-tied equilibrium reasoner (:mod:`recursa.equilibrium`) and checked by Z3
(:mod:`recursa.symbolic`, :mod:`recursa.refine`).

Importing this package is cheap: torch, transformers and z3 are imported by the submodules that need them.
"""

__version__ = "0.1.0"
