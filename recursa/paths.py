"""Where recursa's data folders live.

The top-level ``grammars/`` and ``tasks/`` folders sit beside the package in a source checkout (the
README installs with ``pip install -e .``). ``RECURSA_HOME`` points elsewhere when needed.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = Path(os.environ.get("RECURSA_HOME", PACKAGE_DIR.parent))
GRAMMARS_DIR = REPO_ROOT / "grammars"
TASKS_DIR = REPO_ROOT / "tasks"
EXAMPLES_DIR = REPO_ROOT / "examples"
DEFAULT_MODEL_DIR = PACKAGE_DIR / "models" / "default"
