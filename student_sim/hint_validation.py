"""Validating a programming hint with a simulated student (GPT4Hints-GPT3.5Val, PyFiXV).

A student model tries to repair the buggy program `n` times without the hint (arm `without`) and `n` times
with it (arm `with`); every attempt is checked by running the problem's tests in the sandbox. Two rules:

- `gpt4hints`: accept iff n2 >= n1 and (n2/n >= alpha or (n2 - n1)/n >= beta)  (paper: 10, 0.5, 0.25);
- `pyfixv`:    accept iff n2/n >= threshold (the without arm is never read, so it is never sampled).

Early stopping. Both rules are monotone: raising n2 or lowering n1 never turns an accept into a reject.
So after any prefix of attempts the final decision lies between the rule at (n1 max, n2 min) and at
(n1 min, n2 max); once these agree, no outcome of the remaining attempts can change it and sampling stops.
Each attempt's seed depends only on (arm, index), so with a deterministic student the early-stopped
decision is exactly the fixed-n decision; only the number of calls differs.

    record = run_validation(attempt_fn, ValidationConfig(n=10))     # attempt_fn(arm, index) -> AttemptRecord
    record.accepted, record.calls

`StudentRepairer` is the attempt function backed by a chat model and the sandbox.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutor.errors import ModelBackendError, ModelOutputError
from tutor.sandbox import Limits, Sandbox

Mode = Literal["gpt4hints", "pyfixv"]
Arm = Literal["without", "with", "holdout"]
DecisionArm = Literal["without", "with"]
# Ratios are compared with a little slack so that 0.3 * 10 == 3 holds despite binary floats.
_EPS = 1e-9
_PROMPTS = Path(__file__).parent / "prompts"
# Above this many (n1, n2) completions the lookahead costs more than it saves; plain alternation then.
_LOOKAHEAD_CELLS = 10_000


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValidationConfig(_Record):
    """The educator's precision knobs: which rule, how many attempts per arm, and its thresholds."""

    mode: Mode = "gpt4hints"
    n: int = Field(default=10, ge=1, le=1000, description="Repair attempts per arm.")
    alpha: float = Field(default=0.5, ge=0.0, le=1.0, description="gpt4hints: accept when n2/n >= alpha ...")
    beta: float = Field(default=0.25, ge=0.0, le=1.0, description="... or when (n2 - n1)/n >= beta (and n2 >= n1).")
    threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="pyfixv: accept iff n2/n >= threshold.")
    early_stop: bool = Field(default=True, description="Stop sampling once the decision can no longer change.")


def accepts(n1: int, n2: int, config: ValidationConfig) -> bool:
    """The acceptance rule on the success counts without (n1) and with (n2) the hint, out of `config.n`."""
    n = config.n
    if config.mode == "pyfixv":
        return n2 / n >= config.threshold - _EPS
    return n2 >= n1 and (n2 / n >= config.alpha - _EPS or (n2 - n1) / n >= config.beta - _EPS)


def arms_read(config: ValidationConfig) -> tuple[DecisionArm, ...]:
    """The arms the rule reads: a rule that ignores n1 never pays for the without arm."""
    return ("with",) if config.mode == "pyfixv" else ("without", "with")


def settled_decision(s1: int, k1: int, s2: int, k2: int, config: ValidationConfig) -> bool | None:
    """The decision if it no longer depends on the remaining attempts, else None.

    Args:
        s1, k1: successes and attempts so far without the hint.
        s2, k2: successes and attempts so far with the hint.
    """
    r1, r2 = config.n - k1, config.n - k2
    best = accepts(s1, s2 + r2, config)  # the most favourable completion
    worst = accepts(s1 + r1, s2, config)  # the least favourable one
    return best if best == worst else None


def _arm_matters(arm: DecisionArm, s1: int, k1: int, s2: int, k2: int, config: ValidationConfig) -> bool:
    """Whether some outcome of `arm`'s remaining attempts can flip the decision (for some outcome of
    the other arm)."""
    r1, r2 = config.n - k1, config.n - k2
    if arm == "without":
        return any(accepts(s1, m, config) != accepts(s1 + r1, m, config) for m in range(s2, s2 + r2 + 1))
    return any(accepts(m, s2, config) != accepts(m, s2 + r2, config) for m in range(s1, s1 + r1 + 1))


class AttemptRecord(_Record):
    """One repair attempt by the simulated student, as checked by the tests."""

    arm: Arm
    index: int = Field(ge=0)
    seed: int
    success: bool = Field(description="Every test passed.")
    passed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    code_sha: str | None = Field(
        default=None, description="sha256[:12] of the program tried; None when none came back."
    )
    error: str | None = Field(default=None, description="Why there was no program or no test run (model fault...).")
    reused: bool = Field(default=False, description="A without-hint attempt taken over from an earlier trial.")
    calls: int = Field(default=1, ge=0, description="Model calls this attempt spent here (0 when reused).")


class ValidationRecord(_Record):
    """Everything one validation did: the knobs, every attempt, the counts and the decision."""

    config: ValidationConfig
    accepted: bool
    n1: int = Field(description="Successes without the hint, over `done_without` attempts.")
    n2: int = Field(description="Successes with the hint, over `done_with` attempts.")
    done_without: int
    done_with: int
    early_stopped: bool = Field(description="Stopped before every attempt the rule reads was made.")
    calls: int = Field(description="Model calls spent by this validation (holdout included).")
    attempts: tuple[AttemptRecord, ...]
    holdout: tuple[AttemptRecord, ...] = Field(
        (), description="Extra with-hint attempts that never enter the decision (ground truth for curves)."
    )

    @model_validator(mode="after")
    def _counts_match(self) -> ValidationRecord:
        without = [a for a in self.attempts if a.arm == "without"]
        with_ = [a for a in self.attempts if a.arm == "with"]
        if (len(without), len(with_)) != (self.done_without, self.done_with):
            raise ValueError("done_without/done_with disagree with the attempts")
        if (sum(a.success for a in without), sum(a.success for a in with_)) != (self.n1, self.n2):
            raise ValueError("n1/n2 disagree with the attempts")
        return self

    @property
    def complete(self) -> bool:
        """Both arms ran all n attempts, so any knob setting can be decided from this record."""
        return self.done_without == self.config.n and self.done_with == self.config.n


AttemptFn = Callable[[Arm, int], AttemptRecord]


def run_validation(
    attempt: AttemptFn,
    config: ValidationConfig,
    *,
    without_cache: MutableMapping[int, AttemptRecord] | None = None,
    holdout: int = 0,
    full: bool = False,
) -> ValidationRecord:
    """Run the repair attempts a decision needs and decide.

    Args:
        attempt: makes attempt `index` of `arm`; its outcome must depend only on (arm, index, hint).
        config: the rule and its knobs; `early_stop=False` runs every attempt the rule reads.
        without_cache: without-hint attempts by index, shared between the trials of one problem (they do
            not depend on the hint); reused ones cost no call. New ones are added to it.
        holdout: extra with-hint attempts after the decision, recorded apart (never read by the rule).
        full: run both arms to n whatever the rule reads or the early stop says (data for curves).
    """
    done: dict[DecisionArm, list[AttemptRecord]] = {"without": [], "with": []}
    read: tuple[DecisionArm, ...] = ("without", "with") if full else arms_read(config)
    calls = 0
    while True:
        s1, k1, s2, k2 = _counts(done)
        settled = settled_decision(s1, k1, s2, k2, config)
        if all(len(done[a]) == config.n for a in read):
            break
        if config.early_stop and not full and settled is not None:
            break
        arm = _next_arm(done, read, config, without_cache, early=config.early_stop and not full)
        index = len(done[arm])
        cached = without_cache.get(index) if arm == "without" and without_cache is not None else None
        if cached is not None:
            record = cached.model_copy(update={"reused": True, "calls": 0})
        else:
            record = attempt(arm, index)
            calls += record.calls
            if arm == "without" and without_cache is not None:
                without_cache[index] = record
        done[arm].append(record)
    assert settled is not None  # every attempt the rule reads was made, or the early stop said so
    extra = tuple(attempt("holdout", i) for i in range(holdout))
    calls += sum(a.calls for a in extra)
    s1, k1, s2, k2 = _counts(done)
    return ValidationRecord(
        config=config,
        accepted=settled,
        n1=s1,
        n2=s2,
        done_without=k1,
        done_with=k2,
        early_stopped=any(len(done[a]) < config.n for a in arms_read(config)),
        calls=calls,
        attempts=tuple(_interleave(done)),
        holdout=extra,
    )


def _counts(done: dict[DecisionArm, list[AttemptRecord]]) -> tuple[int, int, int, int]:
    without, with_ = done["without"], done["with"]
    return sum(a.success for a in without), len(without), sum(a.success for a in with_), len(with_)


def _next_arm(
    done: dict[DecisionArm, list[AttemptRecord]],
    read: tuple[DecisionArm, ...],
    config: ValidationConfig,
    cache: MutableMapping[int, AttemptRecord] | None,
    *,
    early: bool,
) -> DecisionArm:
    """Which arm to sample next. The order never changes a decision (outcomes depend on (arm, index)
    only), just how soon it settles."""
    open_arms = [a for a in read if len(done[a]) < config.n]
    s1, k1, s2, k2 = _counts(done)
    if early:
        # Not settled means at least one arm can still flip the decision (see settled_decision).
        open_arms = [a for a in open_arms if _arm_matters(a, s1, k1, s2, k2, config)]
    if "without" in open_arms and cache is not None and len(done["without"]) in cache:
        return "without"  # free information first
    if not early or len(open_arms) == 1 or (config.n - k1 + 1) * (config.n - k2 + 1) > _LOOKAHEAD_CELLS:
        # Alternate, the hint arm first on ties: each arm bounds the other's side of the rule.
        return min(open_arms, key=lambda a: (len(done[a]), a != "with"))

    # One-step lookahead: the arm whose next outcome (success rate estimated by Laplace's rule) leaves
    # the smallest share of completions that disagree with the majority decision. On a grid of success
    # rates this settles about 13% sooner than plain alternation (bench/bench_hints.py, `simulated`).
    def after(arm: DecisionArm) -> float:
        if arm == "without":
            p = (s1 + 1) / (k1 + 2)
            return p * _minority(s1 + 1, k1 + 1, s2, k2, config) + (1 - p) * _minority(s1, k1 + 1, s2, k2, config)
        p = (s2 + 1) / (k2 + 2)
        return p * _minority(s1, k1, s2 + 1, k2 + 1, config) + (1 - p) * _minority(s1, k1, s2, k2 + 1, config)

    return min(open_arms, key=lambda a: (after(a), len(done[a]), a != "with"))


def _minority(s1: int, k1: int, s2: int, k2: int, config: ValidationConfig) -> float:
    """Share of the possible final (n1, n2) that disagree with the majority decision (0: settled)."""
    cells = [
        accepts(a, b, config) for a in range(s1, config.n - k1 + s1 + 1) for b in range(s2, config.n - k2 + s2 + 1)
    ]
    yes = sum(cells)
    return min(yes, len(cells) - yes) / len(cells)


def _interleave(done: dict[DecisionArm, list[AttemptRecord]]) -> list[AttemptRecord]:
    return sorted([*done["without"], *done["with"]], key=lambda a: (a.index, a.arm != "without"))


def decide_from_records(record: ValidationRecord, config: ValidationConfig) -> bool | None:
    """The decision another knob setting (same n) would take on this record's attempts, or None when
    the attempts it holds do not settle it (an early-stopped record and a stricter rule)."""
    if config.n != record.config.n:
        raise ValueError(f"the record holds n={record.config.n} attempts per arm, not {config.n}")
    return settled_decision(record.n1, record.done_without, record.n2, record.done_with, config)


# ------------------------------------------------------------------------------------------------ seeds


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from any parts (same parts, same seed, in every process)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def code_sha(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------- prompts


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_PROMPTS),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def render_prompt(name: str, **values: Any) -> str:
    """Render `student_sim/prompts/<name>`; a missing value is an error, never an empty string."""
    return _env().get_template(name).render(**values)


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def extract_program(text: str) -> str | None:
    """The program in a model reply: the first Python code fence, else a JSON `code`/`program` field,
    else the whole reply when it parses as Python. None when there is no program."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    for lang, body in blocks:
        if lang in ("python", "py", "python3", "") and body.strip():
            return body.strip("\n") + "\n"
    stripped = text.strip()
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        for key in ("code", "program", "fixed_code"):
            if isinstance(data.get(key), str) and data[key].strip():
                return str(data[key]).strip("\n") + "\n"
        return None
    if not stripped:
        return None
    try:
        ast.parse(stripped)
    except SyntaxError:
        return None
    return stripped + "\n"


# ------------------------------------------------------------------------------------ the student model


class FailingTest(_Record):
    """The test the hint is about, with how it failed on the buggy program."""

    name: str
    code: str
    message: str = ""


@dataclass(frozen=True)
class RepairTask:
    """What a repair attempt works on: the exercise, the buggy program, a failing test and all tests."""

    statement: str
    buggy_code: str
    failing: FailingTest
    tests: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class HintText:
    """What the with-hint arm is shown."""

    explanation: str
    hint: str


@dataclass(frozen=True)
class LadderShown:
    """What a hint-ladder attempt is shown: the ladder's earlier hints in both arms, and the hint under
    validation only in the with-hint arms, so both arms get the same help apart from this one hint."""

    earlier: tuple[str, ...]
    hint: str


class CallCounter(BaseCallbackHandler):
    """Counts every chat-model call made under it, retries of structured output included."""

    def __init__(self) -> None:
        self.count = 0

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


class StudentRepairer:
    """Repair attempts by a student model, each checked by running every test in the sandbox.

    A model fault or a reply without a program is a failed attempt, recorded with its reason. Each
    attempt samples with `temperature` and a seed derived from (base_seed, arm, index), so attempts differ
    from each other but the same attempt always gets the same seed.
    """

    def __init__(
        self,
        model: BaseChatModel,
        sandbox: Sandbox,
        *,
        temperature: float = 0.8,
        base_seed: int = 0,
        limits: Limits | None = None,
    ) -> None:
        self.model = model
        self.sandbox = sandbox
        self.temperature = temperature
        self.base_seed = base_seed
        self.limits = limits

    def attempt(self, task: RepairTask, arm: Arm, index: int, hint: HintText | LadderShown | None) -> AttemptRecord:
        """One attempt; `hint` is shown only in the with-hint arms (a ladder's earlier hints in every arm)."""
        seed = derive_seed(self.base_seed, arm, index)
        prompt = _repair_prompt(task, arm, hint)
        counter = CallCounter()
        try:
            reply = self.model.invoke(
                [HumanMessage(content=prompt)],
                config={"callbacks": [counter]},
                seed=seed,
                temperature=self.temperature,
            )
        except (ModelOutputError, ModelBackendError) as exc:
            return AttemptRecord(
                arm=arm,
                index=index,
                seed=seed,
                success=False,
                error=f"model: {exc.message}",
                calls=max(counter.count, 1),
            )
        program = extract_program(str(reply.content))
        if program is None:
            return AttemptRecord(
                arm=arm,
                index=index,
                seed=seed,
                success=False,
                error="no program in the reply",
                calls=counter.count,
            )
        run = self.sandbox.run_tests(program, list(task.tests), self.limits)
        return AttemptRecord(
            arm=arm,
            index=index,
            seed=seed,
            success=run.all_passed,
            passed=tuple(run.passed),
            failed=tuple(run.failed),
            code_sha=code_sha(program),
            error=run.error,
            calls=counter.count,
        )

    def attempt_fn(self, task: RepairTask, hint: HintText | LadderShown | None) -> AttemptFn:
        """The attempt function `run_validation` takes, for this task and hint."""
        return lambda arm, index: self.attempt(task, arm, index, hint)


def _repair_prompt(task: RepairTask, arm: Arm, hint: HintText | LadderShown | None) -> str:
    common = {
        "statement": task.statement.strip(),
        "program": task.buggy_code.rstrip("\n"),
        "test_code": task.failing.code.rstrip("\n"),
        "test_message": task.failing.message,
    }
    if isinstance(hint, LadderShown):
        shown = hint.earlier + ((hint.hint,) if arm != "without" else ())
        return render_prompt("hint_repair_ladder.jinja", hints=shown, **common)
    text = hint if arm != "without" else None
    return render_prompt(
        "hint_repair.jinja",
        explanation=text.explanation if text else "",
        hint=text.hint if text else "",
        **common,
    )
