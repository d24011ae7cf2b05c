"""Deadlines that hold: one monotonic point in time, threaded through everything that can run long.

A :class:`Deadline` is checked cooperatively (the interpreter every few hundred steps, the refinement
loop before each solver call, bounded model checking before each depth) and handed to Z3 as its own
per-check timeout (:meth:`Deadline.z3_timeout_ms`). Two last lines of defence catch what cooperation
misses: :meth:`Deadline.alarm` raises :class:`DeadlineExceeded` in the main thread through ``SIGALRM`` when
work overruns (a single huge computation that never reaches a check). There is deliberately no thread that
calls ``z3.Context.interrupt``: an interrupt that lands inside ``push`` or ``assert`` (rather than a check)
leaves the context cancelled for good, so every later solver call in the process would fail.

The clock is :func:`time.perf_counter` (monotonic), so ``Deadline.at`` can be compared with the float
deadlines older interfaces take.

>>> d = Deadline.after(60.0)
>>> d.expired(), 0 < d.remaining() <= 60.0
(False, True)
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: How far past its deadline a watchdog lets work run before it intervenes: a tenth of the budget, at
#: most half a second, at least 50 ms (the promise is "never more than 10% or 0.5 s late").
MIN_GRACE_S, MAX_GRACE_S = 0.05, 0.5


class DeadlineExceeded(Exception):
    """Raised by :meth:`Deadline.check` (and the alarm) once the deadline has passed."""

    def __init__(self, what: str = "") -> None:
        super().__init__(f"deadline exceeded{f' ({what})' if what else ''}")
        self.what = what


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock (``time.perf_counter``); ``math.inf`` means never."""

    at: float
    budget_s: float = math.inf

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.perf_counter() + seconds, seconds)

    @classmethod
    def never(cls) -> Deadline:
        return cls(math.inf)

    @classmethod
    def of(cls, value: Deadline | float | None) -> Deadline:
        """A deadline from what older interfaces pass: a Deadline, a perf_counter time, or None (never)."""
        if isinstance(value, Deadline):
            return value
        return cls.never() if value is None else cls(float(value))

    def remaining(self) -> float:
        """Seconds left (negative once expired; ``inf`` for a deadline that never comes)."""
        return self.at - time.perf_counter()

    def expired(self) -> bool:
        return time.perf_counter() >= self.at

    def check(self, what: str = "") -> None:
        """Raise :class:`DeadlineExceeded` if the deadline has passed."""
        if time.perf_counter() >= self.at:
            raise DeadlineExceeded(what)

    def z3_timeout_ms(self, cap_ms: int | None = None) -> int:
        """Z3's per-check ``timeout`` for a check that must end by this deadline (at least 1 ms)."""
        left = self.remaining()
        ms = cap_ms if left == math.inf else int(left * 1000)
        if ms is None:
            return 4_294_967_295  # Z3's "no timeout"
        if cap_ms is not None:
            ms = min(ms, cap_ms)
        return max(1, ms)

    def within(self, seconds: float) -> Deadline:
        """The earlier of this deadline and ``seconds`` from now."""
        return Deadline(min(self.at, time.perf_counter() + seconds), self.budget_s)

    @property
    def grace_s(self) -> float:
        budget = self.budget_s if self.budget_s != math.inf else MAX_GRACE_S * 10
        return min(MAX_GRACE_S, max(MIN_GRACE_S, 0.1 * budget))

    @contextlib.contextmanager
    def alarm(self) -> Iterator[None]:
        """Raise :class:`DeadlineExceeded` in the main thread half the grace after the deadline (SIGALRM).

        Only where it is safe: in the main thread of a process with ``signal.setitimer`` and no other
        itimer running; elsewhere it does nothing and cooperative checks must suffice. An exception raised
        inside a ctypes callback (Z3's error handler), a ``__del__`` or a garbage-collector callback would be
        printed as "Exception ignored" and lost, so the alarm raises only while recursa's own code runs;
        elsewhere it re-arms itself a few milliseconds later (after a second of that it raises anywhere but in
        a native binding or a finaliser).
        """
        usable = (self.at != math.inf and hasattr(signal, "setitimer")
                  and threading.current_thread() is threading.main_thread())
        if usable:
            previous_timer = signal.getitimer(signal.ITIMER_REAL)
            usable = previous_timer == (0.0, 0.0)
        if not usable:
            yield
            return

        retries = [0]

        def on_alarm(signum: int, frame: Any) -> None:
            retries[0] += 1
            if frame is not None and (_unsafe(frame) or (retries[0] < 200 and not _ours(frame))):
                signal.setitimer(signal.ITIMER_REAL, 0.005)
                return
            raise DeadlineExceeded("watchdog")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(0.001, self.remaining() + self.grace_s / 2))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            # None: the previous handler was installed outside Python; the default is the closest we can restore
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


_FOREIGN = ("/z3/", "\\z3\\", "/ctypes/", "\\ctypes\\")
_OURS = str(Path(__file__).resolve().parent)


def _unsafe(frame: Any) -> bool:
    """True when ``frame`` (or a near caller) is a finaliser or the Python side of a native binding: an
    exception raised there is swallowed (and printed) instead of reaching the caller."""
    depth = 0
    while frame is not None and depth < 3:
        code = frame.f_code
        if code.co_name in ("__del__", "__exit__", "gc_callback") or any(p in code.co_filename for p in _FOREIGN):
            return True
        frame = frame.f_back
        depth += 1
    return False


def _ours(frame: Any) -> bool:
    return frame.f_code.co_filename.startswith(_OURS) and frame.f_code.co_filename != __file__
