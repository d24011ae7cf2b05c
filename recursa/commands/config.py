"""``recursa config``, and the file-selection options every file-reading command shares.

The options (``--config``, ``--exclude``, ``--extend-exclude``, ``--respect-gitignore``, ``--select``,
``--stdin-filename``) are added with :func:`input_options`; :func:`resolve` merges them with the nearest
configuration file (:mod:`recursa.config`) and :func:`selection` turns the result into a file walk.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from recursa.config import ConfigError, Settings, first_path, load_settings
from recursa.trees.files import Selection

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = ("Exit codes (all commands): 0 success; 1 a problem found in the code (a violated assertion, a "
                   "syntax error for parse, an infeasible problem for synth); 2 usage or input error; 3 some "
                   "result unknown or unsupported; 130 interrupted (Ctrl-C, after printing what was finished). "
                   "When several apply: 2, then 1, then 3.")


def _split(values: tuple[str, ...]) -> list[str] | None:
    """Repeated and comma-separated globs as one list; None when the flag was not given."""
    if not values:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def input_options(f: F) -> F:
    """Add the shared file-selection options to a click command (they arrive as keyword arguments)."""
    return _add_options(f, select=True)


def walk_options(f: F) -> F:
    """:func:`input_options` without ``--select`` (for commands that do not look at functions)."""
    return _add_options(f, select=False)


def _add_options(f: F, select: bool) -> F:
    options = [
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     help="Read settings from this file (default: the nearest recursa.toml, or pyproject.toml "
                          "with [tool.recursa], above the first path)."),
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Paths a directory walk skips, replacing the defaults (build, dist, __pycache__, "
                          "node_modules, hidden folders). Repeatable or comma-separated."),
        click.option("--extend-exclude", multiple=True, metavar="GLOB",
                     help="Paths skipped in addition to --exclude. Repeatable or comma-separated."),
        click.option("--respect-gitignore/--no-respect-gitignore", default=None,
                     help="Skip files that .gitignore ignores (default: yes). Named files are always read."),
        click.option("--select", "select", multiple=True, metavar="NAME",
                     help="Check only the function(s) so named (also: PATH::NAME)."),
        click.option("--stdin-filename", metavar="NAME",
                     help="The name (and so the language) of the program read from '-' (standard input)."),
    ]
    if not select:
        options = [o for o in options if o is not options[4]]
    for option in reversed(options):
        f = option(f)
    return f


def resolve(command: str, paths: tuple[str, ...], params: dict[str, Any], **flags: Any) -> Settings:
    """The settings of one run: defaults < configuration file < flags. Exits 2 on a bad configuration."""
    overrides = {"exclude": _split(params.get("exclude", ())),
                 "extend_exclude": _split(params.get("extend_exclude", ())),
                 "respect_gitignore": params.get("respect_gitignore"), **flags}
    try:
        return load_settings(first_path(paths), overrides, params.get("config_file"))
    except ConfigError as exc:
        click.echo(f"recursa {command}: {exc}", err=True)
        sys.exit(ConfigError.exit_code)


def selection(settings: Settings) -> Selection:
    return Selection(tuple(settings.excludes), settings.respect_gitignore)


@click.command("config", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", required=False, type=click.Path())
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Read this file instead.")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def config(path: str | None, config_file: str | None, as_json: bool) -> None:
    """Show the settings a run on PATH (default: the current directory) would use, and where each came from.

    Settings live in recursa.toml or in [tool.recursa] of pyproject.toml, the nearest one above PATH; flags
    on the command line override them. Exit code 0, or 2 when the file is invalid (the file and key are named).
    """
    try:
        settings = load_settings(path, None, config_file)
    except ConfigError as exc:
        click.echo(f"recursa config: {exc}", err=True)
        sys.exit(ConfigError.exit_code)
    if as_json:
        click.echo(json.dumps(settings.to_json(), indent=2))
        return
    click.echo(f"# configuration file: {settings.file or 'none found (defaults)'}")
    for key, value, source in settings.rows():
        shown = json.dumps(value) if value is not None else "(number of cores)"
        click.echo(f"{key} = {shown}  # {source}")
