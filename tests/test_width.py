"""Operators wider than trained: the chain fold, its fold-state labels, head and snap."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from recursa.equilibrium.block import TreeBlock
from recursa.equilibrium.model import RecursaConfig, RecursaForTreeClassification
from recursa.equilibrium.structure import chain_schedule
from recursa.tasks import listops
from recursa.tasks.dataset import TreeDataset
from recursa.tasks.examples import Example
from recursa.train.width import width_examples
from recursa.train.width_finetune import fold_factors_of, fold_labels_of

SPLICE = ["python:argument_list"]


def _node_set(counts: list[int]) -> SimpleNamespace:
    slot = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    rank = torch.cat([torch.randperm(c) for c in counts])
    return SimpleNamespace(slot=slot, rank=rank, n=len(counts), child=torch.arange(len(slot)), cache={})


def test_chain_schedule_folds_every_list_left_to_right() -> None:
    torch.manual_seed(0)
    counts = [0, 1, 3, 10, 2]
    ns = _node_set(counts)
    sched = chain_schedule(ns)
    acc = {int(s): [(int(ns.slot[e]), int(ns.rank[e]))] for e, s in zip(sched.first_edge, sched.first_slot)}
    for edges, slots in sched.steps:
        for e, s in zip(edges.tolist(), slots.tolist()):
            acc[s].append((int(ns.slot[e]), int(ns.rank[e])))
    assert acc == {p: [(p, k) for k in range(c)] for p, c in enumerate(counts) if c}
    assert len(sched.steps) == max(counts) - 1
    assert chain_schedule(ns) is sched


def test_chain_fold_is_the_same_combine_at_every_position() -> None:
    torch.manual_seed(0)
    block = TreeBlock(16, 8, 8, aggregation="fold", child_norm="none", fold_shape="chain")
    ns = SimpleNamespace(**vars(_node_set([7])), bucket=torch.zeros(7, dtype=torch.long))
    ns.rank = torch.arange(7)
    z = torch.randn(7, 16)
    msg = block._messages(z, ns)
    # messages: the first child, then every other child with one shared modulation (no rank beyond "not first")
    assert torch.allclose(msg[1:], block.rank_shift[1] + z[1:] * block.rank_scale[1])
    acc = msg[0]
    expected = []
    for k in range(1, 7):
        acc = block.combine(acc[None], msg[k][None])[0]
        expected.append(acc)
    states, edges = block.fold_states(z, ns)
    assert edges.tolist() == list(range(1, 7))
    assert torch.allclose(states, torch.stack(expected), atol=1e-6)
    assert torch.allclose(block._fold(msg, ns)[0], expected[-1], atol=1e-6)


def test_fold_state_labels_are_operator_and_partial_value() -> None:
    ex = [Example("min(med(5, 9, 7), 7, max(8, 9, 3), 2)", "python", 2, 2),
          Example("[SM 2 [MAX 8 4 ] [SM 4 7 6 ] ]", "listops", 9, 2)]
    ds = TreeDataset(ex, num_labels=10, node_labels=True, splice_kinds=SPLICE)
    batch, _ = ds.batch([0, 1])
    node_labels = ds.node_label_batch([0, 1])
    labels = fold_labels_of(batch, node_labels)
    per_parent: dict[int, list[int]] = {}
    for i in torch.argsort(batch.rank, stable=True).tolist():
        if batch.parent[i] >= 0 and batch.rank[i] > 0:
            per_parent.setdefault(int(batch.parent[i]), []).append(int(labels[i]))
    med, mx, sm = listops.FOLD_MED_CLASS, 0, 20
    assert sorted(per_parent.values()) == sorted([
        [med, med, med],  # med(5, 9, 7): no digit partial value
        [10 + 7, 10 + 7, 10 + 7, 10 + 2],  # min(7 (the med), 7, 9, 2)
        [mx + 8, mx + 9, mx + 9],  # max(8, 9, 3)
        [sm + 2, sm + 0, sm + 7],  # sm(2, 8, 7)
        [mx + 8, mx + 8],  # max(8, 4)
        [sm + 4, sm + 1, sm + 7],  # sm(4, 7, 6)
    ])
    # operators themselves and wrapper nodes get none
    assert all(int(labels[i]) == -100 for i in range(batch.num_nodes) if batch.rank[i] == 0)


def test_old_configs_keep_their_fold_and_a_fold_state_head_needs_the_chain() -> None:
    cfg = RecursaConfig()
    assert (cfg.fold_shape, cfg.fold_state_classes, cfg.fold_state_snapped) == ("balanced", 0, 0)
    assert not hasattr(RecursaForTreeClassification(RecursaConfig(hidden_size=8, num_labels=10)), "fold_head")
    with pytest.raises(ValueError, match="fold_state_classes"):
        RecursaConfig(aggregation="fold", fold_state_classes=31)
    with pytest.raises(ValueError, match="fold_state_snapped"):
        RecursaConfig(aggregation="fold", fold_shape="chain", fold_state_classes=3, fold_state_snapped=4)


def _chain_model() -> RecursaForTreeClassification:
    torch.manual_seed(0)
    cfg = RecursaConfig(hidden_size=16, num_labels=10, readout="expression", aggregation="fold", child_norm="none",
                        fold_shape="chain", node_loss_weight=1.0, value_consistency_weight=1.0,
                        splice_kinds=SPLICE, snap_kinds=["python:integer", "python:call"],
                        fold_state_classes=listops.FOLD_STATE_CLASSES, fold_state_snapped=listops.FOLD_MED_CLASS)
    return RecursaForTreeClassification(cfg)


def test_fold_states_are_trained_tracked_saved_and_snapped(tmp_path) -> None:
    model = _chain_model()
    examples, _ = width_examples([2], 6, 0, 2, 9, syntaxes=("python",))
    ds = TreeDataset(examples, num_labels=10, node_labels=True, splice_kinds=SPLICE)
    idx = list(range(len(examples)))
    batch, labels = ds.batch(idx)
    node_labels = ds.node_label_batch(idx)
    fold_labels = fold_labels_of(batch, node_labels)
    model.train()
    plain = model(batch, labels=labels, node_labels=node_labels).loss
    out = model(batch, labels=labels, node_labels=node_labels, fold_labels=fold_labels)
    assert torch.isfinite(out.loss) and float(out.loss.detach()) > float(plain.detach())
    out.loss.backward()
    assert model.fold_head.out.weight.grad is not None
    assert model.recursa.block.combine.gate_in.weight.grad.abs().sum() > 0
    seen = torch.unique(fold_labels[(fold_labels >= 0) & (fold_labels < listops.FOLD_MED_CLASS)])
    assert bool((model.fold_counts[seen] > 0).all())
    model.save_pretrained(str(tmp_path))
    back = RecursaForTreeClassification.from_pretrained(str(tmp_path))
    assert torch.equal(back.fold_centroids, model.fold_centroids)
    # inference snaps every accumulator read as a snapped class onto its centroid, and only then
    back.eval()
    calls: list[tuple[torch.Tensor, torch.Tensor]] = []
    original = back.snap_fold_states

    def spy(states: torch.Tensor) -> torch.Tensor:
        snapped = original(states)
        calls.append((states, snapped))
        return snapped

    back.snap_fold_states = spy  # type: ignore[method-assign]
    with torch.no_grad():
        back(batch)
    assert calls and back.recursa.block.fold_snap is None
    for states, snapped in calls:
        pred = back.fold_head(states).argmax(-1)
        on = (pred < listops.FOLD_MED_CLASS) & (back.fold_counts[pred] > 0)
        assert torch.equal(snapped[on], back.fold_centroids[pred[on]])
        assert torch.equal(snapped[~on], states[~on])
    calls.clear()
    back.value_snap = False  # no snap: the fold is left alone
    with torch.no_grad():
        back(batch)
    assert not calls


def test_width_examples_have_the_asked_widths_and_eval_split_only() -> None:
    examples, facts = width_examples([1], 20, 0, 2, 10, flat=7)
    assert len(examples) == 40 and all(f["widest"] == 7 for f in facts)
    examples, facts = width_examples([3], 10, 0, 6, 10, ops=("MAX", "SM"))
    assert all(6 <= f["widest"] <= 10 for f in facts) and {f["op"] for f in facts} <= {"MAX", "SM"}


def test_clipped_med_balances_give_the_median_of_short_lists_exactly_and_stay_in_range() -> None:
    import random

    rng = random.Random(0)
    for n in range(1, 2 * listops.MED_BALANCE_CLIP):
        for _ in range(300):
            xs = [rng.randint(0, 9) for _ in range(n)]
            bal = listops.med_balances(xs)
            assert len(bal) == n and all(abs(b) <= listops.MED_BALANCE_CLIP for row in bal for b in row)
            assert listops.median_of_balances(bal[-1], n) == listops.apply_op("MED", xs)
    # a balance that reached the clip stays there until the other side catches up
    assert [row[4] for row in listops.med_balances([1] * 6 + [9])] == [1, 2, 3, 4, 4, 4, 3]


def test_med_accumulators_get_factor_labels_and_a_factored_snap() -> None:
    ex = [Example("med(5, 9, 7)", "python", 7, 1), Example("max(1, 2)", "python", 2, 1)]
    ds = TreeDataset(ex, num_labels=10, node_labels=True, splice_kinds=SPLICE)
    batch, labels = ds.batch([0, 1])
    node_labels = ds.node_label_batch([0, 1])
    factors = fold_factors_of(batch, node_labels)
    rows = {tuple(r) for r in factors.tolist()}
    c = listops.MED_BALANCE_CLIP
    expected = {tuple(b + c for b in row) for row in listops.med_balances([5, 9, 7])} | {(-100,) * 9}
    assert rows == expected
    torch.manual_seed(0)
    cfg = RecursaConfig(hidden_size=16, num_labels=10, aggregation="fold", child_norm="none", fold_shape="chain",
                        splice_kinds=SPLICE, value_consistency_weight=1.0, node_loss_weight=1.0,
                        fold_state_classes=listops.FOLD_STATE_CLASSES, fold_state_snapped=listops.FOLD_MED_CLASS,
                        fold_factor_class=listops.FOLD_MED_CLASS, fold_factors=listops.MED_THRESHOLDS,
                        fold_factor_values=listops.MED_BALANCE_VALUES)
    model = RecursaForTreeClassification(cfg)
    fold_labels = fold_labels_of(batch, node_labels)
    with_factors = model(batch, labels=labels, node_labels=node_labels, fold_labels=fold_labels,
                         fold_factors=factors).loss
    without = model(batch, labels=labels, node_labels=node_labels, fold_labels=fold_labels).loss
    assert float(with_factors.detach()) > float(without.detach())
    with_factors.backward()
    assert model.fold_factor_embed.grad is not None and model.fold_factor_embed.grad.abs().sum() > 0
    states = torch.randn(5, 16)
    with torch.no_grad():
        model.fold_head.out.bias[listops.FOLD_MED_CLASS] = 100.0  # every accumulator reads as a MED one
    idx = model._factor_logits(states).argmax(-1)
    snapped = model.snap_fold_states(states)
    assert torch.allclose(snapped, model._factor_sum(idx))
    model.fold_factor_snap = False
    assert torch.equal(model.snap_fold_states(states), states)
    with pytest.raises(ValueError, match="fold_factor_class"):
        RecursaConfig(aggregation="fold", fold_shape="chain", fold_state_classes=31, fold_state_snapped=30,
                      fold_factor_class=3, fold_factors=9, fold_factor_values=9)


def test_recursa_train_supervises_the_fold_states_of_a_chain_model(tmp_path) -> None:
    from recursa.train.models import ReasonerModel
    from recursa.train.trainer import TrainConfig, train

    reasoner = {"aggregation": "fold", "child_norm": "none", "fold_shape": "chain", "readout": "expression",
                "node_loss_weight": 1.0, "value_consistency_weight": 1.0, "splice_kinds": SPLICE,
                "snap_kinds": ["python:integer", "python:call"],
                "fold_state_classes": listops.FOLD_STATE_CLASSES, "fold_state_snapped": listops.FOLD_MED_CLASS,
                "fold_factor_class": listops.FOLD_MED_CLASS, "fold_factors": listops.MED_THRESHOLDS,
                "fold_factor_values": listops.MED_BALANCE_VALUES}
    model = ReasonerModel.create(16, 10, reasoner)
    examples, _ = width_examples([2], 4, 0, 2, 7, syntaxes=("python",))
    inputs, _ = model.inputs(model.dataset(examples, training=True), list(range(len(examples))))
    assert inputs.fold_labels is not None and bool((inputs.fold_labels >= 0).any())
    assert inputs.fold_factors is not None and inputs.fold_factors.shape[1] == listops.MED_THRESHOLDS
    inputs, _ = model.inputs(model.dataset(examples), list(range(len(examples))))  # evaluation data: none
    assert inputs.fold_labels is None
    result = train(TrainConfig(task="listops-python", output=str(tmp_path / "run"), steps=3, train_size=40,
                               hidden_size=16, reasoner=reasoner, checkpoint_every=3, progress=False,
                               tensorboard=False, threads=1))
    assert result.step == 3 and (result.checkpoint / "model.safetensors").is_file()
