"""`socratic models | chat | serve-model`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="List, resolve and check model specs and the bundled model.", no_args_is_help=True)
    app.add_typer(models, name="models")
