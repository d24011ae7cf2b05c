"""RecursaConfig / RecursaModel as users call them: the API contract, save/load, errors."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoConfig, AutoModel

from recursa.equilibrium.model import (
    RecursaConfig,
    RecursaForNodeClassification,
    RecursaForTreeClassification,
    RecursaModel,
)
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import TOKEN_VOCAB, parse
from recursa.trees.languages import get_language, kind_vocab_size

pytestmark = pytest.mark.usefixtures("one_thread")


def small_batch() -> TreeBatch:
    return TreeBatch.from_parent_lists(
        [[-1, 0, 0, 1, 1, 2], [-1], [-1, 0, 1, 2]],
        kinds=[[5, 6, 7, 8, 9, 10], [11], [12, 13, 14, 15]],
        tokens=[[0, 0, 3, 4, 5, 6], [7], [0, 0, 0, 9]],
    )


@pytest.mark.parametrize("top_down", [False, True])
def test_tree_classification_outputs_follow_the_contract(top_down: bool) -> None:
    torch.manual_seed(0)
    batch = small_batch()
    model = RecursaForTreeClassification(RecursaConfig(hidden_size=16, num_labels=4, top_down=top_down))
    labels = torch.tensor([0, 1, 3])
    out = model(batch, labels=labels)
    assert out.logits.shape == (3, 4)
    assert out.node_states.shape == (batch.num_nodes, 16)
    assert out.tree_states.shape == (3, 16)
    assert torch.equal(out.tree_states, out.node_states[batch.tree_root])
    assert torch.allclose(out.logits, model.head(out.tree_states))
    assert out.loss is not None and out.loss.ndim == 0
    assert torch.allclose(out.loss, torch.nn.functional.cross_entropy(out.logits, labels))
    assert out.stats.iterations.shape == (3,) and out.stats.iterations.dtype == torch.long
    assert bool(out.stats.converged.all())
    out.loss.backward()
    assert model.last_backward_stats is not None and bool(model.last_backward_stats.converged.all())
    # the head sits after the fixed point: its gradient is plain autograd of the loss on the tree states
    head = list(model.head.parameters())
    expected = torch.autograd.grad(torch.nn.functional.cross_entropy(model.head(out.tree_states.detach()), labels),
                                   head)
    for p, g in zip(head, expected):
        assert p.grad is not None and torch.allclose(p.grad, g, atol=1e-7)
    # only the kinds the batch holds (5..15) receive a gradient
    grad = model.recursa.block.kind_embed.weight.grad
    assert grad is not None
    used = torch.zeros(grad.shape[0], dtype=torch.bool)
    used[5:16] = True
    assert not grad[~used].any() and bool((grad[used].abs().sum(-1) > 0).all())
    js = out.stats.to_json()
    json.dumps(js)
    assert js["iterations"] == out.stats.iterations.tolist()


@pytest.mark.parametrize("top_down", [False, True])
def test_gradient_through_the_fixed_point_matches_finite_differences(top_down: bool) -> None:
    torch.manual_seed(0)
    batch = small_batch()
    model = RecursaForTreeClassification(RecursaConfig(hidden_size=16, num_labels=4, top_down=top_down, tol=1e-10,
                                                       backward_tol=1e-12, max_iter=2000)).double()
    model.eval()  # fixed weights: in training the spectral normalisation of the top-down map updates each call
    labels = torch.tensor([0, 1, 3])
    weight = model.recursa.block.kind_embed.weight
    out = model(batch, labels=labels)
    assert bool(out.stats.converged.all())  # the implicit gradient holds at a fixed point only
    out.loss.backward()
    grad = weight.grad.clone()

    def loss() -> float:
        with torch.no_grad():
            return float(model(batch, labels=labels).loss)

    h = 1e-6
    for index in [(5, 0), (9, 3), (15, 7)]:  # kinds of the root, an inner node and a leaf
        with torch.no_grad():
            weight[index] += h
        up = loss()
        with torch.no_grad():
            weight[index] -= 2 * h
        down = loss()
        with torch.no_grad():
            weight[index] += h
        assert float(grad[index]) == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-10), index


def test_config_records_vocabularies_and_rejects_unknown_keys() -> None:
    cfg = RecursaConfig()
    assert cfg.kind_vocab_size == kind_vocab_size() and cfg.token_vocab_size == TOKEN_VOCAB
    with pytest.raises(ValueError, match="hiden_size"):
        RecursaConfig(hiden_size=32)
    with pytest.raises(ValueError, match="solver"):
        RecursaConfig(solver="newton")
    with pytest.raises(ValueError, match="backward"):
        RecursaConfig(backward="magic")


@pytest.mark.parametrize("cls", [RecursaForTreeClassification, RecursaForNodeClassification])
def test_save_pretrained_round_trip_is_exact(tmp_path, cls) -> None:
    torch.manual_seed(1)
    batch = small_batch()
    model = cls(RecursaConfig(hidden_size=16, num_labels=3, top_down=True, self_term=True))
    model.train()
    labels = torch.tensor([0, 1, 2]) if cls is RecursaForTreeClassification else torch.zeros(batch.num_nodes,
                                                                                                 dtype=torch.long)
    model(batch, labels=labels).loss.backward()  # moves the spectral-norm vectors away from their init
    model.eval()
    with torch.no_grad():
        before = model(batch)
    model.save_pretrained(tmp_path)
    loaded = cls.from_pretrained(tmp_path)
    with torch.no_grad():
        after = loaded(batch)
    assert torch.equal(before.logits, after.logits)
    assert torch.equal(before.node_states, after.node_states)
    assert torch.equal(before.stats.iterations, after.stats.iterations)
    assert isinstance(AutoModel.from_pretrained(tmp_path), RecursaModel)
    assert AutoConfig.from_pretrained(tmp_path).top_down is True


def test_unknown_key_in_saved_config_raises(tmp_path) -> None:
    RecursaModel(RecursaConfig(hidden_size=8)).save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["hidden_sise"] = 8
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="hidden_sise"):
        RecursaModel.from_pretrained(tmp_path)


def test_node_classification_ignores_masked_labels() -> None:
    torch.manual_seed(2)
    batch = small_batch()
    model = RecursaForNodeClassification(RecursaConfig(hidden_size=8, num_labels=2))
    labels = torch.full((batch.num_nodes,), -100, dtype=torch.long)
    labels[0] = 1
    out = model(batch, labels=labels)
    assert out.logits.shape == (batch.num_nodes, 2)
    expected = torch.nn.functional.cross_entropy(out.logits[:1], labels[:1])
    assert torch.allclose(out.loss, expected)


def test_real_python_source_end_to_end() -> None:
    src = b"def f(a, b):\n    if a > b:\n        return a - b\n    return [x * 2 for x in range(b)]\n"
    lang = get_language("python")
    trees = [parse(src, lang), parse(b"x = (1 + (2 * (3 - 4)))\n", lang)]
    batch = TreeBatch.from_trees(trees)
    model = RecursaModel(RecursaConfig(hidden_size=16))
    model.eval()
    with torch.no_grad():
        out = model(batch)
    assert torch.equal(out.stats.iterations, batch.tree_height + 1)
    assert bool(out.stats.converged.all()) and bool(torch.isfinite(out.node_states).all())


def test_bad_inputs_raise_clear_errors() -> None:
    model = RecursaModel(RecursaConfig(hidden_size=8))
    bad = TreeBatch.from_parent_lists([[-1, 0]], kinds=[[1, 10**6]])
    with pytest.raises(ValueError, match="kind ids"):
        model(bad)
    batch = small_batch()
    with pytest.raises(ValueError, match="z0 must have shape"):
        model(batch, z0=torch.zeros(3, 8))
    with pytest.raises(TypeError, match="TreeBatch"):
        model([1, 2, 3])
