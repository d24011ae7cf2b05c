"""``recursa serve``: the language server (LSP over stdio, or TCP for debugging)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


class _Formatter(logging.Formatter):
    """One line per problem (the exception's own message) unless --verbose asks for tracebacks: a malformed
    message from a client is the client's bug, reported, not a crash of ours."""

    def __init__(self, fmt: str, tracebacks: bool) -> None:
        super().__init__(fmt)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.tracebacks and "Traceback (most recent call last):" in text:
            # some libraries paste the traceback into the message itself: keep the head and the final error
            lines = [ln for ln in text.splitlines() if ln.strip()]
            text = f"{lines[0]}\n  {lines[-1].strip()}"
        return text

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        if self.tracebacks:
            return super().formatException(ei)
        return f"  {ei[0].__name__}: {ei[1]}" if ei and ei[0] is not None else ""


@click.command("serve", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--tcp", "tcp", metavar="HOST:PORT", default=None, help="Listen on TCP instead of stdio (debugging).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds per function (default 5; clients can change it with the 'timeout' setting).")
@click.option("--ranker", default=None, help="Candidate ranking: default, unguided, or a model directory.")
@click.option("--log-file", type=click.Path(dir_okay=False), default=None, help="Write the server's log here.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def serve(tcp: str | None, timeout: float | None, ranker: str | None, log_file: str | None, verbose: bool) -> None:
    """Run the recursa language server: verification verdicts as diagnostics, hovers, code lenses.

    Editors start it as `recursa serve` and talk LSP over stdin/stdout. Settings (timeout, intSemantics, ranker,
    debounceMs, maxFileBytes, reasoner) come from initializationOptions or workspace/didChangeConfiguration.
    """
    from recursa.lsp.settings import Settings, merge

    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", tracebacks=verbose))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("recursa.lsp").setLevel(logging.DEBUG if verbose else logging.INFO)
    raw = {k: v for k, v in (("timeout", timeout), ("ranker", ranker)) if v is not None}
    settings, problems = merge(Settings(), raw)
    if problems:
        click.echo(f"recursa serve: {'; '.join(problems)}", err=True)
        sys.exit(2)
    from recursa.lsp.server import build_server

    server = build_server(settings)
    if tcp:
        host, port = _host_port(tcp)
        server.start_tcp(host, port)
    else:
        server.start_io()
