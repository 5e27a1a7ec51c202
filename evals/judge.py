"""The LLM judge: labels a tutor response on the 8 MRBench dimensions with any chat model.

    judge = Judge(get_chat_model("openai:gpt-4o-mini"))
    verdict = judge.judge(JudgeInput(history="Tutor: ...\\nStudent: ...", response="What is 7 x 8?"))
    verdict.labels          # JudgeLabels, or None when the judge's reply could not be read

The reply is structured output (`model.with_structured_output(StrictJudgeLabels)`): constrained decoding on the
local backends, the provider's JSON mode elsewhere, validated by pydantic either way. A reply that cannot
be read is an unlabelled verdict with the reason, never an exception; a model that cannot be reached at
all (a dead server, a missing package) still raises, because every later item would fail the same way.
`evals.calibrate` measures how far the labels agree with human ones.

Anything with `judge(JudgeInput) -> JudgeVerdict` is a judge (`JudgeLike`): the LLM `Judge` here, and the
learned judge of `evals.learned_judge` (TF-IDF and logistic regression trained on human labels).
`evals.judge_factory.make_judge(spec, settings)` builds either from a judge spec.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import ValidationError

from evals.labels import DIMENSIONS, QUESTIONS, VOCABULARY, JudgeLabels, StrictJudgeLabels
from student_sim.dialogue import Dialogue
from tutor.errors import ModelOutputError, validation_problem
from tutor.problems.schema import DebuggingProblem, NumericAnswer

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "prompts"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
)
MAX_HISTORY_CHARS = 4000


@dataclass(frozen=True)
class JudgeInput:
    """What the judge sees: the conversation before the reply, the reply, and optional context."""

    history: str
    response: str
    problem: str = ""
    solution: str = ""


@dataclass(frozen=True)
class JudgeVerdict:
    """The judge's labels, or None and why not."""

    labels: JudgeLabels | None
    error: str = ""
    latency_s: float = 0.0


class JudgeLike(Protocol):
    """What eval runs and calibration need of a judge."""

    def judge(self, item: JudgeInput) -> JudgeVerdict: ...


def _clip_history(history: str, limit: int = MAX_HISTORY_CHARS) -> str:
    # The end of the conversation is what the reply answers: keep it, drop the oldest part.
    return history if len(history) <= limit else "...\n" + history[-limit:]


class Judge:
    """Labels tutor responses with one chat model (see the module docstring)."""

    def __init__(self, model: BaseChatModel, *, max_history_chars: int = MAX_HISTORY_CHARS) -> None:
        self.model = model
        self.max_history_chars = max_history_chars
        self._structured = model.with_structured_output(StrictJudgeLabels)
        self._system = (
            _TEMPLATES.get_template("judge_system.jinja")
            .render(dimensions=[(d, QUESTIONS[d], VOCABULARY[d]) for d in DIMENSIONS], keys=list(DIMENSIONS))
            .strip()
        )

    def messages(self, item: JudgeInput) -> list[Any]:
        user = (
            _TEMPLATES.get_template("judge_user.jinja")
            .render(
                problem=item.problem.strip(),
                solution=item.solution.strip(),
                history=_clip_history(item.history.strip(), self.max_history_chars) or "(no earlier messages)",
                response=item.response.strip(),
            )
            .strip()
        )
        return [SystemMessage(content=self._system), HumanMessage(content=user)]

    def judge(self, item: JudgeInput) -> JudgeVerdict:
        """Label one response; an unreadable judge reply gives `labels=None` and the reason."""
        started = time.perf_counter()
        try:
            result = self._structured.invoke(self.messages(item))
        except ModelOutputError as exc:
            return JudgeVerdict(None, f"unreadable judge reply: {exc.message}", time.perf_counter() - started)
        except ValidationError as exc:
            reason = validation_problem(exc, "(the reply)")
            return JudgeVerdict(None, f"unreadable judge reply: {reason}", time.perf_counter() - started)
        except (OutputParserException, json.JSONDecodeError) as exc:
            return JudgeVerdict(
                None,
                f"unreadable judge reply: {str(exc).splitlines()[0][:300]}",
                time.perf_counter() - started,
            )
        latency = time.perf_counter() - started
        return _as_verdict(result, latency)


def _as_verdict(result: Any, latency: float) -> JudgeVerdict:
    """Whatever the structured runnable returned, as a verdict (providers differ: object, dict, None)."""
    if isinstance(result, JudgeLabels):
        return JudgeVerdict(result, "", latency)
    if isinstance(result, dict):
        try:
            return JudgeVerdict(StrictJudgeLabels.model_validate(result), "", latency)
        except ValidationError as exc:
            return JudgeVerdict(None, f"unreadable judge reply: {validation_problem(exc, '(the reply)')}", latency)
    return JudgeVerdict(None, f"unreadable judge reply: got {type(result).__name__}", latency)


def is_learned(spec: str) -> bool:
    """Whether a judge spec names the learned judge (`learned`, `learned:PATH`)."""
    return spec == "learned" or spec.startswith("learned:")


# ---------------------------------------------------------------------------------- eval dialogues


def _solution_of(dialogue: Dialogue) -> str:
    problem = dialogue.problem()
    if isinstance(problem, DebuggingProblem):
        return "\n".join(
            f"Bug on line(s) {', '.join(map(str, b.lines))}: {b.description} Fix: {b.fix}" for b in problem.bugs
        )
    final = problem.final_answer
    if isinstance(final, NumericAnswer):
        return f"Final answer: {final.value:g}{' ' + final.unit if final.unit else ''}"
    return f"Final answer: {final.text}"


def judge_inputs(dialogue: Dialogue, max_turns: int | None = None) -> list[tuple[int, JudgeInput]]:
    """The tutor replies of a dialogue to judge, by message index: the first `max_turns` after the opening."""
    out: list[tuple[int, JudgeInput]] = []
    lines: list[str] = []
    solution = _solution_of(dialogue)
    for turn in dialogue.turns:
        if turn.role == "tutor" and turn.index > 0 and (max_turns is None or len(out) < max_turns):
            item = JudgeInput("\n".join(lines), turn.text, dialogue.problem_statement, solution)
            out.append((turn.index, item))
        who = "Tutor" if turn.role == "tutor" else "Student"
        code = f"\n[code]\n{turn.code}" if turn.code else ""
        lines.append(f"{who}: {turn.text}{code}")
    return out


__all__ = ["Judge", "JudgeInput", "JudgeLike", "JudgeVerdict", "is_learned", "judge_inputs"]
