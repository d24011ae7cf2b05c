"""Collecting source files from the paths a user gives on the command line."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from recursa.trees.languages import Language, get_language, language_for_path, languages


@dataclass(frozen=True)
class SourceFile:
    """A file to process and the language it is read as."""

    path: Path
    language: Language


@dataclass(frozen=True)
class PathProblem:
    """A path the user gave that yields no file to process (missing, unknown extension, ...)."""

    path: str
    message: str


def collect(paths: Iterable[str | os.PathLike[str]], language: str | None = None
            ) -> Iterator[SourceFile | PathProblem]:
    """Files under ``paths`` in a stable order; directories are searched recursively by extension.

    With ``language`` every explicitly named file is read as that language, and directories yield the
    files with that language's extensions. Hidden directories (``.git``, ...) are skipped.
    """
    forced = get_language(language) if language else None
    exts = {e for lang in ([forced] if forced else languages()) for e in lang.extensions}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = False
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    f = Path(root) / name
                    if f.suffix.lower() in exts:
                        lang = forced or language_for_path(f)
                        if lang is not None:
                            found = True
                            kind = special_kind(f)
                            yield SourceFile(f, lang) if kind is None else PathProblem(
                                str(f), f"not a regular file ({kind}); skipped")
            if not found:
                yield PathProblem(str(raw), "no source files found in directory")
        elif p.exists():
            kind = special_kind(p)
            if kind is not None:
                yield PathProblem(str(raw), f"not a regular file ({kind}); skipped")
                continue
            lang = forced or language_for_path(p)
            if lang is None:
                known = ", ".join(sorted(exts))
                yield PathProblem(str(raw), f"unknown file type (known extensions: {known}; or pass --language)")
            else:
                yield SourceFile(p, lang)
        else:
            yield PathProblem(str(raw), "no such file or directory")


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
