"""A teacher's budget of interventions per problem, spent where the student model says help is needed.

Before the tutor gives a hint or teaches, it estimates the probability that the student solves the current
step unaided, from its knowledge state (BKT mastery of the step's concepts, turned into a chance of a right
answer with the model's guess and slip) lowered by each wrong attempt on the step. With a budget of
`per_problem` interventions, the `student_model` policy spends one only where that probability is under
`threshold`; otherwise, and once the budget is spent, the move becomes "try first": the tutor asks the
student to have a go on their own, without the hint. The other policies are the evaluation's baselines
under the same budget: `always` (every chance, until the budget is spent), `random` (a fair coin, seeded by
the turn) and `never` (no hints or teaching at all).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutor.planning.knowledge import KnowledgeState
from tutor.record import Decision

BudgetPolicy = Literal["student_model", "random", "always", "never"]
INTERVENTIONS = frozenset({"give_hint", "teach"})
FAILURE_DECAY = 0.75  # each wrong attempt on the step multiplies the chance of solving it unaided


class HintBudget(BaseModel):
    """How many interventions (hints, teaching moves) a problem may get, and how they are spent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    per_problem: int | None = Field(None, ge=0, le=50, description="None: no budget, every planned hint is given.")
    policy: BudgetPolicy = "student_model"
    threshold: float = Field(0.5, gt=0, le=1, description="student_model: intervene below this P(unaided).")


def p_unaided(knowledge: KnowledgeState, concepts: Iterable[str], failures: int) -> float:
    """P(the student answers the step right on their own next), from the knowledge state and failures."""
    names = list(concepts)
    mastery = sum(knowledge.get(c) for c in names) / len(names) if names else knowledge.params.prior
    p = knowledge.params
    chance = mastery * (1 - p.slip) + (1 - mastery) * p.guess
    return round(chance * FAILURE_DECAY ** max(0, failures), 4)


def spend(budget: HintBudget, spent: int, p: float, seed: str) -> bool:
    """Whether this intervention is given, under the budget's policy."""
    if budget.per_problem is not None and spent >= budget.per_problem:
        return False
    if budget.policy == "never":
        return False
    if budget.policy == "always":
        return True
    if budget.policy == "random":
        return random.Random(seed).random() < 0.5
    return p < budget.threshold


def try_first(decision: Decision, question: str) -> Decision:
    """The move that holds a hint back: ask the student to try the step on their own first."""
    ask = question or "What would you try first?"
    return decision.model_copy(
        update={
            "class_action": "re_ask",
            "bridge_strategy": "ask_question",
            "bridge_intention": "motivate",
            "hint": None,
            "move_text": "Do not give a hint. Encourage the student to try the step on their own first, then "
            f"ask: {ask}",
        }
    )
