"""Collecting source files from the paths a user gives on the command line."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from recursa.trees.languages import Language, get_language, language_for_path, languages


@dataclass(frozen=True)
class SourceFile:
    """A file to process and the language it is read as.

    ``function`` names the one function to check (from ``path.py::function``); ``source`` holds the text
    read from standard input (``-``), ``path`` then being the name given with ``--stdin-filename``.
    """

    path: Path
    language: Language
    function: str | None = None
    source: bytes | None = None


@dataclass(frozen=True)
class PathProblem:
    """A path the user gave that yields no file to process (missing, unknown extension, ...)."""

    path: str
    message: str


#: what a directory walk skips unless ``--exclude`` replaces it (virtual environments are found by ``pyvenv.cfg``)
DEFAULT_EXCLUDE = ("build", "dist", "__pycache__", "node_modules", ".*")


@dataclass(frozen=True)
class Selection:
    """Which files a directory walk takes: exclude globs and whether ``.gitignore`` files are honoured.

    The defaults skip ``build/``, ``dist/``, ``__pycache__``, ``node_modules``, hidden folders and virtual
    environments (a folder holding ``pyvenv.cfg``). A path named on the command line is always taken; only
    what a walk finds below it is filtered.
    """

    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    respect_gitignore: bool = True
    skip_venvs: bool = True


STDIN = "-"


def collect(paths: Iterable[str | os.PathLike[str]], language: str | None = None, *,
            selection: Selection | None = None, stdin_filename: str | None = None
            ) -> Iterator[SourceFile | PathProblem]:
    """Files under ``paths`` in a stable order; directories are searched recursively by extension.

    With ``language`` every explicitly named file is read as that language, and directories yield the
    files with that language's extensions. ``path::name`` selects one function of a file; ``-`` reads
    standard input, named ``stdin_filename`` (its extension gives the language unless ``language`` does).
    """
    sel = selection or Selection()
    forced = get_language(language) if language else None
    exts = {e for lang in ([forced] if forced else languages()) for e in lang.extensions}
    excludes = _Globs(sel.exclude)
    for raw in paths:
        text = os.fspath(raw)
        if text == STDIN:
            yield _stdin(stdin_filename, forced)
            continue
        function = None
        if "::" in text and not Path(text).exists():
            text, function = text.split("::", 1)
            if not function:
                yield PathProblem(os.fspath(raw), "empty function name after '::'")
                continue
        p = Path(text)
        if p.is_dir():
            if function is not None:
                yield PathProblem(os.fspath(raw), "'::function' needs a file, not a directory")
                continue
            found = False
            for f in _walk(p, exts, excludes, sel):
                lang = forced or language_for_path(f)
                if lang is not None:
                    found = True
                    kind = special_kind(f)
                    yield SourceFile(f, lang) if kind is None else PathProblem(
                        str(f), f"not a regular file ({kind}); skipped")
            if not found:
                yield PathProblem(text, "no source files found in directory")
        elif p.exists():
            kind = special_kind(p)
            if kind is not None:
                yield PathProblem(text, f"not a regular file ({kind}); skipped")
                continue
            lang = forced or language_for_path(p)
            if lang is None:
                known = ", ".join(sorted(exts))
                yield PathProblem(text, f"unknown file type (known extensions: {known}; or pass --language)")
            else:
                yield SourceFile(p, lang, function)
        else:
            yield PathProblem(text, "no such file or directory")


def _stdin(name: str | None, forced: Language | None) -> SourceFile | PathProblem:
    if name is None and forced is None:
        return PathProblem(STDIN, "reading standard input needs --stdin-filename NAME (its extension gives "
                                  "the language)")
    path = Path(name or f"<stdin>{forced.extensions[0] if forced else ''}")
    lang = forced or language_for_path(path)
    if lang is None:
        return PathProblem(str(path), "unknown file type for standard input (use --stdin-filename x.c / x.py)")
    return SourceFile(path, lang, None, sys.stdin.buffer.read())


def _walk(top: Path, exts: set[str], excludes: _Globs, sel: Selection) -> Iterator[Path]:
    """Files below ``top`` with one of ``exts``, sorted, skipping excluded and git-ignored paths.

    os.walk is top-down, so pruning ``dirs`` stops the walk from entering an excluded folder at all."""
    ignore = GitIgnore.for_directory(top) if sel.respect_gitignore else None
    for root, dirs, files in os.walk(top):
        here = Path(root)
        if ignore is not None and here != top:
            ignore.load(here)
        kept = []
        for d in sorted(dirs):
            sub = here / d
            rel = sub.relative_to(top).as_posix()
            if excludes.match(rel, d) or (sel.skip_venvs and (sub / "pyvenv.cfg").is_file()):
                continue
            if ignore is not None and ignore.ignored(sub, is_dir=True):
                continue
            kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            f = here / name
            if f.suffix.lower() not in exts:
                continue
            if excludes.match(f.relative_to(top).as_posix(), name):
                continue
            if ignore is not None and ignore.ignored(f, is_dir=False):
                continue
            yield f


class _Globs:
    """Exclude patterns: one without a slash matches any path component's name (``build`` skips every
    ``build/``); one with a slash matches the path relative to the walked directory (``vendor/**``)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        trimmed = [p.rstrip("/") for p in patterns]
        self.names = [p for p in trimmed if "/" not in p]
        self.paths = [_glob_regex(p.lstrip("/"), anchored=True) for p in trimmed if "/" in p]

    def match(self, rel: str, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in self.names) or any(r.match(rel) for r in self.paths)


def _glob_regex(pattern: str, anchored: bool) -> re.Pattern[str]:
    """A gitignore-style glob as a regex over a '/'-separated relative path: ``*`` and ``?`` stay within one
    component, ``**`` crosses components; unanchored patterns may match at any depth."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            j = pattern.index("]", i + 2)
            body = pattern[i + 1:j]
            out.append("[" + ("^" + body[1:] if body[:1] == "!" else body).replace("\\", "\\\\") + "]")
            i = j + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + "".join(out) + "(?:/.*)?$", re.DOTALL)


@dataclass(frozen=True)
class _Rule:
    base: Path  # the directory of the .gitignore file
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


class GitIgnore:
    """The common subset of gitignore: globs, ``!`` negation, trailing ``/`` (directories only), anchoring
    (a pattern with a slash is relative to its .gitignore's folder), ``**``, comments and escapes.

    The last matching rule wins, as in git; a folder git ignores is never entered, so a negation cannot
    bring back a file inside it (git behaves the same).
    """

    def __init__(self) -> None:
        self.rules: list[_Rule] = []
        self.loaded: set[Path] = set()

    @classmethod
    def for_directory(cls, top: Path) -> GitIgnore:
        """Rules from the .gitignore files between the repository root (the folder holding ``.git``) and
        ``top``; outside a repository, the .gitignore files from ``top`` down."""
        ig = cls()
        top = top.absolute()
        root = next((d for d in (top, *top.parents) if (d / ".git").exists()), None)
        chain = [top] if root is None else [top, *top.parents[:max(0, len(top.parents) - len(root.parents) - 1)]]
        if root is not None and root != top:
            chain.append(root)
        for d in reversed(chain):
            ig.load(d)
        if root is not None and (root / ".git" / "info" / "exclude").is_file():
            ig._read(root / ".git" / "info" / "exclude", root)
        return ig

    def load(self, directory: Path) -> None:
        directory = directory.absolute()
        if directory not in self.loaded:
            self.loaded.add(directory)
            path = directory / ".gitignore"
            if path.is_file():
                self._read(path, directory)

    def _read(self, path: Path, base: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            line = line.rstrip()  # trailing spaces are not part of the pattern (unless escaped: rare)
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            self.rules.append(_Rule(base, _glob_regex(line.lstrip("/"), anchored), negate, dir_only))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        path = path.absolute()
        verdict = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            try:
                rel = path.relative_to(rule.base).as_posix()
            except ValueError:
                continue
            if rule.regex.fullmatch(rel):
                verdict = not rule.negate
        return verdict


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is when it is not a regular file (a FIFO, device or socket), else None.

    Reading a FIFO blocks until a writer appears, and a device may never end: only regular files are read.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
