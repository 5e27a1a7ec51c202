"""Per-concept mastery estimates, updated by Bayesian knowledge tracing (Corbett & Anderson, 1995).

For each concept we keep P(L), the probability the student has learned it. One piece of evidence
(a correct or incorrect answer on a step that exercises the concept) updates it in two moves:

1. Condition on the observation, allowing for guessing and slipping:
   correct:   P(L|obs) = P(L)(1-S) / (P(L)(1-S) + (1-P(L))G)
   incorrect: P(L|obs) = P(L)S     / (P(L)S     + (1-P(L))(1-G))
2. Allow for learning from the tutoring of this turn: P(L') = P(L|obs) + (1 - P(L|obs)) T

G (guess), S (slip) and T (transit) are per-state parameters with textbook defaults. Evidence the tutor
cannot attribute to a right or wrong answer (a question, an off-topic message) does not move the estimate.
The state is immutable: `update` returns a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Evidence = Literal["correct", "incorrect"]


class BKTParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    prior: float = Field(0.3, ge=0, le=1, description="P(L0): mastery before any evidence.")
    guess: float = Field(0.2, ge=0, lt=1, description="P(G): right answer without mastery.")
    slip: float = Field(0.1, ge=0, lt=1, description="P(S): wrong answer despite mastery.")
    transit: float = Field(0.1, ge=0, le=1, description="P(T): learning from one tutored opportunity.")


class KnowledgeState(BaseModel):
    """Mastery estimate per concept (0..1), plus how many observations each rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    params: BKTParams = BKTParams()
    mastery: dict[str, float] = Field(default_factory=dict)
    observations: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def for_concepts(cls, concepts: Iterable[str], params: BKTParams | None = None) -> KnowledgeState:
        p = params or BKTParams()
        names = sorted(set(concepts))
        return cls(params=p, mastery={c: p.prior for c in names}, observations={c: 0 for c in names})

    def get(self, concept: str) -> float:
        return self.mastery.get(concept, self.params.prior)

    def update(self, concepts: Iterable[str], evidence: Evidence) -> KnowledgeState:
        """New state after one observation on `concepts`."""
        p = self.params
        mastery = dict(self.mastery)
        observations = dict(self.observations)
        for concept in set(concepts):
            prior = mastery.get(concept, p.prior)
            if evidence == "correct":
                num = prior * (1 - p.slip)
                den = num + (1 - prior) * p.guess
            else:
                num = prior * p.slip
                den = num + (1 - prior) * (1 - p.guess)
            posterior = num / den if den > 0 else prior
            mastery[concept] = round(posterior + (1 - posterior) * p.transit, 4)
            observations[concept] = observations.get(concept, 0) + 1
        return self.model_copy(update={"mastery": mastery, "observations": observations})

    def weakest(self, concepts: Iterable[str]) -> str | None:
        """The concept with the lowest estimate among `concepts`."""
        pool = list(concepts)
        return min(pool, key=self.get) if pool else None
