"""`socratic hints generate | validate | curve`: hints validated by a simulated student, over problem sets."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from student_sim.fix_leak import FixFacts, check_hint
from student_sim.hint_curve import curve_points, plot_curve, write_points
from student_sim.hint_ladder import LadderConfig
from student_sim.hint_validation import Mode, ValidationConfig
from student_sim.hints import FixSource, HintConfig, HintPipeline, HintRecord, ModelsUsed, TrialRecord, _finish
from student_sim.hints_ladder_cli import LadderWorker, generate_ladders
from student_sim.lazy import PerProcess
from tutor.errors import ConfigError, InputDataError
from tutor.problems.bank import ProblemBank
from tutor.problems.ladders import HINT_LEVELS, HintLevel
from tutor.problems.schema import DebuggingProblem

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from tutor.sandbox import Sandbox

ModeOpt = Annotated[str, typer.Option("--mode", help="gpt4hints (n1, n2, alpha, beta) or pyfixv (threshold).")]
NOpt = Annotated[int, typer.Option("--n", min=1, help="Repair attempts per arm.")]
AlphaOpt = Annotated[float, typer.Option("--alpha", min=0.0, max=1.0, help="gpt4hints: n2/n >= alpha ...")]
BetaOpt = Annotated[float, typer.Option("--beta", min=0.0, max=1.0, help="... or (n2-n1)/n >= beta.")]
ThresholdOpt = Annotated[float, typer.Option("--threshold", min=0.0, max=1.0, help="pyfixv: n2/n >= threshold.")]
EarlyOpt = Annotated[bool, typer.Option("--early-stop/--no-early-stop", help="Stop once the decision is settled.")]
TutorLevelsOpt = Annotated[
    str,
    typer.Option(
        "--tutor-levels",
        help="Ladder mode: the levels the tutor's file keeps (comma-separated); the others fall back to the "
        "tutor's templates.",
    ),
]
RunFactsOpt = Annotated[
    bool,
    typer.Option(
        "--run-facts/--no-run-facts",
        help="Ladder mode: show the hint writer what the failing test's run does (values, from the sandbox).",
    ),
]
CurveDataOpt = Annotated[
    bool,
    typer.Option("--curve-data", help="Run every attempt and trial, plus a holdout batch: data for `hints curve`."),
]
HoldoutOpt = Annotated[
    int | None,
    typer.Option("--holdout", min=0, help="Held-out with-hint attempts per trial (--curve-data: n)."),
]
StudentOpt = Annotated[
    str | None, typer.Option("--student-model", help="Student model spec (default: role 'student').")
]
HintModelOpt = Annotated[str | None, typer.Option("--hint-model", help="Hint model spec (default: role 'hint').")]
MaxTokensOpt = Annotated[int, typer.Option("--max-tokens", min=64, help="Token budget per model reply.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Base seed for hints, fixes and attempts.")]
PathsOpt = Annotated[list[Path] | None, typer.Option("--problems-path", help="Extra problem files or folders.")]


def _validation(mode: str, n: int, alpha: float, beta: float, threshold: float, early: bool) -> ValidationConfig:
    if mode not in ("gpt4hints", "pyfixv"):
        raise ConfigError(f"unknown --mode {mode!r}", "use gpt4hints or pyfixv")
    return ValidationConfig(mode=mode, n=n, alpha=alpha, beta=beta, threshold=threshold, early_stop=early)  # type: ignore[arg-type]


def select_debugging(selection: str, extra_paths: list[Path] | None = None) -> list[DebuggingProblem]:
    """`toy` (the toy set), `debugging` (the bank), `all` (both), or comma-separated ids."""
    bank = ProblemBank.load(extra_paths or ())
    if selection == "toy":
        chosen = [p for p in bank.list("debugging") if p.id.startswith("toy-")]
    elif selection == "debugging":
        chosen = [p for p in bank.list("debugging") if not p.id.startswith("toy-")]
    elif selection == "all":
        chosen = bank.list("debugging")
    else:
        chosen = [bank.get(pid.strip()) for pid in selection.split(",") if pid.strip()]
    if wrong := [p.id for p in chosen if not isinstance(p, DebuggingProblem)]:
        raise ConfigError(f"hints are for debugging problems; not: {', '.join(wrong)}")
    if not chosen:
        raise ConfigError(f"--problems {selection!r} selects no debugging problem", "use toy, debugging, all or ids")
    return [p for p in chosen if isinstance(p, DebuggingProblem)]


def read_records(path: Path) -> list[HintRecord]:
    """The records of a hints.jsonl file; errors name the line."""
    return list(_iter_records(path))


def _iter_records(path: Path) -> Iterator[HintRecord]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputDataError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield HintRecord.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "(record)"
            raise InputDataError(f"{path}: line {number}: field `{where}`: {first['msg']}") from None


def _pipeline(
    config: HintConfig,
    hint_spec: str | None,
    student_spec: str | None,
    max_tokens: int,
    sandbox: Sandbox,
    *,
    writes_hints: bool = True,
) -> HintPipeline:
    from tutor.models import get_chat_model
    from tutor.settings import Settings

    settings = Settings.load()
    hint_spec = hint_spec or settings.spec_for("hint")
    student_spec = student_spec or settings.spec_for("student")

    def build(spec: str) -> BaseChatModel:
        return get_chat_model(spec, settings.model, cache_dir=settings.cache_dir, max_tokens=max_tokens)

    student = build(student_spec)
    # Revalidation never writes a hint: the hint spec is only provenance, and need not be buildable here.
    hint = build(hint_spec) if writes_hints else student
    return HintPipeline(hint, student, sandbox, config, ModelsUsed(hint=hint_spec, student=student_spec))


def _line(record: HintRecord) -> str:
    if record.status != "ok":
        return f"{record.problem_id}: {record.status.replace('_', ' ')}"
    last = record.trials[-1] if record.trials else None
    counts = ""
    if last is not None and last.validation is not None:
        v = last.validation
        counts = f", n1={v.n1}/{v.done_without} n2={v.n2}/{v.done_with}"
    verdict = f"accepted (trial {record.accepted_trial + 1})" if record.accepted_trial is not None else "rejected"
    tried = f"{len(record.trials)} trial(s){counts}"
    told = sum(bool(t.leak_reasons) and t.validation is None for t in record.trials)
    return f"{record.problem_id}: {verdict} after {tried}, {record.calls.total} calls" + (
        f" [{told} told the fix]" if told else ""
    )


def trial_leaks(record: HintRecord, trial: TrialRecord) -> tuple[str, ...]:
    """Why the fix-leak check says this trial's explanation or hint tells the record's fix (empty: it does not,
    or there is no hint or fix to check)."""
    if record.fixed_code is None or trial.hint is None:
        return ()
    facts = FixFacts.from_programs(record.buggy_code, record.fixed_code)
    reasons = [r for text in (trial.explanation, trial.hint) if text for r in check_hint(text, facts).reasons]
    return tuple(dict.fromkeys(reasons))


def revalidate_checked(pipeline: HintPipeline, record: HintRecord, problem: DebuggingProblem) -> HintRecord:
    """`pipeline.revalidate`, with the fix-leak check applied first, as `generate` applies it: each stored hint
    gets the check's reasons again (the check may have changed since it was written); with `check_leaks`, one
    that tells the fix is rejected before any student call (kept, without a validation) and the next is tried."""
    reasons = {t.trial: trial_leaks(record, t) for t in record.trials}
    checked = tuple(t.model_copy(update={"leak_reasons": reasons[t.trial]}) for t in record.trials)
    if not pipeline.config.check_leaks:
        return pipeline.revalidate(record.model_copy(update={"trials": checked}), problem)
    kept = tuple(t for t in checked if not reasons[t.trial])
    again = pipeline.revalidate(record.model_copy(update={"trials": kept}), problem)
    if again.status != "ok" or record.failing_test is None:
        return again
    validated = {t.trial: t for t in again.trials}
    trials: list[TrialRecord] = []
    for trial in checked:
        if reasons[trial.trial]:
            trials.append(trial.model_copy(update={"validation": None, "calls": 0}))
        elif trial.trial in validated:
            trials.append(validated[trial.trial])
        if trials and trials[-1].accepted and not pipeline.config.full:
            break  # as `revalidate`: the hints after the accepted one are not tried
    return _finish(again, trials, hint_calls=0)


def _summary(records: list[HintRecord]) -> dict[str, object]:
    needed = [r for r in records if r.status != "no_failing_test"]
    calls = [r.calls.total for r in needed]
    return {
        "problems": len(records),
        "needing_a_hint": len(needed),
        "accepted": sum(r.accepted for r in needed),
        "calls_total": sum(calls),
        "calls_per_problem": (sum(calls) / len(calls)) if calls else None,
        "student_calls": sum(r.calls.student for r in needed),
        "hint_calls": sum(r.calls.hint for r in needed),
    }


def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Output folder (hints.jsonl, manifest.json); resumes.")],
    problems: Annotated[str, typer.Option("--problems", help="toy | debugging | all | comma-separated ids")] = "toy",
    n: NOpt = 10,
    alpha: AlphaOpt = 0.5,
    beta: BetaOpt = 0.25,
    mode: ModeOpt = "gpt4hints",
    threshold: ThresholdOpt = 0.5,
    early_stop: EarlyOpt = True,
    trials: Annotated[int, typer.Option("--trials", min=1, max=10, help="Hints written per problem at most.")] = 3,
    fix: Annotated[str, typer.Option("--fix", help="problem (its fixed program) or model (k repairs).")] = "problem",
    k: Annotated[int, typer.Option("--k", min=1, help="Repairs proposed with --fix model.")] = 5,
    curve_data: CurveDataOpt = False,
    holdout: HoldoutOpt = None,
    seed: SeedOpt = 0,
    hint_model: HintModelOpt = None,
    student_model: StudentOpt = None,
    max_tokens: MaxTokensOpt = 512,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many problems.")] = None,
    problems_path: PathsOpt = None,
    single: Annotated[
        bool, typer.Option("--single", help="One hint per problem (hints.jsonl) instead of a ladder per bug.")
    ] = False,
    ladders: Annotated[
        Path | None, typer.Option("--ladders", help="Ladder mode: also write the tutor's ladder file here.")
    ] = None,
    executor: Annotated[
        str, typer.Option(help="Ladder mode: auto (one bug at a time) | threads | processes | ray.")
    ] = "auto",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Bugs at once (with --executor).")] = 2,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="With --executor ray: a running cluster (default: local).")
    ] = None,
    tutor_levels: TutorLevelsOpt = "pointer,conceptual,next_step",
    run_facts: RunFactsOpt = False,
) -> None:
    """Write a validated hint ladder per bug (pointer, conceptual, next step) into OUT/ladders.jsonl and
    OUT/ladders.json; with --single, one validated hint per problem into OUT/hints.jsonl."""

    if fix not in ("problem", "model"):
        raise ConfigError(f"unknown --fix {fix!r}", "use problem or model")
    validation = _validation(mode, n, alpha, beta, threshold, early_stop and not curve_data)
    if not single:
        if curve_data or holdout or fix != "problem":
            raise ConfigError("--curve-data, --holdout and --fix are for --single hints", "add --single")
        from student_sim.executors import make_executor
        from tutor.settings import Settings

        ladder = LadderConfig(validation=validation, max_trials=trials, seed=seed, run_facts=run_facts)
        chosen_problems = select_debugging(problems, problems_path)[:limit]
        settings = Settings.load()
        models = ModelsUsed(
            hint=hint_model or settings.spec_for("hint"), student=student_model or settings.spec_for("student")
        )
        run_on = None if executor == "auto" else make_executor(executor, concurrency, ray_address=ray_address)
        known = {p.id: p for p in select_debugging("all", problems_path)}
        worker = LadderWorker(ladder, models, max_tokens)
        generate_ladders(worker, chosen_problems, out, ladders, run_on, known, _levels(tutor_levels))
        return
    fix_source: FixSource = "model" if fix == "model" else "problem"
    config = HintConfig(
        validation=validation,
        max_trials=trials,
        fix=fix_source,
        k_fixes=k,
        seed=seed,
        holdout=holdout if holdout is not None else (n if curve_data else 0),
        full=curve_data,
    )
    _single_hints(out, config, select_debugging(problems, problems_path)[:limit], hint_model, student_model, max_tokens)


def _levels(text: str) -> list[HintLevel]:
    """`--tutor-levels`: comma-separated ladder levels."""
    levels = [lv.strip() for lv in text.split(",") if lv.strip()]
    if not levels or any(lv not in HINT_LEVELS for lv in levels):
        raise ConfigError(f"--tutor-levels {text!r}", f"use some of: {', '.join(HINT_LEVELS)}")
    return levels  # type: ignore[return-value]  # checked against HINT_LEVELS above


def _single_hints(
    out: Path,
    config: HintConfig,
    chosen: list[DebuggingProblem],
    hint_model: str | None,
    student_model: str | None,
    max_tokens: int,
) -> None:
    """`hints generate --single`: one validated hint per problem into OUT/hints.jsonl (resumes), the manifest,
    and with held-out attempts the precision/coverage curve."""
    from tutor.sandbox import Sandbox

    out.mkdir(parents=True, exist_ok=True)
    hints_file, manifest = out / "hints.jsonl", out / "manifest.json"
    done = {r.problem_id for r in read_records(hints_file)} if hints_file.exists() else set()
    if done and manifest.exists():
        stored = json.loads(manifest.read_text(encoding="utf-8")).get("config")
        if stored != config.model_dump(mode="json"):
            raise ConfigError(f"{out} holds hints made with other settings", "use another --out, or the same options")
    with Sandbox() as sandbox:
        pipeline = _pipeline(config, hint_model, student_model, max_tokens, sandbox)
        manifest.write_text(
            json.dumps({"config": config.model_dump(mode="json"), "models": pipeline.models.model_dump()}, indent=2)
            + "\n",
            encoding="utf-8",
        )
        for problem in chosen:
            if problem.id in done:
                continue
            record = pipeline.generate(problem)
            with hints_file.open("a", encoding="utf-8") as fh:
                fh.write(record.model_dump_json() + "\n")
            typer.echo(_line(record))
    records = read_records(hints_file)
    summary = {
        "config": config.model_dump(mode="json"),
        "models": pipeline.models.model_dump(),
        "summary": _summary(records),
    }
    manifest.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    s = _summary(records)
    typer.echo(f"{s['accepted']}/{s['needing_a_hint']} hints accepted, {s['calls_total']} calls -> {hints_file}")
    if config.holdout > 0:  # precision needs the held-out attempts; without them the curve is empty
        points = curve_points(records, config.validation.mode)
        write_points(points, out / "curve.json")
        typer.echo(f"precision/coverage curve -> {plot_curve(points, out / 'curve.png')}")


class RevalidateWorker:
    """Validates one stored hint again. Picklable for any executor: the pipelines (a simulated student and a
    sandbox per config), the sandbox and the problem bank are built on first use in the process that runs it."""

    def __init__(self, update: dict[str, object], student: str | None, max_tokens: int, paths: list[Path]) -> None:
        self.update, self.student, self.max_tokens, self.paths = update, student, max_tokens, paths
        self._sandbox = PerProcess(_new_sandbox)  # holds processes and pipes: each process makes its own
        self._bank = PerProcess(functools.partial(ProblemBank.load, paths))  # read once per process, not per hint
        # One pipeline per config and hint model. dict.setdefault is atomic, so racing threads share one
        # PerProcess, which builds once.
        self._pipelines: dict[str, PerProcess[HintPipeline]] = {}

    def _pipeline_for(self, record: HintRecord, config: HintConfig) -> HintPipeline:
        build = functools.partial(
            _revalidation_pipeline, config, record.models.hint, self.student, self.max_tokens, self._sandbox
        )
        key = config.model_dump_json() + record.models.hint
        return self._pipelines.setdefault(key, PerProcess(build)).get()

    def __call__(self, job: tuple[int, HintRecord]) -> HintRecord:
        record = job[1]
        config = record.config.model_copy(update={"seed": record.config.seed, **self.update})
        problem = self._bank.get().get(record.problem_id)
        if not isinstance(problem, DebuggingProblem):
            raise InputDataError(f"{record.problem_id} is not a debugging problem")
        return revalidate_checked(self._pipeline_for(record, config), record, problem)

    def close(self) -> None:
        sandbox = self._sandbox.discard()
        self._pipelines.clear()  # they hold the sandbox closed here: a later call builds them anew
        if sandbox is not None:
            sandbox.close()


def _new_sandbox() -> Sandbox:
    from tutor.sandbox import Sandbox  # heavy imports stay out of `socratic --help`

    return Sandbox()


def _revalidation_pipeline(
    config: HintConfig, hint_spec: str, student: str | None, max_tokens: int, sandbox: PerProcess[Sandbox]
) -> HintPipeline:
    return _pipeline(config, hint_spec, student, max_tokens, sandbox.get(), writes_hints=False)


def validate_command(
    hints: Annotated[Path, typer.Argument(help="A hints.jsonl written by `hints generate`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the revalidated records (JSONL).")],
    n: NOpt = 10,
    alpha: AlphaOpt = 0.5,
    beta: BetaOpt = 0.25,
    mode: ModeOpt = "gpt4hints",
    threshold: ThresholdOpt = 0.5,
    early_stop: EarlyOpt = True,
    curve_data: CurveDataOpt = False,
    holdout: HoldoutOpt = None,
    check_leaks: Annotated[
        bool,
        typer.Option(
            "--check-leaks/--no-check-leaks",
            help="Reject, before any student call, a stored hint or explanation that tells the fix (fix_leak).",
        ),
    ] = True,
    seed: Annotated[int | None, typer.Option("--seed", help="Base seed (default: the record's).")] = None,
    student_model: StudentOpt = None,
    max_tokens: MaxTokensOpt = 512,
    problems_path: PathsOpt = None,
    executor: Annotated[str, typer.Option(help="sequential | threads | processes | ray.")] = "sequential",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Hints at once.")] = 2,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="With --executor ray: a running cluster (default: local).")
    ] = None,
) -> None:
    """Validate the hints of an existing file again, with other knobs or another student model; the fix-leak
    check runs first and rejects a hint that tells the fix (its reasons go to the trial's `leak_reasons`)."""
    from student_sim.executors import make_executor

    records = read_records(hints)
    validation = _validation(mode, n, alpha, beta, threshold, early_stop and not curve_data)
    update: dict[str, object] = {
        "validation": validation,
        "holdout": holdout if holdout is not None else (n if curve_data else 0),
        "full": curve_data,
        "check_leaks": check_leaks,
        **({"seed": seed} if seed is not None else {}),
    }
    worker = RevalidateWorker(update, student_model, max_tokens, list(problems_path or ()))
    done: dict[int, HintRecord] = {}
    try:
        run_on = make_executor(executor, concurrency, ray_address=ray_address)
        for (index, _), new in run_on.run(list(enumerate(records)), worker):
            if isinstance(new, BaseException):
                raise new
            done[index] = new
            typer.echo(_line(new))
    finally:
        worker.close()
    written = [done[i] for i in sorted(done)]  # the input's order, whatever order the jobs finished in
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(r.model_dump_json() + "\n" for r in written), encoding="utf-8")
    s = _summary(written)
    told = sum(bool(t.leak_reasons) and t.validation is None for r in written for t in r.trials)
    typer.echo(
        f"{s['accepted']}/{s['needing_a_hint']} hints accepted, {told} rejected as telling the fix, "
        f"{s['calls_total']} model calls -> {out}"
    )


def curve_command(
    hints: Annotated[Path, typer.Argument(help="A hints.jsonl (best made with --curve-data).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The plot (PNG); the points go next to it as JSON.")],
    mode: ModeOpt = "gpt4hints",
    useful_level: Annotated[
        float,
        typer.Option("--useful-level", min=0.0, max=1.0, help="Held-out success rate that makes a hint useful."),
    ] = 0.5,
) -> None:
    """Precision/coverage over a grid of knobs, from the stored attempts (no model calls)."""
    if mode not in ("gpt4hints", "pyfixv"):
        raise ConfigError(f"unknown --mode {mode!r}", "use gpt4hints or pyfixv")
    records = read_records(hints)
    the_mode: Mode = "pyfixv" if mode == "pyfixv" else "gpt4hints"
    points = curve_points(records, the_mode, useful_level=useful_level)
    output.parent.mkdir(parents=True, exist_ok=True)
    plot_curve(points, output)
    json_path = write_points(points, output.with_suffix(".json"))
    for p in points:
        prec = "-" if p.precision is None else f"{p.precision:.2f}"
        cov = "-" if p.coverage is None else f"{p.coverage:.2f}"
        typer.echo(f"{p.label:<16} coverage {cov}  precision {prec}  undetermined {p.undetermined}")
    typer.echo(f"{len(points)} points -> {output}, {json_path}")


def register(app: typer.Typer) -> None:
    """Mount `socratic hints ...`."""
    hints_app = typer.Typer(help="Programming hints validated by a simulated student.", no_args_is_help=True)
    hints_app.command("generate")(generate_command)
    hints_app.command("validate")(validate_command)
    hints_app.command("curve")(curve_command)
    app.add_typer(hints_app, name="hints")
