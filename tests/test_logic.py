"""The ``logic`` task: labels checked against Python's own ``eval`` and Z3, exact depth, balanced labels,
every level mattering, node values for the reasoner, and clear refusals of formulas that are not closed."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import z3

from recursa.tasks import logic
from recursa.tasks.annotate import IGNORE, node_values, value_kinds
from recursa.tasks.dataset import parse_examples
from recursa.tasks.depth import operator_depth
from recursa.tasks.examples import DataError, Example
from recursa.tasks.families import check_examples, example_family, guess_family
from recursa.tasks.registry import generate, get_task, split_of
from recursa.trees.flatten import parse
from recursa.trees.languages import qualified_kind_ids

DEPTHS = [1, 2, 3, 4, 5, 6, 7, 8, 12, 20]


def python_truth(source: str) -> int:
    """Python's own evaluation of the Python rendering (no builtins: only literals and operators)."""
    value = eval(source, {"__builtins__": {}}, {})
    assert isinstance(value, bool), source
    return int(value)


def z3_truth(source: str) -> int:
    """Z3's simplification of the SMT-LIB rendering (a closed formula simplifies to true or false)."""
    (formula,) = z3.parse_smt2_string(f"(assert {source})")
    simple = z3.simplify(formula)
    assert z3.is_true(simple) or z3.is_false(simple), source
    return int(z3.is_true(simple))


def root_value(values: np.ndarray) -> int:
    labelled = np.flatnonzero(values != IGNORE)
    return int(values[labelled[0]])  # pre-order: the outermost labelled node is the formula itself


def test_both_renderings_of_a_formula_have_the_generators_label_by_python_and_by_z3() -> None:
    gen = logic.LogicGenerator()
    rng = random.Random(7)
    for depth in DEPTHS:
        for _ in range(12):
            f = gen.expression(rng, depth)
            label = logic.value_of(f)
            py, smt = logic.render(f, "python"), logic.render(f, "smtlib")
            assert python_truth(py) == label, py
            assert z3_truth(smt) == label, smt
            assert logic.check(smt, "smtlib") == label


def test_registered_tasks_labels_depths_and_node_values_agree() -> None:
    examples = generate("logic", DEPTHS, 10, seed=2)
    assert {e.language for e in examples} == {"smtlib", "python"}
    labels: list[np.ndarray] = []
    trees, filled = parse_examples(examples, node_labels=labels)
    op_kinds = set(qualified_kind_ids([k for k in value_kinds() if not k.endswith(
        (":integer", ":num_lit", ":true", ":false", ":parenthesized_expression"))]))
    for ex, tree, got, values in zip(examples, trees, filled, labels):
        assert not tree.errors, ex.source
        assert ex.label in (0, 1)
        truth = python_truth(ex.source) if ex.language == "python" else z3_truth(ex.source)
        assert truth == ex.label, ex.source
        assert operator_depth(tree) == ex.depth == got.depth, ex.source
        assert root_value(values) == ex.label, ex.source
        # every operator node carries its value (the node loss and the value snap see all of them)
        ops = [i for i in range(tree.num_nodes) if int(tree.kind[i]) in op_kinds]
        assert ops and all(values[i] != IGNORE for i in ops), ex.source


def test_task_variants_depth_ranges_and_balanced_labels() -> None:
    spec = get_task("logic")
    assert spec.train_depths == (1, 6) and spec.eval_depths == (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20)
    assert spec.family == get_task("logic-smtlib").family == get_task("logic-python").family == "logic"
    assert get_task("logic-smtlib").syntaxes == ("smtlib",) and get_task("logic-python").syntaxes == ("python",)
    examples = generate("logic-smtlib", [2, 5, 12], 400, seed=0, split="train")
    for depth in (2, 5, 12):
        share = np.mean([e.label for e in examples if e.depth == depth])
        assert 0.42 <= share <= 0.58, (depth, share)  # 400 draws: 0.5 +- 3 standard deviations


def test_splits_are_disjoint_by_the_smtlib_text() -> None:
    train = {e.source for e in generate("logic-smtlib", [1, 2, 3], 60, seed=0, split="train")}
    held = {e.source for e in generate("logic-smtlib", [1, 2, 3], 60, seed=0, split="eval")}
    assert not train & held
    assert all(split_of(s) == "eval" for s in held)


def test_every_level_matters_flipping_the_bottom_of_the_spine_flips_the_label() -> None:
    gen = logic.LogicGenerator()
    rng = random.Random(3)
    for depth in (2, 4, 9):
        for _ in range(10):
            f = gen.expression(rng, depth)
            assert isinstance(f, logic.Formula)
            parent, node = None, f
            while node.spine >= 0:
                parent, node = node, node.args[node.spine]
            assert node.depth == 1 and parent is not None
            before = python_truth(logic.render(f, "python"))
            parent.args[parent.spine] = not bool(node.value)  # the bottom replaced by the other truth value
            assert python_truth(logic.render(f, "python")) != before


def test_python_rendering_keeps_one_node_per_operator() -> None:
    f = logic.Formula("=>", [logic.Formula("<", [3, 7], 1), logic.Formula("ite", [True, False, True], 0)], 0, 2)
    logic._recompute(f)
    assert logic.render(f, "smtlib") == "(=> (< 3 7) (ite true false true))"
    assert logic.render(f, "python") == "(3 < 7) <= (False if True else True)"
    assert f.value == 0 and python_truth(logic.render(f, "python")) == 0
    assert logic.render(True, "python") == "True" and logic.render(False, "smtlib") == "false"


def test_node_values_follow_python_and_smtlib_semantics() -> None:
    cases = [("python", "3 and 5", 5), ("python", "0 or (2 < 1)", 0), ("python", "1 < 2 < 3", 1),
             ("python", "(3 + 9) < 5", None), ("python", "7 if False else (not True)", 0),
             ("smtlib", "(=> true false true)", 1), ("smtlib", "(xor true true true)", 1),
             ("smtlib", "(distinct 1 2 1)", 0), ("smtlib", "(and 3 true)", None), ("smtlib", "(or p true)", None)]
    for language, source, expected in cases:
        values = node_values(parse(source, language, drop_punctuation=True), source)
        got = root_value(values) if (values != IGNORE).any() else None
        top = None if got is None else int(values[np.flatnonzero(values != IGNORE)[0]])
        if expected is None:  # no value at the formula itself (its leaves may still have one)
            tree = parse(source, language, drop_punctuation=True)
            formula = 2 if language == "python" else 1
            assert values[formula] == IGNORE, source
            assert tree.num_nodes > formula
        else:
            assert top == expected, source


def test_value_kinds_list_logic_nodes_and_never_operator_names() -> None:
    kinds = value_kinds()
    for name in ("python:boolean_operator", "python:not_operator", "python:comparison_operator",
                 "python:conditional_expression", "python:true", "python:false", "smtlib:list_lit"):
        assert name in kinds
    assert "smtlib:sym_lit" not in kinds  # `and`, `MAX`: the operator's name must not be snapped to a value


@pytest.mark.parametrize("language, source, message", [
    ("smtlib", "(and true (foo 1 2))", "unknown operator 'foo'"),
    ("smtlib", "(or p false)", "free variable 'p'"),
    ("smtlib", "(and true (< 1 true))", "compares numbers"),
    ("smtlib", "(and true", "not closed"),
    ("python", "True and f(3)", "unknown operator 'f'"),
    ("python", "(x < 3) or False", "free variable 'x'"),
    ("python", "(3 + 4) < 9", "unknown operator '+'"),
])
def test_formulas_that_are_not_closed_are_refused_by_name(language: str, source: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        logic.check(source, language)
    with pytest.raises(DataError, match="data.jsonl:4"):
        check_examples([Example(source, language, 1, -1, "data.jsonl:4")], "logic")


def test_very_deep_formulas_need_no_recursion() -> None:
    f = logic.LogicGenerator().expression(random.Random(0), 3000)
    smt, py = logic.render(f, "smtlib"), logic.render(f, "python")
    assert logic.check(smt, "smtlib") == logic.value_of(f)
    assert logic.check(py, "python") == -1
    assert smt.count("(") >= 3000


def test_families_are_guessed_from_the_examples() -> None:
    def ex(source: str, language: str) -> Example:
        return Example(source, language, 0, -1, "f.jsonl:1")

    assert example_family(ex("(and true (< 1 2))", "smtlib")) == "logic"
    assert example_family(ex("(MAX 1 (SM 2 3))", "smtlib")) == "listops"
    assert example_family(ex("max(1, sm(2, 3))", "python")) == "listops"
    assert example_family(ex("(3 < 4) and True", "python")) == "logic"
    assert example_family(ex("(3 + 4) * 2", "python")) == "arith"
    assert example_family(ex("[MAX 1 2 ]", "listops")) == "listops"
    assert guess_family([ex("True", "python"), ex("(not false)", "smtlib")], "f.jsonl").family == "logic"
    with pytest.raises(DataError, match="mix task families"):
        guess_family([ex("True", "python"), ex("max(1, 2)", "python")], "f.jsonl")
