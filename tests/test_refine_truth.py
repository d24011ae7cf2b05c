"""The clause truth table that ICE filters candidates with: one evaluation of each atom, exact on big integers."""

from __future__ import annotations

import numpy as np

from recursa.refine.candidates import Atom, Candidate, candidate_truth


def test_clause_truth_matches_python_ints_including_big_constants() -> None:
    small = Atom((("x", 1),), "le", 2)
    huge = Atom((("x", 2**70), ("y", 1)), "ge", 2**71)  # beyond int64: evaluated on Python integers
    eq = Atom((("y", 3),), "eq", 6)
    cands = [Candidate((small,)), Candidate((huge,)), Candidate((small, eq), "guard || atom"),
             Candidate((eq, huge), "guard || atom")]
    states = [(1, 0), (2, 2), (3, 2), (3, 0), (-4, 5)]
    data = np.array(states, np.int64)

    def want(x: int, y: int) -> list[bool]:
        s, h, e = x <= 2, x * 2**70 + y >= 2**71, 3 * y == 6
        return [s, h, s or e, e or h]

    assert candidate_truth(cands, ["x", "y"], data, False).tolist() == [want(x, y) for x, y in states]


def test_clause_truth_wraps_to_32_bits_under_machine_integers() -> None:
    # 2 * 2**30 wraps to -2**31 in 32-bit arithmetic, as Z3's bit-vectors do: the data must agree
    atom = Atom((("x", 2),), "le", 0)
    data = np.array([[2**30], [1]], np.int64)
    assert candidate_truth([Candidate((atom,))], ["x"], data, True).tolist() == [[True], [False]]
    assert candidate_truth([Candidate((atom,))], ["x"], data, False).tolist() == [[False], [False]]


def test_clause_truth_of_no_candidates_or_no_rows_has_the_right_shape() -> None:
    atom = Atom((("x", 1),), "ge", 0)
    assert candidate_truth([], ["x"], np.array([[1], [2]], np.int64), False).shape == (2, 0)
    assert candidate_truth([Candidate((atom,))], ["x"], np.zeros((0, 1), np.int64), False).shape == (0, 1)
