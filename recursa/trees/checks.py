"""Statements the language's own compiler rejects although tree-sitter parses them.

tree-sitter's grammars are deliberately permissive: ``break`` outside a loop, or ``return`` at module level
in Python, parse without an ERROR node. CPython and C compilers reject them, so recursa reports them as
syntax errors with their location instead of handing them to later stages (where they have no meaning).

The checks run on the tree-sitter tree (no Python ``compile``: that would recurse on deep sources) and
walk up from each jump statement only as far as its enclosing loop or function.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from recursa.trees.flatten import SyntaxDiagnostic, _diagnostic

_JUMPS = {
    "python": "(break_statement) @break (continue_statement) @continue (return_statement) @return",
    "c": "(break_statement) @break (continue_statement) @continue",
}
_LOOPS = {"python": frozenset({"for_statement", "while_statement"}),
          "c": frozenset({"for_statement", "while_statement", "do_statement"})}
#: Scopes a jump cannot cross: a loop around a nested function or class does not make ``break`` legal.
_SCOPES = {"python": frozenset({"function_definition", "class_definition", "lambda", "module"}),
           "c": frozenset({"function_definition", "translation_unit"})}


@cache
def _query(language: str) -> Any:
    import tree_sitter as ts

    from recursa.trees.languages import get_language

    return ts.Query(get_language(language).ts_language, _JUMPS[language])


def statement_errors(tree: Any, source: bytes, language: str, limit: int = 100) -> list[SyntaxDiagnostic]:
    """``break``/``continue`` outside a loop (``break`` may also end a C ``switch``) and, in Python,
    ``return`` outside a function, as diagnostics in source order."""
    if language not in _JUMPS:
        return []
    import tree_sitter as ts

    captures = ts.QueryCursor(_query(language)).captures(tree.root_node)
    loops, scopes = _LOOPS[language], _SCOPES[language]
    out: list[SyntaxDiagnostic] = []
    for kind, nodes in captures.items():
        for node in nodes:
            if _legal(node, kind, loops, scopes, language):
                continue
            where = "function" if kind == "return" else "loop"
            out.append(_diagnostic(node, source, f"'{kind}' outside {where}"))
            if len(out) >= limit:
                break
    out.sort(key=lambda e: (e.line, e.column))
    return out[:limit]


def _legal(node: Any, kind: str, loops: frozenset[str], scopes: frozenset[str], language: str) -> bool:
    child, parent = node, node.parent
    while parent is not None:
        t = parent.type
        if kind == "return":
            if t == "function_definition":
                return True
            if t in ("class_definition", "module"):
                return False
        else:
            if t in loops and _in_loop_body(parent, child, language):
                return True
            if kind == "break" and t == "switch_statement":
                return True
            if t in scopes:
                return False
        child, parent = parent, parent.parent
    return kind == "return" and language != "python"


def _in_loop_body(loop: Any, child: Any, language: str) -> bool:
    """A jump in a loop's condition or in a Python ``else`` clause does not belong to that loop."""
    if language == "python":
        return child.type != "else_clause" and loop.child_by_field_name("body") == child
    body = loop.child_by_field_name("body")
    return body is not None and body == child
