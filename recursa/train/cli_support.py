"""Small helpers shared by the ``train`` and ``eval`` commands."""

from __future__ import annotations

import json
from typing import Any

import click

from recursa.errors import RecursaError


class InputError(click.ClickException, RecursaError):
    """Bad input (file, option, model directory): a one-line message and exit code 2, no traceback."""

    exit_code = 2


def resolve_device(name: str, local_rank: int = 0) -> Any:
    """``auto`` (CUDA when there is a GPU, else CPU), ``cpu``, ``cuda`` (this process's GPU under torchrun) or
    ``cuda:N``; ``ValueError`` when CUDA is asked for without a GPU, or for an unknown name."""
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but no CUDA GPU is available")
    if name == "cuda":
        return torch.device("cuda", local_rank)
    try:
        return torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}") from None


def parse_set_options(settings: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``("max_iter=100", "backward=phantom")`` -> ``{"max_iter": 100, "backward": "phantom"}``."""
    out: dict[str, Any] = {}
    for item in settings:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = value
    return out
