"""The pygls wiring of ``recursa serve``: LSP messages in, :class:`~recursa.lsp.engine.Engine` work out.

Handlers run on the event loop and never wait for verification: hovers, code lenses and code actions read the
last published view. Commands that do wait (``recursa.verifyFile`` ...) are coroutines awaiting a future the
worker resolves, so other requests keep being answered meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from recursa.lsp import render
from recursa.lsp.engine import DocView, Engine, language_of
from recursa.lsp.settings import Settings, merge
from recursa.refine.verify import Verdict

log = logging.getLogger("recursa.lsp")

COMMANDS = ("recursa.verifyFile", "recursa.verifyWorkspace", "recursa.verifyFunction", "recursa.showCounterexample")
_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}


class RecursaServer(LanguageServer):
    """A language server whose diagnostics are verification verdicts."""

    def __init__(self, settings: Settings | None = None) -> None:
        from recursa import __version__

        super().__init__("recursa", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.engine = Engine(self._publish_threadsafe, self._notify_threadsafe, settings)

    # ---- worker -> loop -------------------------------------------------------------------------------
    def _call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def _publish_threadsafe(self, view: DocView) -> None:
        self._call_soon(self.publish, view)

    def _notify_threadsafe(self, message: str, level: str) -> None:
        self._call_soon(self.tell, message, level)

    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding if self.protocol.workspace is not None else None
        return _ENCODINGS.get(str(getattr(enc, "value", enc) or "utf-16"), "utf-16")

    def publish(self, view: DocView) -> None:
        """Publish ``view``'s diagnostics unless a newer edit made it stale (runs on the event loop)."""
        if not self.engine.is_current(view):
            return
        related = _supports_related(self)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=view.uri, version=view.version, diagnostics=render.diagnostics(view, self.encoding, related)))

    def tell(self, message: str, level: str = "info") -> None:
        kind = {"error": lsp.MessageType.Error, "warning": lsp.MessageType.Warning}.get(level, lsp.MessageType.Info)
        log.log(logging.ERROR if level == "error" else logging.INFO, "%s", message)
        try:
            self.window_log_message(lsp.LogMessageParams(kind, message))
            if level in ("error", "warning"):
                self.window_show_message(lsp.ShowMessageParams(kind, message))
        except Exception:  # no client attached (yet or any more)
            pass

    def run_on_worker(self, fn: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run ``fn`` on the engine's worker thread; the future resolves on the event loop."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()

        def job() -> None:
            try:
                result = fn()
            except Exception as exc:
                err = exc
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_exception(err))
            else:
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(result))

        self.engine.submit(job)
        return fut

    def view(self, uri: str) -> DocView | None:
        return self.engine.views.get(uri)


def _supports_related(ls: LanguageServer) -> bool:
    try:
        pd = ls.client_capabilities.text_document.publish_diagnostics  # type: ignore[union-attr]
        return bool(pd.related_information) if pd is not None else True
    except AttributeError:
        return True


def _uri_path(uri: str) -> str:
    return unquote(urlparse(uri).path) if uri.startswith("file://") else uri


def _summary(views: list[DocView]) -> dict[str, int]:
    counts = {v.value: 0 for v in Verdict}
    for view in views:
        for _f, r, _line in render.results(view):
            counts[r.verdict.value] += 1
    # per function, as there is no verdict per assertion for a function that could not be converted
    counts[Verdict.UNSUPPORTED.value] += sum(1 for v in views for f in v.functions if f.unsupported is not None
                                             and f.has_assertions)
    counts["files"] = len(views)
    counts["syntax_errors"] = sum(len(v.syntax_errors) for v in views)
    return counts


def build_server(settings: Settings | None = None) -> RecursaServer:
    server = RecursaServer(settings)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: RecursaServer, params: lsp.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.engine.settings, problems = merge(ls.engine.settings, params.initialization_options)
        for p in problems:
            ls.tell(f"recursa: {p}", "warning")

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: RecursaServer, params: Any) -> None:
        ls.engine.shutdown()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: RecursaServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings, problems = merge(ls.engine.settings, params.settings)
        for p in problems:
            ls.tell(f"recursa: {p}", "warning")
        ls.engine.update_settings(settings)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RecursaServer, params: lsp.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        language = language_of(doc.uri, doc.language_id)
        if language is None:
            ls.tell(f"recursa: {doc.uri}: not a C or Python file ({doc.language_id}); not verified", "info")
            return
        ls.engine.open(doc.uri, language, doc.text, doc.version, ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RecursaServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri, version = params.text_document.uri, params.text_document.version
        buf = ls.engine.buffers.get(uri)
        if buf is None:
            log.warning("recursa: change for %s, which is not open: ignored", uri)
            return
        for change in params.content_changes:
            rng = getattr(change, "range", None)
            if rng is None:
                buf.set_text(change.text, version)
            else:
                buf.replace((rng.start.line, rng.start.character), (rng.end.line, rng.end.character), change.text,
                            version)
        buf.version = version
        ls.engine.change(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RecursaServer, params: lsp.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri in ls.engine.buffers:
            ls.engine.schedule(params.text_document.uri, 0.0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RecursaServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.engine.close(uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: RecursaServer, params: lsp.HoverParams) -> lsp.Hover | None:
        view = ls.view(params.text_document.uri)
        if view is None:
            return None
        text = render.hover_text(view, params.position.line + 1)
        if text is None:
            return None
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: RecursaServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
        view = ls.view(params.text_document.uri)
        return render.code_lenses(view, ls.encoding) if view is not None else []

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.RefactorRewrite]))
    def code_action(ls: RecursaServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        view = ls.view(params.text_document.uri)
        if view is None:
            return []
        return render.code_actions(view, params.range.start.line + 1, params.range.end.line + 1,
                                   ls.engine.settings.timeout_s)

    @server.command("recursa.verifyFile")
    async def verify_file(ls: RecursaServer, uri: str) -> dict[str, int]:
        if uri not in ls.engine.buffers:
            path = _uri_path(uri)
            if not os.path.isfile(path):
                raise ValueError(f"{uri} is neither open nor a file on disk")
        async with _Progress(ls, "recursa: verifying", 1) as progress:
            view = await ls.run_on_worker(lambda: _verify_one(ls, uri))
            progress.step(Path(_uri_path(uri)).name)
        ls.publish(view)
        return _summary([view])

    @server.command("recursa.verifyWorkspace")
    async def verify_workspace(ls: RecursaServer) -> dict[str, int]:
        from recursa.commands.verify import collect_files

        roots = [_uri_path(f.uri) for f in (ls.workspace.folders or {}).values()] or (
            [_uri_path(ls.workspace.root_uri)] if ls.workspace.root_uri else [])
        files, problems = collect_files(roots) if roots else ([], [])
        for path, message in problems:
            ls.tell(f"recursa: {path}: {message}", "info")
        views = []
        async with _Progress(ls, "recursa: verifying the workspace", len(files)) as progress:
            for path in files:
                uri = Path(path).resolve().as_uri()
                view = await ls.run_on_worker(lambda uri=uri: _verify_one(ls, uri))
                ls.publish(view)
                views.append(view)
                progress.step(os.path.relpath(path, roots[0]) if roots else path)
        return _summary(views)

    @server.command("recursa.verifyFunction")
    async def verify_function(ls: RecursaServer, uri: str, name: str, timeout: float) -> dict[str, Any]:
        results = await ls.run_on_worker(lambda: ls.engine.reverify(uri, name, float(timeout)))
        return {"function": name, "verdicts": [r.verdict.value for r in results]}

    @server.command("recursa.showCounterexample")
    def show_counterexample(ls: RecursaServer, uri: str, line: int) -> str | None:
        view = ls.view(uri)
        text = render.counterexample_text(view, int(line)) if view is not None else None
        ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Info,
                                                     text or f"no violated assertion at {uri}:{line}"))
        return text

    @server.feature("recursa/stats")
    def stats(ls: RecursaServer, params: Any) -> dict[str, Any]:
        """Figures for benchmarks and bug reports: the last passes, the cache, resident memory."""
        return {"passes": [p.to_json() for p in ls.engine.passes[-50:]], "cache_entries": len(ls.engine.cache),
                "cache_hits": ls.engine.cache.hits, "cache_misses": ls.engine.cache.misses,
                "rss_bytes": _rss_bytes(), "busy": ls.engine.busy, "settings": ls.engine.settings.to_json()}

    return server


def _verify_one(ls: RecursaServer, uri: str) -> DocView:
    """Worker thread: an open document is checked again from scratch, a closed one read from disk."""
    engine = ls.engine
    buf = engine.buffers.get(uri)
    if buf is not None:
        engine._document_pass(uri, force=True)
        # a newer edit may have overtaken the pass: its own pass publishes; report what is known now
        return engine.views.get(uri) or DocView(uri, buf.version, buf.language, text=buf.text)
    return engine.check_path(uri, _uri_path(uri))


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _Progress:
    """Work-done progress when the client supports it; silent otherwise."""

    def __init__(self, ls: RecursaServer, title: str, total: int) -> None:
        self.ls, self.title, self.total, self.done = ls, title, max(total, 1), 0
        self.token: str | None = None

    async def __aenter__(self) -> _Progress:
        caps = self.ls.client_capabilities.window
        if caps is not None and caps.work_done_progress:
            token = str(uuid.uuid4())
            try:
                await self.ls.work_done_progress.create_async(token)
                self.ls.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(self.title, percentage=0))
                self.token = token
            except Exception as exc:  # a client that refuses progress still gets the result
                log.info("recursa: no progress reporting: %s", exc)
        return self

    def step(self, message: str) -> None:
        self.done += 1
        if self.token is not None:
            self.ls.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(
                message=message, percentage=int(100 * self.done / self.total)))

    async def __aexit__(self, *exc: Any) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message="done"))
