"""The ``recursa`` command line.

Sub-commands live in their own modules and are imported only when run, so ``recursa --help`` never
imports torch, transformers or z3.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# command name -> "module:attribute" of a click command; help text shown without importing it
COMMANDS: dict[str, tuple[str, str]] = {
    "parse": ("recursa.commands.parse:parse_command",
              "Parse files with tree-sitter: nodes, nesting depth, syntax errors."),
    "analyze": ("recursa.commands.analyze:analyze",
                "Per function: nesting depth, loops, reasoner iterations, verification verdicts."),
    "verify": ("recursa.commands.verify:verify", "Prove or refute assertions in C / Python programs with Z3."),
    "train": ("recursa.commands.train:train", "Train the equilibrium reasoner (or the transformer baseline)."),
    "eval": ("recursa.commands.eval:eval_command", "Evaluate a model: accuracy and iterations by depth."),
    "bench": ("recursa.commands.bench:bench", "Benchmarks that print ratios measured side by side in one run."),
    "synth": ("recursa.commands.synth:synth", "Synthesise functions from SyGuS-IF (.sl) specifications."),
    "serve": ("recursa.commands.serve:serve", "Language server: verdicts as diagnostics, hovers and code lenses."),
    "config": ("recursa.commands.config:config", "Show the merged settings and where each came from."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            target, _ = self.lazy[cmd_name]
            module, attr = target.split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        rows += [(n, c.get_short_help_str()) for n, c in sorted(self.commands.items()) if n not in self.lazy]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recursa")
def main() -> None:
    """recursa: tree-sitter trees, a depth-adaptive equilibrium reasoner, and Z3 verification."""


if __name__ == "__main__":
    main()
