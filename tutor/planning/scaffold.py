"""Building a scaffold for a problem that has none (a pasted word problem, a problem without steps).

The model proposes subquestions, each with a small Python program; every program runs in the sandbox and
only steps whose program prints a number are kept (a failing program is repaired at most `max_repairs`
times from its error). The numbers the tutor will check against therefore come from executed code, never
from the model's mental arithmetic. The result is an ordinary `MathProblem` marked `source: pasted`.
"""

from __future__ import annotations

import hashlib
import logging
import re

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from tutor.errors import InputDataError, ModelOutputError, TutorError
from tutor.problems.schema import MathProblem, NumericAnswer, Step
from tutor.sandbox import Limits, Sandbox
from tutor.soliloquy.soliloquy import last_number

log = logging.getLogger(__name__)
MAX_PASTED_CHARS = 2000
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
    return model.with_structured_output(DraftScaffold).invoke(messages)


def build_scaffold(statement: str, model: BaseChatModel, sandbox: Sandbox, max_repairs: int = 2) -> MathProblem:
    """Turn a pasted word problem into a scaffolded `MathProblem` whose step answers were executed.

    Raises:
        InputDataError: the text is empty or too long, or no step could be verified.
    """
    text = statement.strip()
    if not text:
        raise InputDataError("the pasted problem is empty", "paste a word problem with its numbers")
    if len(text) > MAX_PASTED_CHARS:
        raise InputDataError(
            f"the pasted problem is longer than {MAX_PASTED_CHARS} characters", "paste just the problem"
        )
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
        except TutorError:
            raise
        if draft.steps:
            break
    if draft is None or not draft.steps:
        raise InputDataError(
            "could not build steps for this problem", "try rephrasing it, or pick a problem from the bank"
        )
    steps: list[Step] = []
    limits = Limits()
    for i, d in enumerate(draft.steps[:5], start=1):
        code = d.python
        value = None
        for attempt in range(max_repairs + 1):
            result = sandbox.run(code, limits=limits)
            value = last_number(result.stdout) if result.ok else None
            if value is not None or attempt == max_repairs:
                break
            try:
                fix = model.with_structured_output(DraftStep).invoke(
                    [
                        *messages,
                        HumanMessage(
                            content=f"The program for '{d.question}' failed:\n{code}\n"
                            f"Error: {(result.stderr or 'no number printed')[-300:]}\n"
                            "Return the step again with a fixed program."
                        ),
                    ]
                )
                code = fix.python
            except TutorError:
                break
        if value is None:
            continue
        unit = d.unit.strip() or None
        steps.append(
            Step(
                id=f"s{len(steps) + 1}",
                question=d.question.strip(),
                answer=NumericAnswer(value=round(value, 6), unit=unit, tolerance=max(0.001, abs(value) * 0.001)),
                hints=GENERIC_HINTS,
                program=code,
            )
        )
        del i
    if not steps:
        raise InputDataError(
            "none of the proposed steps could be verified by running code", "try rephrasing the problem"
        )
    last = steps[-1].answer
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
        final_answer=last,
        missing=("wrong_answers", "concepts", "difficulty"),
        import_notes=("scaffold built by the model; every step answer was computed by running its program",),
    )
