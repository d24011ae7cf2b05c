"""Server settings, read from ``initializationOptions`` and ``workspace/didChangeConfiguration``.

Both accept either the settings object itself or one nested under a ``"recursa"`` key (what most clients send
for a section). Unknown keys and bad values are reported back, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

# LSP name -> dataclass field
_KEYS = {"timeout": "timeout_s", "intSemantics": "int_semantics", "ranker": "ranker", "debounceMs": "debounce_ms",
         "maxFileBytes": "max_file_bytes", "reasoner": "reasoner"}


@dataclass(frozen=True)
class Settings:
    """What the server verifies with.

    ``timeout_s``: seconds per function (a timeout gives *unknown*). ``int_semantics``: ``math`` (unbounded
    integers) or ``machine`` (32-bit wrap-around). ``ranker``: ``default`` (the shipped model), ``unguided`` or a
    model directory. ``debounce_ms``: quiet time after an edit before verification starts. ``max_file_bytes``:
    larger buffers are not verified (an information diagnostic says so). ``reasoner``: run the equilibrium
    reasoner for hover figures.
    """

    timeout_s: float = 5.0
    int_semantics: str = "math"
    ranker: str = "default"
    debounce_ms: int = 150
    max_file_bytes: int = 2_000_000
    reasoner: bool = True

    def verify_key(self) -> str:
        """The part of the settings a verdict depends on (part of every cache key)."""
        return f"{self.timeout_s:g}|{self.int_semantics}|{self.ranker}"

    def to_json(self) -> dict[str, Any]:
        return {lsp: getattr(self, attr) for lsp, attr in _KEYS.items()}


def merge(base: Settings, raw: Any) -> tuple[Settings, list[str]]:
    """``base`` updated with the client's ``raw`` object; returns the settings and one message per problem."""
    if raw is None:
        return base, []
    if not isinstance(raw, dict):
        return base, [f"settings must be an object, got {type(raw).__name__}"]
    if isinstance(raw.get("recursa"), dict):
        raw = raw["recursa"]
    problems: list[str] = []
    changes: dict[str, Any] = {}
    types = {f.name: f.type for f in fields(Settings)}
    for key, value in raw.items():
        attr = _KEYS.get(key)
        if attr is None:
            problems.append(f"unknown setting {key!r} (known: {', '.join(sorted(_KEYS))})")
            continue
        want = types[attr]
        try:
            if want == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ValueError("a positive number")
                value = float(value)
            elif want == "int":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError("a non-negative integer")
            elif want == "bool":
                if not isinstance(value, bool):
                    raise ValueError("true or false")
            elif not isinstance(value, str) or not value:
                raise ValueError("a non-empty string")
            if attr == "int_semantics" and value not in ("math", "machine"):
                raise ValueError("'math' or 'machine'")
        except ValueError as exc:
            problems.append(f"setting {key!r}: expected {exc}, got {value!r}")
            continue
        changes[attr] = value
    return replace(base, **changes), problems
