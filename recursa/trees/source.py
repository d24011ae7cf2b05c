"""Reading source files as UTF-8 bytes for tree-sitter, with clear errors for what cannot be read."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path


class SourceError(Exception):
    """A file that cannot be read as source text (missing, a directory, binary, undecodable)."""

    def __init__(self, path: str | Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message


def decode_source(data: bytes, path: str | Path = "<input>", python: bool = False) -> bytes:
    """Return ``data`` as UTF-8 bytes, honouring a PEP 263 coding cookie for Python files.

    Raises :class:`SourceError` for binary data (NUL bytes) or text that is not valid in its encoding.
    """
    if b"\x00" in data[:8192]:
        raise SourceError(path, "binary file (contains NUL bytes)")
    encoding = "utf-8"
    if python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            if b"coding" not in b"\n".join(data.splitlines()[:2]):
                # no declaration: tokenize rejects the bytes because they are not UTF-8
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as ude:
                    raise SourceError(path, f"not valid utf-8 text ({ude})") from None
            raise SourceError(path, f"bad encoding declaration: {exc}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(path, f"not valid {encoding} text ({exc})") from None
    if encoding in ("utf-8", "utf-8-sig"):
        return data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return text.encode("utf-8")


def read_source(path: str | Path, python: bool | None = None) -> bytes:
    """Read a source file and return UTF-8 bytes ready for tree-sitter."""
    from recursa.trees.files import special_kind

    p = Path(path)
    kind = special_kind(p)
    if kind is not None:
        raise SourceError(path, f"not a regular file ({kind})")
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise SourceError(path, "is a directory") from None
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read ({exc.strerror or exc})") from None
    if python is None:
        python = p.suffix.lower() in (".py", ".pyi")
    return decode_source(data, path, python=python)
