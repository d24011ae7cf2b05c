"""Build script for recursa's optional C extension, ``recursa.trees._fastflatten``.

The extension is compiled together with the tree-sitter C runtime, taken from the source distribution of
the ``tree-sitter`` Python package on PyPI (nothing of it is kept in this repository). Where the source
cannot be had (offline, no compiler), recursa installs without the extension and flattens trees in Python.

Set ``RECURSA_TREE_SITTER_SRC`` to a directory holding the runtime's ``lib/`` to skip the download.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from setuptools import Extension, setup

TREE_SITTER_VERSION = "0.26.1"
HERE = Path(__file__).resolve().parent
CACHE = HERE / "build" / f"tree-sitter-{TREE_SITTER_VERSION}"


def _runtime_source() -> Path | None:
    env = os.environ.get("RECURSA_TREE_SITTER_SRC")
    if env:
        return Path(env)
    if (CACHE / "lib" / "src" / "lib.c").exists():
        return CACHE
    if os.environ.get("RECURSA_NO_EXTENSION"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-I", "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
               f"tree-sitter=={TREE_SITTER_VERSION}", "-d", tmp]
        try:
            subprocess.run(cmd, check=True, timeout=300, capture_output=True)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"recursa: tree-sitter source not available ({exc}); building without the C extension")
            return None
        archives = list(Path(tmp).glob("tree_sitter-*.tar.gz"))
        if not archives:
            return None
        prefix = f"tree_sitter-{TREE_SITTER_VERSION}/tree_sitter/core/lib/"
        with tarfile.open(archives[0]) as tar:
            for member in tar.getmembers():
                if member.name.startswith(prefix) and member.isfile():
                    rel = member.name[len(prefix):]
                    target = CACHE / "lib" / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as fh:  # type: ignore[union-attr]
                        target.write_bytes(fh.read())
    return CACHE if (CACHE / "lib" / "src" / "lib.c").exists() else None


def _extensions() -> list[Extension]:
    src = _runtime_source()
    if src is None:
        return []
    lib = src / "lib"
    return [
        Extension(
            "recursa.trees._fastflatten",
            sources=["recursa/trees/_ext/fastflatten.c", str(lib / "src" / "lib.c")],
            include_dirs=[str(lib / "include"), str(lib / "src"), str(lib / "src" / "wasm")],
            define_macros=[("_POSIX_C_SOURCE", "200112L"), ("_DEFAULT_SOURCE", None)],
            extra_compile_args=["-O3", "-std=c11", "-fvisibility=hidden"],
            optional=True,
        )
    ]


setup(ext_modules=_extensions())
