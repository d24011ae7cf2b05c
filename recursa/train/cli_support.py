"""Small helpers shared by the ``train`` and ``eval`` commands."""

from __future__ import annotations

import json
from typing import Any

import click


class InputError(click.ClickException):
    """Bad input (file, option, model directory): a one-line message and exit code 2, no traceback."""

    exit_code = 2


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
