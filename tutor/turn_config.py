"""A tutor's configuration: which features run (the evals switch them off for ablations), how the reply is
composed, and the teacher's policies (reveal, hint budget)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutor.hint_budget import HintBudget


class TutorConfig(BaseModel):
    """Tutor features (the evals switch them off for ablations) and the teacher's reveal policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["socratic", "assist"] = Field("socratic", description="`assist` is the baseline that simply answers.")
    use_soliloquy: bool = True
    use_plan: bool = True
    use_guard: bool = True
    reveal_after_failed_attempts: int | None = None
    hint_budget: HintBudget | None = Field(None, description="A teacher's budget of interventions per problem.")
    preempt_misconception: bool = Field(
        False, description="The first question on a step heads off the forecast misconception (`tutor.preempt`)."
    )
    composition: Literal["guided", "scaffold", "free"] = Field(
        "guided",
        description="`guided`: the acknowledgement comes from the assessment and the model writes only the guiding "
        "part (small models); `scaffold`: the guiding part is the scaffold's own text, no model call; `free`: the "
        "model writes the whole reply (strong models).",
    )
    max_leak_regenerations: int = 2
    max_code_repairs: int = 2
    reply_max_tokens: int = 160
    history_turns: int = 8

    @model_validator(mode="after")
    def _preempt_without_budget(self) -> TutorConfig:
        if self.preempt_misconception and self.hint_budget is not None:
            raise ValueError("preempt_misconception with a hint_budget: the pre-emptive question is help the budget "
                             "would not count; use one or the other")  # fmt: skip
        return self
