"""Where recursa's run-time data lives: tree-sitter queries and candidate grammars, task suites, shipped models.

People edit the top-level ``grammars/`` and ``tasks/`` folders of the source checkout; there is no second copy
in the repository. Building a wheel copies them into the package as ``recursa/_data/grammars`` and
``recursa/_data/tasks`` (``setup.py``), so an installed recursa works from any directory. Resolution:

1. ``RECURSA_HOME`` set: its ``grammars/``, ``tasks/`` and ``examples/`` (a checkout or any folder laid out so);
2. the copy inside an installed package (``importlib.resources``), when present;
3. the checkout beside the package (editable installs and the tests).

The shipped models always come from the package itself (``recursa/models``).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def _package_dir() -> Path:
    # recursa is always installed as plain files (wheel or editable), never zipped: a Traversable that is not
    # a Path would mean an unsupported install, and failing here names the reason instead of a later odd error
    root = files("recursa")
    if not isinstance(root, Path):
        raise RuntimeError(f"recursa must be installed as files on disk, not imported from {root!r}")
    return root.resolve()


PACKAGE_DIR = _package_dir()
PACKAGED_DATA_DIR = PACKAGE_DIR / "_data"
CHECKOUT_DIR = PACKAGE_DIR.parent


def _data_root() -> Path:
    home = os.environ.get("RECURSA_HOME")
    if home:
        return Path(home)
    if (PACKAGED_DATA_DIR / "grammars").is_dir():
        return PACKAGED_DATA_DIR
    return CHECKOUT_DIR


#: The folder holding ``grammars/`` and ``tasks/`` (``examples/`` too in a checkout).
REPO_ROOT = _data_root()
GRAMMARS_DIR = REPO_ROOT / "grammars"
TASKS_DIR = REPO_ROOT / "tasks"
#: Only in a source checkout (or under ``RECURSA_HOME``): the examples are not shipped in the wheel.
EXAMPLES_DIR = (CHECKOUT_DIR if REPO_ROOT == PACKAGED_DATA_DIR else REPO_ROOT) / "examples"
MODELS_DIR = PACKAGE_DIR / "models"
#: The shipped reasoner of each task family (``recursa eval`` picks the one that fits the data); ListOps'
#: is the default model.
DEFAULT_MODEL_DIR = MODELS_DIR / "default"
ARITH_MODEL_DIR = MODELS_DIR / "arith"
LOGIC_MODEL_DIR = MODELS_DIR / "logic"
TASK_MODEL_DIRS: dict[str, Path] = {"listops": DEFAULT_MODEL_DIR, "arith": ARITH_MODEL_DIR, "logic": LOGIC_MODEL_DIR}
INVARIANT_MODEL_DIR = MODELS_DIR / "invariants"
SYNTH_MODEL_DIR = MODELS_DIR / "synth"
