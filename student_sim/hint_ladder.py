"""Hint ladders per bug: a pointer, a conceptual hint and a next-step hint, each checked and validated apart.

For one bug of a debugging problem: the buggy program with only this bug's patch applied is the fix;
the tests it makes pass (they fail on the buggy program) are the target. Then for each level in order:

1. the hint model writes one hint of that level (`prompts/hint_level.jinja`), knowing the change and the
   ladder's earlier accepted hints;
2. the fix-leak check (`student_sim.fix_leak`, built from the diff alone) rejects a hint that quotes or
   paraphrases the fix; no student call is spent on it;
3. the simulated student tries to repair the program with the ladder's earlier hints (arm `without`) and
   with those plus this hint (arm `with`): the same help apart from this one hint. The validation rule and
   early stop are `student_sim.hint_validation`'s.

A rejected hint is rewritten with a new seed, at most `max_trials` hints per level. The accepted hints make
the bug's ladder; `ladder_file` turns records into the tutor's format (`tutor.problems.ladders`).

    pipeline = LadderPipeline(hint_model, student_model, sandbox, LadderConfig(), ModelsUsed(...))
    records = pipeline.generate(problem)        # one LadderRecord per bug
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field

from student_sim.fix_leak import FixFacts, check_hint
from student_sim.hint_grounding import ungrounded
from student_sim.hint_trace import run_facts
from student_sim.hint_validation import (
    AttemptRecord,
    CallCounter,
    FailingTest,
    LadderShown,
    RepairTask,
    StudentRepairer,
    ValidationConfig,
    ValidationRecord,
    derive_seed,
    render_prompt,
    run_validation,
)
from student_sim.hints import CallsUsed, ModelsUsed, _sampled
from tutor.errors import ModelBackendError, ModelOutputError
from tutor.problems.ladders import HINT_LEVELS, HintLevel, LadderFile, LadderHint
from tutor.problems.schema import Bug, DebuggingProblem
from tutor.sandbox import Limits, Sandbox

LADDER_RECORD_VERSION = 1
LadderStatus = Literal["ok", "no_patch", "no_target_test"]
LEVEL_INSTRUCTIONS: dict[HintLevel, tuple[str, str]] = {
    "pointer": (
        "pointer",
        "ask the student ONE question that makes them look at that line and at the value a variable holds "
        "there when the failing test runs. Do not say what is wrong.",
    ),
    "conceptual": (
        "conceptual",
        "in one sentence, say what the program currently does at that line (the value it produces) and what "
        "the exercise expects instead, in words about values and ideas, not code.",
    ),
    "next_step": (
        "next-step",
        "suggest ONE concrete experiment the student can do to see the mistake: a small input to trace by hand, "
        "or a print() to add, and what to watch for.",
    ),
}
# Patterns per level with slots to fill: a small model copies whole examples, but fills a pattern's slots
# from the program in front of it.
LEVEL_EXAMPLES: dict[HintLevel, tuple[str, str]] = {
    "pointer": (
        "When <the failing test> runs, what value does <a variable> hold on line <N>?",
        "Look at line <N> while <the failing test> runs: what happens to <a variable> there?",
    ),
    "conceptual": (
        "Line <N> makes <a variable> <what it becomes now>, but the exercise needs <the result it expects>.",
        "Right now <a variable> ends up as <its value now> for <the test's input>, while the test expects "
        "<the expected value>.",
    ),
    "next_step": (
        "Add print(<a variable>) on line <N> and run <the failing test>: does the value change the way you expect?",
        "Work through <the test's input> by hand, writing down <a variable> after line <N> each time. "
        "Where does it differ from what you want?",
    ),
}
# Levels whose writer sees the corrected line: saying what the program should do needs it; pointing and
# suggesting what to try do not, and a small model that sees the fix tends to repeat it.
SHOWS_FIX: frozenset[HintLevel] = frozenset({"conceptual"})


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LadderConfig(_Record):
    """How ladders are made and validated (stored with every record)."""

    validation: ValidationConfig = Field(default_factory=lambda: ValidationConfig())
    max_trials: int = Field(default=3, ge=1, le=10, description="Hints written per level until one is accepted.")
    seed: int = 0
    student_temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    hint_temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    check_leaks: bool = Field(default=True, description="Reject hints the fix-leak check flags, before validation.")
    run_facts: bool = Field(
        default=False,
        description="Show the hint writer what the failing test's run does (values on the bug's lines, from the "
        "sandbox), so the values a hint states are the program's own.",
    )


class LevelDraft(_Record):
    """The hint model's structured reply for one level."""

    hint: str = Field(min_length=1, description="One or two sentences for the student.")


class LevelTrial(_Record):
    """One written hint at one level: the leak check's verdict and, when it passed, the validation."""

    trial: int = Field(ge=0)
    seed: int
    hint: str | None = None
    error: str | None = Field(default=None, description="Why no hint came back (the trial counts as rejected).")
    calls: int = Field(default=0, description="Hint-model calls spent writing it.")
    leak_reasons: tuple[str, ...] = Field((), description="Why the fix-leak check says it tells the fix.")
    validation: ValidationRecord | None = None

    @property
    def accepted(self) -> bool:
        return self.validation is not None and self.validation.accepted


class LevelRecord(_Record):
    level: HintLevel
    earlier: tuple[str, ...] = Field((), description="The ladder's hints both arms were shown.")
    trials: tuple[LevelTrial, ...] = ()
    accepted_trial: int | None = None

    @property
    def accepted(self) -> LevelTrial | None:
        return next((t for t in self.trials if t.trial == self.accepted_trial), None)


class LadderRecord(_Record):
    """Everything about one bug's ladder: one line of `ladders.jsonl`."""

    schema_version: int = LADDER_RECORD_VERSION
    problem_id: str
    bug_id: str
    status: LadderStatus
    failing_test: FailingTest | None = None
    target_tests: tuple[str, ...] = ()
    levels: tuple[LevelRecord, ...] = ()
    calls: CallsUsed = Field(default_factory=CallsUsed)
    config: LadderConfig
    models: ModelsUsed


@dataclass(frozen=True)
class BugTask:
    """One bug's repair task: the program, the target tests, the failing one, and the facts of its fix."""

    task: RepairTask
    fixed: str
    facts: FixFacts
    run: str = ""  # what the failing test's run does (`hint_trace.run_facts`), when the writer is shown it

    @property
    def lines(self) -> list[int]:
        """The buggy program's lines the fix touches (line 1 when the diff names none)."""
        return sorted(self.facts.changed_lines) or [1]


def apply_patch(program: str, bug: Bug) -> str | None:
    """`program` with the bug's patch applied, or None when the bug has none or its text is not found."""
    if bug.patch is None or program.count(bug.patch.find) != 1:
        return None
    return program.replace(bug.patch.find, bug.patch.replace)


def bug_task(
    problem: DebuggingProblem, bug: Bug, sandbox: Sandbox, limits: Limits | None = None
) -> BugTask | LadderStatus:
    """The repair task for one bug, or why there is none (no patch; no test the patch alone makes pass).

    The student's own program comes first (its line numbers are the ones the tutor talks about); when other
    bugs hide every test this patch repairs, the program with only this bug left (the others patched) is used.
    """
    programs = [problem.buggy_code]
    others = problem.buggy_code
    for other in problem.bugs:
        if other.id != bug.id:
            others = apply_patch(others, other) or others
    if others != problem.buggy_code:
        programs.append(others)
    for program in programs:
        found = _task_on(problem, bug, program, sandbox, limits)
        if found is not None:
            return found
    return "no_patch" if apply_patch(problem.buggy_code, bug) is None else "no_target_test"


def _task_on(
    problem: DebuggingProblem, bug: Bug, program: str, sandbox: Sandbox, limits: Limits | None
) -> BugTask | None:
    fixed = apply_patch(program, bug)
    if fixed is None:
        return None
    tests = [(t.name, t.code) for t in problem.tests]
    before = sandbox.run_tests(program, tests, limits)
    after = sandbox.run_tests(fixed, tests, limits)
    target = [t for t in problem.tests if t.name in before.failed and t.name in after.passed]
    if not target:
        return None
    first = target[0]
    message = before.by_name()[first.name].message or (before.error or "")
    failing = FailingTest(name=first.name, code=first.code, message=message)
    task = RepairTask(problem.statement, program, failing, tuple((t.name, t.code) for t in target))
    lines = bug.lines if program == problem.buggy_code else ()
    return BugTask(task, fixed, FixFacts.from_programs(program, fixed, lines))


def write_level_hint(
    model: BaseChatModel,
    bug: BugTask,
    level: HintLevel,
    earlier: tuple[str, ...],
    *,
    seed: int,
    temperature: float,
    counter: CallCounter,
) -> str:
    """One hint of `level` from the hint model (structured output).

    Raises:
        ModelOutputError, ModelBackendError: the model gave nothing usable.
    """
    task = bug.task
    numbered = "\n".join(f"{i:>2}  {line}" for i, line in enumerate(task.buggy_code.rstrip("\n").splitlines(), 1))
    name, instruction = LEVEL_INSTRUCTIONS[level]
    prompt = render_prompt(
        "hint_level.jinja",
        statement=task.statement.strip(),
        numbered_code=numbered,
        test_code=task.failing.code.rstrip("\n"),
        test_message=task.failing.message,
        bug_lines=", ".join(str(n) for n in bug.lines),
        show_fix=level in SHOWS_FIX,
        fixed_lines=list(bug.facts.added),
        earlier=list(earlier),
        level_name=name,
        level_instruction=instruction,
        examples=list(LEVEL_EXAMPLES[level]),
        run_facts=bug.run,
    )
    structured = _sampled(model, seed, temperature).with_structured_output(LevelDraft)
    draft = structured.invoke([HumanMessage(content=prompt)], config={"callbacks": [counter]})
    if not isinstance(draft, LevelDraft):
        draft = LevelDraft.model_validate(draft)
    return draft.hint.strip()


class LadderPipeline:
    """Writes, checks and validates hint ladders for the bugs of debugging problems.

    Args:
        hint_model: writes the hints.
        student_model: the simulated student that attempts repairs.
        sandbox: runs every program against the tests.
        config: knobs; stored with every record.
        models: the two models' specs, for the record.
        limits: sandbox limits per run.
    """

    def __init__(
        self,
        hint_model: BaseChatModel,
        student_model: BaseChatModel,
        sandbox: Sandbox,
        config: LadderConfig,
        models: ModelsUsed,
        limits: Limits | None = None,
    ) -> None:
        self.hint_model = hint_model
        self.student_model = student_model
        self.sandbox = sandbox
        self.config = config
        self.models = models
        self.limits = limits

    def generate(self, problem: DebuggingProblem) -> list[LadderRecord]:
        """One ladder record per bug of `problem`."""
        return [self.generate_bug(problem, bug) for bug in problem.bugs]

    def generate_bug(self, problem: DebuggingProblem, bug: Bug) -> LadderRecord:
        shell = LadderRecord(problem_id=problem.id, bug_id=bug.id, status="ok", config=self.config, models=self.models)
        found = bug_task(problem, bug, self.sandbox, self.limits)
        if isinstance(found, str):
            return shell.model_copy(update={"status": found})
        if self.config.run_facts:
            found = dataclasses.replace(found, run=run_facts(found.task, found.lines, self.sandbox, self.limits))
        earlier: tuple[str, ...] = ()
        levels: list[LevelRecord] = []
        for level in HINT_LEVELS:
            record = self._level(problem.id, bug.id, found, level, earlier)
            levels.append(record)
            if (accepted := record.accepted) is not None and accepted.hint:
                earlier += (accepted.hint,)
        trials = [t for lv in levels for t in lv.trials]
        calls = CallsUsed(
            hint=sum(t.calls for t in trials),
            student=sum(t.validation.calls for t in trials if t.validation is not None),
        )
        return shell.model_copy(
            update={
                "failing_test": found.task.failing,
                "target_tests": tuple(name for name, _ in found.task.tests),
                "levels": tuple(levels),
                "calls": calls,
            }
        )

    def _level(
        self, problem_id: str, bug_id: str, bug: BugTask, level: HintLevel, earlier: tuple[str, ...]
    ) -> LevelRecord:
        """Write hints of one level until one passes the leak check and the validation, or trials run out."""
        repairer = StudentRepairer(
            self.student_model,
            self.sandbox,
            temperature=self.config.student_temperature,
            base_seed=derive_seed(self.config.seed, problem_id, bug_id, level, "student"),
            limits=self.limits,
        )
        cache: dict[int, AttemptRecord] = {}  # the without arm sees `earlier` only: shared by the trials
        trials: list[LevelTrial] = []
        for t in range(self.config.max_trials):
            trial = self._trial(problem_id, bug_id, bug, level, earlier, t, repairer, cache)
            trials.append(trial)
            if trial.accepted:
                return LevelRecord(level=level, earlier=earlier, trials=tuple(trials), accepted_trial=t)
        return LevelRecord(level=level, earlier=earlier, trials=tuple(trials))

    def _trial(
        self,
        problem_id: str,
        bug_id: str,
        bug: BugTask,
        level: HintLevel,
        earlier: tuple[str, ...],
        t: int,
        repairer: StudentRepairer,
        cache: dict[int, AttemptRecord],
    ) -> LevelTrial:
        seed = derive_seed(self.config.seed, problem_id, bug_id, level, "hint", t)
        counter = CallCounter()
        try:
            hint = write_level_hint(
                self.hint_model,
                bug,
                level,
                earlier,
                seed=seed,
                temperature=self.config.hint_temperature,
                counter=counter,
            )
        except (ModelOutputError, ModelBackendError) as exc:
            return LevelTrial(trial=t, seed=seed, error=f"model: {exc.message}", calls=counter.count)
        if why := unusable(hint, bug):
            return LevelTrial(trial=t, seed=seed, hint=hint, error=why, calls=counter.count)
        verdict = check_hint(hint, bug.facts)
        if verdict.leaks and self.config.check_leaks:
            return LevelTrial(trial=t, seed=seed, hint=hint, calls=counter.count, leak_reasons=verdict.reasons)
        validation = run_validation(
            repairer.attempt_fn(bug.task, LadderShown(earlier, hint)), self.config.validation, without_cache=cache
        )
        return LevelTrial(
            trial=t,
            seed=seed,
            hint=hint,
            calls=counter.count,
            leak_reasons=verdict.reasons,
            validation=validation,
        )


def cut_off(hint: str) -> str | None:
    """Why a hint reads as cut off mid-sentence, or None. Seen: a model writing `if day == "Saturday"` inside
    a JSON string ends the string at the quote, and the hint came back as 'The line `if day =='."""
    text = hint.rstrip()
    if text.count("`") % 2:
        return "a code span is never closed"
    if re.search(r"[=(\[{,:+\-*/<>]$", text):
        return "it ends in the middle of an expression"
    return None


def unusable(hint: str, bug: BugTask) -> str | None:
    """Why a hint is rejected before the fix-leak check and validation: cut off, or not about this program."""
    if why := cut_off(hint):
        return f"the hint is cut off ({why})"
    if why := ungrounded(hint, bug.task.buggy_code, _seen(bug)):
        return f"the hint is not about this program ({why})"
    return None


def _seen(bug: BugTask) -> str:
    """What the student sees besides the program: the failing test and its message."""
    return f"{bug.task.failing.code}\n{bug.task.failing.message}"


def recheck_accepted(
    records: list[LadderRecord], problems: Mapping[str, DebuggingProblem], sandbox: Sandbox
) -> tuple[list[LadderRecord], list[str]]:
    """The records with every accepted hint checked again by the fix-leak check as it is now (it may have
    learned since the run), for being cut off, and for being about this program (`ungrounded`), and what was
    dropped.

    A flagged accepted hint loses its acceptance, and so do the levels after it in that ladder: both arms of
    their validation were shown the flagged hint, so their figures measured help given on top of the fix. A
    record whose problem is not in `problems` is kept as it is.
    """
    out: list[LadderRecord] = []
    dropped: list[str] = []
    for record in records:
        problem = problems.get(record.problem_id)
        task = bug_task(problem, problem.bug(record.bug_id), sandbox) if problem and record.status == "ok" else None
        if task is None or isinstance(task, str):
            out.append(record)
            continue
        levels: list[LevelRecord] = []
        broken = False  # a flagged hint was dropped: the rest of this ladder was validated on top of it
        for level in record.levels:
            hint = level.accepted.hint if level.accepted else None
            if hint and not broken and (reasons := check_hint(hint, task.facts).reasons):
                dropped.append(f"{record.problem_id} {record.bug_id} {level.level}: tells the fix ({reasons[0]})")
                broken = True
            why = unusable(hint, task) if hint and not broken else None
            if why:  # less help than promised, not the fix: the later levels keep their figures
                dropped.append(f"{record.problem_id} {record.bug_id} {level.level}: {why}")
            if (broken or why) and level.accepted_trial is not None:
                level = level.model_copy(update={"accepted_trial": None})
            levels.append(level)
        out.append(record.model_copy(update={"levels": tuple(levels)}))
    return out, dropped


def ladder_file(records: list[LadderRecord], levels: Sequence[HintLevel] = HINT_LEVELS) -> LadderFile:
    """The tutor's ladder file from ladder records: per bug, the accepted hint of each of `levels` with its
    figures (a level left out falls back to the tutor's template there)."""
    ladders: dict[str, dict[str, list[LadderHint]]] = {}
    for record in records:
        hints = []
        for level in record.levels:
            accepted = level.accepted
            if accepted is None or accepted.hint is None or accepted.validation is None or level.level not in levels:
                continue
            v = accepted.validation
            hints.append(
                LadderHint(
                    level=level.level,
                    text=accepted.hint,
                    n1=v.n1,
                    n2=v.n2,
                    attempts=v.done_with,
                    attempts_without=v.done_without,
                    student_model=record.models.student,
                    hint_model=record.models.hint,
                )
            )
        if hints:
            ladders.setdefault(record.problem_id, {})[record.bug_id] = hints
    first = records[0] if records else None
    return LadderFile(
        models=first.models.model_dump() if first else {},
        config=first.config.model_dump(mode="json") if first else {},
        ladders=ladders,
    )
