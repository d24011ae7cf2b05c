"""Build a model that ships with recursa, in one recorded command: the default (ListOps) model, or the model
of another task family (``--task arith``, ``--task logic``).

    python -m recursa.train.default_model --out recursa/models/default --work runs/default
    python -m recursa.train.default_model --task logic --work runs/logic   # --out: recursa/models/logic

Trains the equilibrium reasoner and the transformer baseline on the same data (the task's training depths,
ListOps 1-5, logic 1-6; the same step budget unless ``--baseline-steps`` says otherwise), evaluates both on
fresh examples of the evaluation split at the task's evaluation depths (1-8, 12, 16, 20), and writes into
``--out`` (default: the task family's shipped model folder, :data:`recursa.paths.TASK_MODEL_DIRS`): the
reasoner (``config.json`` + ``model.safetensors``), ``training.json`` (how it was trained), ``eval.json``
(both models' reports), ``depth_plot.png`` and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import torch

from recursa.paths import TASK_MODEL_DIRS
from recursa.tasks.metrics import EvalReport
from recursa.tasks.registry import generate, get_task, parse_depths
from recursa.train.checkpoint import atomic_write_text
from recursa.train.evaluate import evaluate_dataset
from recursa.train.logging import read_log
from recursa.train.models import load_model
from recursa.train.plots import plot_depth_curves
from recursa.train.trainer import REASONER_DEFAULTS, TrainConfig, train

TARGETS = {8: 0.995, 12: 0.99, 20: 0.98}
_FAMILY_TEXT = {"listops": "ListOps", "arith": "arithmetic mod 10", "logic": "closed propositional formulas"}
NO_SNAP = "recursa without value snap"
TARGET_SPEARMAN = 0.95
TARGET_FAILURES = 0.005


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="default: the task family's shipped model folder")
    ap.add_argument("--work", default="runs/default")
    ap.add_argument("--task", default="listops")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--train-size", type=int, default=40000)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--baseline-layers", type=int, default=2)
    ap.add_argument("--baseline-lr", type=float, default=1e-3)
    ap.add_argument("--baseline-steps", type=int, default=0, help="baseline training steps (default: --steps)")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                    help="reasoner option (RecursaConfig key)")
    ap.add_argument("--curriculum", action="store_true")
    ap.add_argument("--eval-depths", default=None, help="default: the task's evaluation depths")
    ap.add_argument("--per-depth", type=int, default=2000)
    ap.add_argument("--eval-seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--resume", action="store_true", help="continue interrupted training runs in --work")
    args = ap.parse_args(argv)

    from recursa.train.cli_support import parse_set_options

    torch.set_num_threads(args.threads)
    spec = get_task(args.task)
    if args.out is None:
        if spec.family not in TASK_MODEL_DIRS:
            ap.error(f"task {args.task} has no shipped model folder: give --out")
        args.out = os.path.relpath(TASK_MODEL_DIRS[spec.family])
    if args.eval_depths is None:
        args.eval_depths = ",".join(str(d) for d in spec.eval_depths)
    work, out = Path(args.work), Path(args.out)
    reasoner_opts = {**REASONER_DEFAULTS, **parse_set_options(args.settings)}
    common = dict(task=args.task, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                  train_size=args.train_size, hidden_size=args.hidden, threads=args.threads, device=args.device,
                  curriculum=args.curriculum, checkpoint_every=1000, reasoner=reasoner_opts)
    runs: dict[str, dict[str, Any]] = {}
    for kind in ("recursa", "transformer"):
        if kind == "transformer" and args.skip_baseline:
            continue
        opts = ({**common, "lr": args.baseline_lr, "steps": args.baseline_steps or args.steps}
                if kind == "transformer" else common)
        cfg = TrainConfig(output=str(work / kind), model=kind, layers=args.baseline_layers, **opts)
        resume = args.resume and (work / kind / "latest").is_file()
        t0 = time.time()
        result = train(cfg, resume=resume)
        log = read_log(result.run_dir)
        seconds = sum(e.get("elapsed_s", 0.0) for e in log if e.get("event") == "end") or time.time() - t0
        last = next((e for e in reversed(log) if "loss" in e), result.last_metrics)
        saved_cfg = json.loads((result.run_dir / "train_config.json").read_text(encoding="utf-8"))
        runs[kind] = {"run": str(result.run_dir), "checkpoint": str(result.checkpoint),
                      "train_seconds": round(seconds, 1), "final_train_metrics": last, "config": saved_cfg,
                      "segments": _segments(log), "steps_trained": result.step}
        print(f"trained {kind} in {runs[kind]['train_seconds']} s", file=sys.stderr)

    depths = parse_depths(args.eval_depths)
    examples = generate(args.task, depths, args.per_depth, seed=args.eval_seed, split="eval")
    reports: dict[str, EvalReport] = {}
    data = f"{args.task} eval split, seed {args.eval_seed}, {args.per_depth} per depth and syntax"
    for kind, info in runs.items():
        model = load_model(info["checkpoint"], "cuda" if torch.cuda.is_available() and args.device != "cpu"
                           else "cpu")
        dataset = model.dataset(examples)
        variants = [(kind, True)] + ([(NO_SNAP, False)] if model.value_snap else [])
        for name, snap in variants:  # the reasoner also without its value snap: what the snap contributes
            model.set_value_snap(snap)
            t0 = time.time()
            reports[name] = evaluate_dataset(model, dataset, name, data, next(model.module.parameters()).device,
                                             extra={"model_kind": name, "value_snap": model.value_snap,
                                                    "parameters": model.parameter_counts(),
                                                    "describe": model.describe()})
            took = round(time.time() - t0, 1)
            info["eval_seconds" if snap else "eval_seconds_no_snap"] = took
            print(f"evaluated {name} in {took} s", file=sys.stderr)

    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = Path(runs["recursa"]["checkpoint"])
    for name in ("config.json", "model.safetensors"):
        shutil.copyfile(ckpt_dir / name, out / name)
    lo, hi = spec.train_depths
    series = plot_depth_curves(list(reports.values()), out / "depth_plot.png", train_depths=list(range(lo, hi + 1)))
    command = "python -m recursa.train.default_model " + " ".join(argv if argv is not None else sys.argv[1:])
    training = {"command": command.strip(), "config": runs["recursa"]["config"], "runs": runs,
                "device": _device_note(args.device), "torch": torch.__version__, "python": platform.python_version()}
    atomic_write_text(out / "training.json", json.dumps(training, indent=1, default=str) + "\n")
    atomic_write_text(out / "eval.json", json.dumps({k: r.to_json() for k, r in reports.items()}, indent=1) + "\n")
    atomic_write_text(out / "MODEL_CARD.md", model_card(training, reports, series, args))
    print((out / "MODEL_CARD.md").read_text())
    return 0


def _set_option(key: str, value: Any) -> str:
    """`` --set KEY=VALUE`` as a shell word (the value as compact JSON, as ``--set`` reads it)."""
    return " --set " + shlex.quote(f"{key}={json.dumps(value, separators=(',', ':'))}")


def _segments(log: list[dict[str, Any]]) -> list[list[int]]:
    """``[first, last]`` step of every start/resume of a run that trained at least one step."""
    out: list[list[int]] = []
    begin: int | None = None
    for e in log:
        if e.get("event") in ("start", "resume"):
            begin = int(e.get("step", 0))
        elif e.get("event") == "end" and begin is not None:
            if int(e.get("step", 0)) > begin:
                out.append([begin, int(e["step"])])
            begin = None
    return out


def _device_note(device: str) -> str:
    if torch.cuda.is_available() and device != "cpu":
        return f"CUDA: {torch.cuda.get_device_name(0)}"
    return f"CPU only ({platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads)"


def _kpi_lines(rep: EvalReport) -> list[str]:
    lines = []
    for d, target in TARGETS.items():
        row = rep.row(d)
        if row is None:
            continue
        ok = "met" if row.accuracy >= target else "NOT met"
        lines.append(f"- depth {d}: {row.accuracy:.4f} (target >= {target}) - {ok}")
    sp = rep.spearman_iterations_height
    lines.append(f"- Spearman(iterations, tree height): {sp if sp is None else round(sp, 4)} "
                 f"(target >= {TARGET_SPEARMAN}) - {'met' if sp is not None and sp >= TARGET_SPEARMAN else 'NOT met'}")
    fr = rep.convergence_failure_rate
    lines.append(f"- convergence failures: {fr:.2%} (target < {TARGET_FAILURES:.1%}) - "
                 f"{'met' if fr < TARGET_FAILURES else 'NOT met'}")
    return lines


def _table(reports: dict[str, EvalReport]) -> list[str]:
    kinds = list(reports)
    head = "| depth | n | " + " | ".join(f"{k} accuracy | {k} iterations mean / p95" for k in kinds) + " |"
    sep = "|---|---|" + "---|---|" * len(kinds)
    rows = [head, sep]
    for r in reports[kinds[0]].by_depth:
        cells = [str(r.depth), str(r.n)]
        for k in kinds:
            rr = reports[k].row(r.depth)
            cells += [f"{rr.accuracy:.4f}", f"{rr.iterations_mean:.1f} / {rr.iterations_p95:.0f}"] if rr else ["", ""]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def model_card(training: dict[str, Any], reports: dict[str, EvalReport], series: dict[str, Any],
               args: argparse.Namespace) -> str:
    rec = reports["recursa"]
    cfg = training["config"]
    segments = training["runs"]["recursa"].get("segments", [])
    steps = training["runs"]["recursa"].get("steps_trained", cfg["steps"])
    r_desc = rec.extra.get("describe", {})
    spec = get_task(cfg["task"])
    lo, hi = spec.train_depths
    lines = [
        "# recursa default model" if spec.family == "listops" else f"# recursa {spec.family} model",
        "",
        "An equilibrium reasoner (`RecursaForTreeClassification`) trained on "
        f"{_FAMILY_TEXT.get(spec.family, spec.name)} with nesting depth {lo}-{hi} only, in the syntaxes "
        f"{', '.join(spec.syntaxes)} (task `{spec.name}`: {spec.description}).",
        f"`recursa eval` uses it for {spec.family} data when no `--checkpoint` is given. Load it with",
        f"`RecursaForTreeClassification.from_pretrained(\"{args.out}\")`.",
        "",
        "## How it was trained",
        "",
        f"Command (run from the repository root): `{training['command']}`",
        "",
        f"Equivalent single commands: `recursa train {cfg['task']} -o {args.work}/recursa --steps {steps} "
        f"--batch-size {cfg['batch_size']} --lr {cfg['lr']} --train-size {cfg['train_size']} --hidden "
        f"{cfg['hidden_size']}" + "".join(_set_option(k, v) for k, v in cfg["reasoner"].items())
        + (" --curriculum" if cfg["curriculum"] else "") + "`"
        + ("; the baseline: the same with `--model transformer "
           f"--layers {args.baseline_layers} --lr {args.baseline_lr}"
           + (f" --steps {args.baseline_steps}" if args.baseline_steps else "") + "` and without `--set`."
           if "transformer" in training["runs"] else " (no baseline was trained for this card)."),
        "",
        f"- Device: {training['device']}"
        + ("; no GPU was available for this build, and the 2-core machine was shared with other jobs, so the "
           "times below are CPU wall times under load. The run is sized for a few minutes on an H100-class GPU "
           "(an estimate: not measured here)." if training["device"].startswith("CPU") else "."),
        f"- Data: task `{cfg['task']}`, training split, depths {lo}-{hi}, {cfg['train_size']} generated examples (seed "
        f"{cfg['seed']}), batches drawn with replacement; evaluation examples come from the disjoint evaluation "
        "split (a hash of each expression decides its split), so no evaluation example was seen in training.",
        f"- Optimiser: AdamW, lr {cfg['lr']}, weight decay {cfg['weight_decay']}, {cfg['warmup']} warm-up steps, "
        f"cosine decay, gradient clipping at {cfg['clip']}, {steps} steps of {cfg['batch_size']} trees"
        + ("." if len(segments) <= 1 else
           " in segments " + ", ".join(f"{a}-{b}" for a, b in segments) + " (a run resumed with a larger `--steps`"
           " goes on from its checkpoint; the cosine schedule is recomputed for the new total)."),
        f"- Training time: reasoner {training['runs']['recursa']['train_seconds']} s"
        + (f", baseline {training['runs']['transformer']['train_seconds']} s" if "transformer" in training["runs"]
           else "") + ".",
        f"- Reasoner: {json.dumps(r_desc)}.",
        "- Recipe (the reasoner options above; `recursa train` starts from the same defaults): the tree's label is "
        "read at its outermost expression (`readout`); the value of every sub-expression is a training target too "
        "(`node_loss_weight`; values computed from the parse by `recursa.tasks.annotate`, so TSV/JSONL data gets "
        "them as well); states of equal values are pulled together (`value_consistency_weight`), so a parent "
        "sees a computed 7 as it sees a literal 7; children are folded pairwise in order without a layer norm "
        "that would erase multiplicities (`aggregation`, `child_norm`); a Python call's argument list is spliced "
        "out so an operator and its operands meet at one node, as in the bracket form (`splice_kinds`).",
    ]
    if cfg["reasoner"].get("snap_kinds"):
        lines.append(
            "- Value snap (`snap_kinds`, on at inference): training keeps a running mean of the states of each value "
            "(the centroids, saved with the weights); in evaluation the state of every value-carrying node is "
            "replaced, after each application of the block, by the centroid of the value the head reads from it. A "
            "parent then computes on the states it saw at depth 1, so errors stop compounding with depth. The "
            f"table shows the same weights without it (`{NO_SNAP}`; `recursa eval --no-snap`).")
    if "transformer" in reports:
        b_desc = reports["transformer"].extra.get("describe", {})
        b_cfg = training["runs"]["transformer"]["config"]
        same = b_cfg["steps"] == cfg["steps"] and b_cfg["train_size"] == cfg["train_size"]
        budget = ("same data and step budget" if same else
                  f"same generator and depths, {b_cfg['train_size']} training examples and {b_cfg['steps']} steps "
                  f"of {b_cfg['batch_size']} trees (the reasoner: {cfg['train_size']} and {steps}; the "
                  "baseline was not retrained with the reasoner's budget for lack of compute)")
        lines.append(f"- Baseline: `BertForSequenceClassification` from a `BertConfig` (no download), same width, "
                     f"{budget}: {json.dumps(b_desc)}. It reads the expression's leaf tokens "
                     "(brackets and commas included) with a [CLS] token.")
    lines += ["", f"## Evaluation ({rec.data})", ""]
    lines += _table(reports)
    lines += ["", "Iterations: forward solver iterations per tree (the baseline's are its fixed layer count).", ""]
    for k, r in reports.items():
        sp = r.spearman_iterations_height
        per = ", ".join(f"{lang} {acc:.4f}" for lang, acc in r.by_language.items())
        lines.append(f"- {k}: overall accuracy {r.accuracy:.4f}; by syntax: {per}; Spearman(iterations, tree "
                     f"height) {'n/a' if sp is None else f'{sp:.4f}'}; convergence failures "
                     f"{r.convergence_failure_rate:.2%}.")
    lines += ["", "## Targets of the depth-extrapolation claim (reasoner)", ""]
    lines += _kpi_lines(rec)
    lines += ["", "## The plot (`depth_plot.png`)", "",
              "Left: accuracy against nesting depth, the training depths shaded; right: forward iterations against "
              "depth (mean and p95; the baseline's constant layer count). Plotted values:", ""]
    for k, s in series.items():
        acc = ", ".join(f"{d}: {a:.3f}" for d, a in zip(s["depth"], s["accuracy"]))
        its = ", ".join(f"{d}: {a:.1f}" for d, a in zip(s["depth"], s["iterations_mean"]))
        lines.append(f"- {k} accuracy - {acc}")
        lines.append(f"- {k} iterations - {its}")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
