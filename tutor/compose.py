"""Composing the tutor's reply with the model, vetted sentence by sentence by the leak guard.

The prompt keeps a stable prefix (instructions, few-shot examples, the problem, earlier turns) and puts
this turn's hidden notes only in the last message, so the local engine reuses its cached prefix and only
processes the new tokens. Sentences are released as soon as the guard has passed them, so the student
sees text early; a draft that leaks is regenerated with the reason as feedback a bounded number of times,
then replaced by the safe question from the scaffold.
"""

from __future__ import annotations

import logging
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
# The buffer always starts at a sentence start, so `^` catches a role label after a released line.
_ROLE_BREAK = re.compile(r"(?:^|\n)\s*(?:student|user|tutor notes)\s*:", re.IGNORECASE)
_CLAUSE_END = re.compile(r"(?<=[,;])\s+")
_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]{2,20}\|>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
log = logging.getLogger(__name__)


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
    """The outcome of composing one reply.

    `started` is when the turn began (so `first_visible_s` counts the assessment too); `vetted_stream`
    uses its own start when it is not given.
    """

    text: str = ""
    verdict: LeakVerdict = field(default_factory=lambda: LeakVerdict(passed=True))
    calls: list[ModelCall] = field(default_factory=list)
    first_visible_s: float | None = None
    started: float | None = None


def _clean(piece: str, at_start: bool) -> str:
    return _SPEAKER.sub("", piece, count=1) if at_start else piece


def garbage_reason(text: str) -> str | None:
    """Why `text` is not a readable reply (control bytes, raw JSON, symbol soup), or None.

    A broken or badly prompted backend produces such output; it must never reach the student.
    """
    if _CONTROL.search(text):
        return "contains control characters, not readable text"
    stripped = text.strip()
    if len(stripped) > 1 and stripped[0] in "{[" and stripped[-1] in "}]":
        return "is raw data (JSON), not a reply"
    visible = [ch for ch in stripped if not ch.isspace()]
    letters = sum(ch.isalpha() for ch in visible)
    if (
        len(visible) >= 12
        and letters < 0.25 * len(visible)
        and sum(ch.isdigit() for ch in visible) < 0.5 * len(visible)
    ):
        return "is not readable text"
    return None


def _clause_end(buffer: str) -> int | None:
    """Where an opening clause ends ("Good try, "): the reply's first words can go out before its first
    sentence is finished. Only a clause of words: one with a number waits for its whole sentence."""
    match = _CLAUSE_END.search(buffer)
    if match is None:
        return None
    head = buffer[: match.end()]
    if len(head.split()) < 2 or any(ch.isdigit() for ch in head) or "`" in head:
        return None
    return match.end()


def _sentence_end(buffer: str) -> int | None:
    """Where the first releasable sentence of `buffer` ends: it has a word in it (punctuation alone
    waits for what follows), does not announce what follows ("Here:") and leaves no code block open
    (a block is vetted whole)."""
    for match in _SENTENCE_END.finditer(buffer):
        head = buffer[: match.end()]
        if head.count("```") % 2 == 0 and any(ch.isalnum() for ch in head) and not head.rstrip().endswith(":"):
            return match.end()
    return None


def vetted_stream(
    model: BaseChatModel,
    messages: list[BaseMessage],
    guard: LeakGuard | None,
    fallback: str,
    known_numbers: Iterable[float],
    max_regenerations: int,
    out: Composition,
    retry_messages: RetryBuilder,
    closing_question: str = "",
) -> Iterator[str]:
    """Yield vetted pieces of the reply; fill `out` with the full text, the verdict and the model calls.

    A sentence goes out once the guard has passed everything released so far plus that sentence (the
    reply's opening clause may go out on its own, so the student sees text sooner); a code block is held
    until it is closed, so it is vetted whole. A draft the guard rejects is regenerated with
    the reasons as feedback, at most `max_regenerations` times, then replaced by `fallback` (or, when part
    of it is already on screen, completed by it). A backend fault of any kind ends in `fallback` at once.
    """
    known = list(known_numbers)
    start = out.started if out.started is not None else time.perf_counter()
    attempts: list[GuardAttempt] = []
    current = messages

    def vet(released: str, piece: str) -> list[str]:
        reasons = []
        if (why := garbage_reason(piece)) is not None:
            reasons.append(f"reply {why}")
        if guard is not None:
            reasons += guard.check(released + piece, known).reasons
        return reasons

    for attempt in range(max_regenerations + 1):
        released, buffer, rejected = "", "", None
        call_start = time.perf_counter()
        first_token, pieces = None, 0
        try:
            for chunk in model.stream(current):
                piece = _SPECIAL_TOKEN.sub("", str(chunk.content))
                if not piece:
                    continue
                pieces += 1
                first_token = first_token if first_token is not None else time.perf_counter() - call_start
                buffer += piece
                if _ROLE_BREAK.search(buffer):  # the model started writing the student's part: stop there
                    buffer = _ROLE_BREAK.split(buffer)[0]
                    break
                while (end := _sentence_end(buffer) or (None if released else _clause_end(buffer))) is not None:
                    sentence = _clean(buffer[:end], not released)
                    sentence = sentence if released else sentence.lstrip()
                    reasons = vet(released, sentence)
                    if reasons:
                        rejected = reasons
                        break
                    buffer = buffer[end:]
                    released += sentence
                    out.first_visible_s = out.first_visible_s or time.perf_counter() - start
                    yield sentence
                if rejected:
                    break
        except Exception as exc:  # noqa: BLE001 - any backend fault must end in the scaffold's reply, not a traceback
            message = exc.message if isinstance(exc, TutorError) else f"{type(exc).__name__}: {exc}"
            log.warning("reply model call failed: %s", message)
            out.calls.append(
                ModelCall(
                    purpose="reply" if attempt == 0 else "reply-regenerate",
                    latency_s=time.perf_counter() - call_start,
                    first_token_s=first_token,
                    output_tokens=pieces,
                    ok=False,
                    error=message[:500],
                )
            )
            rejected = rejected or [f"model failed: {message[:200]}"]
        else:
            out.calls.append(
                ModelCall(
                    purpose="reply" if attempt == 0 else "reply-regenerate",
                    latency_s=time.perf_counter() - call_start,
                    first_token_s=first_token,
                    output_tokens=pieces,
                )
            )
        if not rejected:
            tail = _clean(buffer, not released).rstrip()
            tail = tail if released else tail.lstrip()
            if tail.strip() and any(ch.isalnum() for ch in tail):
                reasons = vet(released, tail)
                if reasons:
                    rejected = reasons
                else:
                    released += tail
                    out.first_visible_s = out.first_visible_s or time.perf_counter() - start
                    yield tail
        if not rejected and any(ch.isalpha() for ch in released):
            if closing_question and "?" not in released and (guard is None or guard.check(closing_question, known).ok):
                # A small model sometimes forgets to ask: the scaffold's question keeps the dialogue Socratic.
                ending = _joiner(released) + closing_question
                released += ending
                yield ending
            out.text = released.strip()
            out.verdict = LeakVerdict(passed=True, checked=guard is not None, attempts=attempts)
            return
        reasons = rejected or ["empty reply"]
        attempts.append(GuardAttempt(text=(released + buffer)[:2000], reasons=reasons))
        if released.strip():
            # Part of the reply is already on the student's screen: finish it with the safe question.
            ending = _continue_with(released, fallback)
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


def _joiner(released: str) -> str:
    return "" if not released or released[-1].isspace() else " "


def _continue_with(released: str, fallback: str) -> str:
    """The fallback as the end of a reply already on screen ("Good try, let's take it...")."""
    if released.rstrip().endswith((",", ";")) and fallback[:1].isupper() and not fallback[1:2].isupper():
        fallback = fallback[0].lower() + fallback[1:]
    return _joiner(released) + fallback


class RetryBuilder:
    """Builds the messages for a regeneration, with the guard's reasons as feedback."""

    def __init__(self, system: str, history: list[Message], turn_values: dict[str, object]) -> None:
        self.system, self.history, self.turn_values = system, history, turn_values

    def __call__(self, feedback: str) -> list[BaseMessage]:
        turn = render("tutor_turn.jinja", **{**self.turn_values, "feedback": feedback})
        return build_messages(self.system, self.history, turn)
