"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from recursa.refine.neural import single_thread


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny tensors: one intra-op thread avoids OpenMP spin-waits on a shared 2-core machine."""
    with single_thread():
        yield
