"""``recursa parse``: parse files with tree-sitter and report their shape and syntax errors."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import click

from recursa.commands.config import EXIT_CODES_HELP, resolve, selection, walk_options
from recursa.trees.files import PathProblem, collect
from recursa.trees.flatten import FlatTree, SyntaxDiagnostic, parse
from recursa.trees.languages import Language, languages
from recursa.trees.source import SourceError, decode_source, read_source

EXIT_CLEAN, EXIT_SYNTAX, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


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
    """Parse one source and summarise it (a huge source chunk by chunk, so memory follows the chunk)."""
    from recursa.trees.chunks import CHUNK_THRESHOLD

    if len(source) > CHUNK_THRESHOLD:
        chunked = _report_chunked(path, lang, source, count_constructs)
        if chunked is not None:
            return chunked
    ft: FlatTree = parse(source, lang)
    functions = loops = None
    if count_constructs:
        counts = _construct_counts(lang, source)
        if counts is not None:
            functions, loops = counts
    return FileReport(path, lang.name, ft.num_nodes, ft.num_named, ft.named_height(), ft.errors,
                      functions, loops)


def _report_chunked(path: str, lang: Language, source: bytes, count_constructs: bool) -> FileReport | None:
    """The report of ``source`` from independently parsed runs of top-level items; None when the file
    cannot be cut or some piece has a syntax error (a cut may have split a construct: parse it whole)."""
    import numpy as np

    from recursa.trees.chunks import split_top_level
    from recursa.trees.queries import simple_kinds

    chunks = split_top_level(source, lang.name)
    if chunks is None:
        return None
    kinds = {what: simple_kinds(lang.name, what) for what in ("function", "loop")} if count_constructs else {}
    ids = {what: _kind_ids(lang, names) for what, names in kinds.items() if names is not None}
    nodes = named = height = 0
    counts = dict.fromkeys(ids, 0)
    for chunk in chunks:
        ft = parse(chunk.data, lang)
        if ft.errors:
            return None
        # every piece has its own root node; the whole file has one
        nodes += ft.num_nodes - 1
        named += ft.num_named - 1
        height = max(height, ft.named_height())
        for what, wanted in ids.items():
            counts[what] += int(np.count_nonzero(np.isin(ft.kind, wanted) & ft.named))
        del ft
    functions = counts.get("function") if len(ids) == 2 else None
    loops = counts.get("loop") if len(ids) == 2 else None
    if count_constructs and len(ids) != 2:
        found = _construct_counts(lang, source)
        if found is not None:
            functions, loops = found
    return FileReport(path, lang.name, nodes + 1, named + 1, height, [], functions, loops)


def _kind_ids(lang: Language, names: frozenset[str]) -> list[int]:
    """Flat-tree kind ids (``1 + offset + symbol``) of the named node types ``names``."""
    ts_lang = lang.ts_language
    return [1 + lang.offset + sym for sym in range(ts_lang.node_kind_count)
            if ts_lang.node_kind_is_named(sym) and ts_lang.node_kind_for_id(sym) in names]


def _construct_counts(lang: Language, source: bytes) -> tuple[int, int] | None:
    try:
        from recursa.trees import queries
    except ImportError:  # pragma: no cover - queries ship with the package
        return None
    if not (queries.has_query(lang.name, "function") and queries.has_query(lang.name, "loop")):
        return None
    tree = lang.parser().parse(source)
    return len(queries.find(lang.name, tree, "function")), len(queries.find(lang.name, tree, "loop"))


@click.command("parse", epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--language", "-l", type=click.Choice([lang.name for lang in languages()]),
              help="Read every file as this language (default: by extension).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file on stdout, nothing else.")
@walk_options
def parse_command(paths: tuple[str, ...], language: str | None, as_json: bool, **params: Any) -> None:
    """Parse PATHS (files, directories searched recursively by extension, or '-' for standard input) with
    tree-sitter.

    Per file: nodes, named nodes, maximum nesting depth (height of the named-node tree), functions and
    loops found, and syntax errors as path:line:col. Exit code 0 when every file is clean, 1 when some file
    has syntax errors, 2 on a usage error or an unreadable file (reported and skipped; the rest is parsed),
    130 when interrupted. Directory walks skip build/, dist/, virtual environments, hidden folders and what
    .gitignore ignores (see --exclude; settings from recursa.toml / [tool.recursa]).
    """
    settings = resolve("parse", paths, params)
    status = EXIT_CLEAN
    files = nodes = 0
    start = time.perf_counter()
    try:
        for item in collect(paths, language, selection=selection(settings),
                            stdin_filename=params.get("stdin_filename")):
            if isinstance(item, PathProblem):
                click.echo(f"recursa parse: {item.path}: {item.message}", err=True)
                status = EXIT_USAGE
                continue
            try:
                python = item.language.name == "python"
                source = read_source(item.path, python=python) if item.source is None else \
                    decode_source(item.source, str(item.path), python=python)
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
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
    seconds = time.perf_counter() - start
    rate = nodes / seconds if seconds > 0 else 0.0
    stop = "interrupted: " if status == EXIT_INTERRUPTED else ""
    summary = f"{stop}{files} files, {nodes} nodes, {seconds:.2f} s, {rate:,.0f} nodes/s"
    click.echo(summary if as_json else "\n" + summary, err=as_json)
    sys.exit(status)


def _print_table_row(rep: FileReport) -> None:
    constructs = "" if rep.functions is None else f"  functions={rep.functions} loops={rep.loops}"
    state = "ok" if not rep.errors else f"{len(rep.errors)} syntax error(s)"
    click.echo(f"{rep.path}  [{rep.language}]  nodes={rep.nodes} named={rep.named_nodes} "
               f"depth={rep.max_depth}{constructs}  {state}")
    for e in rep.errors:
        click.echo(f"  {rep.path}:{e.line}:{e.column}: {e.message}")

