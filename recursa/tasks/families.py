"""Task families (ListOps, arithmetic, logic): which one a task, a data file or a trained model belongs to.

Tasks of one family share operators, labels and a shipped model (:data:`recursa.paths.TASK_MODEL_DIRS`).
A data file's family is guessed from its examples: the language, then the operators.

* ``listops`` (bracket form) is ListOps, ``c`` is arithmetic;
* ``smtlib``: ListOps when an operator is ``MAX`` / ``MIN`` / ``MED`` / ``SM`` / ``FIRST`` / ``LAST``, else logic;
* ``python``: ListOps when it calls ``max`` / ``min`` / ``med`` / ``sm`` / ``first`` / ``last``; logic when
  it uses ``True`` / ``False``, ``and`` / ``or`` / ``not``, ``if`` / ``else`` or a comparison; else arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from recursa.tasks.examples import DataError, Example
from recursa.tasks.listops import ALL_OPS

FAMILIES = ("listops", "arith", "logic")
_LISTOPS_CALL = re.compile(r"\b(?:" + "|".join(op.lower() for op in ALL_OPS) + r")\s*\(", re.I)
_SMT_HEAD = re.compile(r"\(\s*([^\s()]+)")
_PY_LOGIC = re.compile(r"\b(?:True|False|and|or|not|if|else)\b|[<>]|==|!=")


@dataclass(frozen=True)
class FamilyGuess:
    """The family of a set of examples and the first example (origin) that showed it."""

    family: str
    origin: str


def example_family(example: Example) -> str:
    """The family one example belongs to (see the module docstring)."""
    if example.language == "listops":
        return "listops"
    if example.language == "c":
        return "arith"
    if example.language == "smtlib":
        heads = _SMT_HEAD.findall(example.source)
        return "listops" if any(h.upper() in ALL_OPS for h in heads) else "logic"
    if _LISTOPS_CALL.search(example.source):
        return "listops"
    return "logic" if _PY_LOGIC.search(example.source) else "arith"


def family_of_task(name: str) -> str | None:
    """The family of a registered task or of a family name (``None`` for anything else, e.g. a file)."""
    if name in FAMILIES:
        return name
    from recursa.tasks.registry import get_task

    try:
        return get_task(name).family or None
    except KeyError:
        return None


def guess_family(examples: Sequence[Example], where: str) -> FamilyGuess:
    """The one family of ``examples``; :class:`DataError` (at ``where``) when they mix families."""
    seen: dict[str, str] = {}
    for ex in examples:
        fam = example_family(ex)
        seen.setdefault(fam, ex.origin)
    if not seen:
        raise DataError(where, "no examples")
    if len(seen) > 1:
        listed = ", ".join(f"{fam} (first at {origin})" for fam, origin in seen.items())
        raise DataError(where, f"the examples mix task families: {listed}; evaluate them separately, or name "
                               "one with --task")
    fam, origin = next(iter(seen.items()))
    return FamilyGuess(fam, origin)


def check_examples(examples: Sequence[Example], family: str) -> None:
    """Reject examples that do not belong to ``family``'s vocabulary with a :class:`DataError` naming the
    example (file and line): for logic, an unknown operator, a free variable or a malformed formula."""
    if family != "logic":
        return
    from recursa.tasks import logic

    for ex in examples:
        try:
            logic.check(ex.source, ex.language)
        except ValueError as exc:
            raise DataError(ex.origin, f"not a closed logic formula: {exc}") from None
