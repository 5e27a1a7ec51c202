"""The 8 MRBench dimensions a tutor response is judged on, and their label vocabularies.

The vocabularies are those the MRBench importer normalises human labels to
(`tutor.problems.labelled.ResponseLabels`), so judge labels and human labels compare directly.
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel, ConfigDict, Field

from tutor.problems.labelled import Level, ResponseLabels, Revealing, Tone

DIMENSIONS: tuple[str, ...] = (
    "mistake_identification",
    "mistake_location",
    "revealing_of_the_answer",
    "providing_guidance",
    "actionability",
    "coherence",
    "tutor_tone",
    "humanlikeness",
)
LEVELS: tuple[str, ...] = get_args(Level)
VOCABULARY: dict[str, tuple[str, ...]] = {
    **{d: LEVELS for d in DIMENSIONS},
    "revealing_of_the_answer": get_args(Revealing),
    "tutor_tone": get_args(Tone),
}
# The label that counts as "good" for each dimension, for one-number summaries (share of good labels).
GOOD: dict[str, str] = {
    **{d: "Yes" for d in DIMENSIONS},
    "revealing_of_the_answer": "not-revealed",
    "tutor_tone": "Encouraging",
}
QUESTIONS: dict[str, str] = {
    "mistake_identification": "Has the tutor identified a mistake in the student's last response?",
    "mistake_location": "Does the response point to the precise location of the mistake?",
    "revealing_of_the_answer": "Does the tutor reveal the final answer (and is the revealed answer correct)?",
    "providing_guidance": "Does the tutor give correct, relevant guidance (a hint, explanation or example)?",
    "actionability": "Is it clear from the response what the student should do next?",
    "coherence": "Is the response logically consistent with the student's previous response?",
    "tutor_tone": "Is the response encouraging, neutral, or offensive?",
    "humanlikeness": "Does the response sound natural, as a human tutor would write it?",
}


class JudgeLabels(BaseModel):
    """A judge's labels on one tutor response, from fixed vocabularies; None where the judge gives no label.

    An LLM judge labels all 8 dimensions (`StrictJudgeLabels`); the learned judge labels the dimensions it
    was trained on (the BEA 2025 data labels 4), and leaves the others None rather than guess them.
    """

    model_config = ConfigDict(extra="forbid")

    mistake_identification: Level | None = Field(None, description=QUESTIONS["mistake_identification"])
    mistake_location: Level | None = Field(None, description=QUESTIONS["mistake_location"])
    revealing_of_the_answer: Revealing | None = Field(None, description=QUESTIONS["revealing_of_the_answer"])
    providing_guidance: Level | None = Field(None, description=QUESTIONS["providing_guidance"])
    actionability: Level | None = Field(None, description=QUESTIONS["actionability"])
    coherence: Level | None = Field(None, description=QUESTIONS["coherence"])
    tutor_tone: Tone | None = Field(None, description=QUESTIONS["tutor_tone"])
    humanlikeness: Level | None = Field(None, description=QUESTIONS["humanlikeness"])

    def as_dict(self) -> dict[str, str]:
        """The labels given, by dimension (dimensions left unlabelled are absent)."""
        return {d: str(v) for d in DIMENSIONS if (v := getattr(self, d)) is not None}


class StrictJudgeLabels(JudgeLabels):
    """The structured-output schema an LLM judge must fill: every dimension required, so that constrained
    decoding produces a complete record."""

    mistake_identification: Level = Field(description=QUESTIONS["mistake_identification"])
    mistake_location: Level = Field(description=QUESTIONS["mistake_location"])
    revealing_of_the_answer: Revealing = Field(description=QUESTIONS["revealing_of_the_answer"])
    providing_guidance: Level = Field(description=QUESTIONS["providing_guidance"])
    actionability: Level = Field(description=QUESTIONS["actionability"])
    coherence: Level = Field(description=QUESTIONS["coherence"])
    tutor_tone: Tone = Field(description=QUESTIONS["tutor_tone"])
    humanlikeness: Level = Field(description=QUESTIONS["humanlikeness"])


def human_labels(labels: ResponseLabels) -> dict[str, str | None]:
    """The human labels of an imported MRBench record, by dimension (None where unlabelled)."""
    return {d: getattr(labels, d) for d in DIMENSIONS}


__all__ = [
    "DIMENSIONS",
    "GOOD",
    "LEVELS",
    "QUESTIONS",
    "VOCABULARY",
    "JudgeLabels",
    "StrictJudgeLabels",
    "human_labels",
]
