"""The value snap: centroids of each value's states tracked in training, value nodes snapped to them at inference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from recursa.equilibrium.model import CENTROID_MOMENTUM, RecursaConfig, RecursaForTreeClassification
from recursa.tasks.annotate import IGNORE, value_kinds
from recursa.tasks.dataset import TreeDataset
from recursa.tasks.registry import generate
from recursa.trees.languages import qualified_kind_ids

SPLICE = ["python:argument_list"]


def _model(snap: bool = True) -> RecursaForTreeClassification:
    torch.manual_seed(0)
    cfg = RecursaConfig(hidden_size=16, num_labels=10, readout="expression", node_loss_weight=1.0,
                        aggregation="fold", child_norm="none", splice_kinds=SPLICE,
                        snap_kinds=value_kinds() if snap else [])
    return RecursaForTreeClassification(cfg)


def _data(seed: int, depths: tuple[int, ...] = (1, 2, 3), n: int = 20) -> tuple:
    ds = TreeDataset(generate("listops", list(depths), n, seed=seed, split="train"), node_labels=True,
                     splice_kinds=SPLICE)
    idx = np.arange(len(ds))
    batch, labels = ds.batch(idx)
    return batch, labels, ds.node_label_batch(idx)


def _value_nodes(batch) -> torch.Tensor:
    return torch.isin(batch.kind, torch.tensor(qualified_kind_ids(value_kinds())))


def test_value_kinds_name_kinds_the_grammars_have() -> None:
    for name in value_kinds():
        assert qualified_kind_ids([name]), name


@pytest.mark.parametrize("bad", [["nolang:call"], ["python"], "python:call"])
def test_bad_snap_kinds_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="snap_kinds"):
        RecursaConfig(snap_kinds=bad)


def test_training_tracks_a_running_mean_of_each_values_states(one_thread) -> None:
    model = _model().train()
    seen = []
    for seed in (1, 2):
        batch, labels, node_labels = _data(seed)
        out = model(batch, labels=labels, node_labels=node_labels)
        keep = node_labels != IGNORE
        z, y = out.node_states.detach()[keep], node_labels[keep].long()
        means = torch.stack([z[y == v].mean(0) for v in range(10)])
        seen.append((means, torch.bincount(y, minlength=10)))
    (m1, c1), (m2, c2) = seen
    assert bool((c1 > 0).all())
    expected = m1 + CENTROID_MOMENTUM * (m2 - m1)  # the first batch sets a centroid, later ones move it
    torch.testing.assert_close(model.value_centroids, expected, rtol=1e-5, atol=1e-5)
    assert torch.equal(model.value_counts, c1 + c2)


def test_inference_snaps_every_value_node_to_the_centroid_of_its_read_value(one_thread) -> None:
    model = _model().train()
    batch, labels, node_labels = _data(1)
    model(batch, labels=labels, node_labels=node_labels)
    model.eval()
    with torch.no_grad():
        snapped = model(batch)
        model.value_snap = False
        plain = model(batch)
    values = _value_nodes(batch)
    z = snapped.node_states[values]
    gap = (z.unsqueeze(1) - model.value_centroids.unsqueeze(0)).abs().amax(-1)  # [value nodes, values]
    assert float(gap.min(1).values.max()) == 0.0  # every value node's state is one of the centroids
    assert not torch.allclose(plain.node_states[values], z)
    # the snap leaves the bottom-up block acyclic: the same height + 1 iterations per tree
    assert torch.equal(snapped.stats.iterations, plain.stats.iterations)
    assert bool(snapped.stats.converged.all())


def test_values_never_seen_in_training_are_left_alone(one_thread) -> None:
    model = _model().eval()  # no training step: no centroid was ever set
    batch, _, _ = _data(1)
    with torch.no_grad():
        snapped = model(batch).node_states
        model.value_snap = False
        plain = model(batch).node_states
    torch.testing.assert_close(snapped, plain, rtol=0, atol=0)


def test_training_forward_does_not_snap(one_thread) -> None:
    batch, labels, node_labels = _data(1)
    a, b = _model(snap=True).train(), _model(snap=False).train()
    b.load_state_dict({k: v for k, v in a.state_dict().items() if not k.startswith("value_")})
    a.value_counts.fill_(1)  # centroids "seen": a training forward must still not use them
    torch.testing.assert_close(a(batch, labels=labels, node_labels=node_labels).loss,
                               b(batch, labels=labels, node_labels=node_labels).loss)


def test_centroids_are_saved_and_loaded_with_the_weights(tmp_path: Path, one_thread) -> None:
    model = _model().train()
    batch, labels, node_labels = _data(1)
    model(batch, labels=labels, node_labels=node_labels)
    model.save_pretrained(str(tmp_path))
    loaded = RecursaForTreeClassification.from_pretrained(str(tmp_path)).eval()
    assert torch.equal(loaded.value_centroids, model.value_centroids)
    assert torch.equal(loaded.value_counts, model.value_counts)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(batch).logits, model(batch).logits)
    plain = _model(snap=False)
    assert not plain.snapping and not hasattr(plain, "value_centroids")
