"""One open buffer: its text, LSP positions in the negotiated encoding, and tree-sitter edits.

LSP positions count columns in UTF-16 code units by default (UTF-8 or UTF-32 when negotiated); Python strings
index code points and tree-sitter counts bytes. Every conversion between the three lives here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

ENCODINGS = ("utf-16", "utf-8", "utf-32")


def _units(ch: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(ch.encode("utf-8", "surrogatepass"))
    if encoding == "utf-16":
        return 2 if ord(ch) > 0xFFFF else 1
    return 1


def column_to_index(line: str, column: int, encoding: str = "utf-16") -> int:
    """Code-point index in ``line`` of an LSP column (clamped to the line's end)."""
    if encoding == "utf-32":
        return min(max(column, 0), len(line))
    seen = 0
    for i, ch in enumerate(line):
        if seen >= column:
            return i
        seen += _units(ch, encoding)
    return len(line)


def index_to_column(line: str, index: int, encoding: str = "utf-16") -> int:
    """LSP column of code-point ``index`` in ``line``."""
    head = line[:max(index, 0)]
    if encoding == "utf-32":
        return len(head)
    return sum(_units(ch, encoding) for ch in head)


def encode(text: str) -> bytes:
    """UTF-8 bytes for tree-sitter; a lone surrogate (possible in JSON strings) becomes U+FFFD."""
    return text.encode("utf-8", "replace")


@dataclass(frozen=True)
class Edit:
    """One replacement in byte and (row, byte column) coordinates, as ``tree_sitter.Tree.edit`` wants them."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


@dataclass
class Buffer:
    """The text of one open document and the edits not yet applied to its tree."""

    uri: str
    language: str
    text: str
    version: int = 0
    encoding: str = "utf-16"
    edits: list[Edit] = field(default_factory=list)
    full_reparse: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _offset(self, line: int, column: int) -> int:
        """Code-point offset of an LSP position (a position past the end clamps to the end)."""
        lines = self.text.split("\n")
        if line < 0:
            return 0
        if line >= len(lines):
            return len(self.text)
        start = sum(len(s) + 1 for s in lines[:line])
        return start + column_to_index(lines[line], column, self.encoding)

    def replace(self, start: tuple[int, int], end: tuple[int, int], new: str, version: int) -> None:
        """Apply one incremental change (LSP start/end positions) and record the tree-sitter edit."""
        with self.lock:
            a, b = self._offset(*start), self._offset(*end)
            if b < a:
                a, b = b, a
            old = self.text
            sb = len(encode(old[:a]))
            ob = sb + len(encode(old[a:b]))
            nb = sb + len(encode(new))
            self.text = old[:a] + new + old[b:]
            self.edits.append(Edit(sb, ob, nb, _point(old, a), _point(old, b), _point(self.text, a + len(new))))
            self.version = version

    def set_text(self, text: str, version: int) -> None:
        """A full-text change: the next parse starts from scratch."""
        with self.lock:
            self.text = text
            self.version = version
            self.edits.clear()
            self.full_reparse = True

    def snapshot(self) -> tuple[int, str, list[Edit], bool]:
        """``(version, text, edits since the last snapshot, whether to parse from scratch)``."""
        with self.lock:
            edits, self.edits = self.edits, []
            full, self.full_reparse = self.full_reparse, False
            return self.version, self.text, edits, full


def _point(text: str, index: int) -> tuple[int, int]:
    """tree-sitter point (row, byte column) of code-point ``index``."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index), len(encode(text[line_start:index]))


def line_text(text: str, line0: int) -> str:
    lines = text.split("\n")
    return lines[line0] if 0 <= line0 < len(lines) else ""
