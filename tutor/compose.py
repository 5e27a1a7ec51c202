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
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from tutor.acknowledge import is_refusal
from tutor.errors import TutorError
from tutor.guard.consistency import ConsistencyCheck
from tutor.guard.leak import LeakGuard
from tutor.guard.words import content_words
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
_WORDS = re.compile(r"[A-Za-z0-9']+")
_FILLER = frozenset({"okay", "ok", "sure", "alright", "well", "so"})
_FIRST_SENTENCE = re.compile(r"^\s*[^.!?]*[.!?]+")
_ENDS_SENTENCE = re.compile(r"[.!?:)\]`'\"”’]\s*$")
_PRAISE_AGAIN = frozenset(
    content_words("congratulations great nice excellent perfect correct right well done job work good")
    | {"that", "yes"}  # "that's" stems to "that", which the stop list only knows on its own
)
_LEADING_PUNCTUATION = re.compile(r"^[\s.,!;:-]*")
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
    """The outcome of composing one reply: the text that went out, the verdict and the reply's model calls."""

    text: str = ""
    verdict: LeakVerdict = field(default_factory=lambda: LeakVerdict(passed=True))
    calls: list[ModelCall] = field(default_factory=list)
    first_visible_s: float | None = None


Vet = Callable[[str], list[str]]  # the reasons a whole draft must not go out (empty: it may)


@dataclass(frozen=True)
class ReplyRequest:
    """What to compose: the prompt, how to re-prompt, the safe text, and what is already decided.

    `prefix` is the acknowledgement from the assessment: it goes out first, before the model writes, and the
    model's text continues it. `fallback` replaces (or completes) a reply no draft could make safe.
    """

    messages: list[BaseMessage]
    retry: RetryBuilder
    fallback: str
    prefix: str = ""
    closing_question: str = ""
    max_regenerations: int = 2


def reply_vetter(guard: LeakGuard | None, consistency: ConsistencyCheck | None, known: Iterable[float]) -> Vet:
    """The checks every draft passes: readable text, no refusal formula, the leak guard, the consistency check."""
    numbers = list(known)

    def vet(text: str) -> list[str]:
        reasons = []
        if (why := garbage_reason(text)) is not None:
            reasons.append(f"reply {why}")
        if is_refusal(text):
            reasons.append("refuses instead of guiding the student to the next step")
        if guard is not None:
            reasons += guard.check(text, numbers).reasons
        if consistency is not None:
            reasons += consistency.check(text).reasons
        return reasons

    return vet


def _clean(piece: str, at_start: bool, prefix: str = "") -> str:
    """A draft's first piece without a speaker label, or the acknowledgement the model repeated."""
    if not at_start:
        return piece
    piece = _SPEAKER.sub("", piece, count=1)
    return _without_repeat(piece, prefix) if prefix else piece


def _without_repeat(piece: str, prefix: str) -> str:
    """`piece` without a repeat of the acknowledgement at its start, word for word after filler such as
    "Okay," (seen: "Let's think about that together. Okay, let's think about that together...")."""
    said = [w.lower() for w in _WORDS.findall(prefix)]
    words = list(_WORDS.finditer(piece))
    start = 0
    while start < len(words) and words[start].group().lower() in _FILLER:
        start += 1
    if said and [w.group().lower() for w in words[start : start + len(said)]] == said:
        return _LEADING_PUNCTUATION.sub(" ", piece[words[start + len(said) - 1].end() :], count=1)
    # The same said in other words ("... think about it together."), or praise again ("Congratulations!").
    allowed = content_words(prefix) | _FILLER | _PRAISE_AGAIN
    while (first := _FIRST_SENTENCE.match(piece)) and (own := content_words(first.group())) and own <= allowed:
        piece = " " + piece[first.end() :].lstrip()
    return piece


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


@dataclass
class _Draft:
    """One model draft as it streams: what is on screen, what waits, and why it was stopped (if it was)."""

    released: str
    buffer: str = ""
    rejected: list[str] | None = None
    call: ModelCall | None = None


def _stream_draft(
    model: BaseChatModel, messages: list[BaseMessage], purpose: str, vet: Vet, draft: _Draft, prefix: str
) -> Iterator[str]:
    """Stream one draft, yielding each piece the checks pass; fills `draft` with the rest and the call."""
    call_start = time.perf_counter()
    first_token, pieces, own_start = None, 0, len(draft.released)
    try:
        for chunk in model.stream(messages):
            piece = _SPECIAL_TOKEN.sub("", str(chunk.content))
            if not piece:
                continue
            pieces += 1
            first_token = first_token if first_token is not None else time.perf_counter() - call_start
            draft.buffer += piece
            if _ROLE_BREAK.search(draft.buffer):  # the model started writing the student's part: stop there
                draft.buffer = _ROLE_BREAK.split(draft.buffer)[0]
                break
            at_start = len(draft.released) == own_start
            while (end := _sentence_end(draft.buffer) or (_clause_end(draft.buffer) if at_start else None)) is not None:
                sentence = _clean(draft.buffer[:end], at_start, prefix)
                sentence = _joiner(draft.released) + sentence.lstrip() if at_start else sentence
                draft.buffer = draft.buffer[end:]
                if not sentence.strip():
                    continue
                if reasons := _garbage(draft.released[own_start:] + sentence) or vet(draft.released + sentence):
                    draft.rejected = reasons
                    break
                draft.released += sentence
                at_start = False
                yield sentence
            if draft.rejected:
                break
    except Exception as exc:  # noqa: BLE001 - any backend fault must end in the scaffold's reply, not a traceback
        message = exc.message if isinstance(exc, TutorError) else f"{type(exc).__name__}: {exc}"
        log.warning("reply model call failed: %s", message)
        draft.rejected = draft.rejected or [f"model failed: {message[:200]}"]
        draft.call = ModelCall(
            purpose=purpose,
            latency_s=time.perf_counter() - call_start,
            first_token_s=first_token,
            output_tokens=pieces,
            ok=False,
            error=message[:500],
        )
        return
    draft.call = ModelCall(
        purpose=purpose, latency_s=time.perf_counter() - call_start, first_token_s=first_token, output_tokens=pieces
    )
    if draft.rejected is None:
        yield from _release_tail(vet, draft, own_start, prefix)


def _garbage(own_text: str) -> list[str]:
    """The model's own part of the reply (after the acknowledgement) must be readable text."""
    why = garbage_reason(own_text)
    return [f"reply {why}"] if why else []


def _release_tail(vet: Vet, draft: _Draft, own_start: int, prefix: str) -> Iterator[str]:
    """The text after the last sentence end, once the model has finished. A tail that does not end a
    sentence was cut by the token limit ("... for the country lanes part of"): it is left out, unless it is
    all the model wrote."""
    at_start = len(draft.released) == own_start
    tail = _clean(draft.buffer, at_start, prefix).rstrip()
    if not at_start and not _ENDS_SENTENCE.search(tail):
        tail = ""
    tail = _joiner(draft.released) + tail.lstrip() if at_start else tail
    if tail.strip() and any(ch.isalnum() for ch in tail):
        if reasons := _garbage(draft.released[own_start:] + tail) or vet(draft.released + tail):
            draft.rejected = reasons
            return
        draft.released += tail
        yield tail
    if len(draft.released) == own_start or not any(ch.isalpha() for ch in draft.released[own_start:]):
        draft.rejected = ["empty reply"]


def vetted_stream(
    model: BaseChatModel,
    request: ReplyRequest,
    vet: Vet,
    started: float | None = None,
    before_model: Callable[[], Iterator[object]] | None = None,
) -> Generator[object, None, Composition]:
    """Yield the vetted reply in pieces and return the `Composition`.

    The acknowledgement (`request.prefix`) goes out first. Then a sentence goes out once the checks have
    passed everything released so far plus that sentence (the model's opening clause may go out on its own,
    so the student sees text sooner); a code block is held until it is closed, so it is vetted whole. A draft
    the checks reject is regenerated with the reasons as feedback, at most `max_regenerations` times, then
    replaced by `request.fallback` (or, when part of it is already on screen, completed by it). A backend
    fault of any kind ends in the fallback at once.
    """
    start = started if started is not None else time.perf_counter()
    out = Composition()
    attempts: list[GuardAttempt] = []
    released = request.prefix
    if released:
        out.first_visible_s = time.perf_counter() - start
        yield released
    if before_model is not None:
        yield from before_model()  # e.g. the wait for the engine: the acknowledgement is on screen already
    current = request.messages
    for attempt in range(request.max_regenerations + 1):
        draft = _Draft(released=released)
        for piece in _stream_draft(
            model, current, "reply" if attempt == 0 else "reply-regenerate", vet, draft, request.prefix
        ):
            out.first_visible_s = out.first_visible_s or time.perf_counter() - start
            yield piece
        if draft.call is not None:
            out.calls.append(draft.call)
        if not draft.rejected:
            yield from _finish(request, vet, draft.released, attempts, out)
            return out
        attempts.append(
            GuardAttempt(text=(draft.released[len(released) :] + draft.buffer)[:2000], reasons=draft.rejected)
        )
        if draft.released != released or any(r.startswith("model failed") for r in draft.rejected):
            released = draft.released  # part of this draft is on screen, or the backend is down: no retry
            break
        current = request.retry("; ".join(draft.rejected))
    ending = _continue_with(released, request.fallback)
    out.first_visible_s = out.first_visible_s or time.perf_counter() - start
    yield ending
    out.text = (released + ending).strip()
    out.verdict = LeakVerdict(passed=not vet(out.text), attempts=attempts, fallback_used=True)
    return out


def _finish(
    request: ReplyRequest, vet: Vet, released: str, attempts: list[GuardAttempt], out: Composition
) -> Iterator[str]:
    """A passed draft: add the scaffold's question when the model forgot to ask one."""
    closing = request.closing_question
    if closing and "?" not in released and not vet(released + _joiner(released) + closing):
        # A small model sometimes forgets to ask: the scaffold's question keeps the dialogue Socratic.
        ending = _joiner(released) + closing
        released += ending
        yield ending
    out.text = released.strip()
    out.verdict = LeakVerdict(passed=True, attempts=attempts)


def _joiner(released: str) -> str:
    return "" if not released or released[-1].isspace() else " "


def _continue_with(released: str, fallback: str) -> str:
    """The fallback as the end of a reply already on screen ("Good try, let's take it...")."""
    if released.rstrip().endswith((",", ";")) and fallback[:1].isupper() and not fallback[1:2].isupper():
        fallback = fallback[0].lower() + fallback[1:]
    return _joiner(released) + fallback


_MOVE_PARTS = re.compile(
    r"(?:Give this hint|Teach briefly):\s*(?P<hint>.*?)\s*(?:Do not say the correct value\.\s*)?(?=Ask:|$)"
)


def authored_guidance(move_text: str) -> str:
    """The scaffold's own words for a move: its hint (if the move gives one) and the question it asks."""
    _, _, question = move_text.partition("Ask: ")
    hint = _MOVE_PARTS.search(move_text)
    parts = [hint.group("hint").strip() if hint else "", question.strip()]
    if "Congratulate" in move_text and not question:
        parts[1] = "How could you check your result?"
    return " ".join(p for p in parts if p)


def authored_reply(request: ReplyRequest, vet: Vet, started: float | None = None) -> Generator[str, None, Composition]:
    """The reply without a model: the acknowledgement and the scaffold's own text (the `scaffold` composition)."""
    start = started if started is not None else time.perf_counter()
    text = (request.prefix + _continue_with(request.prefix, request.fallback)).strip()
    yield text
    verdict = LeakVerdict(passed=not vet(text), fallback_used=True)
    return Composition(text=text, verdict=verdict, first_visible_s=time.perf_counter() - start)


class RetryBuilder:
    """Builds the messages for a regeneration, with the guard's reasons as feedback."""

    def __init__(self, system: str, history: list[Message], turn_values: Mapping[str, object]) -> None:
        self.system, self.history, self.turn_values = system, history, turn_values

    def __call__(self, feedback: str) -> list[BaseMessage]:
        turn = render("tutor_turn.jinja", **{**self.turn_values, "feedback": feedback})
        return build_messages(self.system, self.history, turn)
