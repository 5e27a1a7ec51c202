"""Pre-empting the forecast misconception: the first question on a step aims at the wrong answer the
student is most likely to give there (seed paper: MCQStudentBert's misconception forecasts).

The forecast is `tutor.planning.forecast` over the step's authored wrong answers, from what the tutor
knows: its mastery estimate of the step's concepts and the misconceptions it has seen the student show
(`TutorState.misconceptions_seen`: slug -> wrong answers so far, carried from earlier problems where the
caller persists it). A misconception seen n times counts as held with strength 1 - 0.5^n. The pre-emptive
question is the authored feedback of the forecast wrong answer, the sentences of it that ask something
without assuming the mistake was made ("You tripled the dollars. ..." is left out), put before the step's
own question. Nothing is pre-empted where the forecast has no favourite (no misconception seen that
bears on the step): a question aimed at a guess would only be noise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tutor.planning.forecast import forecast_wrong_answers, step_candidates
from tutor.planning.knowledge import KnowledgeState
from tutor.planning.plan import PlanTree
from tutor.problems.schema import AnyProblem, DebuggingProblem, Step, WrongAnswer
from tutor.record import Assessment, Decision

SLIP = "arithmetic-slip"  # a slip is not a misconception a question could head off
_SENTENCE = re.compile(r".+?[.?!](?=\s|$)")  # a decimal point ($0.60) does not end a sentence
_ASSUMES = re.compile(r"^(you|your|that|this|those)\b", re.I)


@dataclass(frozen=True)
class Preempt:
    """What the first question on a step aims at, and the words it uses."""

    misconception: str
    wrong_answer: WrongAnswer
    probability: float
    question: str


def held_from_seen(seen: Mapping[str, int]) -> dict[str, float]:
    """Misconception slug -> how firmly the student is taken to hold it, from the times the tutor saw it."""
    return {slug: round(1 - 0.5**count, 4) for slug, count in seen.items() if count > 0 and slug != SLIP}


def forecast_misconception(step: Step, knowledge: KnowledgeState, seen: Mapping[str, int]) -> Preempt | None:
    """The step's wrong answer the student is most likely to give, when the tutor has reason to expect one."""
    held = held_from_seen(seen)
    candidates = [c for c in step_candidates(step) if c.misconception != SLIP]
    if not candidates or not any(c.misconception in held for c in candidates):
        return None
    concepts = step.concepts
    mastery = sum(knowledge.get(c) for c in concepts) / len(concepts) if concepts else knowledge.params.prior
    top = forecast_wrong_answers(candidates, held=held, mastery=mastery)[0]
    slug = top.misconceptions[0]
    wrong = next(w for w in step.wrong_answers if w.misconception == slug)
    question = preemptive_question(wrong.feedback)
    if not question:
        return None
    return Preempt(misconception=slug, wrong_answer=wrong, probability=round(top.probability, 4), question=question)


def preemptive_question(feedback: str) -> str:
    """The sentences of a wrong answer's feedback that can be asked before the mistake: the questions
    that do not start from the student's answer ("You ...", "That ...")."""
    sentences = [s.strip() for s in _SENTENCE.findall(feedback)]
    return " ".join(s for s in sentences if s.endswith("?") and not _ASSUMES.match(s))


def preempt_move(move_text: str, preempt: Preempt, question: str) -> str:
    """The move text with the step's question preceded by the pre-emptive one (the scaffold composition
    says the hint part, then the question)."""
    head, sep, _ = move_text.rpartition("Ask: ")
    lead = head if sep else f"{move_text} "
    return f"{lead}Before they answer, head off a likely mistake. Give this hint: {preempt.question} Ask: {question}"


def preempt_decision(
    decision: Decision, problem: AnyProblem, plan: PlanTree, knowledge: KnowledgeState, seen: Mapping[str, int]
) -> Decision:
    """The move with its first question on a newly reached step aimed at the forecast misconception (the
    decision records which, `preempted`); unchanged where the move does not open a step or nothing is forecast."""
    node = plan.current_node
    if isinstance(problem, DebuggingProblem) or decision.class_action != "affirm_and_advance" or node is None:
        return decision
    if node.attempts or "Ask: " not in decision.move_text:
        return decision
    step = next((s for s in problem.steps if s.id == node.ref), None)
    forecast = forecast_misconception(step, knowledge, seen) if step is not None else None
    if step is None or forecast is None:
        return decision
    move_text = preempt_move(decision.move_text, forecast, step.question)
    return decision.model_copy(update={"move_text": move_text, "preempted": forecast.misconception})


def note_misconception(seen: Mapping[str, int], assessment: Assessment) -> dict[str, int]:
    """The misconceptions seen so far, with this turn's (a wrong answer the step's known ones explain)."""
    counts = dict(seen)
    if assessment.label == "incorrect" and assessment.misconception:
        counts[assessment.misconception] = counts.get(assessment.misconception, 0) + 1
    return counts
