"""A real editor: headless Neovim's built-in LSP client against ``recursa serve``.

Skipped when ``nvim`` is not installed, except in CI (``CI`` set), where a missing editor is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "lsp"


def _nvim() -> str:
    nvim = shutil.which("nvim")
    if nvim is None:
        if os.environ.get("CI"):
            pytest.fail("nvim is not installed, and CI is set: install Debian's neovim (see .ci/run)")
        pytest.skip("nvim is not installed (apt-get install neovim)")
    return nvim


def test_neovim_receives_the_verdicts_as_diagnostics(tmp_path: Path):
    nvim = _nvim()
    target = tmp_path / "sample.c"
    shutil.copy(DATA / "sample.c", target)
    out = tmp_path / "diagnostics.json"
    env = {**os.environ, "RECURSA_CMD": json.dumps([sys.executable, "-m", "recursa.cli", "serve"]),
           "RECURSA_FILE": str(target), "RECURSA_OUT": str(out)}
    proc = subprocess.run([nvim, "--headless", "-u", "NONE", "-c", f"luafile {DATA / 'nvim_client.lua'}"],
                          env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.is_file(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr.decode()[-2000:]}"
    result = json.loads(out.read_text())
    assert result.get("ok"), result
    diags = {(d["lnum"], d["severity"]): d for d in result["diagnostics"]}
    # vim.diagnostic.severity: ERROR = 1, WARN = 2, INFO = 3; lnum is 0-based
    violated = diags[(18, 1)]
    assert violated["message"].startswith("assertion violated: i == n") and violated["source"] == "recursa"
    assert violated["col"] == 2
    unsupported = diags[(22, 3)]
    assert "unsupported pointer" in unsupported["message"]
    assert not [d for d in result["diagnostics"] if d["lnum"] == 8]  # the proved assertion: no diagnostic
