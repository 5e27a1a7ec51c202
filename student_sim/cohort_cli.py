"""`socratic cohort simulate | fit | forecast-eval`: item calibration by a simulated cohort, and the
misconception forecast measured on MathDial."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from student_sim.cohort import Attempt, SteppedProblem
from student_sim.profiles import StudentProfile, from_seed, get_profile, load_profile_file, load_profiles
from tutor.errors import ConfigError, InputDataError
from tutor.problems.bank import ProblemBank
from tutor.problems.labelled import StudentProfileSeed, read_labelled_jsonl
from tutor.problems.schema import MathProblem, PhysicsProblem

DEFAULT_TABLE_DIR = Path("datasets/calibration")
ProblemsOpt = Annotated[
    str, typer.Option("--problems", help="bank (math and physics) | math | physics | toy | comma-separated ids")
]
ProfilesOpt = Annotated[
    str, typer.Option("--profiles", help="all (the library) | comma-separated ids | a folder, YAML or seeds JSONL")
]


def select_problems(selection: str) -> list[SteppedProblem]:
    """The stepped (math and physics) problems a selection names, in bank order."""
    bank = ProblemBank.load(())
    stepped = [p for p in bank if isinstance(p, MathProblem | PhysicsProblem)]
    if selection == "bank":
        chosen = [p for p in stepped if not p.id.startswith("toy-")]
    elif selection in ("math", "physics"):
        chosen = [p for p in stepped if p.domain == selection and not p.id.startswith("toy-")]
    elif selection == "toy":
        chosen = [p for p in stepped if p.id.startswith("toy-")]
    else:
        picked = [bank.get(pid.strip()) for pid in selection.split(",") if pid.strip()]
        if wrong := [p.id for p in picked if not isinstance(p, MathProblem | PhysicsProblem)]:
            raise ConfigError(f"the cohort answers stepped problems; not: {', '.join(wrong)}")
        chosen = [p for p in picked if isinstance(p, MathProblem | PhysicsProblem)]
    if not chosen:
        raise ConfigError(f"--problems {selection!r} selects no problem", "use bank, math, physics, toy or ids")
    return chosen


def select_profiles(selection: str) -> list[StudentProfile]:
    """`all` (the library), a folder / profile YAML / profile-seeds JSONL, or comma-separated library ids."""
    path = Path(selection)
    if selection == "all":
        return load_profiles()
    if path.is_dir():
        return load_profiles(path)
    if path.suffix == ".jsonl" and path.is_file():
        return [from_seed(r) for r in read_labelled_jsonl(path) if isinstance(r, StudentProfileSeed)]
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return [load_profile_file(path)]
    pool = load_profiles()
    return [get_profile(pid.strip(), pool) for pid in selection.split(",") if pid.strip()]


def simulate_command(
    problems: ProblemsOpt = "bank",
    profiles: ProfilesOpt = "all",
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Students per profile (seeds 0..N-1).")] = 5,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Run folder (default: runs/cohort-<problems>).")
    ] = None,
    table: Annotated[
        Path | None, typer.Option("--table", help="Write irt.json, IRT.md and the plot here (default: the run folder).")
    ] = None,
    executor: Annotated[str, typer.Option(help="sequential | threads | processes | ray.")] = "processes",
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Jobs at once.")] = 2,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="With --executor ray: a running cluster.")
    ] = None,
) -> None:
    """Each simulated student answers each problem (first answer per step, no tutoring); fit a 2PL IRT
    model and write the table. Resumable: rerun the same command."""
    from student_sim.cohort import simulate
    from student_sim.executors import make_executor

    chosen_problems = select_problems(problems)
    chosen_profiles = select_profiles(profiles)
    run_dir = out or Path("runs") / f"cohort-{problems.replace(',', '-')[:40]}"
    runner = make_executor(executor, concurrency, ray_address=ray_address)
    selection = {"problems": problems, "profiles": profiles, "seeds": seeds}
    try:
        report = simulate(chosen_problems, chosen_profiles, range(seeds), run_dir, executor=runner, selection=selection)
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted; run the same command again to resume ({run_dir})", err=True)
        raise typer.Exit(130) from None
    typer.echo(f"{report.new} new attempt(s), {report.skipped} already done, {report.errors} error(s) -> {run_dir}")
    if report.errors:
        typer.echo(f"errors are in {run_dir / 'errors.jsonl'}; rerun to retry those jobs", err=True)
        raise typer.Exit(1)
    cohort = {"problems": problems, "profiles": len(chosen_profiles), "seeds": list(range(seeds))}
    _write_table(report.attempts, chosen_problems, cohort, table or run_dir)


def fit_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `socratic cohort simulate`.")],
    table: Annotated[Path | None, typer.Option("--table", help="Where to write (default: the run folder).")] = None,
) -> None:
    """Fit the 2PL model again from a cohort run folder's attempts."""
    from student_sim.cohort import CohortFolder

    folder = CohortFolder(run_dir)
    manifest = folder.read_manifest()
    if manifest is None:
        raise InputDataError(f"{run_dir} is not a cohort run folder (no manifest.json)")
    selection = manifest.get("selection", {})
    problems = select_problems(str(selection.get("problems", "bank")))
    attempts = folder.attempts()
    seeds = manifest["config"]["seeds"]
    profiles = len({a.profile_id for a in attempts})
    _write_table(
        attempts,
        problems,
        {"problems": selection.get("problems"), "profiles": profiles, "seeds": seeds},
        table or run_dir,
    )


def _write_table(
    attempts: Sequence[Attempt], problems: Sequence[SteppedProblem], cohort: dict[str, Any], where: Path
) -> None:
    from student_sim.calibration import build_table, write_calibration

    table = build_table(attempts, problems, cohort)
    paths = write_calibration(table, where)
    rho = table["spearman_with_hand_difficulty"]["problem_difficulty"]["rho"]
    rel = table["reliability"]["steps"]["marginal"]
    typer.echo(
        f"2PL fit (rule-based simulated students): Spearman rho with hand difficulty {rho}, "
        f"marginal reliability (steps) {rel}"
    )
    typer.echo("-> " + ", ".join(str(p) for p in paths))


def forecast_eval_command(
    mathdial: Annotated[
        Path | None,
        typer.Option("--mathdial", help="A MathDial JSONL (default: $TUTOR_REALDATA_DIR/mathdial/dev.jsonl)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the report goes.")] = DEFAULT_TABLE_DIR,
    samples: Annotated[int, typer.Option("--samples", min=100, help="Bootstrap resamples.")] = 2000,
) -> None:
    """Top-1 / top-3 accuracy of the misconception forecast on real MathDial conversations, against a
    frequency baseline, with bootstrap intervals."""
    from student_sim.fidelity import default_mathdial_path
    from student_sim.forecast_eval import evaluate, write_report

    path = mathdial or default_mathdial_path()
    if path is None:
        raise ConfigError("no MathDial file", "pass --mathdial, or set TUTOR_REALDATA_DIR to the real-data folder")
    if not path.is_file():
        raise InputDataError(f"{path}: no such file")
    report = evaluate(path, samples=samples)
    json_path, md_path = write_report(report, out)
    f = report["figures"]
    for method in ("frequency", "student model"):
        typer.echo(f"{method}: top-1 {f[f'{method} top-1']['value']:.3f}, top-3 {f[f'{method} top-3']['value']:.3f}")
    typer.echo(f"(real data: {report['conversations']} MathDial conversations) -> {md_path}, {json_path}")


def register(app: typer.Typer) -> None:
    """Mount `socratic cohort ...`."""
    cohort = typer.Typer(help="Item calibration by a simulated cohort; misconception forecasts.", no_args_is_help=True)
    cohort.command("simulate")(simulate_command)
    cohort.command("fit")(fit_command)
    cohort.command("forecast-eval")(forecast_eval_command)
    app.add_typer(cohort, name="cohort")
