"""What each part of the training recipe buys: the reasoner trained with one part removed at a time.

    python -m recursa.train.ablations --work runs/ablations --out recursa/models/default --steps 8000

Every variant is trained on the same data (task, generated training split, seed) with the same step budget,
batch size and schedule as the full recipe (:data:`recursa.train.trainer.REASONER_DEFAULTS`), then evaluated on
the same fresh examples of the evaluation split, with and without the value snap where the variant has one.
Writes ``ablations.json`` (every report) and ``ABLATIONS.md`` (a table by depth) into ``--out``. Interrupted
runs continue with ``--resume``. ``--recipe-from DIR`` takes the recipe row from a model already trained with
the full recipe at the same budget (a shipped model's folder; its ``training.json`` is checked) instead of
training it again.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from recursa.tasks.metrics import EvalReport
from recursa.tasks.registry import generate, get_task, parse_depths
from recursa.train.checkpoint import atomic_write_text
from recursa.train.evaluate import evaluate_dataset
from recursa.train.logging import read_log
from recursa.train.models import load_model
from recursa.train.trainer import REASONER_DEFAULTS, TrainConfig, train


@dataclass(frozen=True)
class Variant:
    """One recipe: a name, what it changes against the full recipe, and why it is measured."""

    name: str
    changes: dict[str, Any]
    question: str


VARIANTS: tuple[Variant, ...] = (
    Variant("recipe", {}, "the full recipe (the shipped model's options)"),
    Variant("root-label only", {"node_loss_weight": 0.0, "value_consistency_weight": 0.0, "snap_kinds": []},
            "the published depth-split setting: the label of the whole expression is the only target"),
    Variant("no value consistency", {"value_consistency_weight": 0.0},
            "sub-expression values supervised, but computed and literal values not pulled together"),
    Variant("no splice", {"splice_kinds": []},
            "a Python call keeps its argument list between operator and operands"),
    Variant("sum aggregation", {"aggregation": "sum"},
            "children summed (a multiset) instead of folded pairwise in order"),
)


def variant_names() -> list[str]:
    return [v.name for v in VARIANTS]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="runs/ablations", help="training runs go here, one directory a variant")
    ap.add_argument("--out", default="runs/ablations", help="ablations.json and ABLATIONS.md go here")
    ap.add_argument("--task", default="listops")
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--train-size", type=int, default=100000)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--variants", default=",".join(variant_names()),
                    help=f"comma-separated subset of: {', '.join(variant_names())}")
    ap.add_argument("--eval-depths", default="1-8,12,16,20")
    ap.add_argument("--per-depth", type=int, default=500)
    ap.add_argument("--eval-seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--resume", action="store_true", help="continue interrupted runs in --work")
    ap.add_argument("--recipe-from", metavar="DIR",
                    help="a model folder trained with the full recipe at this budget (its training.json is checked "
                         "against these options): evaluated as the recipe row instead of training it again")
    args = ap.parse_args(argv)

    wanted = [w.strip() for w in args.variants.split(",") if w.strip()]
    unknown = sorted(set(wanted) - set(variant_names()))
    if unknown:
        ap.error(f"unknown variant(s): {', '.join(unknown)} (known: {', '.join(variant_names())})")
    get_task(args.task)
    torch.set_num_threads(args.threads)
    work, out = Path(args.work), Path(args.out)
    examples = generate(args.task, parse_depths(args.eval_depths), args.per_depth, seed=args.eval_seed,
                        split="eval")
    data = f"{args.task} eval split, seed {args.eval_seed}, {args.per_depth} per depth and syntax"
    reports: dict[str, EvalReport] = {}
    runs: dict[str, dict[str, Any]] = {}
    for variant in (v for v in VARIANTS if v.name in wanted):
        run_dir = work / variant.name.replace(" ", "-")
        cfg = _config(args, variant, run_dir)
        if variant.name == "recipe" and args.recipe_from:
            try:
                runs[variant.name] = recipe_run(Path(args.recipe_from), cfg, variant)
            except ValueError as e:
                print(f"error: --recipe-from {e}", file=sys.stderr)
                return 2
            model = load_model(args.recipe_from, "cpu")
            _evaluate_variant(model, variant, examples, data, reports)
            continue
        result = train(cfg, resume=args.resume and (run_dir / "latest").is_file())
        runs[variant.name] = {"run": str(result.run_dir), "changes": variant.changes, "question": variant.question,
                              "train_seconds": train_seconds(result.run_dir), "steps": result.step}
        _evaluate_variant(load_model(result.checkpoint, "cpu"), variant, examples, data, reports)
    command = "python -m recursa.train.ablations " + " ".join(argv if argv is not None else sys.argv[1:])
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "ablations.json", json.dumps(
        {"command": command.strip(), "runs": runs, "reports": {k: r.to_json() for k, r in reports.items()}},
        indent=1) + "\n")
    atomic_write_text(out / "ABLATIONS.md", ablation_card(command.strip(), args, runs, reports))
    print((out / "ABLATIONS.md").read_text(encoding="utf-8"))
    return 0


def _config(args: argparse.Namespace, variant: Variant, run_dir: Path) -> TrainConfig:
    """How ``variant`` is trained: the same budget for every variant, the recipe's options changed as it says."""
    return TrainConfig(task=args.task, output=str(run_dir), steps=args.steps, batch_size=args.batch_size,
                       lr=args.lr, train_size=args.train_size, hidden_size=args.hidden, threads=args.threads,
                       device=args.device, checkpoint_every=500, progress=False, tensorboard=False,
                       reasoner={**REASONER_DEFAULTS, **variant.changes})


def _evaluate_variant(model: Any, variant: Variant, examples: list[Any], data: str,
                      reports: dict[str, EvalReport]) -> None:
    """``reports`` gains the variant's evaluation, with and without the value snap where it has one."""
    dataset = model.dataset(examples)
    snaps = (True, False) if model.value_snap else (False,)
    for snap in snaps:
        model.set_value_snap(snap)
        name = variant.name if snap or len(snaps) == 1 else f"{variant.name}, no snap"
        reports[name] = evaluate_dataset(model, dataset, name, data)
        print(f"{name}: accuracy {reports[name].accuracy:.4f}", file=sys.stderr)


def train_seconds(run_dir: Path) -> float:
    """Training time of a run from its log, summed over the sessions an interrupted run was resumed in (each
    session's clock starts at its ``start`` or ``resume`` event)."""
    total = last = 0.0
    for entry in read_log(run_dir):
        if entry.get("event") in ("start", "resume"):
            total, last = total + last, 0.0
        elif "elapsed_s" in entry:
            last = float(entry["elapsed_s"])
    return round(total + last, 1)


#: training options that must agree between ``--recipe-from``'s run and the variants' runs
_BUDGET_KEYS = ("task", "steps", "batch_size", "lr", "train_size", "hidden_size", "seed", "weight_decay",
                "warmup", "min_lr_ratio", "clip", "depths", "curriculum")


def recipe_run(folder: Path, recipe: TrainConfig, variant: Variant) -> dict[str, Any]:
    """The run record of a model trained as ``recipe`` (the recipe variant's config) says, as far as what is
    trained goes (``folder``'s ``training.json``, as written by :mod:`recursa.train.default_model`); ValueError
    naming what differs."""
    try:
        info = json.loads((folder / "training.json").read_text(encoding="utf-8"))
        cfg, run = info["config"], info["runs"]["recursa"]
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{folder}: no readable training record ({e})") from None
    for key in _BUDGET_KEYS:
        expected = getattr(recipe, key)
        if cfg.get(key) != expected:
            raise ValueError(f"{folder}: trained with {key}={cfg.get(key)!r}, the variants with {expected!r}")
    options = dict(cfg.get("reasoner") or {})
    for key, value in recipe.reasoner.items():
        if key == "snap_kinds":  # later tasks added node kinds; the ones the model snaps must be among them
            if not set(options.get(key, [])) <= set(value):
                raise ValueError(f"{folder}: snaps node kinds the recipe does not")
        elif options.get(key) != value:
            raise ValueError(f"{folder}: trained with {key}={options.get(key)!r}, the recipe has {value!r}")
    return {"run": f"{run['run']} (the model in {folder})", "changes": variant.changes, "question": variant.question,
            "train_seconds": run.get("train_seconds"), "steps": cfg["steps"]}


def ablation_card(command: str, args: argparse.Namespace, runs: dict[str, dict[str, Any]],
                  reports: dict[str, EvalReport]) -> str:
    spec = get_task(args.task)
    lo, hi = spec.train_depths
    names = list(reports)
    lines = [
        f"# Ablations of the training recipe ({args.task})",
        "",
        f"Command: `{command}`",
        "",
        f"Every variant: task `{args.task}`, training depths {lo}-{hi}, {args.train_size} generated training "
        f"examples, {args.steps} steps of {args.batch_size} trees, lr {args.lr}, width {args.hidden}; evaluated "
        f"on {reports[names[0]].data} (never seen in training). Rows are nesting depths; each cell is accuracy.",
        "",
        "| variant | changes against the recipe | what it asks | training s |",
        "|---|---|---|---|",
    ]
    for name, info in runs.items():
        changes = ", ".join(f"`{k}={json.dumps(v)}`" for k, v in info["changes"].items()) or "none"
        lines.append(f"| {name} | {changes} | {info['question']} | {info['train_seconds']} |")
    lines += ["", "| depth | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for row in reports[names[0]].by_depth:
        cells = []
        for name in names:
            r = reports[name].row(row.depth)
            cells.append("" if r is None else f"{r.accuracy:.4f}")
        mark = " (trained)" if lo <= row.depth <= hi else ""
        lines.append(f"| {row.depth}{mark} | " + " | ".join(cells) + " |")
    lines += ["", "| variant | overall | Spearman(iterations, height) | convergence failures |", "|---|---|---|---|"]
    for name in names:
        r = reports[name]
        sp = "n/a" if r.spearman_iterations_height is None else f"{r.spearman_iterations_height:.4f}"
        lines.append(f"| {name} | {r.accuracy:.4f} | {sp} | {r.convergence_failure_rate:.2%} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
