"""What each part of the synthesis guide buys: the shipped guide, its production prior alone, and its value
scorer alone, each against the unguided search on the same files in one run.

    python -m recursa.synth.ablations tasks/synthesis --timeout 10

Per configuration, over the files both it and the unguided search solve: the geometric mean of per-file
candidate ratios, the same over the files the unguided search needs at least 1,000 candidates for, the ratio
of totals, problems lost (answered unguided, not guided) and the mean time per file.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from recursa.synth.engine import solve
from recursa.synth.grammar import UniformGuide
from recursa.synth.problem import Problem, SynthOptions, SynthStatus

BIG = 1000  # "search is large": the unguided search needs at least this many candidates


@dataclass
class Ablation:
    guide: str
    both: int
    lost: int
    geo_mean_fewer: float
    big: int
    geo_mean_fewer_big: float
    total_fewer: float
    mean_s: float
    mean_s_unguided: float


class _ValuesOnly(UniformGuide):
    """Uniform production costs with the shipped value scorer."""

    name = "values"

    def __init__(self, value_model: Any) -> None:
        self.value_model = value_model


def _run(problems: Sequence[Problem], guide: Any, timeout_s: float) -> dict[str, tuple[SynthStatus, int, float]]:
    out = {}
    for p in problems:
        r = solve(p, SynthOptions(timeout_s=timeout_s, guide="none" if guide.name == "none" else "reasoner"),
                  guide=guide)
        out[p.path] = (r.status, r.candidates, r.time_s)
    return out


def _compare(name: str, base: dict[str, tuple[SynthStatus, int, float]],
             got: dict[str, tuple[SynthStatus, int, float]]) -> Ablation:
    ok, decided = SynthStatus.SOLVED, (SynthStatus.SOLVED, SynthStatus.INFEASIBLE)
    both = [p for p in got if got[p][0] is ok and base[p][0] is ok]
    big = [p for p in both if base[p][1] >= BIG]

    def geo(paths: list[str]) -> float:
        if not paths:
            return 1.0
        return math.exp(statistics.fmean(math.log(max(1, base[p][1]) / max(1, got[p][1])) for p in paths))

    return Ablation(name, len(both), sum(1 for p in got if base[p][0] in decided and got[p][0] is not base[p][0]),
                    geo(both), len(big), geo(big),
                    sum(base[p][1] for p in both) / max(1, sum(got[p][1] for p in both)),
                    statistics.fmean(got[p][2] for p in both) if both else 0.0,
                    statistics.fmean(base[p][2] for p in both) if both else 0.0)


def ablate(problems: Sequence[Problem], timeout_s: float = 10.0) -> list[Ablation]:
    """The three configurations against the unguided search (raises ModelMissing without a shipped guide)."""
    from recursa.synth.neural import load_guide

    guide = load_guide()
    values = guide.value_model
    base = _run(problems, UniformGuide(), timeout_s)
    rows = []
    try:
        guide.value_model = values
        rows.append(_compare("reasoner (shipped: productions + values)", base, _run(problems, guide, timeout_s)))
        guide.value_model = None
        rows.append(_compare("productions only", base, _run(problems, guide, timeout_s)))
    finally:
        guide.value_model = values
    if values is not None:
        rows.append(_compare("values only", base, _run(problems, _ValuesOnly(values), timeout_s)))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    from recursa.commands.synth import collect_sl, read

    ap = argparse.ArgumentParser(prog="python -m recursa.synth.ablations", description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help=".sl files or folders")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per file and configuration")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    problems = [p for p in (read(i) for i in collect_sl(args.paths) if isinstance(i, str)) if isinstance(p, Problem)]
    if not problems:
        print("no readable .sl files", file=sys.stderr)
        return 2
    rows = ablate(problems, args.timeout)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=1))
        return 0
    for r in rows:
        print(f"{r.guide}: {r.both} files both solve, lost {r.lost}; {r.geo_mean_fewer:.2f}x fewer candidates per "
              f"file, {r.geo_mean_fewer_big:.2f}x on the {r.big} with >= {BIG} unguided, {r.total_fewer:.2f}x in "
              f"total; mean {r.mean_s:.3f} s vs {r.mean_s_unguided:.3f} s unguided")
    return 0


if __name__ == "__main__":
    sys.exit(main())
