"""``recursa parse``: parse files with tree-sitter and report their shape and syntax errors."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import click

from recursa.trees.files import PathProblem, collect
from recursa.trees.flatten import FlatTree, SyntaxDiagnostic, parse
from recursa.trees.languages import Language, languages
from recursa.trees.source import SourceError, read_source

EXIT_CLEAN, EXIT_SYNTAX, EXIT_USAGE = 0, 1, 2


@dataclass
class FileReport:
    """What ``recursa parse`` reports for one file."""

    path: str
    language: str
    nodes: int
    named_nodes: int
    max_depth: int
    errors: list[SyntaxDiagnostic]
    functions: int | None = None
    loops: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "language": self.language,
            "nodes": self.nodes,
            "named_nodes": self.named_nodes,
            "max_depth": self.max_depth,
            "errors": [e.to_json() for e in self.errors],
        }
        if self.functions is not None:
            out["functions"] = self.functions
            out["loops"] = self.loops
        return out


def report_file(path: str, lang: Language, source: bytes, count_constructs: bool = True) -> FileReport:
    """Parse one source and summarise it."""
    ft: FlatTree = parse(source, lang)
    functions = loops = None
    if count_constructs:
        counts = _construct_counts(lang, source)
        if counts is not None:
            functions, loops = counts
    return FileReport(path, lang.name, ft.num_nodes, ft.num_named, ft.named_height(), ft.errors,
                      functions, loops)


def _construct_counts(lang: Language, source: bytes) -> tuple[int, int] | None:
    try:
        from recursa.trees import queries
    except ImportError:  # pragma: no cover - queries ship with the package
        return None
    if not (queries.has_query(lang.name, "function") and queries.has_query(lang.name, "loop")):
        return None
    tree = lang.parser().parse(source)
    return len(queries.find(lang.name, tree, "function")), len(queries.find(lang.name, tree, "loop"))


@click.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--language", "-l", type=click.Choice([lang.name for lang in languages()]),
              help="Read every file as this language (default: by extension).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout, nothing else.")
def parse_command(paths: tuple[str, ...], language: str | None, as_json: bool) -> None:
    """Parse PATHS (files or directories, searched recursively by extension) with tree-sitter.

    Per file: nodes, named nodes, maximum nesting depth (height of the named-node tree), functions and
    loops found, and syntax errors as path:line:col. Exit code 0 when every file is clean, 1 when some file
    has syntax errors, 2 on a usage error or an unreadable file (reported and skipped; the rest is parsed).
    """
    status = EXIT_CLEAN
    files = nodes = 0
    start = time.perf_counter()
    for item in collect(paths, language):
        if isinstance(item, PathProblem):
            click.echo(f"recursa parse: {item.path}: {item.message}", err=True)
            status = EXIT_USAGE
            continue
        try:
            source = read_source(item.path, python=item.language.name == "python")
        except SourceError as exc:
            click.echo(f"recursa parse: {exc}", err=True)
            status = EXIT_USAGE
            continue
        rep = report_file(str(item.path), item.language, source)
        files += 1
        nodes += rep.nodes
        if rep.errors and status == EXIT_CLEAN:
            status = EXIT_SYNTAX
        if as_json:
            click.echo(json.dumps(rep.to_json()))
        else:
            _print_table_row(rep)
    seconds = time.perf_counter() - start
    rate = nodes / seconds if seconds > 0 else 0.0
    summary = f"{files} files, {nodes} nodes, {seconds:.2f} s, {rate:,.0f} nodes/s"
    click.echo(summary if as_json else "\n" + summary, err=as_json)
    sys.exit(status)


def _print_table_row(rep: FileReport) -> None:
    constructs = "" if rep.functions is None else f"  functions={rep.functions} loops={rep.loops}"
    state = "ok" if not rep.errors else f"{len(rep.errors)} syntax error(s)"
    click.echo(f"{rep.path}  [{rep.language}]  nodes={rep.nodes} named={rep.named_nodes} "
               f"depth={rep.max_depth}{constructs}  {state}")
    for e in rep.errors:
        click.echo(f"  {rep.path}:{e.line}:{e.column}: {e.message}")

