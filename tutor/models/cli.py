"""`socratic models | chat | serve-model`: inspect specs, chat in the terminal, serve a local model."""

from __future__ import annotations

import sys
import time

import typer
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from rich.console import Console
from rich.table import Table

from tutor.errors import ConfigError
from tutor.settings import ROLES, Settings

console = Console()


def _settings(model: str | None = None, max_tokens: int | None = None, base_url: str | None = None) -> Settings:
    return Settings.load(model={"max_tokens": max_tokens, "base_url": base_url})


def models_list() -> None:
    """Show which spec plays each role and the state of the bundled model."""
    from tutor.models import bundled

    settings = _settings()
    table = Table(title="Model roles")
    table.add_column("role")
    table.add_column("spec")
    for role in ROLES:
        table.add_row(role, settings.spec_for(role))
    console.print(table)
    st = bundled.status(settings.cache_dir)
    console.print(f"bundled model: {bundled.MODEL_NAME}")
    console.print(f"  parts installed: {st.parts_found}/{bundled.PART_COUNT}")
    console.print(
        f"  file: {st.assembled_path} "
        f"({'verified' if st.verified else 'assembled, not yet verified' if st.assembled else 'not assembled yet'})"
    )


def models_resolve(
    spec: str = typer.Argument(..., help="A model spec, e.g. local, gguf:PATH, openai:gpt-4o-mini"),
) -> None:
    """Parse a spec and show the backend it resolves to, without loading anything."""
    from tutor.models.spec import parse_spec

    parsed = parse_spec(spec)
    console.print(f"kind: {parsed.kind}\ntarget: {parsed.target or '-'}\noptions: {parsed.options or '-'}")


def models_check(
    spec: str = typer.Argument("local", help="The spec to check."),
    assemble: bool = typer.Option(True, help="Assemble the bundled model if needed."),
) -> None:
    """Build the model for SPEC and make one short call; prints latency and the reply."""
    from tutor.models import get_chat_model

    settings = _settings()
    start = time.perf_counter()
    model = get_chat_model(spec, settings.model, cache_dir=settings.cache_dir, max_tokens=16)
    reply = model.invoke([HumanMessage(content="Reply with the single word: ready")])
    console.print(f"[green]ok[/green] {spec}: {str(reply.content).strip()!r} in {time.perf_counter() - start:.1f} s")


def chat(
    model: str = typer.Option(None, "--model", "-m", help="Model spec (default: the tutor role's spec)."),
    system: str = typer.Option("You are a helpful assistant.", help="System prompt."),
    max_tokens: int = typer.Option(None, help="Upper bound on tokens per reply."),
) -> None:
    """A plain terminal chat with any model spec (type /exit or Ctrl-D to leave)."""
    from tutor.models import get_chat_model

    settings = _settings(max_tokens=max_tokens)
    spec = model or settings.spec_for("tutor")
    llm = get_chat_model(spec, settings.model, cache_dir=settings.cache_dir)
    history: list[BaseMessage] = [SystemMessage(content=system)]
    console.print(f"chatting with [bold]{spec}[/bold]; /exit to leave")
    while True:
        try:
            text = console.input("[bold cyan]you>[/bold cyan] ")
        except EOFError:
            break
        if text.strip() in ("/exit", "/quit"):
            break
        if not text.strip():
            continue
        history.append(HumanMessage(content=text))
        console.print("[bold magenta]model>[/bold magenta] ", end="")
        parts: list[str] = []
        for chunk in llm.stream(history):
            piece = str(chunk.content)
            parts.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
        history.append(AIMessage(content="".join(parts)))


def serve_model(
    model: str = typer.Option("local", "--model", "-m", help="A local spec: local or gguf:PATH."),
    host: str = typer.Option("127.0.0.1", help="Bind address (loopback by default)."),
    port: int = typer.Option(8080, help="TCP port."),
    n_ctx: int = typer.Option(None, help="Context window."),
    alias: str = typer.Option(None, help="Model name clients use (default: the spec)."),
) -> None:
    """Serve a local model as an OpenAI-compatible HTTP server (llama.cpp's server)."""
    from tutor.models.serve import serve

    settings = Settings.load(model={"n_ctx": n_ctx})
    serve(model, settings, host=host, port=port, alias=alias)


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="List, resolve and check model specs and the bundled model.", no_args_is_help=True)
    models.command("list")(models_list)
    models.command("resolve")(models_resolve)
    models.command("check")(models_check)
    app.add_typer(models, name="models")
    app.command("chat")(chat)
    app.command("serve-model")(serve_model)


__all__ = ["register", "ConfigError"]
