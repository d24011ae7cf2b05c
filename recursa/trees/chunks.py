"""Splitting a huge source file into independently parseable runs of top-level definitions.

A 20 MB file flattened in one piece holds ~6 million nodes in a dozen int64 arrays (well over a gigabyte
with the copies), although every question ``recursa parse`` asks is answered per function. Cutting the file
between top-level definitions keeps memory bounded by the chunk instead of the file.

The cut points are found from the text alone (a line starting in column 0 that can only begin a new
top-level item), so they can be wrong inside a multi-line string, comment or bracket. Such a cut always
leaves a syntax error in one of the two pieces; callers therefore treat the chunked answer as valid only
when every chunk parses cleanly, and otherwise parse the whole file (which also gives the error locations
relative to the whole file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

#: Files below this size are parsed in one piece (chunking only pays off for huge inputs).
CHUNK_THRESHOLD = 4 << 20
#: Target size of one chunk in bytes.
CHUNK_BYTES = 1 << 20

# A Python top-level statement that cannot continue the previous one (not else/elif/except/finally, not a
# closing bracket, not a decorator's function, not a comment).
_PY_START = re.compile(rb"(?:def|class|async|import|from|if|for|while|with|try|[A-Za-z_][A-Za-z0-9_]*\s*=)[\s(:]")
# A C line in column 0 that starts a declaration or definition.
_C_START = re.compile(rb"[A-Za-z_]|//|/\*")


@dataclass(frozen=True)
class Chunk:
    """A piece of a source: its bytes and where it starts in the whole file (byte offset, 0-based line)."""

    data: bytes
    byte_offset: int
    line_offset: int


def split_top_level(source: bytes, language: str, target: int | None = None) -> list[Chunk] | None:
    """Pieces of ``source`` of about ``target`` bytes (default ``CHUNK_BYTES``), cut before top-level items;
    None when the language has no splitting rule or no cut point was found."""
    if language not in ("c", "python"):
        return None
    target = target or CHUNK_BYTES
    cuts = list(_cut_points(source, language, target))
    if not cuts:
        return None
    chunks = []
    prev = 0
    line = 0
    for cut in [*cuts, len(source)]:
        piece = source[prev:cut]
        chunks.append(Chunk(piece, prev, line))
        line += piece.count(b"\n")
        prev = cut
    return chunks


def _cut_points(source: bytes, language: str, target: int) -> Iterator[int]:
    n = len(source)
    pos = target
    while pos < n:
        cut = _next_cut(source, pos, language)
        if cut is None or cut >= n:
            return
        yield cut
        pos = cut + target


def _next_cut(source: bytes, pos: int, language: str) -> int | None:
    """The first line start at or after ``pos`` where a new top-level item may begin."""
    start = pos
    while True:
        nl = source.find(b"\n", start)
        if nl < 0:
            return None
        line_start = nl + 1
        if line_start >= len(source):
            return None
        if _is_boundary(source, line_start, language):
            return line_start
        start = line_start


def _is_boundary(source: bytes, line_start: int, language: str) -> bool:
    # the previous line must not continue onto this one (backslash continuation)
    prev_end = line_start - 1
    prev = source[source.rfind(b"\n", 0, prev_end) + 1:prev_end].rstrip(b"\r")
    if prev.endswith(b"\\"):
        return False
    head = source[line_start:line_start + 64]
    if language == "python":
        return bool(_PY_START.match(head)) and not prev.startswith(b"@")
    # C: after a line that closes a top-level item (a lone "}" or a declaration ending in ";" in column 0)
    if not _C_START.match(head):
        return False
    stripped = prev.rstrip()
    return stripped == b"}" or (stripped.endswith(b";") and bool(stripped[:1]) and not stripped[:1].isspace()
                                and not stripped.startswith(b"#"))
