"""What the ``recursa bench`` commands that compare solvers file by file share: reading the ``manifest.jsonl``
that lists what each file should give, and the per-file progress and flags on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

MANIFEST = "manifest.jsonl"


def manifest_entries(folder: Path, key: str) -> dict[str, dict[str, Any]]:
    """The entries of ``folder/manifest.jsonl`` by their ``key`` field (a string): one JSON object per line;
    blank lines, lines that are not JSON objects and objects without a string ``key`` are skipped. Empty when
    the folder has no manifest."""
    manifest = folder / MANIFEST
    entries: dict[str, dict[str, Any]] = {}
    if not manifest.is_file():
        return entries
    for line in manifest.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get(key), str):
            entries[entry[key]] = entry
    return entries


def echo_flags(who: str, path: object, flags: list[str]) -> None:
    """Each problem found with one run, loudly, on stderr."""
    for flag in flags:
        click.echo(f"!!! {who}: {path}: {flag}", err=True)


def echo_progress(done: int, total: int, as_json: bool) -> None:
    """``done/total files`` rewritten in place on a terminal's stderr (not with --json)."""
    if not as_json and sys.stderr.isatty():
        click.echo(f"\r{done}/{total} files", err=True, nl=False)


def end_progress() -> None:
    """End the progress line before the table is printed."""
    if sys.stderr.isatty():
        click.echo("", err=True)
