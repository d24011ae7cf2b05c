"""The worker behind the server: parse, verify changed functions, re-solve the reasoner, hand results back.

Everything slow runs on one worker thread (Z3 wants one context per thread, and the verifier and the model are
loaded once). The event loop only records text changes and schedules documents; requests (hover, code lens)
read the last published :class:`DocView` and never wait for the worker.

A pass over a document takes a snapshot of its text and version. Between functions it checks the version: a
newer edit abandons the pass (the next one is already scheduled). A function whose check is already running
finishes (it is bounded by the timeout) and its verdicts are cached under the content hash — they are right for
that text — but a view is only published when its version is still the document's current one (checked again
on the event loop, where edits are applied).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recursa.lsp.cache import CachedVerdicts, VerdictCache, content_key
from recursa.lsp.settings import Settings
from recursa.lsp.text import Buffer, encode

log = logging.getLogger("recursa.lsp")

# language id / file suffix -> recursa language. Hook for SyGuS (``.sl``) files: map "sygus"/".sl" here and give
# :meth:`Engine._check` a branch that runs recursa.synth on the problem (its results become FunctionViews with one
# result per synth-fun); everything downstream (cache, staleness, rendering) is language-agnostic.
LANGUAGE_IDS = {"c": "c", "python": "python"}
SUFFIXES = {".c": "c", ".h": "c", ".py": "python", ".pyi": "python"}


def language_of(uri: str, language_id: str | None = None) -> str | None:
    if language_id and language_id in LANGUAGE_IDS:
        return LANGUAGE_IDS[language_id]
    return SUFFIXES.get(Path(uri.split("?")[0]).suffix.lower())


@dataclass(frozen=True)
class FunctionView:
    """One function as last verified: where it is now, its verdicts (lines already shifted), its figures."""

    name: str
    line: int  # 1-based first line
    end_line: int
    column: int
    results: tuple[Any, ...]  # AssertionResult, lines as of the function's cached position: add ``delta``
    delta: int  # lines to add to every line in ``results`` (the function moved since it was verified)
    unsupported: Any = None  # recursa.symbolic.frontend.Unsupported
    loop_lines: tuple[int, ...] = ()
    loop_depth: int = 0
    syntax_depth: int = 0
    cached: bool = False
    reasoner: Any = None  # recursa.lsp.warm.TreeFigures
    has_assertions: bool = False
    start_byte: int = 0
    end_byte: int = 0


@dataclass(frozen=True)
class DocView:
    """What the server knows about one version of one document."""

    uri: str
    version: int | None
    language: str
    functions: tuple[FunctionView, ...] = ()
    syntax_errors: tuple[Any, ...] = ()  # recursa.trees.flatten.SyntaxDiagnostic
    notes: tuple[str, ...] = ()  # file-level information (too large, ...)
    input_errors: tuple[str, ...] = ()  # the file cannot be read at all (not UTF-8, unreadable)
    text: str = ""

    def function_at(self, line: int) -> FunctionView | None:
        """The innermost function spanning 1-based ``line``."""
        best = None
        for f in self.functions:
            if f.line <= line <= f.end_line and (best is None or f.line >= best.line):
                best = f
        return best


@dataclass
class PassStats:
    """One pass over one document: what it re-verified and what it reused."""

    uri: str
    version: int | None
    functions: int = 0
    verified: list[str] = field(default_factory=list)
    cache_hits: int = 0
    parse_s: float = 0.0
    verify_s: float = 0.0
    incremental: bool = False
    abandoned: bool = False
    warm: Any = None  # recursa.lsp.warm.WarmSolve

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "warm"}
        out["warm"] = self.warm.to_json() if self.warm is not None else None
        return out


class Stale(Exception):
    """A newer edit made the pass in progress pointless."""


class Engine:
    """Documents, the verdict cache and the worker thread.

    ``publish(view)`` is called from the worker with every finished view (the caller re-checks the version on
    its own thread); ``notify(message, level)`` reports problems the user should see.
    """

    def __init__(self, publish: Callable[[DocView], None], notify: Callable[[str, str], None] | None = None,
                 settings: Settings | None = None) -> None:
        self.publish = publish
        self.notify = notify or (lambda message, level: log.info(message))
        self.settings = settings or Settings()
        self.buffers: dict[str, Buffer] = {}
        self.views: dict[str, DocView] = {}
        self.cache = VerdictCache()
        self.passes: list[PassStats] = []
        self._trees: dict[str, tuple[Any, int]] = {}  # uri -> (tree-sitter tree, version), worker only
        self._due: dict[str, float] = {}
        self._last_change: dict[str, float] = {}
        self._forced: set[str] = set()
        self._jobs: list[Callable[[], None]] = []
        self._cond = threading.Condition()
        self._verifier: Any = None
        self._verifier_key = ""
        self._reasoner: Any = None  # WarmReasoner, or False when none could be loaded
        self._parsers: dict[str, Any] = {}
        self._stop = False
        self.busy = False
        self._thread = threading.Thread(target=self._run, name="recursa-verify", daemon=True)
        self._thread.start()

    # ---- called on the event loop -----------------------------------------------------------------------
    def open(self, uri: str, language: str, text: str, version: int, encoding: str = "utf-16") -> None:
        self.buffers[uri] = Buffer(uri, language, text, version, encoding)
        self.schedule(uri, 0.0)

    def change(self, uri: str) -> None:
        """An edit: verification starts at once after a quiet spell, else after ``debounce_ms`` of quiet (so a
        burst of keystrokes costs one pass, while a single edit does not wait for nothing)."""
        now = time.monotonic()
        window = self.settings.debounce_ms / 1000
        last = self._last_change.get(uri)
        self._last_change[uri] = now
        self.schedule(uri, 0.0 if last is None or now - last > window else window)

    def close(self, uri: str) -> None:
        self.buffers.pop(uri, None)
        self.views.pop(uri, None)
        self._last_change.pop(uri, None)
        with self._cond:
            self._due.pop(uri, None)
            self._jobs.append(lambda: self._forget(uri))
            self._cond.notify()

    def is_current(self, view: DocView) -> bool:
        buf = self.buffers.get(view.uri)
        return view.version is None or (buf is not None and buf.version == view.version)

    def schedule(self, uri: str, delay: float, force: bool = False) -> None:
        with self._cond:
            self._due[uri] = time.monotonic() + delay
            if force:
                self._forced.add(uri)
            self._cond.notify()

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the worker thread, after the work already queued."""
        with self._cond:
            self._jobs.append(job)
            self._cond.notify()

    def update_settings(self, settings: Settings) -> None:
        changed = settings.verify_key() != self.settings.verify_key()
        self.settings = settings
        if changed:
            for uri in list(self.buffers):
                self.schedule(uri, 0.0)

    def shutdown(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()

    # ---- worker -------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stop:
                        return
                    if self._jobs:
                        job: Callable[[], None] | None = self._jobs.pop(0)
                        uri = None
                        break
                    now = time.monotonic()
                    ready = [u for u, t in self._due.items() if t <= now]
                    if ready:
                        uri = min(ready, key=self._due.__getitem__)
                        del self._due[uri]
                        force = uri in self._forced
                        self._forced.discard(uri)
                        job = None
                        break
                    wait = min(self._due.values()) - now if self._due else None
                    self._cond.wait(wait)
                self.busy = True
            try:
                if job is not None:
                    job()
                elif uri is not None:
                    self._document_pass(uri, force)
            except Exception as exc:  # the worker must survive anything one document does to it
                log.error("recursa: internal error: %s", "".join(traceback.format_exception(exc)))
                self.notify(f"recursa: internal error while checking {uri or 'a job'}: {exc}", "error")
            finally:
                self.busy = False

    def _forget(self, uri: str) -> None:
        self._trees.pop(uri, None)
        if self._reasoner:
            self._reasoner.forget(uri)

    def _newer(self, uri: str, version: int | None) -> bool:
        if version is None:  # a file checked from disk (workspace command): nothing newer can come
            return False
        buf = self.buffers.get(uri)
        return buf is None or buf.version != version

    def verifier(self) -> Any:
        key = self.settings.verify_key()
        if self._verifier is None or key != self._verifier_key:
            from recursa.refine.verify import Verifier, VerifyOptions

            s = self.settings
            try:
                self._verifier = Verifier(VerifyOptions(timeout_s=s.timeout_s, int_semantics=s.int_semantics),
                                          s.ranker)
            except (FileNotFoundError, ValueError, OSError) as exc:
                self.notify(f"recursa: ranker {s.ranker!r} cannot be loaded ({exc}); using 'unguided'", "warning")
                self._verifier = Verifier(VerifyOptions(timeout_s=s.timeout_s, int_semantics=s.int_semantics),
                                          "unguided")
            self._verifier_key = key
        return self._verifier

    def _parser(self, language: str) -> Any:
        if language not in self._parsers:
            from recursa.trees.languages import get_language

            self._parsers[language] = get_language(language).parser()
        return self._parsers[language]

    def _parse(self, uri: str, language: str, version: int, source: bytes, edits: list[Any], full: bool
               ) -> tuple[Any, bool]:
        """The tree of ``source``: the previous tree edited and re-parsed incrementally when there is one."""
        import tree_sitter as ts

        parser = self._parser(language)
        old = None if full else self._trees.get(uri)
        if old is not None:
            tree = old[0]
            for e in edits:
                tree.edit(e.start_byte, e.old_end_byte, e.new_end_byte, ts.Point(*e.start_point),
                          ts.Point(*e.old_end_point), ts.Point(*e.new_end_point))
            new = parser.parse(source, tree)
        else:
            new = parser.parse(source)
        self._trees[uri] = (new, version)
        return new, old is not None

    def _document_pass(self, uri: str, force: bool) -> None:
        buf = self.buffers.get(uri)
        if buf is None:
            return
        version, text, edits, full = buf.snapshot()
        stats = PassStats(uri, version)
        try:
            view = self._check(uri, buf.language, version, text, edits, full, force, stats)
        except Stale:
            stats.abandoned = True
            self._record(stats)
            return
        except BaseException:
            # the edits taken from the buffer may not have reached the tree: parse from scratch next time
            self._trees.pop(uri, None)
            raise
        self._record(stats)
        if self._newer(uri, version):
            return  # a view of an older text is never shown (its verdicts stay cached by content)
        self.views[uri] = view
        self.publish(view)
        if self.settings.reasoner and view.functions:
            view = self._with_reasoner(uri, view, text, stats)
            if view is not None and not self._newer(uri, version):
                self.views[uri] = view
                self.publish(view)

    def _record(self, stats: PassStats) -> None:
        self.passes.append(stats)
        del self.passes[:-200]

    def check_path(self, uri: str, path: str) -> DocView:
        """A file that is not open, read from disk (worker thread only)."""
        from recursa.trees.source import SourceError, read_source

        language = language_of(path) or "c"
        try:
            data = read_source(path)
        except SourceError as exc:
            return DocView(uri, None, language, input_errors=(f"{path}: {exc.message}",))
        except OSError as exc:
            return DocView(uri, None, language, input_errors=(f"{path}: cannot read: {exc.strerror or exc}",))
        stats = PassStats(uri, None)
        try:
            return self._check(uri, language, None, data.decode("utf-8", "replace"), [], True, False, stats)
        finally:
            self._trees.pop(uri, None)
            self._record(stats)

    def reverify(self, uri: str, name: str, timeout_s: float) -> list[Any]:
        """Verify function ``name`` of open document ``uri`` again with a longer timeout (worker thread only);
        the verdicts replace the cached ones for the function's current text, and the document is re-published."""
        from recursa.refine.rank import UnguidedRanker
        from recursa.refine.verify import Verifier
        from recursa.symbolic.frontend import load_program

        buf = self.buffers.get(uri)
        if buf is None:
            raise KeyError(f"{uri} is not open")
        source = encode(buf.text)
        prog = load_program(source, buf.language, _path_of(uri), self.settings.int_semantics)
        unit = next((u for u in prog.units if u.name == name and u.function is not None), None)
        if unit is None:
            raise KeyError(f"no verifiable function {name!r} in {uri}")
        base = self.verifier()
        longer = Verifier(dataclasses.replace(base.options, timeout_s=timeout_s), base.ranker)
        file_tree = None
        if not isinstance(base.ranker, UnguidedRanker):
            from recursa.trees.flatten import parse

            file_tree = parse(source, buf.language, drop_punctuation=True)
        results = longer.verify_function(unit.function, prog, file_tree)
        context = file_context(self._parser(buf.language).parse(source), source, _function_spans(prog))
        key = content_key(buf.language, self.settings.verify_key(), context, source[unit.start_byte:unit.end_byte],
                          unit.loc.col)
        self.cache.put(key, CachedVerdicts(unit.name, unit.loc.line, tuple(results), sum(r.time_s for r in results)))
        self.schedule(uri, 0.0)
        return results

    def _check(self, uri: str, language: str, version: int | None, text: str, edits: list[Any], full: bool, force: bool,
               stats: PassStats) -> DocView:
        from recursa.symbolic.frontend import load_program

        source = encode(text)
        if len(source) > self.settings.max_file_bytes:
            self._trees.pop(uri, None)
            return DocView(uri, version, language, notes=(
                f"not verified: {len(source) / 1e6:.1f} MB is over the maxFileBytes setting "
                f"({self.settings.max_file_bytes / 1e6:.1f} MB)",), text=text)
        t0 = time.perf_counter()
        tree, stats.incremental = self._parse(uri, language, version, source, edits, full)
        path = _path_of(uri)
        prog = load_program(source, language, path, self.settings.int_semantics)
        stats.parse_s = time.perf_counter() - t0
        context = file_context(tree, source, _function_spans(prog))
        skey = self.settings.verify_key()
        error_rows = [e.line for e in prog.syntax_errors]
        file_tree = None
        functions = []
        stats.functions = len(prog.units)
        depths = _syntax_depths(tree, source, language, [(u.start_byte, u.end_byte) for u in prog.units])
        t1 = time.perf_counter()
        for unit, depth in zip(prog.units, depths):
            end_line = unit.loc.line + source[unit.start_byte:unit.end_byte].count(b"\n")
            f = unit.function
            common = dict(name=unit.name, line=unit.loc.line, end_line=end_line, column=unit.loc.col,
                          start_byte=unit.start_byte, end_byte=unit.end_byte, syntax_depth=depth,
                          unsupported=unit.unsupported, has_assertions=bool(unit.assertion_locs),
                          loop_lines=tuple(lp.loc.line for lp in f.loops) if f is not None else (),
                          loop_depth=f.loop_depth() if f is not None else 0)
            broken = any(unit.loc.line <= ln <= end_line for ln in error_rows)
            if not unit.assertion_locs or f is None or broken:
                functions.append(FunctionView(results=(), delta=0, **common))
                continue
            key = content_key(language, skey, context, source[unit.start_byte:unit.end_byte], unit.loc.col)
            hit = None if force else self.cache.get(key)
            if hit is None:
                if self._newer(uri, version):
                    raise Stale
                if file_tree is None:
                    file_tree = self._file_tree(tree, source, language)
                results = self.verifier().verify_function(f, prog, file_tree)
                hit = CachedVerdicts(unit.name, unit.loc.line, tuple(results), sum(r.time_s for r in results))
                self.cache.put(key, hit)
                stats.verified.append(unit.name)
            else:
                stats.cache_hits += 1
            functions.append(FunctionView(results=hit.results, delta=unit.loc.line - hit.base_line,
                                          cached=unit.name not in stats.verified, **common))
        stats.verify_s = time.perf_counter() - t1
        return DocView(uri, version, language, tuple(functions), tuple(prog.syntax_errors), text=text)

    def _file_tree(self, tree: Any, source: bytes, language: str) -> Any:
        from recursa.refine.rank import UnguidedRanker

        if isinstance(self.verifier().ranker, UnguidedRanker):
            return None
        from recursa.trees.flatten import flatten

        return flatten(tree, source, language, drop_punctuation=True)

    def reasoner(self) -> Any:
        if self._reasoner is None:
            from recursa.commands.analyze import load_reasoner
            from recursa.lsp.warm import WarmReasoner

            r = load_reasoner()
            if r.model is None:
                self.notify(f"recursa: no reasoner figures in hovers: {r.missing}", "info")
                self._reasoner = False
            else:
                self._reasoner = WarmReasoner(r.model)
        return self._reasoner or None

    def _with_reasoner(self, uri: str, view: DocView, text: str, stats: PassStats) -> DocView | None:
        from recursa.refine.context import subtree
        from recursa.trees.flatten import flatten

        reasoner = self.reasoner()
        entry = self._trees.get(uri)
        if reasoner is None or entry is None or entry[1] != view.version:
            return None
        source = encode(text)
        ft = flatten(entry[0], source, view.language)
        trees = []
        for a, b in ((f.start_byte, f.end_byte) for f in view.functions):
            try:
                trees.append(subtree(ft, a, b))
            except ValueError:
                trees.append(None)
        solvable = [t for t in trees if t is not None and t.num_nodes > 0]
        if not solvable:
            return None
        warm = reasoner.solve(uri, solvable)
        stats.warm = warm
        figures = iter(warm.trees)
        out = []
        for fv, t in zip(view.functions, trees):
            if t is None or t.num_nodes == 0:
                out.append(fv)
            else:
                out.append(dataclasses.replace(fv, reasoner=next(figures)))
        return dataclasses.replace(view, functions=tuple(out))


def _syntax_depths(tree: Any, source: bytes, language: str, spans: list[tuple[int, int]]) -> list[int]:
    """Nesting depth (height of the tree of named nodes) of each function span."""
    from recursa.refine.context import subtree
    from recursa.trees.flatten import flatten

    if not spans:
        return []
    ft = flatten(tree, source, language)
    out = []
    for a, b in spans:
        try:
            out.append(subtree(ft, a, b).named_height())
        except ValueError:
            out.append(0)
    return out


def _function_spans(prog: Any) -> list[tuple[int, int]]:
    """Byte ranges of the real functions (not Python's ``<module>`` unit: module-level code is context)."""
    return [(u.start_byte, u.end_byte) for u in prog.units if u.name != "<module>"]


def file_context(tree: Any, source: bytes, spans: list[tuple[int, int]]) -> bytes:
    """The top-level code outside every function (``#define``s, globals, module constants): part of each
    function's cache key. Comments and blank lines are left out, so editing them re-verifies nothing."""
    parts = []
    for node in tree.root_node.children:
        if node.type == "comment" or any(a <= node.start_byte and node.end_byte <= b for a, b in spans):
            continue
        parts.append(source[node.start_byte:node.end_byte])
    return b"\x00".join(parts)


def _path_of(uri: str) -> str:
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(uri).path)
    return uri
