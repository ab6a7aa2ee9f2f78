"""Recording a run in the workspace: start (settings, data, environment), metrics as logged, end.

Training from a workspace dataset always records. Training from a file records in the
workspace named by ``workspace`` (or THREADSMITH_WORKSPACE / ./threadsmith-workspace) when one
exists there, and otherwise trains unrecorded (the result says so).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from threadsmith.model import Conversation
from threadsmith.train.config import TrainConfig
from threadsmith.train.data import DataSource
from threadsmith.workspace import Workspace, locate

#: Metrics are written in batches, at most this often (seconds), to keep SQLite out of the step time.
FLUSH_EVERY = 5.0


class Recorder:
    """The workspace side of one run (a no-op without a workspace)."""

    def __init__(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self.run_id: int | None = None
        self.run_name: str | None = None
        self.pending: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.flushed = time.monotonic()
        self.primary = True

    @classmethod
    def open(cls, config: TrainConfig) -> Recorder:
        """The recorder for a config: the workspace is required for a dataset, optional for a file."""
        if config.dataset or locate(config.workspace).exists():
            recorder = cls(Workspace.open(config.workspace, create=False))
            recorder.primary = os.environ.get("RANK", "0") == "0"  # accelerate launch: rank 0 records
            return recorder
        return cls(None)

    def conversations(self, dataset: str, version: str | None) -> tuple[list[Conversation], None, DataSource]:
        """A workspace version's included conversations and its description."""
        assert self.workspace is not None
        number = self.workspace.resolve(dataset, version)
        conversations = list(self.workspace.conversations(dataset, version=number))
        return conversations, None, DataSource("workspace", dataset, version=number, path=self.workspace.path)

    def start(self, source: DataSource, config: TrainConfig, plan: Any, env: dict[str, Any]) -> str | None:
        """Record the run as started; its name (None when unrecorded)."""
        if self.workspace is None or not self.primary:
            return None
        data = {"kind": source.kind, "name": source.name, "version": source.version, "path": source.path,
                "sha256": source.sha256, "manifest_sha256": source.manifest_sha256, "describe": source.describe()}
        settings = config.to_dict() | {"max_length": plan.max_length, "precision": plan.precision,
                                       "attention": plan.attention,
                                       "gradient_checkpointing": plan.gradient_checkpointing,
                                       "use_liger_kernel": plan.liger}
        run = self.workspace.start_run(dataset=source.name if source.kind == "workspace" else None,
                                       version=source.version if source.kind == "workspace" else None,
                                       data=data, config=settings, environment=env)
        self.run_id, self.run_name = run.id, run.name
        return run.name

    def default_output(self, run: str | None) -> str:
        """``<workspace folder>/runs/<run>``, or ``./threadsmith-runs/<time>`` without a workspace."""
        if self.workspace is not None and run is not None:
            return str(Path(self.workspace.path).parent / "runs" / run)
        return str(Path("threadsmith-runs") / time.strftime("%Y%m%d-%H%M%S"))

    def metrics(self, kind: str, step: int, values: dict[str, Any]) -> None:
        """Queue a metrics row; written every few seconds and at the end."""
        if self.run_id is None:
            return
        self.pending.setdefault(kind, []).append((step, values))
        if time.monotonic() - self.flushed > FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write the queued metrics."""
        if self.workspace is None or self.run_id is None:
            return
        for kind, rows in self.pending.items():
            if rows:
                self.workspace.log_run_metrics(self.run_id, kind, rows)
        self.pending = {}
        self.flushed = time.monotonic()

    def finish(self, output: str, summary: dict[str, Any]) -> None:
        """Record a finished run."""
        self.flush()
        if self.workspace is not None and self.run_id is not None:
            self.workspace.finish_run(self.run_id, status="finished", output=output, summary=summary)

    def fail(self, exc: BaseException) -> None:
        """Record a failed (or interrupted) run with its error."""
        if self.workspace is None or self.run_id is None:
            return
        self.flush()
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        self.workspace.finish_run(self.run_id, status=status, error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Close the workspace."""
        if self.workspace is not None:
            self.workspace.close()
