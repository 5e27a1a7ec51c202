"""Programming hints from a failing test, validated by a simulated student.

For a buggy program: run the tests to find one that fails; take the problem's fixed program, or have the
hint model propose `k` repairs and keep the passing one closest to the buggy program (token edit
distance); the hint model writes an explanation and a one-sentence hint from the exercise, the buggy
program, the failing test and the fix; a student model then validates it (`student_sim.hint_validation`).
A rejected hint is rewritten with a new seed, at most `max_trials` times.

    pipeline = HintPipeline(hint_model, student_model, sandbox, HintConfig(), specs=ModelsUsed(...))
    record = pipeline.generate(problem)        # HintRecord: failing test, fix, every trial, decision, calls
    record.accepted, record.hint

The record is complete enough to recompute decisions under other knobs without a model
(`student_sim.hint_curve`).
"""

from __future__ import annotations

import difflib
import io
import tokenize
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field

from student_sim.fix_leak import FixFacts, check_hint
from student_sim.hint_validation import (
    AttemptRecord,
    CallCounter,
    FailingTest,
    HintText,
    RepairTask,
    StudentRepairer,
    ValidationConfig,
    ValidationRecord,
    code_sha,
    derive_seed,
    extract_program,
    render_prompt,
    run_validation,
)
from tutor.errors import ModelBackendError, ModelOutputError
from tutor.problems.schema import DebuggingProblem
from tutor.sandbox import Limits, Sandbox

SCHEMA_VERSION = 1
FixSource = Literal["problem", "model"]
Status = Literal["ok", "no_failing_test", "no_fix"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HintConfig(_Record):
    """How hints are made and validated (stored with every record)."""

    validation: ValidationConfig = Field(default_factory=lambda: ValidationConfig())
    max_trials: int = Field(default=3, ge=1, le=10, description="Hints written per problem until one is accepted.")
    fix: FixSource = Field(
        default="problem", description="The problem's fixed program, or k repairs by the hint model."
    )
    k_fixes: int = Field(default=5, ge=1, le=50, description="Repairs the hint model proposes when fix='model'.")
    seed: int = Field(default=0, description="Base seed: every hint, fix and attempt seed derives from it.")
    student_temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    hint_temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    holdout: int = Field(
        default=0, ge=0, le=1000, description="Extra with-hint attempts per trial (curve ground truth)."
    )
    full: bool = Field(
        default=False, description="Run both arms to n and every trial, whatever the decisions (curve data)."
    )
    check_leaks: bool = Field(
        default=True, description="Reject, before validation, a hint or explanation that tells the fix (fix_leak)."
    )


class HintDraft(_Record):
    """The hint model's structured reply."""

    # No max_length: a local backend compiles the schema into a grammar, and length bounds blow it up.
    explanation: str = Field(min_length=1, description="Which line is wrong and why.")
    hint: str = Field(min_length=1, description="One sentence nudging towards the fix.")


class FixCandidate(_Record):
    """One repair proposed by the hint model."""

    seed: int
    code_sha: str | None = None
    passed: bool = False
    edit_distance: int | None = Field(default=None, description="Token edit distance to the buggy program.")
    error: str | None = None


class TrialRecord(_Record):
    """One written hint and its validation."""

    trial: int = Field(ge=0)
    seed: int
    explanation: str | None = None
    hint: str | None = None
    error: str | None = Field(default=None, description="Why no hint came back (the trial then counts as rejected).")
    calls: int = Field(default=0, description="Hint-model calls spent writing this hint.")
    validation: ValidationRecord | None = None
    reveals_fix: bool = Field(
        default=False, description="The explanation or hint quotes a line the fix adds (spacing ignored)."
    )
    label_useful: bool | None = Field(default=None, description="A human judgement of the hint, when someone gave one.")
    leak_reasons: tuple[str, ...] = Field((), description="Why the fix-leak check says the text tells the fix.")

    @property
    def accepted(self) -> bool:
        return self.validation is not None and self.validation.accepted


class ModelsUsed(_Record):
    hint: str = Field(description="Spec of the model that wrote fixes and hints.")
    student: str = Field(description="Spec of the simulated student.")


class CallsUsed(_Record):
    hint: int = 0
    student: int = 0

    @property
    def total(self) -> int:
        return self.hint + self.student


class HintRecord(_Record):
    """Everything about one problem's hint: one line of `hints.jsonl`."""

    schema_version: int = SCHEMA_VERSION
    problem_id: str
    status: Status
    buggy_code: str
    failing_test: FailingTest | None = None
    fix_source: FixSource | None = None
    fixed_code: str | None = None
    fix_candidates: tuple[FixCandidate, ...] = ()
    trials: tuple[TrialRecord, ...] = ()
    accepted: bool = False
    accepted_trial: int | None = None
    explanation: str | None = None
    hint: str | None = None
    calls: CallsUsed = Field(default_factory=CallsUsed)
    config: HintConfig
    models: ModelsUsed


# -------------------------------------------------------------------------------------------- the pieces


def find_failing_test(
    problem: DebuggingProblem, program: str, sandbox: Sandbox, limits: Limits | None = None
) -> FailingTest | None:
    """The first test `program` fails (an assertion before an error), or None when all pass."""
    run = sandbox.run_tests(program, [(t.name, t.code) for t in problem.tests], limits)
    by_name = run.by_name()
    order = [t for t in problem.tests if t.name in run.failed]
    order.sort(key=lambda t: by_name[t.name].status != "failed")
    if not order:
        return None
    first = order[0]
    return FailingTest(name=first.name, code=first.code, message=by_name[first.name].message or (run.error or ""))


def _tokens(code: str) -> list[str]:
    skip = (tokenize.NL, tokenize.ENDMARKER)
    return [
        t.string if t.type != tokenize.DEDENT else "<dedent>"
        for t in tokenize.generate_tokens(io.StringIO(code).readline)
        if t.type not in skip
    ]


def token_edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between the Python token sequences of two programs (characters when either
    does not tokenize). Token level, as PyFiXV measures repairs: renaming `x` to `total` is one edit."""
    try:
        left, right = _tokens(a), _tokens(b)
    except (tokenize.TokenError, SyntaxError):
        left, right = list(a), list(b)
    if len(left) < len(right):
        left, right = right, left
    previous = list(range(len(right) + 1))
    for i, x in enumerate(left, 1):
        current = [i]
        for j, y in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def reveals_fix(draft: HintDraft, buggy_code: str, fixed_code: str) -> bool:
    """Whether the explanation or the hint quotes a line that the fix adds, whitespace ignored.

    Recorded, not enforced: the rule decides on the student's repairs; an educator can filter on it.
    Lines shorter than 4 characters (`else:`, `)`) are too common to count as quoting the fix.
    """
    squeeze = "".join
    buggy = {squeeze(line.split()) for line in buggy_code.splitlines()}
    added = {squeeze(line.split()) for line in fixed_code.splitlines()} - buggy
    said = squeeze((draft.explanation + " " + draft.hint).split())
    return any(len(line) >= 4 and line in said for line in added)


def _sampled(model: BaseChatModel, seed: int, temperature: float) -> BaseChatModel:
    """The model with this seed and temperature, where the backend has such fields (a binding would not
    survive `with_structured_output`); backends without them are used as they are."""
    fields = type(model).model_fields
    update = {k: v for k, v in (("seed", seed), ("temperature", temperature)) if k in fields}
    return model.model_copy(update=update) if update else model


def propose_fixes(
    model: BaseChatModel,
    task: RepairTask,
    sandbox: Sandbox,
    *,
    k: int,
    base_seed: int,
    temperature: float,
    counter: CallCounter,
    limits: Limits | None = None,
) -> tuple[str | None, tuple[FixCandidate, ...]]:
    """Ask for `k` repairs; return the passing one with the smallest token edit distance (ties: first)."""
    prompt = render_prompt(
        "hint_propose_fix.jinja",
        statement=task.statement.strip(),
        buggy_code=task.buggy_code.rstrip("\n"),
        test_code=task.failing.code.rstrip("\n"),
        test_message=task.failing.message,
    )
    best: tuple[int, str] | None = None
    candidates: list[FixCandidate] = []
    for i in range(k):
        seed = derive_seed(base_seed, "fix", i)
        try:
            reply = model.invoke(
                [HumanMessage(content=prompt)],
                config={"callbacks": [counter]},
                seed=seed,
                temperature=temperature,
            )
        except (ModelOutputError, ModelBackendError) as exc:
            candidates.append(FixCandidate(seed=seed, error=f"model: {exc.message}"))
            continue
        program = extract_program(str(reply.content))
        if program is None:
            candidates.append(FixCandidate(seed=seed, error="no program in the reply"))
            continue
        run = sandbox.run_tests(program, list(task.tests), limits)
        distance = token_edit_distance(task.buggy_code, program)
        candidates.append(
            FixCandidate(
                seed=seed,
                code_sha=code_sha(program),
                passed=run.all_passed,
                edit_distance=distance,
                error=run.error,
            )
        )
        if run.all_passed and (best is None or distance < best[0]):
            best = (distance, program)
    return (best[1] if best else None), tuple(candidates)


def write_hint(
    model: BaseChatModel,
    task: RepairTask,
    fixed_code: str,
    *,
    seed: int,
    temperature: float,
    counter: CallCounter,
) -> HintDraft:
    """One explanation + hint from the hint model (structured output).

    Raises:
        ModelOutputError, ModelBackendError: the model gave nothing usable.
    """
    diff = "".join(
        difflib.unified_diff(
            task.buggy_code.splitlines(keepends=True),
            fixed_code.splitlines(keepends=True),
            "buggy.py",
            "fixed.py",
            n=1,
        )
    )
    prompt = render_prompt(
        "hint_write.jinja",
        statement=task.statement.strip(),
        buggy_code=task.buggy_code.rstrip("\n"),
        test_code=task.failing.code.rstrip("\n"),
        test_message=task.failing.message,
        fixed_code=fixed_code.rstrip("\n"),
        diff=diff.rstrip("\n"),
    )
    structured = _sampled(model, seed, temperature).with_structured_output(HintDraft)
    draft = structured.invoke([HumanMessage(content=prompt)], config={"callbacks": [counter]})
    if not isinstance(draft, HintDraft):  # a backend that ignored the schema class
        draft = HintDraft.model_validate(draft)
    return draft


# -------------------------------------------------------------------------------------------- pipeline


class HintPipeline:
    """Generates and validates hints for debugging problems.

    Args:
        hint_model: writes fixes (fix='model') and hints.
        student_model: the simulated student that attempts repairs.
        sandbox: runs every program against the tests.
        config: knobs; stored with every record.
        models: the specs of the two models, for the record.
        limits: sandbox limits per run (default: the sandbox's).
    """

    def __init__(
        self,
        hint_model: BaseChatModel,
        student_model: BaseChatModel,
        sandbox: Sandbox,
        config: HintConfig,
        models: ModelsUsed,
        limits: Limits | None = None,
    ) -> None:
        self.hint_model = hint_model
        self.student_model = student_model
        self.sandbox = sandbox
        self.config = config
        self.models = models
        self.limits = limits

    def _repairer(self, problem_id: str) -> StudentRepairer:
        return StudentRepairer(
            self.student_model,
            self.sandbox,
            temperature=self.config.student_temperature,
            base_seed=derive_seed(self.config.seed, problem_id, "student"),
            limits=self.limits,
        )

    def generate(self, problem: DebuggingProblem, buggy_code: str | None = None) -> HintRecord:
        """Find a failing test, a fix, then write and validate hints until one is accepted.

        Args:
            problem: the exercise, its tests and (for fix='problem') its fixed program.
            buggy_code: a student's program; default the problem's own buggy program.
        """
        buggy = buggy_code if buggy_code is not None else problem.buggy_code
        shell = HintRecord(problem_id=problem.id, status="ok", buggy_code=buggy, config=self.config, models=self.models)
        failing = find_failing_test(problem, buggy, self.sandbox, self.limits)
        if failing is None:
            return shell.model_copy(update={"status": "no_failing_test"})
        task = RepairTask(problem.statement, buggy, failing, tuple((t.name, t.code) for t in problem.tests))
        counter = CallCounter()
        candidates: tuple[FixCandidate, ...] = ()
        if self.config.fix == "problem":
            fixed: str | None = problem.fixed_code
        else:
            fixed, candidates = propose_fixes(
                self.hint_model,
                task,
                self.sandbox,
                k=self.config.k_fixes,
                base_seed=derive_seed(self.config.seed, problem.id),
                temperature=self.config.hint_temperature,
                counter=counter,
                limits=self.limits,
            )
        shell = shell.model_copy(
            update={
                "failing_test": failing,
                "fix_source": self.config.fix,
                "fix_candidates": candidates,
                "fixed_code": fixed,
            }
        )
        if fixed is None:
            return shell.model_copy(update={"status": "no_fix", "calls": CallsUsed(hint=counter.count)})
        fix_calls = counter.count
        return _finish(shell, self._trials(problem.id, task, fixed), hint_calls=fix_calls)

    def _trials(self, problem_id: str, task: RepairTask, fixed: str) -> list[TrialRecord]:
        repairer = self._repairer(problem_id)
        cache: dict[int, AttemptRecord] = {}
        trials: list[TrialRecord] = []
        for t in range(self.config.max_trials):
            seed = derive_seed(self.config.seed, problem_id, "hint", t)
            counter = CallCounter()
            try:
                draft = write_hint(
                    self.hint_model,
                    task,
                    fixed,
                    seed=seed,
                    temperature=self.config.hint_temperature,
                    counter=counter,
                )
            except (ModelOutputError, ModelBackendError) as exc:
                trials.append(TrialRecord(trial=t, seed=seed, error=f"model: {exc.message}", calls=counter.count))
                continue
            facts = FixFacts.from_programs(task.buggy_code, fixed)
            leaks = check_hint(draft.explanation, facts).reasons + check_hint(draft.hint, facts).reasons
            trial = TrialRecord(
                trial=t,
                seed=seed,
                explanation=draft.explanation,
                reveals_fix=reveals_fix(draft, task.buggy_code, fixed),
                hint=draft.hint,
                calls=counter.count,
                leak_reasons=tuple(dict.fromkeys(leaks)),
            )
            if leaks and self.config.check_leaks:
                trials.append(trial)  # told the fix: rewritten without spending a student call
                continue
            validation = self._validate(repairer, task, HintText(draft.explanation, draft.hint), cache)
            trials.append(trial.model_copy(update={"validation": validation}))
            if trials[-1].accepted and not self.config.full:
                break
        return trials

    def _validate(
        self, repairer: StudentRepairer, task: RepairTask, hint: HintText, cache: dict[int, AttemptRecord]
    ) -> ValidationRecord:
        return run_validation(
            repairer.attempt_fn(task, hint),
            self.config.validation,
            without_cache=cache,
            holdout=self.config.holdout,
            full=self.config.full,
        )

    def revalidate(self, record: HintRecord, problem: DebuggingProblem) -> HintRecord:
        """Validate the hints a record already holds under this pipeline's knobs (no hint is rewritten).

        The failing test and fix come from the record; the tests from `problem`. Trials without a hint
        are kept as they were.
        """
        base = record.model_copy(update={"config": self.config, "models": self.models})
        if record.status != "ok" or record.failing_test is None:
            return base
        task = RepairTask(
            problem.statement,
            record.buggy_code,
            record.failing_test,
            tuple((t.name, t.code) for t in problem.tests),
        )
        repairer = self._repairer(problem.id)
        cache: dict[int, AttemptRecord] = {}
        trials: list[TrialRecord] = []
        for old in record.trials:
            if old.hint is None or old.explanation is None:
                trials.append(old.model_copy(update={"calls": 0}))
                continue
            validation = self._validate(repairer, task, HintText(old.explanation, old.hint), cache)
            trials.append(old.model_copy(update={"validation": validation, "calls": 0}))
            if validation.accepted and not self.config.full:
                break
        return _finish(base, trials, hint_calls=0)


def _finish(record: HintRecord, trials: list[TrialRecord], *, hint_calls: int) -> HintRecord:
    chosen = next((t for t in trials if t.accepted), None)
    calls = CallsUsed(
        hint=hint_calls + sum(t.calls for t in trials),
        student=sum(t.validation.calls for t in trials if t.validation is not None),
    )
    return record.model_copy(
        update={
            "trials": tuple(trials),
            "accepted": chosen is not None,
            "accepted_trial": chosen.trial if chosen else None,
            "explanation": chosen.explanation if chosen else None,
            "hint": chosen.hint if chosen else None,
            "calls": calls,
        }
    )
