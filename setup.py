"""Build script for recursa's optional C extension, ``recursa.trees._fastflatten``.

The extension is compiled together with the tree-sitter C runtime, taken from the source distribution of
the ``tree-sitter`` Python package on PyPI (nothing of it is kept in this repository). Where the source
cannot be had (offline, no compiler), recursa installs without the extension and flattens trees in Python.

Set ``RECURSA_TREE_SITTER_SRC`` to a directory holding the runtime's ``lib/`` to skip the download, or
``RECURSA_NO_EXTENSION=1`` to build without the extension when no cached runtime source is at hand.

The build also copies the top-level ``grammars/`` and ``tasks/`` folders (the one copy people edit) into the
built package as ``recursa/_data/``, where ``recursa.paths`` finds them in an installed wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

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


DATA_FOLDERS = ("grammars", "tasks")
# editor and tool droppings that must not end up in the wheel
DATA_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "*~")


class BuildPyWithData(build_py):
    """``build_py`` that also copies the data folders into ``<build>/recursa/_data``."""

    def run(self) -> None:
        super().run()
        # an editable install reads the checkout's folders directly (recursa.paths falls back to them)
        if getattr(self, "editable_mode", False):
            return
        for name in DATA_FOLDERS:
            source = HERE / name
            if not source.is_dir():
                raise FileNotFoundError(f"recursa build: the data folder {source} is missing")
            target = Path(self.build_lib) / "recursa" / "_data" / name
            if target.exists():
                shutil.rmtree(target)  # a stale copy would keep files deleted from the checkout
            shutil.copytree(source, target, ignore=DATA_IGNORE)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        data_root = Path(self.build_lib) / "recursa" / "_data"
        if data_root.is_dir():
            outputs += [str(p) for p in sorted(data_root.rglob("*")) if p.is_file()]
        return outputs


setup(ext_modules=_extensions(), cmdclass={"build_py": BuildPyWithData})
