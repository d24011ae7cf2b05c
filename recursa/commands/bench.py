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
    "verify": ("recursa.commands.bench_verify:bench_verify", "Invariant inference: reasoner vs unguided, re-scoring."),
    "jobs": ("recursa.commands.bench_jobs:bench_jobs", "verify --jobs 2 vs --jobs 1: wall time, same verdicts."),
}


bench = LazyGroup(name="bench", lazy=BENCHES, help="Benchmarks that print ratios measured side by side in one run.")
