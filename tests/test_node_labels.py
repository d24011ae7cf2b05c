"""Per-node value labels, wrapper splicing, the expression readout and the per-node loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recursa.equilibrium.model import RecursaConfig, RecursaForTreeClassification, readout_nodes
from recursa.tasks import arith, listops
from recursa.tasks.annotate import IGNORE, node_values
from recursa.tasks.dataset import TreeDataset, parse_language
from recursa.tasks.registry import generate
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import parse
from recursa.trees.languages import get_language, kind_name
from recursa.trees.transform import splice


def labelled(source: str, language: str) -> dict[str, int]:
    ft = parse(source, language, drop_punctuation=True)
    values = node_values(ft, source)
    data = source.encode()
    return {data[ft.start_byte[i]:ft.end_byte[i]].decode(): int(values[i])
            for i in range(ft.num_nodes) if values[i] != IGNORE}


def test_every_listops_sub_expression_gets_its_value_in_both_syntaxes() -> None:
    assert labelled("max(3, med(1, 9, 4), sm(7, 8))", "python") == {
        "max(3, med(1, 9, 4), sm(7, 8))": 5, "3": 3, "med(1, 9, 4)": 4, "1": 1, "9": 9, "4": 4,
        "sm(7, 8)": 5, "7": 7, "8": 8}
    assert labelled("(MAX 3 (MED 1 9 4) (SM 7 8))", "smtlib") == {
        "(MAX 3 (MED 1 9 4) (SM 7 8))": 5, "3": 3, "(MED 1 9 4)": 4, "1": 1, "9": 9, "4": 4,
        "(SM 7 8)": 5, "7": 7, "8": 8}


def test_arithmetic_nodes_are_labelled_mod_10_and_unknown_operators_are_not() -> None:
    assert labelled("(3 + 4) * -2", "python") == {"(3 + 4) * -2": 6, "(3 + 4)": 7, "3 + 4": 7, "3": 3, "4": 4,
                                                  "-2": 8, "2": 2}
    c = labelled("int r = (3 + 4) * -2;", "c")
    assert c["(3 + 4) * -2"] == 6 and c["3 + 4"] == 7
    assert labelled("foo(1, 2)", "python") == {"1": 1, "2": 2}
    assert labelled("max(1, foo(2))", "python") == {"1": 1, "2": 2}  # unknown below: nothing above


@pytest.mark.parametrize("task", ["listops", "arith"])
def test_node_labels_agree_with_the_reference_evaluator_on_generated_data(task: str) -> None:
    module = listops if task == "listops" else arith
    for ex in generate(task, [1, 4, 9], 15, seed=3):
        language, text = parse_language(ex)
        ft = parse(text, language, drop_punctuation=True)
        values = node_values(ft, text)
        data = text.encode()
        checked = 0
        for i in np.flatnonzero(values != IGNORE):
            sub = data[ft.start_byte[i]:ft.end_byte[i]].decode()
            ref = module.evaluate(sub, language)
            assert int(values[i]) == (ref[0] if task == "listops" else ref), (ex.source, sub)
            checked += 1
        assert checked >= 3


def test_splice_hands_children_to_the_grandparent_in_order() -> None:
    src = "max(3, med(1, 9, 4))"
    ft = parse(src, "python", drop_punctuation=True)
    out, keep = splice(ft, get_language("python").global_kind_ids("argument_list"))
    assert keep.sum() == out.num_nodes == ft.num_nodes - 2
    names = [kind_name(int(k)).split(":")[1] for k in out.kind]
    assert names == ["module", "expression_statement", "call", "identifier", "integer", "call", "identifier",
                     "integer", "integer", "integer"]
    call = names.index("call")
    kids = [i for i in range(out.num_nodes) if out.parent[i] == call]
    assert [src[out.start_byte[i]:out.end_byte[i]] for i in kids] == ["max", "3", "med(1, 9, 4)"]
    assert out.rank[kids].tolist() == [0, 1, 2]
    assert out.tree_height() == ft.tree_height() - 2
    assert out.height[0] == out.tree_height()


def test_splice_handles_chains_of_wrappers_and_deep_trees_without_recursion() -> None:
    src = "sm(" * 3000 + "1" + ")" * 3000
    ft = parse(src, "python", drop_punctuation=True)
    out, _ = splice(ft, get_language("python").global_kind_ids("argument_list"))
    assert out.num_nodes == ft.num_nodes - 3000
    assert out.tree_height() == 2 + 3000


def test_expression_readout_skips_single_child_wrappers() -> None:
    ds = TreeDataset(generate("listops", [2], 2, seed=0) + generate("arith", [2], 2, seed=0))
    batch, _ = ds.batch(np.arange(len(ds)))
    nodes = readout_nodes(batch, "expression")
    assert torch.equal(readout_nodes(batch, "root"), batch.tree_root)
    names = [kind_name(int(batch.kind[i])) for i in nodes]
    assert names[:2] == ["python:call", "python:call"]
    assert names[2:4] == ["smtlib:list_lit", "smtlib:list_lit"]
    assert names[4:6] == ["python:binary_operator", "python:binary_operator"]
    assert names[6:] == ["c:declaration", "c:declaration"]  # several children: read there
    single = TreeBatch.from_parent_lists([[-1]])
    assert readout_nodes(single, "expression").tolist() == [0]


def test_node_labels_follow_the_batch_order_and_the_node_loss_is_added() -> None:
    examples = generate("listops", [1, 3], 4, seed=2)
    ds = TreeDataset(examples, node_labels=True, splice_kinds=["python:argument_list"])
    idx = np.arange(len(ds))
    batch, labels = ds.batch(idx)
    node_labels = ds.node_label_batch(idx)
    assert node_labels is not None and node_labels.shape == (batch.num_nodes,)
    # each labelled node's label is the value of the text it spans
    for i in torch.nonzero(node_labels != IGNORE).flatten().tolist():
        ex = ds.examples[int(batch.tree[i])]
        language, text = parse_language(ex)
        sub = text.encode()[int(batch.start_byte[i]):int(batch.end_byte[i])].decode()
        assert int(node_labels[i]) == listops.evaluate(sub, language)[0]
    torch.manual_seed(0)
    cfg = dict(hidden_size=16, num_labels=10, readout="expression")
    plain = RecursaForTreeClassification(RecursaConfig(**cfg))
    weighted = RecursaForTreeClassification(RecursaConfig(**cfg, node_loss_weight=0.5))
    weighted.load_state_dict(plain.state_dict())
    base = plain(batch, labels=labels, node_labels=node_labels).loss
    out = weighted(batch, labels=labels, node_labels=node_labels)
    keep = node_labels != IGNORE
    node_ce = torch.nn.functional.cross_entropy(weighted.head(out.node_states[keep]), node_labels[keep])
    assert torch.allclose(out.loss, base + 0.5 * node_ce, atol=1e-5)
    assert torch.allclose(weighted(batch, labels=labels).loss, base, atol=1e-6)
    with pytest.raises(ValueError, match="node_labels must have shape"):
        weighted(batch, labels=labels, node_labels=node_labels[:-1])


def test_config_rejects_bad_readout_and_splice_names() -> None:
    with pytest.raises(ValueError, match="readout"):
        RecursaConfig(readout="leaf")
    for bad in (["argument_list"], ["cobol:paragraph"], ["python:"]):
        with pytest.raises(ValueError, match="splice_kinds"):
            RecursaConfig(splice_kinds=bad)
    with pytest.raises(ValueError, match="child_norm"):
        RecursaConfig(child_norm="batch")


def test_value_consistency_pulls_states_of_one_value_together() -> None:
    from recursa.equilibrium.model import value_consistency

    labels = torch.tensor([0, 0, 1, 1, 1])
    same = torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0], [0.0, 5.0], [0.0, 5.0]])
    assert float(value_consistency(same, labels)) == 0.0
    spread = same.clone()
    spread[0] += 2.0
    assert float(value_consistency(spread, labels)) == pytest.approx((1.0 + 1.0 + 1.0 + 1.0) / 10)
    examples = generate("listops", [2], 3, seed=4)
    ds = TreeDataset(examples, node_labels=True)
    idx = np.arange(len(ds))
    batch, labels = ds.batch(idx)
    node_labels = ds.node_label_batch(idx)
    torch.manual_seed(0)
    cfg = dict(hidden_size=16, num_labels=10, node_loss_weight=1.0)
    a = RecursaForTreeClassification(RecursaConfig(**cfg))
    b = RecursaForTreeClassification(RecursaConfig(**cfg, value_consistency_weight=2.0))
    b.load_state_dict(a.state_dict())
    out = b(batch, labels=labels, node_labels=node_labels)
    keep = node_labels != IGNORE
    extra = 2.0 * value_consistency(out.node_states[keep], node_labels[keep])
    assert torch.allclose(out.loss, a(batch, labels=labels, node_labels=node_labels).loss + extra, atol=1e-5)
