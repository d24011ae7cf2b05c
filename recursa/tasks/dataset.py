"""Examples parsed once into compact :class:`FlatTree` s, kept in memory, batched as :class:`TreeBatch`.

Each example is parsed with tree-sitter (the bracket ListOps form as an s-expression with the smtlib
grammar). The reasoner sees the tree without punctuation leaves (brackets, commas); the transformer baseline
sees the full leaf sequence (see :mod:`recursa.train.baseline`). Missing depths are computed from the parse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from recursa.tasks.annotate import node_values
from recursa.tasks.depth import operator_depth
from recursa.tasks.examples import DataError, Example
from recursa.tasks.listops import brackets_to_sexpr
from recursa.trees.arrays import level_order
from recursa.trees.flatten import FlatTree, parse
from recursa.trees.languages import get_language, qualified_kind_ids
from recursa.trees.transform import splice


def parse_language(example: Example) -> tuple[str, str]:
    """The (tree-sitter language, text) an example is parsed as."""
    if example.language == "listops":
        return "smtlib", brackets_to_sexpr(example.source)
    return example.language, example.source


def _compact(ft: FlatTree) -> FlatTree:
    """Same tree in small integer types (a training set holds tens of thousands of them)."""
    return FlatTree(ft.language, ft.parent.astype(np.int32), ft.kind.astype(np.int16), ft.token.astype(np.int16),
                    ft.named, ft.start_byte.astype(np.int32), ft.end_byte.astype(np.int32),
                    ft.depth.astype(np.int32), ft.line_starts.astype(np.int32), ft.errors,
                    height=ft.height.astype(np.int32), rank=ft.rank.astype(np.int32),
                    lines=tuple(a.astype(np.int32) for a in ft.lines))


def check_labels(labels: np.ndarray, examples: Sequence[Example], num_labels: int | None) -> None:
    """Raise :class:`DataError` naming the first example whose label is not one of the model's classes."""
    if num_labels is not None and len(labels) and int(labels.max()) >= num_labels:
        bad = int(np.argmax(labels >= num_labels))
        raise DataError(examples[bad].origin, f"label {labels[bad]} is outside the model's {num_labels} classes")


def parse_examples(examples: Sequence[Example], drop_punctuation: bool = True, allow_errors: bool = False,
                   node_labels: list[np.ndarray] | None = None, splice_kinds: Sequence[str] = ()
                   ) -> tuple[list[FlatTree], list[Example]]:
    """Parse every example once; returns the trees and the examples with depths filled in.

    Raises :class:`DataError` naming the example's origin on a syntax error (unless ``allow_errors``). With a
    ``node_labels`` list, the value of every sub-expression (:func:`recursa.tasks.annotate.node_values`) is
    appended to it, one array per tree. ``splice_kinds`` (``language:kind`` names, e.g.
    ``python:argument_list``) are wrapper nodes taken out of the trees (:func:`recursa.trees.transform.splice`).
    """
    splice_ids = qualified_kind_ids(splice_kinds)  # global ids: one language's never match another's trees
    parsers: dict[str, object] = {}
    trees: list[FlatTree] = []
    filled: list[Example] = []
    for ex in examples:
        try:
            language, text = parse_language(ex)
        except ValueError as exc:
            raise DataError(ex.origin, f"bad ListOps expression: {exc}") from None
        parser = parsers.get(language)
        if parser is None:
            parser = parsers[language] = get_language(language).parser()
        ft = parse(text, language, parser, drop_punctuation=drop_punctuation)
        if ft.errors and not allow_errors:
            err = ft.errors[0]
            raise DataError(ex.origin, f"{ex.language} syntax error at {err.line}:{err.column}: {err.message}")
        if ex.depth < 0:
            ex = replace(ex, depth=operator_depth(ft))
        values = node_values(ft, text) if node_labels is not None else None
        if splice_ids:
            ft, kept = splice(ft, splice_ids)
            values = None if values is None else values[kept]
        if node_labels is not None:
            node_labels.append(values)
        trees.append(_compact(ft))
        filled.append(ex)
    return trees, filled


class TreeDataset:
    """Examples with their parsed trees, labels, depths and tree heights, ready to batch.

    ``splice_kinds``: wrapper kinds taken out of every tree (see :func:`parse_examples`).
    ``node_labels=True`` also keeps the value of every sub-expression (per-node labels, see
    :mod:`recursa.tasks.annotate`) for the reasoner's per-node loss.
    """

    def __init__(self, examples: Sequence[Example], num_labels: int | None = None,
                 node_labels: bool = False, splice_kinds: Sequence[str] = ()) -> None:
        self.node_labels: list[np.ndarray] | None = [] if node_labels else None
        self.trees, self.examples = parse_examples(examples, node_labels=self.node_labels,
                                                   splice_kinds=splice_kinds)
        self.labels = np.array([e.label for e in self.examples], np.int64)
        self.depths = np.array([e.depth for e in self.examples], np.int64)
        self.heights = np.array([t.tree_height() for t in self.trees], np.int64)
        self.languages = [e.language for e in self.examples]
        check_labels(self.labels, self.examples, num_labels)

    def __len__(self) -> int:
        return len(self.examples)

    def batch(self, indices: Sequence[int] | np.ndarray):  # -> tuple[TreeBatch, torch.Tensor]
        """A :class:`TreeBatch` of the given examples and their labels (LongTensor)."""
        import torch

        from recursa.trees.batch import TreeBatch

        idx = np.asarray(indices, np.int64)
        return TreeBatch.from_trees([self.trees[i] for i in idx]), torch.from_numpy(self.labels[idx])

    def node_label_batch(self, indices: Sequence[int] | np.ndarray):  # -> torch.Tensor | None
        """Per-node labels of the given examples in :class:`TreeBatch` node order (``None`` without them)."""
        import torch

        if self.node_labels is None:
            return None
        idx = np.asarray(indices, np.int64)
        labels = np.concatenate([self.node_labels[i] for i in idx]).astype(np.int64)
        return torch.from_numpy(labels[level_order(np.concatenate([self.trees[i].height for i in idx]))])

    def by_depth(self) -> dict[int, np.ndarray]:
        """Example indices grouped by depth."""
        return {int(d): np.flatnonzero(self.depths == d) for d in np.unique(self.depths)}
