"""Checkpoints written atomically: a crash (even ``kill -9``) never leaves a half-written one in use.

Layout of a run directory::

    RUN/train_config.json          the training configuration (written once, atomically)
    RUN/checkpoints/step-000500/   config.json + model.safetensors (from_pretrained format),
                                   training_state.pt (optimizer, schedule, RNG), trainer_state.json
    RUN/latest                     text file naming the newest complete checkpoint
    RUN/log.jsonl                  metrics, one object per logged step

A checkpoint is first written into ``checkpoints/.tmp-step-000500-<pid>/``, its files flushed to disk, then
the directory is renamed into place (atomic on POSIX) and ``latest`` is replaced (temporary file + rename).
An old checkpoint is renamed to a ``.tmp-retired-*`` name before it is deleted. So a ``step-*`` directory is
always complete, and the leftover ``.tmp-*`` directories of a crash are ignored and removed on resume.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

_STEP_DIR = re.compile(r"^step-(\d+)$")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for f in path.iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(path)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, p)
    _fsync_dir(p.parent)


def save_checkpoint(run_dir: str | Path, step: int, write_files: Any, trainer_state: dict[str, Any],
                    keep: int = 2) -> Path:
    """Write a checkpoint atomically; ``write_files(tmp_dir)`` writes the model and training state into it.

    Returns the final directory. Older checkpoints beyond the newest ``keep`` are deleted afterwards.
    """
    run = Path(run_dir)
    ckpts = run / "checkpoints"
    ckpts.mkdir(parents=True, exist_ok=True)
    name = f"step-{step:07d}"
    final = ckpts / name
    tmp = ckpts / f".tmp-{name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    write_files(tmp)
    (tmp / "trainer_state.json").write_text(json.dumps({**trainer_state, "step": step}, indent=1) + "\n",
                                            encoding="utf-8")
    _fsync_tree(tmp)
    replaced = _retire(final) if final.exists() else None  # the same step saved again (the final save)
    os.rename(tmp, final)
    _fsync_dir(ckpts)
    atomic_write_text(run / "latest", f"checkpoints/{name}\n")
    retired = [replaced] if replaced is not None else []
    if keep > 0:
        retired += [_retire(old) for old in list_checkpoints(run)[:-keep]]
    for old in retired:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _retire(checkpoint: Path) -> Path:
    """Rename a checkpoint out of the ``step-*`` names before deleting it: a kill during the deletion then leaves
    a ``.tmp-*`` leftover (removed on resume), never a listed checkpoint with files missing."""
    gone = checkpoint.with_name(f".tmp-retired-{checkpoint.name}-{os.getpid()}")
    os.rename(checkpoint, gone)
    _fsync_dir(checkpoint.parent)
    return gone


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Complete checkpoints of a run, oldest first."""
    ckpts = Path(run_dir) / "checkpoints"
    if not ckpts.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in ckpts.iterdir() if (m := _STEP_DIR.match(p.name)) and p.is_dir()]
    return [p for _, p in sorted(found)]


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The checkpoint ``latest`` names, or the newest complete one if the pointer is missing or stale."""
    run = Path(run_dir)
    pointer = run / "latest"
    if pointer.is_file():
        target = run / pointer.read_text(encoding="utf-8").strip()
        if (target / "trainer_state.json").is_file():
            return target
    complete = [p for p in list_checkpoints(run) if (p / "trainer_state.json").is_file()]
    return complete[-1] if complete else None


def remove_partial_checkpoints(run_dir: str | Path) -> list[Path]:
    """Delete ``.tmp-*`` leftovers of interrupted writes; returns what was removed."""
    ckpts = Path(run_dir) / "checkpoints"
    removed = []
    if ckpts.is_dir():
        for p in ckpts.iterdir():
            if p.name.startswith(".tmp-"):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def resolve_model_dir(path: str | Path) -> Path:
    """A directory holding ``config.json``: ``path`` itself, or the latest checkpoint of a run directory."""
    p = Path(path)
    if (p / "config.json").is_file():
        return p
    if p.is_dir():
        latest = latest_checkpoint(p)
        if latest is not None:
            return latest
    raise FileNotFoundError(f"{p}: neither a saved model (config.json) nor a training run with checkpoints")
