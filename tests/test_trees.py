"""Flattening tree-sitter trees into TreeBatch: structure, level order, tokens, errors, deep nesting."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import torch

from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import has_fast_path, parse, token_id
from recursa.trees.languages import get_language, kind_name, kind_vocab_size, language_for_path

SAMPLES = {
    "python": b"def f(a, b):\n    while a > b:\n        a = a - (b * 2)\n    assert a <= b, 'x'\n    return [a, b]\n",
    "c": b"int main(void) {\n  int x = 0;\n  for (int i = 0; i < 10; i++) { x += i; }\n  assert(x >= 0);\n}\n",
    "smtlib": b"(set-logic LIA)\n(synth-fun f ((x Int)) Int (+ x 1))\n(constraint (= (f 1) #b0101))\n",
}


def reference_preorder(tree, drop_punct: bool = False):
    """(kind_id, parent_preorder_index, rank, start_byte, end_byte, named) of every node, via explicit stack."""
    out = []
    stack = [(tree.root_node, -1)]
    child_counts: dict[int, int] = {}
    while stack:
        node, par = stack.pop()
        idx = len(out)
        rank = child_counts.get(par, 0)
        child_counts[par] = rank + 1
        out.append((node.kind_id, par, rank if par >= 0 else 0, node.start_byte, node.end_byte, node.is_named))
        for child in reversed(node.children):
            stack.append((child, idx))
    return out


@pytest.mark.parametrize("language", sorted(SAMPLES))
@pytest.mark.parametrize("fast", [True, False])
def test_batch_matches_tree_sitter_tree(language: str, fast: bool) -> None:
    if fast and not has_fast_path():
        pytest.skip("C extension not built")
    lang = get_language(language)
    src = SAMPLES[language]
    ref = reference_preorder(lang.parser().parse(src))
    ft = parse(src, lang, fast=fast)
    batch = TreeBatch.from_trees([ft, ft])
    assert batch.num_nodes == 2 * len(ref)
    assert batch.num_trees == 2

    # map batch nodes back to pre-order positions through their (tree, start, end, depth, kind)
    for t in range(2):
        sel = torch.nonzero(batch.tree == t).flatten()
        # pre-order rank = order of (start_byte, depth) within the tree; ties do not occur in SAMPLES
        keys = sorted(sel.tolist(), key=lambda i: (int(batch.start_byte[i]), int(batch.depth[i])))
        pos = {node: p for p, node in enumerate(keys)}
        for node, p in pos.items():
            kind_id, par, rank, s, e, named = ref[p]
            assert int(batch.kind[node]) == lang.global_kind(kind_id)
            assert (int(batch.start_byte[node]), int(batch.end_byte[node])) == (s, e)
            assert bool(batch.named[node]) == named
            assert int(batch.rank[node]) == rank
            bp = int(batch.parent[node])
            assert (bp == -1) == (par == -1)
            if bp >= 0:
                assert pos[bp] == par


def test_levels_are_contiguous_and_ordered() -> None:
    fts = [parse(src, lang) for lang, src in SAMPLES.items()]
    b = TreeBatch.from_trees(fts)
    h = b.height
    assert torch.all(h[1:] >= h[:-1]), "nodes must be sorted by height"
    for level, sl in enumerate(b.levels()):
        assert torch.all(h[sl] == level)
    has_parent = b.parent >= 0
    assert torch.all(b.height[b.parent[has_parent]] > b.height[has_parent])
    # height is exactly 1 + max child height
    expect = torch.zeros_like(h)
    expect.scatter_reduce_(0, b.parent[has_parent], h[has_parent] + 1, reduce="amax")
    assert torch.equal(expect, h)
    assert torch.equal(b.tree_height, h[b.tree_root])
    assert torch.all(b.parent[b.tree_root] == -1)
    assert b.tree_size.tolist() == [f.num_nodes for f in fts]
    # depth agrees with the parent chain
    assert torch.all(b.depth[has_parent] == b.depth[b.parent[has_parent]] + 1)


def test_from_parent_lists_structure() -> None:
    # tree 0:  0 -> (1 -> (3), 2);  tree 1: a single node
    b = TreeBatch.from_parent_lists([[-1, 0, 1, 0], [-1]], kinds=[[5, 6, 7, 8], [9]])
    assert b.level_ptr.tolist() == [0, 3, 4, 5]
    assert b.kind.tolist() == [7, 8, 9, 6, 5]  # leaves by tree then pre-order, then height 1, then 2
    assert b.parent.tolist() == [3, 4, -1, 4, -1]
    assert b.rank.tolist() == [0, 1, 0, 0, 0]
    assert b.children_of(4) == [3, 1]
    assert b.tree_height.tolist() == [2, 0]
    assert b.depth.tolist() == [2, 1, 0, 1, 0]


def test_to_device_roundtrip() -> None:
    b = TreeBatch.from_trees([parse(SAMPLES["python"], "python")])
    c = b.to("cpu")
    assert torch.equal(b.parent, c.parent)
    if torch.cuda.is_available():  # pragma: no cover - GPU machines
        g = b.to("cuda")
        assert g.device.type == "cuda" and torch.equal(g.kind.cpu(), b.kind)


def test_lines_and_columns() -> None:
    src = b"x = 1\nif x:\n    y = x + 22\n"
    b = TreeBatch.from_trees([parse(src, "python")])
    sel = (b.token == token_id(b"22")).nonzero().flatten()
    assert len(sel) == 1
    i = int(sel[0])
    assert (int(b.start_line[i]), int(b.start_col[i]), int(b.end_line[i]), int(b.end_col[i])) == (2, 12, 2, 14)


def test_tokens_small_integers_exact_and_identifiers_hashed() -> None:
    assert token_id(b"0") == 1 and token_id(b"7") == 8 and token_id(b"255") == 256
    assert token_id(b"256") > 256 and token_id(b"x") > 256
    assert token_id(b"x") == token_id(b"x") != token_id(b"y")
    ft = parse(b"max(3, 4)", "python")
    assert sorted(t for t in ft.token.tolist() if 0 < t <= 256) == [4, 5]


def test_drop_punctuation_keeps_operators() -> None:
    full = parse(b"f(a - b, c)", "python")
    slim = parse(b"f(a - b, c)", "python", drop_punctuation=True)
    names = [kind_name(int(k)) for k in slim.kind]
    assert "python:-" in names
    assert "python:(" not in names and "python:," not in names
    assert slim.num_nodes == full.num_nodes - 3


def test_kind_vocabulary_offsets() -> None:
    py, c, smt = (get_language(n) for n in ("python", "c", "smtlib"))
    assert py.offset == 0 and c.offset == py.kind_count and smt.offset == py.kind_count + c.kind_count
    assert kind_vocab_size() == 1 + py.kind_count + c.kind_count + smt.kind_count
    k = parse(b"int x;", "c").kind
    assert all(kind_name(int(v)).startswith("c:") for v in k)


def test_language_for_path() -> None:
    assert language_for_path("a/b.py").name == "python"
    assert language_for_path("x.H").name == "c"
    assert language_for_path("q.sl").name == "smtlib"
    assert language_for_path("q.smt2").name == "smtlib"
    assert language_for_path("notes.txt") is None


def test_syntax_error_locations() -> None:
    ft = parse(b"x = 1\ny = (2 +\nz = 3\n", "python")
    assert [(e.line, e.column) for e in ft.errors] == [(2, 3)]  # tree-sitter's ERROR node starts at '='
    assert parse(b"def f(:\n  pass\n", "python").errors[0].to_json() == {
        "line": 1, "column": 7, "end_line": 1, "end_column": 7, "message": "missing ')'"}
    # C: a missing semicolon is a MISSING node at the end of the statement
    c = parse(b"int f(void) {\n  return 1\n}\n", "c")
    assert [(e.line, e.column, e.message) for e in c.errors] == [(2, 11, "missing ';'")]
    # columns count characters, not bytes ('é' is two bytes in UTF-8)
    u = parse('int f(void) {\n  char *s = "é"; return 1\n}\n'.encode(), "c")
    assert [(e.line, e.column) for e in u.errors] == [(2, 26)]  # byte column would be 27
    assert parse(b"x = 1\n", "python").errors == []


@pytest.mark.parametrize("depth", [10_000])
def test_deep_nesting_without_recursion(depth: int) -> None:
    src = ("x = " + "(" * depth + "1" + ")" * depth + "\n").encode()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk anywhere would now fail
    try:
        ft = parse(src, "python")
        slow = parse(src, "python", fast=False)
        b = TreeBatch.from_trees([ft])
    finally:
        sys.setrecursionlimit(limit)
    assert ft.named_height() >= depth
    assert b.max_height >= depth
    assert np.array_equal(ft.parent, slow.parent)


def test_stdlib_sample_fast_equals_python_walk() -> None:
    if not has_fast_path():
        pytest.skip("C extension not built")
    std = Path(sysconfig.get_paths()["stdlib"])
    files = sorted((std / "json").glob("*.py")) + sorted((std / "email").glob("*.py"))[:8]
    assert files
    for f in files:
        src = f.read_bytes()
        for drop in (False, True):
            a = parse(src, "python", drop_punctuation=drop)
            b = parse(src, "python", drop_punctuation=drop, fast=False)
            for name in ("parent", "kind", "token", "named", "start_byte", "end_byte", "depth", "line_starts"):
                assert np.array_equal(getattr(a, name), getattr(b, name)), (f, name)


def test_c_assembly_equals_numpy_assembly(monkeypatch: pytest.MonkeyPatch) -> None:
    import recursa.trees.batch as batch_mod

    if batch_mod._fast is None:
        pytest.skip("C extension not built")
    fts = [parse(src, lang) for lang, src in SAMPLES.items()] + [parse(b"x", "python")]
    fast = TreeBatch.from_trees(fts)
    monkeypatch.setattr(batch_mod, "_fast", None)
    slow = TreeBatch.from_trees(fts)
    for name in ("kind", "token", "parent", "rank", "height", "depth", "tree", "named", "start_byte", "end_byte",
                 "start_line", "start_col", "end_line", "end_col", "level_ptr", "tree_root", "tree_height",
                 "tree_size"):
        assert torch.equal(getattr(fast, name), getattr(slow, name)), name
