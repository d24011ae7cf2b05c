"""Flatten tree-sitter trees into pre-order numpy arrays (:class:`FlatTree`), without recursion.

A :class:`FlatTree` is the per-source unit (cheap to keep in a dataset); :meth:`TreeBatch.from_trees`
turns any number of them into one level-ordered batch of tensors.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recursa.trees.arrays import height_from_parent, lines_and_cols, rank_from_parent
from recursa.trees.languages import Language, get_language

try:  # the C walk (see setup.py); the Python walk below is the fallback and the reference
    from recursa.trees import _fastflatten as _fast
except ImportError:  # pragma: no cover - depends on how the package was built
    _fast = None

#: Token ids: 0 = no token (internal or anonymous node); 1..256 = the integer literals 0..255 exactly;
#: the rest = hashed buckets of the leaf text (crc32, stable across processes).
TOKEN_VOCAB = 8192
_SMALL_INTS = 256
_TS_ERROR = 0xFFFF
_PUNCTUATION = frozenset("()[]{},;:.")


def token_id(text: bytes) -> int:
    """Token id of a leaf's text (see :data:`TOKEN_VOCAB`)."""
    if text.isdigit() and len(text) <= 3:
        v = int(text)
        if v < _SMALL_INTS:
            return 1 + v
    return 1 + _SMALL_INTS + zlib.crc32(text) % (TOKEN_VOCAB - 1 - _SMALL_INTS)


@dataclass(frozen=True)
class SyntaxDiagnostic:
    """A syntax error found by tree-sitter: 1-based line and (character) column."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column, "message": self.message}


@dataclass
class FlatTree:
    """One parsed source as pre-order arrays (parents before children, siblings left to right)."""

    language: str
    parent: np.ndarray
    kind: np.ndarray
    token: np.ndarray
    named: np.ndarray
    start_byte: np.ndarray
    end_byte: np.ndarray
    depth: np.ndarray
    line_starts: np.ndarray
    errors: list[SyntaxDiagnostic] = field(default_factory=list)
    height: np.ndarray | None = None
    rank: np.ndarray | None = None
    #: 0-based (start_line, start_col, end_line, end_col), columns in bytes
    lines: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.height is None:
            self.height = height_from_parent(self.parent, self.depth)
        if self.rank is None:
            self.rank = rank_from_parent(self.parent)
        if self.lines is None:
            zeros = np.zeros(self.num_nodes, np.int64)
            sl, sc = lines_and_cols(self.start_byte, zeros, [self.line_starts])
            el, ec = lines_and_cols(self.end_byte, zeros, [self.line_starts])
            self.lines = (sl, sc, el, ec)

    @property
    def num_nodes(self) -> int:
        return int(self.parent.shape[0])

    @property
    def num_named(self) -> int:
        return int(self.named.sum())

    def tree_height(self) -> int:
        """Height of the whole tree (0 for a single node)."""
        return int(self.depth.max()) if self.num_nodes else 0

    def named_height(self) -> int:
        """Height of the tree of named nodes: anonymous tokens (punctuation, keywords) do not count."""
        return _named_height(self)


def _named_height(ft: FlatTree) -> int:
    if ft.num_nodes == 0:
        return 0
    # named depth of a node = number of named proper ancestors; height of named tree = max over named nodes
    # of (named depth) minus the named depth of the shallowest named node (the root is named in practice).
    named = ft.named
    parent = ft.parent
    ndepth = np.zeros(ft.num_nodes, np.int64)
    # pre-order: parents come first, so one forward pass in numpy chunks by depth level suffices
    order = np.argsort(ft.depth, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(ft.depth))]
    for d in range(1, len(bounds) - 1):
        idx = order[bounds[d]:bounds[d + 1]]
        p = parent[idx]
        ndepth[idx] = ndepth[p] + named[p]
    return int((ndepth[named]).max() - ndepth[named].min()) if named.any() else 0


def flatten(tree: Any, source: bytes, language: Language | str, drop_punctuation: bool = False) -> FlatTree:
    """Flatten a ``tree_sitter.Tree`` parsed from ``source`` (UTF-8 bytes) into a :class:`FlatTree`.

    The walk keeps an explicit stack of child iterators (no recursion, ~constant Python work per node).
    With ``drop_punctuation`` anonymous punctuation leaves (brackets, commas, ...) are left out; operators
    and keywords stay, since they carry meaning.
    """
    lang = get_language(language) if isinstance(language, str) else language
    root = tree.root_node
    total = root.descendant_count
    parent = np.empty(total, np.int64)
    kind = np.empty(total, np.int64)
    named = np.empty(total, np.bool_)
    start = np.empty(total, np.int64)
    end = np.empty(total, np.int64)
    depth = np.empty(total, np.int64)
    leaves: list[int] = []  # pre-order positions of named leaves (their text becomes a token)

    # Python lists are faster than numpy item assignment in the hot loop; copied to numpy at the end.
    p_l: list[int] = []
    k_l: list[int] = []
    n_l: list[bool] = []
    s_l: list[int] = []
    e_l: list[int] = []
    d_l: list[int] = []
    p_app, k_app, n_app, s_app, e_app, d_app = (p_l.append, k_l.append, n_l.append, s_l.append,
                                                 e_l.append, d_l.append)
    leaf_app = leaves.append
    punct_ids = _punctuation_ids(lang) if drop_punctuation else frozenset()

    p_app(-1)
    k_app(root.kind_id)
    n_app(root.is_named)
    s_app(root.start_byte)
    e_app(root.end_byte)
    d_app(0)
    stack = [(iter(root.children), 0, 1)]
    pop = stack.pop
    push = stack.append
    count = 1
    while stack:
        it, pidx, d = stack[-1]
        node = next(it, None)
        if node is None:
            pop()
            continue
        kid = node.kind_id
        if kid in punct_ids:
            continue
        is_named = node.is_named
        p_app(pidx)
        k_app(kid)
        n_app(is_named)
        s_app(node.start_byte)
        e_app(node.end_byte)
        d_app(d)
        if node.child_count:
            push((iter(node.children), count, d + 1))
        elif is_named:
            leaf_app(count)
        count += 1

    parent = np.array(p_l, np.int64)
    kind_local = np.array(k_l, np.int64)
    named = np.array(n_l, np.bool_)
    start = np.array(s_l, np.int64)
    end = np.array(e_l, np.int64)
    depth = np.array(d_l, np.int64)

    kind = np.where(kind_local == _TS_ERROR, 0, kind_local + 1 + lang.offset)
    token = np.zeros(count, np.int64)
    if leaves:
        leaf_idx = np.array(leaves, np.int64)
        ls, le = start[leaf_idx].tolist(), end[leaf_idx].tolist()
        cache: dict[bytes, int] = {}
        ids = []
        for a, b in zip(ls, le):
            text = source[a:b]
            tid = cache.get(text)
            if tid is None:
                tid = cache[text] = token_id(text)
            ids.append(tid)
        token[leaf_idx] = ids

    errors = syntax_errors(tree, source) if root.has_error else []
    return FlatTree(lang.name, parent, kind, token, named, start, end, depth, _line_starts(source), errors)


_PUNCT_CACHE: dict[str, frozenset[int]] = {}


def _punctuation_ids(lang: Language) -> frozenset[int]:
    ids = _PUNCT_CACHE.get(lang.name)
    if ids is None:
        ts_lang = lang.ts_language
        ids = _PUNCT_CACHE[lang.name] = frozenset(
            i for i in range(ts_lang.node_kind_count)
            if not ts_lang.node_kind_is_named(i) and ts_lang.node_kind_for_id(i) in _PUNCTUATION
        )
    return ids


def _drop_mask(lang: Language) -> bytes:
    mask = bytearray(lang.kind_count)
    for i in _punctuation_ids(lang):
        mask[i] = 1
    return bytes(mask)


def has_fast_path() -> bool:
    """Whether the C extension that parses and flattens in one pass is available."""
    return _fast is not None


def syntax_errors(tree: Any, source: bytes, limit: int = 100) -> list[SyntaxDiagnostic]:
    """ERROR and MISSING nodes of ``tree`` as diagnostics (walks only subtrees that contain errors)."""
    out: list[SyntaxDiagnostic] = []
    stack = [tree.root_node]
    while stack and len(out) < limit:
        node = stack.pop()
        if node.is_error:
            out.append(_diagnostic(node, source, _error_message(node, source)))
            continue
        if node.is_missing:
            out.append(_diagnostic(node, source, f"missing {node.type!r}"))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    out.sort(key=lambda e: (e.line, e.column))
    return out


def _error_message(node: Any, source: bytes) -> str:
    text = source[node.start_byte:node.end_byte].decode("utf-8", "replace").strip()
    first = text.splitlines()[0] if text else ""
    if len(first) > 40:
        first = first[:37] + "..."
    return f"syntax error near {first!r}" if first else "syntax error"


def _char_column(source: bytes, byte: int, row_start: int) -> int:
    return len(source[row_start:byte].decode("utf-8", "replace")) + 1


def _diagnostic(node: Any, source: bytes, message: str) -> SyntaxDiagnostic:
    (sr, sc), (er, ec) = node.start_point, node.end_point
    s_row_start = node.start_byte - sc
    e_row_start = node.end_byte - ec
    return SyntaxDiagnostic(sr + 1, _char_column(source, node.start_byte, s_row_start),
                            er + 1, _char_column(source, node.end_byte, e_row_start), message)


def parse(source: bytes | str, language: Language | str, parser: Any = None,
          drop_punctuation: bool = False, fast: bool = True) -> FlatTree:
    """Parse ``source`` (UTF-8) with tree-sitter and flatten it.

    Uses the C extension when it is built (``fast=False`` forces the Python walk); both give identical
    arrays. Syntax-error diagnostics come from the Python binding, and only for sources that have errors.
    """
    lang = get_language(language) if isinstance(language, str) else language
    data = source.encode("utf-8") if isinstance(source, str) else source
    if not (fast and _fast is not None):
        tree = (parser or lang.parser()).parse(data)
        return flatten(tree, data, lang, drop_punctuation=drop_punctuation)
    drop = _DROP_CACHE.get(lang.name) if drop_punctuation else None
    if drop_punctuation and drop is None:
        drop = _DROP_CACHE[lang.name] = _drop_mask(lang)
    n, par, kin, nam, sta, end, dep, tok, hei, ran, sl, sc, el, ec, has_error = _fast.parse_flatten(
        lang.raw, data, lang.offset, drop)
    errors = syntax_errors((parser or lang.parser()).parse(data), data) if has_error else []

    def arr(buf: bytes) -> np.ndarray:
        return np.frombuffer(buf, np.int64)

    return FlatTree(
        lang.name, arr(par), arr(kin), arr(tok), np.frombuffer(nam, np.bool_), arr(sta), arr(end), arr(dep),
        _line_starts(data), errors, height=arr(hei), rank=arr(ran), lines=(arr(sl), arr(sc), arr(el), arr(ec)),
    )


_DROP_CACHE: dict[str, bytes] = {}


def _line_starts(source: bytes) -> np.ndarray:
    newlines = np.flatnonzero(np.frombuffer(source, np.uint8) == 10)
    out = np.empty(len(newlines) + 1, np.int64)
    out[0] = 0
    out[1:] = newlines + 1
    return out
