"""Probe commands: ``probe init``, ``probe run``, ``probe runs``, ``probe compile``, ``compare`` and
``serve-model``.

Each parses, makes one call into :mod:`threadsmith.probe.facade`, and renders. The probe
package is imported inside the commands so ``threadsmith --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import click
from rich.markup import escape

from threadsmith.cli.render import console


@click.group("probe")
def probe_group() -> None:
    """Test a model's behavior with a probe suite (docs/probe.md)."""


@probe_group.command("init")
@click.option("--from", "source", required=True,
              help="Dataset file, or a workspace dataset name, to tailor the suite to.")
@click.option("--workspace", envvar="THREADSMITH_WORKSPACE", default="threadsmith-workspace", type=click.Path(),
              help="Workspace holding the dataset named by --from (env THREADSMITH_WORKSPACE).")
@click.option("-o", "--output", default="probes.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="The suite file to write.")
@click.option("--name", help="Suite name (default: the dataset file's name).")
def init_command(source: str, output: str, name: str | None, workspace: str) -> None:
    """Write a starter probe suite tailored to a dataset: its character, prompts, formatting and lengths."""
    from threadsmith.probe.facade import init_suite

    count = init_suite(source, output, name, workspace)
    console(stderr=True).print(f"[green]wrote[/] {escape(output)}: {count} probes; "
                               "edit it, then `threadsmith probe run`")


@probe_group.command("compile")
@click.argument("suite", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The JSONL file to write.")
def compile_command(suite: str, output: str) -> None:
    """Check a suite and write it as JSONL, one fully resolved probe per line."""
    from threadsmith.probe import compile_suite, load_suite

    loaded = load_suite(suite)
    with open(output, "w", encoding="utf-8") as out:
        out.write(compile_suite(loaded))
    console(stderr=True).print(f"[green]wrote[/] {escape(output)}: {len(loaded.probes)} probes")


@probe_group.command("run")
@click.argument("suite", type=click.Path())
@click.option("--model", help="Model folder, .gguf file, cached hub id, or http(s)://host/v1[#name].")
@click.option("--run", "run_name", help="A finished training run of the workspace: its base model and adapter; "
              "results are linked to it and its dataset version, saved in its folder, and recorded.")
@click.option("--workspace", envvar="THREADSMITH_WORKSPACE", default="threadsmith-workspace", type=click.Path(),
              help="Workspace holding the --run, and where --record stores results (env THREADSMITH_WORKSPACE).")
@click.option("--adapter", type=click.Path(), help="A PEFT (LoRA) adapter folder over a local model.")
@click.option("--system-prompt-baseline", "baseline", is_flag=True,
              help="Add the suite's baseline_prompt to the system prompt (the prompting baseline).")
@click.option("--variant", help="Label in reports (default: base, prompted or tuned).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Results JSON (default: SUITE.VARIANT.json).")
@click.option("--record/--no-record", default=None,
              help="Store the results in the workspace as probe-N (default: on with --run, else off).")
@click.option("--dataset", help="With --record: the workspace dataset the results judge (default: the --run's).")
@click.option("--version", "version", help="With --dataset: its version [default: latest].")
@click.option("--no-cache", is_flag=True, help="Generate again even when replies are cached.")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True,
              help="Environment variable holding the endpoint's API key, if any.")
@click.option("--judge", help="Optional judge: an OpenAI-compatible endpoint (http(s)://host/v1) asked a fixed "
              "yes/no rubric per role and agency reply; its score is shown beside the automatic one.")
@click.option("--judge-model", help="With --judge: the model name to ask for.")
def run_command(suite: str, model: str | None, run_name: str | None, workspace: str, adapter: str | None,
                baseline: bool, variant: str | None, output: str | None, record: bool | None, dataset: str | None,
                version: str | None, no_cache: bool, api_key_env: str, judge: str | None,
                judge_model: str | None) -> None:
    """Run a probe suite on a model (or a training run) and score every behavior."""
    from threadsmith.probe.facade import run_probe

    label = variant or ("prompted" if baseline else "tuned" if adapter or run_name else "base")
    record = bool(run_name) if record is None else record
    if output is None and not run_name and not record:
        output = f"{os.path.splitext(suite)[0]}.{label}.json"
    err = console(stderr=True)
    run = run_probe(suite, model, adapter=adapter, baseline=baseline, variant=label, output=output,
                    cache=not no_cache, api_key=os.environ.get(api_key_env), run_name=run_name, workspace=workspace,
                    record=record, dataset=dataset, version=version, judge=judge, judge_model=judge_model,
                    progress=lambda probe: err.print(f"[dim]probe {escape(probe.id)}[/]"))
    out = console()
    judged = run.metadata.get("judge", {}).get("scores", {})
    for behavior, score in run.behavior_scores().items():
        verdict = judged.get(behavior, "")
        aside = f"   judge {'-' if verdict is None else f'{verdict:.2f}'}" if behavior in judged else ""
        out.print(f"{behavior:12} {'-' if score is None else f'{score:.2f}'}{aside}")
    if run.metadata.get("judge", {}).get("unreadable"):
        err.print(f"[yellow]judge:[/] {run.metadata['judge']['unreadable']} answers could not be read as yes/no")
    if run_name:
        output = output or f"{run.metadata['output']}/probes/{run.suite}.{label}.json"
    if output:
        err.print(f"[green]wrote[/] {escape(str(output))}")
    if record:
        err.print(f"[green]recorded[/] {escape(str(run.metadata['probe_run']))} in {escape(workspace)}")


@probe_group.command("runs")
@click.option("--workspace", envvar="THREADSMITH_WORKSPACE", default="threadsmith-workspace", type=click.Path(),
              help="Workspace folder or .sqlite file (env THREADSMITH_WORKSPACE).")
@click.option("--dataset", help="Only runs linked to this dataset.")
@click.option("--run", "run_name", help="Only runs of this training run.")
@click.option("--suite", "suite_name", help="Only runs of this suite (by name).")
def runs_command(workspace: str, dataset: str | None, run_name: str | None, suite_name: str | None) -> None:
    """Probe runs stored in the workspace, newest first, with their per-behavior scores."""
    from threadsmith.workspace import Workspace

    with Workspace.open(workspace, create=False) as ws:
        found = ws.probe_runs(dataset, training_run=run_name, suite=suite_name)
    out = console()
    for r in found:
        link = f"{r.training_run or 'base'}" + (f", {r.dataset} v{r.version}" if r.dataset else "")
        scores = " ".join(f"{b}={'-' if v is None else f'{v:.2f}'}" for b, v in r.scores.items())
        out.print(f"[bold]{escape(r.name)}[/] {escape(r.suite)} {escape(r.variant)} ({escape(link)}) "
                  f"{escape(r.model)}  {escape(scores)}")
    if not found:
        console(stderr=True).print("no stored probe runs (threadsmith probe run SUITE ... --record)")


@click.command("compare")
@click.argument("results", nargs=-1, required=True)
@click.option("--workspace", envvar="THREADSMITH_WORKSPACE", default="threadsmith-workspace", type=click.Path(),
              help="Workspace holding stored probe runs named in RESULTS (env THREADSMITH_WORKSPACE).")
@click.option("--dataset", type=click.Path(), help="Dataset file: list the entries behind each behavior to fix "
              "(stored runs default to their dataset version in the workspace).")
@click.option("--suite", type=click.Path(), help="The suite, for the multiple-choice answer keys (accuracy).")
@click.option("--html", type=click.Path(dir_okay=False), help="Also write an HTML report.")
def compare_command(results: tuple[str, ...], workspace: str, dataset: str | None, suite: str | None,
                    html: str | None) -> None:
    """Compare probe results (base first, then prompted, fine-tuned ...): deltas, worst examples, what to fix.

    RESULTS are result files or probe runs stored in the workspace: probe-N, or run-N (the newest
    probe run of training run N), e.g. `compare run-1 run-2` for cycle 2 against cycle 1."""
    from threadsmith.probe.facade import compare_files

    _, _, text = compare_files(list(results), dataset=dataset, html=html, suite=suite, workspace=workspace)
    click.echo(text, nl=False)
    sys.stdout.flush()
    if html:
        console(stderr=True).print(f"[green]wrote[/] {escape(html)}")


@click.command("serve-model")
@click.option("--model", required=True, help="Model folder, .gguf file or cached hub id.")
@click.option("--adapter", type=click.Path(), help="A PEFT (LoRA) adapter folder.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve_model_command(model: str, adapter: str | None, host: str, port: int) -> None:
    """Serve a local model on an OpenAI-compatible endpoint (POST /v1/chat/completions)."""
    from threadsmith.probe.facade import serve_model

    serve_model(model, adapter, host, port,
                ready=lambda url: console(stderr=True).print(f"serving {escape(model)} at {escape(url)}"))


COMMANDS = [probe_group, compare_command, serve_model_command]
