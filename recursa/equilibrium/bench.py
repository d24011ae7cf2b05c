"""``recursa bench reasoner``: per-tree stopping, a transformer baseline, memory by depth, iterations by height.

All figures are ratios of measurements taken side by side in one run, on one device, on the same trees:

1. ``adaptive_speedup``: forward time of Picard iteration over the whole batch until its worst tree has converged
   (the TorchDEQ behaviour) divided by the forward time of recursa's per-tree stopping (for the bottom-up block: the
   level wavefront, which evaluates each node once). ``adaptive_speedup_tree_only`` isolates per-tree stopping with
   plain Jacobi sweeps over the active trees.
2. ``vs_transformer``: recursa's trees per second over those of a ``transformers.BertModel`` of the same width and
   comparable parameter count, run on the same trees as token sequences (node kinds and leaf tokens in pre-order).
3. ``memory_ratio_implicit`` / ``memory_ratio_unrolled``: peak training memory (forward + backward) on trees of
   height 64 over that on trees of height 8 with the same total node count. On CUDA: the allocator's peak; on CPU:
   the peak bytes of tensors saved for backward (:mod:`recursa.equilibrium.memory`).
4. ``iterations_by_height``: mean forward iterations per tree height.

The same four are also measured for the cyclic configuration (``top_down`` + ``self_term``), under ``top_down``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from recursa.equilibrium.implicit import TreeMap
from recursa.equilibrium.memory import peak_cuda_bytes, peak_saved_bytes
from recursa.equilibrium.model import RecursaConfig, RecursaForTreeClassification, RecursaModel
from recursa.equilibrium.solvers import solve
from recursa.equilibrium.structure import tree_graph
from recursa.trees.batch import TreeBatch
from recursa.trees.flatten import TOKEN_VOCAB


@dataclass(frozen=True)
class BenchSettings:
    trees: int = 256
    min_height: int = 2
    max_height: int = 32
    min_size: int = 64
    max_size: int = 256
    width: int = 128
    memory_trees: int = 32
    memory_tree_size: int = 128
    repeats: int = 3
    seed: int = 0
    device: str = "cpu"
    threads: int = 1

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def random_tree(rng: np.random.Generator, height: int, size: int, max_fanout: int = 6) -> np.ndarray:
    """Pre-order parent array of a random tree with exactly ``height`` and ``max(size, height + 1)`` nodes.

    A spine fixes the height; the other nodes attach to random nodes that are not at the bottom depth and still
    have room (fan-out at most ``max_fanout``, unless no node has room left)."""
    size = max(size, height + 1)
    parent = np.full(size, -1, np.int64)
    depth = np.zeros(size, np.int64)
    fan = np.zeros(size, np.int64)
    parent[1:height + 1] = np.arange(height)
    depth[:height + 1] = np.arange(height + 1)
    fan[:height] = 1
    for v in range(height + 1, size):
        for _ in range(32):
            p = int(rng.integers(0, v))
            if depth[p] < height and fan[p] < max_fanout:
                break
        else:
            p = int(rng.integers(0, height)) if height else 0
        parent[v], depth[v] = p, depth[p] + 1
        fan[p] += 1
    # relabel to pre-order with an explicit stack (children in insertion order)
    order = np.argsort(parent, kind="stable")
    starts = np.searchsorted(parent[order], np.arange(size))
    ends = np.searchsorted(parent[order], np.arange(size), side="right")
    pre, stack = [], [0]
    while stack:
        v = stack.pop()
        pre.append(v)
        stack.extend(order[starts[v]:ends[v]][::-1].tolist())
    pos = np.empty(size, np.int64)
    pos[np.asarray(pre)] = np.arange(size)
    pre_arr = np.asarray(pre)
    return np.where(parent[pre_arr] >= 0, pos[parent[pre_arr].clip(min=0)], -1)


def make_batch(rng: np.random.Generator, heights: list[int], sizes: list[int], kind_vocab: int) -> TreeBatch:
    """Random trees with the given heights and sizes; kinds and leaf tokens drawn at random."""
    parents, kinds, tokens = [], [], []
    for h, n in zip(heights, sizes):
        p = random_tree(rng, h, n)
        is_leaf = np.ones(len(p), bool)
        is_leaf[p[p >= 0]] = False
        parents.append(p.tolist())
        kinds.append(rng.integers(1, min(kind_vocab, 200), len(p)).tolist())
        tokens.append(np.where(is_leaf, rng.integers(1, TOKEN_VOCAB, len(p)), 0).tolist())
    return TreeBatch.from_parent_lists(parents, kinds=kinds, tokens=tokens)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], Any], device: torch.device, repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in seconds (after ``warmup`` untimed calls)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def count_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def bert_baseline(batch: TreeBatch, width: int, target_params: int, kind_vocab: int, device: torch.device
                  ) -> tuple[torch.nn.Module, dict[str, torch.Tensor], int]:
    """A BertModel of the same width whose layer count brings its parameters closest to ``target_params``, and
    the batch's trees as padded token sequences (pre-order: node kind, or the leaf token when there is one)."""
    from transformers import BertConfig, BertModel

    heads = max(1, width // 64)
    vocab = kind_vocab + TOKEN_VOCAB

    def build(layers: int) -> BertModel:
        cfg = BertConfig(vocab_size=vocab, hidden_size=width, num_hidden_layers=layers, num_attention_heads=heads,
                         intermediate_size=4 * width, max_position_embeddings=512, hidden_dropout_prob=0.0,
                         attention_probs_dropout_prob=0.0)
        return BertModel(cfg, add_pooling_layer=False)

    counts = {n: count_params(build(n)) for n in range(1, 13)}
    best = min(counts, key=lambda n: abs(counts[n] - target_params))
    model = build(best).to(device).eval()
    # sequences in pre-order: sort nodes by (tree, start position in pre-order) = (tree, depth-first order)
    order = _preorder_of(batch)
    ids = torch.where(batch.token[order] > 0, kind_vocab + batch.token[order], batch.kind[order])
    sizes = batch.tree_size.tolist()
    length = min(512, max(sizes))
    input_ids = torch.zeros(len(sizes), length, dtype=torch.long)
    mask = torch.zeros(len(sizes), length, dtype=torch.long)
    off = 0
    for t, n in enumerate(sizes):
        m = min(n, length)
        input_ids[t, :m] = ids[off:off + m].cpu()
        mask[t, :m] = 1
        off += n
    return model, {"input_ids": input_ids.to(device), "attention_mask": mask.to(device)}, best


def _preorder_of(batch: TreeBatch) -> torch.Tensor:
    """Batch indices of all nodes in pre-order, tree after tree (from parent pointers, without recursion)."""
    parent = batch.parent.cpu().numpy()
    rank = batch.rank.cpu().numpy()
    n = parent.shape[0]
    kids_order = np.lexsort((rank, parent))
    sp = parent[kids_order]
    starts = np.searchsorted(sp, np.arange(n))
    ends = np.searchsorted(sp, np.arange(n), side="right")
    out: list[int] = []
    for root in batch.tree_root.tolist():
        stack = [root]
        while stack:
            v = stack.pop()
            out.append(v)
            stack.extend(kids_order[starts[v]:ends[v]][::-1].tolist())
    return torch.as_tensor(out, dtype=torch.long, device=batch.device)


def _config(width: int, cyclic: bool, **kw: Any) -> RecursaConfig:
    extra = {"top_down": True, "self_term": True, "cyclic_gain": 0.3} if cyclic else {}
    # tol 1e-6: at this tolerance whole-batch Picard iterates (nearly) until the deepest level has arrived, so both
    # sides of adaptive_speedup compute the same states (max_state_difference reports how close they are)
    return RecursaConfig(hidden_size=width, num_labels=10, tol=1e-6, max_iter=500, **extra, **kw)


def measure(settings: BenchSettings, cyclic: bool, batch: TreeBatch, mem_batches: tuple[TreeBatch, TreeBatch],
            log: Callable[[str], None]) -> dict[str, Any]:
    device = torch.device(settings.device)
    name = "top_down" if cyclic else "bottom_up"
    torch.manual_seed(settings.seed)
    model = RecursaModel(_config(settings.width, cyclic)).to(device).eval()
    res: dict[str, Any] = {"config": name}

    # (1) whole batch vs per-tree stopping, same solver (picard), same weights
    def forward(stop: str) -> Callable[[], Any]:
        def run() -> Any:
            model.config.stop = stop
            with torch.no_grad():
                return model(batch)
        return run

    t_batch = timed(forward("batch"), device, settings.repeats)
    t_tree = timed(forward("tree"), device, settings.repeats)
    model.config.stop = "tree"
    graph = tree_graph(batch, model.config.rank_buckets)
    ctx = model.block.prepare(batch.kind, batch.token)
    problem = TreeMap(model.block, ctx.detach(), graph)
    z0 = torch.zeros(batch.num_nodes, settings.width, device=device)
    opts = {**model.config.solver_options(), "wavefront": False}

    def jacobi_tree() -> Any:
        with torch.no_grad():
            return solve("picard", problem, z0, **opts)

    t_jacobi = timed(jacobi_tree, device, settings.repeats)
    with torch.no_grad():
        out_tree = model(batch)
        model.config.stop = "batch"
        out_batch = model(batch)
        model.config.stop = "tree"
    res.update(adaptive_speedup=t_batch / t_tree, adaptive_speedup_tree_only=t_batch / t_jacobi,
               forward_s={"whole_batch": t_batch, "per_tree": t_tree, "per_tree_jacobi": t_jacobi},
               node_evals={"whole_batch": out_batch.stats.node_evals, "per_tree": out_tree.stats.node_evals},
               converged_fraction=float(out_tree.stats.converged.double().mean()),
               max_state_difference=float((out_tree.node_states - out_batch.node_states).abs().max()))
    log(f"[{name}] forward: whole batch {t_batch * 1e3:.1f} ms, per tree {t_tree * 1e3:.1f} ms "
        f"(jacobi {t_jacobi * 1e3:.1f} ms)")

    # (4) iterations by height
    it = out_tree.stats.iterations.cpu()
    hs = batch.tree_height.cpu()
    res["iterations_by_height"] = {int(h): float(it[hs == h].double().mean()) for h in torch.unique(hs)}

    # (2) transformer baseline, same trees, same device
    bert, inputs, layers = bert_baseline(batch, settings.width, count_params(model), model.config.kind_vocab_size,
                                         device)

    def run_bert() -> Any:
        with torch.no_grad():
            return bert(**inputs)

    t_bert = timed(run_bert, device, settings.repeats)
    T = batch.num_trees
    res.update(vs_transformer=t_bert / t_tree, recursa_trees_per_s=T / t_tree, bert_trees_per_s=T / t_bert,
               bert_layers=layers, bert_params=count_params(bert), recursa_params=count_params(model),
               bert_sequence_length=int(inputs["input_ids"].shape[1]))
    log(f"[{name}] BertModel ({layers} layers): {t_bert * 1e3:.1f} ms")


    # (3) training memory, height 64 vs height 8, same node count
    peaks: dict[str, dict[str, int]] = {}
    for mode in ("implicit", "unrolled"):
        peaks[mode] = {}
        for label, mb in zip(("height_8", "height_64"), mem_batches):
            torch.manual_seed(settings.seed)
            clf = RecursaForTreeClassification(_config(settings.width, cyclic, backward=mode)).to(device)
            clf.train()
            labels = torch.arange(mb.num_trees, device=device) % 10

            def step(clf: RecursaForTreeClassification = clf, mb: TreeBatch = mb, labels: torch.Tensor = labels
                     ) -> None:
                clf(mb, labels=labels).loss.backward()

            step()  # warm-up (index structures, allocator)
            clf.zero_grad(set_to_none=True)
            peaks[mode][label] = (peak_cuda_bytes(step, device) if device.type == "cuda" else peak_saved_bytes(step))
        res[f"memory_ratio_{mode}"] = peaks[mode]["height_64"] / peaks[mode]["height_8"]
    res["memory_bytes"] = peaks
    res["memory_method"] = ("torch.cuda.max_memory_allocated" if device.type == "cuda"
                            else "peak bytes of tensors saved for backward (saved_tensors_hooks)")
    log(f"[{name}] memory ratio implicit {res['memory_ratio_implicit']:.2f}, "
        f"unrolled {res['memory_ratio_unrolled']:.2f}")
    return res


def run_bench(settings: BenchSettings, log: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    device = torch.device(settings.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda requested but no CUDA device is available")
    if settings.threads > 0:
        torch.set_num_threads(settings.threads)
    from recursa.trees.languages import kind_vocab_size

    kv = kind_vocab_size()
    rng = np.random.default_rng(settings.seed)
    heights = rng.integers(settings.min_height, settings.max_height + 1, settings.trees).tolist()
    sizes = rng.integers(settings.min_size, settings.max_size + 1, settings.trees).tolist()
    batch = make_batch(rng, heights, sizes, kv).to(device)
    m = settings.memory_trees
    n = max(settings.memory_tree_size, 65)
    mem = (make_batch(rng, [8] * m, [n] * m, kv).to(device), make_batch(rng, [64] * m, [n] * m, kv).to(device))
    assert mem[0].num_nodes == mem[1].num_nodes
    log(f"batch: {batch.num_trees} trees, {batch.num_nodes} nodes, heights {settings.min_height}-"
        f"{settings.max_height}, sizes {settings.min_size}-{settings.max_size} (independent of height)")
    bottom_up = measure(settings, False, batch, mem, log)
    top_down = measure(settings, True, batch, mem, log)
    out: dict[str, Any] = {
        "device": _device_name(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "settings": settings.to_json(),
        "batch": {"trees": batch.num_trees, "nodes": batch.num_nodes,
                  "heights": f"uniform {settings.min_height}..{settings.max_height}",
                  "sizes": f"uniform {settings.min_size}..{settings.max_size} nodes, independent of height",
                  "memory_batches": f"{m} trees x {n} nodes at height 8 vs height 64"},
    }
    for key in ("adaptive_speedup", "vs_transformer", "memory_ratio_implicit", "memory_ratio_unrolled",
                "iterations_by_height"):
        out[key] = bottom_up[key]
    out["bottom_up"] = bottom_up
    out["top_down"] = top_down
    return out


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    import platform

    return f"cpu ({platform.processor() or platform.machine()})"
