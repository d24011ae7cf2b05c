"""Settings from ``recursa.toml`` or ``[tool.recursa]`` in ``pyproject.toml``, merged with command-line flags.

The configuration file is the nearest one found by walking up from the first input path (or the current
directory): in each directory ``recursa.toml`` wins over ``pyproject.toml``, and a ``pyproject.toml`` counts
only when it has a ``[tool.recursa]`` table (as ruff does). Keys use dashes or underscores::

    [tool.recursa]
    timeout = 5.0
    int-semantics = "machine"
    extend-exclude = ["vendor/**"]
    format = "sarif"
    synth-format = "table"

A flag given on the command line overrides the file; :meth:`Settings.source` says where each value came from
(``recursa config`` prints it). Unknown keys and values of the wrong type are errors naming the file and key.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recursa.errors import RecursaError
from recursa.report import FORMATS
from recursa.trees.files import DEFAULT_EXCLUDE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport (a dependency there)
    import tomli as tomllib

CONFIG_NAMES = ("recursa.toml", "pyproject.toml")
SYNTH_FORMATS = ("sygus", "table", "json")  # synth prints answers, not verdicts: its own key, not ``format``


class ConfigError(RecursaError):
    """A configuration file that cannot be read, or a key in it that is unknown or has a bad value."""


@dataclass(frozen=True)
class _Key:
    name: str  # the attribute of Settings
    kind: type | tuple[type, ...]
    help: str
    choices: tuple[str, ...] = ()
    positive: bool = False


_KEYS: tuple[_Key, ...] = (
    _Key("timeout", (int, float), "seconds per function (verify, analyze) or problem (synth)", positive=True),
    _Key("int_semantics", str, "integers: math (unbounded) or machine (32-bit, wrap-around)", ("math", "machine")),
    _Key("exclude", list, "glob patterns of paths never collected (replaces the defaults)"),
    _Key("extend_exclude", list, "glob patterns excluded in addition to `exclude`"),
    _Key("respect_gitignore", bool, "skip files ignored by .gitignore"),
    _Key("format", str, "output format of verify and analyze", FORMATS),
    _Key("synth_format", str, "output format of synth", SYNTH_FORMATS),
    _Key("ranker", str, "candidate ranking: default, unguided, or a model directory"),
    _Key("grammar", str, "invariant grammar (grammars/invariants)"),
    _Key("jobs", int, "parallel verification processes (default: number of cores)", positive=True),
)
KEYS: dict[str, _Key] = {k.name: k for k in _KEYS}


@dataclass
class Settings:
    """The merged settings of one run and where each came from ("default", a file path, or "command line")."""

    timeout: float = 10.0
    int_semantics: str = "math"
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    format: str = "table"
    synth_format: str = "sygus"
    ranker: str = "default"
    grammar: str = "linear"
    jobs: int | None = None
    file: Path | None = None  # the configuration file read, if any
    sources: dict[str, str] = field(default_factory=dict)

    def source(self, key: str) -> str:
        return self.sources.get(key, "default")

    def rows(self) -> list[tuple[str, Any, str]]:
        """(key as written in TOML, value, where it came from) for every setting."""
        return [(k.name.replace("_", "-"), getattr(self, k.name), self.source(k.name)) for k in _KEYS]

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.file) if self.file else None,
                "settings": {key: {"value": value, "source": src} for key, value, src in self.rows()}}

    @property
    def excludes(self) -> list[str]:
        return [*self.exclude, *self.extend_exclude]


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest configuration file at or above ``start`` (a file's directory; default the cwd)."""
    here = Path(start) if start is not None else Path.cwd()
    here = here.absolute()
    if not here.is_dir():
        here = here.parent
    for d in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = d / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        return "recursa" in _read_toml(path).get("tool", {})
    except ConfigError:
        return False  # a broken pyproject.toml without our table is not ours to report


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def read_table(path: Path) -> dict[str, Any]:
    """The recursa settings in ``path`` (the whole file for recursa.toml, ``[tool.recursa]`` for pyproject)."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("recursa", {})
        where = "[tool.recursa]"
    else:
        table, where = data, ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where or 'the file'} must be a table")
    return dict(_check(path, where, key, value) for key, value in table.items())


def _check(path: Path, where: str, key: str, value: Any) -> tuple[str, Any]:
    name = key.replace("-", "_")
    spec = KEYS.get(name)
    prefix = f"{path}: {where + ' ' if where else ''}key {key!r}"
    if spec is None:
        known = ", ".join(k.name.replace("_", "-") for k in _KEYS)
        raise ConfigError(f"{prefix}: unknown key (known: {known})")
    if isinstance(value, bool) and spec.kind is not bool or not isinstance(value, spec.kind):
        kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
        raise ConfigError(f"{prefix}: expected {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
    if spec.kind is list and not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{prefix}: expected a list of strings, got {value!r}")
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"{prefix}: {value!r} is not one of {', '.join(spec.choices)}")
    if spec.positive and value <= 0:
        raise ConfigError(f"{prefix}: must be positive, got {value!r}")
    return name, value


def load_settings(start: str | os.PathLike[str] | None = None, overrides: Mapping[str, Any] | None = None,
                  config: str | os.PathLike[str] | None = None) -> Settings:
    """Defaults, then the nearest configuration file (or ``config``), then ``overrides`` (flags; None = not given).

    Raises :class:`ConfigError` for a bad file, key or value.
    """
    settings = Settings()
    path = Path(config) if config is not None else find_config(start)
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: no such configuration file")
        settings.file = path
        for name, value in read_table(path).items():
            setattr(settings, name, float(value) if name == "timeout" else value)
            settings.sources[name] = str(path)
    for name, value in (overrides or {}).items():
        if value is None or name not in KEYS:
            continue
        setattr(settings, name, value)
        settings.sources[name] = "command line"
    return settings


def first_path(paths: tuple[str, ...] | list[str]) -> str | None:
    """Where the configuration search starts: the first input path that is not stdin or a ``::`` selector."""
    for p in paths:
        if p != "-":
            return p.split("::", 1)[0]
    return None

