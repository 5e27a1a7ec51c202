"""A teacher's budget of interventions per problem, spent where the student model says help is needed.

An intervention is any move that carries help beyond asking the step's question again (`is_intervention`):
a hint, teaching, feedback on a known misconception, the hint that goes with encouraging a stuck student or
with refusing to give the answer. Before one, the tutor estimates the probability that the student solves
the current step unaided (`p_unaided`): its knowledge state (BKT mastery of the step's concepts, already
updated by the answer just given, turned into a chance of a right answer with the model's guess and slip),
lowered by each earlier wrong attempt on the step. With a budget of `per_problem` interventions:

- `student_model` spends one only where that probability is under `threshold` and is among the lowest
  the tutor expects for the rest of the problem: with k interventions left, the current step must be one
  of the k steps (this one and those not yet done) it expects the student least likely to solve alone, so
  the budget is not used up on an early step while a harder one is still ahead;
- `always` spends at every chance until the budget is gone; `random` on a fair coin (seeded by the
  budget's `seed`, the problem and the turn); `never` gives no help at all (the evaluation's baselines).

A move that is not given becomes "try first": the tutor asks the step's question again, without the help.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutor.planning.knowledge import KnowledgeState
from tutor.planning.plan import PlanTree
from tutor.record import Decision

BudgetPolicy = Literal["student_model", "random", "always", "never"]
# Moves that help whatever their strategy; `encourage` and `answer_question` help when they carry a hint.
INTERVENTIONS = frozenset({"give_hint", "teach", "give_feedback"})
HINTING_STRATEGIES = frozenset({"hint", "encourage"})
FAILURE_DECAY = 0.75  # each earlier wrong attempt on the step multiplies the chance of solving it unaided


class HintBudget(BaseModel):
    """How many interventions (hints, feedback, teaching moves) a problem may get, and how they are spent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    per_problem: int | None = Field(None, ge=0, le=50, description="None: no budget, every planned hint is given.")
    policy: BudgetPolicy = "student_model"
    threshold: float = Field(0.5, gt=0, le=1, description="student_model: intervene below this P(unaided).")
    seed: int = Field(0, description="random: seeds the coin (with the problem and the turn).")


def is_intervention(decision: Decision) -> bool:
    """Whether a planned move carries help (what the budget counts and may hold back)."""
    if decision.class_action in INTERVENTIONS:
        return True
    return decision.class_action in ("encourage", "answer_question") and decision.bridge_strategy in HINTING_STRATEGIES


def p_unaided(knowledge: KnowledgeState, concepts: Iterable[str], failures: int) -> float:
    """P(the student answers the step right on their own next), from the knowledge state and failures."""
    names = list(concepts)
    mastery = sum(knowledge.get(c) for c in names) / len(names) if names else knowledge.params.prior
    p = knowledge.params
    chance = mastery * (1 - p.slip) + (1 - mastery) * p.guess
    return round(chance * FAILURE_DECAY ** max(0, failures), 4)


def ahead(knowledge: KnowledgeState, plan: PlanTree, fallback: Iterable[str] = ()) -> list[float]:
    """P(unaided) of the steps still to do after the current one (no failures on them yet)."""
    concepts = tuple(fallback)
    return [
        p_unaided(knowledge, n.concepts or concepts, 0)
        for n in plan.nodes
        if n.id != plan.current and n.status != "done" and not plan.children(n.id)
    ]


def spend(budget: HintBudget, spent: int, p: float, seed: str, later: Iterable[float] = ()) -> bool:
    """Whether this intervention is given, under the budget's policy (`later`: P(unaided) of the steps ahead)."""
    if budget.per_problem is not None and spent >= budget.per_problem:
        return False
    if budget.policy == "never":
        return False
    if budget.policy == "always":
        return True
    if budget.policy == "random":
        return random.Random(f"{budget.seed}:{seed}").random() < 0.5
    if p >= budget.threshold:
        return False
    if budget.per_problem is None:
        return True
    left = budget.per_problem - spent
    # Keep the budget for steps ahead the student is less likely to solve alone (ties favour now).
    return sum(1 for q in later if q < p) < left


def budgeted(
    decision: Decision,
    budget: HintBudget,
    *,
    knowledge: KnowledgeState,
    plan: PlanTree,
    spent: int,
    seed: str,
    question: str,
    fallback_concepts: Iterable[str] = (),
) -> tuple[Decision, int]:
    """The move under the budget and the interventions spent after it.

    `knowledge` is the estimate after this turn's answer, `plan` the plan as the student found it (its
    current node is the step the help was for), `question` what a held-back move asks instead.
    """
    if not is_intervention(decision):
        return decision, spent
    fallback = tuple(fallback_concepts)
    node = plan.current_node
    p = p_unaided(knowledge, (node.concepts if node else ()) or fallback, node.failures if node else 0)
    if spend(budget, spent, p, seed, ahead(knowledge, plan, fallback)):
        return decision.model_copy(update={"intervention": "given", "p_unaided": p}), spent + 1
    held = try_first(decision, question)
    return held.model_copy(update={"intervention": "held_back", "p_unaided": p}), spent


def try_first(decision: Decision, question: str) -> Decision:
    """The move that holds help back: ask the student to try the step on their own first.

    The move text ends with "Ask: " and the question alone, so that a reply written without a model (the
    scaffold composition) says exactly the question and nothing of the step's hints.
    """
    ask = question or "What would you try first?"
    return decision.model_copy(
        update={
            "class_action": "re_ask",
            "bridge_strategy": "ask_question",
            "bridge_intention": "motivate",
            "hint": None,
            "move_text": f"Do not give a hint. Encourage the student to try the step on their own first. Ask: {ask}",
        }
    )
