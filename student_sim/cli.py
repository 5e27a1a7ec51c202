"""`socratic generate`, `socratic dialogues export|show|fidelity|schema`,
`socratic profiles list|show|import-mathdial`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from tutor.errors import InputDataError, NotFoundError, validation_problem

_FORMATS = ("openai", "sharegpt")


def generate_command(
    spec: Annotated[
        Path,
        typer.Option("--spec", "-s", help="Generation spec YAML (see datasets/generation/default.yaml)."),
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Run folder (default: runs/<spec name>).")] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", "-c", min=1, help="Dialogues at once.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Generate at most N new dialogues.")] = None,
    executor: Annotated[str, typer.Option(help="auto | sequential | threads | processes | ray.")] = "auto",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", help="With --executor ray: a running cluster (default: RAY_ADDRESS, else local)."
        ),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Generate tutor x simulated-student dialogues; rerun the same command to resume."""
    from student_sim.executors import make_executor
    from student_sim.gen_spec import load_spec
    from student_sim.generate import generate

    parsed = load_spec(spec)
    run_dir = out or Path("runs") / parsed.name
    n = concurrency or parsed.concurrency
    chosen = None if executor == "auto" else make_executor(executor, n, ray_address=ray_address)
    try:
        report = generate(parsed, run_dir, concurrency=n, limit=limit, executor=chosen, progress=progress)
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted; run the same command again to resume ({run_dir})", err=True)
        raise typer.Exit(130) from None
    counts = report.manifest["counts"]
    typer.echo(
        f"{report.generated} new dialogue(s) in {report.duration_s:.1f}s ({report.skipped} already done, "
        f"{report.errors} error(s)); {counts['accepted']} accepted, {counts['rejected']} rejected, "
        f"{counts['pending']} pending -> {run_dir}"
    )
    typer.echo(f"fidelity card -> {report.fidelity}")
    if counts["rejection_reasons"]:
        typer.echo("rejections: " + ", ".join(f"{k} {v}" for k, v in counts["rejection_reasons"].items()))
    if report.errors:
        typer.echo(f"errors are in {run_dir / 'errors.jsonl'}; rerun to retry those jobs", err=True)
        raise typer.Exit(1)


def export_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `socratic generate`.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="openai | sharegpt")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The JSONL file to write.")],
    include_reasoning: Annotated[
        bool, typer.Option("--include-reasoning", help="Keep the tutor's hidden reasoning.")
    ] = False,
    include_rejected: Annotated[
        bool, typer.Option("--include-rejected", help="Export rejected dialogues too.")
    ] = False,
) -> None:
    """Export a run's dialogues for fine-tuning (tutor = assistant)."""
    from student_sim.export import Format, export_run

    if fmt not in _FORMATS:
        raise InputDataError(f"unknown export format {fmt!r}", f"use one of {', '.join(_FORMATS)}")
    chosen: Format = "openai" if fmt == "openai" else "sharegpt"
    count = export_run(run_dir, chosen, output, include_reasoning=include_reasoning, include_rejected=include_rejected)
    typer.echo(f"{count} dialogue(s) -> {output}")


def fidelity_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `socratic generate`.")],
    mathdial: Annotated[
        Path | None,
        typer.Option(
            "--mathdial",
            help="MathDial JSONL to compare with (default: $TUTOR_REALDATA_DIR/mathdial/dev.jsonl if set).",
        ),
    ] = None,
) -> None:
    """Recompute a run's fidelity card (fidelity.json, fidelity.md) and print it."""
    from student_sim.fidelity import fidelity_for_run, render_fidelity_markdown, write_fidelity

    if not (run_dir / "dialogues.jsonl").is_file() and not (run_dir / "rejected.jsonl").is_file():
        raise NotFoundError(f"no dialogues in {run_dir}", "give a folder written by `socratic generate`")
    if mathdial is not None and not mathdial.is_file():
        raise NotFoundError(f"MathDial file not found: {mathdial}")
    card = fidelity_for_run(run_dir, mathdial=mathdial)
    json_path, md_path = write_fidelity(run_dir, card)
    typer.echo(render_fidelity_markdown(card), nl=False)
    typer.echo(f"-> {json_path}, {md_path}", err=True)


def show_dialogue(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    dialogue_id: Annotated[str | None, typer.Option("--id", help="The dialogue id (default: the first).")] = None,
    rejected: Annotated[bool, typer.Option("--rejected", help="Look in rejected.jsonl.")] = False,
) -> None:
    """Print one dialogue as a transcript with its outcome."""
    from student_sim.dialogue import Dialogue
    from student_sim.runfolder import RunFolder
    from student_sim.runner import transcript

    records = RunFolder(run_dir).read("rejected" if rejected else "dialogues")
    chosen = [r for r in records if dialogue_id is None or r.get("id") == dialogue_id][:1]
    if not chosen:
        raise NotFoundError(f"no dialogue {dialogue_id or ''} in {run_dir}".replace("  ", " "))
    dialogue = Dialogue.model_validate(chosen[0])
    typer.echo(f"# {dialogue.id}: {dialogue.problem_id} x {dialogue.profile_id} (seed {dialogue.provenance.seed})")
    typer.echo(transcript(dialogue))
    if not dialogue.quality.passed:
        typer.echo(f"rejected: {dialogue.quality.details}")


def schema_command(
    check: Annotated[bool, typer.Option("--check", help="Only check that the committed schema is current.")] = False,
) -> None:
    """Write datasets/dialogue.schema.json from the dialogue record."""
    from student_sim.dialogue import render_dialogue_schema, write_dialogue_schema
    from tutor.problems.bank import datasets_dir

    path = datasets_dir() / "dialogue.schema.json"
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != render_dialogue_schema():
            typer.echo(f"{path} is out of date; run `socratic dialogues schema`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} is current")
        return
    typer.echo(f"wrote {write_dialogue_schema(path)}")


def list_profiles(
    domain: Annotated[str | None, typer.Option("--domain", "-d", help="Only profiles written for this domain.")] = None,
    path: Annotated[
        Path | None, typer.Option("--path", help="A profile folder (default: the bundled library).")
    ] = None,
) -> None:
    """List the student profiles."""
    from student_sim.profiles import load_profiles

    profiles = [p for p in load_profiles(path) if domain is None or not p.domains or domain in p.domains]
    width = max((len(p.id) for p in profiles), default=2)
    for p in profiles:
        grade = f"g{p.grade}" if p.grade else "g-"
        typer.echo(
            f"{p.id:<{width}}  {grade:<3}  {p.verbosity:<7}  {p.affect:<10}  lr {p.learning_rate:.2f}  "
            f"{len(p.misconceptions)} misc, {len(p.false_beliefs)} beliefs"
        )
    typer.echo(f"{len(profiles)} profile(s)", err=True)


def show_profile(
    profile_id: Annotated[str, typer.Argument(help="The profile id.")],
    path: Annotated[
        Path | None, typer.Option("--path", help="A profile folder (default: the bundled library).")
    ] = None,
) -> None:
    """Print one profile as YAML."""
    from student_sim.profiles import dump_profile, get_profile, load_profiles

    typer.echo(dump_profile(get_profile(profile_id, load_profiles(path))), nl=False)


def import_mathdial(
    source: Annotated[Path, typer.Argument(help="MathDial JSONL (raw records) or the importer's .profiles.jsonl.")],
    out_dir: Annotated[Path, typer.Argument(help="Folder to write one profile YAML per record into.")],
) -> None:
    """Build student profiles from MathDial records (persona, incorrect solution, confusion)."""
    from student_sim.profiles import dump_profile, from_mathdial, from_seed
    from tutor.problems.labelled import StudentProfileSeed

    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputDataError(f"{source}: cannot read: {exc.strerror or exc}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputDataError(f"{source}: line {n}: not JSON: {exc.msg}") from None
        try:
            if record.get("record") == "student-seed":
                profile = from_seed(StudentProfileSeed.model_validate(record))
            else:
                profile = from_mathdial(record, profile_id=f"mathdial-{record.get('qid', n)}-{n}")
        except InputDataError as exc:
            raise InputDataError(f"{source}: line {n}: {exc.message}") from None
        except ValidationError as exc:
            raise InputDataError(f"{source}: line {n}: {validation_problem(exc)}") from None
        (out_dir / f"{profile.id}.yaml").write_text(dump_profile(profile), encoding="utf-8")
        written += 1
    typer.echo(f"{written} profile(s) -> {out_dir}")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)
    dialogues = typer.Typer(help="Export, show and describe generated dialogues.", no_args_is_help=True)
    dialogues.command("export")(export_command)
    dialogues.command("show")(show_dialogue)
    dialogues.command("fidelity")(fidelity_command)
    dialogues.command("schema")(schema_command)
    app.add_typer(dialogues, name="dialogues")
    profiles = typer.Typer(help="Simulated student profiles.", no_args_is_help=True)
    profiles.command("list")(list_profiles)
    profiles.command("show")(show_profile)
    profiles.command("import-mathdial")(import_mathdial)
    app.add_typer(profiles, name="profiles")
