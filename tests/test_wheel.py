"""A regular (non-editable) install works outside the checkout.

The wheel is built from a copy of the checkout, installed into a fresh virtual environment, and the CLI is run
from a temporary directory: every query, grammar, task suite and model it reads must come from the installed
package. The heavy dependencies (torch, z3, transformers, ...) are borrowed from the current environment through
a ``.pth`` line instead of being reinstalled; a path line in a ``.pth`` file does not run that folder's own
``.pth`` files, so the editable install of recursa living there cannot shadow the wheel. The C extension is
skipped (``RECURSA_NO_EXTENSION=1``) to keep the build quick; the pure-Python walk gives identical trees.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SOURCE_ITEMS = ("setup.py", "pyproject.toml", "README.md", "MANIFEST.in", "recursa", "grammars", "tasks")
DATA_FOLDERS = ("grammars", "tasks")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.so", "_data", "*.egg-info")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _setuptools_major() -> int:
    try:
        return int(metadata.version("setuptools").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return 0


def _data_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(REPO).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("wheel")
    src, dist, venv = root / "src", root / "dist", root / "venv"
    src.mkdir()
    # a copy, so the build writes its build/ and egg-info there and not into the shared checkout
    for name in SOURCE_ITEMS:
        item = REPO / name
        if item.is_dir():
            shutil.copytree(item, src / name, ignore=SKIP)
        elif item.is_file():
            shutil.copy2(item, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("RECURSA_HOME", "PYTHONPATH", "VIRTUAL_ENV")}
    build_env = {**env, "RECURSA_NO_EXTENSION": "1"}
    build_env.pop("RECURSA_TREE_SITTER_SRC", None)
    # build with this environment's setuptools when it is new enough (fast, offline); else let pip fetch it
    isolation = ["--no-build-isolation", "--no-index"] if _setuptools_major() >= 77 else []
    res = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "--disable-pip-version-check",
                "-w", str(dist), str(src)], root, build_env)
    assert res.returncode == 0, res.stdout + res.stderr
    (wheel,) = dist.glob("recursa-*.whl")

    res = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root, env)
    assert res.returncode == 0, res.stderr
    py = venv / "bin" / "python"
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root, env)
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib.stdout.strip()) / "_borrowed_deps.pth").write_text("\n".join(deps) + "\n")
    # --ignore-installed: pip must not touch the editable recursa it sees through the borrowed folder
    res = _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
                "--disable-pip-version-check", "--no-compile", str(wheel)], root, env)
    assert res.returncode == 0, res.stdout + res.stderr

    work = root / "work"
    (work / "ex").mkdir(parents=True)
    for name in ("counter.c", "off_by_one.c"):
        shutil.copy2(REPO / "examples" / name, work / "ex" / name)
    shutil.copy2(REPO / "tasks" / "listops" / "sample.tsv", work / "listops.tsv")
    run_env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    return {"wheel": wheel, "venv": venv, "python": py, "recursa": venv / "bin" / "recursa", "work": work,
            "env": run_env}


def test_wheel_carries_every_data_file(installed: dict[str, object]) -> None:
    with zipfile.ZipFile(installed["wheel"]) as zf:  # type: ignore[arg-type]
        names = set(zf.namelist())
    expected = [f for folder in DATA_FOLDERS for f in _data_files(REPO / folder)]
    assert expected
    missing = [f for f in expected if f"recursa/_data/{f}" not in names]
    assert not missing, f"not in the wheel: {missing[:10]}"
    assert "recursa/models/default/model.safetensors" in names
    assert "recursa/models/invariants/config.json" in names
    assert "recursa/models/synth/values.json" in names  # the value scorer beside the synthesis guide


def test_installed_package_is_the_wheel_and_reads_its_own_data(installed: dict[str, object]) -> None:
    venv = Path(installed["venv"]).resolve()  # type: ignore[arg-type]
    code = ("import json, recursa, recursa.paths as p; from recursa.refine.suite import load_manifest; "
            "print(json.dumps({'file': recursa.__file__, 'grammars': str(p.GRAMMARS_DIR), 'tasks': str(p.TASKS_DIR),"
            " 'model': str(p.DEFAULT_MODEL_DIR), 'suite': len(load_manifest())}))")
    res = _run([str(installed["python"]), "-c", code], installed["work"], installed["env"])  # type: ignore[arg-type]
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    for key in ("file", "grammars", "tasks", "model"):
        assert Path(info[key]).resolve().is_relative_to(venv), (key, info[key])
    assert info["suite"] > 0

    # RECURSA_HOME still wins over the packaged copy (a checkout whose grammars someone is editing)
    env = {**installed["env"], "RECURSA_HOME": str(REPO)}  # type: ignore[dict-item]
    res = _run([str(installed["python"]), "-c", code], installed["work"], env)  # type: ignore[arg-type]
    assert res.returncode == 0, res.stderr
    assert Path(json.loads(res.stdout)["grammars"]) == REPO / "grammars"


def test_cli_runs_from_another_directory(installed: dict[str, object]) -> None:
    recursa, work, env = str(installed["recursa"]), installed["work"], installed["env"]

    res = _run([recursa, "parse", "ex/counter.c", "--json"], work, env)  # type: ignore[arg-type]
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[0])["functions"]

    res = _run([recursa, "verify", "ex", "--format", "json", "--no-progress"], work, env)  # type: ignore[arg-type]
    assert res.returncode == 1, res.stderr  # off_by_one.c is wrong on purpose
    verdicts = {Path(r["path"]).name: r["verdict"] for r in json.loads(res.stdout)["results"]}
    assert verdicts == {"counter.c": "proved", "off_by_one.c": "violated"}

    res = _run([recursa, "analyze", "ex", "--format", "json", "--no-progress"], work, env)  # type: ignore[arg-type]
    assert res.returncode == 1, res.stderr
    payload = json.loads(res.stdout)
    assert payload["reasoner"] and "default" in payload["reasoner"]
    assert all(f["iterations"] is not None for f in payload["functions"])

    res = _run([recursa, "eval", "listops.tsv", "--json", "--no-progress", "--device", "cpu"],
               work, env)  # type: ignore[arg-type]
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
