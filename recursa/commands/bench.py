"""``recursa bench``: benchmarks printing ratios measured side by side in one run."""

from __future__ import annotations

from recursa.cli import LazyGroup

BENCHES: dict[str, tuple[str, str]] = {
    "parse": ("recursa.commands.bench_parse:bench_parse", "tree-sitter parse + flatten vs Python's ast."),
    "reasoner": ("recursa.commands.bench_reasoner:bench_reasoner",
                 "Per-tree stopping, transformer comparison, memory by depth, iterations by height."),
}


bench = LazyGroup(name="bench", lazy=BENCHES, help="Benchmarks that print ratios measured side by side in one run.")
