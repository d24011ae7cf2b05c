"""Labelled examples: the unit every task suite, reader and metric works on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Languages an example may be written in. ``listops`` is the classic bracket form
#: (``[MAX 3 [SM 7 8 ] ]``), read as the s-expression ``(MAX 3 (SM 7 8))`` with the smtlib grammar.
EXAMPLE_LANGUAGES = ("python", "c", "smtlib", "listops")


class DataError(Exception):
    """Input data that cannot be used; the message names the file and line."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Example:
    """One labelled expression.

    ``depth`` is the operator nesting depth (see :mod:`recursa.tasks.depth`): a digit is depth 0,
    ``[MAX 1 2 ]`` depth 1, ``max(1, min(2, 3))`` depth 2. ``origin`` says where it came from
    (``file.tsv:12`` or ``listops/seed=0``) for error messages.
    """

    source: str
    language: str
    label: int
    depth: int
    origin: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "language": self.language, "label": self.label,
                               "depth": self.depth}
        return out
