"""``threadsmith serve``: the web workbench on one workspace (the web extra, imported late)."""

from __future__ import annotations

import click

from threadsmith.cli.render import console
from threadsmith.cli.workspace_commands import opened, workspace_option
from threadsmith.errors import MissingDependency, UserError
from threadsmith.workspace.examples import seed_examples
from threadsmith.cli.render import render_audit


@click.command("serve")
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback requires a token (generated when not given).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--token", envvar="THREADSMITH_TOKEN", help="Access token every request must carry [env THREADSMITH_TOKEN].")
@click.option("--seed-examples", "seed_examples_flag", is_flag=True,
              help="When the workspace has no datasets, import and audit the example datasets first.")
def serve_command(workspace: str | None, host: str, port: int, token: str | None, seed_examples_flag: bool) -> None:
    """Serve the web workbench: browse, edit, review findings and history in the browser."""
    try:
        import uvicorn

        from threadsmith.web import create_app
        from threadsmith.web.settings import ServerSettings
    except ImportError as exc:
        raise MissingDependency(exc.name or "uvicorn", extra="web", purpose="threadsmith serve") from None
    if token is not None and len(token) < 16:
        raise UserError("The token is too short.", hint="Use at least 16 characters, or leave --token out to get one.")
    out = console(stderr=True)
    with opened(workspace, create=True) as ws:
        if seed_examples_flag:
            for name in seed_examples(ws):
                out.rule(f"[green]seeded[/] example dataset [bold]{name}[/] (imported and audited)", align="left")
                render_audit(ws.audit(name), limit=3)  # cached: the audit seeding just ran
        path = ws.path
    settings = ServerSettings.make(path, host=host, port=port, token=token)
    app = create_app(settings=settings)
    out.print(f"Threadsmith workbench on [bold]{path}[/]\n  open [bold cyan]{settings.url}[/]  (Ctrl+C stops)")
    if settings.token and token is None:
        out.print("  a token was generated because the address is not loopback; it is part of the URL above")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
