"""Expressions to text without recursion: generated expressions may be nested thousands of levels deep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Node = TypeVar("Node")
Piece = Any  # a node, a digit (int) or literal text (str)


def render_iteratively(root: Node | int, expand: Callable[[Node], list[Piece]]) -> str:
    """The text of ``root``: digits as themselves, strings verbatim, and every other node replaced by the pieces
    ``expand(node)`` lists, in order (depth-first, with an explicit stack)."""
    out: list[str] = []
    stack: list[Piece] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, int):
            out.append(str(item))
        else:
            stack.extend(reversed(expand(item)))
    return "".join(out)
