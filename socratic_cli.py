"""The `socratic` command: one console script, subcommands grouped by area.

This module sits on top of every package (like `app.py`), so it may import from `tutor`, `student_sim`
and `evals`; the packages never import it. Each area keeps its commands in its own module and this file
only mounts them. Errors a user can cause are printed as one line; `--verbose` shows the traceback.
"""

from __future__ import annotations

import logging
import sys
import traceback

import typer

from tutor.errors import TutorError

app = typer.Typer(
    name="socratic",
    help="Socratic tutoring with simulated students.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"verbose": False}


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks and debug logs."),
) -> None:
    _state["verbose"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def _mount() -> None:
    # Imported here so that `import socratic_cli` stays cheap; each module only defines commands.
    from tutor.models import cli as models_cli

    models_cli.register(app)
    for name in (
        "tutor.problems.cli",
        "tutor.sandbox.cli",
        "tutor.cli_tutor",
        "student_sim.cli",
        "student_sim.hints_cli",
        "student_sim.cohort_cli",
        "evals.cli",
    ):
        try:
            module = __import__(name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that area is not built yet
                continue
            raise
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


@app.command("app")
def _app_command(
    host: str = typer.Option("127.0.0.1", help="Bind address (loopback by default)."),
    port: int = typer.Option(7860, help="TCP port."),
) -> None:
    """Launch the web app (students chat with the tutor; teachers see all sessions)."""
    import app as web  # imported lazily: Gradio takes seconds to import

    web.main(host=host, port=port)


users = typer.Typer(
    help="Manage accounts (web sign-up creates students; teachers are created here).", no_args_is_help=True
)
app.add_typer(users, name="users")


@users.command("create")
def _users_create(
    username: str = typer.Argument(...),
    role: str = typer.Option("student", help="student, teacher or researcher"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an account."""
    from tutor.settings import Settings
    from tutor.storage.store import Store

    with Store.from_settings(Settings.load()) as store:
        user = store.create_user(username, password, role)  # type: ignore[arg-type]
    typer.echo(f"created {user.role} '{user.username}'")


@users.command("reset-password")
def _users_reset_password(
    username: str = typer.Argument(..., help="Whose password to replace."),
    password: str = typer.Option(
        ..., prompt="New password", hide_input=True, confirmation_prompt=True, help="Asked for when not given."
    ),
) -> None:
    """Give an account a new password (e.g. a student who forgot theirs); the old one stops working."""
    from tutor.settings import Settings
    from tutor.storage.store import Store

    with Store.from_settings(Settings.load()) as store:
        user = store.set_password(username, password)
    typer.echo(f"new password set for {user.role} '{user.username}'")


@app.command("next")
def _next_problem(
    user: str = typer.Option(..., "--user", "-u", help="The student."),
    domain: str | None = typer.Option(None, help="math, physics or debugging (default: any)."),
) -> None:
    """Choose the problem a student should practise next, say why, and record the choice."""
    from tutor.service import open_service

    service = open_service()
    try:
        choice = service.next_problem(service.store.user_named(user), domain)
    finally:
        service.store.close()
        service.sandbox.close()
    typer.echo(f"{choice.problem.id}  {choice.problem.title}")
    typer.echo(f"  why: {choice.reason}")
    targets = ", ".join(f"{c} {v:.2f}" for c, v in choice.targets)
    typer.echo(
        f"  targets: {targets}; level {choice.details['level']:g}, within reach up to {choice.details['ceiling']:g}"
    )


_mount()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (1 for a user-facing error, 2 for a usage error)."""
    try:
        # Standalone mode lets typer print usage errors itself; our own errors come out as TutorError.
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TutorError as exc:
        if _state["verbose"]:
            traceback.print_exc()
        typer.secho(f"error: {exc.message}", fg="red", err=True)
        if exc.hint:
            typer.echo(f"  hint: {exc.hint}", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
