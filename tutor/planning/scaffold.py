"""Building a scaffold for a problem that has none (a pasted word problem, a problem without steps).

The model proposes subquestions, each with a small Python program; every program runs in the sandbox and
only steps whose program prints a number are kept (a failing program is repaired at most `max_repairs`
times from its error). The numbers the tutor will check against therefore come from executed code, never
from the model's mental arithmetic. A program that runs can still be wrong: a scaffold whose steps never make a
unit conversion the problem calls for is dropped (`tutor.planning.units`), and `k` scaffolds are built
independently (self-consistency) and the problem is accepted only when their final answers agree; otherwise
the tutor says it cannot verify the problem. The result is an ordinary `MathProblem` marked `source: pasted`.
"""

from __future__ import annotations

import hashlib
import logging
import re

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from tutor.errors import InputDataError, ModelOutputError, TutorError
from tutor.planning.units import missing_conversions
from tutor.problems.numbers import printed_number
from tutor.problems.schema import MathProblem, NumericAnswer, Step
from tutor.sandbox import Limits, Sandbox

log = logging.getLogger(__name__)
MAX_PASTED_CHARS = 2000
DEFAULT_SCAFFOLDS = 3  # independent scaffolds whose final answers must agree
GENERIC_HINTS = (
    "What does this question ask you to find, and which numbers from the problem do you need?",
    "Which operation connects those numbers? Try writing the calculation down.",
)


class DraftStep(BaseModel):
    question: str = Field(description="A guiding subquestion for the student, without its answer.")
    python: str = Field(description="A short Python program that prints only this subquestion's numeric answer.")
    unit: str = Field("", description="Unit of the answer, e.g. dollars, km, minutes; empty for a pure number.")


class DraftScaffold(BaseModel):
    title: str = Field(description="A short title for the problem.")
    steps: list[DraftStep] = Field(description="2 to 5 subquestions in order; the last one answers the whole problem.")


_EXAMPLE = """Problem: Sam buys 3 notebooks at $2 each and pays with a $10 bill. How much change does he get?
{"title": "Notebook change", "steps": [
 {"question": "How much do the 3 notebooks cost?", "python": "print(3 * 2)", "unit": "dollars"},
 {"question": "How much change does Sam get from $10?", "python": "print(10 - 3 * 2)", "unit": "dollars"}]}"""


def _ask(model: BaseChatModel, messages: list[BaseMessage]) -> DraftScaffold:
    reply = model.with_structured_output(DraftScaffold).invoke(messages)
    # A backend that ignores the schema class returns a dict.
    return reply if isinstance(reply, DraftScaffold) else DraftScaffold.model_validate(reply)


def build_scaffold(
    statement: str,
    model: BaseChatModel,
    sandbox: Sandbox,
    max_repairs: int = 2,
    k: int = DEFAULT_SCAFFOLDS,
    min_agree: int | None = None,
) -> MathProblem:
    """Turn a pasted word problem into a scaffolded `MathProblem` whose step answers were executed, accepted
    only when `k` independent scaffolds agree on the final answer (self-consistency).

    The first scaffold is drawn as the model is configured, the others sampled at a higher temperature with
    their own seeds. The problem is accepted when at least `min_agree` of the `k` final answers agree (default:
    all of them); otherwise the tutor cannot verify it and says so.

    Raises:
        InputDataError: the text is empty or too long, no step could be verified, or the scaffolds disagree.
    """
    text = _checked_text(statement)
    needed = k if min_agree is None else max(1, min(min_agree, k))
    drafts: list[MathProblem] = []
    failures: list[str] = []
    for index in range(k):
        try:
            drafts.append(_one_scaffold(text, sampling_variant(model, index), sandbox, max_repairs))
        except InputDataError as exc:
            log.info("scaffold %d of %d failed: %s", index + 1, k, exc)
            failures.append(exc.message)
        if len(drafts) + (k - index - 1) < needed:
            break  # the rest could not reach agreement any more: save the calls
    finals = [d.final_answer.value for d in drafts if isinstance(d.final_answer, NumericAnswer)]
    agreed = agreed_answer(finals, needed)
    if agreed is None:
        shown = ", ".join(f"{v:g}" for v in finals) or "none"
        why = f"; {failures[0]}" if failures else ""
        raise InputDataError(
            f"the tutor cannot verify this problem: {k} independent worked solutions did not agree "
            f"(final answers: {shown}{why})",
            "pick a problem from the bank, or rephrase this one with every number it needs",
        )
    chosen = next(d for d in drafts if _same(d.final_answer.value, agreed))  # type: ignore[union-attr]
    note = (
        f"self-consistency: {sum(_same(v, agreed) for v in finals)} of {k} scaffolds gave the final answer {agreed:g}"
    )
    return chosen.model_copy(update={"import_notes": (*chosen.import_notes, note)})


def sampling_variant(model: BaseChatModel, index: int) -> BaseChatModel:
    """Scaffold `index`: the model as given for the first, then sampled (temperature 0.8, seed = index), where
    the model has those settings."""
    if index == 0:
        return model
    fields = getattr(type(model), "model_fields", {})
    update = {k: v for k, v in (("temperature", 0.8), ("seed", index)) if k in fields}
    return model.model_copy(update=update) if update else model


def agreed_answer(finals: list[float], needed: int) -> float | None:
    """The final answer at least `needed` of `finals` agree on (the most agreed one), or None."""
    best, count = None, 0
    for value in finals:
        votes = sum(_same(value, other) for other in finals)
        if votes > count:
            best, count = value, votes
    return best if best is not None and count >= needed else None


def _value(step: Step) -> float:
    return step.answer.value if isinstance(step.answer, NumericAnswer) else float("nan")


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= max(1e-6, 1e-4 * max(abs(a), abs(b)))


def _checked_text(statement: str) -> str:
    text = statement.strip()
    if not text:
        raise InputDataError("the pasted problem is empty", "paste a word problem with its numbers")
    if len(text) > MAX_PASTED_CHARS:
        raise InputDataError(
            f"the pasted problem is longer than {MAX_PASTED_CHARS} characters", "paste just the problem"
        )
    return text


def _draft(text: str, model: BaseChatModel, max_repairs: int) -> tuple[DraftScaffold, list[BaseMessage]]:
    messages: list[BaseMessage] = [
        SystemMessage(
            content="You split math word problems into 2-5 small subquestions for a student, each with a Python "
            "program that computes its answer. Reply in JSON.\nExample:\n" + _EXAMPLE
        ),
        HumanMessage(content=f"Problem: {text}"),
    ]
    draft: DraftScaffold | None = None
    for _ in range(max_repairs + 1):
        try:
            draft = _ask(model, messages)
        except ModelOutputError as exc:
            log.info("scaffold draft unparseable: %s", exc)
            continue
        if draft.steps:
            break
    if draft is None or not draft.steps:
        raise InputDataError(
            "could not build steps for this problem", "try rephrasing it, or pick a problem from the bank"
        )
    return draft, messages


def _run_step(
    step: DraftStep, messages: list[BaseMessage], model: BaseChatModel, sandbox: Sandbox, max_repairs: int
) -> tuple[str, float | None]:
    """Run a step's program, repairing it from its error at most `max_repairs` times: (code, printed value)."""
    code, value = step.python, None
    for attempt in range(max_repairs + 1):
        result = sandbox.run(code, limits=Limits())
        value = printed_number(result.stdout) if result.ok else None
        if value is not None or attempt == max_repairs:
            break
        try:
            reply = model.with_structured_output(DraftStep).invoke(
                [
                    *messages,
                    HumanMessage(
                        content=f"The program for '{step.question}' failed:\n{code}\n"
                        f"Error: {(result.stderr or 'no number printed')[-300:]}\n"
                        "Return the step again with a fixed program."
                    ),
                ]
            )
            code = (reply if isinstance(reply, DraftStep) else DraftStep.model_validate(reply)).python
        except TutorError:
            break
    return code, value


def _one_scaffold(text: str, model: BaseChatModel, sandbox: Sandbox, max_repairs: int) -> MathProblem:
    """One scaffold: the model's steps, each kept only when its program prints a number."""
    draft, messages = _draft(text, model, max_repairs)
    steps: list[Step] = []
    for d in draft.steps[:5]:
        code, value = _run_step(d, messages, model, sandbox, max_repairs)
        if value is None:
            continue
        steps.append(
            Step(
                id=f"s{len(steps) + 1}",
                question=d.question.strip(),
                answer=NumericAnswer(
                    value=round(value, 6), unit=d.unit.strip() or None, tolerance=max(0.001, abs(value) * 0.001)
                ),
                hints=GENERIC_HINTS,
                program=code,
            )
        )
    if not steps:
        raise InputDataError(
            "none of the proposed steps could be verified by running code", "try rephrasing the problem"
        )
    if missing := missing_conversions(text, [(s.program or "", _value(s)) for s in steps]):
        raise InputDataError(
            f"the worked steps never convert {', '.join(missing)}",
            "give every quantity in one unit, or pick a problem from the bank",
        )
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    title = re.sub(r"\s+", " ", draft.title).strip()[:80] or "Pasted problem"
    return MathProblem(
        id=f"pasted-{digest}",
        domain="math",
        title=title,
        statement=text,
        source="pasted",
        license="user-provided",
        steps=tuple(steps),
        final_answer=steps[-1].answer,
        missing=("wrong_answers", "concepts", "difficulty"),
        import_notes=("scaffold built by the model; every step answer was computed by running its program",),
    )
