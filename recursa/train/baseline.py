"""The fixed-depth transformer baseline: ``transformers.BertForSequenceClassification`` from a ``BertConfig``.

Input: the expression's token sequence, i.e. the leaves of its tree-sitter parse in source order (brackets and
commas included: a sequence model needs them), each mapped to an id: named leaves (numbers, names) by their
:func:`recursa.trees.flatten.token_id`, anonymous leaves (punctuation, operators) by their grammar kind. So the
baseline sees the same vocabulary as the reasoner's embeddings, only flattened. A ``[CLS]`` token leads;
classification reads its final state (BERT's pooler + a linear head). Built from a config, never downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from recursa.tasks.dataset import check_labels, parse_examples
from recursa.tasks.examples import Example
from recursa.trees.flatten import TOKEN_VOCAB, FlatTree
from recursa.trees.languages import kind_vocab_size

PAD_ID = 0
CLS_ID = 1
_SPECIAL = 2
TOKENIZER_NAME = "recursa-leaves-v1"
_PUNCT = np.frombuffer(b"()[]{},;:.", np.uint8)


def vocab_size() -> int:
    return _SPECIAL + TOKEN_VOCAB + kind_vocab_size()


def leaf_ids(tree: FlatTree) -> np.ndarray:
    """Token ids of a full (punctuation kept) parse's leaves in source order."""
    n = tree.num_nodes
    has_child = np.zeros(n, bool)
    has_child[tree.parent[tree.parent >= 0]] = True
    leaves = np.flatnonzero(~has_child)  # pre-order == source order for leaves
    tok = tree.token[leaves].astype(np.int64)
    kind = tree.kind[leaves].astype(np.int64)
    return np.where(tok > 0, _SPECIAL + tok, _SPECIAL + TOKEN_VOCAB + kind).astype(np.int32)


def _visible_height(tree: FlatTree, text: bytes) -> int:
    """Height of the tree without punctuation leaves: the height the reasoner sees (for the metrics)."""
    n = tree.num_nodes
    has_child = np.zeros(n, bool)
    has_child[tree.parent[tree.parent >= 0]] = True
    src = np.frombuffer(text, np.uint8)
    start = np.minimum(tree.start_byte.astype(np.int64), max(len(src) - 1, 0))
    punct = (~has_child & ~tree.named & ((tree.end_byte - tree.start_byte) == 1)
             & np.isin(src[start] if len(src) else np.zeros(n, np.uint8), _PUNCT))
    return int(tree.depth[~punct].max())


class SequenceDataset:
    """Examples as leaf-token sequences for the baseline (the counterpart of ``TreeDataset``)."""

    def __init__(self, examples: Sequence[Example], num_labels: int | None = None) -> None:
        from recursa.tasks.dataset import parse_language

        trees, self.examples = parse_examples(examples, drop_punctuation=False)
        self.sequences = [leaf_ids(t) for t in trees]
        self.heights = np.array([_visible_height(t, parse_language(e)[1].encode("utf-8"))
                                 for t, e in zip(trees, self.examples)], np.int64)
        self.labels = np.array([e.label for e in self.examples], np.int64)
        self.depths = np.array([e.depth for e in self.examples], np.int64)
        self.languages = [e.language for e in self.examples]
        self.lengths = np.array([len(s) + 1 for s in self.sequences], np.int64)
        check_labels(self.labels, self.examples, num_labels)

    def __len__(self) -> int:
        return len(self.examples)

    def batch(self, indices: Sequence[int] | np.ndarray, max_length: int) -> tuple[dict[str, torch.Tensor],
                                                                                  torch.Tensor]:
        """Padded ``input_ids`` / ``attention_mask`` (``[CLS]`` first; longer inputs keep their first tokens)."""
        idx = np.asarray(indices, np.int64)
        length = int(min(self.lengths[idx].max(), max_length))
        ids = np.full((len(idx), length), PAD_ID, np.int64)
        for row, i in enumerate(idx):
            seq = self.sequences[i][:length - 1]
            ids[row, 0] = CLS_ID
            ids[row, 1:1 + len(seq)] = seq
        ids_t = torch.from_numpy(ids)
        return {"input_ids": ids_t, "attention_mask": (ids_t != PAD_ID).long()}, torch.from_numpy(self.labels[idx])


def bert_config(hidden_size: int, num_layers: int, num_labels: int, heads: int | None = None,
                max_positions: int = 2048):  # -> transformers.BertConfig
    """The baseline's config: BERT of the reasoner's width, ``4 * hidden`` feed-forward, no dropout."""
    from transformers import BertConfig

    if heads is None:
        heads = max(1, hidden_size // 16)
    if hidden_size % heads:
        raise ValueError(f"hidden size {hidden_size} is not divisible by {heads} attention heads")
    return BertConfig(vocab_size=vocab_size(), hidden_size=hidden_size, num_hidden_layers=num_layers,
                      num_attention_heads=heads, intermediate_size=4 * hidden_size,
                      max_position_embeddings=max_positions, num_labels=num_labels, hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0, type_vocab_size=1, recursa_tokenizer=TOKENIZER_NAME)


def core_parameters(module: torch.nn.Module) -> int:
    """Parameters outside the token / kind / position embedding tables (what depth of compute costs)."""
    total = 0
    for name, p in module.named_parameters():
        if "embed" in name and "norm" not in name.lower() and "LayerNorm" not in name:
            continue
        total += p.numel()
    return total


def matched_layers(hidden_size: int, target_core_params: int, num_labels: int) -> int:
    """The number of BERT layers whose non-embedding parameters come closest to ``target_core_params``."""
    from transformers import BertForSequenceClassification

    best, best_gap = 1, None
    for layers in range(1, 13):
        cfg = bert_config(hidden_size, layers, num_labels, max_positions=8)
        cfg.vocab_size = 8
        n = core_parameters(BertForSequenceClassification(cfg))
        gap = abs(n - target_core_params)
        if best_gap is None or gap < best_gap:
            best, best_gap = layers, gap
    return best
