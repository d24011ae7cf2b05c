"""Training logs: one JSON object per logged step in ``log.jsonl``, mirrored to TensorBoard when installed."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

_TB_NOTICE_SHOWN: list[bool] = []


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


class MetricLogger:
    """Appends metrics to ``RUN/log.jsonl``; writes TensorBoard scalars under ``RUN/tensorboard``."""

    def __init__(self, run_dir: str | Path, enabled: bool = True, tensorboard: bool = True) -> None:
        self.enabled = enabled
        self.path = Path(run_dir) / "log.jsonl"
        self._fh = open(self.path, "a", encoding="utf-8") if enabled else None
        if self._fh is not None and _ends_mid_line(self.path):
            self._fh.write("\n")  # a line cut short by a kill stays alone: the first new entry is not glued to it
        self._tb: Any = None
        if enabled and tensorboard:
            if tensorboard_available():
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(Path(run_dir) / "tensorboard"))
            elif not _TB_NOTICE_SHOWN:
                _TB_NOTICE_SHOWN.append(True)
                print("note: the tensorboard package is not installed; logging to log.jsonl only",
                      file=sys.stderr)

    def log(self, step: int, metrics: dict[str, Any]) -> None:
        if not self.enabled or self._fh is None:
            return
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in metrics.items()}
        self._fh.write(json.dumps({"step": step, **clean}) + "\n")
        self._fh.flush()
        if self._tb is not None:
            for k, v in metrics.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None:
                    self._tb.add_scalar(k.replace(".", "/"), v, step)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._tb is not None:
            self._tb.close()
            self._tb = None


def _ends_mid_line(path: Path) -> bool:
    with open(path, "rb") as fh:
        if fh.seek(0, 2) == 0:
            return False
        fh.seek(-1, 2)
        return fh.read(1) != b"\n"


def read_log(run_dir: str | Path) -> list[dict[str, Any]]:
    """All entries of a run's ``log.jsonl``."""
    path = Path(run_dir) / "log.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a kill
                continue
    return out
