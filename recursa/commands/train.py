"""``recursa train TASK|FILE``: train the equilibrium reasoner or one of the two transformer baselines."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from recursa.train.cli_support import InputError, parse_set_options


@click.command("train", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("task")
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="Run directory for checkpoints and logs (default: runs/TASK-MODEL).")
@click.option("--model", type=click.Choice(["recursa", "transformer", "universal"]), default="recursa",
              show_default=True,
              help="The equilibrium reasoner, the fixed-depth transformer baseline (BERT), or the adaptive-depth "
                   "baseline (a Universal Transformer with ACT halting; --layers is its most steps, default 24).")
@click.option("--steps", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
              help="Trees per step (over all processes).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=2e-3, show_default=True)
@click.option("--weight-decay", type=click.FloatRange(min=0), default=0.01, show_default=True)
@click.option("--warmup", type=click.IntRange(min=0), default=100, show_default=True, help="Warm-up steps.")
@click.option("--clip", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Gradient-norm clipping threshold.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--train-size", type=click.IntRange(min=1), default=20000, show_default=True,
              help="Examples generated for a task (ignored for a data file).")
@click.option("--depths", default="", help="Training depths, e.g. 1-5 (default: the task's; a file: all).")
@click.option("--curriculum/--no-curriculum", default=False, show_default=True,
              help="Start with shallow examples and admit deeper ones over the first 30% of steps.")
@click.option("--hidden", "hidden_size", type=click.IntRange(min=1), default=64, show_default=True,
              help="Width of the reasoner (and of the baseline).")
@click.option("--layers", type=click.IntRange(min=0), default=0,
              help="Transformer layers (default 0: as many as match the reasoner's non-embedding parameters); "
                   "for --model universal the most steps its halting may take (default 0: 24).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A reasoner option (RecursaConfig key; with --model universal a UniversalConfig key such as "
                   "ponder_weight), e.g. --set max_iter=100 --set backward=phantom; "
                   "overrides the training recipe's defaults (recursa.train.trainer.REASONER_DEFAULTS; a "
                   "run's train_config.json records the values it used).")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=250, show_default=True)
@click.option("--keep", "keep_checkpoints", type=click.IntRange(min=0), default=2, show_default=True,
              help="Checkpoints kept (0 = all).")
@click.option("--log-every", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--eval-every", type=click.IntRange(min=0), default=0,
              help="Evaluate on held-out examples (depths 1-8) every N steps (0 = never).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--threads", type=click.IntRange(min=0), default=0,
              help="CPU threads for torch (0 = torch's default).")
@click.option("--bf16/--no-bf16", default=True, show_default=True, help="bf16 autocast on CUDA.")
@click.option("--resume", is_flag=True, help="Continue the run in --output from its latest checkpoint.")
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.pass_context
def train(ctx: click.Context, task: str, output: str | None, settings: tuple[str, ...], resume: bool,
          **options: Any) -> None:
    """Train on TASK (listops, listops-python, listops-brackets, arith, arith-python, arith-c, logic,
    logic-smtlib, logic-python, invariants, synth, synth-values) or on a data FILE (.jsonl / .tsv). Checkpoints
    go to --output every --checkpoint-every steps and at the end; `recursa eval` accepts every one of these tasks.

    Multi-GPU / multi-process: torchrun --nproc-per-node N -m recursa.cli train TASK ...
    """
    if task == "invariants":
        _train_invariants(ctx, output, resume, options)
        return
    if task == "synth":
        _train_synth(ctx, output, resume, options, settings)
        return
    if task == "synth-values":
        _train_synth_values(ctx, output, resume, options)
        return
    from recursa.tasks.examples import DataError
    from recursa.train.trainer import REASONER_DEFAULTS, TrainConfig, TrainError
    from recursa.train.trainer import train as run_training

    out_dir = output or f"runs/{task.replace('/', '_')}-{options['model']}"
    try:
        # --set: a RecursaConfig key for the reasoner, a UniversalConfig key for --model universal
        given = parse_set_options(settings)
        reasoner = given if options["model"] == "universal" else {**REASONER_DEFAULTS, **given}
        if resume:
            config = _resume_config(ctx, out_dir, options)
        else:
            config = TrainConfig(task=task, output=out_dir, reasoner=reasoner, **options)
        result = run_training(config, resume=resume)
    except (TrainError, DataError, KeyError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise InputError(str(msg)) from None
    except KeyboardInterrupt:
        sys.exit(130)
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun, rank 0 reports
        return
    summary = {"run": str(result.run_dir), "step": result.step, "checkpoint": str(result.checkpoint),
               **{k: result.last_metrics[k] for k in ("loss", "accuracy", "iterations_mean")
                  if k in result.last_metrics}}
    click.echo(json.dumps(summary))


def _resume_config(ctx: click.Context, out_dir: str, options: dict[str, Any]) -> Any:
    from pathlib import Path

    from recursa.train.trainer import RESUMABLE_OPTIONS, TrainConfig, TrainError

    saved_path = Path(out_dir) / "train_config.json"
    if not saved_path.is_file():
        raise TrainError(f"{out_dir}: no training run to resume (train_config.json missing)")
    try:
        saved = TrainConfig.from_json(json.loads(saved_path.read_text(encoding="utf-8"))).to_json()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise TrainError(f"{saved_path}: unreadable saved configuration ({exc})") from None
    given = {k for k in options if ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE}
    ignored = sorted(given - RESUMABLE_OPTIONS)
    if ignored:
        click.echo(f"note: --resume keeps the run's saved {', '.join(ignored)}", err=True)
    saved.update({k: options[k] for k in given & RESUMABLE_OPTIONS})
    saved["output"] = out_dir
    return TrainConfig.from_json(saved)


def _train_invariants(ctx: click.Context, output: str | None, resume: bool, options: dict[str, Any]) -> None:
    """Hand ``recursa train invariants`` to the verification ranker's trainer, with the options it takes."""
    if importlib.util.find_spec("recursa.refine.train_ranker") is None:
        raise InputError("the invariant ranker trainer (recursa.refine.train_ranker) is not installed")
    fn = importlib.import_module("recursa.refine.train_ranker").train
    accepted = inspect.signature(fn).parameters
    given = {k: v for k, v in {**options, "output": output, "resume": resume}.items()
             if k in accepted and (k in ("output", "resume") or
                                   ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE)}
    result = fn(**{k: v for k, v in given.items() if v is not None})
    if result is not None:
        click.echo(json.dumps(result.to_json() if hasattr(result, "to_json") else result, default=str))


def _train_synth_values(ctx: click.Context, output: str | None, resume: bool, options: dict[str, Any]) -> None:
    """``recursa train synth-values``: the value scorer (recursa.synth.train_values), written to --output (a
    JSON file); --train-size is the number of generated problems, --steps the optimiser steps, --seed."""
    if resume:
        raise InputError("recursa train synth-values has no --resume: a run takes minutes, start it again")
    from recursa.synth.train_values import train_values

    target = Path(output or "runs/synth-values.json")
    if target.exists():
        raise InputError(f"{target}: exists; recursa train synth-values writes a new file (remove it or pick "
                         "another -o)")
    given = {"problems": options["train_size"], "steps": options["steps"], "seed": options["seed"]}
    for key in ("train_size", "steps"):
        if ctx.get_parameter_source(key) != click.core.ParameterSource.COMMANDLINE:
            given.pop("problems" if key == "train_size" else key)
    if options.get("threads"):
        import torch

        torch.set_num_threads(options["threads"])
    try:
        meta = train_values(target, **given,
                            log=lambda line: click.echo(line, err=True))
    except KeyboardInterrupt:
        sys.exit(130)
    click.echo(json.dumps({k: v for k, v in meta.items() if k != "grid"}))


#: ``recursa train synth --set KEY=VALUE`` keys (recursa.synth.train_guide.train's options)
_SYNTH_SETTINGS = ("context_head", "labels")


def _train_synth(ctx: click.Context, output: str | None, resume: bool, options: dict[str, Any],
                 settings: tuple[str, ...] = ()) -> None:
    """Hand ``recursa train synth`` to the synthesis guide's trainer (recursa.synth.train_guide), with the
    options given on the command line that it takes (--steps, --train-size, --seed, --batch-size, --lr, ...)."""
    if resume:
        raise InputError("recursa train synth has no --resume: a run takes minutes, start it again")
    from recursa.synth.train_guide import train as train_guide

    accepted = inspect.signature(train_guide).parameters
    given = {k: v for k, v in options.items()
             if k in accepted and ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE}
    for key, value in parse_set_options(settings).items():
        if key not in _SYNTH_SETTINGS:
            raise InputError(f"recursa train synth: --set {key} is not a guide option (known: "
                             f"{', '.join(_SYNTH_SETTINGS)})")
        given[key] = value
    try:
        result = train_guide(output=output or "runs/synth-guide", **given)
    except KeyboardInterrupt:
        sys.exit(130)
    click.echo(json.dumps(result.to_json()))
