"""`socratic tutor`: a terminal tutoring session on any problem of the bank (or a pasted one)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from tutor.record import TutorTurn

console = Console()
HELP = "Type your answer. Commands: /code (paste new code, end with a line '.'), /show (your code), /quit."


def show_thinking(turn: TutorTurn) -> None:
    """Print the plan, knowledge state, decision, soliloquies and guard verdict of a turn."""
    a, d = turn.assessment, turn.decision
    console.print(
        f"[dim]assessment:[/dim] {a.label} ({a.source})"
        f"{' misconception=' + a.misconception if a.misconception else ''} — {a.evidence}"
    )
    console.print(
        f"[dim]decision:[/dim] CLASS {d.class_action}/{d.subproblem_state}; Bridge error={d.bridge_error} "
        f"strategy={d.bridge_strategy} intention={d.bridge_intention}"
    )
    plan = Table(show_header=True, header_style="dim", box=None)
    plan.add_column("node")
    plan.add_column("status")
    plan.add_column("tries")
    plan.add_column("title", overflow="fold")
    for n in turn.plan.nodes:
        marker = "→ " if n.id == turn.plan.current else "  "
        plan.add_row(marker + n.id, n.status, str(n.attempts), n.title[:70])
    console.print(plan)
    bars = "  ".join(
        f"{c} {'█' * round(v * 10)}{'░' * (10 - round(v * 10))} {v:.2f}" for c, v in turn.knowledge.mastery.items()
    )
    console.print(f"[dim]knowledge:[/dim] {bars}")
    for s in turn.soliloquies:
        console.print(
            f"[dim]soliloquy ({s.decided_by}):[/dim] {s.reason} -> code {s.code!r} -> {s.stdout!r} "
            f"ok={s.ok} repairs={len(s.repairs)}"
        )
    for t in turn.tests:
        console.print(f"[dim]test[/dim] {t.name}: {t.status} {t.message[:80]}")
    guard = "passed" if turn.leak.passed else "blocked"
    console.print(
        f"[dim]leak guard:[/dim] {guard}; rejected drafts: {len(turn.leak.attempts)}"
        f"{'; fallback used' if turn.leak.fallback_used else ''}"
    )
    console.print(f"[dim]model calls:[/dim] {len(turn.model_calls)}; timings: {turn.timings}")


def _read_code() -> str:
    console.print("[dim]paste your program; end with a line containing only '.'[/dim]")
    lines = []
    for line in sys.stdin:
        if line.rstrip("\n") == ".":
            break
        lines.append(line.rstrip("\n"))
    return "\n".join(lines) + "\n"


def tutor_command(
    problem: str = typer.Option(None, "--problem", "-p", help="Problem id (see `socratic problems list`)."),
    paste: str = typer.Option(None, "--paste", help="Tutor on your own word problem instead (text)."),
    model: str = typer.Option(None, "--model", "-m", help="Model spec for the tutor (default: the tutor role)."),
    show_thinking_flag: bool = typer.Option(False, "--show-thinking", help="Show plan, knowledge and soliloquies."),
) -> None:
    """A terminal tutoring session on the bundled model (or any spec)."""
    from tutor.agent import TurnDone, TutorAgent
    from tutor.errors import ConfigError
    from tutor.models import get_chat_model
    from tutor.planning.scaffold import build_scaffold
    from tutor.problems.bank import ProblemBank
    from tutor.problems.schema import AnyProblem, DebuggingProblem
    from tutor.sandbox import Sandbox
    from tutor.service_config import tutor_config
    from tutor.settings import Settings

    if not problem and not paste:
        raise ConfigError("give --problem ID or --paste TEXT", "list problems with `socratic problems list`")
    settings = Settings.load()
    llm = get_chat_model(model or settings.spec_for("tutor"), settings.model, cache_dir=settings.cache_dir)
    with Sandbox() as sandbox:
        if paste:
            console.print(
                "[dim]building a plan for your problem "
                "(the model proposes steps; each is checked by running code)...[/dim]"
            )
            prob: AnyProblem = build_scaffold(paste, llm, sandbox)
        else:
            prob = ProblemBank.load(settings.problems_path).get(problem)
        reveal = settings.policy.reveal_after_failed_attempts
        agent = TutorAgent(prob, llm, sandbox, tutor_config(settings, model or settings.spec_for("tutor"), reveal))
        console.print(Panel(prob.statement.strip(), title=f"{prob.title} ({prob.id})"))
        if isinstance(prob, DebuggingProblem):
            console.print(Syntax(prob.buggy_code, "python", line_numbers=True))
        opening, state = agent.start()
        console.print(f"[bold magenta]tutor>[/bold magenta] {opening}")
        console.print(f"[dim]{HELP}[/dim]")
        while not state.solved:
            try:
                text = console.input("[bold cyan]you>[/bold cyan] ")
            except EOFError:
                break
            code = None
            if text.strip() == "/quit":
                break
            if text.strip() == "/show":
                console.print(Syntax(state.code or "", "python", line_numbers=True))
                continue
            if text.strip() == "/code":
                code = _read_code()
                text = "I changed my code, please run the tests."
            console.print("[bold magenta]tutor>[/bold magenta] ", end="")
            for item in agent.stream(text, state, code=code):
                if isinstance(item, TurnDone):
                    state = item.state
                    sys.stdout.write("\n")
                    if show_thinking_flag:
                        show_thinking(item.turn)
                elif isinstance(item, str):
                    sys.stdout.write(item)
                    sys.stdout.flush()
        if state.solved:
            console.print("[green]Solved — well done![/green]")


def register(app: typer.Typer) -> None:
    app.command("tutor")(tutor_command)
