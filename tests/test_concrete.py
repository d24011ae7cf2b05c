"""SMT-LIB operators on concrete values (:mod:`recursa.symbolic.concrete`), shared by the SMT-LIB reader's
evaluator and the synthesiser's."""

from __future__ import annotations

import pytest

from recursa.symbolic import smtlib
from recursa.symbolic.concrete import EvalError, UndefinedValue, apply
from recursa.symbolic.terms import INT, App, Var, bitvec
from recursa.synth import evaluate as synth_evaluate


def test_division_by_zero_is_the_same_undefined_value_in_both_evaluators() -> None:
    x = Var("x", INT)
    term = smtlib.read_term("(+ 1 (div x 0))", {"x": INT})
    for evaluate in (smtlib.evaluate, synth_evaluate.evaluate):
        with pytest.raises(UndefinedValue):
            evaluate(term, {"x": 3})
    assert smtlib.UndefinedValue is UndefinedValue
    assert apply(App("mod", (x, x), INT), [-7, 3]) == 2 and apply(App("div", (x, x), INT), [-7, 3]) == -3
    assert apply(App("div", (x, x), INT), [7, -3]) == -2 and apply(App("mod", (x, x), INT), [7, -3]) == 1


def test_bit_vector_division_by_zero_is_defined() -> None:
    a = Var("a", bitvec(4))
    assert apply(App("bvudiv", (a, a), bitvec(4)), [5, 0]) == 15
    assert apply(App("bvurem", (a, a), bitvec(4)), [5, 0]) == 5
    assert apply(App("bvsdiv", (a, a), bitvec(4)), [0b1011, 0]) == 1  # -5 / 0 = 1 (SMT-LIB: bvneg of all ones)
    assert apply(App("bvsmod", (a, a), bitvec(4)), [0b1011, 0]) == 0b1011


def test_an_operator_without_semantics_is_an_eval_error() -> None:
    with pytest.raises(EvalError, match="'str.len' has no concrete semantics"):
        apply(App("str.len", (Var("s", INT),), INT), [1])
