"""``recursa bench parse``: tree-sitter → TreeBatch throughput against Python's ast, in one run."""

from __future__ import annotations

import json
import sys

import click


@click.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the figures.")
@click.option("--no-pin", is_flag=True, help="Do not pin the process to one CPU core.")
def bench_parse(paths: tuple[str, ...], as_json: bool, no_pin: bool) -> None:
    """Measure source → TreeBatch in nodes/s on one core, and the same work through Python's ast."""
    from recursa.trees import bench

    try:
        result, skipped = bench.run(paths, pin=not no_pin)
    except ValueError as exc:
        click.echo(f"recursa bench parse: {exc}", err=True)
        sys.exit(2)
    if skipped:
        click.echo(f"skipped {len(skipped)} unreadable path(s), e.g. {skipped[0]}", err=True)
    click.echo(json.dumps(result.to_json()) if as_json else bench.describe(result))
