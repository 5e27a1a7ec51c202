"""Few-shot examples built from the problem being tutored, so the model has nothing foreign to copy.

Examples written for one problem ("How many cookies are left after the party?") were copied by the bundled
model into problems with no cookies and no party. These examples use only the problem's own scaffold (its
first step's question, hint and typical wrong answer, or its first bug's test and lines), and show the reply
the tutor wants: the guiding part, close to the notes' own words.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.problems.schema import AnyProblem, DebuggingProblem


@dataclass(frozen=True)
class Example:
    """One example turn: what the student says, the notes the tutor gets, what was already said, the reply."""

    student: str
    notes: str
    said: str
    reply: str


def _number(value: float) -> str:
    return f"{value:g}"


def examples_for(problem: AnyProblem) -> list[Example]:
    """Two or three example turns from the problem's own scaffold (see the module docstring)."""
    if isinstance(problem, DebuggingProblem):
        return _debugging_examples(problem)
    step = problem.steps[0]
    out: list[Example] = []
    hint = step.hints[0] if step.hints else ""
    if step.wrong_answers:
        wrong = step.wrong_answers[0]
        said = wrong.text if wrong.value is None else _number(wrong.value)
        out.append(
            Example(
                student=f"I think it's {said}",
                notes=f"The answer is not right: {wrong.description} Do not say the correct value. "
                f"Ask: {wrong.feedback}",
                said="Not quite yet.",
                reply=wrong.feedback,
            )
        )
    guide = step.question if not hint or hint.endswith("?") else f"{hint} {step.question}"
    out.append(
        Example(
            student="I don't know where to start",
            notes=f"They are stuck. Encourage them. Give this hint: {hint or step.question} Ask: {step.question}",
            said="No problem, we'll work it out together.",
            reply=guide,
        )
    )
    out.append(
        Example(
            student="just tell me the answer",
            notes=f"They want the answer. Do not give it. Ask: {step.question}",
            said="I know you'd like the answer, but you'll remember it much better if you work it out yourself.",
            reply=f"Let's start with this: {_lower_first(step.question)}",
        )
    )
    return out


def _debugging_examples(problem: DebuggingProblem) -> list[Example]:
    bug = problem.bug_order()[0]
    test = bug.breaks_tests[0]
    where = f"line {bug.lines[0]}"
    look = f"Look at the test {test}: what does it expect, and what does the program do instead?"
    trace = f"Look closely at {where}. What does it do on each pass, step by step?"
    return [
        Example(
            student="I don't know what's wrong",
            notes=f"They are stuck. Encourage them. Ask: {look}",
            said="That's okay, let's take it one small step at a time.",
            reply=look,
        ),
        Example(
            student="just show me the fixed code",
            notes=f"They want the answer. Do not give it. Ask: {trace}",
            said="I'd rather not spoil it: working it out yourself is what makes it stick.",
            reply=f"Let's trace it instead. {trace}",
        ),
    ]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
