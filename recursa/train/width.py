"""ListOps wider than trained: accuracy by depth, by root operator and by the widest operator of each tree.

    python -m recursa.train.width --checkpoint recursa/models/default --depths 1,2,4,8 --max-args 10

Examples come from :class:`~recursa.tasks.listops.ListOpsGenerator` with ``--min-args``/``--max-args`` (the
shipped model is trained on 2-5), the evaluation split only (the registry's hash split), ``--per-depth`` per depth
and syntax, from a seed-determined stream of their own. ``--flat N`` instead evaluates depth-1 expressions of
exactly ``N`` arguments (every operator; MED with an even ``N`` is skipped: the generator only makes odd MEDs).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from typing import Any

import numpy as np
import torch

from recursa.tasks import listops
from recursa.tasks.examples import Example
from recursa.tasks.registry import get_task, parse_depths, split_of


def _widest(expr: listops.Expr | int) -> int:
    if isinstance(expr, int):
        return 0
    stack, best = [expr], 0
    while stack:
        e = stack.pop()
        best = max(best, len(e.args))
        stack.extend(a for a in e.args if not isinstance(a, int))
    return best


def width_examples(depths: list[int], per_depth: int, seed: int, min_args: int, max_args: int,
                   syntaxes: tuple[str, ...] = ("python", "brackets"), flat: int = 0,
                   ops: tuple[str, ...] = listops.GENERATED_OPS) -> tuple[list[Example], list[dict[str, Any]]]:
    """Evaluation-split examples of the given widths and their facts (root operator, widest operator)."""
    gen = listops.ListOpsGenerator(ops=ops, min_args=min_args, max_args=max_args)
    out: list[Example] = []
    facts: list[dict[str, Any]] = []
    for depth in depths:
        for syntax in syntaxes:
            tag = "" if tuple(ops) == listops.GENERATED_OPS else ":" + ",".join(ops)
            rng = random.Random(f"recursa:width:{seed}:{min_args}-{max_args}:{flat}:{depth}:{syntax}{tag}")
            made = 0
            while made < per_depth:
                if flat:
                    op = rng.choice([o for o in ops if o != "MED" or flat % 2])
                    args: list[listops.Expr | int] = [rng.randint(0, 9) for _ in range(flat)]
                    expr: listops.Expr | int = listops.Expr(op, args, listops.apply_op(op, args), 1)
                else:
                    expr = gen.expression(rng, depth)
                key = listops.render(expr, "sexpr")
                if split_of(key) != "eval":
                    continue
                source = key if syntax == "sexpr" else listops.render(expr, syntax)
                out.append(Example(source, listops.SYNTAX_LANGUAGE[syntax], listops.value_of(expr), depth,
                                   f"width/{depth}/{syntax}#{made}"))
                facts.append({"op": expr.op if isinstance(expr, listops.Expr) else "digit",
                              "widest": _widest(expr), "depth": depth})
                made += 1
    return out, facts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="recursa/models/default")
    ap.add_argument("--depths", default="1,2,4,8")
    ap.add_argument("--per-depth", type=int, default=500)
    ap.add_argument("--min-args", type=int, default=2)
    ap.add_argument("--max-args", type=int, default=10)
    ap.add_argument("--flat", type=int, default=0, help="depth-1 expressions of exactly this many arguments")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ops", default=",".join(listops.GENERATED_OPS), help="operators to generate")
    ap.add_argument("--no-snap", action="store_true")
    ap.add_argument("--no-factor-snap", action="store_true",
                    help="leave factored fold accumulators (MED) unsnapped at inference")
    ap.add_argument("--json", default="", help="also write the figures to this file")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from recursa.train.evaluate import predict
    from recursa.train.models import load_model

    get_task("listops")
    depths = [1] if args.flat else parse_depths(args.depths)
    examples, facts = width_examples(depths, args.per_depth, args.seed, args.min_args, args.max_args,
                                     flat=args.flat, ops=tuple(args.ops.split(",")))
    model = load_model(args.checkpoint)
    if args.no_snap:
        model.set_value_snap(False)
    if args.no_factor_snap:
        model.module.fold_factor_snap = False
    data = model.dataset(examples)
    pred = predict(model, data, "cpu")
    ok = pred.predicted == np.asarray(data.labels)
    groups: dict[str, dict[Any, list[bool]]] = {"depth": defaultdict(list), "op": defaultdict(list),
                                                "widest": defaultdict(list), "depth_op": defaultdict(list)}
    for good, f in zip(ok.tolist(), facts):
        groups["depth"][f["depth"]].append(good)
        groups["op"][f["op"]].append(good)
        groups["widest"][f["widest"]].append(good)
        groups["depth_op"][f"{f['depth']}/{f['op']}"].append(good)
    report = {name: {str(k): [round(float(np.mean(v)), 4), len(v)] for k, v in sorted(g.items())}
              for name, g in groups.items()}
    report["overall"] = round(float(ok.mean()), 4)
    report["args"] = vars(args)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
