"""``recursa bench``: benchmarks printing ratios measured side by side in one run."""

from __future__ import annotations

from recursa.cli import LazyGroup

BENCHES: dict[str, tuple[str, str]] = {
    "parse": ("recursa.commands.bench_parse:bench_parse", "tree-sitter parse + flatten vs Python's ast."),
    "reasoner": ("recursa.commands.bench_reasoner:bench_reasoner",
                 "Per-tree stopping, transformer comparison, memory by depth, iterations by height."),
    "serve": ("recursa.commands.bench_serve:bench_serve", "Language server: edit latency, re-verification, memory."),
    "synth": ("recursa.commands.bench_synth:bench_synth", "recursa (guided, unguided) against cvc5 on SyGuS files."),
    "fuzz": ("recursa.commands.bench_fuzz:bench_fuzz", "Hostile inputs through the CLI: tracebacks, exit codes, hangs"),
}


bench = LazyGroup(name="bench", lazy=BENCHES, help="Benchmarks that print ratios measured side by side in one run.")
