"""One call per command: what ``threadsmith probe init / run``, ``compare`` and ``serve-model`` do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from threadsmith.errors import InputNotFound, UserError
from threadsmith.probe.compare import Comparison, compare_runs
from threadsmith.probe.report import FixLink, html_report, text_report
from threadsmith.probe.results import RunResult, load_run, save_run
from threadsmith.probe.suite import Probe, Suite
from threadsmith.probe.suite_file import load_suite

if TYPE_CHECKING:
    from threadsmith.workspace import Workspace


def init_suite(source: str, output: str | Path, name: str | None = None, workspace: str | None = None) -> int:
    """Write a starter suite tailored to a dataset file, or to a workspace dataset's latest version
    (``source`` names it when it is not a file); returns the number of probes."""
    from threadsmith.probe.scaffold import suite_yaml, tailored_suite

    if Path(source).is_file():
        from threadsmith.formats import read_file

        data = tailored_suite(read_file(source), name=name or Path(source).stem)
    elif workspace is not None and Path(workspace).exists():
        from threadsmith.workspace import Workspace

        with Workspace.open(workspace, create=False) as ws:
            data = tailored_suite(ws.conversations(source), name=name or source)
    else:
        raise InputNotFound(f"{source}: no such dataset file" + ("" if workspace else " (or pass --workspace)"),
                            hint="Pass a dataset file, or a dataset name with --workspace.")
    Path(output).write_text(suite_yaml(data), encoding="utf-8")
    return len(data["probes"])


def training_run(name: str, workspace: str) -> tuple[str, str | None, dict[str, object]]:
    """(base model, adapter folder or None, link metadata) of a finished training run in the workspace."""
    from threadsmith.workspace import Workspace

    with Workspace.open(workspace, create=False) as ws:
        run = ws.run(name)
    if run.status != "finished" or not run.output:
        raise UserError(f"training run {run.name} is {run.status}, with no output to probe",
                        hint="Probe a finished run (threadsmith runs list).")
    folder = Path(run.output)
    link = {"run": run.name, "dataset": run.dataset, "version": run.version, "output": run.output}
    if (folder / "adapter").is_dir():
        return str(run.config.get("model")), str(folder / "adapter"), link
    if (folder / "config.json").is_file():  # a full fine-tune: the folder is the model
        return str(folder), None, link
    raise UserError(f"training run {run.name}: no adapter or model in {folder}")


def run_probe(suite_path: str, model: str | None, *, adapter: str | None = None, baseline: bool = False,
              variant: str | None = None, output: str | Path | None = None, cache: bool = True,
              api_key: str | None = None, progress: Callable[[Probe], None] | None = None,
              run_name: str | None = None, workspace: str | None = None, record: bool = False,
              dataset: str | None = None, version: str | None = None, judge: str | None = None,
              judge_model: str | None = None) -> RunResult:
    """Run a suite against a model, or a training run of the workspace (``run_name``: its base model
    and adapter; the results are linked to the run and its dataset version, and saved in its folder
    unless ``output`` says otherwise). Saves the results when there is an ``output``. ``record``
    stores them in the workspace (``dataset``/``version`` link a base model's run to a dataset
    version); the stored run's name is then ``metadata["probe_run"]``. ``judge`` (an OpenAI-compatible
    endpoint URL) adds a judge model's verdicts on role and agency as ``metadata["judge"]``."""
    from threadsmith.probe.backend import open_backend
    from threadsmith.probe.local_backend import cache_dir
    from threadsmith.probe.runner import ReplyCache, run_suite

    suite = load_suite(suite_path)
    link: dict[str, object] = {}
    if run_name:
        model, adapter, link = training_run(run_name, workspace or "threadsmith-workspace")
    if not model:
        raise UserError("no model to probe", hint="Pass --model, or --run NAME for a training run.")
    if record and dataset and workspace:  # a bad dataset name fails before any generation
        _check_dataset(workspace, dataset, version)
    if judge and not judge.startswith(("http://", "https://")):
        raise UserError(f"--judge {judge}: not an http(s) URL", hint="Pass an OpenAI-compatible endpoint, "
                        "e.g. --judge http://localhost:8080/v1 --judge-model NAME.")
    backend = open_backend(model, adapter, api_key=api_key)
    label = variant or ("prompted" if baseline else "tuned" if adapter or run_name else "base")
    run = run_suite(suite, backend, variant=label, system_prompt_baseline=baseline,
                    cache=ReplyCache(cache_dir() / "probe" if cache else None), progress=progress)
    if judge:
        run = replace(run, metadata={**run.metadata, "judge": _judge(run, suite, judge, judge_model, api_key, cache)})
    if link:
        run = replace(run, metadata={**run.metadata, **link})
        output = output or Path(str(link["output"])) / "probes" / f"{suite.name}.{label}.json"
        Path(output).parent.mkdir(parents=True, exist_ok=True)
    if record:
        run = _record(run, suite, workspace or "threadsmith-workspace", adapter=adapter, run_name=run_name,
                      dataset=dataset, version=version)
    if output is not None:
        save_run(run, output)
    return run


def _judge(run: RunResult, suite: Suite, url: str, model: str | None, api_key: str | None,
           cache: bool) -> dict[str, object]:
    from threadsmith.probe.http_backend import HttpBackend
    from threadsmith.probe.judge import Judge, judge_run
    from threadsmith.probe.local_backend import cache_dir

    backend = HttpBackend(url, model, api_key=api_key)
    try:
        return judge_run(run, suite, Judge(backend, cache_dir() / "probe" / "judge" if cache else None))
    finally:
        backend.close()


def _check_dataset(workspace: str, dataset: str, version: str | None) -> None:
    from threadsmith.workspace import Workspace

    with Workspace.open(workspace, create=False) as ws:
        ws.resolve(dataset, version)


def _record(run: RunResult, suite: Suite, workspace: str, *, adapter: str | None, run_name: str | None,
            dataset: str | None, version: str | None) -> RunResult:
    from threadsmith.probe.records import record_run
    from threadsmith.workspace import Workspace

    with Workspace.open(workspace) as ws:
        stored = record_run(ws, run, suite, adapter=adapter, training_run=run_name, dataset=dataset, version=version)
    meta = {"probe_run": stored.name, **({"dataset": stored.dataset, "version": stored.version}
                                         if stored.dataset else {})}
    return replace(run, metadata={**run.metadata, **meta})


def compare_files(paths: Sequence[str], dataset: str | None = None, html: str | None = None,
                  suite: str | None = None, workspace: str | None = None) -> tuple[Comparison, list[FixLink], str]:
    """Compare runs (the first is the base): result files, or runs stored in the ``workspace``
    (``probe-3``, or ``run-2`` for a training run's newest probe run). Returns the comparison,
    dataset links and text report. With stored runs and no ``dataset`` file, the links come from
    the audit of the dataset version the last linked run trained on."""
    if len(paths) < 2:
        raise UserError("compare needs at least two result files or stored probe runs: the base first, then the "
                        "others")
    stored = [p for p in paths if not Path(p).is_file()]
    if stored and workspace is None:
        raise InputNotFound(f"{stored[0]}: no such probe results file",
                            hint="Pass result files, or stored probe run names with --workspace.")
    if not stored:
        return _compare([load_run(p) for p in paths], dataset, html, suite, None)
    from threadsmith.probe.records import stored_results
    from threadsmith.workspace import Workspace

    with Workspace.open(workspace, create=False) as ws:
        refs = {p: i for i, p in enumerate(paths) if p in stored}
        loaded = dict(zip(refs.values(), stored_results(ws, list(refs)), strict=True))
        runs = [loaded[i] if i in loaded else load_run(p) for i, p in enumerate(paths)]
        return _compare(runs, dataset, html, suite, ws)


def _compare(runs: list[RunResult], dataset: str | None, html: str | None, suite: str | None,
             ws: Workspace | None) -> tuple[Comparison, list[FixLink], str]:
    if len({r.suite for r in runs}) > 1:
        raise UserError(f"the results come from different suites ({', '.join(sorted({r.suite for r in runs}))})",
                        hint="Compare runs of the same suite.")
    answers = None
    if suite:
        answers = {p.id: p.answer for p in load_suite(suite).probes if p.choices}
    comparison = compare_runs(runs, answers)
    from threadsmith.probe.records import fix_links

    links = fix_links(comparison, runs, ws, dataset)
    if html:
        Path(html).write_text(html_report(comparison, links), encoding="utf-8")
    return comparison, links, text_report(comparison, links)


def serve_model(model: str, adapter: str | None = None, host: str = "127.0.0.1", port: int = 8000,
                ready: Callable[[str], None] | None = None) -> None:
    """Serve a local model on an OpenAI-compatible endpoint until interrupted."""
    from threadsmith.probe.backend import open_backend
    from threadsmith.probe.server import make_server

    server = make_server(open_backend(model, adapter), host, port)
    if ready is not None:
        ready(f"http://{server.server_address[0]}:{server.server_address[1]}/v1")
    try:
        server.serve_forever()
    finally:
        server.server_close()
