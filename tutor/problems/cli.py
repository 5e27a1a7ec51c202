"""`socratic problems list | show | validate | schema | import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from tutor.errors import InputDataError
from tutor.problems.bank import (
    ProblemBank,
    datasets_dir,
    dump_yaml,
    load_collection_file,
    problem_files,
    problem_to_dict,
)
from tutor.problems.schema import DOMAINS, render_json_schema, write_json_schema

_EXTRA = typer.Option(None, "--extra", "-e", help="Extra problem files, collections or folders to load.")


def _bank(extra: list[Path] | None) -> ProblemBank:
    return ProblemBank.load(extra_paths=extra or ())


def list_problems(
    domain: str | None = typer.Option(None, "--domain", "-d", help=f"Only this domain: {', '.join(DOMAINS)}."),
    extra: list[Path] | None = _EXTRA,
) -> None:
    """List the problems of the bank and the toy set."""
    problems = _bank(extra).list(domain)
    width = max((len(p.id) for p in problems), default=2)
    for p in problems:
        size = f"{len(p.bugs)} bug(s)" if p.domain == "debugging" else f"{len(p.steps)} step(s)"  # type: ignore[union-attr]
        level = f"d{p.difficulty}" if p.difficulty else "d-"
        typer.echo(f"{p.id:<{width}}  {p.domain:<9}  {level}  {size:<10}  {p.title}")
    typer.echo(f"{len(problems)} problem(s)", err=True)


def show(
    problem_id: str = typer.Argument(..., help="The problem id."),
    extra: list[Path] | None = _EXTRA,
) -> None:
    """Print one problem as YAML (answers included: this is an authoring tool)."""
    bank = _bank(extra)
    problem = bank.get(problem_id)
    typer.echo(f"# {bank.path_of(problem_id)}")
    typer.echo(dump_yaml(problem_to_dict(problem)), nl=False)


def _targets(paths: list[Path]) -> list[Path]:
    if not paths:
        root = datasets_dir()
        return problem_files(root / "problems") + problem_files(root / "toy")
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += problem_files(path) + [p for p in sorted(path.rglob("*.jsonl")) if not _is_labelled(p)]
        elif path.exists():
            found.append(path)
        else:
            raise InputDataError(f"{path}: no such file or folder")
    return found


def _is_labelled(path: Path) -> bool:
    """A `.jsonl` of labelled records (tutor responses, student seeds), not problems: not validated."""
    from tutor.problems.importers.records import is_labelled_file

    return is_labelled_file(path)


def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Problem files, collections or folders (default: all).")
    ] = None,
    run: bool = typer.Option(True, "--run/--no-run", help="Also run the execution checks."),
    timeout_s: float = typer.Option(10.0, "--timeout", help="Seconds allowed per program run."),
) -> None:
    """Check problem files: the schema, then (unless --no-run) every execution self-check."""
    from tutor.problems.verify import CheckResult, VerifyReport, verify_file, verify_problem

    failed = total = 0
    for path in _targets(paths or []):
        reports: list[VerifyReport]
        single = path.suffix in (".yaml", ".yml") and isinstance(_peek(path), dict)
        if single:
            reports = [verify_file(path, timeout_s=timeout_s) if run else _schema_only(path)]
        else:
            try:
                problems = load_collection_file(path)
            except InputDataError as exc:
                reports = [VerifyReport(path.stem, (CheckResult("schema", False, exc.message),), path)]
            else:
                reports = [verify_problem(p, timeout_s=timeout_s) if run else VerifyReport(p.id) for p in problems]
        for report in reports:
            total += 1
            label = f"{path}" if single else f"{path} [{report.problem_id}]"
            if report.ok:
                typer.echo(f"ok    {label}  ({len(report.checks)} checks)")
            else:
                failed += 1
                typer.secho(f"FAIL  {label}", fg="red")
                for check in report.failures:
                    typer.echo(f"      {check.name}: {check.detail}")
    typer.echo(f"{total} problem(s), {failed} failed")
    if failed:
        raise typer.Exit(1)


def _peek(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}  # let the loader report it with file and line


def _schema_only(path: Path):  # type: ignore[no-untyped-def]
    from tutor.problems.bank import load_problem_file
    from tutor.problems.verify import CheckResult, VerifyReport

    try:
        problem = load_problem_file(path)
    except InputDataError as exc:
        return VerifyReport(path.stem, (CheckResult("schema", False, exc.message),), path)
    return VerifyReport(problem.id, (CheckResult("schema", True),), path)


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Default: datasets/problem.schema.json.")
    ] = None,
    check: bool = typer.Option(False, "--check", help="Only check the file is up to date (exit 1 if not)."),
) -> None:
    """Write the JSON Schema of problem files (generated from tutor/problems/schema.py)."""
    target = output or datasets_dir() / "problem.schema.json"
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != render_json_schema():
            typer.secho(f"{target} is out of date: run `socratic problems schema`", fg="red", err=True)
            raise typer.Exit(1)
        typer.echo(f"{target} is up to date")
        return
    write_json_schema(target)
    typer.echo(f"wrote {target}")


def import_command(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="Input format, e.g. gsm8k.")],
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="The file (or folder) to import.")],
    output_path: Annotated[Path, typer.Argument(metavar="OUTPUT", help="A .jsonl or .yaml collection (merged by id).")],
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Skip records that do not fit, and list them."),
) -> None:
    """Import problems from a public dataset file into a collection file."""
    from tutor.problems.importers import get_importer, import_problems

    summary = import_problems(get_importer(fmt), input_path, output_path, skip_invalid=skip_invalid)
    if summary.imported or not summary.records:
        typer.echo(
            f"imported {summary.imported} problem(s) into {summary.output}: {summary.added} added, "
            f"{summary.updated} updated, {summary.unchanged} unchanged; {summary.kept} kept from before"
        )
    for written in summary.records:
        typer.echo(f"wrote {written.written} {written.kind} record(s) into {written.path} ({written.total} in all)")
    if summary.skipped:
        typer.secho(f"skipped {len(summary.skipped)} record(s):", fg="yellow")
        for reason, refs in summary.skipped_by_reason().items():
            shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
            typer.echo(f"  {len(refs)} x {reason}  ({shown})")


def register(app: typer.Typer) -> None:
    problems = typer.Typer(help="List, show, validate and import problems.", no_args_is_help=True)
    problems.command("list")(list_problems)
    problems.command("show")(show)
    problems.command("validate")(validate)
    problems.command("schema")(schema)
    problems.command("import")(import_command)
    app.add_typer(problems, name="problems")
