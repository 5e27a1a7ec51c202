"""Composing the tutor's reply with the model, vetted sentence by sentence by the leak guard.

The prompt keeps a stable prefix (instructions, few-shot examples, the problem, earlier turns) and puts
this turn's hidden notes only in the last message, so the local engine reuses its cached prefix and only
processes the new tokens. Sentences are released as soon as the guard has passed them, so the student
sees text early; a draft that leaks is regenerated with the reason as feedback a bounded number of times,
then replaced by the safe question from the scaffold.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from tutor.errors import TutorError
from tutor.guard.leak import LeakGuard
from tutor.problems.schema import DebuggingProblem
from tutor.record import GuardAttempt, LeakVerdict, Message, ModelCall

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "prompts"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_SPEAKER = re.compile(r"^\s*(?:\*\*)?(?:tutor|assistant|teacher)(?:\*\*)?\s*:\s*", re.IGNORECASE)
_ROLE_BREAK = re.compile(r"\n\s*(?:student|user|tutor notes)\s*:", re.IGNORECASE)


def render(name: str, **values: object) -> str:
    return _TEMPLATES.get_template(name).render(**values).strip()


def problem_text(problem: object) -> str:
    if isinstance(problem, DebuggingProblem):
        numbered = "\n".join(f"{i:>2}  {line}" for i, line in enumerate(problem.buggy_code.splitlines(), 1))
        return f"{problem.statement.strip()}\n\nThe student's program (with line numbers):\n{numbered}"
    return str(getattr(problem, "statement", "")).strip()


def build_messages(system: str, history: list[Message], turn_text: str) -> list[BaseMessage]:
    """System prompt, earlier turns (without their notes: a stable prefix), and this turn's notes."""
    messages: list[BaseMessage] = [SystemMessage(content=system)]
    for m in history:
        messages.append(HumanMessage(content=m.content) if m.role == "student" else AIMessage(content=m.content))
    messages.append(HumanMessage(content=turn_text))
    return messages


@dataclass
class Composition:
    """The outcome of composing one reply."""

    text: str = ""
    verdict: LeakVerdict = field(default_factory=lambda: LeakVerdict(passed=True))
    calls: list[ModelCall] = field(default_factory=list)
    first_visible_s: float | None = None


def _clean(piece: str, at_start: bool) -> str:
    return _SPEAKER.sub("", piece, count=1) if at_start else piece


def vetted_stream(
    model: BaseChatModel,
    messages: list[BaseMessage],
    guard: LeakGuard | None,
    fallback: str,
    known_numbers: Iterable[float],
    max_regenerations: int,
    out: Composition,
    retry_messages: "RetryBuilder",
    closing_question: str = "",
) -> Iterator[str]:
    """Yield vetted pieces of the reply; fill `out` with the full text, the verdict and the model calls."""
    known = list(known_numbers)
    start = time.perf_counter()
    attempts: list[GuardAttempt] = []
    current = messages
    for attempt in range(max_regenerations + 1):
        released, buffer, rejected = "", "", None
        call_start = time.perf_counter()
        first_token = None
        try:
            for chunk in model.stream(current):
                piece = str(chunk.content)
                if not piece:
                    continue
                first_token = first_token or time.perf_counter() - call_start
                buffer += piece
                if _ROLE_BREAK.search(buffer):  # the model started writing the student's part: stop there
                    buffer = _ROLE_BREAK.split(buffer)[0]
                    break
                while (match := _SENTENCE_END.search(buffer)) is not None:
                    sentence, buffer = buffer[: match.end()], buffer[match.end():]
                    sentence = _clean(sentence, not released)
                    check = guard.check(released + sentence, known) if guard else None
                    if check is not None and not check.ok:
                        rejected = list(check.reasons)
                        buffer = sentence + buffer
                        break
                    if sentence.strip():
                        released += sentence
                        out.first_visible_s = out.first_visible_s or time.perf_counter() - start
                        yield sentence
                if rejected:
                    break
        except TutorError as exc:
            out.calls.append(ModelCall(purpose="reply", latency_s=time.perf_counter() - call_start, ok=False, error=exc.message))
            rejected = rejected or [f"model failed: {exc.message}"]
        else:
            out.calls.append(ModelCall(purpose="reply" if attempt == 0 else "reply-regenerate",
                                       latency_s=time.perf_counter() - call_start, first_token_s=first_token))
        if not rejected:
            tail = _clean(buffer, not released).rstrip()
            check = guard.check(released + tail, known) if guard and tail else None
            if check is not None and not check.ok:
                rejected = list(check.reasons)
            elif tail.strip():
                released += tail
                out.first_visible_s = out.first_visible_s or time.perf_counter() - start
                yield tail
        if not rejected and released.strip():
            if closing_question and "?" not in released and (guard is None or guard.check(closing_question, known).ok):
                # A small model sometimes forgets to ask: the scaffold's question keeps the dialogue Socratic.
                ending = " " + closing_question
                released += ending
                yield ending
            out.text = released.strip()
            out.verdict = LeakVerdict(passed=True, checked=guard is not None, attempts=attempts)
            return
        reasons = rejected or ["empty reply"]
        attempts.append(GuardAttempt(text=(released + buffer)[:2000], reasons=reasons))
        if released.strip():
            # Part of the reply is already on the student's screen: finish it with the safe question.
            ending = " " + fallback
            yield ending
            out.text = (released + ending).strip()
            out.verdict = LeakVerdict(passed=True, checked=guard is not None, attempts=attempts, fallback_used=True)
            return
        if any(r.startswith("model failed") for r in reasons):
            break  # a backend fault: do not hammer it, fall back now
        current = retry_messages("; ".join(reasons))
    out.first_visible_s = out.first_visible_s or time.perf_counter() - start
    yield fallback
    out.text = fallback
    out.verdict = LeakVerdict(passed=True, checked=guard is not None, attempts=attempts, fallback_used=True)


class RetryBuilder:
    """Builds the messages for a regeneration, with the guard's reasons as feedback."""

    def __init__(self, system: str, history: list[Message], turn_values: dict[str, object]) -> None:
        self.system, self.history, self.turn_values = system, history, turn_values

    def __call__(self, feedback: str) -> list[BaseMessage]:
        turn = render("tutor_turn.jinja", **{**self.turn_values, "feedback": feedback})
        return build_messages(self.system, self.history, turn)
