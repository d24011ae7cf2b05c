"""recursa: neuro-symbolic program reasoning.

Source code and formulas are parsed with tree-sitter into flat tree batches (:mod:`recursa.trees`),
encoded by a weight-tied equilibrium reasoner (:mod:`recursa.equilibrium`) and checked by Z3
(:mod:`recursa.symbolic`, :mod:`recursa.refine`).

Importing this package is cheap: torch, transformers and z3 are imported by the submodules that need them.
"""

__version__ = "0.1.0"

# Cheap (the standard library's ``random`` only): a verified Python program imports these to run as-is.
from recursa.contracts import assume, nondet_bool, nondet_int  # noqa: E402

__all__ = ["__version__", "assume", "nondet_bool", "nondet_int"]


# The Python API (recursa.api), imported on first use so that ``import recursa`` stays light.
_API = ("verify", "synthesize")
__all__ += list(_API)


def __getattr__(name: str) -> object:
    if name in _API:
        from recursa import api

        return getattr(api, name)
    raise AttributeError(f"module 'recursa' has no attribute {name!r}")
