"""`socratic sandbox run FILE`: run a Python file in the sandbox and show what happened."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tutor.errors import InputDataError
from tutor.sandbox import BACKENDS, Limits, Sandbox

_DEFAULTS = Limits()


def sandbox_run(
    file: Annotated[Path, typer.Argument(help="The Python file to run.")],
    stdin: Annotated[Path | None, typer.Option("--stdin", help="Text file fed to stdin.")] = None,
    backend: Annotated[str, typer.Option(help=f"One of: {', '.join(BACKENDS)}.")] = "auto",
    cpu: Annotated[float, typer.Option(help="CPU seconds.")] = _DEFAULTS.cpu_s,
    wall: Annotated[float, typer.Option(help="Wall-clock seconds.")] = _DEFAULTS.wall_s,
    memory: Annotated[int, typer.Option(help="Memory in MiB.")] = _DEFAULTS.memory_mb,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
) -> None:
    """Run FILE in the sandbox; prints its output, then a one-line verdict and the isolation in force.

    The exit code is the program's (or 1 when it was killed or hit a limit).
    """
    source = _read(file)
    stdin_text = _read(stdin) if stdin is not None else ""
    if backend not in BACKENDS:
        raise typer.BadParameter(f"choose one of {', '.join(BACKENDS)}", param_hint="--backend")
    limits = Limits(cpu_s=cpu, wall_s=wall, memory_mb=memory)
    with Sandbox(limits, backend) as box:  # type: ignore[arg-type]
        result = box.run(source, stdin_text)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        for stream, flag in (("stdout", result.stdout_truncated), ("stderr", result.stderr_truncated)):
            if flag:
                typer.secho(f"[{stream} truncated]", fg="yellow", err=True)
        colour = "green" if result.ok else "red"
        typer.secho(f"{result.summary()} in {result.duration_s * 1000:.0f} ms", fg=colour, err=True)
        typer.echo(f"isolation: {', '.join(result.isolation)}", err=True)
    code = result.exit_code if result.exit_code is not None and result.limit_exceeded is None else 1
    raise typer.Exit(code)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputDataError(f"cannot read {path}: {exc}", "give a readable UTF-8 text file") from exc


def register(app: typer.Typer) -> None:
    sandbox = typer.Typer(help="Run untrusted Python in the sandbox.", no_args_is_help=True)
    sandbox.command("run")(sandbox_run)
    app.add_typer(sandbox, name="sandbox")
