"""``recursa eval TASK|FILE``: accuracy and solver iterations by depth, Spearman, convergence failures."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from recursa.train.cli_support import InputError


@click.command("eval", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("data")
@click.option("--checkpoint", type=click.Path(), default=None,
              help="A saved model or a training run directory (default: the model shipped with recursa for the "
                   "data's task family: ListOps, arithmetic or logic).")
@click.option("--task", "task_name", default=None,
              help="The task family of a data FILE (listops, arith, logic, or a task name such as logic-python) "
                   "when it is not to be guessed from the examples.")
@click.option("--baseline", type=click.Path(), default=None,
              help="A second model (e.g. the transformer baseline) evaluated on the same examples, shown beside.")
@click.option("--depths", default=None, help="Depths to evaluate, e.g. 1-8 or 1-8,12,16,20 (default: the task's).")
@click.option("--per-depth", type=click.IntRange(min=1), default=500, show_default=True,
              help="Generated examples per depth and syntax (tasks only; for invariants and synth: the number "
                   "of generated programs / problems, default 50 / 300).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated examples.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Draw accuracy and iterations vs depth into this PNG.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--threads", type=click.IntRange(min=0), default=0, help="CPU threads for torch (0 = default).")
@click.option("--snap/--no-snap", default=True, show_default=True,
              help="The reasoner's value snap at inference (--no-snap: the ablation without it).")
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.pass_context
def eval_command(ctx: click.Context, data: str, checkpoint: str | None, task_name: str | None,
                 baseline: str | None, depths: str | None, per_depth: int, seed: int, as_json: bool,
                 plot: str | None, device: str, threads: int, snap: bool, progress: bool) -> None:
    """Evaluate a model on a task (listops, listops-python, listops-brackets, arith, arith-python, arith-c,
    logic, logic-smtlib, logic-python, invariants, synth, synth-values) or on a data FILE (.jsonl, or ListOps
    .tsv in any of the published layouts). Generated examples come from the task's evaluation split, which never shares
    an example with training. Without --checkpoint, the model shipped for the data's task family is used
    (a file's family is guessed from its examples, or named with --task)."""
    from recursa.tasks.examples import DataError

    if data in ("invariants", "synth", "synth-values") and not Path(data).exists():
        from recursa.commands.eval_guides import evaluate_guide

        given = ctx.get_parameter_source("per_depth") == click.core.ParameterSource.COMMANDLINE
        evaluate_guide(data, checkpoint, per_depth if given else None, seed, as_json, threads)
        return
    try:
        import torch

        if threads > 0:
            torch.set_num_threads(threads)
        dev = _device(device)
        spec = _task(data, depths)
        examples, data_name, family = _examples(data, spec, depths, per_depth, seed, task_name)
        models = [_load(checkpoint, dev, family, data)]
        if baseline is not None:
            models.append(_load(baseline, dev, family, data))
        for model, _, _ in models:
            model.set_value_snap(snap)
        reports = [_evaluate(model, name, model_dir, examples, data_name, dev, progress)
                   for model, name, model_dir in models]
    except DataError as exc:
        raise InputError(str(exc)) from None
    main, base = reports[0], (reports[1] if len(reports) > 1 else None)
    if plot:
        from recursa.train.plots import plot_depth_curves

        try:
            plot_depth_curves(reports, plot, train_depths=main.extra.get("train_depths"))
        except OSError as exc:
            raise InputError(f"{plot}: cannot write plot ({exc.strerror or exc})") from None
    if as_json:
        out = main.to_json()
        if base is not None:
            out["baseline"] = base.to_json()
        if plot:
            out["plot"] = plot
        click.echo(json.dumps(out, indent=1))
        return
    from recursa.tasks.metrics import format_table

    click.echo(format_table(main))
    if base is not None:
        click.echo("")
        click.echo(format_table(base))
    if plot:
        click.echo(f"plot: {plot}")


def _device(name: str) -> Any:
    from recursa.train.cli_support import resolve_device

    try:
        return resolve_device(name)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _task(data: str, depths: str | None) -> Any:
    """The task ``data`` names (``None`` for a data file), after checking it and the depth range: called before
    any model is loaded, so a typo fails fast."""
    from recursa.tasks.io import FORMATS
    from recursa.tasks.registry import get_task, parse_depths

    try:
        if depths:
            parse_depths(depths)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if Path(data).suffix.lower() in FORMATS:
        if not Path(data).is_file():
            raise InputError(f"{data}: no such file")
        return None
    if Path(data).exists():
        return None
    try:
        return get_task(data)
    except KeyError as exc:
        raise InputError(f"{exc.args[0]}; or give a .jsonl / .tsv file") from None


def _examples(data: str, spec: Any, depths: str | None, per_depth: int, seed: int,
              task_name: str | None) -> tuple[list[Any], str, str]:
    """The examples, a name for them, and their task family."""
    from recursa.tasks.families import FAMILIES, check_examples, family_of_task, guess_family
    from recursa.tasks.io import read_examples
    from recursa.tasks.registry import generate, parse_depths

    named = None
    if task_name is not None:
        named = family_of_task(task_name)
        if named is None:
            raise InputError(f"--task {task_name!r}: not a task family ({', '.join(FAMILIES)}) or a task with one")
    if spec is not None:
        if named is not None and named != spec.family:
            raise InputError(f"--task {task_name} ({named}) contradicts the task {spec.name} ({spec.family})")
        depth_list = parse_depths(depths) if depths else list(spec.eval_depths)
        examples = generate(spec, depth_list, per_depth, seed=seed, split="eval")
        return examples, f"{spec.name} (seed {seed})", spec.family
    examples = read_examples(data, depths)
    family = named or guess_family(examples, data).family
    check_examples(examples, family)
    return examples, data, family


def _load(path: str | None, dev: Any, family: str, data: str) -> tuple[Any, str, Path]:
    """A model (the shipped one of ``family`` when ``path`` is ``None``), its display name and directory;
    warns on stderr when its recorded training task belongs to another family than the data."""
    from recursa.paths import TASK_MODEL_DIRS
    from recursa.train.checkpoint import resolve_model_dir
    from recursa.train.models import ModelLoadError, load_model

    if path is None:
        model_dir = TASK_MODEL_DIRS.get(family)
        if model_dir is None or not (model_dir / "config.json").is_file():
            where = f" (it would be {model_dir})" if model_dir is not None else ""
            raise InputError(f"{data}: no model for the {family} task family ships with recursa{where}; train "
                             f"one with `recursa train {family} -o runs/{family}` and pass --checkpoint "
                             f"runs/{family}")
        name = f"recursa {family} model" if family != "listops" else "recursa default model"
    else:
        try:
            model_dir = resolve_model_dir(path)
        except FileNotFoundError as exc:
            raise InputError(str(exc)) from None
        name = str(path)
        trained = _trained_family(model_dir)
        if trained is not None and trained != family:
            click.echo(f"warning: {path} was trained on the {trained} task family, not on {family} ({data}): "
                       "expect chance-level accuracy", err=True)
    try:
        return load_model(model_dir, dev), name, model_dir
    except (ModelLoadError, ValueError, OSError) as exc:
        raise InputError(str(exc)) from None


def _trained_family(model_dir: Path) -> str | None:
    """The task family a model was trained on, from its recorded training task (``None`` when unknown, e.g.
    a model trained on a data file)."""
    from recursa.tasks.families import family_of_task

    task = _train_info(model_dir).get("train_task")
    return family_of_task(task) if isinstance(task, str) else None


def _evaluate(model: Any, name: str, model_dir: Path, examples: list[Any], data_name: str, dev: Any,
              progress: bool) -> Any:
    from recursa.train.evaluate import evaluate_dataset

    dataset = model.dataset(examples)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(dataset), desc=f"eval {model.kind}", unit="ex", file=sys.stderr, leave=False)
    try:
        extra = {"model_dir": str(model_dir), "model_kind": model.kind, **_train_info(model_dir)}
        extra["train_family"] = _trained_family(model_dir)
        extra["parameters"] = model.parameter_counts()
        extra["value_snap"] = model.value_snap
        return evaluate_dataset(model, dataset, f"{model.kind}: {name}", data_name, dev,
                                progress=bar.update if bar else None, extra=extra)
    finally:
        if bar is not None:
            bar.close()


def _train_info(model_dir: Path) -> dict[str, Any]:
    """Training depths / task recorded beside a checkpoint (``trainer_state.json`` or ``training.json``)."""
    for name in ("trainer_state.json", "training.json"):
        p = model_dir / name
        if p.is_file():
            try:
                cfg = json.loads(p.read_text(encoding="utf-8")).get("config", {})
            except (OSError, json.JSONDecodeError):
                return {}
            out: dict[str, Any] = {"train_task": cfg.get("task")}
            depths = cfg.get("depths")
            if not depths and cfg.get("task"):
                try:
                    from recursa.tasks.registry import get_task

                    lo, hi = get_task(cfg["task"]).train_depths
                    depths = f"{lo}-{hi}"
                except KeyError:
                    depths = None
            if depths:
                from recursa.tasks.registry import parse_depths

                out["train_depths"] = parse_depths(depths)
            return out
    return {}
