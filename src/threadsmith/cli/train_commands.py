"""Training commands: train, runs (list, show, compare), chat, accelerate-config.

``threadsmith.train`` (torch, transformers, TRL, PEFT) is imported inside the commands that need
it, so the CLI starts fast and works without the train extra.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import click

from threadsmith.cli.render import console
from threadsmith.cli.options import workspace_option
from threadsmith.cli.workspace_render import print_json
from threadsmith.workspace import Workspace

_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                       help="text for people, json for tools.")


def _train_options(command: Any) -> Any:
    options = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Training settings (.toml or .yaml)."),
        click.option("--model", help="Base model: hub id, local folder, or .gguf file."),
        click.option("-d", "--dataset", help="Workspace dataset to train on."),
        click.option("--version", help="With --dataset: the version (number, tag, latest~N) [default: latest]."),
        click.option("--data", help="A JSONL file, or an export manifest.json, instead of a workspace dataset."),
        click.option("--method", type=click.Choice(["lora", "qlora", "full"]), help="[default: lora]"),
        click.option("--learning-rate", "--lr", "learning_rate", type=float,
                     help="[default: 1e-4 for LoRA/QLoRA, 1e-5 for full]"),
        click.option("--lora-r", type=int, help="LoRA rank [default: 16]."),
        click.option("--lora-alpha", type=int, help="LoRA alpha [default: 2 x rank]."),
        click.option("--lora-dropout", type=float, help="[default: 0.05]"),
        click.option("--target-modules", help="Comma-separated module names [default: per architecture]."),
        click.option("--epochs", type=float, help="[default: 2]"),
        click.option("--max-steps", type=int, help="Stop after this many optimizer steps (overrides epochs)."),
        click.option("--batch-size", type=int, help="Per device [default: 8]."),
        click.option("--gradient-accumulation", type=int, help="[default: 1]"),
        click.option("--max-length", type=int, help="Tokens per sequence [default: from the data's token counts]."),
        click.option("--packing/--no-packing", default=None, help="Pack conversations into full rows [default: on]."),
        click.option("--long", type=click.Choice(["window", "truncate", "drop"]),
                     help="A conversation longer than max-length: split into windows that each keep the system "
                          "prompt, cut at the end, or left out [default: window]."),
        click.option("--all-tokens", is_flag=True, help="Train on every token, not only assistant turns."),
        click.option("--validation", type=float, help="Held-out fraction (< 1) or count [default: 0.05]."),
        click.option("--early-stopping", type=int, help="Stop after N evaluations without improvement (0: off)."),
        click.option("--seed", type=int),
        click.option("--precision", type=click.Choice(["auto", "bf16", "fp16", "fp32"])),
        click.option("--gradient-checkpointing", type=click.Choice(["auto", "on", "off"])),
        click.option("--attention", type=click.Choice(["auto", "sdpa", "eager", "flash_attention_2", "varlen"])),
        click.option("--liger", "use_liger_kernel", is_flag=True, default=None,
                     help="Liger's Triton kernels (RMSNorm, RoPE, SwiGLU) via TRL; CUDA + pip install liger-kernel."),
        click.option("--logging-steps", type=int, help="Log metrics every N steps [default: 10]."),
        click.option("-o", "--output", type=click.Path(file_okay=False), help="Output folder [default: WORKSPACE/runs/RUN]."),
        click.option("--merge", is_flag=True, default=None, help="Also save the adapter merged into the base model."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("train")
@_train_options
@workspace_option
@_FORMAT
def train_command(config_path: str | None, workspace: str | None, fmt: str, target_modules: str | None,
                  all_tokens: bool, **flags: Any) -> None:
    """Fine-tune a model (LoRA, QLoRA or full) on a dataset version; the run is recorded in the workspace."""
    from threadsmith.train import load_train_config, train

    flags["lora_target_modules"] = tuple(t.strip() for t in target_modules.split(",")) if target_modules else None
    flags["assistant_only_loss"] = False if all_tokens else None
    config = load_train_config(config_path).overridden(workspace=workspace, **flags)
    err = console(stderr=True)
    for warning in config.warnings():
        err.print(f"[yellow]warning[/] {warning}")
    with _progress(enabled=fmt == "text") as (tick, report):
        result = train(config, report=report, tick=tick)
    if fmt == "json":
        print_json({"run": result.run, "output": result.output, "paths": result.paths, "summary": result.summary,
                    "data": result.source.describe(), "warnings": list(result.warnings)})
        return
    out = console()
    for warning in result.plan.warnings:
        err.print(f"[yellow]warning[/] {warning}")
    out.print(f"[green]trained[/] {result.run or '(not recorded: no workspace)'} on {result.source.describe()}")
    for name, path in result.paths.items():
        out.print(f"  {name}: {path}")
    out.print("  " + ", ".join(f"{k} {v}" for k, v in result.summary.items() if v is not None))


@contextlib.contextmanager
def _progress(*, enabled: bool) -> Iterator[tuple[Any, Any]]:
    """A step bar with the latest loss on stderr (terminals only)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    err = console(stderr=True)
    if not enabled or not err.is_terminal:
        yield None, None
        return
    bar = Progress(TextColumn("[bold]training[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=err, transient=True)
    task = bar.add_task("", total=None)

    def tick(step: int, total: int) -> None:
        bar.update(task, completed=step, total=total)

    def report(kind: str, step: int, values: dict[str, Any]) -> None:
        if kind == "train":
            speed = f" {values['tokens_per_s']:,.0f} tok/s" if "tokens_per_s" in values else ""
            bar.update(task, description=f"loss {values.get('loss', 0):.4f}{speed}")
        else:
            bar.console.print(f"step {step}: validation loss {values.get('eval_loss', 0):.4f}")

    with bar:
        yield tick, report


@click.group("runs")
def runs_group() -> None:
    """Training runs recorded in the workspace: list, show, compare."""


@runs_group.command("list")
@click.option("-d", "--dataset", help="Only runs on this dataset.")
@workspace_option
@_FORMAT
def runs_list(dataset: str | None, workspace: str | None, fmt: str) -> None:
    """Every run, newest first."""
    with Workspace.open(workspace, create=False) as ws:
        runs = ws.runs(dataset)
    if fmt == "json":
        print_json(runs)
        return
    from rich.table import Table

    table = Table("run", "status", "data", "method", "lr", "steps", "loss", "eval loss", "started")
    for run in runs:
        s = run.summary
        table.add_row(run.name, run.status, str(run.data.get("describe")), str(run.config.get("method")),
                      f"{run.config.get('learning_rate', 0):g}", str(s.get("steps", "")), str(s.get("final_loss", "")),
                      str(s.get("eval_loss", "")), run.started_at)
    console().print(table)


@runs_group.command("show")
@click.argument("run")
@workspace_option
@_FORMAT
def runs_show(run: str, workspace: str | None, fmt: str) -> None:
    """One run: data, settings, environment, outcome and its per-step metrics."""
    with Workspace.open(workspace, create=False) as ws:
        found = ws.run(run)
        metrics = ws.run_metrics(run)
    if fmt == "json":
        print_json({**found.to_dict(), "metrics": [{"kind": m.kind, "step": m.step, **m.values} for m in metrics]})
        return
    out = console()
    out.print(f"[bold]{found.name}[/] {found.status}  {found.started_at} -> {found.finished_at or '...'}")
    out.print(f"  data: {found.data.get('describe')}  sha256: {found.data.get('sha256') or '-'}  "
              f"manifest: {found.data.get('manifest_sha256') or '-'}")
    out.print(f"  output: {found.output or '-'}  device: {found.environment.get('device')}")
    out.print("  settings: " + ", ".join(f"{k}={v}" for k, v in found.config.items() if v is not None))
    out.print("  libraries: " + ", ".join(f"{k} {v}" for k, v in found.environment.get("libraries", {}).items()))
    if found.error:
        out.print(f"  [red]error[/] {found.error}")
    out.print("  result: " + ", ".join(f"{k} {v}" for k, v in found.summary.items() if v is not None))
    for metric in metrics:
        out.print(f"  {metric.kind:5} step {metric.step:>5}  " +
                  "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in metric.values.items()))


@runs_group.command("compare")
@click.argument("runs", nargs=-1, required=True)
@workspace_option
@_FORMAT
def runs_compare(runs: tuple[str, ...], workspace: str | None, fmt: str) -> None:
    """Runs side by side: the settings that differ, the final figures and loss curves as sparklines."""
    with Workspace.open(workspace, create=False) as ws:
        comparison = ws.compare_runs(runs)
        curves = {kind: [[m.values.get(key) for m in ws.run_metrics(run.name, kind)] for run in comparison.runs]
                  for kind, key in (("train", "loss"), ("eval", "eval_loss"))}
    names = [run.name for run in comparison.runs]
    if fmt == "json":
        print_json({"runs": names, "settings": comparison.settings, "figures": comparison.figures})
        return
    from rich.table import Table

    table = Table("", *names)
    for key, values in comparison.settings.items():
        table.add_row(key, *(str(v) for v in values))
    for key, values in comparison.figures.items():
        table.add_row(f"[bold]{key}[/]", *(str(v) for v in values))
    for kind, label in (("train", "loss"), ("eval", "validation loss")):
        lines = sparklines(curves[kind])
        if any(lines):
            low, high = _span(curves[kind])
            table.add_row(f"[bold]{label}[/] [dim]{low:.3g}..{high:.3g}[/]", *(line or "-" for line in lines))
    console().print(table)


SPARKS = "▁▂▃▄▅▆▇█"


def _finite(values: list[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and v == v
            and abs(v) != float("inf")]


def _span(series: list[list[Any]]) -> tuple[float, float]:
    every = [v for values in series for v in _finite(values)]
    return (min(every), max(every)) if every else (0.0, 0.0)


def sparklines(series: list[list[Any]], width: int = 24) -> list[str]:
    """One sparkline per series on a shared scale (so runs compare by height), each resampled to ``width``."""
    low, high = _span(series)
    out = []
    for values in series:
        found = _finite(values)
        if not found:
            out.append("")
            continue
        if len(found) > width:  # the mean of each of ``width`` equal slices
            cuts = [round(i * len(found) / width) for i in range(width + 1)]
            found = [sum(found[a:b]) / (b - a) for a, b in zip(cuts, cuts[1:]) if b > a]
        scale = (len(SPARKS) - 1) / (high - low) if high > low else 0.0
        out.append("".join(SPARKS[round((v - low) * scale)] if scale else SPARKS[3] for v in found))
    return out


@click.command("chat")
@click.option("--model", required=True, help="Base model: hub id, local folder, or .gguf file.")
@click.option("--adapter", type=click.Path(file_okay=False), help="A PEFT adapter folder (a run's output/adapter).")
@click.option("--system", help="System prompt.")
@click.option("--prompt", help="Answer this one message and exit (no interactive session).")
@click.option("--max-new-tokens", type=int, default=200, show_default=True)
@click.option("--temperature", type=float, default=0.0, show_default=True, help="0 = greedy.")
def chat_command(model: str, adapter: str | None, system: str | None, prompt: str | None, max_new_tokens: int,
                 temperature: float) -> None:
    """Talk to a model (and adapter) in the terminal; --prompt for one reply."""
    from threadsmith.train.chat import ChatModel, ChatTurn

    chat = ChatModel(model, adapter)
    history = [ChatTurn("system", system)] if system else []
    for text in ([prompt] if prompt is not None else _lines()):
        history.append(ChatTurn("user", text))
        answer = chat.reply(history, max_new_tokens=max_new_tokens, temperature=temperature)
        history.append(ChatTurn("assistant", answer))
        click.echo(answer)


def _lines() -> Iterator[str]:
    while True:
        try:
            text = click.prompt("you", prompt_suffix="> ", err=True)
        except (EOFError, click.Abort):
            return
        if text.strip() in ("/exit", "/quit"):
            return
        yield text


@click.command("accelerate-config")
@click.argument("kind", type=click.Choice(["fsdp", "deepspeed", "multi-gpu"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: stdout).")
@click.option("--processes", type=int, default=8, show_default=True, help="GPUs over all machines.")
@click.option("--machines", type=int, default=1, show_default=True)
@click.option("--machine-rank", type=int, default=0, show_default=True)
@click.option("--main-ip", help="Address of machine 0 (multi-node).")
@click.option("--zero-stage", type=int, default=3, show_default=True, help="DeepSpeed ZeRO stage.")
@click.option("--offload", is_flag=True, help="Offload optimizer (and ZeRO-3 parameters) to CPU memory.")
@click.option("--precision", type=click.Choice(["bf16", "fp16", "fp32"]), default="bf16", show_default=True)
def accelerate_config_command(kind: str, output: str | None, processes: int, machines: int, machine_rank: int,
                              main_ip: str | None, zero_stage: int, offload: bool, precision: str) -> None:
    """Write an accelerate config for multi-GPU / multi-node training (FSDP, DeepSpeed, data parallel)."""
    from threadsmith.train.distributed import accelerate_config, launch_command, to_yaml

    text = to_yaml(accelerate_config(kind, processes=processes, machines=machines, machine_rank=machine_rank,
                                     main_ip=main_ip, zero_stage=zero_stage, offload=offload, precision=precision))
    if output is None:
        sys.stdout.write(text)
        return
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    console(stderr=True).print(f"[green]wrote[/] {output}\n  run: {launch_command(output)}")


COMMANDS = [train_command, runs_group, chat_command, accelerate_config_command]
