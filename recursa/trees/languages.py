"""Registry of tree-sitter languages.

Each entry names a grammar package; adding a language that has one is one :func:`register` call.
Node kinds get a global id: ``1 + offset(language) + Node.kind_id`` where offsets follow registration
order, so every language's vocabulary is the grammar's own symbol table (no hand-made vocabulary).
Global id 0 is reserved for tree-sitter's ERROR node (``kind_id == 65535``).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ERROR_KIND = 0
_TS_ERROR_ID = 0xFFFF


@dataclass
class Language:
    """A tree-sitter language and where its kind ids sit in recursa's global kind vocabulary."""

    name: str
    module: str
    extensions: tuple[str, ...]
    entry: str = "language"
    _ts_language: Any = field(default=None, repr=False)
    _raw: Any = field(default=None, repr=False)
    offset: int = 0

    @property
    def ts_language(self) -> Any:
        """The ``tree_sitter.Language`` (loaded on first use)."""
        if self._ts_language is None:
            import tree_sitter as ts

            capsule = self.raw
            with warnings.catch_warnings():
                # Older grammar packages (e.g. tree-sitter-commonlisp, ABI 14) return an int pointer;
                # tree-sitter 0.26 still accepts it but warns. This is the one place that wraps it.
                warnings.filterwarnings("ignore", message="int argument support is deprecated")
                self._ts_language = ts.Language(capsule)
        return self._ts_language

    @property
    def raw(self) -> Any:
        """What the grammar package's ``language()`` returns (a PyCapsule, or an int pointer)."""
        if self._raw is None:
            self._raw = getattr(importlib.import_module(self.module), self.entry)()
        return self._raw

    @property
    def kind_count(self) -> int:
        return int(self.ts_language.node_kind_count)

    def parser(self) -> Any:
        """A fresh ``tree_sitter.Parser`` for this language (parsers are not thread-safe: one per thread)."""
        import tree_sitter as ts

        return ts.Parser(self.ts_language)

    def global_kind(self, kind_id: int) -> int:
        return ERROR_KIND if kind_id == _TS_ERROR_ID else 1 + self.offset + kind_id

    def kind_name(self, kind_id: int) -> str:
        if kind_id == _TS_ERROR_ID:
            return "ERROR"
        return str(self.ts_language.node_kind_for_id(kind_id))

    def kind_ids(self, name: str, named: bool = True) -> list[int]:
        """All tree-sitter kind ids whose name is ``name`` (aliases can share a name)."""
        lang = self.ts_language
        return [
            i
            for i in range(lang.node_kind_count)
            if lang.node_kind_for_id(i) == name and bool(lang.node_kind_is_named(i)) == named
        ]

    def global_kind_ids(self, *names: str) -> list[int]:
        """Sorted global kind ids of the named kinds called ``names`` (unknown names give nothing)."""
        return sorted({self.global_kind(k) for name in names for k in self.kind_ids(name)})


def qualified_kind_ids(names: Sequence[str]) -> list[int]:
    """Sorted global kind ids of ``language:kind`` names (e.g. ``python:call``); unknown languages raise
    ``KeyError`` via :func:`get_language`, unknown kinds give nothing."""
    ids: set[int] = set()
    for item in names:
        lang_name, _, kind = item.partition(":")
        ids.update(get_language(lang_name).global_kind_ids(kind))
    return sorted(ids)


_REGISTRY: dict[str, Language] = {}
_ORDER: list[str] = []


def register(name: str, module: str, extensions: tuple[str, ...], entry: str = "language") -> Language:
    """Add a language backed by an installed tree-sitter grammar package."""
    if name in _REGISTRY:
        raise ValueError(f"language {name!r} is already registered")
    lang = Language(name=name, module=module, extensions=tuple(e.lower() for e in extensions), entry=entry)
    _REGISTRY[name] = lang
    _ORDER.append(name)
    _offsets_valid.clear()
    return lang


_offsets_valid: list[bool] = []


def _assign_offsets() -> None:
    if _offsets_valid:
        return
    offset = 0
    for name in _ORDER:
        lang = _REGISTRY[name]
        lang.offset = offset
        offset += lang.kind_count
    _offsets_valid.append(True)


def languages() -> list[Language]:
    """Registered languages in registration (= kind offset) order."""
    _assign_offsets()
    return [_REGISTRY[n] for n in _ORDER]


def kind_vocab_size() -> int:
    """Number of global kind ids: ERROR plus every registered language's kinds."""
    return 1 + sum(lang.kind_count for lang in languages())


def get_language(name: str) -> Language:
    """The registered language called ``name`` (``python``, ``c``, ``smtlib``, ...)."""
    key = name.lower()
    if key not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown language {name!r} (known: {known})")
    _assign_offsets()
    return _REGISTRY[key]


def language_for_path(path: str | Path) -> Language | None:
    """The language chosen by a file's extension, or None."""
    suffix = Path(path).suffix.lower()
    for name in _ORDER:
        if suffix in _REGISTRY[name].extensions:
            return get_language(name)
    return None


def kind_name(global_kind: int) -> str:
    """``language:kind`` for a global kind id (``ERROR`` for 0)."""
    if global_kind == ERROR_KIND:
        return "ERROR"
    for lang in languages():
        local = global_kind - 1 - lang.offset
        if 0 <= local < lang.kind_count:
            return f"{lang.name}:{lang.kind_name(local)}"
    raise ValueError(f"kind id {global_kind} is outside the registered vocabulary")

register("python", "tree_sitter_python", (".py", ".pyi"))
register("c", "tree_sitter_c", (".c", ".h"))
# SMT-LIB2 and SyGuS-IF are s-expressions; the Common Lisp grammar reads them (list_lit, sym_lit, num_lit...).
register("smtlib", "tree_sitter_commonlisp", (".smt2", ".smt", ".sl"))
