"""Names a Python program imports so that it runs under Python itself *and* under ``recursa verify``.

>>> from recursa import assume, nondet_int
>>> def f(n: int) -> None:
...     assume(n >= 0)
...     x = nondet_int()
...     assert x * x >= 0

Under ``recursa verify`` the front end reads these calls (``assume(...)``, ``recursa.assume(...)``,
``nondet_int()``, ``recursa.nondet_int()``, ``nondet_bool()``) as an assumption and as arbitrary values. Run
as ordinary Python, ``assume`` raises :class:`AssumptionViolated` when its condition is false (the run is
outside the program's contract, not a bug in it), and ``nondet_*`` draw random values, so a program is also a
quick random test. Nothing here imports anything heavy.
"""

from __future__ import annotations

import random

__all__ = ["AssumptionViolated", "assume", "nondet_bool", "nondet_int", "unknown"]

_rng = random.Random()


class AssumptionViolated(Exception):
    """An ``assume(...)`` condition was false: this run lies outside the program's precondition."""


def assume(condition: object) -> None:
    """Restrict the runs considered to those where ``condition`` holds."""
    if not condition:
        raise AssumptionViolated("assumption does not hold on this run")


def nondet_int() -> int:
    """An arbitrary integer (random when run; every integer when verified)."""
    bits = _rng.choice((4, 8, 16, 32, 64))
    return _rng.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def nondet_bool() -> bool:
    """An arbitrary boolean."""
    return _rng.random() < 0.5


#: The older spelling ``unknown()`` used by recursa's examples.
unknown = nondet_int
