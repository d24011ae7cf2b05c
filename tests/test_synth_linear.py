"""Exact rational Gaussian elimination (:func:`recursa.synth.linear.reduce_rows`), shared by linear fitting of
examples and the linear equalities of loop states."""

from __future__ import annotations

from fractions import Fraction

from recursa.synth.linear import reduce_rows


def matrix(*rows: list[int]) -> list[list[Fraction]]:
    return [[Fraction(v) for v in row] for row in rows]


def test_reduced_row_echelon_form_with_pivots() -> None:
    m = matrix([0, 2, 4], [1, 1, 1], [2, 4, 6])  # third row = 2 * second + first
    assert reduce_rows(m, 3) == [0, 1]
    assert m == matrix([1, 0, -1], [0, 1, 2], [0, 0, 0])


def test_pivots_only_on_the_first_columns_of_an_augmented_matrix() -> None:
    # x + y = 3, x - y = 1  ->  x = 2, y = 1; the right-hand side column is never a pivot
    m = matrix([1, 1, 3], [1, -1, 1])
    assert reduce_rows(m, 2) == [0, 1]
    assert m == matrix([1, 0, 2], [0, 1, 1])
    inconsistent = matrix([1, 1, 3], [2, 2, 7])
    assert reduce_rows(inconsistent, 2) == [0]
    assert inconsistent[1] == [0, 0, 1]  # 0 = 1: no solution


def test_fractions_stay_exact_and_rows_run_out_before_columns() -> None:
    m = matrix([3, 1, 0, 1])
    assert reduce_rows(m, 4) == [0]
    assert m == [[Fraction(1), Fraction(1, 3), Fraction(0), Fraction(1, 3)]]
    assert reduce_rows([], 3) == []
