"""Shared pieces for the simulated-student tests: a scripted tutor model and a shared sandbox."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest
from langchain_core.messages import BaseMessage

from tutor.models.scripted import ScriptedChatModel
from tutor.sandbox import Sandbox

# Distinct, number-free questions: a scripted tutor that never repeats itself three times in 12 turns.
TUTOR_LINES = (
    "What operation would you use here?",
    "Can you check that step again?",
    "What do you notice about the quantities?",
    "How could you test your idea?",
    "Which part are you unsure about?",
    "What does the question ask for exactly?",
    "How did you get that?",
    "What would happen with a smaller example?",
)


def tutor_model(lines: Sequence[str] = TUTOR_LINES) -> ScriptedChatModel:
    """A scripted tutor model: it cycles through `lines` for replies, and judges a debugging explanation
    as identifying the bug when it repeats the start of the bug's description (as a grader model would
    for the rule-based student's right explanations)."""
    state = {"n": 0}

    def reply(messages: list[BaseMessage]) -> str:
        system = str(messages[0].content)
        if "identifies a specific bug" in system:
            human = str(messages[-1].content)
            bug = re.search(r"The bug: (.*)", human)
            said = human.split("Student's explanation:", 1)[-1].lower()
            ok = bool(bug) and bug.group(1).lower()[:40] in said
            return json.dumps({"identifies_the_bug": ok, "reason": "scripted judge"})
        state["n"] += 1
        return lines[(state["n"] - 1) % len(lines)]

    return ScriptedChatModel(reply_fn=reply)


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox() as box:
        yield box
