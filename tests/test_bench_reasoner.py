"""``recursa bench reasoner`` end to end on a tiny batch: the figures it promises, in one JSON object."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from recursa.cli import main
from recursa.equilibrium.bench import make_batch, random_tree


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_random_trees_have_the_requested_height_and_size() -> None:
    rng = np.random.default_rng(0)
    for h, n in ((2, 64), (32, 40), (0, 1), (64, 128)):
        batch = make_batch(rng, [h], [n], 100)
        assert batch.max_height == h and batch.num_nodes == max(n, h + 1)
    p = random_tree(rng, 5, 30)
    assert p[0] == -1 and all(p[i] < i for i in range(1, len(p)))


def test_bench_reasoner_json_reports_the_four_figures() -> None:
    args = ["bench", "reasoner", "--json", "--trees", "6", "--width", "16", "--min-size", "20", "--max-size", "40",
            "--memory-trees", "2", "--repeats", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("adaptive_speedup", "vs_transformer", "memory_ratio_implicit", "memory_ratio_unrolled",
                "iterations_by_height", "device"):
        assert key in out
    assert out["device"].startswith("cpu")
    for name in ("bottom_up", "top_down"):
        r = out[name]
        # the figures are the ratios of the timings reported beside them
        assert r["adaptive_speedup"] == pytest.approx(r["forward_s"]["whole_batch"] / r["forward_s"]["per_tree"])
        assert r["vs_transformer"] == pytest.approx(r["recursa_trees_per_s"] / r["bert_trees_per_s"])
        assert r["converged_fraction"] == 1.0
        assert r["max_state_difference"] < 1e-3  # per-tree and whole-batch solves reach the same states
        assert r["bert_layers"] >= 1
    # bottom-up block: each tree takes exactly height+1 iterations, and the per-tree solve does far less work
    assert all(v == int(h) + 1 for h, v in out["iterations_by_height"].items())
    bu = out["bottom_up"]
    assert bu["node_evals"]["per_tree"] < bu["node_evals"]["whole_batch"]
    assert bu["node_evals"]["per_tree"] == out["batch"]["nodes"]  # the wavefront evaluates each node once
    # implicit backward keeps the same memory at height 64 as at height 8; unrolled cyclic solves do not
    assert out["memory_ratio_implicit"] <= 1.25
    assert out["top_down"]["memory_ratio_implicit"] <= 1.25
    assert out["top_down"]["memory_ratio_unrolled"] > out["top_down"]["memory_ratio_implicit"]


def test_bench_reasoner_refuses_cuda_without_a_gpu() -> None:
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    result = CliRunner().invoke(main, ["bench", "reasoner", "--device", "cuda", "--trees", "2"])
    assert result.exit_code == 2
    assert "no CUDA device" in result.output
