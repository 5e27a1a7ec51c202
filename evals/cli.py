"""`socratic eval run|rescore|judge|compare|calibrate|bridge|telling|list`: offline evals from the command line."""

from __future__ import annotations

import functools
import json
import re
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tutor.errors import NotFoundError

if TYPE_CHECKING:  # the commands import what they use when they run, so `socratic --help` stays fast
    from evals.judge import JudgeLike
    from tutor.problems.labelled import LabelledTutorResponse


def _store(use_db: bool, settings: Any) -> Any:
    if not use_db:
        return nullcontext(None)
    from tutor.storage.store import Store

    return Store.from_settings(settings)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"


def run_command(
    config: Annotated[
        str, typer.Option("--config", "-c", help="Eval config YAML, or a bundled one: default, ablations.")
    ] = "default",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Run folder (default: runs/eval-<name>-<config hash>).")
    ] = None,
    tutor_model: Annotated[
        str | None, typer.Option("--tutor-model", help="Tutor model spec for every variant without its own.")
    ] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", min=1, help="Dialogues at once.")] = None,
    executor: Annotated[str, typer.Option(help="auto | sequential | threads | processes | ray.")] = "auto",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", help="With --executor ray: a running cluster (default: RAY_ADDRESS, else local)."
        ),
    ] = None,
    judge: Annotated[
        bool | None,
        typer.Option("--judge/--no-judge", help="Judge tutor turns (default: as the config says)."),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
    db: Annotated[bool, typer.Option("--db/--no-db", help="Record the run in the database.")] = True,
) -> None:
    """Run an eval (tutor variants x profiles x problems x seeds); rerun the same command to resume."""
    from evals.config import load_config
    from evals.report import fmt
    from evals.runner import run_eval
    from student_sim.executors import make_executor
    from student_sim.provenance import config_hash
    from tutor.settings import Settings

    parsed = load_config(config)
    if tutor_model is not None:
        parsed = parsed.model_copy(update={"models": parsed.models.model_copy(update={"tutor": tutor_model})})
    if judge is not None:
        parsed = parsed.model_copy(update={"judge": parsed.judge.model_copy(update={"enabled": judge})})
    run_dir = out or Path("runs") / f"eval-{parsed.name}-{config_hash(parsed.model_dump(mode='json'))[:8]}"
    chosen = (
        None
        if executor == "auto"
        else make_executor(executor, concurrency or parsed.concurrency, ray_address=ray_address)
    )
    settings = Settings.load()
    with _store(db, settings) as store:
        try:
            result = run_eval(
                parsed,
                run_dir,
                settings=settings,
                store=store,
                concurrency=concurrency,
                executor=chosen,
                progress=progress,
            )
        except KeyboardInterrupt:
            typer.echo(f"\ninterrupted; run the same command again to resume ({run_dir})", err=True)
            raise typer.Exit(130) from None
    typer.echo(
        f"{result.generated} new dialogue(s), {result.skipped} already done, {result.errors} error(s), "
        f"{result.judged} turn(s) judged in {result.duration_s:.0f}s; run {result.run_id}"
    )
    for name, block in result.summary["variants"].items():
        m = block["metrics"]
        typer.echo(
            f"  {name:<16} n={block['n']:<3} success {fmt('success', m['success'])}  solved "
            f"{fmt('solve_rate', m['solve_rate'])}  leaks {fmt('leak_rate', m['leak_rate'])}  questions "
            f"{fmt('question_share', m['question_share'])}  numbers ok "
            f"{fmt('calc_accuracy', m['calc_accuracy'])}"
        )
    typer.echo(f"report: {run_dir / 'report.html'} (and report.md)")
    if result.errors:
        typer.echo(f"failed dialogues are in {run_dir}/variants/*/errors.jsonl; rerun to retry them", err=True)
        raise typer.Exit(1)


def rescore_command(
    run_dir: Annotated[Path, typer.Argument(help="An eval run folder.")],
    report: Annotated[bool, typer.Option("--report/--no-report", help="Rewrite report.md and report.html.")] = True,
) -> None:
    """Recompute every score (and the report) from the stored dialogues; calls no model."""
    from evals.runner import rescore

    scores, summary = rescore(run_dir, report=report)
    typer.echo(
        f"{len(scores)} dialogue(s) rescored -> {run_dir / 'scores.jsonl'}"
        + (f", {run_dir / 'report.html'}" if report else "")
    )


def judge_command(
    run_dir: Annotated[Path, typer.Argument(help="An eval run folder.")],
    judge: Annotated[
        str | None,
        typer.Option("--judge", "-j", help="Judge: a model spec, or learned[:PATH] (default: settings roles.judge)."),
    ] = None,
    max_turns: Annotated[int | None, typer.Option("--max-turns", min=1, help="Tutor turns judged per dialogue.")] = 2,
    all_turns: Annotated[bool, typer.Option("--all-turns", help="Judge every tutor turn.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Label a run's tutor turns with a judge (MRBench dimensions), then rescore it.

    The judge is an LLM (a model spec) or the learned judge (`learned`, `learned:PATH`; see `eval calibrate`).
    """
    from evals.judge_factory import make_judge
    from evals.runner import judge_run, rescore
    from tutor.settings import Settings

    settings = Settings.load()
    spec = judge or settings.spec_for("judge")
    judge_ = make_judge(spec, settings)
    n = judge_run(run_dir, judge_, spec, max_turns=None if all_turns else max_turns, progress=progress)
    rescore(run_dir)
    typer.echo(f"{n} tutor turn(s) judged by {spec}; report: {run_dir / 'report.html'}")


def _resolve(ref: str, settings: Any, use_db: bool) -> Path:
    """A run folder, or the folder of a run id in the database."""
    path = Path(ref)
    if path.is_dir():
        return path
    if use_db:
        with _store(True, settings) as store:
            try:
                run = store.get_run(ref)
            except NotFoundError:
                run = None
        if run is not None and run.run_dir:
            return Path(run.run_dir)
    raise NotFoundError(f"no eval run folder or run id {ref!r}", "give a run folder, or see `socratic eval list`")


def compare_command(
    a: Annotated[str, typer.Argument(help="Run A: a run folder or run id.")],
    b: Annotated[str, typer.Argument(help="Run B (compared against A).")],
    variant: Annotated[str | None, typer.Option("--variant", help="Compare only this variant (in both).")] = None,
    variant_a: Annotated[
        str | None, typer.Option("--variant-a", help="The variant of A (default: matched by name).")
    ] = None,
    variant_b: Annotated[str | None, typer.Option("--variant-b", help="The variant of B.")] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", min=100, help="Bootstrap resamples (default: A's config).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Bootstrap seed (default: A's config).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the comparison as Markdown.")] = None,
    db: Annotated[bool, typer.Option("--db/--no-db", help="Look run ids up in the database.")] = True,
) -> None:
    """Show B - A on every metric with bootstrap 95% confidence intervals."""
    from evals.compare import compare_runs, render_comparison
    from tutor.settings import Settings

    settings = Settings.load()
    text = render_comparison(
        compare_runs(
            _resolve(a, settings, db),
            _resolve(b, settings, db),
            variant=variant,
            variant_a=variant_a,
            variant_b=variant_b,
            samples=samples,
            seed=seed,
        )
    )
    typer.echo(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def _read_verdicts(cache: Path) -> dict[str, dict[str, dict[str, str] | None]]:
    """Saved verdicts by judge spec and record id (a torn last line is redone)."""
    done: dict[str, dict[str, dict[str, str] | None]] = {}
    if cache.exists():
        for line in cache.read_text(encoding="utf-8").split("\n")[:-1]:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("judge"), str) and "id" in entry:
                done.setdefault(entry["judge"], {})[entry["id"]] = entry.get("labels")
    return done


def _saver(cache: Path, bar: Any) -> Any:
    def save(spec: str, item: Any) -> None:
        with open(cache, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"id": item.id, "judge": spec, "labels": item.judge, "error": item.error}) + "\n")
        bar.update(1)

    return save


def calibrate_command(
    data: Annotated[
        Path,
        typer.Option("--data", "-d", help="MRBench/BEA-format JSON (or the importer's .jsonl) with human labels."),
    ],
    judges: Annotated[
        list[str] | None,
        typer.Option(
            "--judge",
            "-j",
            help="A judge to calibrate (repeat for several): learned, learned:PATH, or a model spec. "
            "Default: learned and the settings' roles.judge.",
        ),
    ] = None,
    sample: Annotated[
        int,
        typer.Option("--sample", min=0, help="Test-half responses the LLM judges label (seeded; 0: all)."),
    ] = 80,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the split and the sample.")] = None,
    split: Annotated[
        bool,
        typer.Option(
            "--split/--no-split",
            help="Split by conversation and report on the test half (default), or judge every response "
            "with one judge (no split, no baseline).",
        ),
    ] = True,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for calibration.json/.md (default: runs/calibration-...)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="With --no-split: judge at most N responses.")
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Measure judges against human labels: accuracy, macro-F1, Cohen's kappa and confusion matrices per
    dimension, on the held-out half of the file, beside the majority baseline; rerun to resume."""
    from evals.calibrate import load_labelled
    from evals.judge_factory import make_judge
    from tutor.errors import ConfigError
    from tutor.files import atomic_write_text, write_json
    from tutor.settings import Settings

    settings = Settings.load()
    specs = list(dict.fromkeys(judges or ["learned", settings.spec_for("judge")]))
    records, skipped = load_labelled(data)
    if not split and len(specs) != 1:
        raise ConfigError("--no-split calibrates one judge", "give exactly one --judge")
    name = _slug(data.stem) if split else f"{_slug(data.stem)}-{_slug(specs[0])}"
    folder = out or Path("runs") / f"calibration-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    others = {s: make_judge(s, settings) for s in specs if not (split and s == "learned")}
    if split:
        run = functools.partial(_calibrate_split, learned="learned" in specs, sample=sample, seed=seed)
    else:
        run = functools.partial(_calibrate_one, spec=specs[0], limit=limit)
    document, text = run(data, records, skipped, others, folder / "verdicts.jsonl", progress)
    write_json(folder / "calibration.json", document)
    atomic_write_text(folder / "calibration.md", text)
    typer.echo(text)
    typer.echo(f"-> {folder / 'calibration.md'}, {folder / 'calibration.json'}")


def _calibrate_split(
    data: Path,
    records: list[LabelledTutorResponse],
    skipped: list[str],
    judges: dict[str, JudgeLike],
    cache: Path,
    progress: bool,
    *,
    learned: bool,
    sample: int,
    seed: int | None,
) -> tuple[dict[str, Any], str]:
    """The judges and the majority baseline on the held-out half (the learned judge trained on the other)."""
    from tqdm import tqdm

    from evals.calibration_split import SEED
    from evals.calibration_suite import render_suite_markdown, run_suite

    # Verdicts are saved as they come, so an interrupted calibration resumes where it stopped.
    with tqdm(disable=not progress, unit="resp", desc="calibrate") as bar:
        suite = run_suite(
            records,
            data=data.name,
            llm_judges=judges,
            learned=learned,
            sample_size=sample or None,
            seed=SEED if seed is None else seed,
            skipped=skipped,
            done=_read_verdicts(cache),
            on_item=_saver(cache, bar),
        )
    return suite.to_json(), render_suite_markdown(suite)


def _calibrate_one(
    data: Path,
    records: list[LabelledTutorResponse],
    skipped: list[str],
    judges: dict[str, JudgeLike],
    cache: Path,
    progress: bool,
    *,
    spec: str,
    limit: int | None,
) -> tuple[dict[str, Any], str]:
    """One judge on every response (or the first `limit`), without a split or a baseline."""
    from tqdm import tqdm

    from evals.calibrate import calibrate, render_markdown

    with tqdm(disable=not progress, unit="resp", desc="calibrate") as bar:
        save = _saver(cache, bar)
        report = calibrate(
            records[:limit] if limit else records,
            judges[spec],
            judge_spec=spec,
            data=str(data),
            skipped=skipped,
            done=_read_verdicts(cache).get(spec),
            on_item=lambda item: save(spec, item),
        )
    return report.to_json(), render_markdown(report)


def list_command(limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 20) -> None:
    """List eval runs recorded in the database, newest first."""
    from evals.report import fmt
    from tutor.settings import Settings

    with _store(True, Settings.load()) as store:
        runs = store.list_runs("eval", limit=limit)
    for run in runs:
        variants = run.summary.get("variants", {}) if run.summary else {}
        figures = ", ".join(
            f"{v}: solved {fmt('solve_rate', m.get('solve_rate'))} leaks {fmt('leak_rate', m.get('leak_rate'))}"
            for v, m in variants.items()
        )
        typer.echo(f"{run.id}  {run.status:<9} {run.created_at:%Y-%m-%d %H:%M}  {run.run_dir}  {figures}")
    typer.echo(f"{len(runs)} eval run(s)", err=True)


def bridge_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Bridge JSON files (train.json, validation.json) or imported .jsonl.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder.")] = Path("runs/bridge-agreement"),
) -> None:
    """Score the tutor's decision labels (error, strategy, intention) against Bridge's expert labels; no model."""
    from evals.bridge_agreement import bridge_agreement, load_bridge, write_bridge_report

    result = bridge_agreement(load_bridge(paths))
    markdown, data = write_bridge_report(result, out)
    for d in result.dimensions:
        typer.echo(
            f"{d.dimension:10} n={d.n} accuracy={d.accuracy:.3f} kappa={d.kappa:.3f} "
            f"majority={d.majority_accuracy:.3f} ({d.majority_label})"
        )
    typer.echo(f"-> {markdown}, {data}")


def telling_command(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Real-data folder (default: $TUTOR_REALDATA_DIR).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the figures as JSON here.")] = None,
) -> None:
    """Precision / recall of the telling detector and the leak guard against human labels (MathDial, own set)."""
    from evals.telling_eval import main

    argv = ["--data-dir", str(data_dir)] if data_dir else []
    argv += ["--out", str(out)] if out else []
    if main(argv) != 0:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Offline evals: run, rescore, judge, compare, calibrate the judge.", no_args_is_help=True)
    group.command("run")(run_command)
    group.command("rescore")(rescore_command)
    group.command("judge")(judge_command)
    group.command("compare")(compare_command)
    group.command("calibrate")(calibrate_command)
    group.command("bridge")(bridge_command)
    group.command("telling")(telling_command)
    group.command("list")(list_command)
    from evals.practice_cli import hint_budget_command, practice_command  # evaluations of the student model

    group.command("practice")(practice_command)
    group.command("hint-budget")(hint_budget_command)
    app.add_typer(group, name="eval")
