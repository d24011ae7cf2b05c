"""Fuzzing the real CLI: whatever the input, a documented exit code and a message, never a traceback or a hang.

Cases come from ``recursa.commands.bench_fuzz`` with fixed seeds (the long run is ``recursa bench fuzz``);
random bytes also come from hypothesis, derandomised. Time limits here are generous on purpose: they catch
hangs, not slowness on a loaded machine.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recursa.commands.bench_fuzz import FuzzCase, cases, run_case

#: A verify verdict may come this much after its --timeout here (the benchmark holds the strict promise).
LATE_MARGIN_S = 5.0


def _check(case: FuzzCase) -> None:
    r = run_case(case, hang_s=60.0, late_margin_s=LATE_MARGIN_S)
    assert r.ok, r.describe() + "\n" + r.output_tail


@pytest.mark.parametrize(("command", "n", "seed"), [("parse", 150, 11), ("verify", 80, 12), ("eval", 15, 13),
                                                     ("analyze", 15, 14)])
def test_seeded_cases_end_with_documented_exit_codes(command: str, n: int, seed: int) -> None:
    failures = []
    for case in cases(n, seed, weights={command: 1.0}):
        r = run_case(case, hang_s=60.0, late_margin_s=LATE_MARGIN_S)
        if not r.ok:
            failures.append(r.describe() + " | " + r.output_tail[-200:])
    assert not failures, "\n".join(failures[:5])


_BYTES = settings(max_examples=40, derandomize=True, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_BYTES
@given(data=st.binary(max_size=1500), ext=st.sampled_from([".c", ".py"]))
def test_random_bytes_parse(data: bytes, ext: str) -> None:
    _check(FuzzCase("hypothesis", "parse", {f"x{ext}": data}, ("--json",)))


@_BYTES
@given(text=st.text(alphabet="(){}[];:=<>+-*/ \n\t0123456789xyinwhilefordefassert", max_size=400),
       ext=st.sampled_from([".c", ".py"]))
def test_random_token_soup_verify(text: str, ext: str) -> None:
    _check(FuzzCase("hypothesis", "verify", {f"x{ext}": text.encode()},
                    ("--ranker", "unguided", "--timeout", "0.5", "--format", "json", "--no-progress")))


@pytest.mark.parametrize("ext", [".c", ".py"])
def test_ten_thousand_deep_expression(ext: str) -> None:
    inner = "(" * 10_000 + "x" + " + 1)" * 10_000
    src = (f"def f(x):\n    y = {inner}\n    assert y >= x\n" if ext == ".py"
           else f"int f(int x) {{ int y = {inner}; assert(y >= x); return 0; }}\n")
    for command, args in (("parse", ("--json",)),
                          ("verify", ("--ranker", "unguided", "--timeout", "1", "--format", "json", "--no-progress"))):
        _check(FuzzCase("deep-expression", command, {f"deep{ext}": src.encode()}, args))


@pytest.mark.parametrize("ext", [".c", ".py"])
def test_two_hundred_nested_loops(ext: str) -> None:
    import random

    from recursa.commands.bench_fuzz import _nested_loops

    src = _nested_loops(random.Random(0), "c" if ext == ".c" else "python", 200)
    _check(FuzzCase("nested-loops", "verify", {f"loops{ext}": src},
                    ("--ranker", "unguided", "--timeout", "1", "--format", "json", "--no-progress")))
