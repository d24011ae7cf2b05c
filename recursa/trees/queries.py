"""tree-sitter queries that find functions, loops and assertions.

The queries are data: ``grammars/<language>/<what>s.scm`` (e.g. ``grammars/c/loops.scm``), each with one
capture named after ``what``. Compiled queries are cached per language.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from recursa.paths import GRAMMARS_DIR
from recursa.trees.languages import Language, get_language

WHATS = ("function", "loop", "assertion")


class QueryNotFound(LookupError):
    """No query file for this language and ``what``."""


@cache
def _query(language: str, what: str) -> Any:
    import tree_sitter as ts

    if what not in WHATS:
        raise ValueError(f"unknown query {what!r} (known: {', '.join(WHATS)})")
    path = GRAMMARS_DIR / language / f"{what}s.scm"
    if not path.is_file():
        raise QueryNotFound(f"no {what} query for {language} (expected {path})")
    return ts.Query(get_language(language).ts_language, path.read_text(encoding="utf-8"))


def has_query(language: str, what: str) -> bool:
    return (GRAMMARS_DIR / language / f"{what}s.scm").is_file()


def find(language: Language | str, source_tree: Any, what: str) -> list[Any]:
    """Nodes of ``source_tree`` (a ``tree_sitter.Tree`` or ``Node``) that are a ``what``, in source order.

    ``what`` is ``"function"``, ``"loop"`` or ``"assertion"``.
    """
    import tree_sitter as ts

    name = language if isinstance(language, str) else language.name
    root = getattr(source_tree, "root_node", source_tree)
    captures = ts.QueryCursor(_query(name, what)).captures(root)
    nodes = captures.get(what, [])
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


_SIMPLE_PATTERN = re.compile(r"^\s*(?:\[\s*((?:\(\s*[a-z_]+\s*\)\s*)+)\]|\(\s*([a-z_]+)\s*\))\s*@([a-z_]+)\s*$")


def simple_kinds(language: str, what: str) -> frozenset[str] | None:
    """The node types a query captures when it is nothing but node types (``(a) @x`` or ``[(a) (b)] @x``),
    so callers holding flat arrays can count matches by kind; None for any richer query."""
    path = GRAMMARS_DIR / language / f"{what}s.scm"
    if not path.is_file():
        return None
    text = "\n".join(line.split(";", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    m = _SIMPLE_PATTERN.match(" ".join(text.split()))
    if m is None or m.group(3) != what:
        return None
    return frozenset(re.findall(r"[a-z_]+", m.group(1) or m.group(2)))
