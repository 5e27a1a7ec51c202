"""The LLM voice: a chat model words what the cognitive model decided, and is held to it.

The model sees the persona, the false beliefs, the conversation from the student's seat, and one private
instruction that says what the student thinks this turn ("your answer is 7.4 dollars", "you do not know").
Each draft is checked: no role break (speaking as the tutor), not empty, not too long, and consistent with
the decision, as the tutor's own answer checker reads it (a wrong answer stays wrong, a student who does
not know states no right answer, a student who has not understood a bug does not write its fix). A draft
that fails is retried with the reasons, at most `max_retries` times, then the rule-based wording is used.
Backend faults are not retried here: they raise, so the caller can retry the whole dialogue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from student_sim.profiles import StudentProfile
from student_sim.roles import clean_utterance, detect_role_break
from student_sim.state import Intent, StudentState, VoiceAttempt, VoiceRecord
from student_sim.voice_rules import format_answer
from tutor.problems.answers import Verdict, check_answer, extract_numbers, mentions_answer
from tutor.problems.schema import AnyProblem, DebuggingProblem, MathProblem, NumericAnswer, PhysicsProblem, Step
from tutor.record import ModelCall

MAX_CHARS = 700
_LENGTH = {
    "terse": "a few words, one short sentence at most",
    "normal": "one or two short sentences",
    "verbose": "three or four sentences, thinking out loud",
}
_MOOD = {
    "neutral": "calm",
    "confident": "confident, a bit quick",
    "anxious": "unsure of yourself, hesitant",
    "frustrated": "frustrated and impatient",
    "curious": "curious, interested in why",
    "bored": "bored, you want to be done",
}


@lru_cache(maxsize=4)
def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return env.from_string(resources.files("student_sim").joinpath(name).read_text(encoding="utf-8"))


def instruction_for(intent: Intent, problem: AnyProblem, profile: StudentProfile) -> str:
    """The private instruction that tells the voice what the student thinks this turn."""
    if intent.kind == "answer":
        answer = format_answer(intent)
        how = ""
        if intent.misconception and (mis := profile.misconception(intent.misconception)):
            how = f" You got it this way: {mis.description}"
        elif intent.misconception and not isinstance(problem, DebuggingProblem):
            wrong = _wrong_description(problem, intent)
            how = f" You got it this way: {wrong}" if wrong else ""
        exact = "Give exactly this answer, and no other result or number from earlier steps."
        question = _step_question(problem, intent.node_ref)
        asked = f"The question you are answering now: {question} " if question else ""
        return f"{asked}Your answer is {answer}. {exact}{how}"
    if intent.kind == "explain":
        if intent.correct:
            return f"You now see what is wrong in the code: {intent.answer_text}. Explain it in your own words."
        return f"You think the problem is: {intent.answer_text}. Say that. You do not know what the real bug is."
    if intent.kind == "fix":
        return (
            f"You changed the code so that it now has `{intent.answer_text}`, "
            "and you are sending the new code. "
            "Say briefly what you changed and ask the tutor to check it."
        )
    if intent.kind == "question":
        return "You are confused by the tutor's last message. Ask one short question about it. Give no answer."
    if intent.kind == "dont_know":
        return "You do not know how to do this part. Say so briefly. Do not give any number or answer."
    if intent.kind == "off_topic":
        return "You are distracted. Say something short that has nothing to do with the problem."
    return "The problem is done. Thank the tutor briefly."


def _step_question(problem: AnyProblem, ref: str | None) -> str | None:
    if isinstance(problem, DebuggingProblem):
        return None
    return next((s.question for s in problem.steps if s.id == ref), None)


def _wrong_description(problem: MathProblem | PhysicsProblem, intent: Intent) -> str | None:
    for step in problem.steps:
        if step.id == intent.node_ref:
            for wrong in step.wrong_answers:
                if wrong.misconception == intent.misconception:
                    return wrong.description
    return None


def check_utterance(text: str, intent: Intent, problem: AnyProblem) -> list[str]:
    """Why `text` does not fit `intent` (empty list: it fits)."""
    if not text.strip():
        return ["empty"]
    reasons: list[str] = []
    if (role := detect_role_break(text)) is not None:
        reasons.append(f"role_break:{role}")
    if len(text) > MAX_CHARS:
        reasons.append("too_long")
    if isinstance(problem, DebuggingProblem):
        knows_fix = intent.kind == "fix" or (intent.kind == "explain" and intent.correct)
        if not knows_fix and any(
            _states_fix(text, bug.patch.replace, problem) for bug in problem.bugs if bug.patch is not None
        ):
            reasons.append("states_fix_not_understood")
        return reasons
    step = next((s for s in problem.steps if s.id == intent.node_ref), None)
    if step is None:
        return reasons
    if intent.kind == "answer":
        reasons += _answer_mismatch(text, intent, step, problem)
    elif _states_right_answer(text, step, problem):
        reasons.append("states_right_answer")
    return reasons


def _context(problem: MathProblem | PhysicsProblem) -> list[float]:
    return [m.value for m in extract_numbers(problem.statement)]


def _answer_mismatch(text: str, intent: Intent, step: Step, problem: MathProblem | PhysicsProblem) -> list[str]:
    check = check_answer(text, step.answer, step.wrong_answers, context_numbers=_context(problem))
    if intent.correct and check.verdict is not Verdict.CORRECT:
        return [f"should_state_right_answer:{check.reason}"]
    if not intent.correct:
        if check.verdict is Verdict.CORRECT:
            return ["states_right_answer"]
        if intent.value is not None and not any(
            abs(m.value - intent.value) <= max(1e-6, getattr(step.answer, "tolerance", 0.0))
            for m in extract_numbers(text)
        ):
            return ["does_not_state_its_answer"]
    return []


def _states_right_answer(text: str, step: Step, problem: MathProblem | PhysicsProblem) -> bool:
    for answer in (step.answer, problem.final_answer):
        if isinstance(answer, NumericAnswer):
            given = any(abs(v - answer.value) <= answer.tolerance for v in _context(problem))
            if not given and mentions_answer(text, answer):
                return True
    return False


def _states_fix(text: str, replacement: str, problem: DebuggingProblem) -> bool:
    fix = replacement.strip()
    return len(fix) >= 4 and fix not in problem.buggy_code and fix in text


@dataclass(frozen=True)
class Spoken:
    text: str
    record: VoiceRecord


class LLMVoice:
    """Words intents with a chat model, falling back to the rule wording (see the module docstring)."""

    def __init__(self, model: BaseChatModel, *, max_retries: int = 2) -> None:
        self.model = model
        self.max_retries = max_retries

    def speak(
        self,
        intent: Intent,
        *,
        problem: AnyProblem,
        profile: StudentProfile,
        state: StudentState,
        tutor_text: str,
        fallback: str,
    ) -> Spoken:
        """The student's words for `intent`; `fallback` (the rule wording) when no draft passes."""
        messages = self._messages(intent, problem, profile, state, tutor_text)
        record = VoiceRecord(policy="llm")
        for _ in range(self.max_retries + 1):
            raw, call = self._call(messages)
            record.model_calls.append(call)
            text = clean_utterance(raw, profile.name)
            reasons = check_utterance(text, intent, problem)
            if not reasons:
                return Spoken(text, record)
            record.attempts.append(VoiceAttempt(text=text, reasons=reasons))
            if any(r.startswith("role_break") for r in reasons):
                record.role_breaks += 1
            retry = _template("student_voice_retry.jinja").render(problems="; ".join(reasons))
            messages = [*messages, AIMessage(content=raw), HumanMessage(content=retry)]
        record.fallback_used = True
        return Spoken(fallback, record)

    def _messages(
        self,
        intent: Intent,
        problem: AnyProblem,
        profile: StudentProfile,
        state: StudentState,
        tutor_text: str,
    ) -> list[BaseMessage]:
        held = [b.statement for b in profile.false_beliefs if state.beliefs.get(b.statement, 0.0) > 0.5]
        system = _template("student_voice.jinja").render(
            name=profile.name,
            grade=profile.grade,
            persona=profile.persona,
            statement=problem.statement.strip(),
            length=_LENGTH[profile.verbosity],
            mood=_MOOD[profile.affect],
            beliefs=held,
            instruction=instruction_for(intent, problem, profile),
        )
        # The conversation from the student's seat: the tutor speaks as the user, the student answers.
        messages: list[BaseMessage] = [SystemMessage(content=system)]
        for message in state.history:
            cls = HumanMessage if message.role == "tutor" else AIMessage
            messages.append(cls(content=message.content))
        messages.append(HumanMessage(content=tutor_text or "(the tutor is waiting for you)"))
        return messages

    def _call(self, messages: list[BaseMessage]) -> tuple[str, ModelCall]:
        start = time.perf_counter()
        reply = self.model.invoke(messages)
        usage: dict[str, Any] = dict(getattr(reply, "usage_metadata", None) or {})
        call = ModelCall(
            purpose="student_voice",
            latency_s=round(time.perf_counter() - start, 4),
            input_tokens=int(usage.get("input_tokens", 0)),
            output_tokens=int(usage.get("output_tokens", 0)),
        )
        content = reply.content if isinstance(reply.content, str) else str(reply.content)
        return content, call
