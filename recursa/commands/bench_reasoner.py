"""``recursa bench reasoner``: the equilibrium reasoner measured side by side with its baselines."""

from __future__ import annotations

import json
import sys

import click


@click.command("reasoner")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with all figures.")
@click.option("--trees", type=click.IntRange(2), default=256, show_default=True, help="Trees in the timing batch.")
@click.option("--width", type=click.IntRange(8), default=128, show_default=True, help="Hidden size of both models.")
@click.option("--min-size", type=click.IntRange(1), default=64, show_default=True, help="Smallest tree (nodes).")
@click.option("--max-size", type=click.IntRange(1, 512), default=256, show_default=True,
              help="Largest tree (nodes; BERT reads at most 512 tokens).")
@click.option("--memory-trees", type=click.IntRange(1), default=32, show_default=True,
              help="Trees per batch in the height-8 vs height-64 memory measurement.")
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True, help="Timed runs (median).")
@click.option("--threads", type=click.IntRange(0), default=1, show_default=True,
              help="torch intra-op threads on CPU (0: leave torch's default).")
@click.option("--seed", type=int, default=0, show_default=True)
def bench_reasoner(device: str, as_json: bool, trees: int, width: int, min_size: int, max_size: int,
                   memory_trees: int, repeats: int, threads: int, seed: int) -> None:
    """Per-tree stopping vs whole batch, recursa vs BertModel, memory by depth, iterations by height.

    Trees have heights spread uniformly over 2-32 and sizes drawn independently of height."""
    if min_size > max_size:
        raise click.BadParameter("--min-size must not exceed --max-size")
    from recursa.equilibrium.bench import BenchSettings, run_bench

    settings = BenchSettings(trees=trees, width=width, min_size=min_size, max_size=max_size,
                             memory_trees=memory_trees, repeats=repeats, threads=threads, seed=seed, device=device)

    def log(msg: str) -> None:
        if not as_json:
            click.echo(msg)
        else:
            click.echo(msg, err=True)

    try:
        result = run_bench(settings, log=log)
    except RuntimeError as err:
        click.echo(f"recursa bench reasoner: {err}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"device: {result['device']} ({result['threads']} thread(s))")
    for name in ("bottom_up", "top_down"):
        r = result[name]
        click.echo(f"{name}:")
        click.echo(f"  adaptive_speedup       {r['adaptive_speedup']:.2f}  (per-tree Jacobi only: "
                   f"{r['adaptive_speedup_tree_only']:.2f})")
        click.echo(f"  vs_transformer         {r['vs_transformer']:.2f}  ({r['recursa_trees_per_s']:.0f} vs "
                   f"{r['bert_trees_per_s']:.0f} trees/s, BertModel {r['bert_layers']} layer(s), "
                   f"{r['bert_params']} vs {r['recursa_params']} params)")
        click.echo(f"  memory_ratio_implicit  {r['memory_ratio_implicit']:.2f}")
        click.echo(f"  memory_ratio_unrolled  {r['memory_ratio_unrolled']:.2f}  ({r['memory_method']})")
        its = ", ".join(f"{h}:{v:.1f}" for h, v in r["iterations_by_height"].items())
        click.echo(f"  iterations_by_height   {its}")
