"""Verdicts per function, keyed by a content hash, so an edit re-verifies only the functions it touched.

The key covers the function's own text and start column, the top-level code outside every function (C
``#define``s and globals, Python module constants change what a function means; comments do not), the language and the
settings a verdict depends on. Line numbers are stored relative to the function's first line: a function
that only moved keeps its verdicts, shifted.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any


def content_key(language: str, settings_key: str, context: bytes, function_text: bytes, column: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in (language.encode(), settings_key.encode(), str(column).encode(), context, function_text):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


@dataclass(frozen=True)
class CachedVerdicts:
    """The verification results of one function, computed when it started at ``base_line``."""

    function: str
    base_line: int
    results: tuple[Any, ...]  # recursa.refine.verify.AssertionResult
    time_s: float = 0.0


@dataclass
class VerdictCache:
    """A bounded LRU map from content keys to :class:`CachedVerdicts` (thread-safe)."""

    capacity: int = 4096
    _data: OrderedDict[str, CachedVerdicts] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    hits: int = 0
    misses: int = 0

    def get(self, key: str) -> CachedVerdicts | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: str, value: CachedVerdicts) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
