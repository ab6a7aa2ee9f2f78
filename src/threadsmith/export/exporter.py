"""The export: read a source, filter, split, write a trainer's files and the manifest, streaming.

::

    from threadsmith.export import ExportOptions, SplitSpec, export, file_source

    result = export(file_source("chats.jsonl"), "out/", ExportOptions(
        target="trl", split=SplitSpec.parse("0.9,0.05,0.05", seed=7)))
    print(result.sizes, result.leakage)

Records are written as they are read. A split needs a first pass that keeps small keys per
entry (splits.py; in worker processes for a large JSONL file: keys.py); the second pass writes. Finding filters read the audit's findings (run
by the source). Output: a folder (every target), or a single ``.jsonl`` file for the JSONL
targets without a split, with ``NAME.manifest.json`` beside it.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from threadsmith.config import Config
from threadsmith.errors import InputNotFound, UnsupportedConversion, UserError
from threadsmith.export.filters import EntryFilter, Filters
from threadsmith.export.keys import Chunk, parallel_keys
from threadsmith.export.manifest import MANIFEST_NAME, write_manifest
from threadsmith.export.sinks import Sink, open_sink, sha256_file
from threadsmith.export.splits import SplitPlan, SplitPlanner, SplitSpec
from threadsmith.export.targets import Target, get_target
from threadsmith.export.tokens import ESTIMATE, PriceTable, TokenStats, estimate_counts, tokenizer_counter
from threadsmith.formats import jsonl_chunks, read_file
from threadsmith.model import Conversation, Finding, RecordProblem
from threadsmith.workers import MIN_PARALLEL_BYTES, worker_count


#: Targets that carry per-turn weights (prompt-completion trains only its last turn anyway).
_KEEPS_WEIGHTS = frozenset({"openai", "axolotl", "jsonl", "trl-prompt-completion"})


@dataclass(frozen=True, slots=True)
class Excluded:
    """An entry the workspace excludes: counted, never exported."""

    id: str


Item = Conversation | RecordProblem | Excluded


@dataclass(frozen=True, slots=True)
class ExportSource:
    """Where conversations come from: a file or a workspace version."""

    #: What the manifest records as the source (path and SHA-256, or dataset and version).
    description: Mapping[str, Any]
    #: A fresh iterator over every item, in order (called once per pass).
    read: Callable[[], Iterator[Item]]
    #: The audit's findings, for finding filters (None: this source cannot audit).
    findings: Callable[[], Iterable[Finding]] | None = None
    #: How findings name entries: ``index`` (position in the file), ``id``, or ``ordinal``
    #: (position among the included entries, as a workspace audit numbers them).
    key: str = "index"
    #: A plain JSONL file's path, numbered raw lines in chunks (None: read sequentially) and its
    #: role map, so a split's first pass can run in worker processes.
    path: str | None = None
    chunks: Callable[[], Iterator[Chunk] | None] | None = None
    role_map: Mapping[str, str] = field(default_factory=dict)


def file_source(path: str | os.PathLike[str], *, config: Config | None = None) -> ExportSource:
    """A dataset file as an export source (audited on demand for finding filters)."""
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise InputNotFound(f"No such file: {name}")
    settings = config or Config()

    def findings() -> Iterable[Finding]:
        from threadsmith.audit import audit

        return audit([name], config=settings).findings

    def chunks() -> Iterator[Chunk] | None:
        return jsonl_chunks(name) if os.path.getsize(name) >= MIN_PARALLEL_BYTES else None

    description = {"kind": "file", "path": os.path.abspath(name), "sha256": sha256_file(name)}
    labels = {label.strip().lower(): role for label, role in settings.roles.items()}
    return ExportSource(description, lambda: read_file(name, role_map=settings.roles), findings, "index", name, chunks,
                        labels)


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What to export and how."""

    target: str = "jsonl"
    split: SplitSpec | None = None
    filters: Filters = field(default_factory=Filters)
    #: A tokenizer spec for exact token statistics (``threadsmith.rendering.load_tokenizer``).
    tokenizer: str | None = None
    template: str | None = None
    #: OpenAI: the model priced, an extra price table, and the epochs of the estimate.
    model: str | None = None
    price_table: str | None = None
    epochs: int = 3
    #: The dataset name used in trainer configs (default: the output folder's name).
    name: str | None = None
    base_model: str | None = None
    #: Leave out (and count, with the reasons in ``problems``) entries the target cannot take,
    #: instead of stopping at the first.
    skip_unsupported: bool = False


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One file an export wrote (path relative to the export folder)."""

    path: str
    sha256: str
    bytes: int
    split: str | None = None
    records: int | None = None


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote, how many entries went where, the leakage measured, tokens and cost."""

    output: str
    target: str
    files: tuple[ExportedFile, ...]
    sizes: dict[str, int]
    counts: dict[str, int]
    dropped: dict[str, int]
    leakage: dict[str, int] | None
    tokens: dict[str, Any]
    cost: dict[str, Any] | None
    manifest: str
    seconds: float
    problems: tuple[str, ...] = ()


@dataclass(slots=True)
class _Run:
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    weighted: bool = False
    #: Some record written has a ``tools`` column (LLaMA-Factory's dataset_info must name it).
    tools: bool = False


def export(source: ExportSource, output: str | os.PathLike[str], options: ExportOptions | None = None) -> ExportResult:
    """Export ``source`` to ``output`` (a folder, or a ``.jsonl`` file) for ``options.target``."""
    started = time.perf_counter()
    options = options or ExportOptions()
    target = get_target(options.target)
    existed = _existing(os.fspath(output))
    folder, paths = _layout(os.fspath(output), target, options.split)
    findings = None
    if options.filters.needs_findings:
        if source.findings is None:
            raise UserError("This source cannot be audited, so finding filters cannot apply.")
        findings = source.findings()
    entry_filter = EntryFilter.build(options.filters, findings, source.key)
    plan = _plan(source, entry_filter, options.split) if options.split else None
    entry_filter.restart()
    stats = _token_stats(options)
    run = _Run()
    sinks: dict[str, Sink] = {}
    try:
        for split, path in paths.items():
            arrow = target.arrow_file(split)
            sinks[split] = open_sink(os.path.join(folder, path), target.parquet,
                                     os.path.join(folder, arrow) if arrow else None)
        _write(source, target, entry_filter, plan, sinks, stats, run, options.skip_unsupported)
        hashes = {split: sink.commit() for split, sink in sinks.items()}
    except BaseException:
        for sink in sinks.values():
            sink.discard()
        _remove_new_folders(os.fspath(output), existed)
        raise
    sizes = {split: sink.records for split, sink in sinks.items()}
    files = [ExportedFile(path, hashes[split], os.path.getsize(os.path.join(folder, path)), split, sizes[split])
             for split, path in paths.items()]
    files += _extras(target, folder, paths, options, sizes, run)
    cost = None
    if target.name == "openai":
        cost = PriceTable.load(options.price_table).estimate(stats.totals("train"), options.model, options.epochs)
    counts = {"read": run.counts["read"], "unreadable": run.counts["unreadable"], "excluded": run.counts["excluded"],
              "filtered": sum(entry_filter.dropped.values()), "unused": run.counts["unused"],
              "unsupported": run.counts["unsupported"],
              "written": sum(sizes.values())}
    result = ExportResult(os.fspath(output), target.name, tuple(files), sizes, counts, dict(entry_filter.dropped),
                          plan.leakage if plan else None, stats.summary(), cost,
                          _manifest_path(os.fspath(output), folder), time.perf_counter() - started,
                          tuple(run.problems[:20]))
    write_manifest(result.manifest, _manifest_body(result, source, options, plan))
    return result


def _extras(target: Target, folder: str, paths: dict[str, str], options: ExportOptions, sizes: dict[str, int],
            run: _Run) -> list[ExportedFile]:
    """The files a target writes beside the data (trainer configs, dataset card)."""
    if target.finish is None:
        return []
    context = {"name": options.name or os.path.basename(os.path.abspath(folder)), "sizes": sizes,
               "weighted": run.weighted, "tools": run.tools, "base_model": options.base_model}
    out = []
    for extra in target.finish(folder, dict(paths), context):
        full = os.path.join(folder, extra)
        out.append(ExportedFile(extra, sha256_file(full), os.path.getsize(full)))
    return out


def _manifest_body(result: ExportResult, source: ExportSource, options: ExportOptions,
                   plan: SplitPlan | None) -> dict[str, Any]:
    split = None
    if options.split is not None and plan is not None:
        split = {**options.split.to_dict(), "sizes": plan.sizes, "groups": plan.groups,
                 "largest_group": plan.largest_group, "leakage": plan.leakage}
    return {
        "target": result.target, "source": dict(source.description), "filters": options.filters.to_dict(),
        "split": split, "counts": result.counts, "dropped": result.dropped,
        "files": [{"path": f.path, "split": f.split, "records": f.records, "bytes": f.bytes, "sha256": f.sha256}
                  for f in result.files],
        "tokens": result.tokens, "openai_cost": result.cost, "problems": list(result.problems),
    }


def _layout(output: str, target: Target, split: SplitSpec | None) -> tuple[str, dict[str, str]]:
    """The export folder and each split's data file in it."""
    if output.lower().endswith((".jsonl", ".json")):
        if split is not None or target.folder_only:
            why = "a split writes one file per split" if split is not None else f"{target.name} writes several files"
            raise UserError(f"Cannot export to the single file {output}: {why}.",
                            hint="Give -o a folder name (it is created).")
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            raise UserError(f"Cannot write {output}: the folder {folder} does not exist.")
        return folder, {"train": os.path.basename(output)}
    if os.path.exists(output) and not os.path.isdir(output):
        raise UserError(f"{output} is a file; exports to {target.name} go into a folder.",
                        hint="Give -o a folder name, or a .jsonl file for a single-file export.")
    names = split.names if split is not None else ("train",)
    os.makedirs(os.path.join(output, "data") if target.parquet else output, exist_ok=True)
    return output, {name: target.data_file(name) for name in names}


def _existing(output: str) -> set[str]:
    """The folders of an export's layout that are there before it starts (see :func:`_remove_new_folders`)."""
    if not os.path.isdir(output):
        return set()
    return {os.path.join(root, name) for root, names, _ in os.walk(output) for name in names} | {output}


def _remove_new_folders(output: str, existed: set[str]) -> None:
    """After a failed export, the empty folders it made (deepest first); the user's own stay."""
    if not os.path.isdir(output):
        return
    for root, _, _ in sorted(os.walk(output), key=lambda item: -item[0].count(os.sep)):
        if root not in existed and not os.listdir(root):
            os.rmdir(root)


def _manifest_path(output: str, folder: str) -> str:
    if os.path.isdir(output):
        return os.path.join(folder, MANIFEST_NAME)
    stem = os.path.basename(output).rsplit(".", 1)[0]
    return os.path.join(folder, f"{stem}.manifest.json")


def _entries(source: ExportSource, run: _Run | None = None) -> Iterator[Conversation]:
    """The readable, included conversations of a source (counting the rest in ``run``)."""
    for item in source.read():
        if isinstance(item, Conversation):
            if run is not None:
                run.counts["read"] += 1
            yield item
        elif run is None:
            continue
        elif isinstance(item, Excluded):
            run.counts["excluded"] += 1
        else:
            run.counts["unreadable"] += 1
            run.problems.append(f"line {item.line}: {item.detail}" if item.line else item.detail)


def _plan(source: ExportSource, entry_filter: EntryFilter, spec: SplitSpec) -> SplitPlan:
    """First pass: the keys of every kept entry (in worker processes for a large JSONL file), then the splits."""
    planner = SplitPlanner(spec)
    workers = worker_count()
    chunks = source.chunks() if source.chunks is not None and source.path and workers > 1 else None
    if chunks is None:
        for conversation in _entries(source):
            if entry_filter.keep(conversation):
                planner.observe(conversation)
        return planner.plan()
    for item in parallel_keys(source.path, chunks, source.role_map, spec.stratify, workers):  # type: ignore[arg-type]
        if not isinstance(item, RecordProblem) and entry_filter.keep(item[0]):
            planner.add(item[1])
    return planner.plan()


def _write(source: ExportSource, target: Target, entry_filter: EntryFilter, plan: SplitPlan | None,
           sinks: dict[str, Sink], stats: TokenStats, run: _Run, skip_unsupported: bool = False) -> None:
    """Second (or only) pass: each kept entry to its split's file."""
    names = plan.names if plan else ("train",)
    assignment = plan.assignment if plan else None
    row = 0
    for conversation in _entries(source, run):
        if not entry_filter.keep(conversation):
            continue
        split = 0
        if assignment is not None:
            split = int(assignment[row])
            row += 1
            if split >= len(names):
                run.counts["unused"] += 1
                continue
        name = names[split]
        try:
            record = target.build(conversation)
        except UnsupportedConversion as exc:
            if not skip_unsupported:
                raise exc.skippable(target.name) from None
            run.counts["unsupported"] += 1
            if len(run.problems) < 20:
                run.problems.append(f"left out: {exc}")
            continue
        run.tools = run.tools or "tools" in record
        sinks[name].write(record)
        stats.add(name, conversation)
        if any(m.weight is not None for m in conversation.messages):
            run.weighted = True
            run.counts["untrained"] += any(m.role == "assistant" and m.weight == 0 for m in conversation.messages)
    if run.counts["untrained"] and target.name not in _KEEPS_WEIGHTS:
        run.problems.insert(0, f"{run.counts['untrained']:,} entries have assistant turns with weight 0; {target.name} "
                               "has no per-turn weight, so a trainer will train them (openai, axolotl and jsonl keep "
                               "weights)")


def _token_stats(options: ExportOptions) -> TokenStats:
    if options.tokenizer is None:
        return TokenStats(estimate_counts, ESTIMATE)
    from threadsmith.rendering import load_tokenizer

    tokenizer = load_tokenizer(options.tokenizer, template=options.template)
    name = getattr(tokenizer, "name", options.tokenizer)
    return TokenStats(tokenizer_counter(tokenizer), f"tokenizer {name} (template {getattr(tokenizer, 'template_name', '?')})")
