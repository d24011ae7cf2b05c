"""Parse-and-flatten throughput: tree-sitter → TreeBatch against Python's ``ast`` → the same TreeBatch.

Both routes start from the same UTF-8 sources in memory and end with one level-ordered
:class:`~recursa.trees.batch.TreeBatch` per chunk of files, so the ratio compares like with like.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from recursa.trees.batch import TreeBatch
from recursa.trees.files import SourceFile, collect
from recursa.trees.flatten import has_fast_path, parse
from recursa.trees.source import SourceError, read_source

CHUNK_FILES = 64


@dataclass(frozen=True)
class ParseBench:
    files: int
    bytes: int
    ts_nodes: int
    ts_seconds: float
    ts_nodes_per_s: float
    ts_parse_only_seconds: float
    ast_files: int
    ast_nodes: int
    ast_seconds: float
    ast_nodes_per_s: float
    ts_seconds_same_files: float
    speedup_vs_ast: float
    fast_path: bool
    pinned_core: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def pin_to_one_core() -> int | None:
    """Restrict this process to one CPU core (Linux); returns the core, or None where unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def load_sources(paths: Sequence[str]) -> tuple[list[tuple[SourceFile, bytes]], list[str]]:
    """Readable sources under ``paths`` and messages for the rest."""
    ok: list[tuple[SourceFile, bytes]] = []
    skipped: list[str] = []
    for item in collect(paths):
        if not isinstance(item, SourceFile):
            skipped.append(f"{item.path}: {item.message}")
            continue
        try:
            ok.append((item, read_source(item.path, python=item.language.name == "python")))
        except SourceError as exc:
            skipped.append(str(exc))
    return ok, skipped


def treesitter_route(sources: Sequence[tuple[SourceFile, bytes]]) -> tuple[int, float]:
    """Parse and flatten every source into TreeBatches; returns (nodes, seconds)."""
    nodes = 0
    start = time.perf_counter()
    for i in range(0, len(sources), CHUNK_FILES):
        trees = [parse(src, f.language) for f, src in sources[i:i + CHUNK_FILES]]
        nodes += TreeBatch.from_trees(trees).num_nodes
    return nodes, time.perf_counter() - start


def parse_only(sources: Sequence[tuple[SourceFile, bytes]]) -> float:
    """tree-sitter's own parse through its Python binding, no flattening: the floor for any route."""
    parsers: dict[str, Any] = {}
    start = time.perf_counter()
    for f, src in sources:
        parser = parsers.get(f.language.name)
        if parser is None:
            parser = parsers[f.language.name] = f.language.parser()
        parser.parse(src)
    return time.perf_counter() - start


def ast_route(sources: Sequence[bytes]) -> tuple[int, float]:
    """``ast.parse`` + an iterative pre-order flatten into the same TreeBatch; returns (nodes, seconds)."""
    nodes = 0
    start = time.perf_counter()
    kind_ids: dict[type, int] = {}
    for i in range(0, len(sources), CHUNK_FILES):
        parents: list[int] = []
        kinds: list[int] = []
        starts: list[int] = []
        trees: list[int] = []
        for t_idx, src in enumerate(sources[i:i + CHUNK_FILES]):
            root = ast.parse(src)
            stack = [(root, -1)]
            while stack:
                node, par = stack.pop()
                idx = len(parents)
                parents.append(par)
                cls = type(node)
                kid = kind_ids.get(cls)
                if kid is None:
                    kid = kind_ids[cls] = len(kind_ids) + 1
                kinds.append(kid)
                starts.append(getattr(node, "col_offset", 0))
                trees.append(t_idx)
                children = list(ast.iter_child_nodes(node))
                stack.extend((c, idx) for c in reversed(children))
        batch = TreeBatch.from_preorder(np.array(parents, np.int64), np.array(kinds, np.int64),
                                        tree=np.array(trees, np.int64), start_byte=np.array(starts, np.int64))
        nodes += batch.num_nodes
    return nodes, time.perf_counter() - start


def _ast_parses(src: bytes) -> bool:
    try:
        ast.parse(src)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def run(paths: Sequence[str], pin: bool = True) -> tuple[ParseBench, list[str]]:
    """Measure both routes on the sources under ``paths`` in this one run."""
    core = pin_to_one_core() if pin else None
    sources, skipped = load_sources(paths)
    if not sources:
        raise ValueError("no readable source files under the given paths")
    total_bytes = sum(len(s) for _, s in sources)
    # warm-up: load grammars and the extension, touch numpy paths
    treesitter_route(sources[:2])
    ts_nodes, ts_seconds = treesitter_route(sources)
    parse_seconds = parse_only(sources)

    py_same = [(f, s) for f, s in sources if f.language.name == "python" and _ast_parses(s)]
    ast_nodes = ast_seconds = 0.0
    ts_same = 0.0
    if py_same:
        ast_route([s for _, s in py_same[:2]])
        ast_nodes, ast_seconds = ast_route([s for _, s in py_same])
        _, ts_same = treesitter_route(py_same)
    result = ParseBench(
        files=len(sources),
        bytes=total_bytes,
        ts_nodes=int(ts_nodes),
        ts_seconds=ts_seconds,
        ts_nodes_per_s=ts_nodes / ts_seconds if ts_seconds else 0.0,
        ts_parse_only_seconds=parse_seconds,
        ast_files=len(py_same),
        ast_nodes=int(ast_nodes),
        ast_seconds=float(ast_seconds),
        ast_nodes_per_s=ast_nodes / ast_seconds if ast_seconds else 0.0,
        ts_seconds_same_files=ts_same,
        speedup_vs_ast=ast_seconds / ts_same if ts_same else 0.0,
        fast_path=has_fast_path(),
        pinned_core=core,
    )
    return result, skipped


def describe(b: ParseBench) -> str:
    lines = [
        f"files: {b.files} ({b.bytes / 1e6:.1f} MB), C walk: {'yes' if b.fast_path else 'no (Python walk)'}"
        + (f", pinned to core {b.pinned_core}" if b.pinned_core is not None else ""),
        f"tree-sitter parse + flatten -> TreeBatch: {b.ts_nodes:,} nodes in {b.ts_seconds:.2f} s "
        f"= {b.ts_nodes_per_s:,.0f} nodes/s",
        f"  (tree-sitter's parse alone, no flattening: {b.ts_parse_only_seconds:.2f} s "
        f"= {b.ts_nodes / max(b.ts_parse_only_seconds, 1e-9):,.0f} nodes/s)",
    ]
    if b.ast_files:
        lines += [
            f"ast.parse + flatten -> TreeBatch ({b.ast_files} .py files ast accepts): {b.ast_nodes:,} ast nodes "
            f"in {b.ast_seconds:.2f} s = {b.ast_nodes_per_s:,.0f} nodes/s",
            f"tree-sitter on the same files: {b.ts_seconds_same_files:.2f} s",
            f"ratio (ast time / tree-sitter time, same files): {b.speedup_vs_ast:.2f}x",
        ]
    return "\n".join(lines)


__all__ = ["ParseBench", "describe", "run"]
