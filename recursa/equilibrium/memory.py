"""Measuring training memory the same way on every device.

:class:`SavedTensorMeter` counts the bytes of the tensors autograd keeps for backward (each storage once, while it
is alive) and records the peak over forward and backward. That is the part of training memory that depends on
how the fixed point was reached: unrolling keeps activations of every iteration, implicit differentiation keeps
one application of ``f``. On CUDA :func:`peak_cuda_bytes` gives the allocator's peak as well.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import torch


class _Saved:
    __slots__ = ("tensor", "key", "meter")

    def __init__(self, tensor: torch.Tensor, key: int, meter: SavedTensorMeter) -> None:
        self.tensor, self.key, self.meter = tensor, key, meter

    def __del__(self) -> None:
        self.meter._release(self.key)


class SavedTensorMeter:
    """Context manager: live and peak bytes of tensors saved for backward inside it."""

    def __init__(self) -> None:
        self.live = 0
        self.peak = 0
        self._refs: dict[int, list[int]] = {}  # storage ptr -> [refcount, bytes]
        self._hooks: Any = None

    def _pack(self, t: torch.Tensor) -> _Saved:
        st = t.untyped_storage()
        key = st.data_ptr()
        ref = self._refs.get(key)
        if ref is None:
            nbytes = st.nbytes()
            self._refs[key] = [1, nbytes]
            self.live += nbytes
            self.peak = max(self.peak, self.live)
        else:
            ref[0] += 1
        return _Saved(t, key, self)

    @staticmethod
    def _unpack(saved: _Saved) -> torch.Tensor:
        return saved.tensor

    def _release(self, key: int) -> None:
        ref = self._refs.get(key)
        if ref is None:
            return
        ref[0] -= 1
        if ref[0] == 0:
            self.live -= ref[1]
            del self._refs[key]

    def __enter__(self) -> SavedTensorMeter:
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._hooks.__exit__(et, ev, tb)


def peak_saved_bytes(step: Callable[[], None]) -> int:
    """Peak bytes of saved tensors while ``step`` runs (it should do forward and backward)."""
    with SavedTensorMeter() as meter:
        step()
    return meter.peak


def peak_cuda_bytes(step: Callable[[], None], device: torch.device) -> int:
    """Peak CUDA allocator bytes above the level before ``step``."""
    torch.cuda.synchronize(device)
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    step()
    torch.cuda.synchronize(device)
    return int(torch.cuda.max_memory_allocated(device) - base)
